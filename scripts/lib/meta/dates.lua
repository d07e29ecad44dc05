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
local date = require("lib.date")
local url = require("lib.url")

local dates = {}

-- defined further down
local find_date, visible, headline_block

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

-- date-ish class or id words of visible dates
local DATE_HINTS = { "date", "datum", "time", "publish", "posted", "meta",
                     "fecha", "data", "byline", "dateline", "zeit" }
local MAX_VISIBLE = 80      -- longest text read as a visible date
local MAX_ELEMENTS = 40     -- date-ish elements looked at

local function hint_xpath(hints)
  local c = {}
  for _, h in ipairs(hints) do
    c[#c + 1] = "contains(@class,'" .. h .. "') or contains(@id,'" .. h .. "')"
  end
  return table.concat(c, " or ")
end
local VISIBLE_XPATH = "//body//*[" .. hint_xpath(DATE_HINTS) .. "][not(self::script or self::style or self::body)]"
local AFTER_H1 = "(//h1)[1]/following::*[" .. hint_xpath(DATE_HINTS) .. "][not(self::script or self::style)]"

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
  return string.format("%04d-%02d-%02d", y, m, d)
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

-- inside comments or a sidebar (a shallow check of class and id names)
local AWAY = { comment = true, comments = true, commentlist = true,
               sidebar = true, related = true, respond = true, reply = true }
local function away(node)
  local n, depth = node, 0
  while n and depth < 40 do
    local tag = n.tag
    if tag == "body" or tag == "html" then return false end
    if tag == "aside" or tag == "nav" then return true end
    for _, a in ipairs({ "class", "id" }) do
      local v = n:attr(a)
      if v then
        for name in v:lower():gmatch("%S+") do
          local first = name:match("^%a+")
          if AWAY[first] and not n:first("h1") then return true end
        end
      end
    end
    n = n:parent()
    depth = depth + 1
  end
  return false
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

local function node_value(n)
  return n:attr("content") or n:attr("datetime") or n:attr("title") or n:text()
end

-- ISO-looking text (a datetime attribute, an abbr title)
local function iso_like(s)
  return type(s) == "string" and (s:match("^%s*%d%d%d%d%-%d%d?%-%d%d?") or s:match("^%s*%d%d%-%d%d%-%d%d%d%d"))
end

-- the candidates of steps 1-3, in order
local function structured(page, M, which)
  local c = {}
  local function add(v, src) if v and v ~= "" then c[#c + 1] = { value = v, src = src } end end
  for _, name in ipairs(META_FIRST[which]) do
    for _, v in ipairs(M.tag(page, name)) do add(v, "meta " .. name) end
  end
  for _, x in ipairs(jsonld_values(M, page, JSONLD_KEYS[which])) do add(x.value, x.src) end
  for _, name in ipairs(META_LATER[which]) do
    for _, v in ipairs(M.tag(page, name)) do add(v, "meta " .. name) end
  end
  local doc = page.doc
  if not doc then return c end
  for _, p in ipairs(ITEMPROPS[which]) do
    for _, n in ipairs(doc:select("[itemprop~=" .. p .. "]")) do
      if n.tag ~= "meta" and not away(n) then add(node_value(n), "itemprop " .. p) end
    end
  end
  for _, p in ipairs(RDFA[which]) do
    for _, n in ipairs(doc:xpath("//*[@property][translate(@property,'DCTERMSCHAPUBLIHDMOFIE','dctermschapublihdmofie')='" .. p .. "']")) do
      if type(n) ~= "string" and n.tag ~= "meta" then add(node_value(n), "rdfa " .. p) end
    end
  end
  if which == "published" then
    for _, n in ipairs(doc:select("time[pubdate]")) do
      add(n:attr("datetime") or n:text(), "time[pubdate]")
    end
    for _, n in ipairs(doc:select("abbr.published[title], time.published[datetime], time.entry-date[datetime]")) do
      if not away(n) then add(n:attr("title") or n:attr("datetime"), n.tag .. "." .. (n:attr("class") or ""):match("%S*")) end
    end
    local h1 = doc:first("h1")
    local TIMES = "*[self::time[@datetime] or self::abbr[@title]]"
    local nodes = {}
    local block = h1 and headline_block(h1)
    if block then for _, n in ipairs(block:xpath(".//" .. TIMES)) do nodes[#nodes + 1] = n end end
    for _, n in ipairs(doc:xpath(h1 and "(//h1)[1]/following::" .. TIMES or "//body//" .. TIMES)) do
      nodes[#nodes + 1] = n
    end
    local k = 0
    for _, n in ipairs(nodes) do
      if type(n) ~= "string" then
        local v = n:attr("datetime") or n:attr("title")
        if iso_like(v) and not away(n) then
          add(v, n.tag .. (n.tag == "time" and "[datetime]" or "[title]"))
          k = k + 1
          if k >= 3 then break end
        end
      end
    end
  end
  return c
end


local function parse(v, lang)
  if type(v) == "number" then v = string.format("%d", v) end
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
  return string.format("%04d-%02d-%02d", y, m, d)
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
    if u and not o and u ~= t and math.abs(u - t) <= 14 * 3600
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
local SHORT_TAGS = "self::p or self::span or self::div or self::time or self::small"
  .. " or self::em or self::strong or self::b or self::li or self::h2 or self::h3"
  .. " or self::h4 or self::h5 or self::h6 or self::i or self::font or self::figcaption"
local SHORT_AFTER_H1 = "(//h1)[1]/following::*[" .. SHORT_TAGS .. "][position() <= 60]"

-- the block holding the headline: its <article>, else its grandparent
-- (nil when that is the whole page)
function headline_block(h1)
  local a = h1:parent()
  while a and a.tag ~= "article" and a.tag ~= "body" do a = a:parent() end
  if a and a.tag == "article" then return a end
  local region = h1:parent()
  region = region and region:parent()
  if not region or region.tag == "body" or region.tag == "html" then return nil end
  return region
end

function visible(doc, lang)
  local h1 = doc:first("h1")
  local lists = {}
  if h1 then
    local block = headline_block(h1)
    lists[#lists + 1] = { h1:xpath(".//*[self::small or self::span or self::time]"), "text in h1" }
    if block then
      lists[#lists + 1] = { block:xpath("." .. VISIBLE_XPATH:sub(7)), "text" }
    end
    lists[#lists + 1] = { doc:xpath(AFTER_H1), "text" }
    if block then
      lists[#lists + 1] = { block:xpath(".//*[" .. SHORT_TAGS .. "][position() <= 60]"), "text near h1" }
    end
    lists[#lists + 1] = { doc:xpath(SHORT_AFTER_H1), "text after h1" }
  else
    lists = { { doc:xpath(VISIBLE_XPATH), "text" } }
  end
  local seen = {}
  for _, l in ipairs(lists) do
    local k = 0
    for _, n in ipairs(l[1]) do
      if type(n) ~= "string" then
        k = k + 1
        if k > MAX_ELEMENTS * 2 then break end
        local t = text.squish(n:text())
        if t:find("%d") and not seen[t] then
          seen[t] = true
          -- a short text, or a date opening a longer one (a dateline,
          -- "Veröffentlicht am 16.08.2019 Dauer: ...")
          local head = #t <= MAX_VISIBLE and t or t:sub(1, 40)
          if head:find("%d") and not away(n) then
            local iso = find_date(head, lang)
            if iso then
              local cls = (n:attr("class") or n:attr("id") or ""):match("%S*")
              return iso, l[2] .. " " .. n.tag .. (cls ~= "" and ("." .. cls) or "")
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
  return a and b and math.abs(a - b) == 86400
end

function dates.find(page, M, which, lang)
  local cands = structured(page, M, which)
  local parsed = {}
  for _, c in ipairs(cands) do
    local iso = parse(c.value, lang)
    if iso then parsed[#parsed + 1] = { iso = iso, src = c.src } end
  end
  local best = parsed[1]
  if which == "modified" then
    if best then return best.iso, best.src end
    return nil
  end
  local from_url = dates.from_url(url.of_page(page))
  if best then
    local twin = local_twin(best.iso, parsed)
    if twin then best = { iso = twin.iso, src = twin.src .. " (local time of " .. best.src .. ")" } end
    local md = midnight_day(best.iso)
    if md then best = { iso = md, src = best.src .. " (local midnight)" } end
    -- a UTC time a day away from the date the page shows: the page's day
    local t, off = instant(best.iso)
    if t and off == "+00:00" and page.doc then
      local shown, how = visible(page.doc, lang)
      local s_t = shown and instant(day_of(shown) .. "T00:00:00")
      local b_t = instant(day_of(best.iso) .. "T00:00:00")
      if s_t and b_t and math.abs(s_t - b_t) == 86400 then
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
  local iso, src = visible(doc, lang)
  if iso then return iso, src end
  -- 6. a date as a segment of the title ("... | DW | 23.05.2011")
  for _, v in ipairs({ M.tag(page, "og:title")[1], doc:first("title") and doc:first("title"):text() }) do
    if type(v) == "string" then
      local tail = v:match("[|–—-]%s*([^|–—-]-)%s*$")
      iso = tail and tail:find("%d") and #tail <= 40 and find_date(tail, lang)
      if iso then return iso, "title segment" end
    end
  end
  return nil
end

return dates
