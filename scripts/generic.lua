-- scripts/generic.lua: an article record from any page, no site rule needed.
--
-- Metadata (title, authors, dates, language, lead, image, site name,
-- canonical URL) comes from lib.meta; the body comes from the C scorer
-- `extract.content`, tuned by the parameter table below, with the JSON-LD
-- articleBody as a second opinion.  `pipe run scripts/generic.lua PAGE`
-- runs it directly; scripts/site.lua falls back to it when no rule matches.

-- Parameters of extract.content: its defaults, which live in one place
-- (plugins/extract_params.c; extract.defaults() lists them, and
-- docs/lua-api.md, "extract", says what each one does).  To tune, change
-- a value here, e.g. `params.retry_gain = 10`, and run bench/articles.
local params = extract.defaults()

-- JSON-LD articleBody replaces the DOM body when the DOM body is shorter
-- than this share of it (the DOM body keeps paragraph breaks, so it wins
-- when both are there).
local JSONLD_MIN_SHARE = 0.5

-- When true, a first body paragraph equal to the page description (the
-- lead) is left out of the body, as it is the record's `description`.  Off:
-- on the article benchmark the true bodies include the lead (F1 0.974 with
-- the lead, 0.972 without).
local DROP_LEAD = false

local meta = require("lib.meta")
local records = require("lib.records")

-- (globals the per-page path reads, as locals: see lib/rules.lua)
local type, ipairs, pairs = type, ipairs, pairs
local extract_content, text_clean, html_strip = extract.content, text.clean, html.strip
local meta_jsonld, meta_lazy, meta_sources = meta.jsonld, meta.lazy, meta.sources
local need_doc, carry = records.need_doc, records.carry

-- The longest articleBody among the page's JSON-LD objects (lib.meta
-- parses them once and flattens @graph, arrays and mainEntity), nil when
-- none.
local function jsonld_body(page)
  local best
  for _, obj in ipairs(meta_jsonld(page)) do
    local b = obj.articleBody
    if type(b) == "string" and (not best or #b > #best) then best = b end
  end
  if not best then return nil end
  -- some sites put HTML in articleBody
  if best:find("<%a") then best = html_strip(best) end
  best = text_clean(best)
  return best ~= "" and best or nil
end

-- "div#story.article-body": how --explain names an element
local function describe(node)
  local s = node.tag
  local id, cls = node:attr("id"), node:attr("class")
  if id and id ~= "" then s = s .. "#" .. id end
  if cls and cls:match("%S") then s = s .. "." .. cls:match("%S+") end
  return s
end

-- Are two parameter values the same (lists and maps compared by entry)?
local function same(a, b)
  if type(a) ~= "table" or type(b) ~= "table" then return a == b end
  for k, v in pairs(a) do if b[k] ~= v then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end

-- the body and, for --explain, where it came from: the winning block with
-- its score, the runners-up with theirs, the blocks that joined it
local lean   -- params without runners-up (the record has none; made once),
             -- holding only what differs from the defaults: extract.content
             -- reads a params table on every call
local function body_of(page, lead, explain)
  if not lean then
    lean = {}
    local defaults = extract.defaults()
    for k, v in pairs(params) do
      if not same(v, defaults[k]) then lean[k] = v end
    end
    lean.candidates = 0
    lean.paragraphs = DROP_LEAD   -- (the body is res.text)
  end
  local res = extract_content(page.doc, explain and params or lean)
  local body, why
  if res then
    local paras = res.paragraphs
    -- (res.text is the paragraphs a blank line apart)
    body = res.text
    -- the standfirst is the record's description, not part of the body
    if DROP_LEAD and lead and #paras > 1
       and text.squish(paras[1]) == text.squish(lead) then
      table.remove(paras, 1)
      body = table.concat(paras, "\n\n")
    end
    if explain then
      local runners = {}
      for _, c in ipairs(res.candidates) do
        if c.node ~= res.node and #runners < 3 then
          runners[#runners + 1] = string.format("%s %.1f", describe(c.node), c.score)
        end
      end
      why = string.format("extract %s (score %.1f)", describe(res.node), res.score)
      if #res.blocks > 1 then
        why = why .. string.format(", %d blocks joined", #res.blocks)
      end
      if #runners > 0 then why = why .. "; runners-up: " .. table.concat(runners, ", ") end
    end
  end
  local ld = jsonld_body(page)
  if ld and (not body or #body < JSONLD_MIN_SHARE * #ld) then
    if explain then
      why = "jsonld articleBody" .. (why and (" (longer than " .. why .. ")") or "")
    end
    body = ld
  end
  return body, why
end

return function(page)
  need_doc(page)
  -- the fields the record holds, each computed when first read (the
  -- record has no modified, tags or section: not computed)
  local m = meta_lazy(page)
  local explain = (pipe.options or {}).explain
  local body, body_why = body_of(page, m.description, explain)
  local rec = {
    url = m.url or page.url,
    title = m.title,
    authors = m.authors,
    published = m.published,
    lang = m.lang,
    description = m.description,
    image = m.image,
    site_name = m.site_name,
    body = body,
    rule = "generic.lua",
  }
  if explain then
    local why, src = {}, meta_sources(page)
    for k in pairs(rec) do
      if k ~= "rule" then
        why[k] = (k == "body" and body_why) or src[k] or (k == "url" and rec.url and "page url")
            or "none"
      end
    end
    rec.explain = why
  end
  return carry(rec, page)
end
