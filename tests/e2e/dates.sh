#!/bin/sh
# End-to-end: the table of date forms in tests/rules/date_test.lua run
# through `pipe run` (the script raises, failing the page, when a case
# breaks), plus date fields of a rule with --now and tz.
. "$(dirname "$0")/lib.sh"

page=tests/rules/pages/article.html
out=$("$PIPE" run tests/rules/date_test.lua "$page") ||
  fail "date cases failed: $out"
expect_eq "every date case passes" "0" "$(printf '%s' "$out" | jq -c .failed)"
n=$(printf '%s' "$out" | jq -c .cases)
[ "$n" -ge 60 ] || fail "only $n date cases ran"
pass "$n date cases ran"

# relative dates in a rule need --now (or the page's own published time)
out=$("$PIPE" run tests/rules/dates_rule.lua "$page")
expect_eq "relative date from the page's published time" '"2026-01-17T12:05:00+01:00"' "$(printf '%s' "$out" | jq -c .relative)"
out=$("$PIPE" run --now 2026-02-01T10:00:00+02:00 tests/rules/dates_rule.lua "$page")
expect_eq "relative date from --now" '"2026-02-01T08:00:00+02:00"' "$(printf '%s' "$out" | jq -c .relative)"
expect_eq "format and tz" '"2026-01-17T15:30:00+01:00"' "$(printf '%s' "$out" | jq -c .formatted)"
expect_eq "datetime attribute keeps its offset" '"2026-01-17T14:05:00+01:00"' "$(printf '%s' "$out" | jq -c .meta_date)"
expect_eq "unparsable date is missing, next source wins" '"2026-01-16"' "$(printf '%s' "$out" | jq -c .fallback)"
