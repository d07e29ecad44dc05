-- Page metadata: what a page says about itself in <meta>, <link>, JSON-LD
-- and a few microformat conventions.  Rules use it as the default for
-- fields they do not give (rules.lua, key `metadata`).
--
-- meta.extract(page) -> table, computed once per page and cached in
-- page.meta (meta.field(page, name): one of its fields, computed with
-- what it depends on; meta.lazy(page): page.meta, each field computed
-- when first read; meta.before_edit(page, names): see there):
--   title        og:title, twitter:title, <title> minus a site-name suffix
--                (the text after the rightmost " | ", " - ", " — ", " – ",
--                " :: ", " « ", " » ", " · " when it names the site, or,
--                the site name unknown, is at most 4 words and not much
--                longer than the head), JSON-LD headline, first <h1>
--   authors      list: JSON-LD author (strings, Person/Organization objects,
--                arrays, @id references into @graph), else
--                <meta name=author> / article:author (not URLs), else
--                rel=author links, else [itemprop=author], .byline,
--                .author; "By " prefixes dropped, duplicates removed
--   published    article:published_time, JSON-LD datePublished,
--                itemprop=datePublished, pubdate-style meta names,
--                <time pubdate>, the first <time datetime>; ISO via lib/date
--   modified     article:modified_time, og:updated_time, JSON-LD
--                dateModified, itemprop=dateModified
--   lang         <html lang>, og:locale, content-language ("uk_UA" ->
--                "uk-UA")
--   site_name    og:site_name, JSON-LD publisher.name, application-name,
--                JSON-LD WebSite name
--   url          <link rel=canonical>, og:url, JSON-LD url (absolute)
--   description  og:description, description, twitter:description,
--                JSON-LD description
--   image        og:image, twitter:image, JSON-LD image, link rel=image_src
--                (absolute)
--   tags         list: article:tag, keywords/news_keywords split on commas,
--                JSON-LD keywords (string or list)
--   section      article:section, JSON-LD articleSection
-- Missing values are nil (never empty strings or empty lists).
--
-- Helpers used by rules.lua:
--   meta.tag(page, name) -> {content...}  (<meta property|name|itemprop>,
--                                          name lowercase)
--   meta.jsonld(page) -> {object...}      every JSON-LD object, flattened
--                                          (arrays, @graph), Article-like
--                                          types first; broken blocks skipped
--   meta.jsonld_path(page, "a.b") -> {value...}
-- globals read on every page, as file locals (a global is a miss in the
-- page's environment and a library proxy's lookup)
local type, ipairs, next, select, rawget = type, ipairs, next, select, rawget
local tostring, error, pcall, setmetatable = tostring, error, pcall, setmetatable
local math_type, math_floor, math_tointeger = math.type, math.floor, math.tointeger
local text_clean, json_decode = text.clean, json.decode
local url = require("lib.url")
local date = require("lib.date")
local words = require("lib.meta.words")
local title_mod = require("lib.meta.title")
local authors_mod = require("lib.meta.authors")
local dates_mod = require("lib.meta.dates")

local meta = {}

-- One walk of the page collects the elements the submodules look at
-- (extract.scanner, C): no XPath scan per question.  The deep scan (own
-- texts: byline prefixes, dated texts) runs only when a submodule gets
-- that far (most pages state authors and dates in their metadata, or
-- have a date-ish or byline-ish element, which the first walk collects:
-- the check of a UTC date against the day the page shows, on ~40% of
-- article pages, needs no second walk).
-- what is away from the article: comment threads, sidebars, related
-- lists, quotes (facts.away, see extract.scanner)
local AWAY = authors_mod.AWAY_WORDS
local SCANNER = extract.scanner({
  tags = { "script", "title", "h1", "h2", "time", "abbr" },
  attrs = { "itemprop", "property", "rel" },
  -- of the rel= elements (links, stylesheets: ~40 a page) only rel=author
  -- ones are ever looked at
  words = { rel = { "author" } },
  classes = { date = dates_mod.CLASS_WORDS, byline = authors_mod.CLASS_WORDS },
  script_types = { "ld+json" },
  meta_tags = true,
  away = AWAY,
  values = { "class", "id", "itemprop", "property", "content", "datetime",
             "title", "pubdate", "rel" },
})
local DEEP = extract.scanner({
  prefixes = authors_mod.PREFIXES,
  digits = dates_mod.DIGITS_WITHIN,
  away = AWAY,
  values = { "class", "id" },
})
local DEEP_LISTS = { "prefixed", "digits" }
-- what {meta=} and {jsonld=} sources and the fields from <meta> and
-- JSON-LD alone need (the <meta> index, the ld+json scripts): a quarter
-- of the full scan, for a rule about to edit a page whose title, authors
-- and dates it gives itself (meta.before_edit's `light`)
local LIGHT = extract.scanner({
  tags = { "script" },
  script_types = { "ld+json" },
  meta_tags = true,
  -- from the page's element index (rules.apply asks for it before the
  -- edits): its lists of <meta>s and <script>s, not a walk; nil without
  -- one (see light_facts)
  index = "only",
})

-- meta.facts(page [, deep]) -> the scanner's facts of page.doc: lists of
-- Nodes by tag (script, title, h1, h2, time, abbr), attribute
-- (itemprop, property; rel: the elements whose rel has the word author)
-- and class words (date, byline), with deep:
-- also byline prefixes (prefixed) and dated texts (digits); facts.pos[name]
-- holds the document positions, facts.away[name] whether each lies in
-- comments, a sidebar, a nav; facts.meta_tags the <meta> index
-- (meta_tags[key] -> {content...}, see extract.scanner).
-- Computed once per document.
function meta.facts(page, deep)
  local f = page._facts
  if not (f and f.doc == page.doc) then
    f = page.doc and SCANNER:scan(page.doc) or { pos = {}, away = {}, values = {} }
    f.doc = page.doc
    page._facts = f
  end
  if deep and not f.deep then
    f.deep = true
    if page.doc then
      local d = DEEP:scan(page.doc)
      for _, k in ipairs(DEEP_LISTS) do
        f[k], f.pos[k], f.away[k], f.values[k] = d[k], d.pos[k], d.away[k], d.values[k]
      end
    end
  end
  return f
end

-- the full facts of page.doc when they are there, else the light scan's
-- (the same <meta> index and ld+json scripts) from the page's element
-- index; without an index the full facts (a walk of the page either way,
-- and the code asking, generic.lua say, mostly asks for them next)
local function light_facts(page)
  local f = page._facts
  if f and f.doc == page.doc then return f end
  f = page._light
  if not (f and f.doc == page.doc) then
    if not page.doc then
      f = {}
    else
      f = LIGHT:scan(page.doc)
      if not f then return meta.facts(page) end
    end
    f.doc = page.doc
    page._light = f
  end
  return f
end

local function clean(s)
  if type(s) ~= "string" then return nil end
  s = text_clean(s)
  if s == "" then return nil end
  return s
end

-- meta.itemprop(page, prop) -> {Node...}, {away...}, {values...}: the
-- elements (not <meta>) whose itemprop lists prop (lowercase), in
-- document order, whether each lies in comments or a sidebar
-- (facts.away), and their attributes (facts.values)
local NO_LIST = {}
function meta.itemprop(page, prop)
  local f = meta.facts(page)
  local idx = f.itemprops
  if not idx then
    idx = {}
    local away = f.away.itemprop or NO_LIST
    local vals = f.values.itemprop or NO_LIST
    for i, n in ipairs(f.itemprop or NO_LIST) do
      if n.tag ~= "meta" then
        for tok in vals[i].itemprop:lower():gmatch("%S+") do
          local e = idx[tok]
          if not e then e = { {}, {}, {} }; idx[tok] = e end
          e[1][#e[1] + 1] = n
          e[2][#e[2] + 1] = away[i] or false
          e[3][#e[3] + 1] = vals[i]
        end
      end
    end
    f.itemprops = idx
  end
  local e = idx[prop]
  if not e then return NO_LIST, NO_LIST, NO_LIST end
  return e[1], e[2], e[3]
end

-- the <meta> index: lowercased property/name/itemprop/http-equiv -> list
-- of contents (the scanner's meta_tags: each list made when first read)
local function tags(page)
  if page._meta_tags then return page._meta_tags end
  local idx = page.doc and light_facts(page).meta_tags or {}
  page._meta_tags = idx
  return idx
end

local NONE = setmetatable({}, { __newindex = function() error("read-only", 2) end })

-- the names asked for, lowercase (most are constants asked on every
-- page: one pattern search per name, not per call); emptied when large
local LOWER, nlower = {}, 0

function meta.tag(page, name)
  local l = LOWER[name]
  if not l then
    l = name:find("%u") and name:lower() or name
    if nlower >= 4096 then LOWER, nlower = {}, 0 end
    LOWER[name], nlower = l, nlower + 1
  end
  return tags(page)[l] or NONE
end

-- meta.tag of a lowercase name (lib/meta's own constants)
local function tag_of(page, name)
  return (page._meta_tags or tags(page))[name] or NONE
end

-- PREFIX .. key, made once per key (for constant keys only: the table
-- keeps every one)
local function prefixed(prefix)
  return setmetatable({}, { __index = function(t, key)
    local s = prefix .. key
    t[key] = s
    return s
  end })
end

-- "meta NAME" of the names below
local META_SRC = prefixed("meta ")

-- the first non-empty <meta> of a name (lowercase) or of a list of them
-- -> value, "meta NAME"
local function first_tag(page, names)
  local idx = page._meta_tags or tags(page)
  if type(names) == "string" then
    for _, v in ipairs(idx[names] or NONE) do
      local c = clean(v)
      if c then return c, META_SRC[names] end
    end
    return nil
  end
  for _, name in ipairs(names) do
    for _, v in ipairs(idx[name] or NONE) do
      local c = clean(v)
      if c then return c, META_SRC[name] end
    end
  end
  return nil
end

local function is_list(t)
  return type(t) == "table" and (t[1] ~= nil or next(t) == nil)
end

-- is this @type (one of a list) Article-like?
local function article_type(t)
  return type(t) == "string" and (t:find("Article") ~= nil or t == "BlogPosting"
    or t == "Report" or t == "LiveBlogPosting" or t == "SocialMediaPosting")
end

local function is_article(o)
  local t = o["@type"]
  if type(t) == "string" then return article_type(t) end
  if type(t) == "table" then
    for _, x in ipairs(t) do
      if article_type(x) then return true end
    end
  end
  return false
end

-- the first Article-like @type of a JSON-LD object, else its first type
local function type_name(o)
  local t = o["@type"]
  if type(t) == "string" then return t end
  local first
  if type(t) == "table" then
    for _, x in ipairs(t) do
      if type(x) == "string" then
        first = first or x
        if article_type(x) then return x end
      end
    end
  end
  return first or "object"
end

-- JSON-LD as pages write it: raw newlines and tabs inside strings, other
-- control characters, trailing commas.  Strict first, then each repair.
local function decode_lenient(body)
  local v = json_decode(body)
  if v ~= nil then return v end
  -- control characters are never valid raw inside strings and are
  -- whitespace (or junk) outside them
  body = body:gsub("[%z\1-\31]", " ")
  v = json_decode(body)
  if v ~= nil then return v end
  return json_decode((body:gsub(",%s*([}%]])", "%1")))
end

-- the texts of the page's ld+json scripts, wrappers not yet stripped:
-- read once per document (before_edit reads them before the edits, and
-- the JSON is decoded only when a field or source asks for it)
local function jsonld_texts(page)
  local t = page._jsonld_texts
  if t and t.doc == page.doc then return t end
  t = { doc = page.doc }
  if page.doc then
    -- (the scanner collects only ld+json scripts)
    for i, s in ipairs(light_facts(page).script or {}) do t[i] = s:html() end
  end
  page._jsonld_texts = t
  return t
end

function meta.jsonld(page)
  if page._jsonld then return page._jsonld end
  local objects = {}
  local function add(v, depth)
    if type(v) ~= "table" or depth > 4 then return end
    if is_list(v) then
      for _, x in ipairs(v) do add(x, depth + 1) end
      return
    end
    if v["@graph"] ~= nil then
      add(v["@graph"], depth + 1)
      if v["@type"] == nil then return end
    end
    objects[#objects + 1] = v
    -- an article nested as a page's main entity counts as one of its own
    local me = v.mainEntity
    if type(me) == "table" and not is_list(me) and me["@type"] ~= nil then
      add(me, depth + 1)
    end
  end
  for _, body in ipairs(jsonld_texts(page)) do
    -- tolerate an HTML comment or CDATA wrapper (a pattern anchored only
    -- at the end is tried at every byte: only when its marker is there at
    -- all; a gsub copies the text even when nothing matches: only when
    -- the opening marker is there)
    if body:find("^%s*<!%-%-") then body = body:gsub("^%s*<!%-%-", "") end
    if body:find("-->", 1, true) then body = body:gsub("%-%->%s*$", "") end
    if body:find("^%s*//%s*<!%[CDATA%[") then body = body:gsub("^%s*//%s*<!%[CDATA%[", "") end
    if body:find("]]>", 1, true) then body = body:gsub("//%s*%]%]>%s*$", "") end
    local ok, v = pcall(decode_lenient, body)
    if ok and v ~= nil then add(v, 0) end
  end
  -- Article-like objects first, the rest in page order
  local sorted = {}
  for _, o in ipairs(objects) do if is_article(o) then sorted[#sorted + 1] = o end end
  for _, o in ipairs(objects) do if not is_article(o) then sorted[#sorted + 1] = o end end
  page._jsonld = sorted
  return sorted
end

-- the first object (in meta.jsonld's order) of each @id that has a name
-- or a @type: made once per list of objects
local BY_ID = setmetatable({}, { __mode = "k" })

local function by_id(page, id)
  local objects = meta.jsonld(page)
  local ids = BY_ID[objects]
  if not ids then
    ids = {}
    for _, o in ipairs(objects) do
      local k = o["@id"]
      if k ~= nil and ids[k] == nil and (o.name or o["@type"]) then ids[k] = o end
    end
    BY_ID[objects] = ids
  end
  return ids[id]
end

-- follow a {"@id": ...}-only reference
local function deref(page, v)
  if type(v) == "table" and not is_list(v) and v["@id"] and v.name == nil then
    return by_id(page, v["@id"]) or v
  end
  return v
end

-- a scalar for a JSON-LD value: strings and numbers as text, an object's
-- name, else its url, else @id
local function scalar(v)
  if type(v) == "string" then return v end
  if type(v) == "number" then
    if math_type(v) == "float" and v == math_floor(v) then v = math_tointeger(v) end
    return tostring(v)
  end
  if type(v) == "table" and not is_list(v) then
    return scalar(v.name) or scalar(v.url) or scalar(v["@id"])
  end
  return nil
end

-- values at a dotted path in one object (arrays mapped)
local function walk(page, v, keys, i, out)
  v = deref(page, v)
  if v == nil then return end
  if is_list(v) then
    for _, x in ipairs(v) do walk(page, x, keys, i, out) end
    return
  end
  if i > #keys then
    local s = scalar(v)
    if s and s:find("%S") then out[#out + 1] = s end
    return
  end
  if type(v) ~= "table" then return end
  walk(page, v[keys[i]], keys, i + 1, out)
end

-- the keys of the paths asked for (constants, asked on every page);
-- emptied when large
local PATH_KEYS, npaths = {}, 0

function meta.jsonld_path(page, path)
  local keys = PATH_KEYS[path]
  if not keys then
    keys = {}
    for k in path:gmatch("[^.]+") do keys[#keys + 1] = k end
    if npaths >= 1024 then PATH_KEYS, npaths = {}, 0 end
    PATH_KEYS[path], npaths = keys, npaths + 1
  end
  -- (one list for the objects that give nothing)
  local out = {}
  for _, o in ipairs(meta.jsonld(page)) do
    walk(page, o, keys, 1, out)
    if #out > 0 then return out end
  end
  return out
end

-- "jsonld PATH" of the paths below
local JSONLD_SRC = prefixed("jsonld ")

-- the first JSON-LD value at path (a constant) -> value, "jsonld PATH"
local function jsonld_first(page, path)
  local v = clean(meta.jsonld_path(page, path)[1])
  if v then return v, JSONLD_SRC[path] end
  return nil
end

local function add_unique(list, seen, s)
  s = clean(s)
  if not s then return end
  local key = date.lower(s)
  if seen[key] then return end
  seen[key] = true
  list[#list + 1] = s
end

local LANG_TAGS = { "og:locale", "content-language", "language", "dc.language" }

local function lang(page, doc)
  local root = doc and doc:root()
  local l = root and (root:attr("lang") or root:attr("xml:lang"))
  local src = "html[lang]"
  l = clean(l)
  if not l then l, src = first_tag(page, LANG_TAGS) end
  if not l then return nil end
  l = l:gsub("_", "-"):match("^[^,;%s]+")
  return l, src
end

local function split_tags(list, seen, s)
  if type(s) ~= "string" then return end
  for part in s:gmatch("[^,;]+") do add_unique(list, seen, part) end
end

local KEYWORD_TAGS = { "news_keywords", "keywords" }

local function tag_list(page)
  local list, seen = {}, {}
  local src = "meta article:tag"
  for _, v in ipairs(tag_of(page, "article:tag")) do add_unique(list, seen, v) end
  if #list == 0 then
    src = "jsonld keywords"
    for _, o in ipairs(meta.jsonld(page)) do
      if is_article(o) and o.keywords then
        if type(o.keywords) == "string" then split_tags(list, seen, o.keywords)
        elseif is_list(o.keywords) then
          for _, k in ipairs(o.keywords) do add_unique(list, seen, scalar(k)) end
        end
        break
      end
    end
  end
  if #list == 0 then
    for _, name in ipairs(KEYWORD_TAGS) do
      src = META_SRC[name]
      for _, v in ipairs(tag_of(page, name)) do split_tags(list, seen, v) end
      if #list > 0 then break end
    end
  end
  if #list == 0 then return nil end
  return list, src
end

local IMAGE_TAGS = { "og:image", "og:image:url", "og:image:secure_url", "twitter:image",
                     "twitter:image:src" }

local function image(page, doc)
  local v, src = first_tag(page, IMAGE_TAGS)
  if not v then v, src = jsonld_first(page, "image.url") end
  if not v then v, src = jsonld_first(page, "image") end
  if not v and doc then
    local l = doc:first("link[rel=image_src]")
    v, src = l and clean(l:attr("href")), "link rel=image_src"
  end
  return v, v and src or nil
end

-- names the page gives its site: og:site_name, JSON-LD publisher and
-- WebSite names, application-name
local function add_clean(out, v)
  v = clean(v)
  if v then out[#out + 1] = v end
end

local function site_names(page, site_name)
  local out = {}
  add_clean(out, site_name)
  for _, v in ipairs(meta.jsonld_path(page, "publisher.name")) do add_clean(out, v) end
  for _, o in ipairs(meta.jsonld(page)) do
    local t = o["@type"]
    if t == "WebSite" or t == "Organization" then add_clean(out, scalar(o.name)) end
  end
  for _, v in ipairs(tag_of(page, "application-name")) do add_clean(out, v) end
  for _, v in ipairs(tag_of(page, "og:site_name")) do add_clean(out, v) end
  return out
end

-- helpers for lib/meta/*.lua
meta.is_article, meta.is_list, meta.deref, meta.scalar, meta.type_name =
  is_article, is_list, deref, scalar, type_name

-- Each field of meta.extract, computed on demand (meta.field) and once
-- per document: FIELD[k](page, st) -> value, source.  need(page, st, k)
-- gives a field another one depends on (site_name before the site's
-- names, url before image's base, lang before dates).
local FIELD = {}
local ORDER = { "site_name", "url", "title", "authors", "lang", "published",
                "modified", "description", "image", "tags", "section" }
local need

FIELD.site_name = function(page)
  local v, src = first_tag(page, "og:site_name")
  if not v then v, src = jsonld_first(page, "publisher.name") end
  if not v then v, src = first_tag(page, "application-name") end
  if not v then
    for _, o in ipairs(meta.jsonld(page)) do
      if o["@type"] == "WebSite" then v, src = clean(scalar(o.name)), "jsonld WebSite.name"; break end
    end
  end
  return v, v and src or nil
end

FIELD.url = function(page)
  local page_url = url.of_page(page)
  local v, src = clean(url.canonical(page)), "link rel=canonical"
  if not v then v, src = first_tag(page, "og:url") end
  if not v then v, src = jsonld_first(page, "mainEntityOfPage.@id") end
  if not v then v, src = jsonld_first(page, "url") end
  src = v and src or nil
  if v then v = url.resolve(v, page_url) end
  return v, src
end

-- the names the page gives its site, as lib/meta/words matches them
local function site_of(page, st)
  if not st.site then
    st.site = words.site(page, site_names(page, need(page, st, "site_name")))
  end
  return st.site
end

FIELD.title = function(page, st) return title_mod.find(page, meta, site_of(page, st)) end
FIELD.authors = function(page, st) return authors_mod.find(page, meta, site_of(page, st)) end
FIELD.lang = function(page) return lang(page, page.doc) end
FIELD.published = function(page, st)
  return dates_mod.find(page, meta, "published", need(page, st, "lang"))
end
FIELD.modified = function(page, st)
  return dates_mod.find(page, meta, "modified", need(page, st, "lang"))
end

local DESCRIPTION_TAGS = { "og:description", "description", "twitter:description" }
FIELD.description = function(page)
  local v, src = first_tag(page, DESCRIPTION_TAGS)
  if not v then v, src = jsonld_first(page, "description") end
  return v, v and src or nil
end

FIELD.image = function(page, st)
  local v, src = image(page, page.doc)
  if v then
    local base = url.of_page(page) or need(page, st, "url")
    local base_href = url.base_href(page)
    if base_href then base = url.resolve(base_href, base) end
    v = url.resolve(v, base)
  end
  return v, src
end

FIELD.tags = function(page) return tag_list(page) end

FIELD.section = function(page)
  local v, src = first_tag(page, "article:section")
  if not v then v, src = jsonld_first(page, "articleSection") end
  return v, v and src or nil
end

-- The per-document state of the fields: m (values), why (sources), done.
-- st.edited: the caller edits page.doc from now on (meta.before_edit), so
-- a field not computed yet comes from st.pristine, a fresh parse of
-- page.html: what the page said about itself as it was served.
local function state(page)
  local st = page._meta_st
  if not (st and st.doc == page.doc) then
    st = { doc = page.doc, m = {}, why = {}, done = {} }
    page._meta_st = st
    -- page.meta: the fields, each computed when first read
    page.meta = setmetatable(st.m, { __index = function(_, k)
      if FIELD[k] then return need(page, st, k) end
    end })
  end
  return st
end

local function pristine(page, st)
  if not st.pristine then
    st.pristine = {
      source = page.source, html = page.html, url = page.url,
      options = page.options, record = page.record, fetched = page.fetched,
      doc = html.parse(page.html, { encoding = page.doc:encoding(), url = page.url }),
    }
  end
  return st.pristine
end

function need(page, st, k)
  if not st.done[k] then
    local v, src
    if st.edited then
      local p = pristine(page, st)
      v = meta.field(p, k)
      src = state(p).why[k]
    else
      v, src = FIELD[k](page, st)
    end
    st.m[k], st.why[k], st.done[k] = v, src, true
  end
  return rawget(st.m, k)
end

-- meta.field(page, k) -> value: one field of meta.extract(page) (the same
-- value), computed with what it depends on and nothing else
function meta.field(page, k)
  if not FIELD[k] then error("no metadata field '" .. tostring(k) .. "'", 2) end
  return need(page, state(page), k)
end

-- meta.lazy(page) -> page.meta: the fields of meta.extract(page), each
-- computed when first read (pairs sees only the ones read so far)
function meta.lazy(page)
  state(page)
  return page.meta
end

-- meta.before_edit(page [, want [, light]]): for a caller about to edit
-- page.doc (a rule's remove, unwrap, ...), whose metadata must still
-- describe the page as served.  Reads now what rules' {meta=} and
-- {jsonld=} sources and lib/date see (the scanner's facts, JSON-LD, the
-- page's language) and computes the fields listed in want.  A field not
-- computed by then is computed when asked, from a fresh parse of
-- page.html (the same tree): a rule that gives title, authors and dates
-- itself pays nothing for them, and a parse only on a page where its own
-- field came out empty.  With `light`, the full facts (meta.facts) are
-- scanned only if a field of want needs them: for a caller that does not
-- call meta.facts on the edited page itself (rules.lua: a rule without
-- functions).  Without page.html (a string) everything is computed now.
function meta.before_edit(page, want, light)
  local st = state(page)
  if st.edited or st.complete then return end
  if type(page.html) ~= "string" or not page.doc then
    meta.extract(page)
    return
  end
  if not light then meta.facts(page) end
  jsonld_texts(page)
  date.lang(page)
  for _, k in ipairs(want or {}) do need(page, st, k) end
  st.edited = true
end

function meta.extract(page)
  local st = state(page)
  if not st.complete then
    for _, k in ipairs(ORDER) do need(page, st, k) end
    st.complete = true
    page._meta_why = st.why
  end
  return st.m
end

-- meta.sources(page) -> {field = source}: where each value of
-- meta.extract(page) came from ("meta og:title", "jsonld
-- NewsArticle.datePublished", "h1 (agrees with title)", ...)
function meta.sources(page)
  meta.extract(page)
  return page._meta_why or {}
end

return meta
