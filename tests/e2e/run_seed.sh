#!/bin/sh
# End-to-end: the seed page (tests/pages/paris-declaration.html) through the
# entry script gives exactly its golden record, on one line, with no trace of
# the page's boilerplate; --url and stdin input are honoured.
. "$(dirname "$0")/lib.sh"

page=tests/pages/paris-declaration.html
golden=tests/pages/paris-declaration.expected.json

# expect_golden NAME ACTUAL_FILE EXPECTED_FILE: semantic JSON equality; on a
# mismatch, names each differing field (and, for lists, the first item).
expect_golden() {
  if jq -e -n --slurpfile a "$2" --slurpfile e "$3" '$a == $e' >/dev/null; then
    pass "$1"; return
  fi
  printf 'FAIL: %s\n' "$1" >&2
  jq -r -n --slurpfile a "$2" --slurpfile e "$3" '
    $a[0] as $a | $e[0] as $e
    | ($a + $e | keys[]) as $k | select($a[$k] != $e[$k])
    | if ($a[$k] | type) == "array" and ($e[$k] | type) == "array" then
        ([range([($a[$k] | length), ($e[$k] | length)] | max)]
         | map(select($a[$k][.] != $e[$k][.])) | first) as $i
        | "field \($k)[\($i)] differs\n--- expected\n\($e[$k][$i] | tojson)\n--- actual\n\($a[$k][$i] | tojson)"
      elif ($a[$k] | type) == "string" and ($e[$k] | type) == "string" then
        ($a[$k] | explode) as $x | ($e[$k] | explode) as $y
        | (first(range([($x | length), ($y | length)] | max) | select($x[.] != $y[.]))) as $i
        | ([$i - 40, 0] | max) as $from
        | "field \($k) differs at offset \($i)\n--- expected\n…\($e[$k][$from:$i + 60] | tojson)\n--- actual\n…\($a[$k][$from:$i + 60] | tojson)"
      else
        "field \($k) differs\n--- expected\n\($e[$k] | tojson)\n--- actual\n\($a[$k] | tojson)"
      end' >&2
  exit 1
}

jq -e 'type == "object"' "$golden" >/dev/null || fail "golden $golden is not a JSON object"

expect_status "pipe run on the seed page exits 0" 0 "$PIPE" run scripts/site.lua "$page"
cp "$TMP/out" "$TMP/seed.json"
expect_eq "nothing on stderr" "" "$(cat "$TMP/err")"
expect_eq "output is one line" 1 "$(wc -l <"$TMP/seed.json" | tr -d ' ')"
expect_eq "the line is one JSON object" object "$(jq -r type "$TMP/seed.json")"
expect_golden "record equals $golden" "$TMP/seed.json" "$golden"

body=$(jq -r .body "$TMP/seed.json")
expect_eq "body is 8 one-line paragraphs split by one blank line" "8 true" \
  "$(jq -r '.body | split("\n\n") | "\(length) \(all(.[]; test("^[^\n]+$")))"' "$TMP/seed.json")"
expect_contains "inline link text kept" "President Volodymyr Zelensky produced" "$body"
expect_contains "entities decoded" "Ukraine’s position in diplomacy. The summit itself, hosted at the Élysée Palace, brought together leaders from 27 countries" "$body"
expect_contains "unclosed paragraph ends at the next" "to concrete solutions.

Zelensky then continued" "$body"

out=$(cat "$TMP/seed.json")
nbsp=$(printf '\302\240')
for s in "SHARE NEWS" "Complain" "like0" "dislike0" "Similar news" "banner" \
  "Comments" "Subscribe" "promo" "googletag" "cookie" "Accept" "Photo:" \
  "Author:" "RBC.share" "<div" "<p" "</" "&nbsp;" "&mdash;" "&#8217;" \
  "&rsquo;" "&ldquo;" "\\u00a0" "$nbsp" "\\n\\n\\n" " \\n" "\\n "; do
  expect_not_contains "no '$s' in the record" "$s" "$out"
done

# --url replaces the canonical URL, and relative links resolve against it.
moved=https://www.rbc.ua/ukr/news/parizka-deklaratsiya-1768650300.html
jq --arg u "$moved" '.url = $u
  | .related |= map(if .url | test("/(russia-s-economy|european-parliament|trump-announces|khamenei|ukraine-and-us|south-korean)")
                    then .url |= sub("^https://newsukraine\\.rbc\\.ua/"; "https://www.rbc.ua/") else . end)' \
  "$golden" >"$TMP/moved.expected.json"
expect_status "pipe run --url exits 0" 0 "$PIPE" run --url "$moved" scripts/site.lua "$page"
expect_golden "--url sets url and the base for relative links" "$TMP/out" "$TMP/moved.expected.json"
expect_eq "--url: a protocol-relative link keeps its host" \
  "https://newsukraine.rbc.ua/news/us-considers-separate-peace-council-for-1768638300.html" \
  "$(jq -r '.related[4].url' "$TMP/out")"

# The page on stdin: same record, source "-".
jq '.source = "-"' "$golden" >"$TMP/stdin.expected.json"
"$PIPE" run scripts/site.lua - <"$page" >"$TMP/out" 2>"$TMP/err" ||
  fail "pipe run on stdin: exit $?: $(cat "$TMP/err")"
expect_golden "stdin gives the same record with source -" "$TMP/out" "$TMP/stdin.expected.json"
