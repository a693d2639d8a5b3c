#!/bin/sh
# Key-to-screen latency of the TUI under full training load: memscope in tmux at the default preset on
# Tiny Shakespeare (every core, unless THREADS is set), Space sent N times (default 20) and the screen
# polled every 5 ms until the status line answers (PAUSING, drawn by the UI at once) and until it says
# PAUSED (the trainer finished the step in flight); then Space again until RUNNING. Prints each latency
# and min/median/max in ms; the polling itself adds up to ~5 ms plus one capture. At the end
# the TUI's own draw times (MEMSCOPE_FRAME_STATS). A measurement, not a test: it asserts nothing.
set -u
cd "$(dirname "$0")/.."
BIN=${MEMSCOPE_BIN:-$(pwd)/build/memscope}
DATA=${DATA:-data/tinyshakespeare.txt}
[ -f "$DATA" ] || DATA=../shared/data/tinyshakespeare.txt
N=${N:-20}
SOCK="memscope-lat-$$"
T="tmux -L $SOCK"
TMP=$(mktemp -d)
trap '$T kill-server >/dev/null 2>&1; rm -rf "$TMP"' EXIT INT TERM
threads=${THREADS:+--threads $THREADS}
$T new-session -d -s lat -x 120 -y 40 \
    "cd $TMP && MEMSCOPE_FRAME_STATS=1 TERM=xterm-256color LANG=C.UTF-8 $BIN tui --data $(pwd)/$DATA $threads 2>$TMP/err; sleep 30"
now_ms() { date +%s%3N; }
wait_state() { # REGEX [T0]: ms from T0 (default now) until the first row matches (or 10 s)
    t0=${2:-$(now_ms)}
    while ! $T capture-pane -p -t lat | head -n 1 | grep -Eq "^ $1"; do
        [ $(($(now_ms) - t0)) -gt 10000 ] && { echo 10000; return; }
        sleep 0.005
    done
    echo $(($(now_ms) - t0))
}
wait_state RUNNING >/dev/null
sleep 5 # past the first steps
: >"$TMP/pause"
: >"$TMP/answer"
i=0
while [ $i -lt "$N" ]; do
    t0=$(now_ms)
    $T send-keys -t lat ' '
    wait_state 'PAUS(ING|ED)' "$t0" >>"$TMP/answer"
    wait_state PAUSED "$t0" >>"$TMP/pause"
    sleep 0.3
    $T send-keys -t lat ' '
    wait_state RUNNING >/dev/null
    sleep 0.7 # training at full load again
    i=$((i + 1))
done
summary() { sort -n "$1" | awk '{v[NR] = $1} END {printf "min %d  median %d  max %d ms over %d presses\n", v[1], v[int((NR + 1) / 2)], v[NR], NR}'; }
echo "Space -> the status line answers (PAUSING or PAUSED), ms: $(tr '\n' ' ' <"$TMP/answer")"
summary "$TMP/answer"
echo "Space -> PAUSED (the step in flight finished), ms: $(tr '\n' ' ' <"$TMP/pause")"
summary "$TMP/pause"
$T send-keys -t lat / ':quit!' Enter
sleep 2
$T capture-pane -p -t lat | grep -v '^$' | tail -n 3
cat "$TMP/err"
