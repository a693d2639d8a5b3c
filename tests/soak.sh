#!/bin/sh
# Soak test: trains headless for DURATION seconds with periodic saves, samples the resident memory of the
# process from /proc every second, checks that the checkpoint loads while training goes on, then stops
# it with SIGINT (which saves) and reports the resident-memory growth. Not part of `make test` (a 20 s
# version runs there under ASan from tests/faults.sh).
#   usage: sh tests/soak.sh [DURATION=600] [BINARY=build/memscope]
#   env:   SOAK_ARGS   training flags (default: the default preset on the built-in corpus, a save every
#                      50 steps; with an ASan binary, a tiny model saved every 20 steps)
#          MAX_GROWTH_MB  fail when resident memory grows by more than this after the first 10% of the run
set -u
cd "$(dirname "$0")/.."
duration=${1:-600}
bin=${2:-build/memscope}
W=$(mktemp -d "${TMPDIR:-/tmp}/memscope-soak-XXXXXX")
pid=""
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$W"' EXIT
case "$bin" in
*asan*) default_args="--data builtin --set d_model=16 --set n_heads=2 --set n_layers=2 --set d_ff=32 --set seq_len=8 --set mem_len=8 --set c_mem_len=8 --set compression_rate=2 --set batch_size=4 --save-every 20 --threads 2" ;;
*) default_args="--data builtin --preset default --save-every 50 --threads 2" ;;
esac
args=${SOAK_ARGS:-$default_args}
ck="$W/soak.safetensors"
echo "soak: $bin train $args for $duration s"
# shellcheck disable=SC2086
"$bin" train $args --steps 1000000000 --save "$ck" >"$W/out" 2>"$W/err" &
pid=$!
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null; }
start=$(date +%s)
first=""
max=0
last=0
checks=0
bad_checks=0
printf '%8s %12s %10s\n' "seconds" "saved step" "RSS MB"
while :; do
    sleep 1
    now=$(( $(date +%s) - start ))
    r=$(rss)
    [ -z "$r" ] && break # the process ended early
    last=$r
    [ "$r" -gt "$max" ] && max=$r
    # the baseline is taken after the first 10% of the run (allocations settle: BLAS buffers, the corpus)
    [ -z "$first" ] && [ "$now" -ge $((duration / 10)) ] && first=$r
    if [ $((now % 5)) -eq 0 ] && [ -f "$ck" ]; then # the checkpoint loads while saves keep replacing it
        checks=$((checks + 1))
        "$bin" info "$ck" >"$W/info" 2>&1 || bad_checks=$((bad_checks + 1))
    fi
    if [ $((now % 10)) -eq 0 ] || [ "$now" -le 3 ]; then
        saved=$(awk '$1 == "step" { print $2 }' "$W/info" 2>/dev/null)
        printf '%8d %12s %10.1f\n' "$now" "${saved:--}" "$(echo "$r" | awk '{ print $1 / 1024 }')"
    fi
    [ "$now" -ge "$duration" ] && break
done
kill -INT "$pid" 2>/dev/null
wait "$pid"
status=$?
pid=""
steps=$(sed -n 's/.*stopped after step \([0-9]*\).*/\1/p' "$W/err" | tail -n 1)
[ -z "$first" ] && first=$last
growth_kb=$((last - first))
echo "soak: $(( $(date +%s) - start )) s, $steps steps, RSS after warm-up $((first / 1024)) MB, max $((max / 1024)) MB," \
    "end $((last / 1024)) MB, growth $((growth_kb / 1024)) MB ($(echo "$growth_kb $first" | awk '{ printf "%.1f", $2 ? 100 * $1 / $2 : 0 }')%)," \
    "checkpoint loaded $((checks - bad_checks))/$checks times during the run"
ok=1
if [ $status -ne 0 ]; then echo "soak: training exited with status $status"; ok=0; fi
if grep -qE "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$W/err"; then
    echo "soak: sanitizer report:"; grep -A 20 -E "ERROR|runtime error" "$W/err" | head -n 40; ok=0
fi
if ! grep -q "stopped after step" "$W/err"; then echo "soak: no clean stop on SIGINT:"; tail -n 5 "$W/err"; ok=0; fi
if ! "$bin" info "$ck" >/dev/null 2>&1; then echo "soak: the final checkpoint does not load"; ok=0; fi
if [ "$bad_checks" -ne 0 ]; then echo "soak: the checkpoint failed to load $bad_checks times during the run"; ok=0; fi
if [ -n "${MAX_GROWTH_MB:-}" ] && [ $((growth_kb / 1024)) -gt "$MAX_GROWTH_MB" ]; then
    echo "soak: resident memory grew by more than $MAX_GROWTH_MB MB"; ok=0
fi
[ $ok -eq 1 ]
