#!/bin/sh
# make bench-mpi: 1 process × 2 threads against 2 ranks × 1 thread on this machine, at the labml and default
# presets, the ranks with the gradient sum overlapped with the memory update and without.
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
echo "== mpirun -np 2"
$RUN -np 2 build/memscope-mpi bench --mpi --threads 1 $ARGS
echo "== mpirun -np 2, MEMSCOPE_MPI_OVERLAP=0"
$RUN -np 2 -x MEMSCOPE_MPI_OVERLAP=0 build/memscope-mpi bench --mpi --threads 1 $ARGS
