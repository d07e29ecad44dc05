-- Edits of page-sized (arena) documents, for tests/e2e/valgrind.sh: a
-- tree with removals only is dropped with its arena (no walk), one with
-- other edits after removals is freed node by node; neither may leak or
-- touch freed memory, and a Node kept past its document's end raises.
return function(page)
  local doc = page.doc
  local n = doc:remove(".similar__list li")      -- removal only
  local first = doc:first("p")
  first:remove()
  local again = html.parse(page.html)             -- removals, then edits
  local m = again:remove(".banner")
  again:first("h1"):remove()
  for _, p in ipairs(again:select("p")) do p:rename("div") end
  again:first("div"):wrap("section")
  again:first("section"):set_attr("class", "wrapped")
  again:first("section"):unwrap()
  local kept = again:first("div")
  again:close()
  local ok = pcall(kept.text, kept)
  return { removed = n, banners = m, divs = #doc:select("div") > 0,
           kept_raises = not ok, text = #doc:first("body"):text() > 0 }
end
