#!/bin/sh
# End-to-end: the fixture pages of the site rules through the generic path
# (scripts/generic.lua, no site rule): the body must be the one the site
# rule gives -- the golden's `body` where a golden exists, else the body
# `scripts/site.lua` returns.
#
# Documented exception: wire-* pages put their standfirst (the lead, which
# is also the page description) above the article text; their site rule
# leaves it out of the body, the generic path keeps it as the first
# paragraph (the article benchmark counts leads as body text; see
# bench/README.md).  For those pages the first paragraph must equal the
# record's description and the rest must equal the site rule's body.
# Every record must carry rule = "generic.lua".
. "$(dirname "$0")/lib.sh"

# site_body PAGE: the body the page's site rule extracts, empty when no
# site rule matches (site.lua then falls back to generic.lua itself)
site_body() {
  "$PIPE" run scripts/site.lua "$1" 2>/dev/null |
    jq -r 'if .rule == "generic.lua" then "" else .body // "" end'
}

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
  "$PIPE" run scripts/generic.lua "$page" >"$TMP/rec.json" ||
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
pass "$checked fixture pages"
