#!/bin/sh
# Holes found in review, each kept shut: a closed document's nodes (also
# closed by a finalizer in the middle of doc:select) never reach freed
# memory, and a finalizer cannot edit a tree a method is walking (the ASan
# build runs this too); a failed write is reported by
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

# finalizers that edit the tree while a method walks it (select, xpath over
# attributes, children/attrs, text, strip, extract.content, html): the edit
# raises inside the finalizer, edits between walks go through, and nothing
# reads freed attribute or text nodes (the ASan build runs this too)
cat > "$TMP/walked.lua" <<'LUA'
return function(page)
  local doc = html.parse(page.html)
  local seen, edits = {}, 0
  local function edit()
    local ok, e = pcall(function()
      for _, a in ipairs(doc:select("a[href]")) do a:set_attr("href", nil) end
      doc:remove("span")
      local d = doc:first("div div")
      if d then d:unwrap() end
    end)
    if ok then edits = edits + 1 else seen[(tostring(e):gsub("^[^:]*:%d+: ", ""))] = true end
  end
  local walks = {
    function() return #doc:select("*") end,
    function() return #doc:xpath("//@*") end,
    function() local n = 0 for _, x in ipairs(doc:select("div")) do n = n + #x:children() + #(x:attrs().class or "") end return n end,
    function() return #doc:root():text() end,
    function() return #html.strip(doc, {links = true}) end,
    function() local r = extract.content(doc) return r and #r.text or 0 end,
    function() return #doc:root():html() end,
  }
  for i = 1, 3000 do
    setmetatable({}, { __gc = edit })
    walks[i % #walks + 1]()
    if next(seen) and edits > 0 and i > 100 then break end
  end
  local msgs = {}
  for m in pairs(seen) do msgs[#msgs + 1] = m end
  table.sort(msgs)
  return {refused = msgs, edited = edits > 0}
end
LUA
expect_eq "an edit from a finalizer during a walk is refused" \
  "{\"source\":\"$P\",\"edited\":true,\"refused\":[\"the document is being walked by a method (a finalizer cannot edit it meanwhile)\"]}" \
  "$("$PIPE" run "$TMP/walked.lua" "$P")"

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
