-- bench/dates.lua: run by bench/dates (`pipe run --unsafe`), one page at a
-- time.  For each page it takes date candidates, as a site rule would
-- point at them: the datetime attribute and text of <time>, and the text
-- of short elements whose class or id names a date (date, time, posted,
-- published, datum, fecha, data, ...), and the content of date <meta>
-- tags; parses each with the ICU parser (lib.date, with the page's
-- language) and with the previous pure-Lua parser (pipe.options.old, a
-- file), and reports which candidates give the gold publication day.
local date = require("lib.date")
local opts = pipe.options

local old
if opts.old then
  local f = assert(io.open(opts.old))
  local src = f:read("a")
  f:close()
  old = assert(load(src, "=old-date.lua"))()
end

local gold = {}
do
  local f = assert(io.open(opts.gold))
  for line in f:lines() do
    local g = json.decode(line)
    if g then gold[(g.source:gsub("^pages/", ""))] = g.date end
  end
  f:close()
end

local HINT = "date|time|posted|publish|datum|fecha|data|zeit|uhrzeit|meta|byline|entry%-date|timestamp"

local function candidates(doc)
  local out = {}
  for _, t in ipairs(doc:select("time")) do
    if t:attr("datetime") then out[#out + 1] = t:attr("datetime") end
    out[#out + 1] = t:text()
  end
  for _, m in ipairs(doc:select("meta[content]")) do
    local k = (m:attr("property") or m:attr("name") or m:attr("itemprop") or ""):lower()
    if k:find("date") or k:find("time") then out[#out + 1] = m:attr("content") end
  end
  for _, n in ipairs(doc:select("[class], [id]")) do
    local ci = ((n:attr("class") or "") .. " " .. (n:attr("id") or "")):lower()
    local hit = false
    for h in HINT:gmatch("[^|]+") do
      if ci:find(h) then hit = true break end
    end
    if hit then
      local s = n:text()
      if #s > 0 and #s <= 200 then out[#out + 1] = s end
    end
  end
  return out
end

return function(page)
  local name = page.source:match("([^/]+)$")
  local want = gold[name]
  if not want or want == "" then return nil end
  local lang = date.lang(page)
  local c = candidates(page.doc)
  local r = { source = name, gold = want, candidates = #c, new = 0, old = 0,
              new_first = false, old_first = false, new_any = false, old_any = false }
  for _, s in ipairs(c) do
    local v = date.parse(s, { lang = lang })
    if v then
      r.new = r.new + 1
      if r.new == 1 then r.new_first = v:sub(1, 10) == want end
      if v:sub(1, 10) == want then r.new_any = true end
    end
    if old then
      local ok, w = pcall(old.parse, s)
      if ok and w then
        r.old = r.old + 1
        if r.old == 1 then r.old_first = w:sub(1, 10) == want end
        if w:sub(1, 10) == want then r.old_any = true end
      end
    end
  end
  return r
end
