#!/bin/sh
# What a packager and a shell user meet: the man page (renders, lints clean, names every command, option,
# config key and environment variable the program has), bash completion, make install/uninstall under
# DESTDIR, and progress lines on a terminal. Ends with "conventions: N passed, N failed".
set -u
cd "$(dirname "$0")/.."
BIN=${MEMSCOPE_BIN:-build/memscope}
MAN=app/memscope.1
COMP=app/memscope.bash-completion
TMP=$(mktemp -d "${TMPDIR:-/tmp}/memscope-conv-XXXXXX")
trap 'rm -rf "$TMP"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "PASS conventions $1"; }
bad() { failed=$((failed + 1)); echo "FAIL conventions $1: $2"; }

# --- the man page --------------------------------------------------------------------------------------
name=man_page_renders_and_lints_clean
warnings=$(groff -ww -man -Tutf8 -z "$MAN" 2>&1)
rendered=$(MANWIDTH=100 MANPAGER=cat man -l "$MAN" 2>/dev/null)
lint=""
if command -v mandoc >/dev/null 2>&1; then lint=$(mandoc -T lint "$MAN" 2>&1); fi
if [ -z "$warnings" ] && [ -z "$lint" ] && echo "$rendered" | grep -q "^EXIT STATUS" &&
    echo "$rendered" | grep -q "^ENVIRONMENT"; then ok $name
else bad $name "groff: $warnings; mandoc: $lint"; fi

# Every option each command's --help shows, every config key, every command and every environment variable
# the sources read must be in the page.
name=man_page_names_every_command_option_key_and_variable
missing=""
for cmd in train eval sample info tui bench lab watch demo export import; do
    for opt in $("$BIN" $cmd --help | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
        grep -q -- "\\\\-\\\\-${opt#--}" "$MAN" || missing="$missing $cmd:$opt"
    done
    grep -q "^\.B.* $cmd" "$MAN" || grep -q "^\.B $cmd" "$MAN" || missing="$missing command:$cmd"
done
for key in $("$BIN" train --help | sed -n '/^keys:/,/^exit/p' | grep -oE '[a-z_]+' | grep -E '^[a-z]+(_[a-z]+)*$' |
    grep -vE '^(keys|exit|status|conv|mean|max|dilated|most|used|attention|autoencode|none|success|a|runtime|failure|file|data|checkpoint|disk|usage|error)$'); do
    grep -q "^\.BR* $key" "$MAN" || missing="$missing key:$key"
done
for var in $(grep -rhoE 'getenv\("[A-Z_]+"\)' app ui engine | sed 's/getenv("\(.*\)")/\1/' | sort -u); do
    grep -q "^\.B $var" "$MAN" || missing="$missing env:$var"
done
if [ -z "$missing" ]; then ok $name; else bad $name "not in $MAN:$missing"; fi

# --- bash completion -------------------------------------------------------------------------------------
# complete LINE: the candidates bash would offer with the cursor at the end of LINE.
complete_line() {
    bash -c '. "$1"; line=$2
        COMP_LINE=$line; COMP_POINT=${#line}
        read -ra COMP_WORDS <<<"$line"; [[ $line == *" " ]] && COMP_WORDS+=("")
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        _memscope; printf "%s\n" "${COMPREPLY[@]}"' _ "$COMP" "$1" 2>&1 | sort | tr '\n' ' '
}
name=bash_completion_offers_commands_options_keys_presets_and_files
touch "$TMP/model.safetensors"
c1=$(complete_line "memscope tr")
c2=$(complete_line "memscope train --set comp")
c3=$(complete_line "memscope train --set compress=m")
c4=$(complete_line "memscope train --preset ")
c5=$(complete_line "memscope eval --load $TMP/mo")
c6=$(complete_line "memscope sample --t")
c7=$(complete_line "memscope lab a")
if [ "$c1" = "train " ] && [ "$c2" = "compress= compress_loss= compression_rate= " ] &&
    [ "$c3" = "max mean most-used " ] && [ "$c4" = "default labml large " ] && [ "$c5" = "$TMP/model.safetensors " ] &&
    [ "$c6" = "--temperature --threads --top-k " ] && [ "$c7" = "ablation attention " ]; then ok $name
else bad $name "tr: '$c1' comp: '$c2' compress=m: '$c3' preset: '$c4' load: '$c5' sample --t: '$c6' lab a: '$c7'"; fi

# --- make install / uninstall ---------------------------------------------------------------------------
name=make_install_puts_its_files_under_destdir_and_uninstall_removes_them
D="$TMP/stage"
make -s install DESTDIR="$D" PREFIX=/usr >"$TMP/install.log" 2>&1
files=$(cd "$D" 2>/dev/null && find . -type f | sort | tr '\n' ' ')
want="./usr/bin/memscope ./usr/share/bash-completion/completions/memscope ./usr/share/man/man1/memscope.1 "
want="$want./usr/share/memscope/demo-shakespeare.safetensors "
version=$("$D/usr/bin/memscope" --version 2>/dev/null | head -n 1)
# the installed binary finds the shipped model beside itself, from any directory (then wants the corpus)
demo=$(cd "$TMP" && "$D/usr/bin/memscope" demo 2>&1 </dev/null)
make -s uninstall DESTDIR="$D" PREFIX=/usr >>"$TMP/install.log" 2>&1
left=$(find "$D" -type f | wc -l)
if [ "$files" = "$want" ] && [ -n "$version" ] && [ "$left" -eq 0 ] && ! echo "$demo" | grep -q "shipped model" &&
    echo "$demo" | grep -q "tinyshakespeare.txt is missing"; then ok "$name ($version)"
else bad $name "installed '$files', version '$version', $left files left, demo said '$demo': $(cat "$TMP/install.log")"; fi

# --- progress on a terminal -------------------------------------------------------------------------------
name=eval_shows_a_progress_line_on_a_terminal
if command -v script >/dev/null 2>&1; then
    awk 'BEGIN { for (i = 0; i < 30000; i++) printf "%c", 97 + (i * 7 + int(i / 13)) % 10 }' >"$TMP/text.txt"
    "$BIN" train --data "$TMP/text.txt" --set d_model=8 --set n_heads=2 --set n_layers=1 --set d_ff=8 --set seq_len=4 \
        --set mem_len=4 --set c_mem_len=2 --set batch_size=2 --threads 1 --steps 2 --save "$TMP/p.st" \
        --progress-every 0 >/dev/null 2>&1
    script -qec "$BIN eval --load $TMP/p.st --data $TMP/text.txt" "$TMP/typescript" >/dev/null 2>&1
    if grep -q "memscope eval: .*characters (.*%).*characters/s.*ETA" "$TMP/typescript" &&
        grep -q "ce [0-9.]* bpc [0-9.]*" "$TMP/typescript"; then ok $name
    else bad $name "$(tr '\r' '\n' <"$TMP/typescript" | head -n 5)"; fi
else
    bad $name "script (bsdutils) is not installed"
fi

echo "conventions: $passed passed, $failed failed"
[ $failed -eq 0 ]
