# Shared helpers for end-to-end tests.  Source it: . "$(dirname "$0")/lib.sh"
# Each test prints what it checks; the first failure ends it with exit 1.
set -u
: "${PIPE:?PIPE must name the pipe binary}"
: "${SRCDIR:?SRCDIR must name the source tree}"
: "${PAGES:=$SRCDIR/tests/pages}"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pipe-e2e.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
cd "$SRCDIR" || exit 1

fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
pass() { printf 'ok: %s\n' "$*"; }

# expect_eq NAME EXPECTED ACTUAL
expect_eq() {
  if [ "$2" != "$3" ]; then
    printf 'FAIL: %s\n--- expected\n%s\n--- actual\n%s\n' "$1" "$2" "$3" >&2
    exit 1
  fi
  pass "$1"
}
# expect_contains NAME NEEDLE HAYSTACK
expect_contains() {
  case "$3" in
    *"$2"*) pass "$1" ;;
    *) printf 'FAIL: %s\n--- expected to contain\n%s\n--- actual\n%s\n' "$1" "$2" "$3" >&2; exit 1 ;;
  esac
}
# expect_not_contains NAME NEEDLE HAYSTACK
expect_not_contains() {
  case "$3" in
    *"$2"*) printf 'FAIL: %s\n--- must not contain\n%s\n--- actual\n%s\n' "$1" "$2" "$3" >&2; exit 1 ;;
    *) pass "$1" ;;
  esac
}
# expect_status NAME CODE CMD...   (runs CMD, compares its exit status)
expect_status() {
  name=$1 want=$2; shift 2
  "$@" >"$TMP/out" 2>"$TMP/err"; got=$?
  if [ "$got" != "$want" ]; then
    printf 'FAIL: %s: exit %s, want %s\nstdout:\n%s\nstderr:\n%s\n' "$name" "$got" "$want" "$(cat "$TMP/out")" "$(cat "$TMP/err")" >&2
    exit 1
  fi
  pass "$name"
}
