#!/bin/sh
# make bench-mpi: 1 process × 2 threads against 2 ranks × 1 thread on this machine, at the labml and default
# presets, the ranks with each overlap of the gradient sum (per layer during the backward pass, after the
# backward, none).
#   env: BENCH_MPI_ARGS (e.g. "--preset labml"), MPIRUN (default: mpirun --allow-run-as-root --oversubscribe)
set -eu
cd "$(dirname "$0")/.."
DATA=data/tinyshakespeare.txt
[ -f "$DATA" ] || DATA=../shared/data/tinyshakespeare.txt
[ -f "$DATA" ] || DATA=""
ARGS="${DATA:+--data $DATA} ${BENCH_MPI_ARGS:-}"
RUN=${MPIRUN:-mpirun --allow-run-as-root --oversubscribe}
echo "== one process"
build/memscope bench --mpi --threads 2 $ARGS 2>/dev/null
for overlap in step layer 0; do
    echo "== mpirun -np 2, MEMSCOPE_MPI_OVERLAP=$overlap"
    $RUN -np 2 -x MEMSCOPE_MPI_OVERLAP=$overlap build/memscope-mpi bench --mpi --threads 1 $ARGS
done
