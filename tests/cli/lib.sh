# Shared helpers for tests/cli/*.sh: TAP-style lines counted by tests/run.sh.
n_fail=0
check() {
    what=$1; shift
    if "$@"; then echo "ok - $what"; else echo "not ok - $what"; n_fail=$((n_fail + 1)); fi
}
finish() { [ "$n_fail" -eq 0 ]; exit $?; }
