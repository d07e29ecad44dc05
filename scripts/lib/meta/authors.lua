-- The authors of a page for lib/meta: a list of names from the first
-- source that gives one, cleaned of what pages glue to names.
--
-- authors.find(page, M, site) -> {name...}, source | nil
--   M     the lib.meta module (meta.tag, meta.jsonld, meta.deref ...)
--   site  words.site matcher (site.names(s): does s name the site?)
--
-- Sources, in order:
--   1. JSON-LD author of the article (strings, Person objects, @id
--      references; an Organization only when no person is named)
--   2. <meta name=author>, article:author, dc.creator, parsely-author,
--      sailthru.author, byl (not URLs); twitter:dataN when its
--      twitter:labelN is a byline phrase ("Written by", "Verfasst von")
--   3. microdata [itemprop=author] (its [itemprop=name] or content)
--   4. rel=author links
--   5. byline-ish elements: class or id with byline, author, autor,
--      vcard, writer, verfasser, contributor, submitted (the first that
--      holds a name)
--   6. a visible byline: an element whose text starts "By", "Von", "par",
--      "por", "Text:", "Autor:" ... and goes on with names (a first piece
--      that is no name: no byline), or a label element ("Autor") and the
--      names beside it
-- Elements inside comments, sidebars, widgets, related-article lists,
-- quotes, <aside> and <nav> are never used (3-6).  A source whose names
-- all name the site ("El Colombiano" on elcolombiano.com, "Die FURCHE")
-- or are initials ("JF") is, like one of handles, used only when no later
-- source names a person.  In visible text (3-6) month and weekday names
-- of the page's language (CLDR through lib.date) are no names.
-- Cleaning: "By"/"Von"/"Veröffentlicht von" (also glued to the name:
-- "Veröffentlicht vonChris Jung"), "View all posts by", screen-reader
-- labels, dates, times, URLs, e-mail addresses, "Weitere Artikel"-style
-- links, academic suffixes (", PhD"), everything after a newline that is
-- not a name; pieces that name the site or organisation ("Jane Doe, CNN"
-- on cnn.com), handles like "wordpressadmin" and labels ("No Author")
-- are dropped.  "X und Y", "X, Y & Z" give several names.  A source whose
-- names are all handles ("christian.stadtfeld") is used only when no
-- later source gives a real name.
-- globals read on every page, as file locals
local type, ipairs = type, ipairs
local text_clean, text_squish = text.clean, text.squish
local tconcat, tinsert, re_split = table.concat, table.insert, re.split
local words = require("lib.meta.words")
local date = require("lib.date")

local authors = {}

-- most names per byline, most words per name
local MAX_NAMES = 8
local MAX_WORDS = 5
local MAX_BYLINE = 160

-- prefixes before a byline's names (lowercase; longest first matters not:
-- they are stripped repeatedly)
local PREFIXES = {
  "view all posts by", "zeige alle beiträge von", "alle beiträge von",
  "alle artikel von", "mehr artikel von", "weitere artikel von", "mehr von",
  "interview:", "interview", "eingestellt von", "gespeichert von", "submitted by",
  "eingereicht von", "blog beitrag von", "blogbeitrag von", "gepostet von", "posted in", "author", "autor",
  "more articles by", "more from", "all posts by", "posts by",
  "articles by", "written by", "posted by", "published by", "reported by",
  "story by", "words by", "text by", "veröffentlicht von", "geschrieben von",
  "verfasst von", "erstellt von", "ein beitrag von", "ein artikel von",
  "ein kommentar von", "ein gastbeitrag von", "gastbeitrag von",
  "eine kolumne von", "kommentar von", "text von", "publié par",
  "écrit par", "rédigé par", "escrito por", "publicado por", "scritto da",
  "pubblicato da", "kirjoittanut", "autor/in:", "autorinnen:", "autoren:",
  "autorin:", "autor:", "authors:", "author:", "auteur:", "auteurs:",
  "redakteur:", "redakteurin:", "autoren", "autorinnen", "责任编辑：", "作者：", "text:", "texto:", "testo:",
  "von:", "by:", "par:", "por:", "di:",
  "by", "von", "vom", "par", "por",
}
-- separators between names
local NAME_SEP = re.compile([[\s*(?:[,;&/|+·•]|\s(?:and|und|y|et|e|i|and|og|och|ja)\s)\s*]], "i")
-- a piece that is not a name
local JUNK = re.compile([[@|[!?¡¿]|^\d|https?:|www\.|\.(?:com|de|org|net)\b|\d{1,2}[.:/]\d|\d{4}|\d\s|\s\d|email protected|^(?:foto|photo|fotos|photos|bild|image|credit|quelle|source)s?\b]], "i")
-- URLs and e-mail addresses inside a byline
local URLS = re.compile([=[\[?(?:https?://|www\.)\S+|\S+@\S+\.\w+|\[email\s+protected\]]=], "i")
-- a date or a time after the names, with its "am", "on", "le" ...
local DATE_TAIL = re.compile([[\s*(?:,|\s(?:am|on|le|el|il|den|at|um|de))?\s+\d.*$]])
-- an illustrator or photographer after the names
local CREDIT_TAIL = re.compile([[\s+(?:Illustrations?|Illustrationen|Fotos?|Photos?|Bilder?|Grafik|Video)(?:\s+(?:von|by)|:).*$]])
-- the names after a late "by" in a byline element
local LATE_BY = re.compile([[\s(?:by|von|par|por)\s+(\p{Lu}.*)$]])
-- punctuation around a name (not the dot of "Jr." or "e.V.")
local EDGE_PUNCT = re.compile([[^[\p{P}\p{S}\s]+|[\s,;:|\p{Pd}]+$]])
-- "(Sponsored Post)", "[Update]"
local PARENS = re.compile([=[\([^()]*\)|\[[^\[\]]*\]]=])
local UPPER = re.compile([[^\p{Lu}]])

-- Most bylines are plain names: each regex above is run only on a text
-- that has what it needs to match (a plain find first, superset tests:
-- the result is the same).  PARENS needs ( or [, URLS :// or www. or @
-- or [, DATE_TAIL a digit (\d is Unicode: any byte over 0x7f may be
-- one), CREDIT_TAIL one of its capitalised words, the dash split a
-- hyphen, a bar or an en or em dash (lead byte 226).
local function unwrap_parens(line)
  if not line:find("[%(%[]") then return line end
  return (PARENS:gsub(line, " "))
end
local function drop_urls(line)
  if not (line:find("[@%[]") or line:find("://", 1, true) or line:find("[Ww][Ww][Ww]%.")) then
    return line
  end
  return (URLS:gsub(line, " "))
end
local function drop_tails(line)
  if line:find("[%d\128-\255]") then line = DATE_TAIL:gsub(line, "") end
  if line:find("[IFPBGV][lohir]") then line = CREDIT_TAIL:gsub(line, "") end
  return line
end
local function dash_parts(line)
  if not line:find("[-|\226]") then return { line } end
  return re_split(line, [[\s+[-–—|]\s+]])
end
-- EDGE_PUNCT:gsub(s, ""), nothing to strip when s starts and ends with
-- an ASCII letter or digit
local function strip_edges(s)
  if s:find("^%w") and s:find("%w$") then return s end
  return (EDGE_PUNCT:gsub(s, ""))
end
local LOWERCASE = re.compile([[^\p{Ll}]])
local LETTER = re.compile([[\p{L}]])
local HANDLE = re.compile([[^[\p{Ll}\d._-]+$|^[\p{L}\d]*\d[\p{L}\d]*$]])
-- an organisation, not a person ("Hanns-Seidel-Stiftung e.V.")
local ORG = re.compile([[(?:\be\.\s?V\.|\bGmbH|\bAG|\bKG|\bLtd\.?|\bInc\.?|\bLLC|\bS\.A\.|\bS\.L\.|\bSE|\bplc)$|Stiftung$|Verlag$]])
local BAD_HANDLE = re.compile([[admin|wordpress|webmaster|editor\d|user\d|^root$|^staff$]], "i")

local LABELS = {}
for _, l in ipairs({
  "weiter", "mehr", "more", "read more", "weiterlesen", "alle artikel",
  "weitere artikel", "archiv anzeigen", "all articles", "show all articles of",
  "alle beiträge", "follow", "folgen", "twitter", "facebook", "instagram",
  "linkedin", "e mail", "email", "mail", "kontakt", "contact", "shares",
  "share", "teilen", "comments", "kommentare", "no author", "unknown",
  "anonymous", "anonym", "gast", "guest", "admin", "administrator",
  "phd", "ph d", "md", "dr", "prof", "msc", "mba", "ma", "ba",
  "profile", "profil", "bio", "biography", "about", "about the author",
  "über den autor", "über die autorin", "autor", "autorin", "author",
  "editor", "staff", "photo", "foto", "bild", "image",
  "updated", "aktualisiert", "published", "veröffentlicht", "am", "on",
  "text", "interview", "und", "and", "mehr von", "sagt", "says", "name",
  "zuletzt geändert", "last updated", "last modified", "aktualisiert am",
  "posted", "gepostet", "eingestellt", "no", "by", "von", "stand",
  "publicado", "publicado hace", "hace", "publié", "publié le",
  "kolumnist", "kolumnistin", "columnist", "korrespondent",
  "korrespondentin", "correspondent", "redakteur", "redakteurin",
  "staff writer", "senior editor", "contributor",
}) do LABELS[l] = true end

-- name particles that may be lowercase inside a name
local PARTICLES = {
  von = true, van = true, der = true, den = true, de = true, da = true,
  del = true, della = true, di = true, du = true, la = true, le = true,
  ten = true, ter = true, zu = true, zum = true, y = true, bin = true,
  al = true, el = true, dos = true, das = true, des = true, ["d’"] = true,
}

local function lower(s) return words.lower(s) end

local EMPTY = {}
local NO_SITE = { given = function() return false end,
                  names = function() return false end }

-- the prefixes by their first two bytes
local BY_START = {}
for _, p in ipairs(PREFIXES) do
  local k = p:sub(1, 2)
  BY_START[k] = BY_START[k] or {}
  tinsert(BY_START[k], p)
end

-- strip byline prefixes (also glued to a capitalised name)
local function strip_prefixes(s)
  local again = true
  while again do
    again = false
    local l = lower(s:sub(1, 40))
    for _, p in ipairs(BY_START[l:sub(1, 2)] or EMPTY) do
      if l:sub(1, #p) == p then
        local rest = s:sub(#p + 1)
        local glued = rest:match("^%S")
        if rest == "" or rest:match("^[%s:]") or p:sub(-1) == ":"
           or (glued and UPPER:match(rest) and #p > 3) then
          s = rest:gsub("^[%s:]+", "")
          again = true
          break
        end
      end
    end
  end
  return s
end

local function label(piece)
  return LABELS[tconcat(words.list(piece), " ")] == true
end

-- is piece a person's or an organisation's name (1..MAX_WORDS words,
-- capitalised, no dates, URLs or e-mail)?  -> "name" | "handle" | nil
local function kind(piece, site, strict)
  if piece == "" or #piece > 60 or not LETTER:match(piece) then return nil end
  if JUNK:match(piece) or label(piece) or site.given(piece) or ORG:match(piece) then
    return nil
  end
  local w = {}
  for x in piece:gmatch("%S+") do w[#w + 1] = x end
  if #w > MAX_WORDS then return nil end
  if #w == 1 and not strict and HANDLE:match(piece) then
    if BAD_HANDLE:match(piece) then return nil end
    return "handle"
  end
  -- capitalised words but particles ("Ludwig van Beethoven"), not "Das
  -- Magazin für Lesben"; markup may write "Mobasir hassan", visible text
  -- (strict) may not
  local low = 0
  for k, x in ipairs(w) do
    -- (scripts without case, "孔德明", pass)
    if LOWERCASE:match(x) and not PARTICLES[lower(x)] then
      if strict or k == 1 then return nil end
      low = low + 1
    end
  end
  if low > 0 and #w >= 3 then return nil end
  return "name"
end

-- drop label words at the end of a piece ("Johanna Kropfitsch Alle Artikel")
local function strip_labels(piece)
  for _ = 1, 3 do
    local w = {}
    for x in piece:gmatch("%S+") do w[#w + 1] = x end
    if #w < 2 then break end
    local cut
    for k = 3, 1, -1 do
      if #w > k and label(tconcat(w, " ", #w - k + 1)) then cut = k; break end
    end
    if not cut then break end
    piece = tconcat(w, " ", 1, #w - cut)
  end
  return piece
end

-- drop month and weekday names at the end of a piece ("CBS News
-- February", "الجمعة"): calendar is a set of lowercase names
local function strip_calendar(piece, calendar)
  for _ = 1, 2 do
    local head, last = piece:match("^(.-)%s*(%S+)$")
    if not last or not calendar[lower(strip_edges(last))] then break end
    piece = head
  end
  return piece
end

-- the month and weekday names of English and of lang (CLDR, through
-- lib.date), by language
local CALENDARS = {}
function authors.calendar(lang)
  lang = type(lang) == "string" and lang:lower() or "en"
  local c = CALENDARS[lang]
  if not c then
    c = {}
    for _, l in ipairs({ "en", lang }) do
      local n = date.names(l)
      if n then
        for _, list in ipairs({ n.months or EMPTY, n.weekdays or EMPTY }) do
          for _, w in ipairs(list) do c[lower(w)] = true end
        end
      end
    end
    CALENDARS[lang] = c
  end
  return c
end

-- authors.names(s, site [, strict [, calendar]]) -> {name...}, all_handles
-- The names in a byline text (calendar: see authors.calendar).
function authors.names(s, site, strict, calendar)
  if type(s) ~= "string" then return {}, false end
  site = site or NO_SITE
  s = text_clean(s)
  local out, handles = {}, 0
  local rejected = 0
  for line in s:gmatch("[^\n]+") do
    line = text_squish(drop_urls(unwrap_parens(line)))
    -- "rasos am 24. Juli 2017", "Text von X Illustration von Y"
    line = strip_prefixes(drop_tails(line))
    -- "unocero - Alberto Ávila", "Jane Doe | Redaktion": parts that name
    -- the site go, the rest is split into names
    local parts = dash_parts(line)
    for _, part in ipairs(parts) do
      for _, piece in ipairs(NAME_SEP:split(part)) do
        piece = strip_prefixes(text_squish(piece))
        piece = strip_edges(piece)
        local k
        if piece ~= "" and calendar then piece = strip_calendar(piece, calendar) end
        if piece ~= "" and not label(piece) then
          piece = strip_labels(piece)
          k = kind(piece, site, strict)
          if not k then
            rejected = rejected + 1
            -- visible text: "By entering this store you agree ..." is
            -- no byline; one starts with a name
            if strict and #out == 0 then return {}, false end
          end
        end
        if k and #out < MAX_NAMES then
          out[#out + 1] = piece
          if k == "handle" then handles = handles + 1 end
        end
      end
    end
    -- the names are on the first line that has any ("Tomas Spahn\n\nFr,
    -- 18. Oktober 2019")
    if #out > 0 then break end
  end
  -- mostly not names: a bio or a list of topics, not a byline
  if rejected > #out then return {}, false end
  return out, #out > 0 and handles == #out
end

local function add_all(list, seen, names)
  for _, n in ipairs(names) do
    local key = lower(n)
    if not seen[key] then
      seen[key] = true
      list[#list + 1] = n
    end
  end
end

-- what lies away from the article: comment threads, sidebars, related
-- lists, quotes.  lib/meta's scanner flags facts.away by these words (a
-- class name's or id's first part, or the second of two: "comment-author",
-- "primary-sidebar", not "has-sidebar"; see extract.scanner), and <nav>,
-- <aside> outside the <article>, itemscopes of a Comment.
authors.AWAY_WORDS = { "comment", "comments", "commentlist", "sidebar",
                       "related", "respond", "reply", "quote", "zitat",
                       "citation" }
-- class or id words of byline-ish elements (lib/meta's scanner collects
-- them as facts.byline)
authors.CLASS_WORDS = { "byline", "author", "autor", "vcard", "writer",
  "verfasser", "contributor", "submitted" }
-- own texts that start like a byline (facts.prefixed)
authors.PREFIXES = { "By ", "BY ", "Von ", "VON ", "von ", "Par ", "par ",
  "Por ", "por ", "Text: ", "Texto: ", "Autor: ", "Autorin: ", "Author: ",
  "Autoren ", "Autoren: ", "Autorinnen: ", "Ein Artikel von ",
  "Gespeichert von ", "Submitted by ", "Posted by ", "Text von ",
  "Written by ", "Ein Beitrag von ", "Veröffentlicht von ", "Geschrieben von ",
  -- labels before the names ("<h4>Autor</h4><p>Jane Doe</p>")
  "Autor ", "Author ", "Auteur ", "Autorin ", "Interview " }

-- JSON-LD objects whose author is a photographer's or a video's
local MEDIA = { ImageObject = true, VideoObject = true, AudioObject = true,
                MediaObject = true, Photograph = true }

-- names that are the site's own ("El Colombiano" on elcolombiano.com,
-- "Die FURCHE") or initials ("JF", "LN"): a newsroom's signature, used
-- only when no later source names a person
local INITIALS = re.compile([[^\p{Lu}{2,3}$]])
local function publisher(names, site)
  if not site then return false end
  for _, n in ipairs(names) do
    if not (INITIALS:match(n) or site.names(n)) then return false end
  end
  return true
end

function authors.find(page, M, site)
  local list, seen = {}, {}
  local fallback, fallback_src
  -- take names from one source: true when it gave real names
  local function take(names, handles, src)
    if #names == 0 then return false end
    if handles or publisher(names, site) then
      if not fallback then fallback, fallback_src = names, src end
      return false
    end
    add_all(list, seen, names)
    return true
  end

  -- 1. JSON-LD: Article-like objects first (meta.jsonld sorts them so),
  -- then any other with an author (WebPage, Recipe, Review), not comments
  for _, a in ipairs(M.jsonld(page)) do
    local typ = M.type_name(a)
    if a.author ~= nil and not typ:find("Comment") and not MEDIA[typ] then
      local au = a.author
      if not M.is_list(au) then au = { au } end
      local people, orgs, handles = {}, {}, true
      for _, x in ipairs(au) do
        x = M.deref(page, x)
        local name, org
        if type(x) == "string" then name = x
        elseif type(x) == "table" then
          name = M.scalar(x.name)
          org = M.type_name(x) == "Organization"
        end
        if name then
          -- a Person's name is a name even when the site bears it
          local person = type(x) == "table" and M.type_name(x) == "Person"
          local n, h = authors.names(name, not person and site or nil)
          if #n > 0 and not h then handles = false end
          for _, v in ipairs(n) do
            local t = org and orgs or people
            t[#t + 1] = v
          end
        end
      end
      if take(people, handles, "jsonld " .. typ .. ".author") then
        return list, "jsonld " .. typ .. ".author"
      end
      if #orgs > 0 and take(orgs, false, "jsonld " .. typ .. ".author") then
        return list, "jsonld " .. typ .. ".author"
      end
    end
  end
  -- 2. meta tags
  for _, name in ipairs({ "author", "article:author", "dc.creator",
                          "parsely-author", "sailthru.author", "byl" }) do
    local got = {}
    for _, v in ipairs(M.tag(page, name)) do
      if not v:find("^%s*https?://") then
        local n, h = authors.names(v, site)
        if not h then for _, x in ipairs(n) do got[#got + 1] = x end
        elseif not fallback then fallback, fallback_src = n, "meta " .. name end
      end
    end
    if take(got, false, "meta " .. name) then return list, "meta " .. name end
  end
  -- Yoast's reading card: twitter:label1 "Written by" / "Verfasst von",
  -- twitter:data1 the names
  for i = 1, 4 do
    local l = M.tag(page, "twitter:label" .. i)[1]
    if l and strip_prefixes(text_squish(l)) == "" then
      local v = M.tag(page, "twitter:data" .. i)[1]
      local src = "meta twitter:data" .. i
      if v then
        local n, h = authors.names(v, site)
        if take(n, h, src) then return list, src end
      end
    end
  end
  if not page.doc then
    if fallback then return fallback, fallback_src end
    return nil
  end
  local f = M.facts(page)
  local calendar = authors.calendar(date.lang(page))
  -- 3. microdata
  local got, handles = {}, true
  local nodes, aways = M.itemprop(page, "author")
  for i, n in ipairs(nodes) do
    if not aways[i] then
      local nm = n:first("[itemprop~=name]") or n
      local v = nm:attr("content") or nm:text()
      local names, h = authors.names(v, site, false, calendar)
      for _, x in ipairs(names) do got[#got + 1] = x end
      if #names > 0 and not h then handles = false end
      if #got >= MAX_NAMES then break end
    end
  end
  if take(got, handles, "itemprop author") then return list, "itemprop author" end
  -- 4. rel=author
  got, handles = {}, true
  local rels, raways, rvals = f.rel or EMPTY, f.away.rel or EMPTY, f.values.rel or EMPTY
  for i, a in ipairs(rels) do
    local rel = rvals[i].rel
    if a.tag == "a" and not raways[i]
       and (" " .. rel:lower() .. " "):find("%s+author%s+") then
      local names, h = authors.names(a:text(), site, false, calendar)
      for _, x in ipairs(names) do got[#got + 1] = x end
      if #names > 0 and not h then handles = false end
      if #got >= MAX_NAMES then break end
    end
  end
  if take(got, handles, "a[rel=author]") then return list, "a[rel=author]" end
  -- 5. byline-ish elements: the first one holding names
  local aways, bvals = f.away.byline or EMPTY, f.values.byline or EMPTY
  for i, n in ipairs(f.byline or EMPTY) do
    local tag = n.tag
    if tag ~= "body" and tag ~= "html" and tag ~= "script" and tag ~= "style" and not aways[i] then
      local t = n:text()
      if #t <= MAX_BYLINE then
        local names, h = authors.names(t, site, false, calendar)
        if #names == 0 then
          -- "Posted on September 21, 2020 by Adi Tzlil"
          local after = LATE_BY:match(text_squish(t))
          if after then names, h = authors.names(after, site, false, calendar) end
        end
        local cls = bvals[i].class or bvals[i].id or ""
        local src = "byline " .. tag .. (cls ~= "" and ("." .. cls:match("%S+")) or "")
        if take(names, h, src) then return list, src end
      end
    end
  end
  -- 6. visible "By X" / "Von X" (the deep scan's own texts)
  f = M.facts(page, true)
  aways = f.away.prefixed or EMPTY
  for i, n in ipairs(f.prefixed or EMPTY) do
    if not aways[i] then
      local t = text_squish(n:text())
      -- "<span>By</span> <a>Jane Doe</a>": the names are the parent's
      if strip_prefixes(t) == "" and n:parent() then t = text_squish(n:parent():text()) end
      -- the element's text must start with the byline word
      if #t <= MAX_BYLINE and strip_prefixes(t) ~= t then
        local names, h = authors.names(t, site, true, calendar)
        if take(names, h, "text") then return list, "text \"" .. t:sub(1, 40) .. "\"" end
      end
    end
  end
  if fallback then return fallback, fallback_src end
  return nil
end

return authors
