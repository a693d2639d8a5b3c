# Sourced by the tmux suites (tests/e2e.sh, tests/e2e_watch.sh) after `SUITE=name`: skips the suite when tmux is
# missing, makes its scratch directory and tmux server (both removed on exit), and gives the helpers every
# suite reads the screen with. Needs ROOT and BIN set.
if ! command -v tmux >/dev/null 2>&1; then
    echo "$SUITE: SKIP: tmux is not installed (apt-get install tmux), so the TUI cannot be driven"
    echo "$SUITE: 0 passed, 0 failed"
    exit 0
fi
if [ ! -x "$BIN" ]; then
    echo "$SUITE: $BIN is missing (run make)"
    echo "$SUITE: 0 passed, 1 failed"
    exit 1
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/memscope-$SUITE-XXXXXX")
SOCK="memscope-$SUITE-$$"
T="tmux -L $SOCK"
cleanup() {
    $T kill-server >/dev/null 2>&1
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
passed=0
failed=0

screen() { $T capture-pane -p -t "$1" 2>/dev/null; }

# wait_for NAME EXTENDED-REGEX [SECONDS]: polls the screen every 50 ms.
wait_for() {
    deadline=$(($(date +%s) + ${3:-10}))
    while [ "$(date +%s)" -le "$deadline" ]; do
        screen "$1" | grep -Eq -- "$2" && return 0
        sleep 0.05
    done
    return 1
}
