#!/bin/sh
# The four fixture sites (blog, legacy, spa, wire) through scripts/site.lua:
# each page's record against its golden (field by field, so a failure names
# the field), spot checks on every page, and a page whose article container
# was renamed, which must fail naming the required field, in `pipe run` and
# in `pipe test`.
. "$(dirname "$0")/lib.sh"
command -v jq >/dev/null 2>&1 || { echo "SKIP: jq not installed"; exit 77; }

# run PAGE [--url URL]: the record, keys sorted
run() {
  page=$1; shift
  "$PIPE" run scripts/site.lua "tests/pages/$page.html" "$@" >"$TMP/$page.json" 2>"$TMP/$page.err" ||
    fail "$page: pipe run exited $?: $(cat "$TMP/$page.err")"
  jq -S . "$TMP/$page.json" >"$TMP/$page.sorted" || fail "$page: output is not JSON"
}

# field PAGE EXPR: a jq expression over the page's record, raw output
field() { jq -r "$2" "$TMP/$1.json"; }

# golden PAGE: compare the record with tests/pages/PAGE.expected.json
golden() {
  page=$1 want="tests/pages/$1.expected.json"
  jq -S . "$want" >"$TMP/$page.want" || fail "$page: bad golden $want"
  if ! cmp -s "$TMP/$page.want" "$TMP/$page.sorted"; then
    for k in $(jq -r -n --slurpfile a "$TMP/$page.want" --slurpfile b "$TMP/$page.sorted" \
        '($a[0] + $b[0]) | keys[]'); do
      w=$(jq -S -c --arg k "$k" '.[$k]' "$TMP/$page.want")
      g=$(jq -S -c --arg k "$k" '.[$k]' "$TMP/$page.sorted")
      [ "$w" = "$g" ] || printf 'FAIL: %s: field %s\n--- expected\n%s\n--- actual\n%s\n' \
        "$page" "$k" "$w" "$g" >&2
    done
    fail "$page: record differs from $want"
  fi
  pass "$page matches its golden"
}

for page in blog-dahlia-tubers blog-apple-pruning legacy-vodogin spa-sodium-battery \
    spa-night-trains wire-port-strike wire-ecb-rates; do
  run "$page"
done
# no canonical link or og:url on this page: the URL picks the rule
run legacy-olimpiada --url http://www.pryluky-visnyk.com.ua/news/education/2026/01/15/18722.html

for page in blog-dahlia-tubers legacy-vodogin spa-sodium-battery wire-port-strike; do
  golden "$page"
done

# blog: the whole thread, replies after their parent, dates with offsets
expect_eq "blog comment count" 5 "$(field blog-dahlia-tubers '.comments | length')"
expect_eq "blog comment authors in thread order" \
  "Margaret Ellis|Ruth Calloway|Margaret Ellis|Tom Okafor|Linnea" \
  "$(field blog-dahlia-tubers '[.comments[].author] | join("|")')"
expect_eq "blog reply date" "2026-01-18T09:12:00-05:00" "$(field blog-dahlia-tubers '.comments[2].date')"
expect_eq "blog second page comment count" 4 "$(field blog-apple-pruning '.comments | length')"
expect_eq "blog co-authors" "Ruth Calloway, Daniel Voss" "$(field blog-apple-pruning '.authors | join(", ")')"
expect_not_contains "blog body has no share buttons" "Share this" "$(field blog-apple-pruning .body)"
expect_not_contains "blog body has no related posts" "Cider From Apples" "$(field blog-apple-pruning .body)"

# legacy: Cyrillic decoded from windows-1251, with and without a charset
expect_eq "legacy title (declared charset)" "На вулиці Київській замінили 600 метрів водогону" \
  "$(field legacy-vodogin .title)"
expect_eq "legacy title (no charset)" \
  "Прилуцькі школярі вибороли три медалі на обласній олімпіаді з хімії" "$(field legacy-olimpiada .title)"
expect_contains "legacy body (no charset)" "Диплом І ступеня серед одинадцятикласників здобув Максим Литвиненко" \
  "$(field legacy-olimpiada .body)"
expect_eq "legacy rule picked by --url" "sites/pryluky_visnyk.lua" "$(field legacy-olimpiada .rule)"
expect_eq "legacy authors split" "Ігор Савчук|Наталія Кравець" "$(field legacy-olimpiada '.authors | join("|")')"
expect_eq "legacy local date with tz" "2026-01-15T09:40:00+02:00" "$(field legacy-olimpiada .published)"
expect_not_contains "legacy body has no banner" "НМТ" "$(field legacy-olimpiada .body)"
if grep -q "$(printf '\357\277\275')" "$TMP/legacy-olimpiada.json" "$TMP/legacy-vodogin.json"; then
  fail "legacy output has U+FFFD replacement characters"
fi
pass "legacy output has no replacement characters"

# spa: text only in JSON-LD (@graph and an author array on the second page)
expect_eq "spa authors from a JSON-LD array" "Jonas Weber|Giulia Conti" "$(field spa-night-trains '.authors | join("|")')"
expect_eq "spa paragraphs kept" 6 "$(field spa-night-trains '.body | split("\n\n") | length')"

# wire: several authors, both dates, no inserts or embeds in the body
for page in wire-port-strike wire-ecb-rates; do
  body=$(field "$page" .body)
  expect_not_contains "$page: no Read also inserts" "Read also" "$body"
  expect_not_contains "$page: no ad slots" "Advertisement" "$body"
  expect_not_contains "$page: no tweets" "pic.twitter.com" "$body"
  expect_not_contains "$page: no tweet text" "Monetary policy decisions" "$body"
done
expect_not_contains "wire: no video player label" "Watch: Picket lines" "$(field wire-port-strike .body)"
expect_eq "wire authors" 3 "$(field wire-port-strike '.authors | length')"
expect_eq "wire updated date" "2026-01-15T16:02:00+00:00" "$(field wire-ecb-rates .modified)"

# a broken page: the article container renamed, as when a site redesigns
mkdir -p "$TMP/site/scripts/sites" "$TMP/site/tests/pages"
sed 's/class="article-body"/class="story-body"/' tests/pages/wire-port-strike.html \
  >"$TMP/site/tests/pages/wire-port-strike.html"
grep -q 'class="story-body"' "$TMP/site/tests/pages/wire-port-strike.html" || fail "sed did not rename the container"
expect_status "broken page fails in pipe run" 1 \
  "$PIPE" run scripts/site.lua "$TMP/site/tests/pages/wire-port-strike.html"
expect_contains "pipe run names the field" "required field 'body' is missing (tried: .article-body)" \
  "$(cat "$TMP/err")"
[ -s "$TMP/out" ] && fail "broken page still printed a record: $(cat "$TMP/out")"
pass "broken page printed no record"

# the same change seen by `pipe test`, in a copy of the tree holding the rule
cp scripts/sites/meridianwire.lua "$TMP/site/scripts/sites/"
cp tests/pages/wire-ecb-rates.html tests/pages/wire-port-strike.expected.json "$TMP/site/tests/pages/"
(cd "$TMP/site" && "$PIPE" test scripts/sites/meridianwire.lua) >"$TMP/test.out" 2>&1
status=$?
expect_eq "pipe test exit status on a broken page" 3 "$status"
expect_contains "pipe test reports the failing case" "FAIL meridianwire wire-port-strike" "$(cat "$TMP/test.out")"
expect_contains "pipe test names the field" "required field 'body' is missing" "$(cat "$TMP/test.out")"
expect_contains "pipe test summary" "1 passed, 1 failed" "$(cat "$TMP/test.out")"

# the rules' own test cases, as a rule author runs them
"$PIPE" test scripts/sites/cms_wordpress.lua scripts/sites/hillsidegardener.lua \
  scripts/sites/pryluky_visnyk.lua scripts/sites/thelongitude.lua scripts/sites/meridianwire.lua \
  >"$TMP/rules.out" 2>&1
status=$?
[ "$status" = 0 ] || fail "pipe test on the site rules exited $status: $(cat "$TMP/rules.out")"
expect_contains "pipe test on the site rules" "8 passed, 0 failed" "$(cat "$TMP/rules.out")"
