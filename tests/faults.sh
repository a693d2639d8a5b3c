#!/bin/sh
# Faults during `memscope train`, at the process level (a run must survive its machine and its user):
#   - SIGINT, SIGTERM, SIGHUP: stop after the current step, save, exit 0; the resumed run continues exactly;
#   - kill -9 at random moments during saves (KILL_TRIALS of them): the checkpoint always loads, and
#     resuming from it gives the losses of an uninterrupted run;
#   - a full disk (a file size limit everywhere; a real tmpfs when running as root) and a directory that is
#     read-only, or becomes so mid-run: one clear error, the old checkpoint intact, training stops (default)
#     or goes on (--on-save-error continue); resuming afterwards is exact;
#   - plumbing: every command with stdout/stderr closed, full or a broken pipe, and output targets
#     that are a FIFO, a symlink, a directory, a device or an input;
#   - a short soak under ASan/LSan (tests/soak.sh): no leak, no error, resident memory reported.
# Ends with "faults: N passed, N failed" for tests/run_all.sh.
#   usage: sh tests/faults.sh        env: MEMSCOPE_BIN, MEMSCOPE_ASAN_BIN, KILL_TRIALS (30), SOAK_SECONDS (20)
set -u
cd "$(dirname "$0")/.."
M=${MEMSCOPE_BIN:-build/memscope}
MA=${MEMSCOPE_ASAN_BIN:-build/asan/memscope}
TRIALS=${KILL_TRIALS:-30}
W=$(mktemp -d "${TMPDIR:-/tmp}/memscope-faults-XXXXXX")
MNT=""
BG=""
cleanup() {
    [ -n "$BG" ] && kill -9 "$BG" 2>/dev/null
    [ -n "$MNT" ] && umount "$MNT" 2>/dev/null
    rm -rf "$W"
}
trap cleanup EXIT
. tests/suite_lib.sh

TINY="--set d_model=8 --set n_heads=2 --set n_layers=1 --set d_ff=8 --set seq_len=4 --set mem_len=4 --set c_mem_len=2 --set batch_size=2 --threads 1"
# ~200 KB of text over a small alphabet: 23,000 steps per epoch of the tiny config, 30 µs each
small_text 60000 >"$W/text.txt"
DATA="$W/text.txt"

# The step records of a --log file (its header and validation records are not steps).
lines() { if [ -f "$1" ]; then grep -c '"type":"step"' "$1"; else echo 0; fi; }
# The losses of a --log file without the timing: one line per step.
losses() { grep -h '"type":"step"' "$@" | sed 's/"time":[0-9.]*,//; s/,"tokens_per_s":[0-9.]*//'; }
ck_step() { "$M" info "$1" 2>/dev/null | awk '$1 == "step" { print $2 }'; }
# Waits until FILE has at least N step records (or 10 s pass).
wait_lines() {
    i=0
    while [ "$(lines "$1")" -lt "$2" ] && [ $i -lt 1000 ]; do sleep 0.01; i=$((i + 1)); done
}
rand() { # a number in [0, $1) from /dev/urandom
    echo $(( $(od -An -N4 -tu4 /dev/urandom | tr -d ' ') % $1 ))
}

# The reference: 20,000 uninterrupted steps from the start.
"$M" train --data "$DATA" $TINY --steps 20000 --log "$W/ref.log" >/dev/null 2>&1
losses "$W/ref.log" >"$W/ref.losses"

# ---------------------------------------------------------------------------------------------------------
# Signals: stop after the current step, save, exit 0; resume is exact

for sig in INT TERM HUP; do
    rm -f "$W/sig.ck" "$W/a.log" "$W/b.log"
    "$M" train --data "$DATA" $TINY --steps 20000 --save "$W/sig.ck" --log "$W/a.log" >"$W/out" 2>"$W/err" &
    BG=$!
    wait_lines "$W/a.log" $((500 + $(rand 3000)))
    kill -$sig $BG
    wait $BG
    st=$?
    BG=""
    n=$(lines "$W/a.log")
    step=$(ck_step "$W/sig.ck")
    if [ $st -eq 0 ] && [ "$step" = "$n" ] && grep -q "stopped after step $n" "$W/err" && [ "$n" -lt 20000 ]; then
        "$M" train --data "$DATA" $TINY --steps $((20000 - n)) --load "$W/sig.ck" --log "$W/b.log" >/dev/null 2>&1
        if losses "$W/a.log" "$W/b.log" | cmp -s - "$W/ref.losses"; then
            pass "sig${sig}_stops_saves_exits_0_and_resumes_exactly (stopped after step $n of 20000)"
        else
            fail "sig${sig}_stops_saves_exits_0_and_resumes_exactly" "resumed losses differ from the uninterrupted run"
        fi
    else
        fail "sig${sig}_stops_saves_exits_0_and_resumes_exactly" "exit $st, $n log lines, checkpoint step '$step'" \
            "$(cat "$W/err")"
    fi
done

# A second Ctrl-C quits at once (killed by SIGINT, or 0 if the first one's save already finished); the
# checkpoint on disk is whole either way.
"$M" train --data "$DATA" $TINY --steps 1000000 --save "$W/twice.ck" --save-every 1 --log "$W/t.log" >/dev/null 2>"$W/err" &
BG=$!
wait_lines "$W/t.log" 100
kill -INT $BG
kill -INT $BG
wait $BG
st=$?
BG=""
if { [ $st -eq 130 ] || [ $st -eq 0 ]; } && "$M" info "$W/twice.ck" >/dev/null 2>&1; then
    pass "second_sigint_quits_at_once_with_a_whole_checkpoint (exit $st)"
else
    fail "second_sigint_quits_at_once_with_a_whole_checkpoint" "exit $st" "$(cat "$W/err")"
fi

# ---------------------------------------------------------------------------------------------------------
# kill -9 during saves: the checkpoint always loads; resuming from it is exact

"$M" train --data "$DATA" $TINY --steps 1 --save "$W/base.ck" >/dev/null 2>&1
unloadable=0
mid_save=0
resumed=0
inexact=0
t=0
while [ $t -lt "$TRIALS" ]; do
    t=$((t + 1))
    cp "$W/base.ck" "$W/kill.ck"
    # --save-every 1: the process spends most of its time saving (write, fsync, rename, fsync)
    "$M" train --data "$DATA" $TINY --steps 1000000 --load "$W/kill.ck" --save "$W/kill.ck" --save-every 1 \
        >/dev/null 2>&1 &
    BG=$!
    sleep "0.$(printf '%03d' $((20 + $(rand 180))))"
    kill -9 $BG
    wait $BG 2>/dev/null
    ls "$W"/kill.ck.tmp.$BG >/dev/null 2>&1 && mid_save=$((mid_save + 1))
    BG=""
    if ! "$M" info "$W/kill.ck" >/dev/null 2>"$W/err"; then
        unloadable=$((unloadable + 1))
        echo "    trial $t: $(cat "$W/err")"
        continue
    fi
    if [ $((t % 3)) -eq 1 ]; then # resume two steps and compare with the uninterrupted run
        s=$(ck_step "$W/kill.ck")
        rm -f "$W/r.log"
        "$M" train --data "$DATA" $TINY --steps 2 --load "$W/kill.ck" --log "$W/r.log" >/dev/null 2>&1
        resumed=$((resumed + 1))
        if [ "$s" -ge 19999 ] || [ "$(losses "$W/r.log")" != "$(sed -n "$((s + 1)),$((s + 2))p" "$W/ref.losses")" ]; then
            inexact=$((inexact + 1))
            echo "    trial $t: resuming from step $s differs from the uninterrupted run"
        fi
    fi
done
left=$(ls "$W"/kill.ck.tmp.* 2>/dev/null | wc -l | tr -d ' ')
echo "kill -9 trials: $TRIALS, unloadable: $unloadable, killed while a temp file was open: $mid_save," \
    "resumed exactly: $((resumed - inexact))/$resumed, temp files left over: $left"
if [ $unloadable -eq 0 ] && [ $inexact -eq 0 ] && [ "$left" -le 1 ]; then
    pass "kill_9_during_saves_never_leaves_an_unloadable_checkpoint ($TRIALS trials)"
else
    fail "kill_9_during_saves_never_leaves_an_unloadable_checkpoint" "$unloadable unloadable, $inexact inexact resumes, $left temp files"
fi

# ---------------------------------------------------------------------------------------------------------
# A full disk: here a file size limit, which fails the write part way (EFBIG) as ENOSPC would

"$M" train --data "$DATA" $TINY --steps 5 --save "$W/full.ck" >/dev/null 2>&1
cp "$W/full.ck" "$W/full.orig"
for policy in stop continue; do
    rm -f "$W/f.log"
    # ulimit -f counts 512- or 1024-byte blocks depending on the shell: either way far below the checkpoint
    (trap '' XFSZ; ulimit -f 8; exec "$M" train --data "$DATA" $TINY --steps 20 --load "$W/full.ck" \
        --save "$W/full.ck" --save-every 5 --on-save-error $policy --log "$W/f.log") >/dev/null 2>"$W/err"
    st=$?
    n=$(lines "$W/f.log")
    errors=$(grep -c "File too large" "$W/err")
    want_lines=5
    want_errors=1
    [ $policy = continue ] && want_lines=20 && want_errors=5 # 4 periodic saves and the final one
    if [ $st -eq 1 ] && [ "$n" -eq $want_lines ] && [ "$errors" -eq $want_errors ] && cmp -s "$W/full.ck" "$W/full.orig" &&
        [ -z "$(ls "$W"/full.ck.tmp.* 2>/dev/null)" ] && "$M" info "$W/full.ck" >/dev/null 2>&1; then
        pass "file_size_limit_during_save_keeps_the_old_checkpoint_and_${policy}s ($n steps, $errors failed saves)"
    else
        fail "file_size_limit_during_save_keeps_the_old_checkpoint_and_${policy}s" \
            "exit $st, $n steps (want $want_lines), $errors errors (want $want_errors)" "$(head -n 5 "$W/err")"
    fi
done

# ---------------------------------------------------------------------------------------------------------
# As root: a real full tmpfs, and a directory that becomes read-only mid-run

if [ "$(id -u)" = 0 ] && mkdir -p "$W/mnt" && mount -t tmpfs -o size=256k memscope-faults "$W/mnt" 2>/dev/null; then
    MNT="$W/mnt"
    cp "$W/full.orig" "$MNT/ck"
    dd if=/dev/zero of="$MNT/fill" bs=1k count=1000 2>/dev/null # fills the rest of the 256 KB
    rm -f "$W/f.log"
    "$M" train --data "$DATA" $TINY --steps 20 --load "$MNT/ck" --save "$MNT/ck" --save-every 5 --log "$W/f.log" \
        >/dev/null 2>"$W/err"
    st=$?
    if [ $st -eq 1 ] && grep -q "No space left on device" "$W/err" && grep -q "stopping (the previous checkpoint is intact" "$W/err" &&
        cmp -s "$MNT/ck" "$W/full.orig" && [ -z "$(ls "$MNT"/ck.tmp.* 2>/dev/null)" ]; then
        # room again: resuming from the intact checkpoint matches the uninterrupted run
        rm -f "$MNT/fill" "$W/g.log"
        "$M" train --data "$DATA" $TINY --steps 10 --load "$MNT/ck" --save "$MNT/ck" --log "$W/g.log" >/dev/null 2>&1
        if [ "$(losses "$W/g.log")" = "$(sed -n '6,15p' "$W/ref.losses")" ] && [ "$(ck_step "$MNT/ck")" = 15 ]; then
            pass "full_tmpfs_during_save_stops_cleanly_and_resume_is_exact"
        else
            fail "full_tmpfs_during_save_stops_cleanly_and_resume_is_exact" "resume after freeing space differs"
        fi
    else
        fail "full_tmpfs_during_save_stops_cleanly_and_resume_is_exact" "exit $st" "$(cat "$W/err")"
    fi

    # read-only before the run: refused before any training
    mount -o remount,ro "$MNT"
    "$M" train --data "$DATA" $TINY --steps 20 --load "$MNT/ck" --save "$MNT/ck" >/dev/null 2>"$W/err"
    st=$?
    if [ $st -eq 1 ] && [ "$(wc -l <"$W/err")" -eq 1 ] && grep -q "is not writable (Read-only file system)" "$W/err"; then
        pass "read_only_save_directory_is_refused_before_training"
    else
        fail "read_only_save_directory_is_refused_before_training" "exit $st" "$(cat "$W/err")"
    fi
    mount -o remount,rw "$MNT"

    # read-only mid-run: the next save fails, training stops, the last good checkpoint loads
    rm -f "$W/h.log"
    "$M" train --data "$DATA" $TINY --steps 1000000 --load "$MNT/ck" --save "$MNT/ck" --save-every 1 --log "$W/h.log" \
        >/dev/null 2>"$W/err" &
    BG=$!
    wait_lines "$W/h.log" 50
    i=0
    until mount -o remount,ro "$MNT" 2>/dev/null || [ $i -ge 500 ]; do i=$((i + 1)); done # EBUSY while a file is open
    wait $BG
    st=$?
    BG=""
    mount -o remount,rw "$MNT"
    s=$(ck_step "$MNT/ck")
    rm -f "$W/r.log"
    "$M" train --data "$DATA" $TINY --steps 3 --load "$MNT/ck" --log "$W/r.log" >/dev/null 2>&1
    if [ $st -eq 1 ] && grep -q "Read-only file system" "$W/err" && [ -n "$s" ] &&
        [ "$(losses "$W/r.log")" = "$(sed -n "$((s + 1)),$((s + 3))p" "$W/ref.losses")" ]; then
        pass "directory_turning_read_only_mid_run_stops_with_the_last_checkpoint_intact (saved step $s; resume exact)"
    else
        fail "directory_turning_read_only_mid_run_stops_with_the_last_checkpoint_intact" "exit $st (remount tries: $i)" \
            "$(tail -n 3 "$W/err")"
    fi
    umount "$MNT"
    MNT=""
elif [ "$(id -u)" != 0 ]; then
    # without root: a directory without write permission stands in for a read-only one
    mkdir -p "$W/ro" && cp "$W/full.orig" "$W/ro/ck" && chmod 555 "$W/ro"
    "$M" train --data "$DATA" $TINY --steps 20 --load "$W/ro/ck" --save "$W/ro/ck" >/dev/null 2>"$W/err"
    st=$?
    chmod 755 "$W/ro"
    if [ $st -eq 1 ] && [ "$(wc -l <"$W/err")" -eq 1 ] && grep -q "is not writable (Permission denied)" "$W/err"; then
        pass "read_only_save_directory_is_refused_before_training"
    else
        fail "read_only_save_directory_is_refused_before_training" "exit $st" "$(cat "$W/err")"
    fi
    echo "note: not root; the real full-disk (tmpfs) and read-only-mount cases were skipped"
else
    echo "note: no tmpfs mount here; the real full-disk and read-only-mount cases were skipped"
fi

# ---------------------------------------------------------------------------------------------------------
# Plumbing: every command with stdout or stderr closed, full (/dev/full) or a pipe whose reader has
# gone; and --save/--log/--attention-stats targets that are a FIFO, a symlink, a directory, a device node or the
# same file as an input. Each cell prints its outcome (the matrix of the closing note).
#   stdout closed/full/broken pipe: the work is done (train saves), one line "cannot write to standard output",
#   exit 1 (tui: stdout is no terminal, exit 2); stderr closed/full/broken pipe: the work is done, stdout as
#   usual, exit 0 (diagnostics have nowhere to go; the result does).

"$M" train --data "$DATA" $TINY --steps 3 --save "$W/plumb.ck" >/dev/null 2>&1
printf 'abc abd ba\n' >"$W/plain.txt"
PL="$W/plumb"
mkdir -p "$PL"
# run_cell STDOUT-SPEC STDERR-SPEC ARGS...: runs memscope with stdout/stderr closed (closed), on /dev/full (full),
# into a pipe whose reader already left (pipe) or into files (file); sets st, and $PL/out, $PL/err when files.
run_cell() {
    o=$1 e=$2
    shift 2
    case $o in closed) oredir=">&-" ;; full) oredir=">/dev/full" ;; file|pipe) oredir=">$PL/out" ;; esac
    case $e in closed) eredir="2>&-" ;; full) eredir="2>/dev/full" ;; file|pipe) eredir="2>$PL/err" ;; esac
    [ $o = pipe ] && oredir=">&3"
    [ $e = pipe ] && eredir="2>&3"
    rm -f "$PL/out" "$PL/err" "$PL/st"
    if [ $o = pipe ] || [ $e = pipe ]; then
        # the reader (true) is gone before memscope starts: every write gets EPIPE (and SIGPIPE, were it not ignored)
        { sleep 0.3; eval "\"\$M\" \"\$@\" $oredir $eredir"; echo $? >"$PL/st"; } 3>&1 | true
        st=$(cat "$PL/st")
    else
        eval "\"\$M\" \"\$@\" $oredir $eredir"
        st=$?
    fi
}
matrix_ok=0
matrix_bad=0
cell_result() { # name, ok(0/1), detail
    if [ "$2" -eq 0 ]; then matrix_ok=$((matrix_ok + 1)); echo "  ok   $1: $3"
    else matrix_bad=$((matrix_bad + 1)); echo "  FAIL $1: $3"; fi
}
echo "plumbing matrix (command x stdout/stderr closed/full/broken pipe):"
for cmd in train eval eval-json sample info lab-recall lab-attention lab-compare lab-ablation bench tui; do
    case $cmd in
    train) set -- train --data "$DATA" $TINY --steps 5 --save "$PL/t.ck" --force ;;
    eval) set -- eval --load "$W/plumb.ck" --data "$DATA" ;;
    eval-json) set -- eval --load "$W/plumb.ck" --data "$DATA" --json ;;
    sample) set -- sample --load "$W/plumb.ck" --prompt ab -n 100000 ;;
    info) set -- info "$W/plumb.ck" ;;
    lab-recall) set -- lab recall -n 300 ;;
    lab-attention) set -- lab attention --load "$W/plumb.ck" --data "$DATA" ;;
    lab-compare) set -- lab compare --steps 2 -n 1000 --threads 1 --set d_model=8 --set n_heads=2 --set d_ff=8 --set batch_size=2 ;;
    lab-ablation) set -- lab ablation --data "$DATA" --steps 2 --threads 1 $TINY ;;
    bench) set -- bench --data "$W/plain.txt" --preset labml --threads 1 ;;
    tui) set -- tui --data "$DATA" $TINY ;;
    esac
    [ $cmd = bench ] && { awk 'BEGIN { for (i = 0; i < 6000; i++) printf "%s", substr("ab cd,\nba dab ", i % 14 + 1, 1) }' >"$W/plain.txt"; }
    for way in closed full pipe; do
        # stdout
        rm -f "$PL/t.ck"
        run_cell $way file "$@"
        if [ $cmd = tui ]; then
            want="exit 2, 'not a terminal'"
            [ "$st" = 2 ] && grep -q "not a terminal" "$PL/err"; ok=$?
        else
            want="exit 1, 'cannot write to standard output'"
            [ "$st" = 1 ] && [ "$(wc -l <"$PL/err")" -ge 1 ] && grep -q "cannot write to standard output" "$PL/err"; ok=$?
            if [ $cmd = train ] && [ $ok -eq 0 ]; then "$M" info "$PL/t.ck" >/dev/null 2>&1; ok=$?; want="$want, checkpoint saved"; fi
        fi
        cell_result "$cmd stdout-$way" $ok "$want (got exit $st)"
        # stderr
        rm -f "$PL/t.ck"
        run_cell file $way "$@"
        if [ $cmd = tui ]; then
            want="exit 2"
            [ "$st" = 2 ]; ok=$?
        else
            want="exit 0, output complete"
            [ "$st" = 0 ] && [ -s "$PL/out" ]; ok=$?
            if [ $cmd = train ] && [ $ok -eq 0 ]; then "$M" info "$PL/t.ck" >/dev/null 2>&1; ok=$?; want="$want, checkpoint saved"; fi
        fi
        cell_result "$cmd stderr-$way" $ok "$want (got exit $st)"
    done
done

# Ctrl-C while stderr is a broken pipe: "stopping after this step" cannot kill the run; it saves, exits 0
rm -f "$PL/c.ck" "$PL/st"
{ "$M" train --data "$DATA" $TINY --steps 100000000 --save "$PL/c.ck" --log "$PL/c.log" 2>&3 >/dev/null &
  pid=$!; wait_lines "$PL/c.log" 200; kill -INT $pid; wait $pid; echo $? >"$PL/st"; } 3>&1 | true
st=$(cat "$PL/st")
[ "$st" = 0 ] && "$M" info "$PL/c.ck" >/dev/null 2>&1; cell_result "train ctrl-c-with-stderr-broken-pipe" $? "exit 0, checkpoint saved (got exit $st)"

echo "output targets (flag x kind):"
mkfifo "$PL/fifo"
mkdir -p "$PL/dir"
cp "$W/plumb.ck" "$PL/input.ck"
for flag in train-save train-log eval-stats lab-recall-save lab-attention-stats; do
    for kind in fifo symlink directory device same-as-input; do
        case $kind in
        fifo) target="$PL/fifo" ;;
        symlink) printf 'old\n' >"$PL/linked.txt"; rm -f "$PL/link"; ln -s linked.txt "$PL/link"; target="$PL/link" ;;
        directory) target="$PL/dir" ;;
        device) target=/dev/null ;;
        same-as-input) case $flag in train-save) target="$DATA" ;; lab-recall-save) target="$PL/input.ck" ;; *) target="$PL/input.ck" ;; esac ;;
        esac
        cp "$W/plumb.ck" "$PL/input.ck"
        cp "$DATA" "$PL/data.bak"
        case $flag in
        train-save) set -- train --data "$DATA" $TINY --steps 2 --save "$target" ;;
        train-log) set -- train --load "$PL/input.ck" --data "$DATA" --steps 2 --log "$target" ;;
        eval-stats) set -- eval --load "$PL/input.ck" --data "$DATA" --attention-stats "$target" ;;
        lab-recall-save) set -- lab recall -n 300 --save "$target" ;;
        lab-attention-stats) set -- lab attention --load "$PL/input.ck" --data "$DATA" --attention-stats "$target" ;;
        esac
        "$M" "$@" >"$PL/out" 2>"$PL/err"
        st=$?
        case $kind in
        symlink) # followed: the link stays a link, its target holds the new content
            want="followed: exit 0, link kept, target replaced"
            [ $st -eq 0 ] && [ -L "$PL/link" ] && ! grep -qx old "$PL/linked.txt"; ok=$? ;;
        fifo) want="refused (exit 1, one line), FIFO kept"
            [ $st -eq 1 ] && [ "$(wc -l <"$PL/err")" -eq 1 ] && [ -p "$PL/fifo" ]; ok=$? ;;
        directory) want="refused (exit 1, one line), directory kept"
            [ $st -eq 1 ] && [ "$(wc -l <"$PL/err")" -eq 1 ] && [ -d "$PL/dir" ]; ok=$? ;;
        device) want="refused (exit 1, one line), /dev/null still a device"
            [ $st -eq 1 ] && [ "$(wc -l <"$PL/err")" -eq 1 ] && [ -c /dev/null ]; ok=$? ;;
        same-as-input)
            if [ $flag = lab-recall-save ]; then # no input: the existing file is another run's checkpoint
                want="refused without --force (exit 1, one line), file kept"
            else
                want="refused (exit 1, one line), input kept"
            fi
            [ $st -eq 1 ] && [ "$(wc -l <"$PL/err")" -eq 1 ] && cmp -s "$PL/input.ck" "$W/plumb.ck" && cmp -s "$DATA" "$PL/data.bak"; ok=$? ;;
        esac
        cell_result "$flag $kind" $ok "$want (got exit $st: $(head -c 160 "$PL/err" | tr '\n' ' '))"
    done
done
if [ $matrix_bad -eq 0 ]; then pass "plumbing_matrix ($matrix_ok cells)"
else fail "plumbing_matrix" "$matrix_bad of $((matrix_ok + matrix_bad)) cells failed (listed above)"; fi

# ---------------------------------------------------------------------------------------------------------
# A short soak under ASan+UBSan with leak detection

if [ -x "$MA" ]; then
    # (a small quarantine, so that the resident memory reported reflects the program rather than ASan)
    if MAX_GROWTH_MB=48 ASAN_OPTIONS=detect_leaks=1:quarantine_size_mb=16 sh tests/soak.sh "${SOAK_SECONDS:-20}" "$MA" >"$W/soak" 2>&1; then
        pass "soak_under_asan_no_leak_no_error ($(grep '^soak:' "$W/soak" | tail -n 1))"
    else
        fail "soak_under_asan_no_leak_no_error" "$(tail -n 20 "$W/soak")"
    fi
else
    echo "note: $MA not built; the ASan soak was skipped"
fi

echo "faults: $passed passed, $failed failed"
[ $failed -eq 0 ]
