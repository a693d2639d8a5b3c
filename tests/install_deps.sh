#!/bin/sh
# Installs the Debian packages memscope needs, once; silent when they are all present.
#   sh tests/install_deps.sh        what building and running need
#   sh tests/install_deps.sh test   also what the tests use (man page linting)
set -e
need=""
if [ "${1:-}" = test ]; then
    command -v mandoc >/dev/null 2>&1 || need="$need mandoc"
    command -v groff >/dev/null 2>&1 || need="$need groff-base"
    command -v man >/dev/null 2>&1 || need="$need man-db"
    command -v script >/dev/null 2>&1 || need="$need bsdutils"
fi
pkg-config --exists openblas 2>/dev/null || need="$need libopenblas-dev"
pkg-config --exists ncursesw 2>/dev/null || need="$need libncurses-dev"
[ -f /usr/include/readline/readline.h ] || need="$need libreadline-dev"
command -v pkg-config >/dev/null 2>&1 || need="$need pkg-config"
command -v tmux >/dev/null 2>&1 || need="$need tmux"
command -v xmllint >/dev/null 2>&1 || need="$need libxml2-utils" # the e2e test checks the exported SVG
command -v gcc >/dev/null 2>&1 || need="$need gcc"
# make mpi: Open MPI for memscope-mpi
if [ -n "${MEMSCOPE_WITH_MPI:-}" ]; then
    command -v mpirun >/dev/null 2>&1 || need="$need openmpi-bin"
    pkg-config --exists ompi-c 2>/dev/null || need="$need libopenmpi-dev"
fi
[ -z "$need" ] && exit 0
echo "memscope: installing Debian packages:$need" >&2
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need pkg-config >/dev/null
