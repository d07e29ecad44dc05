#!/bin/sh
# End-to-end: the fixture pages of the site rules through the generic path
# (scripts/generic.lua, no site rule): the body must be the one the site
# rule gives -- the golden's `body` where a golden exists, else the body
# `scripts/site.lua` returns.
#
# Documented exceptions (bench/README.md): wire-* pages put their
# standfirst (the lead, which is also the page description) above the
# article text; their site rule leaves it out of the body, the generic path
# keeps it as the first paragraph (the article benchmark counts leads as
# body text).  For those pages the first paragraph must equal the record's
# description and the rest must equal the site rule's body.  Embedded
# tweets are part of the text for the generic path, while a site rule may
# remove them: the paragraphs of blockquote.twitter-tweet elements are left
# out of the comparison.
# Every record must carry rule = "generic.lua".
. "$(dirname "$0")/lib.sh"

# site_body PAGE: the body the page's site rule extracts, empty when no
# site rule matches (site.lua then falls back to generic.lua itself)
site_body() {
  "$PIPE" run scripts/site.lua "$1" 2>/dev/null |
    jq -r 'if .rule == "generic.lua" then "" else .body // "" end'
}

# generic.lua's record, with the body paragraphs that are tweets left out
cat > "$TMP/notweets.lua" <<'LUA'

local generic = require("generic")
return function(page)
  local tweets = {}
  for _, q in ipairs(page.doc:select("blockquote.twitter-tweet")) do
    tweets[#tweets + 1] = text.squish(q:text())
  end
  local rec = generic(page)
  if rec.body and #tweets > 0 then
    local keep = {}
    for para in (rec.body .. "\n\n"):gmatch("(.-)\n\n") do
      local inside = false
      for _, t in ipairs(tweets) do
        if t:find(text.squish(para), 1, true) then inside = true end
      end
      if not inside then keep[#keep + 1] = para end
    end
    rec.body = table.concat(keep, "\n\n")
  end
  return rec
end
LUA
checked=0
for page in "$PAGES"/*.html; do
  name=$(basename "$page" .html)
  golden="$PAGES/$name.expected.json"
  if [ -f "$golden" ]; then
    want=$(jq -r '.body // ""' "$golden")
    from="golden"
  else
    want=$(site_body "$page")
    from="site.lua"
  fi
  # pages without a site rule (encoding fixtures): nothing to compare
  [ -n "$want" ] || continue
  "$PIPE" run "$TMP/notweets.lua" "$page" >"$TMP/rec.json" ||
    fail "$name: pipe run scripts/generic.lua failed"
  expect_eq "$name: rule" "generic.lua" "$(jq -r .rule "$TMP/rec.json")"
  got=$(jq -r '.body // ""' "$TMP/rec.json")
  case "$name" in
    wire-*)
      lead=$(jq -r '.description // ""' "$TMP/rec.json")
      expect_eq "$name: lead paragraph is the description" "$lead" \
        "$(printf '%s\n' "$got" | sed -n 1p)"
      got=$(printf '%s\n' "$got" | sed 1,2d)
      ;;
  esac
  expect_eq "$name: generic body = $from body" "$want" "$got"
  checked=$((checked + 1))
done
[ "$checked" -ge 5 ] || fail "only $checked fixture pages checked"

# --explain on the generic path: the winning block, its score and the
# runners-up; each metadata field's source
ex=$("$PIPE" run --explain scripts/generic.lua "$PAGES/wire-port-strike.html" | jq -c .explain)
expect_contains "explain: the winning block and its score" \
  '"body":"extract div.article-body (score ' "$ex"
expect_contains "explain: runners-up" '; runners-up: main#main.layout ' "$ex"
expect_eq "explain: metadata sources" \
  '{"authors":"jsonld NewsArticle.author","description":"meta og:description","published":"meta article:published_time","title":"h1 (agrees with meta og:title)","url":"link rel=canonical"}' \
  "$(printf '%s' "$ex" | jq -c '{authors, description, published, title, url}')"
expect_eq "no explain without --explain" "null" \
  "$("$PIPE" run scripts/generic.lua "$PAGES/wire-port-strike.html" | jq -c .explain)"
pass "$checked fixture pages"
