#!/bin/sh
# End-to-end tests of memscope watch and memscope demo: the real binary inside tmux (send-keys, capture-pane),
# on a tiny model trained here for a few seconds. The last line is "e2ewatch: N passed, N failed".
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BIN=${MEMSCOPE_E2E_BIN:-$ROOT/build/memscope}

SUITE=e2ewatch
. tests/tmux_suite.sh

# start NAME "ENV" ARGS...: memscope in a 120x40 tmux session; "EXITED <status>" and its stderr follow.
start() {
    name=$1 envs=$2
    shift 2
    mkdir -p "$TMP/run"
    cat >"$TMP/$name.sh" <<EOS
cd "$TMP/run"
env TERM=xterm-256color LANG=C.UTF-8 HOME="$TMP" XDG_STATE_HOME="$TMP" $envs "$BIN" $* 2>"$TMP/$name.err"
echo "EXITED \$?"
cat "$TMP/$name.err"
sleep 120
EOS
    $T new-session -d -s "$name" -x 120 -y 40 "sh $TMP/$name.sh"
}
wait_gone() {
    deadline=$(($(date +%s) + ${3:-10}))
    while [ "$(date +%s)" -le "$deadline" ]; do
        screen "$1" | grep -Eq -- "$2" || return 0
        sleep 0.05
    done
    return 1
}
ok() { passed=$((passed + 1)); echo "PASS e2ewatch $1"; }
bad() {
    failed=$((failed + 1))
    echo "FAIL e2ewatch $1: $3"
    [ -n "$2" ] && { echo "---- screen of $2 ----"; screen "$2"; echo "---- stderr ----"; cat "$TMP/$2.err" 2>/dev/null; }
}

# a text and a tiny model of it (Q 16, N_m 16, N_cm 16, c 2): compression from the second segment on
for i in $(seq 40); do cat tests/golden/labml_tiny.txt; done >"$TMP/text.txt"
if ! "$BIN" train --data "$TMP/text.txt" --steps 20 --threads 1 --set d_model=32 --set n_heads=2 --set n_layers=2 \
    --set d_ff=64 --set seq_len=16 --set mem_len=16 --set c_mem_len=16 --set compression_rate=2 --set batch_size=4 \
    --save "$TMP/model.safetensors" >/dev/null 2>&1 ||
    ! "$BIN" export --weights-only --half "$TMP/model.safetensors" "$TMP/demo.safetensors" 2>/dev/null; then
    echo "e2ewatch: could not train the tiny model"
    echo "e2ewatch: 0 passed, 1 failed"
    exit 1
fi
SUM=$(md5sum <"$TMP/model.safetensors")

name=watch_without_a_terminal_is_refused_in_one_line
out=$("$BIN" watch --load "$TMP/model.safetensors" --data "$TMP/text.txt" </dev/null 2>&1 >/dev/null)
if [ $? -eq 2 ] && [ "$(echo "$out" | wc -l)" -eq 1 ] && echo "$out" | grep -q 'not a terminal'; then ok $name
else bad $name "" "said: $out"; fi

name=demo_without_the_shipped_model_says_what_to_run
out=$(MEMSCOPE_DEMO_MODEL="$TMP/none.safetensors" "$BIN" demo 2>&1 >/dev/null)
if [ $? -eq 1 ] && [ "$(echo "$out" | wc -l)" -eq 1 ] && echo "$out" | grep -q 'run `make demo-model`'; then ok $name
else bad $name "" "said: $out"; fi

name=watch_refuses_an_empty_text_and_a_bad_or_too_long_measure
out1=$("$BIN" watch --load "$TMP/model.safetensors" --text "" 2>&1 >/dev/null); rc1=$?
out2=$("$BIN" watch --load "$TMP/model.safetensors" --data "$TMP/text.txt" --measure 300abc 2>&1 >/dev/null); rc2=$?
out3=$("$BIN" watch --load "$TMP/model.safetensors" --data "$TMP/text.txt" --measure 500 2>&1 >/dev/null); rc3=$?
if [ $rc1 -eq 2 ] && [ "$(echo "$out1" | wc -l)" -eq 1 ] && echo "$out1" | grep -q -- '--text is empty' &&
    [ $rc2 -eq 2 ] && [ "$(echo "$out2" | wc -l)" -eq 1 ] && echo "$out2" | grep -q -- "--measure '300abc' is not valid" &&
    [ $rc3 -eq 2 ] && [ "$(echo "$out3" | wc -l)" -eq 1 ] && echo "$out3" | grep -Eq -- "--measure 500 is more than the text's [0-9]+ segments"
then ok $name
else bad $name "" "said ($rc1, $rc2, $rc3): $out1 | $out2 | $out3"; fi

name=watch_refuses_more_heads_than_the_screen_shows
if "$BIN" train --data "$TMP/text.txt" --steps 1 --threads 1 --set d_model=32 --set n_heads=16 --set n_layers=1 \
    --set d_ff=64 --set seq_len=16 --set mem_len=16 --set c_mem_len=16 --set compression_rate=2 --set batch_size=2 \
    --save "$TMP/heads16.safetensors" >/dev/null 2>&1; then
    start h16 "" watch --load "$TMP/heads16.safetensors" --data "$TMP/text.txt"
    name=watch_refuses_more_heads_than_the_screen_shows # start sets name
    if wait_for h16 '^EXITED 2' 15 && [ "$(wc -l <"$TMP/h16.err")" -eq 1 ] &&
        grep -q 'the model has 16 heads, more than the 8 the screen shows' "$TMP/h16.err"; then ok $name
    else bad $name h16 "not refused in one line with exit 2"; fi
else bad $name "" "could not train a 16-head model"; fi

name=a_long_jump_shows_progress_and_esc_stops_it
for i in $(seq 20000); do cat tests/golden/labml_tiny.txt; done >"$TMP/big.txt"
start j "" watch --load "$TMP/model.safetensors" --data "$TMP/big.txt" --threads 1
name=a_long_jump_shows_progress_and_esc_stops_it
if wait_for j 'read 0 of' 15; then
    $T send-keys -t j g 3 0 0 0 0 0 0 Enter
    if wait_for j 'jumping to character 3000000: [0-9]+ of [0-9]+ segments · Esc stops here' 10 && $T send-keys -t j Escape &&
        wait_for j 'jump to character 3000000 stopped at character [0-9]+' 5 && ! screen j | grep -q 'read 0 of'; then
        $T send-keys -t j g 3 0 0 0 0 0 0 Enter
        if wait_for j 'jumping to character 3000000' 10 && $T send-keys -t j q && wait_for j '^EXITED 0' 5; then ok $name
        else bad $name j "q did not quit during a jump"; fi
    else bad $name j "no progress on the status line, or Esc did not stop the jump"; fi
else bad $name j "did not open"; fi

start w "" watch --load "$TMP/model.safetensors" --data "$TMP/text.txt" --threads 1
name=watch_opens_still
if wait_for w 'STILL +read 0 of [0-9]+ characters' 15 && sleep 0.5 && screen w | grep -q 'read 0 of'; then ok $name
else bad $name w "not still at 0"; fi

name=n_reads_a_segment_and_p_goes_back
$T send-keys -t w n
if wait_for w 'read 16 of' 5; then
    $T send-keys -t w n
    if wait_for w 'read 32 of .*segment 2/' 5 && $T send-keys -t w p && wait_for w 'read 16 of .*segment 1/' 5 &&
        $T send-keys -t w Right && wait_for w 'read 32 of' 5; then ok $name
    else bad $name w "n, p and Right did not move 16 characters at a time"; fi
else bad $name w "n did not read 16 characters"; fi

name=the_screen_shows_attention_text_and_compression
if screen w | grep -q "Attention of '.*' (character 31" && screen w | grep -q 'reads most from' &&
    screen w | grep -q 'this segment compressed .* → slot #' && screen w | grep -q 'reconstruction error per layer' &&
    screen w | grep -Eq 'CE [0-9.]+ · bpc [0-9.]+'; then ok $name
else bad $name w "a panel is missing"; fi

name=up_picks_an_earlier_query_character
$T send-keys -t w Up Up
if wait_for w "Attention of '.*' \(character 29" 5; then ok $name
else bad $name w "Up did not move the query"; fi

name=g_jumps_to_a_character
$T send-keys -t w g 2 0 0 Enter
if wait_for w 'read 208 of .*segment 13/' 10; then ok $name
else bad $name w "g 200 did not land on segment 13"; fi

name=space_plays_and_pauses
$T send-keys -t w Space
if wait_for w 'PLAYING' 5 && wait_for w 'read (2[4-9][0-9]|[3-9][0-9][0-9]|[0-9]{4,}) of' 10; then
    $T send-keys -t w Space
    if wait_for w 'STILL' 5; then ok $name; else bad $name w "Space did not pause"; fi
else bad $name w "Space did not play"; fi

name=d_dumps_the_watch_screen_as_svg
$T send-keys -t w d
if wait_for w 'wrote memscope-step[0-9]+-[0-9]{8}-[0-9]{6}\.svg' 5; then
    svg=$(ls "$TMP"/run/memscope-step*.svg 2>/dev/null | head -n 1)
    well_formed=1
    if command -v xmllint >/dev/null 2>&1; then xmllint --noout "$svg" 2>/dev/null || well_formed=0; fi
    if [ -s "$svg" ] && [ $well_formed = 1 ] && grep -q 'read [0-9]* of' "$svg"; then ok $name
    else bad $name w "'$svg' is missing, not well-formed, or lacks the status line"; fi
else bad $name w "no 'wrote memscope-step....svg' after d"; fi

# cmd COMMAND [SESSION]: ':' then the command typed literally, then Enter
cmd() { $T send-keys -t "${2:-w}" -l ":$1" && $T send-keys -t "${2:-w}" Enter; }

name=colon_dump_writes_the_screen_as_text
cmd 'dump x.txt'
if wait_for w 'wrote x\.txt' 5 && grep -Eq 'read [0-9]+ of [0-9]+ characters' "$TMP/run/x.txt" &&
    ! grep -q "$(printf '\033')" "$TMP/run/x.txt"; then ok $name
else bad $name w "no x.txt with the status line, or escapes in it"; fi

name=colon_dump_data_writes_the_numbers_behind_the_view
read_now=$(screen w | sed -n 's/.*read \([0-9]*\) of.*/\1/p' | head -n 1)
cmd 'dump-data x.csv'
if wait_for w 'wrote x\.csv: the numbers behind the view' 5 &&
    head -n 1 "$TMP/run/x.csv" | grep -q '^series,layer,head,query,key,group,first,last,age,value,text$' &&
    [ "$(grep -c '^attention,0,mean,' "$TMP/run/x.csv")" -gt 16 ] && grep -q '^query,0,mean,' "$TMP/run/x.csv" &&
    [ "$(grep -c '^reconstruction,' "$TMP/run/x.csv")" -eq 2 ] &&
    grep -q "^read,,,,,,,,,$read_now,\$" "$TMP/run/x.csv" && grep -Eq '^ce,,,,,,,,,[0-9.]+,$' "$TMP/run/x.csv"; then ok $name
else bad $name w "x.csv lacks the attention, reconstruction or summary rows (read $read_now): $(head -c 600 "$TMP/run/x.csv" 2>/dev/null)"; fi

name=colon_dump_data_json_is_valid_json
cmd 'dump-data x.json'
if wait_for w 'wrote x\.json' 5 && { ! command -v python3 >/dev/null 2>&1 ||
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["attention"]["slots"]) > 16 and d["read"] > 0' "$TMP/run/x.json"; }
then ok $name
else bad $name w "x.json missing or not the expected JSON"; fi

name=colon_dump_never_overwrites
before=$(md5sum <"$TMP/run/x.txt")$(md5sum <"$TMP/run/x.csv")
cmd 'dump x.txt'
if wait_for w 'x\.txt exists; not overwritten' 5; then
    cmd 'dump-data x.csv'
    if wait_for w 'x\.csv exists; not overwritten' 5 && [ "$(md5sum <"$TMP/run/x.txt")$(md5sum <"$TMP/run/x.csv")" = "$before" ]; then ok $name
    else bad $name w "x.csv was not refused, or a file changed"; fi
else bad $name w "x.txt was not refused"; fi

name=colon_unknown_command_names_the_valid_ones
cmd 'save'
if wait_for w 'unknown command :save; use :dump \[FILE\] or :dump-data FILE' 5; then
    $T send-keys -t w -l ':dump'
    $T send-keys -t w Escape
    if wait_gone w 'Enter runs, Esc cancels' 5 && ! ls "$TMP"/run/memscope-step*.svg 2>/dev/null | sed -n 2p | grep -q .; then ok $name
    else bad $name w "Esc did not cancel the command line"; fi
else bad $name w "no message naming the valid commands"; fi

name=q_quits_and_leaves_the_checkpoint_untouched
$T send-keys -t w q
if wait_for w '^EXITED 0' 10 && grep -q 'memscope watch: read [0-9]+ of' "$TMP/w.err" 2>/dev/null ||
    screen w | grep -q 'memscope watch: read'; then
    if [ "$(md5sum <"$TMP/model.safetensors")" = "$SUM" ]; then ok $name
    else bad $name w "the checkpoint changed"; fi
else bad $name w "no clean exit"; fi

start d "MEMSCOPE_DEMO_MODEL=$TMP/demo.safetensors" demo --data "$TMP/text.txt" --threads 1
name=demo_opens_still_with_the_guided_tour
if wait_for d 'A guided tour' 15 && screen d | grep -q '1\. The model reads' && screen d | grep -q 'read 0 of'; then ok $name
else bad $name d "no tour"; fi

name=demo_tour_closes_and_question_mark_brings_it_back
$T send-keys -t d Escape
if wait_gone d 'A guided tour' 5; then
    $T send-keys -t d '?'
    if wait_for d 'A guided tour' 5; then ok $name; else bad $name d "? did not bring the tour back"; fi
else bad $name d "Esc did not close the tour"; fi

name=demo_q_closes_the_tour_and_does_not_quit
$T send-keys -t d q
if wait_gone d 'A guided tour' 5 && sleep 0.3 && ! screen d | grep -q '^EXITED'; then
    $T send-keys -t d '?'
    wait_for d 'A guided tour' 5
    ok $name
else bad $name d "q did not close the tour, or quit"; fi

name=demo_colon_dump_data_writes_the_view
$T send-keys -t d Escape
$T send-keys -t d n
if wait_for d 'read 16 of' 5 && cmd 'dump-data demo.csv' d && wait_for d 'wrote demo\.csv' 5 &&
    grep -q '^attention,0,mean,' "$TMP/run/demo.csv" && grep -q '^read,,,,,,,,,16,$' "$TMP/run/demo.csv"; then ok $name
else bad $name d "no demo.csv with the view's numbers"; fi

name=demo_t_starts_training_from_the_shipped_model
$T send-keys -t d Escape
sleep 0.3
$T send-keys -t d t
if wait_for d '^ RUNNING' 20 && wait_for d 'threads 1( |$)' 5; then
    $T send-keys -t d q
    wait_for d 'Save before quitting' 5 && $T send-keys -t d n
    if wait_for d '^EXITED 0' 15; then ok $name; else bad $name d "the training TUI did not quit"; fi
else bad $name d "t did not start the training TUI"; fi

echo "e2ewatch: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
