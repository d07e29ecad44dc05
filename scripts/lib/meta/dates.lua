-- Publication and modification dates for lib/meta: every place a page
-- states a date, tried in order until one parses (lib/date).
--
-- dates.find(page, M, which [, lang]) -> iso, source | nil
--   which  "published" or "modified"; lang: the page's language, for
--          visible dates
--
-- published, in order:
--   1. <meta> article:published_time and its kin (og:, dc.date.issued,
--      datePublished ...), JSON-LD datePublished / dateCreated /
--      uploadDate (any object, @graph and mainEntity included, Article-like
--      first), other date-ish <meta> names (DC.date*, citation_date ...)
--   2. microdata [itemprop=datePublished|dateCreated], RDFa
--      [property=dc:date|dcterms:created|schema:datePublished ...]:
--      content, datetime, title, else the text
--   3. <time pubdate>, abbr.published[title], <time> and abbr[title]
--      carrying an ISO date after the page's headline
--   4. the page URL's path: /2019/05/07/, /2019-05-07-, /20190507_
--      (a Wayback Machine URL: the archived page's)
--   5. the visible text of date-ish elements (class or id with date,
--      datum, time, publish, posted, meta, fecha, data, byline) after the
--      headline, outside comments and sidebars, parsed in the page's
--      language
-- A URL date wins over 1-3 when they name another day (the path is
-- written when the article first appears, metadata is often rewritten on
-- republication), except over a time in a local offset one day away (the
-- URL was made when the story was filed).
-- modified: article:modified_time, og:updated_time, JSON-LD dateModified,
-- itemprop=dateModified, DC.date.modified, last-modified.
--
-- Time zones: the calendar day is the page's own.  A UTC time that is
-- another candidate's instant in a local offset, or a local time without
-- offset, gives way to it ("2022-05-04T03:37:37+00:00" beside
-- "2022-05-03T23:37:37-04:00"); a UTC time exactly on the hour between
-- 18:00 and 23:00 is a date stored as local midnight east of Greenwich
-- ("2022-11-06T23:00:00Z" for a page dated 7 November) and gives the next
-- day, as a date; a UTC time one day away from the date the page shows
-- near its headline gives that day.
-- globals read on every page, as file locals
local type, ipairs, pairs, tonumber, pcall = type, ipairs, pairs, tonumber, pcall
local sformat, math_abs, tsort = string.format, math.abs, table.sort
local text_squish = text.squish
local date = require("lib.date")
local url = require("lib.url")

local dates = {}

-- defined further down
local find_date, visible, near_h1, elements
local TIME_ABBR, DATE_LIST, DIGITS_LIST = { "time", "abbr" }, { "date" }, { "digits" }

local META_FIRST = {
  published = { "article:published_time", "og:article:published_time",
                "og:published_time", "datepublished", "article.published",
                "dc.date.issued", "dcterms.issued" },
  modified = { "article:modified_time", "og:updated_time",
               "og:article:modified_time", "datemodified", "article.updated",
               "dc.date.modified", "dcterms.modified" },
}
local META_LATER = {
  published = { "pubdate", "publishdate", "publish-date", "publish_date",
                "publication_date", "publicationdate", "date", "dc.date",
                "dc:date", "dcterms.date", "dcterms:date", "dc.date.created",
                "dcterms.created", "dcterms:created", "datecreated",
                "sailthru.date", "parsely-pub-date", "citation_publication_date",
                "citation_date", "bepress_citation_date",
                "shareaholic:article_published_time", "uploaddate",
                "cxenseparse:recs:publishtime" },
  modified = { "last-modified", "dcterms:modified", "dateupdate",
               "shareaholic:article_modified_time" },
}
local JSONLD_KEYS = {
  published = { "datePublished", "dateCreated", "uploadDate" },
  modified = { "dateModified" },
}
local ITEMPROPS = {
  published = { "datePublished", "dateCreated" },
  modified = { "dateModified" },
}
local RDFA = {
  published = { "dc:date", "dc:created", "dcterms:created", "dcterms:issued",
                "dcterms:date", "schema:datepublished", "schema:datecreated",
                "article:published_time" },
  modified = { "dcterms:modified", "schema:datemodified", "article:modified_time" },
}

local RDFA_SET = {}
for which, list in pairs(RDFA) do
  RDFA_SET[which] = {}
  for _, p in ipairs(list) do RDFA_SET[which][p] = true end
end

local function has_class(v, token)
  return (" " .. v:lower() .. " "):find(" " .. token .. " ", 1, true) ~= nil
end

-- The elements of facts lists `names` near the page's first <h1>, nearest
-- first: after it in document order, and up to BEFORE_H1 elements before
-- it (counted three times as far: a date above a headline is rarer than
-- one below); without an <h1>, all of them in document order.
local BEFORE_H1, AFTER_H1 = 40, 600
local NONE = {}
-- items sort by (key, document position) as one integer: the key above
-- bit 32 (positions and keys are element counts, far below 2^31); a
-- position is one element, so the order is total
local SHIFT = 1 << 32
local LOW = SHIFT - 1
function near_h1(f, names)
  local h1pos = f.pos.h1 and f.pos.h1[1]
  local codes, nodes, aways, vals, at
  local m = 0
  for _, name in ipairs(names) do
    local list, pos = f[name] or NONE, f.pos[name] or NONE
    local away, values = f.away[name] or NONE, f.values[name] or NONE
    for i, n in ipairs(list) do
      local p = pos[i]
      local key
      if not h1pos then key = p
      elseif p >= h1pos and p - h1pos <= AFTER_H1 then key = p - h1pos
      elseif p < h1pos and h1pos - p <= BEFORE_H1 then key = (h1pos - p) * 3
      end
      if key then
        if m == 0 then codes, nodes, aways, vals, at = {}, {}, {}, {}, {} end
        m = m + 1
        codes[m] = key * SHIFT + p
        nodes[m], aways[m], vals[m] = n, away[i] or false, values[i] or NONE
        at[p] = m
      end
    end
  end
  local out, oa, ov = {}, {}, {}
  if m == 0 then return out, oa, ov end
  tsort(codes)
  for i = 1, m do
    local k = at[codes[i] & LOW]
    out[i], oa[i], ov[i] = nodes[k], aways[k], vals[k]
  end
  return out, oa, ov
end

-- date-ish class or id words of visible dates
local DATE_HINTS = { "date", "datum", "time", "publish", "posted", "meta",
                     "fecha", "data", "byline", "dateline", "zeit" }
local MAX_VISIBLE = 80      -- longest text read as a visible date
local MAX_ELEMENTS = 40     -- date-ish elements looked at

-- the scanner's facts.date: class or id with one of these words
dates.CLASS_WORDS = DATE_HINTS
-- the scanner's facts.digits: own text with a digit in its first bytes
dates.DIGITS_WITHIN = 40

-- The archived page's URL inside a Wayback Machine URL.
function dates.original_url(u)
  if type(u) ~= "string" then return u end
  local inner = u:match("^https?://web%.archive%.org/web/%d+[%a_]*/(.+)$")
  if not inner then return u end
  if not inner:match("^%a[%w+.-]*://") then inner = "http://" .. inner end
  return inner
end

local function valid_day(y, m, d)
  y, m, d = tonumber(y), tonumber(m), tonumber(d)
  if not (y and m and d) or y < 1995 or y > 2100 or m < 1 or m > 12 or d < 1 or d > 31 then
    return nil
  end
  return sformat("%04d-%02d-%02d", y, m, d)
end

-- dates.from_url(u) -> "YYYY-MM-DD" | nil
function dates.from_url(u)
  u = dates.original_url(u)
  if type(u) ~= "string" then return nil end
  local path = u:match("^%a[%w+.-]*://[^/]*(/[^?#]*)") or u
  for _, pat in ipairs({ "/(%d%d%d%d)/(%d%d?)/(%d%d?)/", "/(%d%d%d%d)/(%d%d?)/(%d%d?)$",
                         "/(%d%d%d%d)%-(%d%d)/(%d%d)/", "[/_-](%d%d%d%d)%-(%d%d)%-(%d%d)[/_.-]",
                         "[/_-](%d%d%d%d)%-(%d%d)%-(%d%d)$" }) do
    local y, m, d = path:match(pat)
    local day = y and valid_day(y, m, d)
    if day then return day end
  end
  -- day first: /~02-01-2022-land, /29-10-2021
  for _, pat in ipairs({ "[/_~-](%d%d)%-(%d%d)%-(%d%d%d%d)[/_.-]", "[/_~-](%d%d)%-(%d%d)%-(%d%d%d%d)$" }) do
    local d, m, y = path:match(pat)
    local day = d and valid_day(y, m, d)
    if day then return day end
  end
  -- eight digits standing alone: /20190507_, -20190507.
  for a in path:gmatch("%f[%d](%d%d%d%d%d%d%d%d)%f[%D]") do
    local day = valid_day(a:sub(1, 4), a:sub(5, 6), a:sub(7, 8))
    if day then return day end
  end
  return nil
end

-- JSON-LD date values: Article-like objects first (meta.jsonld's order),
-- nested objects (mainEntity, @graph) included by meta.jsonld
local function jsonld_values(M, page, keys)
  local out = {}
  for _, key in ipairs(keys) do
    for _, o in ipairs(M.jsonld(page)) do
      local v = o[key]
      if type(v) == "table" and M.is_list(v) then v = v[1] end
      if type(v) == "string" or type(v) == "number" then
        out[#out + 1] = { value = v, src = "jsonld " .. M.type_name(o) .. "." .. key }
      end
    end
  end
  return out
end

-- an element's date: content, datetime, title (v: its facts.values),
-- else its text
local function node_value(n, v)
  return v.content or v.datetime or v.title or n:text()
end

-- ISO-looking text (a datetime attribute, an abbr title)
local function iso_like(s)
  return type(s) == "string" and (s:match("^%s*%d%d%d%d%-%d%d?%-%d%d?") or s:match("^%s*%d%d%-%d%d%-%d%d%d%d"))
end

-- The candidates of steps 1-3, in order: structured(...) -> c, more: c
-- those of <meta> and JSON-LD, more() appends those of the page's
-- elements (the scanner's facts: a walk of the page, made only when the
-- metadata's candidates do not settle the date); more is nil without a
-- document.
local function structured(page, M, which)
  local c = {}
  local function add(v, src)
    if v and v ~= "" then c[#c + 1] = { value = v, src = src } end
  end
  for _, name in ipairs(META_FIRST[which]) do
    for _, v in ipairs(M.tag(page, name)) do add(v, "meta " .. name) end
  end
  for _, x in ipairs(jsonld_values(M, page, JSONLD_KEYS[which])) do add(x.value, x.src) end
  for _, name in ipairs(META_LATER[which]) do
    for _, v in ipairs(M.tag(page, name)) do add(v, "meta " .. name) end
  end
  if not page.doc then return c, nil end
  return c, function() elements(page, M, which, add) end
end

-- structured's candidates from the page's elements, to add(value, source)
function elements(page, M, which, add)
  local f = M.facts(page)
  for _, p in ipairs(ITEMPROPS[which]) do
    local nodes, aways, vals = M.itemprop(page, p:lower())
    for i, n in ipairs(nodes) do
      if not aways[i] then add(node_value(n, vals[i]), "itemprop " .. p) end
    end
  end
  local pvals = f.values.property or NONE
  for i, n in ipairs(f.property or NONE) do
    local prop = n.tag ~= "meta" and pvals[i].property
    prop = prop and prop:lower()
    if prop and RDFA_SET[which][prop] then add(node_value(n, pvals[i]), "rdfa " .. prop) end
  end
  if which == "published" then
    local tvals = f.values.time or NONE
    for i, n in ipairs(f.time or NONE) do
      if tvals[i].pubdate then add(tvals[i].datetime or n:text(), "time[pubdate]") end
    end
    for _, name in ipairs({ "abbr", "time" }) do
      local aways, vs = f.away[name] or NONE, f.values[name] or NONE
      for i, n in ipairs(f[name] or NONE) do
        local cls = vs[i].class
        if cls and not aways[i] and (has_class(cls, "published")
            or (n.tag == "time" and has_class(cls, "entry-date"))) then
          add(vs[i].title or vs[i].datetime, n.tag .. "." .. cls:match("%S*"))
        end
      end
    end
    -- <time datetime> and abbr[title] near the headline, ISO-looking
    local k = 0
    local nodes, aways, vs = near_h1(f, TIME_ABBR)
    for i, n in ipairs(nodes) do
      local v = vs[i].datetime or vs[i].title
      if iso_like(v) and not aways[i] then
        add(v, n.tag .. (n.tag == "time" and "[datetime]" or "[title]"))
        k = k + 1
        if k >= 3 then break end
      end
    end
  end
end


local function parse(v, lang)
  if type(v) == "number" then v = sformat("%d", v) end
  if type(v) ~= "string" then return nil end
  v = v:gsub("%s+", " ")
  if #v > 200 then return nil end
  -- "2021-11-04T23:00Z": minutes without seconds, and the odd
  -- "06-08-2009T14:12:32+0200" (day first)
  local d, mo, y, rest = v:match("^%s*(%d%d)%-(%d%d)%-(%d%d%d%d)(T.*)$")
  if d then v = y .. "-" .. mo .. "-" .. d .. rest end
  local ok, r = pcall(date.parse, v, { lang = lang })
  if ok then return r end
  return nil
end

local function day_of(iso) return iso and iso:match("^(%d%d%d%d%-%d%d%-%d%d)") end

-- "2022-11-06T23:00:00+00:00" -> "2022-11-07": a date stored as local
-- midnight east of Greenwich, written in UTC
local function midnight_day(iso)
  local y, m, d, H, M, S, off = iso:match("^(%d+)%-(%d+)%-(%d+)T(%d+):(%d+):(%d+)([+-]%d%d:%d%d)$")
  if not y or off ~= "+00:00" or M ~= "00" or S ~= "00" then return nil end
  H = tonumber(H)
  if H < 18 or H > 23 then return nil end
  local days = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 }
  y, m, d = tonumber(y), tonumber(m), tonumber(d)
  if (y % 4 == 0 and y % 100 ~= 0) or y % 400 == 0 then days[2] = 29 end
  d = d + 1
  if d > days[m] then d = 1; m = m + 1 end
  if m > 12 then m = 1; y = y + 1 end
  return sformat("%04d-%02d-%02d", y, m, d)
end

-- seconds since an arbitrary epoch of an ISO time, and whether it had an
-- offset; nil for a date alone
local function instant(iso)
  local y, m, d, H, M, S, rest = iso:match("^(%d+)%-(%d+)%-(%d+)T(%d+):(%d+):(%d+)(.*)$")
  if not y then return nil end
  y, m, d = tonumber(y), tonumber(m), tonumber(d)
  if m <= 2 then y = y - 1 end
  local era = y // 400
  local yoe = y - era * 400
  local doy = (153 * ((m + 9) % 12) + 2) // 5 + d - 1
  local days = era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy
  local secs = days * 86400 + tonumber(H) * 3600 + tonumber(M) * 60 + tonumber(S)
  local sign, oh, om = rest:match("^([+-])(%d%d):(%d%d)$")
  if sign then
    local off = (tonumber(oh) * 60 + tonumber(om)) * 60
    return secs - (sign == "-" and -off or off), rest
  end
  return secs, nil
end

-- a UTC candidate gives way to the same instant in a local offset, or to
-- a local wall time without offset whose minutes and seconds agree
local function local_twin(best, parsed)
  local t, off = instant(best)
  if not t or off ~= "+00:00" then return nil end
  for _, p in ipairs(parsed) do
    local u, o = instant(p.iso)
    if u and o and o ~= "+00:00" and u == t then return p end
    if u and not o and u ~= t and math_abs(u - t) <= 14 * 3600
       and (u - t) % 900 == 0 and day_of(p.iso) ~= day_of(best) then
      return p
    end
  end
  return nil
end

-- A date inside a short text: the first date-like run ("Datum: 26. Januar
-- 2022", "Gunter Frank / 22.04.2020 / 06:15", "Posted on September 21,
-- 2020 by Adi Tzlil") that the parser reads, unless a word of change
-- ("Aktualisiert", "Updated", "Letzte Änderung") comes just before it.
local DATE_RUN = {
  re.compile([[\b\d{4}-\d{1,2}-\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2})?)?]]),
  re.compile([[\b\d{1,2}\.\s?\d{1,2}\.\s?(?:\d{4}|\d{2})\b]]),
  re.compile([[\b\d{1,2}/\d{1,2}/(?:\d{4}|\d{2})\b]]),
  re.compile([[\b\d{1,2}\.?\s*(?:de\s+)?\p{L}{3,}\.?,?\s+(?:de\s+)?\d{4}\b]]),
  re.compile([[\b\p{L}{3,}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}\b]]),
}
local CHANGED = re.compile([[(?:updated|aktualisiert|geändert|änderung|modified|mis à jour|actualizado|aggiornato|stand)\W*(?:\w+\W*){0,2}$]], "i")

function find_date(t, lang)
  local best_a, best_b
  for _, r in ipairs(DATE_RUN) do
    local a, b = r:find(t)
    if a and (not best_a or a < best_a) then best_a, best_b = a, b end
  end
  if not best_a then return nil end
  if CHANGED:match(t:sub(1, best_a - 1)) then return nil end
  return parse(t:sub(best_a, best_b), lang)
end

-- visible dates: date-ish elements (class or id) in the headline's block
-- (its <article>, else its grandparent: dates stand above headlines too),
-- then after the headline, then the first short elements after it; the
-- whole page's date-ish elements when there is no <h1>
-- date-ish elements (class or id) near the headline, then short texts
-- with a date near it (lib/meta's scanner: facts.date, facts.digits)
function visible(f, lang, hinted_only)
  local seen = {}
  local lists = {}
  local n1, a1, v1 = near_h1(f, DATE_LIST)
  lists[1] = { n1, "text", a1, v1 }
  if not hinted_only then
    local n2, a2, v2 = near_h1(f, DIGITS_LIST)
    lists[2] = { n2, "text near h1", a2, v2 }
  end
  for _, l in ipairs(lists) do
    for k, n in ipairs(l[1]) do
      if k > MAX_ELEMENTS then break end
      local tag = n.tag
      if tag ~= "body" and tag ~= "html" and tag ~= "script" and tag ~= "style" then
        local t = text_squish(n:text())
        if t:find("%d") and not seen[t] then
          seen[t] = true
          -- a short text, or a date opening a longer one (a dateline,
          -- "Veröffentlicht am 16.08.2019 Dauer: ...")
          local head = #t <= MAX_VISIBLE and t or t:sub(1, 40)
          if head:find("%d") and not l[3][k] then
            local iso = find_date(head, lang)
            if iso then
              local cls = (l[4][k].class or l[4][k].id or ""):match("%S*")
              return iso, l[2] .. " " .. tag .. (cls ~= "" and ("." .. cls) or "")
            end
          end
        end
      end
    end
  end
  return nil
end

-- a time in a local (non-UTC) offset one day from the URL's day: the URL
-- was made when the story was filed, the time is the page's own
local function local_neighbour(iso, day)
  local _, off = instant(iso)
  if not off or off == "+00:00" then return false end
  local a = instant(day_of(iso) .. "T00:00:00")
  local b = instant(day .. "T00:00:00")
  return a and b and math_abs(a - b) == 86400
end

function dates.find(page, M, which, lang)
  local cands, more = structured(page, M, which)
  -- parse until one candidate reads; the rest only when the time zone of
  -- that one is in doubt (local_twin); the elements' candidates only
  -- when those of the metadata ran out
  local parsed, k = {}, 0
  local function parse_more(all)
    while true do
      if k >= #cands then
        if not more then return end
        more()
        more = nil
        if k >= #cands then return end
      end
      k = k + 1
      local c = cands[k]
      local iso = parse(c.value, lang)
      if iso then
        parsed[#parsed + 1] = { iso = iso, src = cands[k].src }
        if not all then return end
      end
    end
  end
  parse_more(false)
  local best = parsed[1]
  if which == "modified" then
    if best then return best.iso, best.src end
    return nil
  end
  local from_url = dates.from_url(url.of_page(page))
  if best then
    local _, off0 = instant(best.iso)
    if off0 == "+00:00" then parse_more(true) end
    local twin = local_twin(best.iso, parsed)
    if twin then best = { iso = twin.iso, src = twin.src .. " (local time of " .. best.src .. ")" } end
    local md = midnight_day(best.iso)
    if md then best = { iso = md, src = best.src .. " (local midnight)" } end
    -- a UTC time a day away from the date the page shows: the page's day
    local t, off = instant(best.iso)
    if t and off == "+00:00" and page.doc then
      local shown, how = visible(M.facts(page), lang, true)
      local s_t = shown and instant(day_of(shown) .. "T00:00:00")
      local b_t = instant(day_of(best.iso) .. "T00:00:00")
      if s_t and b_t and math_abs(s_t - b_t) == 86400 then
        best = { iso = day_of(shown), src = how .. " (the page's day of " .. best.src .. ")" }
      end
    end
    if from_url and day_of(best.iso) ~= from_url and not local_neighbour(best.iso, from_url) then
      return from_url, "url path (" .. best.src .. " says " .. day_of(best.iso) .. ")"
    end
    return best.iso, best.src
  end
  if from_url then return from_url, "url path" end
  -- 5. visible dates near the headline
  local doc = page.doc
  if not doc then return nil end
  local f = M.facts(page, true)
  local iso, src = visible(f, lang)
  if iso then return iso, src end
  -- 6. a date as a segment of the title ("... | DW | 23.05.2011")
  for _, v in ipairs({ M.tag(page, "og:title")[1], f.title and f.title[1] and f.title[1]:text() }) do
    if type(v) == "string" then
      local tail = v:match("[|–—-]%s*([^|–—-]-)%s*$")
      iso = tail and tail:find("%d") and #tail <= 40 and find_date(tail, lang)
      if iso then return iso, "title segment" end
    end
  end
  return nil
end

return dates
