# Sourced by the shell suites that count their own results (tests/faults.sh, tests/mpi.sh): pass and fail
# count and print one result each; small_text N writes N words of a six-word alphabet (seeded: the same
# text on every run), a corpus small models learn within a few steps.
passed=0
failed=0
pass() { passed=$((passed + 1)); echo "PASS $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; shift; for line in "$@"; do echo "    $line"; done; }
small_text() {
    awk -v n="$1" 'BEGIN { srand(7); split("a ,ab ,ba ,cab\n,bad ,dab\\, ", w, ","); for (i = 0; i < n; i++) printf "%s", w[int(rand() * 6) + 1] }'
}
