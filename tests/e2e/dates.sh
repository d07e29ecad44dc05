#!/bin/sh
# End-to-end: the table of date forms in tests/rules/date_test.lua run
# through `pipe run` (the script raises, failing the page, when a case
# breaks), plus date fields of a rule: the reference time of relative
# dates from --now, --set now=, or the record's `fetched`, and tz.
. "$(dirname "$0")/lib.sh"

page=tests/rules/pages/article.html
out=$("$PIPE" run tests/rules/date_test.lua "$page") ||
  fail "date cases failed: $out"
expect_eq "every date case passes" "0" "$(printf '%s' "$out" | jq -c .failed)"
n=$(printf '%s' "$out" | jq -c .cases)
[ "$n" -ge 200 ] || fail "only $n date cases ran"
out=$("$PIPE" run --now 2026-02-01T10:00:00+02:00 tests/rules/date_test.lua "$page") ||
  fail "date cases with --now failed: $out"
expect_eq "every date case passes with --now" "0" "$(printf '%s' "$out" | jq -c .failed)"
pass "$n date cases ran"

# relative dates in a rule count from --now, --set now=, or the record's
# `fetched`; without any, the field has no value (never a guess)
out=$("$PIPE" run tests/rules/dates_rule.lua "$page")
expect_eq "relative date without a reference time: no value" 'null' "$(printf '%s' "$out" | jq -c .relative)"
out=$("$PIPE" run --now 2026-02-01T10:00:00+02:00 tests/rules/dates_rule.lua "$page")
expect_eq "relative date from --now" '"2026-02-01T08:00:00+02:00"' "$(printf '%s' "$out" | jq -c .relative)"
out=$("$PIPE" run --set now=2026-02-01T10:00:00Z tests/rules/dates_rule.lua "$page")
expect_eq "relative date from --set now=" '"2026-02-01T08:00:00+00:00"' "$(printf '%s' "$out" | jq -c .relative)"
out=$(jq -c -n --rawfile h "$page" '{url: "https://example.com/a", fetched: "2026-03-05T12:00:00Z", html: $h}' |
  "$PIPE" run --records tests/rules/dates_rule.lua -)
expect_eq "relative date from the record's fetched" '"2026-03-05T10:00:00+00:00"' "$(printf '%s' "$out" | jq -c .relative)"
out=$(jq -c -n --rawfile h "$page" '{fetched: "2026-03-05T12:00:00Z", html: $h}' |
  "$PIPE" run --records --now 2026-02-01T10:00:00+02:00 tests/rules/dates_rule.lua -)
expect_eq "--now wins over fetched" '"2026-02-01T08:00:00+02:00"' "$(printf '%s' "$out" | jq -c .relative)"
"$PIPE" run --now soon tests/rules/dates_rule.lua "$page" >"$TMP/out" 2>"$TMP/err"
expect_eq "a bad --now fails the page" 1 "$?"
expect_contains "a bad --now is named" "bad now 'soon' (want a time like 2026-01-17T16:30:00+02:00)" "$(cat "$TMP/err")"
expect_eq "format and tz" '"2026-01-17T15:30:00+01:00"' "$(printf '%s' "$out" | jq -c .formatted)"
expect_eq "datetime attribute keeps its offset" '"2026-01-17T14:05:00+01:00"' "$(printf '%s' "$out" | jq -c .meta_date)"
expect_eq "unparsable date is missing, next source wins" '"2026-01-16"' "$(printf '%s' "$out" | jq -c .fallback)"

# texts whose letters are all Cyrillic, or that have none, are read with
# the part of the 15-language union they can match (a one-page run of a
# Ukrainian page builds 2 languages' ICU tables, not 15): the same results
# as the whole union, which tests/scripts/dates_union.expected holds
"$PIPE" run tests/scripts/dates_union.lua "$PAGES/paris-declaration.html" > "$TMP/du.json" 2> "$TMP/err" || fail "dates_union.lua failed: $(cat "$TMP/err")"
jq -r '.r[]' "$TMP/du.json" > "$TMP/du.txt"
cmp -s "$TMP/du.txt" tests/scripts/dates_union.expected || fail "dates through a smaller union differ: $(diff tests/scripts/dates_union.expected "$TMP/du.txt" | head -6)"
pass "170 date readings (Cyrillic, letterless, mixed; lang, now) as the whole union gives them"

# the languages' tables are kept in the cache (PIPE_CACHE_DIR) for the
# next run: cold, warm, damaged and off, the same 170 readings
export PIPE_CACHE_DIR="$TMP/cache"
union_run() {
  "$PIPE" run tests/scripts/dates_union.lua "$PAGES/paris-declaration.html" > "$TMP/du.json" 2> "$TMP/err" || fail "dates_union.lua ($1) failed: $(cat "$TMP/err")"
  jq -r '.r[]' "$TMP/du.json" > "$TMP/du.txt"
  cmp -s "$TMP/du.txt" tests/scripts/dates_union.expected || fail "dates with the tables $1 differ: $(diff tests/scripts/dates_union.expected "$TMP/du.txt" | head -6)"
  "$PIPE" run tests/scripts/dates_zones.lua "$PAGES/paris-declaration.html" > "$TMP/dz.json" 2> "$TMP/err" || fail "dates_zones.lua ($1) failed: $(cat "$TMP/err")"
  jq -r '.r[]' "$TMP/dz.json" > "$TMP/dz.txt"
  cmp -s "$TMP/dz.txt" tests/scripts/dates_zones.expected || fail "zone abbreviations with the tables $1 differ: $(diff tests/scripts/dates_zones.expected "$TMP/dz.txt" | head -6)"
  pass "170 date readings and 13 zone names, tables $1"
}
union_run "built (a cold cache)"
n=$(ls "$TMP/cache/lua54" | grep -c '[.]dat$')
[ "$n" -ge 18 ] || fail "a table kept per language and zone table: $n entries, want 18 or more"
pass "a table kept per language and zone table ($n)"
ls -l "$TMP/cache/lua54"/*.dat | awk '{print $5, $NF}' > "$TMP/sizes"
union_run "read back (a warm cache)"
for f in "$TMP/cache/lua54"/*.dat; do
  head -c 600 "$f" > "$f.cut" && mv "$f.cut" "$f"
done
union_run "damaged (cut short)"
for f in "$TMP/cache/lua54"/*.dat; do
  printf 'junk' > "$f"
done
union_run "damaged (junk; the generic zone names' small entries too)"
ls -l "$TMP/cache/lua54"/*.dat | awk '{print $5, $NF}' > "$TMP/sizes2"
cmp -s "$TMP/sizes" "$TMP/sizes2" || fail "damaged entries are built and kept again: $(diff "$TMP/sizes" "$TMP/sizes2" | head -4)"
pass "damaged entries built and kept again"
PIPE_CACHE_DIR=off union_run "built (no cache)"
unset PIPE_CACHE_DIR
