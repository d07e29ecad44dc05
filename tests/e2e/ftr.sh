#!/bin/sh
# End-to-end: FiveFilters site configs (lib/ftr.lua) through scripts/site.lua
# on a handmade page (tests/ftr/pages/article.html): a table of directive
# cases, each its own host in tests/ftr/rules/ (fallback order, global.txt
# interplay, subdomain files, a Lua rule overriding a config), a broken
# config, the shipped set, `pipe lint` on configs, and `pipe import ftr`
# (a golden file, and every test config round-tripped: the Lua rule gives
# the config's record and passes `pipe lint`).
. "$(dirname "$0")/lib.sh"

P=tests/ftr/pages/article.html
RULES=tests/ftr/rules

# run HOST: the record of the page as https://HOST/2024/05/harbour.html
run() {
  "$PIPE" run --explain --rules "$RULES" --url "https://$1/2024/05/harbour.html" \
    scripts/site.lua "$P" || fail "site.lua on $1"
}
# field HOST JQ: one value of that record, as compact JSON
field() { run "$1" | jq -c "$2"; }

# -- the directive table: host ~ jq expression ~ expected value
while IFS='~' read -r host expr want; do
  [ -n "$host" ] || continue
  case $host in "#"*) continue ;; esac
  expect_eq "$host: $expr" "$want" "$(field "$host" "$expr")"
done <<'EOF'
# title, author, date, body: the first XPath that matches, in file order
titles.example~.rule~"tests/ftr/rules/titles.example.txt"
titles.example~.title~"Harbour ferries return after the winter storms"
titles.example~.explain.title~"rule: //h1"
titles.example~.authors~["Jonas Berg","Mia Holm"]
titles.example~.explain.authors~"rule: //a[@rel='author']"
titles.example~.published~"2024-05-14T07:30:00+01:00"
titles.example~.explain.published~"rule: //time/@datetime"
titles.example~.explain.body~"rule: //div[@class='story-body']"
# strip, strip_id_or_class, and what Full-Text RSS always strips
titles.example~.body | [contains("ADVERTISEMENT"), contains("More on the harbour"), contains("newsletter"), contains("Hidden")]~[false,false,false,false]
titles.example~.body | split("\n\n") | length~6
# the body XPath also matches a comment's div: a comment thread is skipped
titles.example~.body | contains("I take this ferry")~false
# XPaths with string results; a body XPath with several matches, joined
strings.example~.explain.title~"rule: string(//meta[@property='og:title']/@content)"
strings.example~.authors~["Jonas Berg and Mia Holm"]
strings.example~.body~"Three ferry routes across the harbour reopen on Monday, after the winter storms left two piers unsafe for four months.\n\nThe operator said the new timetable brings a crossing every twenty minutes at peak times, and the fare stays at EUR 2.50.\n\n“We are glad to have the boats back,” one commuter said."
# a short body gives way to a longer generic one (min_length)
stub.example~.explain.body~"generic body"
stub.example~.body | startswith("Three ferry routes")~true
# prune (the default) cleans the body: a short block without images goes;
# prune: no keeps it; both lose the boilerplate filter's prompt lines
nested.example~.body | [contains("Ferry services"), contains("ADVERTISEMENT")]~[false,false]
noprune.example~.body | [contains("Ferry services"), contains("ADVERTISEMENT")]~[true,false]
# ... and the generic reader reads the page without the config's strips
# (here they take the whole article text)
stale.example~.explain.body~"generic body"
stale.example~.body | startswith("Three ferry routes")~true
# no body XPath matches and a strip takes a part of the article: the
# generic fallback keeps that part
stalestrip.example~.explain.body~"generic body"
stalestrip.example~.body | contains("Repairs to the north pier")~true
# matches inside an earlier match are read once
nested.example~.body | [scan("More on the harbour")] | length~1
# an XPath that fails when evaluated matches nothing; the next line is read
evalfail.example~.explain.body~"rule: //article//div[@class='story-body'] (after //article[contains(@class='story')]//div[@class='wrapper']: the XPath failed: invalid number of arguments)"
evalfail.example~.body | startswith("Three ferry routes")~true
# no body XPath matches: the generic extractor, and --explain says so
fallback.example~.explain.body~"generic body"
fallback.example~.body | startswith("Three ferry routes")~true
# global.txt: its title after the site's, its strips too
global.example~.explain.title~"rule: //meta[@property=\"og:title\"]/@content"
global.example~.body | contains("Share")~false
global.example~.body | startswith("Three ferry routes")~true
# autodetect_on_failure: no: global.txt is not merged
strict2.example~.explain.title~"metadata"
# find_string/replace_string and replace_string(FIND): REPLACE on the raw
# HTML; typographic quotes to ASCII are not honoured
replace.example~.body | [contains("€2.50"), contains("no charge.\n\nThe summer"), contains("council’s")]~[true,true,true]
# unequal counts: no replacement at all
unbalanced.example~.body | [contains("EUR 2.50"), contains("X")]~[true,false]
# dissolve: the wrapper's paragraphs become children of story-body
dissolve.example~.body | split("\n\n") | .[0]~"Three ferry routes across the harbour reopen on Monday, after the winter storms left two piers unsafe for four months."
dissolve.example~.body | split("\n\n") | length~6
# wrap_in(h2) makes the run-in head a block; move_into brings the credit in
moves.example~.body | contains("A new pier\n\nRepairs to the north pier")~true
moves.example~.body | endswith("Additional reporting by Lea Sand.")~true
# single_page_link, next_page_link: absolute URLs; native_ad_clue
links.example~[.single_page_url, .next_page_url, .native_ad]~["https://links.example/print/2024/05/harbour.html","https://links.example/2024/05/harbour.html?page=2",true]
# if_page_contains not met; a clue that does not match
conditional.example~[.single_page_url, .native_ad]~[null,null]
# subdomain files
wild.example~.rule~"tests/ftr/rules/wild.example.txt"
www.wild.example~.rule~"tests/ftr/rules/wild.example.txt"
news.wild.example~.rule~"tests/ftr/rules/.wild.example.txt"
a.b.wild.example~.rule~"tests/ftr/rules/.wild.example.txt"
sport.wild.example~.rule~"tests/ftr/rules/sport.wild.example.txt"
www.sport.wild.example~.rule~"tests/ftr/rules/sport.wild.example.txt"
# a Lua rule for the host wins over the config
override.example~.rule~"tests/ftr/rules/override.lua"
EOF

# -- a second page (tests/ftr/pages/opinion.html): an opinion piece whose
# config body XPath adds the standfirst, with a trailing letters/social
# note, a subscription inset of images, a tag line and a sentence of links
O=tests/ftr/pages/opinion.html
obody() {
  "$PIPE" run --explain --rules "$RULES" --url "https://$1/opinion/second-pier.html" \
    scripts/site.lua "$O" | jq -c "$2" || fail "site.lua on $1 ($O)"
}
ART1="Every summer morning the queue for the eight o’clock ferry reaches the fish market, and every summer the council promises to look into it."
ART2="This year it has looked, and its answer is a car park with four hundred spaces on the land the harbour board had set aside for a second pier.\n\nNobody who waits in that queue arrives by car: the people in it walk down from the old town, come off the morning bus or cycle in along the coast road, and most of them are going to work on the islands.\n\nThe storms closed the island schools, all three ferry routes and the regional airport twice.\n\nA second pier would let two boats board at once, which the operator says would halve the queue at peak times.\n\nThe harbour board has the drawings, and the ferry operator has offered to share the cost of the foundations.\n\nThe council should put the pier first, and the parking where the old bus depot stands."
# the standfirst matched by the body XPath is the description, not body;
# pruned: the short "Analysis" label goes; the sentence of links stays, the
# tag line, the image inset, the letters/social note and the caption line
# that repeats an image's alt text (the image stripped) go
expect_eq "standfirst: body" "\"$ART1\\n\\n$ART2\"" "$(obody standfirst.example .body)"
expect_eq "standfirst: description" '"The council’s plan spends on parking what the ferries need for boarding."' \
  "$(obody standfirst.example .description)"
expect_eq "standfirst: from the config" '"rule: //section[@name=\"articleBody\"] | //p[@id=\"article-summary\"]"' \
  "$(obody standfirst.example .explain.body)"
# prune: no: the label stays (no cleaning by shape); the link-heavy note,
# the inset and the tag line still go
expect_eq "prune: no: body" "\"Analysis\\n\\n$ART1\\n\\n$ART2\"" "$(obody letters.example .body)"
# the same body XPath in a Lua rule without skip_description keeps the
# standfirst (the option is what leaves it out)
cat >"$TMP/standfirst.lua" <<'LUA'
local rules = require("lib.rules")
return function(page)
  local spec = { '//section[@name="articleBody"] | //p[@id="article-summary"]',
                 join = "\n\n", outermost = true, prune = true }
  local a = rules.apply({ fields = { body = spec } }, page).body
  spec.skip_description = true
  local b = rules.apply({ fields = { body = spec } }, page).body
  local lead = "The council’s plan spends on parking"
  return { with = a:find(lead, 1, true) == 1, without = b:find(lead, 1, true) ~= nil,
           starts = b:sub(1, 20) }
end
LUA
out=$("$PIPE" run "$TMP/standfirst.lua" "$O" | jq -c '[.with, .without, .starts]')
expect_eq "skip_description in a Lua rule" '[true,false,"Every summer morning"]' "$out"

# a description cut short ("…") matches the standfirst it starts, not the
# article that opens with the same words
mkdir -p "$TMP/cutrules"
printf 'body: //p[@class="dek"] | //div[@class="story"]\n' >"$TMP/cutrules/cut.example.txt"
cat >"$TMP/cut.html" <<'HTML'
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Ferries return | Example News</title>
<meta property="og:description" content="Three ferry routes across the harbour reopen on Monday, after…">
</head><body><article>
<p class="dek">Three ferry routes across the harbour reopen on Monday, after the storms.</p>
<div class="story">
<p>Three ferry routes across the harbour reopen on Monday, after the winter storms left two piers unsafe for four months.</p>
<p>The operator said the new timetable brings a crossing every twenty minutes at peak times, and the fare stays at EUR 2.50.</p>
<p>Repairs to the north pier cost more than planned, the council’s report says, because its foundations had to be replaced.</p>
<p>Cyclists can take their bikes on board at no charge, and the summer timetable starts in June with two more evening crossings.</p>
<p>The harbour board expects the south pier to reopen in July, once divers have checked the piles that the February storm loosened.</p>
</div></article></body></html>
HTML
out=$("$PIPE" run --rules "$TMP/cutrules" --url https://cut.example/a.html scripts/site.lua "$TMP/cut.html" |
  jq -c '.body | split("\n\n") | [length, .[0]]') || fail "site.lua on a cut description"
expect_eq "a cut description: the standfirst goes, the article stays" \
  '[5,"Three ferry routes across the harbour reopen on Monday, after the winter storms left two piers unsafe for four months."]' "$out"

# a {generic=} source runs generic.lua on the page itself (read-only while
# fields are read); a generic.lua that edits the page gets the read-only
# error and runs again on a copy, so the other fields still see the page
mkdir -p "$TMP/gtree/scripts"
cat >"$TMP/gtree/scripts/generic.lua" <<'LUA'
return function(page)
  page.doc:remove(".share-bar")
  return { body = page.doc:first(".story-body p"):text() }
end
LUA
cat >"$TMP/gtree/scripts/main.lua" <<'LUA'
local rules = require("lib.rules")
return function(page)
  return rules.apply({ fields = {
    body = { "//div[@id='none']", { generic = "body", clean = false } },
    share = ".share-bar a",
  } }, page)
end
LUA
out=$("$PIPE" run --explain "$TMP/gtree/scripts/main.lua" "$P" | jq -c '[.body, .share, .explain.body]') ||
  fail "a generic.lua that edits the page"
expect_eq "a generic.lua that edits the page runs on a copy" \
  '["Three ferry routes across the harbour reopen on Monday, after the winter storms left two piers unsafe for four months.","Share","generic body"]' "$out"

# autodetect_on_failure: no and no body XPath matches: the page fails
expect_status "strict config without a body fails" 1 "$PIPE" run --rules "$RULES" \
  --url https://strict.example/a.html scripts/site.lua "$P"
expect_eq "strict config: message" \
  "pipe: $P: required field 'body' is missing (tried: //div[@id='nothing-here'])" "$(cat "$TMP/err")"

# a config that does not load fails the pages it serves, naming the file and
# line; the other inputs are still processed
cp "$P" "$TMP/other.html"
expect_status "broken config fails its page" 1 "$PIPE" run --rules tests/ftr/lint \
  --url https://broken.example/a.html scripts/site.lua "$P"
expect_eq "broken config: message" \
  "pipe: $P: tests/ftr/lint/broken.example.txt: line 2: body: bad xpath '//div[@class='story-body'': invalid predicate" \
  "$(cat "$TMP/err")"

# -- the shipped set (scripts/sites/ftr/), no --rules needed
out=$("$PIPE" run --explain --url https://www.theguardian.com/world/2024/may/14/harbour scripts/site.lua "$P") ||
  fail "site.lua with a shipped config"
expect_eq "shipped config picked" '"sites/ftr/theguardian.com.txt"' "$(printf '%s' "$out" | jq -c .rule)"
expect_eq "shipped config: its body XPath matches nothing here: generic" '"generic body"' \
  "$(printf '%s' "$out" | jq -c .explain.body)"
out=$("$PIPE" run --url https://no-config.example/a.html scripts/site.lua "$P") || fail "site.lua, no rule"
expect_eq "no rule, no config: generic.lua" '"generic.lua"' "$(printf '%s' "$out" | jq -c .rule)"

# -- a rules directory outside the repository: run, test and lint use it
mkdir -p "$TMP/myrules/pages"
cp "$P" "$TMP/myrules/pages/harbour.html"
cat >"$TMP/myrules/harbour.lua" <<'LUA'
return {
  hosts = { "harbour.example" },
  fields = { title = "h1", body = { ".story-body > div.wrapper", paragraphs = true } },
  tests = {
    { page = "pages/harbour.html", url = "https://harbour.example/a.html",
      expect = { title = "Harbour ferries return after the winter storms",
                 body = { contains = "Three ferry routes" } } },
  },
}
LUA
printf 'body: //p[@class="pullquote"]\ntest_url: https://www.theguardian.com/a\n' >"$TMP/myrules/theguardian.com.txt"
out=$(cd "$TMP" && "$PIPE" run --rules myrules --url https://harbour.example/a.html \
  "$SRCDIR/scripts/site.lua" myrules/pages/harbour.html) || fail "run --rules outside the repo"
expect_eq "run --rules: a Lua rule there" '"myrules/harbour.lua"' "$(printf '%s' "$out" | jq -c .rule)"
expect_eq "run --rules: its fields" '"Three ferry routes across the harbour reopen on Monday, after the winter storms left two piers unsafe for four months.\n\nThe operator said the new timetable brings a crossing every twenty minutes at peak times, and the fare stays at EUR 2.50."' \
  "$(printf '%s' "$out" | jq -c .body)"
out=$("$PIPE" run --rules "$TMP/myrules" --url https://www.theguardian.com/a scripts/site.lua "$P") ||
  fail "run --rules with a config"
expect_eq "run --rules: a config there comes before the shipped one" "\"$TMP/myrules/theguardian.com.txt\"" \
  "$(printf '%s' "$out" | jq -c .rule)"
out=$(PIPE_RULES="$TMP/nowhere-else:$TMP/myrules" "$PIPE" run --url https://harbour.example/a.html scripts/site.lua "$P" 2>&1)
expect_contains "PIPE_RULES: a directory that is not one" "PIPE_RULES '$TMP/nowhere-else': not a directory" "$out"
out=$(PIPE_RULES="$TMP/myrules" "$PIPE" run --url https://harbour.example/a.html scripts/site.lua "$P") ||
  fail "run with PIPE_RULES"
expect_eq "PIPE_RULES: the same directory" "\"$TMP/myrules/harbour.lua\"" "$(printf '%s' "$out" | jq -c .rule)"
expect_status "run --rules: not a directory" 2 "$PIPE" run --rules "$TMP/nope" scripts/site.lua "$P"
expect_eq "run --rules: not a directory: message" "pipe: --rules '$TMP/nope': not a directory" "$(cat "$TMP/err")"
expect_status "test --rules outside the repo" 0 sh -c "cd '$TMP' && '$PIPE' test --rules myrules"
expect_eq "test --rules: output" "PASS harbour harbour
SKIP theguardian.com case 1: online case (https://www.theguardian.com/a); save the page and give it as page =
1 passed, 0 failed, 1 skipped (online)" "$(cat "$TMP/out")"
expect_status "test DIR/ outside the repo" 0 "$PIPE" test "$TMP/myrules/"
expect_status "lint --rules outside the repo" 1 sh -c "cd '$TMP' && '$PIPE' lint --rules myrules"
expect_eq "lint --rules: output" "myrules/theguardian.com.txt:2: test_url: online only: pipe fetches nothing; save the page and make it a test case of a Lua rule" "$(cat "$TMP/out")"
expect_status "lint DIR outside the repo: the Lua rule is clean" 0 "$PIPE" lint "$TMP/myrules/harbour.lua"

# -- pipe lint on configs: FILE:LINE: message
expect_status "lint on broken configs" 1 "$PIPE" lint tests/ftr/lint
expect_eq "lint: findings" "tests/ftr/lint/broken.example.txt:2: body: bad xpath '//div[@class='story-body'': invalid predicate
tests/ftr/lint/problems.example.txt: find_string and replace_string counts differ (3 and 2): Full-Text RSS skips every replacement
tests/ftr/lint/problems.example.txt:2: unknown directive 'titl': Full-Text RSS ignores it silently
tests/ftr/lint/problems.example.txt:3: unknown directive 'Title' (directives are lowercase: 'title'): Full-Text RSS ignores it silently
tests/ftr/lint/problems.example.txt:5: unknown directive 'test_rul': Full-Text RSS ignores it silently
tests/ftr/lint/problems.example.txt:6: strip: bad xpath '//div[contains(@class, 'ad')': invalid predicate
tests/ftr/lint/problems.example.txt:8: a bare URL, not a directive: Full-Text RSS ignores the line
tests/ftr/lint/problems.example.txt:9: no ':' on the line (Full-Text RSS ignores it)
tests/ftr/lint/problems.example.txt:10: login_uri: ignored: pipe fetches nothing
tests/ftr/lint/problems.example.txt:11: login_username_field: ignored: pipe fetches nothing
tests/ftr/lint/problems.example.txt:12: http_header: ignored: pipe fetches nothing
tests/ftr/lint/problems.example.txt:21: move_into: target: bad xpath '//div[': invalid expression
tests/ftr/lint/problems.example.txt:23: test_url (2 lines: 23, 25): online only: pipe fetches nothing; save the page and make it a test case of a Lua rule
tests/ftr/lint/problems.example.txt:24: test_contains: online only, checked with its test_url" "$(cat "$TMP/out")"
expect_status "test on a broken config" 3 "$PIPE" test tests/ftr/lint/broken.example.txt
expect_contains "test on a broken config: message" "FAIL broken.example (load)
    tests/ftr/lint/broken.example.txt: line 2: body: bad xpath" "$(cat "$TMP/out")"

# -- pipe import ftr: the golden rule; global.txt beside the file, else the
# shipped one
"$PIPE" import ftr tests/ftr/import/every.example.txt >"$TMP/every.lua" || fail "import ftr"
if ! diff -u tests/ftr/import/every_example.lua "$TMP/every.lua" >"$TMP/diff"; then
  fail "import ftr differs from tests/ftr/import/every_example.lua:
$(cat "$TMP/diff")"
fi
pass "import ftr: the golden rule"
expect_status "the imported rule passes lint" 0 "$PIPE" lint tests/ftr/import/every_example.lua
cp tests/ftr/import/every.example.txt "$TMP/every.example.txt"
out=$("$PIPE" import ftr "$TMP/every.example.txt") || fail "import ftr without a global.txt beside"
expect_contains "import: the shipped global.txt" "\"img[src*='doubleclick.net']\",  -- global.txt: strip_image_src" "$out"
expect_status "import: a file that is not a config" 1 "$PIPE" import ftr "$P"
expect_eq "import: not a config: message" "pipe: $P: not a FiveFilters config (*.txt)" "$(cat "$TMP/err")"
expect_status "import: usage" 2 "$PIPE" import mercury x.txt

# every test config round-trips: imported with -o, the Lua rules pass lint
# and give the config's record
mkdir "$TMP/lua"
"$PIPE" import ftr -o "$TMP/lua" "$RULES"/*.txt "$RULES"/.wild.example.txt >"$TMP/out" ||
  fail "import ftr -o"
expect_contains "import -o: file names" "WROTE $TMP/lua/_wild_example.lua" "$(cat "$TMP/out")"
expect_status "imported rules pass lint" 0 "$PIPE" lint "$TMP/lua"
for host in titles.example strings.example nested.example fallback.example global.example \
    strict2.example replace.example unbalanced.example dissolve.example moves.example \
    links.example conditional.example stub.example stale.example stalestrip.example noprune.example wild.example news.wild.example sport.wild.example; do
  u="https://$host/2024/05/harbour.html"
  "$PIPE" run --rules "$RULES" --url "$u" scripts/site.lua "$P" | jq -S 'del(.rule)' >"$TMP/a.json"
  "$PIPE" run --rules "$TMP/lua" --url "$u" scripts/site.lua "$P" | jq -S 'del(.rule)' >"$TMP/b.json"
  if ! cmp -s "$TMP/a.json" "$TMP/b.json"; then
    fail "round trip $host: the imported rule's record differs:
$(diff "$TMP/a.json" "$TMP/b.json")"
  fi
  pass "round trip $host"
done

# -- the engine features the configs compile to, in a Lua rule
out=$("$PIPE" run --explain --url https://engine.example/a tests/ftr/engine.lua "$P") ||
  fail "tests/ftr/engine.lua"
ef() { printf '%s' "$out" | jq -c "$1"; }
expect_eq "remove: //img/@srcset removes the attribute" null "$(ef .srcset)"
expect_eq "remove: ::attr(alt) removes the attribute" null "$(ef .alt)"
expect_eq "remove: the element stays" '"https://cdn.example-news.com/img/ferry-800.jpg"' "$(ef .src)"
expect_eq "an XPath boolean true is a value" true "$(ef .sponsored)"
expect_eq "a leading XPath function call is XPath" '"Jonas Berg and Mia Holm"' "$(ef .byline)"
expect_eq "skip: not the comment thread" false "$(ef '.body | contains("I take this ferry")')"
expect_eq "without skip the comment's match is read" true "$(ef '.every_body | contains("I take this ferry")')"
expect_eq "clean: inside the matches" false "$(ef '.body | contains("More on the harbour")')"
expect_eq "move: into the target" true "$(ef '.body | endswith("Additional reporting by Lea Sand.")')"
expect_eq "wrap: a block of its own" true "$(ef '.body | contains("A new pier\n\nRepairs")')"
expect_eq "min_length: a longer later source" '"rule: //div[@class='"'"'wrapper'"'"']"' "$(ef .explain.stub)"
expect_eq "{generic = FIELD}: a last resort" '"generic title"' "$(ef .explain.fallback)"
