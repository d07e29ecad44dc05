#!/bin/sh
# Holes found in review, each kept shut: a closed document's nodes (also
# closed by a finalizer in the middle of doc:select) never reach freed
# memory (the ASan build runs this too); a failed write is reported by
# every command, with a non-zero exit code.
. "$(dirname "$0")/lib.sh"
P="$PAGES/paris-declaration.html"
cat > "$TMP/closed.lua" <<'LUA'
return function(page)
  local out = {}
  local doc = html.parse(page.html)
  local p = doc:first("p")
  doc:close()
  local function why(f) return (select(2, pcall(f)):gsub("^[^:]*:%d+: ", "")) end
  out.tostring = tostring(p)
  out.text = why(function() return p:text() end)
  out.select = why(function() return doc:select("p") end)
  -- a finalizer that closes the document while doc:select runs
  local doc2 = html.parse(page.html)
  local n, ok, err = 0, true, nil
  for i = 1, 300 do
    setmetatable({}, { __gc = function() doc2:close() end })
    ok, err = pcall(function() n = n + #doc2:select("p") end)
    if not ok then break end
  end
  out.after_gc_close = ok and "still open" or tostring(err):match("document is closed")
  out.found = n > 0
  return out
end
LUA
expect_eq "closed documents raise, never read freed memory" \
  "{\"source\":\"$P\",\"after_gc_close\":\"document is closed\",\"found\":true,\"select\":\"calling 'select' on bad self (document is closed)\",\"text\":\"calling 'text' on bad self (document is closed)\",\"tostring\":\"pipe.Node (document closed)\"}" \
  "$("$PIPE" run "$TMP/closed.lua" "$P")"

# write errors: /dev/full refuses every write
if [ -w /dev/full ]; then
  for c in "strip $P" "select h1 $P" "match Zelensky $P" "match --lines a README.md" \
           "run scripts/site.lua $P" "run --no-workers scripts/site.lua $P" \
           "run --format tsv scripts/site.lua $P" "plugins" "help" "--version" \
           "test scripts/sites/rbc_ua.lua"; do
    # shellcheck disable=SC2086 # the command and its arguments
    "$PIPE" $c > /dev/full 2> "$TMP/err"
    rc=$?
    expect_eq "write error reported: $c" "pipe: write error: no space left on device" "$(cat "$TMP/err")"
    expect_eq "write error exit code: $c" 1 "$rc"
  done
else
  echo "skip: /dev/full is not writable here: write errors not tested"
fi
