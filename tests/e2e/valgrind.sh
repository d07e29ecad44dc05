#!/bin/sh
# The seed page's end-to-end run under valgrind: any invalid access or any
# definite, indirect or possible leak fails, and the record must still equal
# the golden.
. "$(dirname "$0")/lib.sh"

command -v valgrind >/dev/null || fail "valgrind not found"
page=tests/pages/paris-declaration.html
golden=tests/pages/paris-declaration.expected.json

# PCRE2's JIT off: valgrind cannot follow JIT code (false "uninitialised
# value" reports from inside it)
vg() {
  PIPE_PCRE2_NO_JIT=1 valgrind --error-exitcode=99 --leak-check=full \
    --errors-for-leak-kinds=definite,indirect,possible \
    --show-leak-kinds=definite,indirect,possible \
    --suppressions="$SRCDIR/tests/icu.supp" \
    --log-file="$TMP/vg.log" "$@"
}

vg "$PIPE" run scripts/site.lua "$page" >"$TMP/out" 2>"$TMP/err"
status=$?
if [ "$status" != 0 ]; then
  printf 'FAIL: pipe run under valgrind: exit %s\n' "$status" >&2
  cat "$TMP/err" "$TMP/vg.log" >&2
  exit 1
fi
pass "pipe run under valgrind exits 0"
grep -q 'ERROR SUMMARY: 0 errors' "$TMP/vg.log" || { cat "$TMP/vg.log" >&2; fail "valgrind reports errors"; }
pass "valgrind: no errors, no leaks"
jq -e -n --slurpfile a "$TMP/out" --slurpfile e "$golden" '$a == $e' >/dev/null ||
  fail "record under valgrind differs from $golden (run tests/e2e/run_seed.sh for the field)"
pass "record under valgrind equals $golden"

# An input that fails (no such file) must not leak either: exit 1, not 99.
vg "$PIPE" run scripts/site.lua "$TMP/missing.html" "$page" >"$TMP/out" 2>"$TMP/err"
status=$?
[ "$status" = 1 ] || { cat "$TMP/err" "$TMP/vg.log" >&2; fail "failing input under valgrind: exit $status, want 1"; }
pass "failing input under valgrind: exit 1, no errors, no leaks"

# The rule's own test cases (golden comparison included) under valgrind.
vg "$PIPE" test scripts/sites/rbc_ua.lua >"$TMP/out" 2>"$TMP/err"
status=$?
[ "$status" = 0 ] || { cat "$TMP/out" "$TMP/err" "$TMP/vg.log" >&2; fail "pipe test rbc_ua under valgrind: exit $status, want 0"; }
expect_contains "pipe test rbc_ua under valgrind passes" "2 passed, 0 failed" "$(cat "$TMP/out")"

# Page-sized trees with removals only (dropped with their arena, no walk)
# and with removals then other edits (freed node by node): no leak, no
# invalid access, the same record as without valgrind.
want=$("$PIPE" run tests/scripts/edits_free.lua "$page")
expect_eq "edits of arena trees: the record" '{"source":"tests/pages/paris-declaration.html","banners":5,"divs":true,"kept_raises":true,"removed":8,"text":true}' "$want"
vg "$PIPE" run tests/scripts/edits_free.lua "$page" >"$TMP/out" 2>"$TMP/err"
status=$?
[ "$status" = 0 ] || { cat "$TMP/err" "$TMP/vg.log" >&2; fail "edits of arena trees under valgrind: exit $status, want 0"; }
expect_eq "edits of arena trees under valgrind: no errors, no leaks, same record" "$want" "$(cat "$TMP/out")"
