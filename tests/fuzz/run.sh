#!/bin/sh
# Fuzzes the checkpoint loader: replays the committed corpus (tests/fuzz/corpus: real checkpoints,
# hand-broken ones and every input that ever crashed), then runs libFuzzer for SECONDS with JOBS
# processes. Without clang's libFuzzer it replays the corpus through a plain main() (gcc, ASan+UBSan).
# Ends with "fuzz: N passed, N failed" for tests/run_all.sh; new inputs stay in build/fuzz/work and a
# crash is written to build/fuzz/crash-* (add it to tests/fuzz/corpus once fixed).
#   usage: sh tests/fuzz/run.sh [SECONDS=60] [JOBS=1]
set -u
cd "$(dirname "$0")/../.."
secs=${1:-60}
jobs=${2:-1}
out=build/fuzz
mkdir -p "$out/work"
passed=0
failed=0
check() { # name, status
    if [ "$2" -eq 0 ]; then passed=$((passed + 1)); echo "PASS $1"; else failed=$((failed + 1)); echo "FAIL $1"; fi
}
flags="-rss_limit_mb=2048 -malloc_limit_mb=512 -timeout=30 -max_len=65536 -dict=tests/fuzz/checkpoint.dict"

if command -v "${FUZZ_CC:-clang}" >/dev/null 2>&1 && make -s "$out/fuzz_checkpoint" >"$out/build.log" 2>&1; then
    "$out/fuzz_checkpoint" $flags -runs=0 tests/fuzz/corpus >"$out/replay.log" 2>&1
    st=$?
    [ $st -eq 0 ] || tail -n 40 "$out/replay.log"
    check "fuzz_replay_corpus ($(ls tests/fuzz/corpus | wc -l) inputs)" $st
    if [ "$jobs" -gt 1 ]; then mode="-fork=$jobs"; else mode=""; fi
    start=$(date +%s)
    "$out/fuzz_checkpoint" $flags $mode -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$out/" \
        "$out/work" tests/fuzz/corpus >"$out/fuzz.log" 2>&1
    st=$?
    execs=$(grep -E '^stat::number_of_executed_units' "$out/fuzz.log" | awk '{s+=$2} END {print s+0}')
    [ "$execs" -gt 0 ] || execs=$(grep -oE '^#[0-9]+' "$out/fuzz.log" | tail -n 1 | tr -d '#')
    echo "fuzzed $(( $(date +%s) - start )) s with $jobs job(s): ${execs:-0} executions, corpus now $(ls "$out/work" | wc -l) new inputs"
    if [ $st -ne 0 ]; then
        grep -E 'ERROR|SUMMARY|Test unit written|^fuzz:' "$out/fuzz.log" | head -n 20
    fi
    check "fuzz_checkpoint_loader (${secs} s)" $st
else
    echo "no clang with libFuzzer here (Debian: apt-get install clang libclang-rt-14-dev); replaying the corpus only"
    if make -s "$out/replay_checkpoint" >"$out/build.log" 2>&1; then
        ASAN_OPTIONS=detect_leaks=1 "$out/replay_checkpoint" tests/fuzz/corpus 2>"$out/replay.log"
        st=$?
        [ $st -eq 0 ] || tail -n 40 "$out/replay.log"
    else
        cat "$out/build.log"
        st=1
    fi
    check "fuzz_replay_corpus ($(ls tests/fuzz/corpus | wc -l) inputs, no libFuzzer)" $st
fi
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
