#!/bin/sh
# End-to-end tests of the TUI: the real binary (build/memscope) inside tmux, driven with send-keys and
# read back with capture-pane. Every check counts as one test; the last line is "e2e: N passed, N failed".
# A tiny model on the built-in corpus keeps steps fast; one session uses the default preset so that a
# validation lasts long enough to watch. The whole run takes about a minute and a half.
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BIN=${MEMSCOPE_E2E_BIN:-$ROOT/build/memscope} # e.g. build/asan/memscope

SUITE=e2e
. tests/tmux_suite.sh
TINY="--data builtin --threads 1 --set d_model=32 --set n_heads=2 --set n_layers=2 --set d_ff=64 \
--set seq_len=16 --set mem_len=16 --set c_mem_len=32 --set compression_rate=2 --set batch_size=4"

# start NAME COLS ROWS "ENV ASSIGNMENTS" ARGS...: runs memscope in a new tmux session; when it exits the
# pane prints "EXITED <status>" and stays open, so the restored terminal can be inspected.
start() {
    name=$1 cols=$2 rows=$3 envs=$4
    shift 4
    mkdir -p "$TMP/home-$name"
    cat >"$TMP/$name.sh" <<EOF
cd "${START_DIR:-$ROOT}"
trap "echo INTERRUPTED" INT
env $envs INPUTRC=/dev/null HOME="$TMP/home-$name" XDG_STATE_HOME="$TMP/home-$name" "$BIN" $* 2>"$TMP/$name.err"
echo "EXITED \$?"
cat "$TMP/$name.err"
sleep 120
EOF
    $T new-session -d -s "$name" -x "$cols" -y "$rows" "sh $TMP/$name.sh"
}


# The step counter of the status line ("step 1,234").
step_of() { screen "$1" | head -n 2 | sed -n 's/.*step \([0-9,]*\).*/\1/p' | head -n 1 | tr -d ,; }

# wait_step_above NAME N [SECONDS]: until the step counter passes N.
wait_step_above() {
    deadline=$(($(date +%s) + ${3:-10}))
    while [ "$(date +%s)" -le "$deadline" ]; do
        s=$(step_of "$1")
        [ -n "$s" ] && [ "$s" -gt "$2" ] && return 0
        sleep 0.05
    done
    return 1
}

ok() { passed=$((passed + 1)); echo "PASS e2e $1"; }
bad() { # name, session, why
    failed=$((failed + 1))
    echo "FAIL e2e $1: $3"
    if [ -n "$2" ]; then
        echo "---- screen of $2 ----"
        screen "$2"
        echo "---- stderr of $2 ----"
        cat "$TMP/$2.err" 2>/dev/null
        echo "----"
    fi
}

# --- no terminal: the explanation of the headless commands, exit 2 ---------------------------------------
out=$("$BIN" tui </dev/null 2>&1 >/dev/null)
rc=$?
if [ $rc -eq 2 ] && echo "$out" | grep -q "not a terminal" && echo "$out" | grep -q "memscope train"; then
    ok "stdout_not_a_terminal_explains_the_headless_commands"
else bad "stdout_not_a_terminal_explains_the_headless_commands" "" "rc $rc, said: $out"; fi

# --- side sessions, started first so they run while the main one does ---------------------------------
start small 70 20 "TERM=xterm-256color LANG=C.UTF-8" tui $TINY --exit-after-frames 60
start ascii 100 30 "TERM=xterm LANG=C LC_ALL=C" tui $TINY --exit-after-frames 6000
start ctrlc 100 30 "TERM=xterm-256color LANG=C.UTF-8" tui $TINY --save "$TMP/ctrlc.safetensors"
start nocolor 100 30 "TERM=xterm-256color LANG=C.UTF-8 NO_COLOR=1" tui $TINY --exit-after-frames 6000
RECALL=$(echo "$TINY" | sed 's/--data builtin /--data builtin:recall /')
start recall 100 30 "TERM=xterm-256color LANG=C.UTF-8" tui $RECALL --exit-after-frames 6000

# --- the main session, which the checks below drive step by step --------------------------------------
start main 120 40 "TERM=xterm-256color LANG=C.UTF-8" tui $TINY --save "$TMP/ck.safetensors"
M=main

# --- the side sessions (checked first: they leave on their own) ----------------------------------------
name=too_small_terminal_says_so
if wait_for small 'Terminal too small: 70.20' 10 && wait_for small 'needs at least 80.24' 1 &&
    wait_for small '^EXITED 0' 15; then ok $name
else bad $name small "no 'too small' message or no clean exit"; fi

name=no_color_draws_without_colour
if wait_for nocolor '^ (RUNNING|STOPPED) +step' 15 && wait_for nocolor 'Attention' 2; then
    # capture-pane -e writes colours as SGR 38/48 sequences (or 3x/4x for the basic ones): none may appear
    esc=$(printf '\033')
    coloured=$($T capture-pane -p -e -t nocolor | grep -cE "${esc}\[[0-9;]*(3[0-7]|4[0-7]|38;|48;)[0-9;]*m")
    $T send-keys -t nocolor / ':quit!' Enter
    if [ "$coloured" -eq 0 ] && wait_for nocolor '^EXITED 0' 20; then ok $name
    else bad $name nocolor "$coloured lines with colour escapes, or no clean exit"; fi
else bad $name nocolor "no status line with NO_COLOR=1"; fi

name=ascii_8_colour_terminal_runs
if wait_for ascii '^ (RUNNING|STOPPED) +step' 15; then
    nonascii=$(screen ascii | LC_ALL=C tr -d '\000-\177' | wc -c)
    attention=$(screen ascii | grep -c 'Attention')
    $T send-keys -t ascii / ':quit!' Enter
    if [ "$nonascii" -eq 0 ] && [ "$attention" -gt 0 ] && wait_for ascii '^EXITED 0' 20; then ok $name
    else bad $name ascii "non-ASCII bytes on screen ($nonascii) or no clean exit"; fi
else bad $name ascii "no status line with TERM=xterm LANG=C"; fi

name=ctrl_c_restores_the_terminal
if wait_for ctrlc '^ RUNNING' 15 && wait_step_above ctrlc 0 10; then
    $T send-keys -t ctrlc C-c
    if wait_for ctrlc '^EXITED 0' 10 && [ "$($T display -p -t ctrlc '#{alternate_on}')" = 0 ] &&
        ! screen ctrlc | grep -q 'Where attention goes' && "$BIN" info "$TMP/ctrlc.safetensors" >/dev/null; then ok $name
    else bad $name ctrlc "Ctrl-C did not leave cleanly with the --save checkpoint written"; fi
else bad $name ctrlc "did not start"; fi

name=recall_corpus_shows_recall_by_distance
if wait_for recall 'Recall · step [0-9]+' 10 && wait_for recall 'distance +char acc +n' 1 &&
    $T send-keys -t recall / ':quit!' Enter && wait_for recall '^EXITED 0' 20; then ok $name
else bad $name recall "no recall panel on --data builtin:recall, or no clean exit"; fi

# --- the main session's checks ------------------------------------------------------------------------

name=step_counter_advances
if wait_for $M '^ RUNNING' 15 && wait_step_above $M 0 10; then
    s1=$(step_of $M)
    if wait_step_above $M "$s1" 5; then ok $name; else bad $name $M "the step stayed at $s1"; fi
else bad $name $M "no RUNNING status with a step counter"; fi

name=space_pauses_and_resumes
$T send-keys -t $M ' '
if wait_for $M '^ PAUSED' 5; then
    s1=$(step_of $M)
    sleep 0.6
    s2=$(step_of $M)
    if [ "$s1" = "$s2" ]; then
        $T send-keys -t $M ' '
        if wait_for $M '^ RUNNING' 5 && wait_step_above $M "$s2" 5; then ok $name
        else bad $name $M "Space did not resume"; fi
    else bad $name $M "paused, but the step moved from $s1 to $s2"; fi
else bad $name $M "no PAUSED after Space"; fi

name=plus_changes_the_rate_and_new_slots_use_it
$T send-keys -t $M ' '
wait_for $M '^ PAUSED' 5
if wait_for $M 'c=2 conv' 2; then
    $T send-keys -t $M '+'
    if wait_for $M 'c=3 conv' 5; then
        s1=$(step_of $M)
        # The heatmap shows the memory as it was before the latest step: two steps at c=3 put slots made
        # at the new rate on screen. Then the cursor goes to the newest compressed slot (Home, ']' = first
        # memory column, ',' = one to the left) and its age span must be 3 characters wide.
        $T send-keys -t $M n
        wait_step_above $M "$s1" 5
        $T send-keys -t $M n
        wait_step_above $M $((s1 + 1)) 5
        $T send-keys -t $M Home ']' ','
        sleep 0.3
        span=$(screen $M | grep -E '(▸|>) compressed #' | sed -n 's/.* \([0-9][0-9]*\)-\([0-9][0-9]*\) back.*/\1 \2/p' | head -n 1)
        set -- $span
        if [ $# -eq 2 ] && [ $(($2 - $1 + 1)) -eq 3 ]; then ok $name
        else bad $name $M "the newest compressed slot spans '$span', expected 3 characters"; fi
    else bad $name $M "the status did not show c=3 after +"; fi
else bad $name $M "the status did not show c=2"; fi
$T send-keys -t $M ' '

name=prompt_generates_a_continuation
$T send-keys -t $M '/'
sleep 0.2
$T send-keys -t $M ':len 40' Enter
sleep 0.2
$T send-keys -t $M 'KING OSWALD:' Enter
if wait_for $M 'generated 40 characters' 15; then
    # The output pane: the rows between its title and the prompt row.
    # The output pane: the rows between its title and the prompt row. The prompt may have scrolled out
    # when the continuation has several line breaks; what is left besides it must be generated text.
    pane=$(screen $M | awk '/── Output/ {on = 1; next} /^› / {on = 0} on' | tr -d '\n')
    rest=$(printf '%s' "$pane" | sed 's/KING OSWALD://' | tr -d ' ')
    if ! echo "$pane" | grep -q 'Press / and type' && [ "$(printf '%s' "$rest" | wc -c)" -ge 15 ]; then ok $name
    else bad $name $M "the output pane has no continuation after the prompt: '$pane'"; fi
else bad $name $M "no 'generated 40 characters' message"; fi
$T send-keys -t $M Escape

name=resize_to_80x24_and_back_redraws
$T resize-window -t $M -x 80 -y 24
if wait_for $M '^ (RUNNING|PAUSED)' 5 && wait_for $M 'Where attention goes' 2 && [ "$(screen $M | wc -l)" -eq 24 ] &&
    [ "$($T display -p -t $M '#{window_width}')" = 80 ]; then
    $T resize-window -t $M -x 60 -y 20
    if wait_for $M 'Terminal too small' 5; then
        $T resize-window -t $M -x 120 -y 40
        if wait_for $M 'Where attention goes' 5 && screen $M | head -n 1 | grep -Eq '^ (RUNNING|PAUSED) +step' &&
            [ "$(screen $M | wc -l)" -eq 40 ]; then ok $name
        else bad $name $M "no full redraw back at 120x40"; fi
    else bad $name $M "no 'too small' message at 60x20"; fi
else bad $name $M "no status line and panels at 80x24"; fi

name=tab_selects_the_next_layer
$T send-keys -t $M Tab
if wait_for $M 'Attention · layer 1 ' 5 && wait_for $M '▸L1 ' 2; then ok $name
else bad $name $M "Tab did not select layer 1"; fi

name=f_cycles_the_compression_function
$T send-keys -t $M f
if wait_for $M 'c=[0-9]+ mean, attention loss' 5; then
    # Through dilated and most-used back to conv, training all the way.
    $T send-keys -t $M f f f f
    if wait_for $M 'c=[0-9]+ conv, attention loss' 5 && wait_for $M 'most-used -> conv' 2; then
        s1=$(step_of $M)
        if wait_step_above $M "$s1" 5; then ok $name
        else bad $name $M "training stopped after cycling the functions"; fi
    else bad $name $M "four more f did not come back to conv"; fi
else bad $name $M "the status line did not show mean after f"; fi

name=b_shows_the_figure2_view
$T send-keys -t $M b
if wait_for $M 'Attention by slot age \(Figure 2\)' 5 && wait_for $M 'compressed +memory +current +recon loss' 2 &&
    wait_for $M '^ all ' 2 && ! screen $M | grep -q 'Where attention goes'; then
    $T send-keys -t $M b
    if wait_for $M 'Where attention goes' 5 && ! screen $M | grep -q 'Attention by slot age'; then ok $name
    else bad $name $M "b did not go back to the heatmap"; fi
else bad $name $M "no Figure-2 view after b"; fi

name=v_validates_now
$T send-keys -t $M v
if wait_for $M 'validation CE [0-9.]+ \([0-9.]+ bpc\) over 20 segments' 10; then ok $name
else bad $name $M "no validation message after v"; fi

name=help_overlay_opens_and_closes
$T send-keys -t $M '?'
if wait_for $M 'memscope help' 5 && wait_for $M 'Space +pause / resume training' 1; then
    $T send-keys -t $M Escape
    sleep 0.1
    if wait_for $M 'Where attention goes' 5 && ! screen $M | grep -q 'memscope help'; then ok $name
    else bad $name $M "Esc did not close the help"; fi
else bad $name $M "no help overlay after ?"; fi

name=s_saves_a_checkpoint_that_info_reads
$T send-keys -t $M s
if wait_for $M "saved to .*ck.safetensors \(step [0-9]+\)" 10; then
    info=$("$BIN" info "$TMP/ck.safetensors" 2>&1)
    if echo "$info" | grep -Eq 'd_model +32' && echo "$info" | grep -Eq 'compression_rate +3'; then ok $name
    else bad $name $M "memscope info said: $info"; fi
else bad $name $M "no 'saved to' message"; fi

name=q_asks_saves_and_restores_the_terminal
sleep 0.3 # some training after the save, so there is unsaved progress
$T send-keys -t $M q
if wait_for $M 'Save before quitting\?' 5; then
    $T send-keys -t $M y
    if wait_for $M '^EXITED 0' 15 && ! screen $M | grep -q 'Where attention goes' &&
        [ "$($T display -p -t $M '#{alternate_on}')" = 0 ] && grep -q 'saved to' "$TMP/main.err"; then ok $name
    else bad $name $M "no clean exit with the save reported"; fi
else bad $name $M "q did not ask about the unsaved progress"; fi

start dumb 80 24 "TERM=dumb" $TINY
name=a_terminal_that_cannot_draw_is_refused_in_one_line
if wait_for dumb '^EXITED 1' 10 && grep -q 'TERM=dumb cannot move the cursor.*set TERM' "$TMP/dumb.err"; then ok $name
else bad $name dumb "TERM=dumb was not refused with exit status 1 and a way out"; fi

# Hardening II: what the engine accepts beyond the panels is refused with the limit named; --save is checked
# before the TUI starts; a save-and-quit whose save fails keeps the TUI open with the error.
for shape in "n_layers=20:the 16 layers" "n_heads=16:the 8 heads"; do
    key=${shape%%:*}
    start limit 100 30 "TERM=xterm-256color LANG=C.UTF-8" $TINY --set d_model=32 --set "$key"
    name="tui_refuses_${key%%=*}_beyond_what_it_shows"
    if wait_for limit '^EXITED 2' 10 && [ "$(wc -l <"$TMP/limit.err")" -eq 1 ] && grep -q "${shape#*:}" "$TMP/limit.err"; then ok $name
    else bad $name limit "not refused in one line naming ${shape#*:}: $(cat "$TMP/limit.err")"; fi
    $T kill-session -t limit 2>/dev/null
done

start nosave 100 30 "TERM=xterm-256color LANG=C.UTF-8" $TINY --save /nonexistent/x.safetensors
name=tui_checks_save_before_it_starts
if wait_for nosave '^EXITED 1' 10 && grep -q 'directory /nonexistent does not exist' "$TMP/nosave.err"; then ok $name
else bad $name nosave "--save /nonexistent/x.safetensors was not refused at start"; fi
$T kill-session -t nosave 2>/dev/null

mkdir -p "$TMP/ro"
start quitfail 120 40 "TERM=xterm-256color LANG=C.UTF-8" $TINY --save "$TMP/ro/ck.safetensors"
name=failed_save_at_quit_keeps_the_tui_open_with_the_error
if wait_step_above quitfail 3 20; then
    rmdir "$TMP/ro" # the directory is gone: the save at quit fails
    $T send-keys -t quitfail q
    wait_for quitfail 'Save before quitting\?' 5 && $T send-keys -t quitfail y
    if wait_for quitfail 'not quitting' 10 && ! screen quitfail | grep -q '^EXITED'; then
        $T send-keys -t quitfail /
        sleep 0.2
        $T send-keys -t quitfail ':quit!' Enter
        if wait_for quitfail '^EXITED 0' 10; then ok $name
        else bad $name quitfail ":quit! did not leave"; fi
    else bad $name quitfail "the TUI left (or showed no error) after a failed save at quit"; fi
else bad $name quitfail "training did not start"; fi
$T kill-session -t quitfail 2>/dev/null

# --- export, indicators, STOPPED n, the prompt kept in view, the TUI's JSONL log --------------
mkdir -p "$TMP/run"
START_DIR="$TMP/run" start extras 120 40 "TERM=xterm-256color LANG=C.UTF-8" tui $TINY --max-steps 5
# The default preset on the built-in corpus: a whole-split validation takes seconds, long enough to watch.
start valid 120 40 "TERM=xterm-256color LANG=C.UTF-8" tui --data builtin --threads 1 --valid-every 1 \
    --log "$TMP/valid.jsonl" --save "$TMP/valid.safetensors"
$T pipe-pane -t valid "cat >>'$TMP/valid.raw'" # every frame drawn, also the short ones

name=stopped_n_steps_one_segment
if wait_for extras '^ STOPPED +step 5 ' 15; then
    $T send-keys -t extras n
    if wait_for extras '^ STOPPED +step 6 ' 5; then ok $name
    else bad $name extras "n after --max-steps did not step once (or left STOPPED)"; fi
else bad $name extras "no STOPPED at step 5"; fi

name=d_and_dump_write_the_screen_as_svg_txt_ans
$T send-keys -t extras d
if wait_for extras 'wrote memscope-step6-[0-9]{8}-[0-9]{6}\.svg' 5; then
    svg=$(ls "$TMP"/run/memscope-step6-*.svg 2>/dev/null | head -n 1)
    $T send-keys -t extras / ":dump $TMP/shot.txt" Enter ":dump $TMP/shot.ans" Enter ":dump $TMP/shot.txt" Enter
    wait_for extras 'shot.txt exists; not overwritten' 5
    well_formed=1
    if command -v xmllint >/dev/null 2>&1; then xmllint --noout "$svg" 2>/dev/null || well_formed=0
    elif command -v python3 >/dev/null 2>&1; then python3 -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])' "$svg" || well_formed=0
    fi
    if [ -s "$svg" ] && [ $well_formed = 1 ] && grep -q 'Where attention goes' "$svg" && grep -q '<svg ' "$svg" &&
        grep -q 'Where attention goes' "$TMP/shot.txt" && grep -q "$(printf '\033')\[" "$TMP/shot.ans"; then ok $name
    else bad $name extras "svg '$svg' (well-formed $well_formed), shot.txt or shot.ans missing or wrong"; fi
else bad $name extras "no 'wrote memscope-step6-....svg' after d"; fi
$T send-keys -t extras Escape

name=prompt_stays_above_a_long_continuation
$T send-keys -t extras / ':len 1500' Enter 'KING OSWALD:' Enter
if wait_for extras 'generated 1500 characters' 20; then
    first=$(screen extras | awk '/── Output/ {getline; print; exit}')
    if echo "$first" | grep -q '^KING OSWALD:'; then ok $name
    else bad $name extras "the output pane's first row is '$first', not the prompt"; fi
else bad $name extras "no 'generated 1500 characters'"; fi
$T send-keys -t extras Escape b
sleep 0.2
$T send-keys -t extras Escape
name=esc_leaves_the_figure2_view
if wait_for extras 'Where attention goes' 5; then ok $name; else bad $name extras "Esc did not leave the Figure-2 view"; fi
$T send-keys -t extras / ':quit!' Enter

name=validating_shows_progress_and_space_pauses_meanwhile
if wait_for valid '^ VALIDATING [0-9]+/[0-9]+ ' 60; then
    $T send-keys -t valid ' '
    if wait_for valid '^ VALIDATING [0-9]+/[0-9]+ +PAUSED ' 5; then ok $name
    else bad $name valid "Space during the validation did not show PAUSED"; fi
else bad $name valid "no 'VALIDATING n/N' badge with --valid-every 1"; fi

name=saving_shows_in_the_status_line
wait_for valid '^ PAUSED ' 120
$T send-keys -t valid s
if wait_for valid 'saved to .*valid.safetensors' 30 && grep -q 'SAVING' "$TMP/valid.raw"; then ok $name
else bad $name valid "no SAVING badge drawn while saving (or no 'saved to')"; fi

name=tui_log_writes_the_jsonl_of_train
$T send-keys -t valid / ':quit!' Enter
if wait_for valid '^EXITED 0' 20 && head -n 1 "$TMP/valid.jsonl" | grep -q '^{"type":"header","version":' &&
    grep -Eq '^\{"type":"step","step":[0-9]+,"time":[0-9.]+,"ce":' "$TMP/valid.jsonl" &&
    grep -Eq '"type":"valid","kind":"periodic".*"ce":[0-9.]+' "$TMP/valid.jsonl" &&
    { ! command -v python3 >/dev/null 2>&1 ||
      python3 -c 'import json, sys; [json.loads(l) for l in open(sys.argv[1])]' "$TMP/valid.jsonl"; }; then ok $name
else bad $name valid "the --log file has no step and validation records, or a line that is not JSON"; fi

echo "e2e: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
