#!/bin/sh
# pipe test and pipe lint on a small rules tree made here: passing cases,
# each kind of failing expectation with its message, goldens and --update,
# rules without tests, rules that do not load, lint findings.
. "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/scripts/sites" "$TMP/pages"
cat > "$TMP/pages/a.html" <<'HTML'
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Demo story | Demo</title>
<link rel="canonical" href="https://demo.example/a.html">
<meta property="og:site_name" content="Demo"></head>
<body><nav><a href="/">Home</a></nav>
<article><h1 class="headline">Demo story</h1>
<p class="byline">By Ann Lee</p>
<div class="text"><p>First paragraph of the story.</p><p>Second one.</p></div>
<ul class="tags"><li>one</li><li>two</li></ul>
</article><footer>© Demo</footer></body></html>
HTML
cat > "$TMP/scripts/sites/demo.lua" <<'LUA'
return {
  hosts = { "demo.example" },
  metadata = false,
  fields = {
    title = ".headline",
    byline = { ".byline", re = "By (.+)" },
    body = { ".text", paragraphs = true },
    tags = { ".tags li", all = true },
  },
  tests = {
    { page = "../../pages/a.html", name = "fields",
      expect = { title = "Demo story", byline = "Ann Lee",
                 body = { contains = "Second one.", matches = "^First" },
                 tags = { count = 2 }, lang = { absent = true } } },
    { page = "../../pages/a.html", name = "golden", golden = "../../pages/a.expected.json" },
  },
}
LUA
cp "$TMP/pages/a.html" "$TMP/pages/a.orig"
cd "$TMP"

# a golden that does not exist yet: the case fails and says how to make it
expect_status "missing golden fails" 3 "$PIPE" test scripts/sites
expect_contains "missing golden message" "cannot read golden" "$(cat "$TMP/out")"
expect_status "--update writes it" 0 "$PIPE" test --update scripts/sites
expect_contains "--update reports" "UPDATED" "$(cat "$TMP/out")"
[ -f pages/a.expected.json ] || fail "golden not written at its path"
expect_eq "golden content" '"Demo story"' "$(jq '.title' pages/a.expected.json)"
expect_status "all pass" 0 "$PIPE" test scripts/sites
expect_eq "pass output" "PASS demo fields
PASS demo golden
2 passed, 0 failed" "$(cat "$TMP/out")"

# the site changes its markup: every expectation names its field
sed -e 's/class="headline"/class="title"/' -e 's/By Ann Lee/Ann Lee/' \
    -e 's/<li>two<\/li>//' -e 's/First paragraph/Opening paragraph/' pages/a.html > pages/b.html
mv pages/b.html pages/a.html
expect_status "changed site fails" 3 "$PIPE" test scripts/sites
out=$(cat "$TMP/out")
expect_contains "title named" "    title: expected \"Demo story\"" "$out"
expect_contains "byline named" "    byline: expected \"Ann Lee\"" "$out"
expect_contains "matches named" "    body: expected to match /^First/" "$out"
expect_contains "count named" "    tags: expected 2 items, got 1" "$out"
expect_contains "golden names first differing field" "    body: expected \"First paragraph" "$out"
expect_contains "first difference position" "(first difference at byte 1)" "$out"
expect_contains "summary" "0 passed, 2 failed" "$out"
expect_contains "FAIL line" "FAIL demo fields" "$out"

# exact value with a difference in the middle
cat > scripts/sites/diff.lua <<'LUA'
return { hosts = { "diff.example" }, metadata = false,
  fields = { title = "h1" },
  tests = { { page = "../../pages/a.html", url = "https://diff.example/x",
              expect = { title = "Demo stor!", url = "https://diff.example/x" } } } }
LUA
expect_status "diff case" 3 "$PIPE" test scripts/sites/diff.lua
expect_contains "diff position" "(first difference at byte 10)" "$(cat "$TMP/out")"
expect_contains "url passes through --url" "1 failed" "$(cat "$TMP/out")"
expect_not_contains "url is right" "url:" "$(cat "$TMP/out")"

# a rule without tests is reported; a rule that does not load fails
printf 'return { hosts = { "n.example" }, fields = { t = "h1" } }\n' > scripts/sites/notest.lua
printf 'return { hosts = { "x.example" }, feilds = {} }\n' > scripts/sites/typo.lua
expect_status "no tests / bad rule" 3 "$PIPE" test scripts/sites/notest.lua scripts/sites/typo.lua
expect_eq "no tests and load failure" "NOTEST notest: no test cases
FAIL typo (load)
    scripts/sites/typo.lua: unknown key 'feilds'
0 passed, 1 failed" "$(cat "$TMP/out")"
rm scripts/sites/typo.lua scripts/sites/diff.lua

# a case whose page belongs to another host than the rule's
cat > scripts/sites/wronghost.lua <<'LUA'
return { hosts = { "other.example" }, fields = { t = "h1" },
  tests = { { page = "../../pages/a.html", expect = { t = "Demo story" } } } }
LUA
expect_status "host mismatch" 3 "$PIPE" test scripts/sites/wronghost.lua
expect_contains "host mismatch message" "the rule's hosts do not match the page's host 'demo.example' (give the case a url)" "$(cat "$TMP/out")"
rm scripts/sites/wronghost.lua

# lint: unknown keys, dead selectors, fallback-only fields, no tests
git_page=pages/a.html
cat > scripts/sites/lintme.lua <<'LUA'
return {
  hosts = { "l.example" },
  remove = { ".gone-ad" },
  fields = {
    title = { ".old-title", "h1" },
    body = ".text",
  },
  tests = { { page = "../../pages/a.html", url = "https://l.example/a", expect = { body = { contains = "Second" } } } },
}
LUA
expect_status "lint findings" 1 "$PIPE" lint scripts/sites/lintme.lua scripts/sites/notest.lua
expect_eq "lint output" "scripts/sites/lintme.lua: remove[1]: selector '.gone-ad' matches nothing in the rule's fixtures
scripts/sites/lintme.lua: fields.title[1]: selector '.old-title' matches nothing in the rule's fixtures
scripts/sites/lintme.lua: fields.title: only a fallback fills it (rule: h1), never its first source
scripts/sites/notest.lua: no test cases" "$(cat "$TMP/out")"
printf 'return { hosts = { "x.example" }, fields = { t = "h1[" } }\n' > scripts/sites/badsel.lua
expect_status "lint bad selector" 1 "$PIPE" lint scripts/sites/badsel.lua
expect_contains "lint names file, key and offset" "scripts/sites/badsel.lua: fields.t: bad selector 'h1[' at offset" "$(cat "$TMP/out")"
rm scripts/sites/badsel.lua scripts/sites/notest.lua
cp pages/a.orig pages/a.html
expect_status "clean rule" 0 "$PIPE" lint scripts/sites/demo.lua
expect_eq "clean lint output" "no findings" "$(cat "$TMP/out")"

# invisible differences are shown; starts_with, ends_with, equals; unknown
# check keys and cases without expectations are errors, not silent passes
cat > pages/nbsp.html <<'HTML'
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Price</title></head>
<body><h1>Price:&nbsp;12&thinsp;000&nbsp;€</h1><p class="when">2 hours ago</p>
<div class="text"><p>One.</p><p>Two.</p></div></body></html>
HTML
cat > scripts/sites/checks.lua <<'LUA'
return {
  hosts = { "checks.example" }, metadata = false,
  fields = {
    title = { "h1", keep_spaces = true },
    plain = "h1",
    when = { ".when", date = true },
    paras = { ".text p", all = true },
    body = { ".text", paragraphs = true },
  },
  tests = {
    { page = "../../pages/nbsp.html", url = "https://checks.example/n", name = "keep",
      now = "2026-01-17T16:30:00+02:00",
      expect = { title = "Price:\u{A0}12\u{2009}000\u{A0}€", plain = "Price: 12 000 €",
                 when = "2026-01-17T14:30:00+02:00",
                 body = { starts_with = "One.", ends_with = "Two." },
                 paras = { equals = { "One.", "Two." }, count = 2 } } },
    { page = "../../pages/nbsp.html", url = "https://checks.example/n", name = "wrong",
      expect = { title = "Price: 12 000 €", plain = "Price: 12 000 € ",
                 body = { starts_with = "Two", ends_with = "One." },
                 paras = { equals = { "One." } } } },
    { page = "../../pages/nbsp.html", url = "https://checks.example/n", name = "typo",
      expect = { body = { contain = "One", matches = "^One" } } },
    { page = "../../pages/nbsp.html", url = "https://checks.example/n", name = "empty" },
    { page = "../../pages/nbsp.html", url = "https://checks.example/n", name = "badkey",
      expected = { title = "x" } },
  },
}
LUA
expect_status "check failures" 3 "$PIPE" test scripts/sites/checks.lua
expect_eq "check messages" 'PASS checks keep
FAIL checks wrong
    body (start): expected "Two"
      got "One"
      (first difference at byte 1)
    body (end): expected "One."
      got "Two."
      (first difference at byte 1)
    paras[2]: expected nothing (field absent)
      got "Two."
    plain: expected "Price: 12 000 €\u{0020}"
      got "Price: 12 000 €"
      (first difference at byte 18, an invisible character)
    title: expected "Price: 12 000 €"
      got "Price:\u{00A0}12\u{2009}000\u{00A0}€"
      (first difference at byte 7, an invisible character)
FAIL checks typo
    body: unknown check '"'"'contain'"'"' (want absent, contains, count, ends_with, equals, matches, not_contains, starts_with)
FAIL checks empty
    case has no expectations (give expect or golden)
FAIL checks badkey
    unknown case key '"'"'expected'"'"' (want page, url, name, expect, golden, now)
1 passed, 4 failed' "$(cat "$TMP/out")"
rm scripts/sites/checks.lua

# lint: an intended fallback is marked; literal selectors in functions are
# checked; a field under another name than the standard one is named
cat > scripts/sites/lint2.lua <<'LUA'
return {
  hosts = { "l2.example" },
  fields = {
    title = { "h1", { ".legacy-headline", fallback = true } },
    author = ".byline",
    words = function(page)
      local n = #page.doc:select(".text p")
      return n + #page.doc:select(".gone-widget")
    end,
    broken = function(page) return page.doc:first("h1[") end,
  },
  tests = { { page = "../../pages/a.html", url = "https://l2.example/a", expect = { title = "Demo story" } } },
}
LUA
expect_status "lint: marks and literals" 1 "$PIPE" lint scripts/sites/lint2.lua
expect_eq "lint: marks and literals output" "scripts/sites/lint2.lua: fields.author: the standard field is 'authors' (docs/rules.md, The record schema): rename it so records from every rule agree
scripts/sites/lint2.lua: line 8: selector '.gone-widget' matches nothing in the rule's fixtures
scripts/sites/lint2.lua: line 10: bad selector 'h1[' at offset 3: expected a name" "$(cat "$TMP/out")"
rm scripts/sites/lint2.lua

# the project's own rules pass their tests
cd "$SRCDIR"
expect_status "scripts/sites passes" 0 "$PIPE" test scripts/sites/
expect_contains "project summary" " passed, 0 failed" "$(cat "$TMP/out")"
expect_contains "base rule reported" "NOTEST cms_wordpress: no test cases" "$(cat "$TMP/out")"

# the project's own rules are lint-clean: every selector matches in some
# fixture, no field is filled only by a fallback, every rule has tests
expect_status "scripts/sites lint-clean" 0 "$PIPE" lint scripts/sites/
expect_eq "lint output" "no findings" "$(cat "$TMP/out")"

# a rule that never returns: pipe test has no worker timeout, so the
# default instruction limit (10^9) stops it with a clear message
mkdir -p "$TMP/loop/scripts/sites"
cp "$TMP/pages/a.html" "$TMP/loop/a.html"
cat > "$TMP/loop/scripts/sites/loop.lua" <<'LUA'
return {
  hosts = { "demo.example" },
  fields = { title = function(page) while true do end end },
  tests = { { page = "a.html", url = "https://demo.example/a.html", expect = { title = "x" } } },
}
LUA
expect_status "a looping rule: pipe test stops" 2 "$PIPE" test "$TMP/loop/scripts/sites/loop.lua"
expect_contains "a looping rule: the limit's message" "script exceeded the instruction limit (1000000000 steps, --max-steps)" "$(cat "$TMP/err")"
