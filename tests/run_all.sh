#!/bin/sh
# Runs every suite and sums their "N passed, N failed" lines into one closing line.
out=$(mktemp)
trap 'rm -f "$out"' EXIT
status=0
run() { # name, command...
    name=$1; shift
    echo "== $name"
    MEMSCOPE_SUITE=$name "$@" 2>&1 | tee -a "$out" || status=1
}
run unit env MEMSCOPE_BIN=build/memscope build/run_tests || status=1
run asan env MEMSCOPE_BIN=build/asan/memscope ASAN_OPTIONS=detect_leaks=1 build/asan/run_tests || status=1
[ -f tests/e2e.sh ] && { run e2e sh tests/e2e.sh || status=1; }
run conventions sh tests/conventions.sh || status=1
run e2ewatch sh tests/e2e_watch.sh || status=1
run faults sh tests/faults.sh || status=1
run fuzz sh tests/fuzz/run.sh "${MEMSCOPE_FUZZ_SECONDS:-30}" || status=1
run mpi sh tests/mpi.sh || status=1
passed=$(grep -E '^[a-z0-9]+: [0-9]+ passed, [0-9]+ failed' "$out" | awk '{p+=$2} END {print p+0}')
failed=$(grep -E '^[a-z0-9]+: [0-9]+ passed, [0-9]+ failed' "$out" | awk '{f+=$4} END {print f+0}')
suites=$(grep -cE '^[a-z0-9]+: [0-9]+ passed, [0-9]+ failed' "$out")
expected=7; [ -f tests/e2e.sh ] && expected=8
if [ "$suites" -ne "$expected" ]; then
    echo "a suite ended without its summary line (crashed?)"
    failed=$((failed + 1))
fi
[ "$failed" -eq 0 ] || status=1
echo "total: $passed passed, $failed failed"
exit $status
