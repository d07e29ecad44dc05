#!/bin/sh
# End-to-end: the documentation's examples.  Every ```lua / ```sh example
# of docs/lua-api.md runs and must print exactly its ```output block
# (tests/docs/run_examples.py); the README's offline shell examples run on
# the seed page and must give what the README says.
. "$(dirname "$0")/lib.sh"

py=$(command -v python3) || fail "python3 is needed (meson brings it)"

# a broken example must fail the runner
cat >"$TMP/broken.md" <<'MD'
```lua
print(text.squish("  a   b "))
```

```output
a  b
```
MD
"$py" tests/docs/run_examples.py "$PIPE" "$TMP/broken.md" >"$TMP/out" 2>&1 &&
  fail "a wrong output block passed: $(cat "$TMP/out")"
expect_contains "a wrong output block fails" "1 failed" "$(cat "$TMP/out")"
printf '```lua\nprint(1)\n```\n' >"$TMP/untested.md"
"$py" tests/docs/run_examples.py "$PIPE" "$TMP/untested.md" >"$TMP/out" 2>&1 &&
  fail "an example without output passed"
expect_contains "an example without output fails" "without an output block" "$(cat "$TMP/out")"

out=$("$py" tests/docs/run_examples.py "$PIPE" docs/lua-api.md 2>&1) ||
  fail "docs/lua-api.md examples:
$out"
pass "docs/lua-api.md: $(printf '%s\n' "$out" | tail -1)"
n=$(printf '%s\n' "$out" | tail -1 | cut -d' ' -f1)
[ "$n" -ge 50 ] || fail "only $n examples ran"

# README: the seed record, as the Quick start shows it
seed=tests/pages/paris-declaration.html
rec=$("$PIPE" run scripts/site.lua "$seed") || fail "pipe run on the seed page"
expect_eq "README: one line of JSON" 1 "$(printf '%s\n' "$rec" | wc -l | tr -d ' ')"
f() { printf '%s' "$rec" | jq -c "$1"; }
expect_eq "README: source first" '"source"' "$(f 'keys_unsorted[0]')"
expect_eq "README: keys" '["source","authors","body","description","image","image_credit","lang","modified","published","related","rule","section","site_name","tags","title","url"]' "$(f 'keys_unsorted')"
expect_eq "README: title" '"The Paris Declaration and the road to the EU: what Zelensky’s talks delivered — and how Russia responded"' "$(f .title)"
expect_eq "README: authors" '["Daryna Hlushchenko"]' "$(f .authors)"
expect_eq "README: image_credit" '"president.gov.ua"' "$(f .image_credit)"
expect_eq "README: published" '"2026-01-17T13:45:00+02:00"' "$(f .published)"
expect_eq "README: modified" '"2026-01-17T14:02:11+02:00"' "$(f .modified)"
expect_eq "README: lang, section, site_name, rule" '["en","Politics","RBC-Ukraine","sites/rbc_ua.lua"]' "$(f '[.lang,.section,.site_name,.rule]')"
expect_eq "README: tags" '["Volodymyr Zelensky","Emmanuel Macron","Security guarantees","European Union"]' "$(f .tags)"
expect_eq "README: url" '"https://newsukraine.rbc.ua/news/the-paris-declaration-and-the-road-to-the-eu-1768650300.html"' "$(f .url)"
expect_eq "README: 8 related, the first" '[8,"Getty Images",true]' "$(f '[(.related|length), .related[0].image_credit, (.related[0].teaser|startswith("In 2026, Russia’s economy is entering"))]')"
expect_eq "README: 8 body paragraphs" 8 "$(f '.body|split("\n\n")|length')"
expect_eq "README: body start" true "$(f '.body|startswith("Meetings on the sidelines of the “coalition of the willing” summit")')"
expect_eq "README: description and image" '[true,true]' "$(f '[(.description|startswith("Meetings on the sidelines of the “coalition of the willing”")), (.image|startswith("https://newsukraine.rbc.ua/static/img/z/e/zelensky"))]')"

# README: strip | match
got=$("$PIPE" strip "$seed" | "$PIPE" match 'Photo: (.+)' -g 1) || fail "strip | match"
expect_eq "README: strip | match gives the photo credits" "president.gov.ua" "$(printf '%s\n' "$got" | head -1)"
expect_eq "README: strip | match, one per photo" 9 "$(printf '%s\n' "$got" | wc -l | tr -d ' ')"

# README: the words.lua chain
got=$("$PIPE" run scripts/site.lua "$seed" "$seed" |
  "$PIPE" run scripts/examples/words.lua --records - | jq .words) || fail "words chain"
n=$(printf '%s\n' "$got" | head -1)
case "$n" in ''|*[!0-9]*) fail "words is not a number: $got" ;; esac
[ "$n" -gt 300 ] || fail "the seed body has only $n words"
expect_eq "README: words chain, one number per record" "$n
$n" "$got"

# README: the rule walk-through shows scripts/sites/rbc_ua.lua (comments
# aside: every code line of the README block is a line of the rule)
awk '/^```lua$/ { on = 1; next } /^```$/ { if (on) exit } on' README.md |
  sed 's/[[:space:]]*--[[:space:]].*$//' >"$TMP/readme_rule"
while IFS= read -r line; do
  grep -qxF -- "$line" scripts/sites/rbc_ua.lua ||
    fail "README rule line not in scripts/sites/rbc_ua.lua: $line"
done <"$TMP/readme_rule"
pass "README: the rule walk-through matches scripts/sites/rbc_ua.lua"

# README: a malformed record line is reported with its line number
printf '{"a":1}\nnot json\n' | "$PIPE" run scripts/examples/words.lua --records - >"$TMP/out" 2>"$TMP/err"
expect_eq "README: records mode, bad line exit code" 1 "$?"
expect_contains "README: records mode, bad line reported" "pipe: -:2: bad JSON at column" "$(cat "$TMP/err")"
