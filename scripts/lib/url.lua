-- URL helpers for rules: resolving links against a page, hosts, host
-- patterns.
--
-- Host patterns (the `hosts` key of a rule):
--   "example.com"    matches example.com and www.example.com
--   "*.example.com"  matches every subdomain of example.com AND example.com
--                    itself (a site rarely wants its bare domain excluded)
-- Matching is case-insensitive; ports and a trailing dot are ignored.
-- `url.match` returns a specificity score so that the caller can pick the
-- most specific rule: an exact name beats any wildcard, a longer wildcard
-- suffix beats a shorter one.
--
-- Caveats: resolution itself is html.absolute's (libxml2's RFC 3986
-- resolver); this module only decides which base to use.
local url = {}

-- (globals the per-page paths call, as locals: see lib/rules.lua)
local type, ipairs, pcall = type, ipairs, pcall
local html_absolute = html.absolute

-- url.host(u) -> "example.com" | nil  (lowercase, no port, no userinfo)
function url.host(u)
  if type(u) ~= "string" then return nil end
  local authority = u:match("^%a[%w+.-]*://([^/?#]*)") or u:match("^//([^/?#]*)")
  if not authority then return nil end
  -- (each gsub runs only when its character is there: one anchored only
  -- at the end tries every byte)
  if authority:find("@", 1, true) then authority = authority:gsub("^.*@", "") end
  local host = authority:match("^%[[^%]]*%]")
  if not host then
    host = authority
    if host:find(":", 1, true) then host = host:gsub(":%d*$", "") end
  end
  host = host:lower()
  if host:byte(-1) == 46 then host = host:sub(1, -2) end   -- a trailing "."
  if host == "" then return nil end
  return host
end

-- url.normalize_host(h) -> lowercase host without port and trailing dot
function url.normalize_host(h)
  if type(h) ~= "string" then return nil end
  h = h:lower():gsub(":%d*$", ""):gsub("%.$", "")
  return h
end

-- url.match(pattern, host) -> score | nil
-- Scores: exact name 1000 + length, "www." + name 900 + length, wildcard
-- the length of its suffix (so any exact match beats any wildcard).
function url.match(pattern, host)
  if type(pattern) ~= "string" or type(host) ~= "string" then return nil end
  pattern = url.normalize_host(pattern)
  host = url.normalize_host(host)
  local suffix = pattern:match("^%*%.(.+)$")
  if suffix then
    if host == suffix then return #suffix end
    if #host > #suffix + 1 and host:sub(-#suffix - 1) == "." .. suffix then
      return #suffix
    end
    return nil
  end
  if host == pattern then return 1000 + #pattern end
  if host == "www." .. pattern then return 900 + #pattern end
  return nil
end

-- url.valid_pattern(p) -> true | nil, msg
function url.valid_pattern(p)
  if type(p) ~= "string" or p == "" then
    return nil, "host pattern must be a non-empty string"
  end
  local body = p:match("^%*%.(.+)$") or p
  if body:find("[^%w.%-:]") or body:find("%*") then
    return nil, "bad host pattern '" .. p .. "'"
  end
  return true
end

-- the bytes Lua's %s matches (isspace in the C locale)
local SPACE = { [9] = true, [10] = true, [11] = true, [12] = true, [13] = true, [32] = true }

-- s without the spaces at its ends (a lazy match tries the end at every
-- byte: only when an end is a space)
local function trim(s)
  local first, last = s:byte(1), s:byte(-1)
  if first and (SPACE[first] or SPACE[last]) then return (s:match("^%s*(.-)%s*$")) end
  return s
end

-- url.resolve(href, base) -> absolute URL | href unchanged when no base |
-- nil for an empty href
function url.resolve(href, base)
  if type(href) ~= "string" then return nil end
  -- (a gsub anchored only at the end tries every byte: trim only when an
  -- end is a space)
  local first, last = href:byte(1), href:byte(-1)
  if first and (SPACE[first] or SPACE[last]) then
    href = href:gsub("^%s+", ""):gsub("%s+$", "")
  end
  if href == "" then return nil end
  if not base or base == "" then return href end
  return html_absolute(href, base) or href
end

-- The <link rel=canonical> hrefs and the first og:url <meta> content,
-- found by one native CSS walk each (XPath's //link, //meta gather every
-- node of the page first), their attributes checked here with the rules
-- the XPath queries had: ASCII letters lowercased (translate), rel words
-- split on XML white space (normalize-space), blank content skipped, a
-- property before a name.  Content of <template> (inert, not part of the
-- page) does not count: CSS skips it.
-- (~= splits the value on XML white space (space, tab, CR, LF), ` i`
-- folds ASCII letters: the words and the case the XPath had)
local CANONICAL = 'link[rel~="canonical" i][href]'
local function canonical_of(doc)
  local out = {}
  for _, n in ipairs(doc:select(CANONICAL)) do
    out[#out + 1] = n:attr("href")
  end
  return out
end

local function og_url_of(doc)
  local by_name
  for _, n in ipairs(doc:select('meta[property="og:url" i][content], '
                                .. 'meta[name="og:url" i][content]')) do
    local content = n:attr("content")
    if content:find("[^ \t\r\n]") then
      local prop = n:attr("property")
      if prop and prop:lower() == "og:url" then return content end
      by_name = by_name or content
    end
  end
  return by_name
end

-- What the document says about its own URL, looked up once per document
-- (site.lua, lib/meta and rules.apply all ask), each part when first
-- asked for: page._links = {doc=, canonical = {href...}, og_url =
-- s|false, base_href = s|false}.  Keyed on page.doc, since a rule's
-- `replace` re-parses the page.
local function links(page)
  local doc = page.doc
  local c = page._links
  if c and c.doc == doc then return c end
  c = { doc = doc }
  page._links = c
  return c
end

local function canonical_list(page)
  local c = links(page)
  if not c.canonical then c.canonical = canonical_of(page.doc) end
  return c.canonical
end

-- the first canonical href: a walk that stops at it (in the <head> of
-- most pages), the whole list only when it is not the page's URL
local function canonical_first(page)
  local c = links(page)
  if c.canonical_first == nil then
    if c.canonical then
      c.canonical_first = c.canonical[1] or false
    else
      local n = page.doc:first(CANONICAL)
      c.canonical_first = n and n:attr("href") or false
    end
  end
  return c.canonical_first or nil
end

-- url.canonical(page) -> the href of the first <link rel=canonical>, as
-- written (nil when none)
function url.canonical(page)
  if not page.doc then return nil end
  return canonical_first(page)
end

-- an href the page gives for itself, made absolute: as is when it is, a
-- protocol-relative one as https, a relative one against <base href>
-- when that is absolute; nil otherwise
local function own_url(page, href)
  if type(href) ~= "string" then return nil end
  local h = trim(href)
  if h == "" then return nil end
  if h:find("^%a[%w+.-]*://") then return h end
  if h:find("^//") then return "https:" .. h end
  local base = url.base_href(page)
  base = base and trim(base)
  if base and base:find("^%a[%w+.-]*://") then return html_absolute(h, base) end
  return nil
end

-- the JSON-LD paths that name the page's URL, in the order asked
local JSONLD_PATHS = { "url", "mainEntityOfPage", "mainEntityOfPage.@id" }
local NONE = {}   -- (no values: read only)

-- lib/meta when it loads and reads JSON-LD, else nil (kept once it has
-- loaded; a load that failed is tried again, as require does)
local meta_module
local function jsonld_meta()
  if meta_module then return meta_module end
  local ok, meta = pcall(require, "lib.meta")
  if ok and type(meta) == "table" and meta.jsonld_path then
    meta_module = meta
    return meta
  end
  return nil
end

-- what the page says about its own URL (see url.of_page): the URL, or
-- nil and why
local function doc_url(page, doc, c)
  local relative
  local first = canonical_first(page)
  if first then
    local u = own_url(page, first)
    if u then return u end
    relative = trim(first)
    local list = canonical_list(page)
    for i = 2, #list do
      u = own_url(page, list[i])
      if u then return u end
    end
  end
  if c.og_url == nil then
    -- (no canonical: the page was walked end to end for it; the og:url
    -- query and the queries that follow (the rule's, lib/meta's) answer
    -- from the element index, one walk to make it)
    if not first then doc:index() end
    c.og_url = og_url_of(doc) or false
  end
  if c.og_url then
    local u = own_url(page, c.og_url)
    if u then return u end
    relative = relative or c.og_url
  end
  -- JSON-LD (lib/meta reads it; loaded here on demand, it requires us)
  local meta = jsonld_meta()
  if meta then
    for _, path in ipairs(JSONLD_PATHS) do
      local jok, vals = pcall(meta.jsonld_path, page, path)
      for _, v in ipairs(jok and vals or NONE) do
        local u = own_url(page, v)
        if u then return u end
      end
    end
  end
  if relative and relative ~= "" then
    return nil, "the page's own URL '" .. relative .. "' is relative and there is no --url, record url or <base href> to resolve it against"
  end
  return nil, "no --url, record url, canonical link or og:url"
end

-- url.of_page(page) -> the page's own URL, absolute: pipe.options.url
-- (--url), page.url (the record's url), else what the page says about
-- itself: <link rel=canonical>, og:url, JSON-LD url/mainEntityOfPage,
-- each as is when absolute, a relative one resolved against an absolute
-- <base href>.  nil and why when none gives an absolute URL.  What the
-- page says is looked up once per document (as its parts are: the
-- canonical links, og:url, <base href>, lib/meta's JSON-LD): lib/meta's
-- url and image fields ask again on a page whose URL site.lua did not
-- find, and generic.lua sets no page.url.
function url.of_page(page)
  local opts = (pipe and pipe.options) or page.options or {}
  if type(opts.url) == "string" and opts.url ~= "" then return opts.url end
  if type(page.url) == "string" and page.url ~= "" then return page.url end
  local doc = page.doc
  if not doc then return nil, "no --url, and no page" end
  local c = links(page)
  if not c.own_done then
    c.own, c.own_why = doc_url(page, doc, c)
    c.own_done = true
  end
  if c.own then return c.own end
  return nil, c.own_why
end

-- url.base_href(page) -> the href of the first <base href>, as written
-- (nil when none)
function url.base_href(page)
  if not page.doc then return nil end
  local c = links(page)
  if c.base_href == nil then
    local b = page.doc:first("base[href]")
    c.base_href = b and b:attr("href") or false
  end
  return c.base_href or nil
end

-- url.base(page) -> the base for resolving links: <base href> (itself
-- resolved against the page URL), else the page URL
function url.base(page)
  local page_url = page.url or url.of_page(page)
  local href = url.base_href(page)
  if href and href:match("%S") then
    if page_url then return html_absolute(href, page_url) or href end
    if url.host(href) then return href end
  end
  return page_url
end

return url
