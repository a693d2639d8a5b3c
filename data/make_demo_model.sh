#!/bin/sh
# make demo-model: trains the shipped model of `memscope demo` and writes it weights-only in fp16.
# Usage: sh data/make_demo_model.sh STEPS OUT [BIN]
# The default preset on Tiny Shakespeare for STEPS steps on 2 threads (8000 steps: about 15 minutes on 2
# quiet cores), then `memscope eval` on the held-out 10% (one stream), then `memscope export --weights-only
# --half` with how it was made in the metadata (demo.command, demo.version, demo.steps, demo.minutes,
# demo.valid_ce, demo.date; the training loss history goes along with every other key of the checkpoint).
set -eu
steps=$1
out=$2
bin=${3:-build/memscope}
corpus=data/tinyshakespeare.txt
[ -f "$corpus" ] || corpus=../shared/data/tinyshakespeare.txt
if [ ! -f "$corpus" ]; then
    echo "make demo-model: data/tinyshakespeare.txt is missing: run make data" >&2
    exit 1
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/memscope-demo-XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

cmd="memscope train --data $corpus --preset default --steps $steps --threads 2 --seed 1 --valid-every 150"
echo "make demo-model: $cmd (the default preset reaches ~1.50 in 8000 steps, ~15 minutes on 2 quiet cores)"
start=$(date +%s)
# --valid-every: the validation curve travels in the checkpoint's history.valid, for the demo's loss panel
"$bin" train --data "$corpus" --preset default --steps "$steps" --threads 2 --seed 1 --valid-every 150 \
    --save "$tmp/full.safetensors"
minutes=$(awk -v s="$start" -v e="$(date +%s)" 'BEGIN { printf "%.1f", (e - s) / 60 }')

# the held-out 10%: the bytes after floor(0.9 n), as memscope splits
size=$(wc -c <"$corpus")
tail -c +$((size * 9 / 10 + 1)) "$corpus" >"$tmp/heldout.txt"
"$bin" eval --load "$tmp/full.safetensors" --data "$tmp/heldout.txt" --threads 2 --json >"$tmp/eval.json"
ce=$(sed -n 's/.*"ce":\([0-9.]*\).*/\1/p' "$tmp/eval.json")
version=$("$bin" --version | sed -n '1s/^memscope //p')

"$bin" export --force --weights-only --half --meta "demo.command=$cmd" --meta "demo.version=$version" \
    --meta "demo.steps=$steps" --meta "demo.minutes=$minutes" --meta "demo.valid_ce=$ce" \
    --meta "demo.date=$(date -u +%Y-%m-%d)" "$tmp/full.safetensors" "$out"
bytes=$(wc -c <"$out")
echo "make demo-model: wrote $out ($bytes bytes) after $steps steps in $minutes minutes; held-out CE $ce"
if [ "$bytes" -gt $((12 * 1024 * 1024)) ]; then
    echo "make demo-model: $out is larger than 12 MB" >&2
    exit 1
fi
