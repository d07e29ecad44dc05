#!/bin/sh
# The sandbox as a rule script meets it, and --unsafe lifting it.
. "$(dirname "$0")/lib.sh"
printf '<html><head><title>t</title></head></html>' > "$TMP/p.html"
rm -f /tmp/pipe-escape
expect_eq "every escape is denied" \
  "{\"source\":\"$TMP/p.html\",\"debug\":false,\"dofile\":false,\"io\":false,\"loadbin\":false,\"os\":false,\"require\":false}" \
  "$("$PIPE" run tests/scripts/escape.lua "$TMP/p.html")"
[ ! -e /tmp/pipe-escape ] || fail "a sandboxed script created a file"
pass "no file written"
out=$("$PIPE" run --unsafe tests/scripts/escape.lua "$TMP/p.html")
expect_contains "--unsafe opens os and io" '"io":true' "$out"
expect_contains "--unsafe opens debug" '"debug":true' "$out"
rm -f /tmp/pipe-escape
expect_contains "help says --unsafe lifts the sandbox" "--unsafe           lift the sandbox" "$("$PIPE" help run)"
# require stays inside the scripts tree
cat > "$TMP/req.lua" <<'LUA'
return function(page) return { ok = pcall(require, "lib.rules"), bad = select(2, pcall(require, "a..b")) } end
LUA
expect_contains "require of a bad name" '"bad":"' "$("$PIPE" run "$TMP/req.lua" "$TMP/p.html")"
# a syntax error in a required module is reported with its file, line and cause
mkdir -p "$TMP/syn/scripts"
printf 'local x = = 1\nreturn {}\n' > "$TMP/syn/scripts/broken.lua"
printf 'return function(page) return { e = select(2, pcall(require, "broken")) } end\n' > "$TMP/syn/scripts/main.lua"
expect_eq "syntax error in a required module" \
  "$TMP/syn/scripts/broken.lua:1: unexpected symbol near '='" \
  "$("$PIPE" run "$TMP/syn/scripts/main.lua" "$TMP/p.html" | jq -r .e)"
