#!/bin/sh
# An installed pipe, run from another directory: `meson install --destdir`
# into a temporary tree, then the installed binary finds its own scripts
# by name (`pipe run site.lua`), and `pipe test` / `pipe lint` with no
# arguments run the installed rules on the installed fixture pages.
. "$(dirname "$0")/lib.sh"

build=$(dirname "$PIPE")
[ -f "$build/meson-private/coredata.dat" ] || fail "$build is not a meson build directory"
meson install -C "$build" --no-rebuild --quiet --destdir "$TMP/dest" >"$TMP/log" 2>&1 ||
  fail "meson install: $(cat "$TMP/log")"
bin=$(find "$TMP/dest" -path '*/bin/pipe' -type f | head -1)
[ -x "$bin" ] || fail "no installed bin/pipe under $TMP/dest"
share=$(dirname "$(dirname "$bin")")/share
pass "meson install --destdir: $bin"
for f in pipe/scripts/site.lua pipe/scripts/lib/date.lua pipe/scripts/sites/rbc_ua.lua \
         pipe/tests/pages/paris-declaration.html man/man1/pipe.1; do
  [ -f "$share/$f" ] || fail "not installed: share/$f"
done
pass "scripts, fixture pages and the man page are installed"

# mark the installed copy of a rule, so the records show which scripts ran
cp "$share/pipe/scripts/sites/rbc_ua.lua" "$TMP/rbc_ua.lua.orig"
sed -i 's|^  remove = { ".banner" },|  remove = { ".banner" },\n  post = function(r) r.installed_copy = true end,|' \
  "$share/pipe/scripts/sites/rbc_ua.lua"
grep -q installed_copy "$share/pipe/scripts/sites/rbc_ua.lua" || fail "could not mark the installed rule"

mkdir -p "$TMP/elsewhere"
cp "$SRCDIR/tests/pages/paris-declaration.html" "$TMP/elsewhere/page.html"
cd "$TMP/elsewhere" || exit 1
unset PIPE_SCRIPTS
out=$("$bin" run site.lua page.html) || fail "installed pipe run site.lua: $out"
expect_eq "run site.lua by name: the installed scripts" '["sites/rbc_ua.lua",true]' \
  "$(printf '%s' "$out" | jq -c '[.rule, .installed_copy]')"
expect_eq "the record is the seed page's" "$(jq -c 'del(.source)' "$SRCDIR/tests/pages/paris-declaration.expected.json")" \
  "$(printf '%s' "$out" | jq -c 'del(.source, .installed_copy)')"
out=$("$bin" run generic.lua page.html) || fail "installed pipe run generic.lua"
expect_eq "run generic.lua by name" '"generic.lua"' "$(printf '%s' "$out" | jq -c .rule)"
"$bin" run no-such-script.lua page.html >"$TMP/out" 2>"$TMP/err"
expect_eq "an unknown script: exit 2" 2 "$?"
expect_eq "an unknown script: message" "pipe: cannot read no-such-script.lua: no such file or directory" "$(cat "$TMP/err")"

cp "$TMP/rbc_ua.lua.orig" "$share/pipe/scripts/sites/rbc_ua.lua"
out=$("$bin" test) || fail "installed pipe test: $out"
expect_contains "pipe test from another directory" "10 passed, 0 failed" "$out"
expect_contains "pipe test: the installed rules" "PASS rbc_ua paris-declaration" "$out"
out=$("$bin" lint) || fail "installed pipe lint: $out"
expect_eq "pipe lint from another directory" "no findings" "$out"
out=$("$bin" test "$share/pipe/scripts/sites/") || fail "pipe test DIR/: $out"
expect_contains "pipe test with a trailing slash" "10 passed, 0 failed" "$out"
cd "$share/pipe/scripts" || exit 1
out=$("$bin" test sites/) || fail "pipe test sites/ inside scripts/: $out"
expect_contains "pipe test sites/ inside the scripts directory" "10 passed, 0 failed" "$out"
expect_eq "pipe lint sites inside the scripts directory" "no findings" "$("$bin" lint sites)"
