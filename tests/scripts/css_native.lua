-- Test script of tests/e2e/css_native.sh, which prepends
-- `local SELECTORS = {...}`: runs every selector on the page and on a few
-- context nodes of it.
--
-- --set mode=compare: the native matcher (doc:select/first) against
--   the XPath css.c writes for the selector, evaluated with doc:xpath and
--   <template> content dropped as html.c drops it; node identity compared
--   with ==; on the page and on a copy after removals, then other edits.
--   The record lists the mismatches (none expected).
-- --set mode=random [--set count=N]: compare, with N random selectors
--   of the native subset instead of SELECTORS.
-- --set mode=show: each selector's matches in the document, as paths.
-- --set mode=digest: what select, first and remove return, as text, so
--   that a run with PIPE_CSS_XPATH=1 (the XPath path) can be diffed
--   against a run without it (the native path); remove is compared there,
--   by what it leaves of the page.

-- rules.lua's suffixes: "h1::text", "a::attr(href)", "div::html"
local function css_of(s)
  local body = s:match("^(.-)::attr%(%s*[^)%s]+%s*%)%s*$")
      or s:match("^(.-)::text%s*$") or s:match("^(.-)::html%s*$") or s
  return (body:match("^%s*(.-)%s*$"))
end

local function in_template(n)
  local p = n:parent()
  while p do
    if p.tag == "template" then return true end
    p = p:parent()
  end
  return false
end

-- what the XPath path gives: doc:xpath of the compiled selector, element
-- nodes outside <template>
local function by_xpath(ctx, xp)
  local out = {}
  for _, n in ipairs(ctx:xpath(xp)) do
    if type(n) ~= "string" and not in_template(n) then out[#out + 1] = n end
  end
  return out
end

-- a node's place in the tree, for messages: tag/tag/tag[i]
local function where(n)
  local parts = {}
  while n do
    local p, i = n:parent(), 1
    if p then
      for k, c in ipairs(p:children()) do
        if c == n then i = k break end
      end
    end
    table.insert(parts, 1, n.tag .. "[" .. i .. "]")
    n = p
  end
  return table.concat(parts, "/")
end

-- the selectors that compile, in order, without repeats
local function usable()
  local seen, list, probe = {}, {}, html.parse("<p>x</p>")
  for _, s in ipairs(SELECTORS) do
    local css = css_of(s)
    if css ~= "" and not seen[css] and pcall(probe.select, probe, css) then
      seen[css] = true
      list[#list + 1] = css
    end
  end
  return list
end

local SELS = usable()

-- the contexts: the document, <body>, and the first few <div>s and <ul>s
local function contexts(doc)
  local ctx = { doc }
  for _, css in ipairs { "body", "div", "ul", "article", "section" } do
    for i, n in ipairs(doc:xpath(html.xpath_of(css))) do
      if i > 2 then break end
      ctx[#ctx + 1] = n
    end
  end
  return ctx
end

local function compare_doc(doc, bad, checks)
  local ctxs = contexts(doc)
  for _, css in ipairs(SELS) do
    local xp = html.xpath_of(css)
    for ci, ctx in ipairs(ctxs) do
      local a, b = ctx:select(css), by_xpath(ctx, xp)
      checks = checks + 1
      local same = #a == #b
      for i = 1, math.min(#a, #b) do
        if a[i] ~= b[i] then
          same = false
          bad[#bad + 1] = string.format("%s (context %d): #%d is %s, XPath %s",
            css, ci, i, where(a[i]), where(b[i]))
          break
        end
      end
      if #a ~= #b then
        bad[#bad + 1] = string.format("%s (context %d): %d nodes, XPath %d",
          css, ci, #a, #b)
      end
      local f = ctx:first(css)
      if (f == nil) ~= (b[1] == nil) or (f ~= nil and f ~= b[1]) then
        same = false
        bad[#bad + 1] = string.format("%s (context %d): first differs", css, ci)
      end
      if not same and #bad > 20 then break end
    end
  end
  return checks
end

-- the page itself, then a copy after removals (doc:remove, node:remove:
-- the matcher's index keeps the removed nodes and skips them), then after
-- a rename and a wrap (the index is made again)
local function compare(page)
  local bad = {}
  local checks = compare_doc(page.doc, bad, 0)
  local copy = html.parse(page.html)
  copy:select("p")
  copy:remove("li, h2, .lead")
  local d = copy:first("div")
  if d then d:remove() end
  checks = compare_doc(copy, bad, checks)
  if d then -- a removed subtree, as a context
    for _, css in ipairs(SELS) do
      local a, b = d:select(css), by_xpath(d, html.xpath_of(css))
      checks = checks + 1
      local same = #a == #b
      for i = 1, math.min(#a, #b) do same = same and a[i] == b[i] end
      if not same then bad[#bad + 1] = css .. " (removed context): differs" end
    end
  end
  local p = copy:first("p")
  if p then p:rename("div") end
  p = copy:first("span, a")
  if p then p:wrap("section") end
  checks = compare_doc(copy, bad, checks)
  return { selectors = #SELS, checks = checks, mismatches = bad }
end

local function digest(page)
  local doc, lines = page.doc, {}
  local ctxs = contexts(doc)
  for _, css in ipairs(SELS) do
    for ci, ctx in ipairs(ctxs) do
      local parts = {}
      for _, n in ipairs(ctx:select(css)) do
        parts[#parts + 1] = n.tag .. #n:outer()
      end
      local f = ctx:first(css)
      lines[#lines + 1] = string.format("%s @%d: %d [%s] first %s", css, ci,
        #parts, table.concat(parts, " "), f and (f.tag .. #f:outer()) or "nil")
    end
    local copy = html.parse(page.html)
    local n = copy:remove(css)
    lines[#lines + 1] = string.format("%s remove: %d, %d elements and %d "
      .. "bytes of text left", css, n, copy:xpath("count(//*)"),
      #copy:xpath("string(/)"))
  end
  return { lines = table.concat(lines, "\n") }
end

-- each selector's matches from the document, as tree paths
local function show(page)
  local lines = {}
  for _, css in ipairs(SELS) do
    local parts = {}
    for _, n in ipairs(page.doc:select(css)) do parts[#parts + 1] = where(n) end
    lines[#lines + 1] = css .. " => " .. table.concat(parts, " ")
  end
  return { lines = table.concat(lines, "\n") }
end

-- random selectors of the native subset, from a fixed seed: compounds of
-- the corner page's names, classes and values, every operator and flag,
-- all four combinators, lists of up to three
local function random_selectors(count)
  local tags = { "div", "p", "a", "li", "ul", "span", "*", "section", "body",
    "html", "h1", "article", "template", "title", "meta" }
  local classes = { "x", "a", "b", "lead", "nl", "menu", "on" }
  local ids = { "café", "story", "naïve", "a" }
  local attrs = { "class", "id", "href", "title", "lang", "data-x", "rel",
    "name", "property", "charset" }
  local vals = { "", "x", "en", "EN", "a", "é", "/", "http", "lead",
    "x lead", "-", "Caf", "crème", "news", "html", "e", "utf-8" }
  local ops = { "=", "~=", "^=", "$=", "*=", "|=" }
  local flags = { "", "", " i", " s" }
  local combs = { " ", " > ", " + ", " ~ " }
  local seed = 12345
  local function rnd(n) -- a tiny LCG: the same list on every Lua build
    seed = (seed * 1103515245 + 12345) % 2147483648
    return seed % n + 1
  end
  local function pick(t) return t[rnd(#t)] end
  local function compound()
    local c = rnd(10) <= 7 and pick(tags) or ""
    for _ = 1, rnd(3) - 1 do
      local r = rnd(10)
      if r <= 3 then c = c .. "." .. pick(classes)
      elseif r == 4 then c = c .. "#" .. pick(ids)
      elseif r == 5 then c = c .. "[" .. pick(attrs) .. "]"
      else
        c = c .. "[" .. pick(attrs) .. pick(ops) .. '"' .. pick(vals) .. '"'
            .. pick(flags) .. "]"
      end
    end
    return c == "" and "*" or c
  end
  local list = {}
  for i = 1, count do
    local parts = {}
    for _ = 1, rnd(3) do
      local c = compound()
      for _ = 1, rnd(4) - 1 do c = c .. pick(combs) .. compound() end
      parts[#parts + 1] = c
    end
    list[i] = table.concat(parts, ", ")
  end
  return list
end

return function(page)
  if pipe.options.mode == "random" then
    SELS = random_selectors(tonumber(pipe.options.count) or 500)
    local r = compare(page)
    local hits = 0
    for _, css in ipairs(SELS) do hits = hits + #page.doc:select(css) end
    r.hits = hits > 0 -- the selectors do find things
    return r
  end
  if pipe.options.mode == "digest" then return digest(page) end
  if pipe.options.mode == "show" then return show(page) end
  return compare(page)
end
