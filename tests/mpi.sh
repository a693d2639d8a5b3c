#!/bin/sh
# memscope-mpi under `mpirun -np 2`: data parallelism must be the one-process run.
#   - 2 ranks × 1 thread against 1 process × 2 threads: the same losses step by step, the same validation
#     and a byte-identical checkpoint (2 ranks sum a + b, the threads a + b: the same floats); against
#     1 process × 1 thread (another summation order) |ΔCE| ≤ 1e-5;
#   - cross-resume: a 2-rank checkpoint continues in one process and a one-process checkpoint on 2 ranks,
#     each giving the losses of the uninterrupted run;
#   - a batch that does not split: one error naming B and N; rank 0 alone prints; the log records N;
#   - the gradient sum started after the backward pass (the default), layer by layer, or waited for at once;
#     most-used and dilated + autoencode compression: the same checkpoint bytes as one process;
#   - SIGTERM to mpirun: one save after the current step; a killed rank takes the job down and the last
#     checkpoint loads; ranks whose parameters drift apart stop with an error;
#   - the TUI on 2 ranks (in tmux): a rate change takes effect on both at the same step, save and quit; a
#     drifting rank is reported on the screen.
# Ends with "mpi: N passed, N failed" for tests/run_all.sh. Without Open MPI it says so and passes nothing,
# unless MEMSCOPE_REQUIRE_MPI=1 (CI): then it installs Open MPI, and without it fails.
#   usage: sh tests/mpi.sh      env: MEMSCOPE_BIN, MEMSCOPE_MPI_BIN
set -u
cd "$(dirname "$0")/.."
M=${MEMSCOPE_BIN:-build/memscope}
MM=${MEMSCOPE_MPI_BIN:-build/memscope-mpi}
have_mpi() { command -v mpirun >/dev/null 2>&1 && pkg-config --exists ompi-c 2>/dev/null; }
# CI installs it here, as make test installs the build packages
[ "${MEMSCOPE_REQUIRE_MPI:-0}" = 1 ] && ! have_mpi && MEMSCOPE_WITH_MPI=1 sh tests/install_deps.sh
if ! have_mpi; then
    echo "mpi: Open MPI is not installed (make mpi installs it); no MPI test ran"
    if [ "${MEMSCOPE_REQUIRE_MPI:-0}" = 1 ]; then echo "mpi: 0 passed, 1 failed"; exit 1; fi
    echo "mpi: 0 passed, 0 failed"
    exit 0
fi
if ! make --no-print-directory -s WERROR=1 "$MM" >/dev/null; then
    echo "FAIL build_memscope_mpi"
    echo "mpi: 0 passed, 1 failed"
    exit 1
fi
# The allreduce algorithm is pinned (ring) so that the sum order does not depend on Open MPI's choice.
# No single-copy (CMA) transfers: containers often forbid process_vm_readv.
RUN="mpirun --allow-run-as-root --oversubscribe --mca coll_tuned_use_dynamic_rules 1 --mca coll_tuned_allreduce_algorithm 4 --mca btl_vader_single_copy_mechanism none -np 2"
W=$(mktemp -d "${TMPDIR:-/tmp}/memscope-mpi-XXXXXX")
BG=""
cleanup() {
    [ -n "$BG" ] && kill -9 "$BG" 2>/dev/null
    command -v tmux >/dev/null 2>&1 && tmux -L "memscope-mpi-$$" kill-server 2>/dev/null
    rm -rf "$W"
}
trap cleanup EXIT
. tests/suite_lib.sh

# The labml preset made small: compression and the AR loss from step 2, 8 streams.
SMALL="--preset labml --set d_model=32 --set n_heads=2 --set n_layers=2 --set d_ff=64 --set c_mem_len=16 --set batch_size=8"
small_text 30000 >"$W/text.txt"
DATA="$W/text.txt"
# The losses of a --log file: its step records (not a header or validation record) without the timing.
losses() { grep -h '"ce":' "$@" | grep -v '"type":"valid"' | sed 's/,"time":[0-9.e+-]*//; s/,"tokens_per_s":[0-9.]*//'; }
ck_step() { "$M" info "$1" 2>/dev/null | awk '$1 == "step" { print $2 }'; }
lines() { if [ -f "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi; }
wait_lines() {
    i=0
    while [ "$(lines "$1")" -lt "$2" ] && [ $i -lt 3000 ]; do sleep 0.01; i=$((i + 1)); done
}
# max |ΔCE| over the step lines of two logs
max_dce() {
    losses "$1" | sed 's/.*"ce":\([^,]*\),.*/\1/' >"$W/ce1"
    losses "$2" | sed 's/.*"ce":\([^,]*\),.*/\1/' >"$W/ce2"
    paste "$W/ce1" "$W/ce2" | awk '{ d = $1 - $2; if (d < 0) d = -d; if (d > m) m = d } END { printf "%g\n", m + 0 }'
}

# ---------------------------------------------------------------------------------------------------------
# Equivalence: 2 ranks × 1 thread = 1 process × 2 threads, exactly

"$M" train --data "$DATA" $SMALL --steps 30 --threads 2 --log "$W/one.log" --save "$W/one.ck" >"$W/one.out" 2>/dev/null
$RUN "$MM" train --data "$DATA" $SMALL --steps 30 --threads 1 --log "$W/two.log" --save "$W/two.ck" >"$W/two.out" \
    2>"$W/two.err"
st=$?
losses "$W/two.log" >"$W/two.log.losses"
if [ $st -eq 0 ] && [ "$(wc -l <"$W/two.log.losses")" -eq 30 ] && losses "$W/one.log" | cmp -s - "$W/two.log.losses"; then
    pass "two_ranks_give_the_losses_of_one_process_with_two_threads"
else
    fail "two_ranks_give_the_losses_of_one_process_with_two_threads" "exit $st" "$(head -5 "$W/two.err")"
fi
if cmp -s "$W/one.ck" "$W/two.ck"; then pass "two_ranks_save_the_checkpoint_one_process_saves"
else fail "two_ranks_save_the_checkpoint_one_process_saves" "the checkpoints differ"; fi
v1=$(grep '^valid ce' "$W/one.out")
v2=$(grep '^valid ce' "$W/two.out")
if [ -n "$v1" ] && [ "$v1" = "$v2" ]; then pass "validation_split_by_stream_equals_one_process ($v2)"
else fail "validation_split_by_stream_equals_one_process" "one: '$v1'" "two: '$v2'"; fi

# The gradient sums started layer by layer during the backward pass, or waited for at once, instead of the
# whole block's after the backward pass.
for overlap in layer 0; do
    $RUN -x MEMSCOPE_MPI_OVERLAP=$overlap "$MM" train --data "$DATA" $SMALL --steps 30 --threads 1 --save "$W/x2.ck" \
        >/dev/null 2>&1
    if cmp -s "$W/one.ck" "$W/x2.ck"; then pass "two_ranks_with_overlap_${overlap}_save_what_one_process_saves"
    else fail "two_ranks_with_overlap_${overlap}_save_what_one_process_saves" "the checkpoints differ"; fi
    rm -f "$W/x2.ck"
done

# The other compression functions and losses: most-used reads each stream's attention usage, dilated with the
# autoencode loss trains decoders through the AR gradients.
for extra in "--set compress=most-used" "--set compress=dilated --set compress_loss=autoencode"; do
    "$M" train --data "$DATA" $SMALL $extra --steps 30 --threads 2 --save "$W/x1.ck" >/dev/null 2>&1
    $RUN "$MM" train --data "$DATA" $SMALL $extra --steps 30 --threads 1 --save "$W/x2.ck" >/dev/null 2>&1
    name="two_ranks_save_what_one_process_saves_with_$(echo "$extra" | sed 's/--set //g; s/ /_/g')"
    if [ -s "$W/x1.ck" ] && cmp -s "$W/x1.ck" "$W/x2.ck"; then pass "$name"; else fail "$name" "the checkpoints differ"; fi
    rm -f "$W/x1.ck" "$W/x2.ck"
done

"$M" train --data "$DATA" $SMALL --steps 30 --threads 1 --log "$W/one1.log" >/dev/null 2>&1
d=$(max_dce "$W/one1.log" "$W/two.log")
if awk -v d="$d" 'BEGIN { exit !(d <= 1e-5) }' && [ "$(losses "$W/one1.log" | wc -l)" -eq 30 ]; then
    pass "two_ranks_within_1e-5_of_one_thread (max |dCE| $d)"
else fail "two_ranks_within_1e-5_of_one_thread" "max |dCE| $d"; fi

# Rank 0 alone prints and logs; the log records N.
n=$(grep -c "parameters" "$W/two.err")
if [ "$n" -eq 1 ] && [ "$(grep -c '^valid ce' "$W/two.out")" -eq 1 ] && head -1 "$W/two.log" | grep -q '"ranks":2' &&
   grep -q "2 ranks × 4 streams" "$W/two.err"; then
    pass "rank_0_alone_prints_and_the_log_records_the_ranks"
else fail "rank_0_alone_prints_and_the_log_records_the_ranks" "$n header lines" "$(head -1 "$W/two.log")"; fi

# ---------------------------------------------------------------------------------------------------------
# Cross-resume: 15 steps on 2 ranks then 15 in one process, and the other way, = 30 uninterrupted

$RUN "$MM" train --data "$DATA" $SMALL --steps 15 --threads 1 --log "$W/a.log" --save "$W/half2.ck" >/dev/null 2>&1
"$M" train --data "$DATA" --load "$W/half2.ck" --steps 15 --threads 2 --log "$W/b.log" >/dev/null 2>&1
if losses "$W/a.log" "$W/b.log" | cmp -s - "$W/two.log.losses"; then pass "two_rank_checkpoint_resumes_in_one_process"
else fail "two_rank_checkpoint_resumes_in_one_process" "the losses differ from the uninterrupted run"; fi

"$M" train --data "$DATA" $SMALL --steps 15 --threads 2 --log "$W/c.log" --save "$W/half1.ck" >/dev/null 2>&1
$RUN "$MM" train --data "$DATA" --load "$W/half1.ck" --steps 15 --threads 1 --log "$W/d.log" >/dev/null 2>&1
if losses "$W/c.log" "$W/d.log" | cmp -s - "$W/two.log.losses"; then pass "one_process_checkpoint_resumes_on_two_ranks"
else fail "one_process_checkpoint_resumes_on_two_ranks" "the losses differ from the uninterrupted run"; fi

# ---------------------------------------------------------------------------------------------------------
# Errors

$RUN "$MM" train --data "$DATA" $SMALL --set batch_size=7 --steps 2 --threads 1 >/dev/null 2>"$W/err"
st=$?
if [ $st -ne 0 ] && [ "$(grep -c 'batch_size 7 does not split over 2 ranks' "$W/err")" -eq 1 ] &&
   [ "$(grep -c '^memscope' "$W/err")" -eq 1 ]; then
    pass "batch_that_does_not_split_is_one_error_naming_B_and_N"
else fail "batch_that_does_not_split_is_one_error_naming_B_and_N" "exit $st" "$(cat "$W/err")"; fi

MEMSCOPE_MPI_TEST_NUDGE_RANK=1 $RUN -x MEMSCOPE_MPI_TEST_NUDGE_RANK "$MM" train --data "$DATA" $SMALL --steps 150 \
    --threads 1 --log "$W/drift.log" >/dev/null 2>"$W/err"
st=$?
if [ $st -ne 0 ] && grep -q "parameters have drifted apart" "$W/err" && [ "$(losses "$W/drift.log" | wc -l)" -eq 100 ]; then
    pass "ranks_that_drift_apart_stop_at_the_checksum"
else fail "ranks_that_drift_apart_stop_at_the_checksum" "exit $st" "$(grep memscope "$W/err")"; fi

# ---------------------------------------------------------------------------------------------------------
# Faults: SIGTERM to mpirun saves once after the current step; a killed rank takes the job down

rm -f "$W/sig.ck"
$RUN "$MM" train --data "$DATA" $SMALL --steps 1000000 --threads 1 --save "$W/sig.ck" --log "$W/sig.log" \
    >/dev/null 2>"$W/err" &
BG=$!
wait_lines "$W/sig.log" 200
kill -TERM $BG
wait $BG
BG=""
n=$(losses "$W/sig.log" | wc -l | tr -d ' ')
step=$(ck_step "$W/sig.ck")
if [ "$step" = "$n" ] && [ "$(grep -c 'stopped after step' "$W/err")" -eq 1 ] && [ "$n" -ge 200 ] &&
   "$M" train --data "$DATA" --load "$W/sig.ck" --steps 1 --threads 1 >/dev/null 2>&1; then
    pass "sigterm_to_mpirun_stops_every_rank_after_one_step_with_one_save (step $n)"
else fail "sigterm_to_mpirun_stops_every_rank_after_one_step_with_one_save" "$n log lines, checkpoint step '$step'" \
    "$(grep memscope "$W/err")"; fi

rm -f "$W/kill.ck"
$RUN "$MM" train --data "$DATA" $SMALL --steps 1000000 --threads 1 --save "$W/kill.ck" --save-every 50 \
    --log "$W/kill.log" >/dev/null 2>"$W/err" &
BG=$!
wait_lines "$W/kill.log" 180
rank1=$(pgrep -P $BG -f memscope-mpi | tail -1)
[ -n "$rank1" ] && kill -9 "$rank1"
i=0
while kill -0 $BG 2>/dev/null && [ $i -lt 1000 ]; do sleep 0.01; i=$((i + 1)); done
if kill -0 $BG 2>/dev/null; then gone=0; kill -9 $BG; else gone=1; fi
wait $BG
st=$?
BG=""
step=$(ck_step "$W/kill.ck")
if [ -n "$rank1" ] && [ $gone -eq 1 ] && [ $st -ne 0 ] && [ -n "$step" ] && [ $((step % 50)) -eq 0 ] && [ "$step" -ge 150 ] &&
   "$M" train --data "$DATA" --load "$W/kill.ck" --steps 1 --threads 1 >/dev/null 2>&1; then
    pass "a_killed_rank_takes_the_job_down_and_the_last_checkpoint_loads (step $step)"
else fail "a_killed_rank_takes_the_job_down_and_the_last_checkpoint_loads" "rank 1 pid '$rank1', job gone $gone, exit $st, checkpoint step '$step'"; fi

# ---------------------------------------------------------------------------------------------------------
# memscope-mpi tui: rank 0 draws on MEMSCOPE_TTY; a rate change reaches rank 1 at the same step (checked by
# the parameter checksum after every step); save and quit; a drifting rank is reported on the screen

S="tui-mpi-$$"
T="tmux -L memscope-mpi-$$"
# start_tui EXTRA_ENV: runs the TUI on 2 ranks in a tmux session; its exit status goes to $W/tui.rc
start_tui() {
    rm -f "$W/tui.rc"
    $T new-session -d -s $S -x 160 -y 50 "MEMSCOPE_TTY=\$(tty) MEMSCOPE_MPI_CHECK_EVERY=1 $1 $RUN --stdin none \
        -x MEMSCOPE_TTY -x MEMSCOPE_MPI_CHECK_EVERY ${1:+-x ${1%%=*}} $MM tui --data $DATA $SMALL --threads 1 \
        --save $W/tui.ck 2>$W/tui.err; echo \$? >$W/tui.rc; sleep 30"
}
screen() { $T capture-pane -p -t $S 2>/dev/null; }
# wait_screen PATTERN [SECONDS]: until the screen shows PATTERN
wait_screen() {
    i=0
    while ! screen | grep -q -- "$1" && [ $i -lt $((${2:-20} * 10)) ]; do sleep 0.1; i=$((i + 1)); done
    screen | grep -q -- "$1"
}
screen_step() { screen | head -1 | sed -n 's/.*step \([0-9]*\).*/\1/p'; }
if ! command -v tmux >/dev/null 2>&1 || ! $T new-session -d -s probe "sleep 1" 2>/dev/null; then
    echo "mpi: tmux cannot start here; the TUI tests did not run"
else
    start_tui ""
    if wait_screen "ranks 2, allreduce" 30 && wait_screen "c=2 " && $T send-keys -t $S '+' && wait_screen "c=3 " 10; then
        s0=$(screen_step)
        i=0
        while [ "$(screen_step)" -lt $((s0 + 10)) ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
        $T send-keys -t $S ' '
        wait_screen "PAUSED" 10
        drift=$(screen | grep -c "drifted")
        $T send-keys -t $S q
        wait_screen "Save before quitting" 10
        $T send-keys -t $S y
        i=0
        while [ ! -f "$W/tui.rc" ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
        rate=$("$M" info "$W/tui.ck" 2>/dev/null | awk '$1 == "compression_rate" { print $2 }')
        if [ "$drift" -eq 0 ] && [ "$(cat "$W/tui.rc" 2>/dev/null)" = 0 ] && [ "$rate" = 3 ] &&
           "$M" train --data "$DATA" --load "$W/tui.ck" --steps 1 --threads 1 >/dev/null 2>&1; then
            pass "tui_on_two_ranks_changes_the_rate_on_both_in_lock_step_and_saves (from step $s0)"
        else fail "tui_on_two_ranks_changes_the_rate_on_both_in_lock_step_and_saves" "drift lines $drift," \
            "exit '$(cat "$W/tui.rc" 2>/dev/null)', rate in the checkpoint '$rate'" "$(cat "$W/tui.err")"; fi
    else fail "tui_on_two_ranks_changes_the_rate_on_both_in_lock_step_and_saves" "$(screen | head -3)" "$(cat "$W/tui.err")"; fi
    $T kill-session -t $S 2>/dev/null

    start_tui "MEMSCOPE_MPI_TEST_NUDGE_RANK=1"
    if wait_screen "drifted apart" 30 && wait_screen "PAUSED" 5; then pass "tui_reports_ranks_that_drift_apart_and_stops"
    else fail "tui_reports_ranks_that_drift_apart_and_stops" "$(screen | head -3)"; fi
    $T kill-server 2>/dev/null
fi

echo "mpi: $passed passed, $failed failed"
[ $failed -eq 0 ]
