-- The rule engine: validates declarative rule tables and applies them to
-- pages.
--
--   local rules = require("lib.rules")
--   local compiled = rules.load(rule_table, "sites/foo.lua")  -- raises
--   local record = rules.apply(compiled, page)                -- raises
--
-- rules.load checks a rule strictly: an unknown key or option, a value of
-- the wrong type, a selector that does not compile, a bad PCRE, a bad
-- format or tz all raise "NAME: KEY: message", e.g.
--   sites/foo.lua: fields.title: bad selector 'h1[' at offset 3: ...
--   sites/foo.lua: unknown key 'hots'
--   sites/foo.lua: fields.title: unknown option 'requried'
-- rules.apply also accepts an uncompiled table (it is loaded first, named
-- "rule").
--
-- RULE KEYS (top level; any other key is an error)
--   hosts     string or list of host patterns: "example.com" (also matches
--             www.example.com), "*.example.com" (any subdomain and
--             example.com itself).  Used by site.lua, not by apply.  The
--             most specific pattern wins (see lib/url.lua).
--   extends   module name of a parent rule ("sites.cms_wordpress").  The
--             parent is loaded (and checked) first; child keys override
--             parent keys, except: replace, remove and unwrap lists are
--             concatenated (parent first), rename tables and fields are
--             merged by name (a child field set to false deletes the
--             parent's).  hosts and tests are never inherited.
--   replace   list of {from, to} plain-string pairs applied to the raw HTML
--             (page.html) before parsing; the page is then re-parsed.  The
--             strings are matched against the raw bytes, so on a page that
--             is not UTF-8 they must be written in the page's encoding.
--   remove    list of selectors (CSS or XPath) whose nodes are dropped
--             from the page before any field is read (for every field;
--             a field's own `clean` drops nodes for that field only),
--             and {text = PCRE} entries, which
--             drop the smallest block elements (p, div, li, blockquote,
--             section, aside, figure, h1-h6, table, ul, ol, dl, dd, dt,
--             pre, header, footer, article, nav, form) whose text matches.
--             A selector with an ::attr(name) suffix, or an XPath whose
--             last step is an attribute ("//img/@srcset"), removes that
--             attribute from the matched elements instead.
--   unwrap    list of selectors whose nodes are replaced by their children.
--   rename    table selector -> tag name ({["div.para"] = "p"}).
--   wrap      table selector -> tag name: each match is put inside a new
--             element ({["p.pullquote"] = "blockquote"}).
--   move      table selector -> target selector: the matches are moved to
--             the end of the target's first match (a match that holds the
--             target stays where it is).
--             Order: remove, unwrap, rename, wrap, move.
--   metadata  true (default): page metadata (lib/meta.lua: title, authors,
--             published, modified, lang, site_name, url, description,
--             image, tags, section) fills record keys that the rule's
--             fields leave empty; false: never; a list of names: only
--             those.  Metadata never satisfies `required`.
--   fields    table name -> field spec (below).
--   post      function(record, page) -> record|nil, run last; a returned
--             table replaces the record.
--   tests     test cases for `pipe test`; accepted and ignored here.
--
-- FIELD SPECS
--   "selector"            one source, the text of the first match
--   function(page, node, record) -> value
--                         a field-level function: node is the context (the
--                         Document, or the item node inside nested fields),
--                         record a copy of the declarative fields' values
--                         (function fields run after them, in name order,
--                         and do not see each other's values)
--   { source..., option = value... }
--                         sources in the array part, tried in order: the
--                         first that gives a non-empty value wins
--   false                 (in a rule with extends) drop the parent's field
-- SOURCES
--   "css selector"        CSS; optional suffix ::text (the node's text, the
--                         default), ::attr(name), ::html (inner HTML, not
--                         cleaned).  An empty selector before the suffix
--                         ("::attr(href)") means the context node itself.
--   "/xpath", "(xpath)", "./xpath", "fn(...)"
--                         XPath (same suffixes; "fn(" is a leading XPath
--                         function call: "string(//h1)"); a string/number result is
--                         used as is, a boolean true is the value true
--                         (false: no value)
--   {meta = "og:title"}   content of <meta property|name|itemprop=NAME>
--                         (case-insensitive; every match when all = true)
--   {jsonld = "a.b.c"}    dotted path into the page's JSON-LD objects
--                         (@graph and arrays flattened, Article-like types
--                         first); arrays along the path are mapped; an
--                         object value gives its name, else its url
--   {generic = "body"}    that field of the record scripts/generic.lua
--                         makes of the page (computed once per page): a
--                         last resort when the rule's selectors fail; the
--                         field's clean applies to the page it reads, on a
--                         copy, unless {generic = "body", clean = false}
--   function(page, node) -> value
--                         a string, a Node (read like a selector match), a
--                         list of strings, or any other value (kept as is)
--   {"css", fallback = true}, {meta = ..., fallback = true}
--                         a source marked as an intended fallback: lint
--                         does not report it for matching nothing
-- OPTIONS (value filters run in this order for each value)
--   attr = "href"         like the ::attr(href) suffix for sources without one
--   image = true          the value is an image URL: <img>/<source> (or the
--                         first <img> inside the match) read through lazy-load
--                         attributes: srcset/data-srcset (largest candidate),
--                         data-src, data-lazy-src, data-original, data-lazy,
--                         then src (data: URIs skipped); resolved like url.
--                         A selector ending in ::attr(src) on an img/source
--                         element gets the same treatment automatically.
--   clean = {selectors}   nodes dropped inside this field's matches only
--                         (on a copy: no other field sees it); entries like
--                         remove's: ::attr(name) or .../@name drops that
--                         attribute, {text = PCRE} blocks; an XPath that
--                         starts with "//" searches the match's subtree.
--                         With a {generic=} source the whole page is
--                         cleaned (a copy) before the generic extractor
--                         reads it
--   (text is cleaned: entities decoded, typographic spaces normalised,
--    whitespace collapsed, paragraph breaks kept; attributes are trimmed)
--   keep_spaces = true    keep no-break and other typographic spaces
--   replace = {PCRE, repl} or a list of such pairs: re.gsub ($1, ${name})
--   re = PCRE (alias: match)  the first group (or the whole match); no
--                         match = no value from this match
--   trim = true|"chars"   strip whitespace (always done) and these chars
--                         from both ends
--   paragraphs = true     the match's text rendered by html.strip: each
--                         block on its own, blocks joined by one blank line
--   split = PCRE|true     split the value into a list (true: commas)
--   date = true           parse with lib/date.lua: any language (the
--                         page's <html lang>, or lang = "fr"), offsets and
--                         zone names kept; relative dates count from
--                         pipe.options.now (--now, --set now=), else the
--                         record's `fetched`; unparsable = no value
--   format = "%d.%m.%Y"   implies date = true
--   tz = "Europe/Paris"   implies date = true; the zone of times written
--                         without one: IANA name (daylight saving right),
--                         offset ("+02:00") or abbreviation ("EET", fixed)
--   utc = true            implies date = true; times converted to +00:00
--   lang = "fr"           the language of dates (default: the page's)
--   url = true            resolve against the page URL (honouring <base>)
--   all = true            a list of the values of every match (default:
--                         the first non-empty one)
--   join = "sep"|true     join all matches' values into one string (implies
--                         all; true = " ")
--   fields = {...}        each match becomes a record of these fields,
--                         selectors relative to the match; empty records
--                         are dropped; a required nested field drops the
--                         item instead of failing the page
--   default = value       used when no source gives a value (a field may
--                         have a default and no source: a constant)
--   required = true       no value: the page fails with
--                         "required field 'NAME' is missing (tried: ...)"
--   boilerplate = true    paragraphs, through the generic extractor's
--                         filters (extract.content with whole = true):
--                         captions, bylines and credits (its drop lists),
--                         hidden elements, link-heavy lines that are not
--                         sentences, short prompts ("Read more", "Share"),
--                         lines repeating an image's alt text (captions),
--                         and blocks that are link lists, promo boxes,
--                         sign-up forms or image galleries are left out
--   prune = true          boilerplate, and the rest of the extractor's
--                         conditional cleaning: short image-less blocks,
--                         blocks of more list items than paragraphs,
--                         embeds (Readability's prepArticle, what
--                         FiveFilters' prune: yes asks for)
--   min_length = N        a string value under N characters is weak: the
--                         later sources are tried too, and a longer value
--                         replaces it (until one has N characters); a
--                         weak {generic=} value is also read from the page
--                         as served, before any cleaning ("generic body
--                         (page as served)")
--   skip = {selector...}  matches inside what these selectors match are
--                         not used ({ ".comments" }: not the comment thread)
--   skip_description = true  (with all/join) a match whose text is the
--                         page's description is a standfirst, not used
--                         when other matches remain (the record has it
--                         as `description`)
--   outermost = true      (with all/join) a match inside an earlier match
--                         is skipped, so nested matches are not read twice
-- Empty strings and empty lists count as missing.
--
-- FIELDS ARE INDEPENDENT: while fields are read the page is read-only
-- (doc:readonly; a function that edits it fails the page), `clean` works
-- on a copy, function fields see the declarative values only.  post runs
-- after, and may edit.
--
-- NO SILENT RESULTS: a page where none of the rule's fields got a value
-- from its sources fails ("none of the rule's fields matched: ..."), so
-- does a missing required field ("required field 'body' is missing
-- (tried: .x: nothing matched)"); with --explain the message is followed
-- by "found: " and the record so far as JSON.
--
-- PROVENANCE: when pipe.options.explain is true the record gets `explain`:
-- field -> "rule: <selector>" | "meta <name>" | "jsonld <path>" |
-- "function" | "default" | "metadata" (or meta.source's name for it) |
-- "none (SOURCE: what happened; ...)", where what happened is "nothing
-- matched" or "matched, but the date filter rejected it: <why>", "matched,
-- but re did not match '...'", "matched, but empty".  A value from a later
-- source after an earlier one matched and was rejected: "LABEL (after
-- SOURCE: ...)".  A standard field metadata would fill next to a rule
-- field that stands for it (ALIASES: author for authors): "none (metadata
-- has one, but the rule's field 'author' stands for authors)".
--
-- Caveats: applying a rule mutates page.doc (remove/unwrap/rename) and may
-- replace page.doc and page.html (replace).  Page metadata describes the
-- page before remove (removing <script> or <meta> does not hide JSON-LD),
-- computed per field (see meta_plan).
-- (the globals and library functions the per-page paths call, as
-- locals: a global is a miss in this file's environment and a second
-- lookup in the one it falls back on, and a library function one more
-- through the library's read-only proxy)
local type, ipairs, pairs, next = type, ipairs, pairs, next
local tostring, tonumber, error, pcall = tostring, tonumber, error, pcall
local setmetatable, getmetatable = setmetatable, getmetatable
local tconcat = table.concat
local sbyte, sfind = string.byte, string.find
local text_clean, text_trim, text_squish = text.clean, text.trim, text.squish
local html_strip = html.strip
-- html's query methods as functions (a Document's and a Node's are the
-- same): ctx:first_value(...) on a Node is a C call of its __index
-- before the method's own
local q_select, q_first, q_first_value, q_text
do
  local d = html.parse("<p></p>")
  q_select, q_first, q_first_value, q_text = d.select, d.first, d.first_value, d.text
  d:close()
end

local url = require("lib.url")
local date = require("lib.date")
local date_plugin = require("date")  -- its parse, called by finish

local rules = {}

local TOP_KEYS = {
  hosts = true, extends = true, replace = true, remove = true, unwrap = true,
  rename = true, wrap = true, move = true, metadata = true, fields = true,
  post = true, tests = true,
}
local FIELD_OPTIONS = {
  all = "boolean", join = "join", re = "string", match = "string",
  replace = "table", trim = "trim", split = "split", date = "boolean",
  format = "string", tz = "string", utc = "boolean", lang = "string",
  url = "boolean", image = "boolean", clean = "table", keep_spaces = "boolean",
  required = "boolean", default = "any", fields = "table",
  paragraphs = "boolean", attr = "string", clean = "table",
  outermost = "boolean", boilerplate = "boolean", prune = "boolean",
  min_length = "number", skip = "table", skip_description = "boolean",
}
local META_KEYS = {
  "title", "authors", "published", "modified", "lang", "site_name", "url",
  "description", "image", "tags", "section",
}
local META_KEY_SET = {}
for _, k in ipairs(META_KEYS) do META_KEY_SET[k] = true end

-- other names rules give the standard fields (docs/rules.md, "The record
-- schema"): metadata does not fill the standard field next to one of
-- these, and lint names the standard one
local ALIASES = {
  author = "authors", headline = "title",
  date = "published", pubdate = "published", published_at = "published",
  published_time = "published", date_published = "published",
  updated = "modified", updated_at = "modified", date_modified = "modified",
  modified_time = "modified",
  content = "body", article_body = "body",
  summary = "description", excerpt = "description", dek = "description",
  lead_image = "image", image_url = "image", lead_image_url = "image",
  language = "lang", category = "section", keywords = "tags",
  link = "url", canonical = "url", permalink = "url",
}
rules.ALIASES = ALIASES

local BLOCKS = "p, div, li, blockquote, section, aside, figure, h1, h2, h3, "
  .. "h4, h5, h6, table, ul, ol, dl, dd, dt, pre, header, footer, article, "
  .. "nav, form"

local meta_module
local function meta()
  meta_module = meta_module or require("lib.meta")
  return meta_module
end

local function fail(name, key, msg)
  if key then error(name .. ": " .. key .. ": " .. msg, 0) end
  error(name .. ": " .. msg, 0)
end

-- strip a "file:line: " position from an error raised by a plugin
local function errmsg(e)
  e = tostring(e)
  return (e:gsub("^[^\n:]*:%d+: ", ""))
end

local function options()
  return (pipe and pipe.options) or {}
end

local function present(v)
  if v == nil then return false end
  local t = type(v)
  if t == "string" then
    -- (a first byte above ' ' is not white space: no pattern to run)
    local b = sbyte(v)
    if b == nil then return false end
    return b > 32 or sfind(v, "%S") ~= nil
  end
  if t == "table" and getmetatable(v) == nil then return next(v) ~= nil end
  return true
end

-- a document for checking XPath expressions at load time
local probe_doc
local function probe()
  probe_doc = probe_doc or html.parse("<html><body><p>x</p></body></html>")
  return probe_doc
end

-- rules.xpath_error(x) -> nil when the XPath compiles and evaluates on
-- the probe document, else the message.  Remembered per worker: a
-- FiveFilters config checks each XPath when it is read (lib/ftr, for
-- messages with file and line) and again when its rule compiles
local xpath_errors, xpath_checked = {}, 0
function rules.xpath_error(x)
  local e = xpath_errors[x]
  if e == nil then
    local ok, err = pcall(probe().xpath, probe(), x)
    e = not ok and errmsg(err) or false
    if xpath_checked >= 50000 then xpath_errors, xpath_checked = {}, 0 end
    xpath_errors[x], xpath_checked = e, xpath_checked + 1
  end
  return e or nil
end

-- selector string -> {css=|xpath=, suffix=, attr=, label=}; raises the
-- plugins' "bad selector ..." / "bad xpath ..." for one that does not compile
-- (the suffix patterns try every position of the selector: they run only
-- on selectors with a "::"; a rule set compiles hundreds of selectors)
local function compile_selector(s)
  local sel = { label = s }
  local body, attr
  if s:find("::", 1, true) then
    body, attr = s:match("^(.-)::attr%(%s*([^)%s]+)%s*%)%s*$")
    if body then
      sel.suffix, sel.attr = "attr", attr
    else
      body = s:match("^(.-)::text%s*$")
      if body then
        sel.suffix = "text"
      else
        body = s:match("^(.-)::html%s*$")
      end
    end
  end
  body = body or s
  local b = body:byte(1)
  if b and b <= 32 then body = body:gsub("^%s+", "") end
  b = body:byte(-1)
  if b and b <= 32 then body = body:gsub("%s+$", "") end
  if body == "" or body == "." then
    sel.self = true
  elseif body:find("^[/(]") or body:find("^%./") or body:find("^%.%./")
      or body:find("^%a[%w-]*%s*%(") then -- a leading function call: boolean(//x)
    sel.xpath = body
    local e = rules.xpath_error(body)
    if e then error(e, 0) end
  else
    sel.css = body
    html.xpath_of(body)
  end
  return sel
end

-- compile(s) for a string s the rule gives as `what`, any error raised as
-- "NAME: KEY: message"
local function checked(name, key, what, s, compile)
  if type(s) ~= "string" then fail(name, key, what .. " must be a string, got " .. type(s)) end
  local ok, r = pcall(compile, s)
  if not ok then fail(name, key, errmsg(r)) end
  return r
end

local function check_selector(name, key, s)
  return checked(name, key, "selector", s, compile_selector)
end

-- a selector of nodes to remove: as check_selector, and an XPath whose
-- last step selects an attribute ("//img/@srcset") means that attribute,
-- like "//img::attr(srcset)"
local function check_removal(name, key, s)
  local sel = check_selector(name, key, s)
  if sel.xpath and not sel.suffix and not sel.xpath:find("|", 1, true) then
    local owner, attr = sel.xpath:match("^(.+)/@([%w_:%-]+)$")
    if owner and not rules.xpath_error(owner) then
      sel.xpath, sel.suffix, sel.attr = owner, "attr", attr
    end
  end
  return sel
end

-- the branches of an XPath union ("a | b"), split outside brackets,
-- parentheses and quotes
local function union_branches(x)
  local out, depth, start, i = {}, 0, 1, 1
  while true do
    -- jump to the next character that matters
    i = x:find("[%[%]()'\"|]", i)
    if not i then break end
    local c = x:sub(i, i)
    if c == "'" or c == '"' then
      i = x:find(c, i + 1, true)
      if not i then break end
    elseif c == "[" or c == "(" then
      depth = depth + 1
    elseif c == "]" or c == ")" then
      depth = depth - 1
    elseif depth == 0 then
      out[#out + 1] = x:sub(start, i - 1)
      start = i + 1
    end
    i = i + 1
  end
  out[#out + 1] = x:sub(start)
  return out
end

-- an absolute XPath made relative to a context node, when every branch
-- starts with "//" (".//x" searches only the context's subtree, and finds
-- there what "//x" finds); nil otherwise
local function scoped_xpath(x)
  local parts = {}
  for _, b in ipairs(union_branches(x)) do
    b = b:match("^%s*(.-)%s*$")
    if b:sub(1, 2) ~= "//" then return nil end
    parts[#parts + 1] = "." .. b
  end
  local r = tconcat(parts, " | ")
  if rules.xpath_error(r) then return nil end
  return r
end

-- re.compile called from a Lua function, not by pcall directly: so its
-- error, like the selector ones, starts with the caller's position, which
-- errmsg strips (a pattern like "x:1: (" is then not mangled)
local function compile_regex(pat)
  local r = re.compile(pat)
  return r
end

local function check_regex(name, key, pat)
  return checked(name, key, "pattern", pat, compile_regex)
end

local function as_list(v)
  if type(v) == "table" then return v end
  return { v }
end

-- (html.strip's and node:text's option of a keep_spaces field)
local NBSP = { nbsp = true }

-- how doc:first_value reads a selector source's first match, where the
-- field takes the match's text, inner HTML or attribute as it is (no
-- copy to clean, no nested fields, no extract filter, no image): s.how,
-- s.how_arg and the kind of value item_value would say (s.how_kind)
local function first_values(f)
  if f.clean or f.fields or f.filter or f.image then return end
  for _, s in ipairs(f.sources) do
    if s.css then
      local suffix, attr = s.suffix, s.attr
      if not suffix and f.attr then suffix, attr = "attr", f.attr end
      local keep = f.keep_spaces and NBSP or nil
      if suffix == "attr" and attr == "src" then
        -- (an <img>'s or <source>'s src is an image: its srcset first)
      elseif f.paragraphs then
        s.how, s.how_arg, s.how_kind = "strip", keep, "text"
      elseif suffix == "attr" then
        s.how, s.how_arg, s.how_kind = "attr", attr, "raw"
      elseif suffix == "html" then
        s.how, s.how_kind = "html", "html"
      else
        s.how, s.how_arg, s.how_kind = "text", keep, "text"
      end
    end
  end
end

local compile_fields

local function compile_field(name, key, spec)
  local f = { name = key:match("[^.]+$") }
  if type(spec) == "function" then
    f.fn = spec
    return f
  end
  if type(spec) == "string" then spec = { spec } end
  if type(spec) ~= "table" then
    fail(name, key, "field must be a selector, a table or a function, got " .. type(spec))
  end
  for k, v in pairs(spec) do
    if type(k) ~= "number" then
      local want = FIELD_OPTIONS[k]
      if not want then fail(name, key, "unknown option '" .. tostring(k) .. "'") end
      local t = type(v)
      local ok = want == "any" or t == want
        or (want == "join" and (t == "string" or t == "boolean"))
        or (want == "trim" and (t == "string" or t == "boolean"))
        or (want == "split" and (t == "string" or t == "boolean"))
      if not ok then fail(name, key .. "." .. k, "expected " .. (want == "join" and "a string or true" or want) .. ", got " .. t) end
    end
  end
  f.sources = {}
  for i, src in ipairs(spec) do
    local s
    if type(src) == "string" then
      s = check_selector(name, key, src)
      s.kind = "sel"
      s.label = "rule: " .. src
    elseif type(src) == "function" then
      s = { kind = "fn", fn = src, label = "function" }
    elseif type(src) == "table" then
      for k in pairs(src) do
        if k ~= "meta" and k ~= "jsonld" and k ~= "generic" and k ~= "fallback" and k ~= 1
            and not (k == "clean" and src.generic ~= nil) then
          fail(name, key, "unknown source key '" .. tostring(k) .. "' (want meta, jsonld, generic, a selector, fallback)")
        end
      end
      if src.fallback ~= nil and type(src.fallback) ~= "boolean" then
        fail(name, key, "source " .. i .. ": fallback must be true or false")
      end
      if type(src.meta) == "string" then
        s = { kind = "meta", meta = src.meta:lower(), label = "meta " .. src.meta }
      elseif type(src.jsonld) == "string" then
        s = { kind = "jsonld", path = src.jsonld, label = "jsonld " .. src.jsonld }
      elseif type(src.generic) == "string" then
        if src.clean ~= nil and src.clean ~= false then
          fail(name, key, "source " .. i .. ": clean of a {generic=} source can only be false")
        end
        s = { kind = "generic", field = src.generic, label = "generic " .. src.generic,
              no_clean = src.clean == false }
      elseif type(src[1]) == "string" then
        s = check_selector(name, key, src[1])
        s.kind = "sel"
        s.label = "rule: " .. src[1]
      elseif type(src[1]) == "function" then
        s = { kind = "fn", fn = src[1], label = "function" }
      else
        fail(name, key, "source " .. i .. " must be {meta = NAME}, {jsonld = PATH}, {generic = FIELD} or {SELECTOR, fallback = true}")
      end
      s.fallback = src.fallback
    else
      fail(name, key, "source " .. i .. " must be a selector, a table or a function, got " .. type(src))
    end
    f.sources[#f.sources + 1] = s
  end
  if #f.sources == 0 and spec.default == nil then fail(name, key, "no source (give a selector, {meta=}, {jsonld=} or a function)") end
  f.all = spec.all or spec.join ~= nil or false
  f.join = spec.join == true and " " or spec.join
  f.attr = spec.attr
  f.image = spec.image
  f.paragraphs = spec.paragraphs or spec.boilerplate or spec.prune
  if spec.boilerplate or spec.prune then
    f.filter = { whole = true, whole_clean = true, clean_shape = spec.prune == true }
  end
  f.url = spec.url or spec.image
  f.required = spec.required
  f.default = spec.default
  f.trim = spec.trim
  -- (trim = "chars": strip them too; checked once here, not per value)
  f.trim_chars = type(spec.trim) == "string" and spec.trim or nil
  f.keep_spaces = spec.keep_spaces
  if spec.clean then
    f.clean = {}
    for i, r in ipairs(spec.clean) do
      local ckey = key .. ".clean[" .. i .. "]"
      if type(r) == "table" then
        for k in pairs(r) do
          if k ~= "text" then fail(name, ckey, "unknown key '" .. tostring(k) .. "' (want text)") end
        end
        f.clean[#f.clean + 1] = { text = check_regex(name, ckey, r.text) }
      else
        local sel = check_removal(name, ckey, r)
        if sel.self then fail(name, ckey, "want a selector of nodes to drop, got '" .. r .. "'") end
        -- its subtree form (".//x" for "//x") is made and checked when
        -- a page first needs it: a FiveFilters config has dozens of
        -- strips, and a body that never matches never uses them
        sel.scope = sel.xpath ~= nil
        f.clean[#f.clean + 1] = sel
      end
    end
  end
  local pat = spec.re or spec.match
  if pat then f.re = check_regex(name, key .. (spec.re and ".re" or ".match"), pat) end
  if spec.replace then
    local pairs_ = type(spec.replace[1]) == "table" and spec.replace or { spec.replace }
    f.replace = {}
    for _, p in ipairs(pairs_) do
      if type(p) ~= "table" or type(p[1]) ~= "string" or type(p[2]) ~= "string" then
        fail(name, key .. ".replace", "want {PCRE, replacement} or a list of such pairs")
      end
      f.replace[#f.replace + 1] = { check_regex(name, key .. ".replace", p[1]), p[2] }
    end
  end
  if spec.split then
    f.split = check_regex(name, key .. ".split", spec.split == true and "\\s*,\\s*" or spec.split)
  end
  if spec.date or spec.format or spec.tz or spec.utc then
    f.date = { format = spec.format, tz = spec.tz, utc = spec.utc, lang = spec.lang }
    -- the options of the date plugin's parse, filled in per call
    f.date.opts = { format = spec.format, tz = spec.tz, utc = spec.utc }
    if spec.format then
      local ok, e = date.check_format(spec.format)
      if not ok then fail(name, key .. ".format", e) end
    end
    if spec.tz then
      local ok, e = date.check_tz(spec.tz)
      if not ok then fail(name, key .. ".tz", e) end
    end
  end
  if spec.fields then f.fields = compile_fields(name, key .. ".fields", spec.fields) end
  first_values(f)
  -- a value that only gets cleaned (process's short way)
  f.plain = not (f.keep_spaces or f.replace or f.re or f.trim_chars or f.split
                 or f.date or f.url or f.image) or nil
  f.outermost = spec.outermost
  f.skip_description = spec.skip_description
  f.min_length = spec.min_length
  if spec.skip then
    f.skip = {}
    for i, c in ipairs(spec.skip) do
      f.skip[i] = check_selector(name, key .. ".skip[" .. i .. "]", c)
    end
  end
  return f
end

-- fields table -> ordered list: plain fields by name, then function fields
compile_fields = function(name, key, fields)
  if type(fields) ~= "table" then fail(name, key, "expected a table, got " .. type(fields)) end
  local names = {}
  for k, v in pairs(fields) do
    if type(k) ~= "string" then fail(name, key, "field names must be strings") end
    if v ~= false then names[#names + 1] = k end
  end
  -- declarative fields by name, then function fields (which see their
  -- values); `clean` works on copies, so no order is needed for it
  table.sort(names, function(a, b)
    local fa, fb = type(fields[a]) == "function", type(fields[b]) == "function"
    if fa ~= fb then return fb end
    return a < b
  end)
  local out = {}
  for _, k in ipairs(names) do
    out[#out + 1] = compile_field(name, key .. "." .. k, fields[k])
  end
  return out
end

-- checks of one raw table (no merging), so an error names the right file
local function check_raw(raw, name)
  if type(raw) ~= "table" then fail(name, nil, "a rule must be a table, got " .. type(raw)) end
  for k in pairs(raw) do
    if not TOP_KEYS[k] then fail(name, nil, "unknown key '" .. tostring(k) .. "'") end
  end
  if raw.hosts ~= nil then
    if type(raw.hosts) ~= "string" and type(raw.hosts) ~= "table" then
      fail(name, "hosts", "expected a string or a list of strings")
    end
    for _, h in ipairs(as_list(raw.hosts)) do
      local ok, e = url.valid_pattern(h)
      if not ok then fail(name, "hosts", e) end
    end
  end
  if raw.extends ~= nil and type(raw.extends) ~= "string" then
    fail(name, "extends", "expected a module name")
  end
  for _, k in ipairs({ "replace", "remove", "unwrap", "rename", "wrap", "move", "fields", "tests" }) do
    if raw[k] ~= nil and type(raw[k]) ~= "table" then
      fail(name, k, "expected a table, got " .. type(raw[k]))
    end
  end
  if raw.post ~= nil and type(raw.post) ~= "function" then
    fail(name, "post", "expected a function, got " .. type(raw.post))
  end
  local md = raw.metadata
  if md ~= nil and type(md) ~= "boolean" then
    if type(md) ~= "table" then fail(name, "metadata", "expected true, false or a list of names") end
    for _, k in ipairs(md) do
      if not META_KEY_SET[k] then
        fail(name, "metadata", "unknown metadata name '" .. tostring(k) .. "'")
      end
    end
  end
end

local function module_path(mod)
  return (mod:gsub("%.", "/")) .. ".lua"
end
rules.module_path = module_path

local function concat(a, b)
  local out = {}
  for _, v in ipairs(a or {}) do out[#out + 1] = v end
  for _, v in ipairs(b or {}) do out[#out + 1] = v end
  return out
end

local function merge_map(a, b)
  local out = {}
  for k, v in pairs(a or {}) do out[k] = v end
  for k, v in pairs(b or {}) do out[k] = v end
  return out
end

-- the effective raw table of a rule after resolving extends
local function resolve(raw, name, seen)
  check_raw(raw, name)
  if not raw.extends then return raw end
  if seen[raw.extends] then fail(name, "extends", "cycle through '" .. raw.extends .. "'") end
  seen[raw.extends] = true
  local ok, parent = pcall(require, raw.extends)
  if not ok then
    fail(name, "extends", "cannot load '" .. raw.extends .. "': " .. errmsg(parent))
  end
  parent = resolve(parent, module_path(raw.extends), seen)
  local merged = {}
  for k, v in pairs(parent) do
    if k ~= "hosts" and k ~= "tests" and k ~= "extends" then merged[k] = v end
  end
  for k, v in pairs(raw) do
    if k ~= "extends" then merged[k] = v end
  end
  merged.replace = concat(parent.replace, raw.replace)
  merged.remove = concat(parent.remove, raw.remove)
  merged.unwrap = concat(parent.unwrap, raw.unwrap)
  merged.rename = merge_map(parent.rename, raw.rename)
  merged.wrap = merge_map(parent.wrap, raw.wrap)
  merged.move = merge_map(parent.move, raw.move)
  merged.fields = merge_map(parent.fields, raw.fields)
  -- compile the parent alone once, so its own errors name its file
  rules.load(parent, module_path(raw.extends))
  return merged
end

-- rules.load(rule, name) -> compiled rule (raises on any problem)
function rules.load(raw, name)
  name = name or "rule"
  if type(raw) == "table" and raw.__compiled then return raw end
  local eff = resolve(raw, name, {})
  local c = { __compiled = true, name = name, source = raw, tests = raw.tests }
  c.hosts = eff.hosts and as_list(eff.hosts) or {}
  c.replace = {}
  for i, p in ipairs(eff.replace or {}) do
    if type(p) ~= "table" or type(p[1]) ~= "string" or type(p[2]) ~= "string" or p[1] == "" then
      fail(name, "replace[" .. i .. "]", "want a pair of strings {from, to}")
    end
    c.replace[#c.replace + 1] = { p[1], p[2] }
  end
  c.remove = {}
  for i, r in ipairs(eff.remove or {}) do
    local key = "remove[" .. i .. "]"
    if type(r) == "table" then
      for k in pairs(r) do
        if k ~= "text" then fail(name, key, "unknown key '" .. tostring(k) .. "' (want text)") end
      end
      c.remove[#c.remove + 1] = { text = check_regex(name, key, r.text) }
    else
      c.remove[#c.remove + 1] = check_removal(name, key, r)
    end
  end
  c.unwrap = {}
  for i, s in ipairs(eff.unwrap or {}) do
    c.unwrap[#c.unwrap + 1] = check_selector(name, "unwrap[" .. i .. "]", s)
  end
  -- selector -> tag maps, in selector order
  local function tag_map(what)
    local out, keys = {}, {}
    for k in pairs(eff[what] or {}) do keys[#keys + 1] = k end
    table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    for _, k in ipairs(keys) do
      local tag = eff[what][k]
      local key = what .. "." .. tostring(k)
      if type(tag) ~= "string" or not tag:match("^%a[%w-]*$") then
        fail(name, key, "want a tag name, got '" .. tostring(tag) .. "'")
      end
      out[#out + 1] = { check_selector(name, key, k), tag }
    end
    return out
  end
  c.rename = tag_map("rename")
  c.wrap = tag_map("wrap")
  c.move = {}
  local mkeys = {}
  for k in pairs(eff.move or {}) do mkeys[#mkeys + 1] = k end
  table.sort(mkeys, function(a, b) return tostring(a) < tostring(b) end)
  for _, k in ipairs(mkeys) do
    local key = "move." .. tostring(k)
    c.move[#c.move + 1] = { check_selector(name, key, k), check_selector(name, key, eff.move[k]) }
  end
  if eff.metadata == false then
    c.metadata = {}
  elseif type(eff.metadata) == "table" then
    c.metadata = eff.metadata
  else
    c.metadata = META_KEYS
  end
  c.fields = compile_fields(name, "fields", eff.fields or {})
  -- standard fields that a rule's alias stands for (author -> authors):
  -- metadata leaves them alone
  c.aliased = {}
  for _, f in ipairs(c.fields) do
    if ALIASES[f.name] then c.aliased[ALIASES[f.name]] = f.name end
  end
  c.post = eff.post
  return c
end

-- ---------------------------------------------------------------------
-- applying

local function select_items(ctx, sel)
  if sel.self then
    if ctx.root and not ctx.tag then return { ctx:root() } end
    return { ctx }
  end
  if sel.css then return q_select(ctx, sel.css) end
  -- an XPath that compiles can still fail when evaluated (a function
  -- called with the wrong number of arguments, as in a FiveFilters
  -- config's contains(@class='x')): it matches nothing, as in FTR, and
  -- the reason goes back to --explain
  local ok, r = pcall(ctx.xpath, ctx, sel.xpath)
  if not ok then
    local why = tostring(r):match("' failed: (.*)$")
    if not why then error(r, 0) end
    return {}, "the XPath failed: " .. why
  end
  local t = type(r)
  if t == "table" then return r end
  if t == "string" or t == "number" then return { tostring(r) } end
  if r == true then return { true } end
  return {}
end

local function is_node(v) return type(v) == "userdata" end

local function first_node(items)
  for _, v in ipairs(items) do
    if is_node(v) then return v end
  end
  return nil
end

-- remove a matched node, or with a ::attr(name) selector the attribute
local function drop(node, sel)
  if not is_node(node) then return end
  if sel.suffix == "attr" then node:set_attr(sel.attr, nil) else node:remove() end
end

local function largest_srcset(s)
  if not s then return nil end
  local best, best_size
  for item in s:gmatch("[^,]+") do
    local u, d = item:match("^%s*(%S+)%s*(%S*)%s*$")
    if u then
      local size = tonumber(d:match("^([%d.]+)[wx]$") or "") or 1
      if d:match("x$") then size = size * 1000 end
      if not best_size or size > best_size then best, best_size = u, size end
    end
  end
  return best
end

local function image_of(node)
  if node.tag ~= "img" and node.tag ~= "source" then
    local img = node:first("img") or node:first("source")
    if not img then return node:attr("src") end
    node = img
  end
  local v = largest_srcset(node:attr("srcset")) or largest_srcset(node:attr("data-srcset"))
  if v then return v end
  for _, a in ipairs({ "data-src", "data-lazy-src", "data-original", "data-lazy", "src" }) do
    local s = node:attr(a)
    if s and s:find("%S") and not s:find("^%s*data:") then return s end
  end
  return nil
end

-- the paragraphs of extract.content's result without those that repeat
-- the alt text of an image in the node: a caption written as a plain
-- line under the picture (<img alt="X"><span>X</span>), which the drop
-- lists cannot recognise by its markup (the node as matched: a strip may
-- have taken the image and left its caption)
local function without_alt_captions(node, res)
  local alts = node:xpath(".//img/@alt")
  if #alts == 0 then return res.text end
  local set, any = {}, false
  for _, a in ipairs(alts) do
    a = type(a) == "string" and text_squish(a) or ""
    if a:find("%S") then set[a], any = true, true end
  end
  if not any then return res.text end
  local keep, dropped = {}, false
  for _, para in ipairs(res.paragraphs) do
    if set[text_squish(para)] then dropped = true else keep[#keep + 1] = para end
  end
  if not dropped then return res.text end
  return tconcat(keep, "\n\n")
end

-- raw value of a matched item: (string, kind) with kind "text"|"raw"|"html"
-- (orig: the matched node before the field's `clean`, whose images' alt
-- texts tell captions)
local function item_value(f, sel, item, orig)
  if type(item) == "string" then return item, "raw" end
  local suffix = sel and sel.suffix
  local attr = sel and sel.attr
  if not suffix and f.attr then suffix, attr = "attr", f.attr end
  if f.image or (suffix == "attr" and attr == "src" and (item.tag == "img" or item.tag == "source")) then
    return image_of(item), "image"
  end
  local keep = f.keep_spaces and NBSP or nil
  if f.filter then
    local res = extract.content(item, f.filter)
    if not res then return "", "text" end
    return without_alt_captions(orig or item, res), "text"
  end
  if f.paragraphs then return html_strip(item, keep), "text" end
  if suffix == "attr" then return item:attr(attr), "raw" end
  if suffix == "html" then return item:html(), "html" end
  return q_text(item, keep), "text"
end

local function strip_chars(s, chars)
  local set = "[%s" .. chars:gsub("[%]%%%^%-]", "%%%0") .. "]"
  return (s:gsub("^" .. set .. "+", ""):gsub(set .. "+$", ""))
end

-- one raw string -> value (string, list for split, or nil)
-- text.clean without the typographic-space normalisation (keep_spaces):
-- entities decoded, runs of ASCII blanks collapsed, paragraph breaks kept
local function clean_keep_spaces(s)
  s = text.decode(s):gsub("\r\n?", "\n")
  local out = {}
  for line in (s .. "\n"):gmatch("(.-)\n") do
    out[#out + 1] = line:gsub("[ \t\f\v]+", " "):gsub("^ ", ""):gsub(" $", "")
  end
  s = tconcat(out, "\n"):gsub("\n\n+", "\n\n")
  return (s:gsub("^\n+", ""):gsub("\n+$", ""))
end

-- a short quote of a value for messages
local function quoted(v)
  v = tostring(v):gsub("%s+", " ")
  if utf8.len(v) and utf8.len(v) > 60 then
    v = v:sub(1, utf8.offset(v, 61) - 1) .. "…"
  end
  return "'" .. v .. "'"
end

-- the last filters of one value: date, then URL resolution
local function finish(f, v, kind, page, st)
  local why
  local d = f.date
  if d then
    -- date.parse(v, {format=, tz=, utc=, lang=, page=}) without its two
    -- tables a call: the field's options, the page's language (unless
    -- the field gives one) and reference time
    -- (the page's language and reference time, once per rules.apply:
    -- the page is read-only while its fields are read)
    local o = d.opts
    local lang = d.lang
    if not lang then
      if st.date_lang == nil then st.date_lang = date.lang(page) or false end
      lang = st.date_lang or nil
    end
    if st.date_now == nil then st.date_now = date.reference(page) or false end
    o.lang, o.now = lang, st.date_now or nil
    v, why = date_plugin.parse(v, o)
    if not v then return nil, "matched, but the date filter rejected it: " .. tostring(why) end
  end
  if v and (f.url or kind == "image") then v = url.resolve(v, st.base()) end
  return v
end

-- one raw string -> value (string, list for split), or nil and why the
-- filters rejected it
local function process(f, s, kind, page, st)
  if type(s) ~= "string" then return s end
  if f.plain and kind ~= "image" then
    -- (no filter but the cleaning: what the steps below come to; an
    -- image is resolved like a URL)
    if kind == "text" then
      s = text_clean(s)
    elseif kind ~= "html" then
      s = text_trim(s)
    end
    if s == "" then return nil, "matched, but empty" end
    return s
  end
  if kind == "text" then
    s = f.keep_spaces and clean_keep_spaces(s) or text_clean(s)
  elseif kind ~= "html" then
    s = text_trim(s)
  end
  if f.replace then
    for _, p in ipairs(f.replace) do s = p[1]:gsub(s, p[2]) end
  end
  if f.re then
    local m = f.re:match(s)
    if m == nil then
      return nil, "matched, but re did not match " .. quoted(s)
    end
    s = tostring(m)
  end
  -- (text.clean's result and a trimmed string are trimmed already)
  if kind ~= "html" and (f.replace or f.re or (kind == "text" and f.keep_spaces)) then
    s = text_trim(s)
  end
  if f.trim_chars then s = strip_chars(s, f.trim_chars) end
  if s == "" then return nil, "matched, but empty" end
  if f.split then
    local out, why = {}, nil
    for _, part in ipairs(f.split:split(s)) do
      local v, w = finish(f, text_trim(part), kind, page, st)
      if present(v) then out[#out + 1] = v else why = why or w end
    end
    if #out == 0 then return nil, why or "matched, but empty" end
    return out
  end
  if not (f.date or f.url or kind == "image") then return s end
  local v, why = finish(f, s, kind, page, st)
  if v == "" then return nil, "matched, but empty" end
  return v, why
end

local apply_fields
local remove_text

-- remove one `clean` entry's matches inside node (a copy): nodes, or with
-- ::attr(name) / .../@name that attribute; {text = PCRE} blocks.  An XPath
-- that starts with "//" searches the node's subtree (".//"); another XPath
-- is read from the copy's own document.  Returns how many went.
local function clean_in(node, c)
  if c.text then return remove_text(node, c.text) or 0 end
  local n = 0
  if c.scope then c.scoped, c.scope = scoped_xpath(c.xpath), nil end
  local found = c.scoped and node:xpath(c.scoped) or select_items(node, c)
  if type(found) ~= "table" then return 0 end
  for _, cand in ipairs(found) do
    if is_node(cand) and cand ~= node then drop(cand, c); n = n + 1 end
  end
  return n
end

-- a copy of a matched node without the field's `clean` nodes: the field
-- reads its own tree, so no other field sees the cleaning
local function cleaned(f, node, st)
  local frag = html.parse(node:outer(), { encoding = "utf-8", url = st.base() })
  local tag = node.tag
  local copy
  if tag == "html" then
    copy = frag:root()
  elseif tag == "head" or tag == "body" then
    copy = frag:first(tag)
  else
    copy = frag:first("body > *") or frag:first("head > *")
  end
  if not copy then return node end
  for _, c in ipairs(f.clean) do clean_in(copy, c) end
  return copy
end

-- is the item a node inside one of the nodes of list?
local function inside_any(it, list)
  if not is_node(it) then return false end
  for _, h in ipairs(list) do
    if is_node(h) and h:contains(it) then return true end
  end
  return false
end

-- items without those inside an earlier item (option outermost)
local function outermost(items)
  local out = {}
  for _, it in ipairs(items) do
    if not inside_any(it, out) then out[#out + 1] = it end
  end
  return out
end

-- option skip: the items that are not inside what the selectors match
local function skip_within(skips, page, items)
  local holders = {}
  for _, sel in ipairs(skips) do
    for _, h in ipairs(select_items(page.doc, sel)) do holders[#holders + 1] = h end
  end
  if #holders == 0 then return items end
  local out = {}
  for _, it in ipairs(items) do
    if not inside_any(it, holders) then out[#out + 1] = it end
  end
  return out
end

-- option skip_description: with several matches, one whose text is the
-- page's description (og:description, description, JSON-LD; as lib/meta
-- reads it) is a standfirst: the record's description, not article text.
-- A description cut short ("…", "...") matches a text it starts that is
-- at most twice as long (not an article that opens with the same words).
local function without_description(page, items)
  if #items < 2 then return items end
  local d = meta().extract(page).description
  if type(d) ~= "string" then return items end
  d = text_squish(d)
  local stem = d:match("^(.-)%s*…$") or d:match("^(.-)%s*%.%.%.$")
  if d == "" or (stem and #stem < 20) then return items end
  local out = {}
  for _, it in ipairs(items) do
    local standfirst = false
    if is_node(it) then
      local t = text_squish(it:text())
      standfirst = t == d or (stem ~= nil and #t <= 2 * #d and t:sub(1, #stem) == stem)
    end
    if not standfirst then out[#out + 1] = it end
  end
  if #out == 0 then return items end
  return out
end

-- a page table over a copy of page.doc: what the generic extractor may
-- read, clean or edit without touching the page the fields read
local function page_copy(page, doc)
  return { source = page.source, html = page.html, url = page.url,
           options = page.options, record = page.record,
           doc = doc or html.parse(page.doc:outer(), { encoding = "utf-8", url = page.url }) }
end

-- the record scripts/generic.lua makes of the page, once per page.  A
-- generic function reads the page itself: its document is read-only while
-- fields are read, and the shipped generic.lua only reads (and then shares
-- lib/meta's per-page work with the rule); one that edits gets the
-- read-only error and runs again on a copy.  A generic rule table (whose
-- page-wide edits need a writable document) always gets a copy.
local READONLY = "the document is read-only while a rule reads its fields"
local function generic_record(page)
  if page._generic == nil then
    local gen = require("generic")
    local r
    if type(gen) == "function" then
      local ok, res = pcall(gen, page)
      if ok then
        r = res
      elseif page.doc and tostring(res):find(READONLY, 1, true) then
        r = gen(page_copy(page))
      else
        error(res, 0)
      end
    elseif type(gen) == "table" then
      r = rules.apply(gen, page.doc and page_copy(page) or page)
    end
    page._generic = type(r) == "table" and r or false
  end
  return page._generic or nil
end

-- the value of one matched item, or nil and why the filters rejected it
local function item_result(f, sel, item, page, st)
  local orig = item
  local t = type(item)
  if f.clean and t == "userdata" then item = cleaned(f, item, st) end
  if f.fields then
    if t ~= "string" then
      return apply_fields(f.fields, page, item, st, true)
    end
    return nil
  elseif t == "table" or t == "boolean" then
    return item
  end
  local raw, kind = item_value(f, sel, item, orig)
  return process(f, raw, kind, page, st)
end

-- the value of one source: a value (first) or a list (all); or nil and
-- why (nothing matched, or what the filters rejected)
local function eval_source(f, src, page, ctx, st)
  local items, sel
  if src.kind == "sel" then
    sel = src
    -- a field that takes the first match with a value: the first match
    -- alone first (a walk that stops there, one Node); the others only
    -- when it has none
    if src.css and not (f.all or f.skip or f.outermost or f.skip_description) then
      local v
      if src.how then
        -- (the value in the same call: no Node; false: no such attribute)
        local raw = q_first_value(ctx, src.css, src.how, src.how_arg)
        if raw == nil then return nil, "nothing matched" end
        if raw then v = process(f, raw, src.how_kind, page, st) end
      else
        local node = q_first(ctx, src.css)
        if node == nil then return nil, "nothing matched" end
        v = item_result(f, sel, node, page, st)
      end
      if present(v) then return v end
    end
    local why
    items, why = select_items(ctx, src)
    if why then return nil, why end
    if f.skip then items = skip_within(f.skip, page, items) end
    if f.outermost then items = outermost(items) end
    if f.skip_description then items = without_description(page, items) end
  elseif src.kind == "generic" then
    -- the generic extractor reads the whole page: clean applies to all of
    -- it, on a copy
    local gpage, cleaned_n = page, 0
    if f.clean and page.doc and not src.no_clean then
      gpage = page_copy(page)
      local root = gpage.doc:root()
      for _, c in ipairs(f.clean) do cleaned_n = cleaned_n + clean_in(root, c) end
    end
    local r = generic_record(gpage)
    local v = r and r[src.field]
    if f.min_length and cleaned_n > 0 and type(page.html) == "string"
        and (type(v) ~= "string" or #v < f.min_length) then
      -- weak: the cleaning may have taken the text (stale selectors);
      -- read the page as served too, and keep the longer
      local fresh = page_copy(page, html.parse(page.html,
        { url = page.url, encoding = page.doc and page.doc:encoding() }))
      local fr = generic_record(fresh)
      local fv = fr and fr[src.field]
      if type(fv) == "string" and #fv > (type(v) == "string" and #v or 0) then
        v = fv
        st.label = "generic " .. src.field .. " (page as served)"
      end
    end
    if v == nil then return nil, "the generic extractor found none" end
    items = { v }
  elseif src.kind == "meta" then
    items = meta().tag(page, src.meta)
  elseif src.kind == "jsonld" then
    items = meta().jsonld_path(page, src.path)
  else
    local v = src.fn(page, ctx)
    if v == nil then return nil, "returned nothing" end
    if type(v) == "table" and getmetatable(v) == nil then
      items = v
    elseif type(v) == "string" or (type(v) == "userdata" and v.tag) then
      items = { v }
    else
      return v
    end
  end
  if #items == 0 then return nil, "nothing matched" end
  local acc = f.all and {} or nil -- (the first value is the value otherwise)
  local why
  for _, item in ipairs(items) do
    local v, w = item_result(f, sel, item, page, st)
    if present(v) then
      if not f.all then return v end
      if f.split and not f.fields and type(v) == "table" then
        for _, x in ipairs(v) do acc[#acc + 1] = x end
      else
        acc[#acc + 1] = v
      end
    else
      why = why or w
    end
  end
  if not acc or #acc == 0 then
    return nil, why or (#items == 1 and "matched, but empty" or "matched " .. #items .. ", all empty")
  end
  if f.join then
    local parts = {}
    for _, x in ipairs(acc) do parts[#parts + 1] = tostring(x) end
    return tconcat(parts, f.join)
  end
  return acc
end

local function short(label)
  return (label:gsub("^rule: ", ""))
end

-- "tried: a, b" for sources that matched nothing, with the reasons of
-- those that matched and were rejected
local function tried(f, reasons)
  local t, detailed = {}, false
  for i, s in ipairs(f.sources or {}) do
    local r = reasons and reasons[i]
    if r and r ~= "nothing matched" then
      t[#t + 1] = short(s.label) .. ": " .. r
      detailed = true
    else
      t[#t + 1] = short(s.label)
    end
  end
  return tconcat(t, detailed and "; " or ", ")
end

local function copy_of(t)
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  return c
end

-- evaluate a field list on a context.  Fields are independent: the
-- document is read-only while they run (rules.apply), `clean` works on a
-- copy, and a function field sees the values of the declarative fields
-- (not of other function fields).  Returns rec, why, failed (the
-- required fields without a value, with the reasons) and filled (how
-- many fields a source of the rule gave); nested (inside a `fields`
-- option): a required field without a value drops the item (nil).
apply_fields = function(fields, page, ctx, st, nested)
  -- (a nested record has no provenance and no failures of its own)
  local rec, filled = {}, 0
  local why, failed
  if not nested then why, failed = {}, {} end
  local plain
  for _, f in ipairs(fields) do
    local v, label
    local reasons -- why each source gave nothing, made when one did not
    if f.fn then
      plain = plain or copy_of(rec)
      v = f.fn(page, ctx, copy_of(plain))
      label = "function"
    else
      local weak   -- min_length: the value so far is short
      for i, src in ipairs(f.sources) do
        st.label = false -- eval_source may name a more precise provenance
        local x, r = eval_source(f, src, page, ctx, st)
        -- (a value eval_source gives is present(): it checks)
        if x ~= nil then
          local lab = st.label or src.label
          -- say so when an earlier source matched but was rejected (a
          -- date the filter did not take, then metadata filling in)
          -- (a nested record has no provenance)
          if i > 1 and not nested and reasons then
            local notes = {}
            for j = 1, i - 1 do
              if reasons[j] and reasons[j] ~= "nothing matched" then
                notes[#notes + 1] = short(f.sources[j].label) .. ": " .. reasons[j]
              end
            end
            if #notes > 0 then lab = lab .. " (after " .. tconcat(notes, "; ") .. ")" end
          end
          if weak then
            -- a later source with more text replaces a short value
            if type(x) == "string" and #x > #v then v, label = x, lab end
            if type(x) ~= "string" or #x >= f.min_length then break end
          else
            v, label = x, lab
            if not (f.min_length and type(x) == "string" and #x < f.min_length) then break end
            weak = true
          end
        else
          reasons = reasons or {}
          reasons[i] = r
        end
      end
      -- (v is nil or a value present() took)
    end
    if f.fn and not present(v) then v = nil end
    if v ~= nil then
      filled = filled + 1
    else
      if f.required then
        if nested then return nil end
        failed[#failed + 1] = "required field '" .. f.name .. "' is missing (tried: " .. tried(f, reasons) .. ")"
      end
      if f.default ~= nil then v, label = f.default, "default" end
    end
    rec[f.name] = v
    if nested then
      -- no provenance inside a nested record
    elseif not label then
      if f.fn then
        label = "none (the function returned nothing)"
      else
        local t = {}
        for i, src in ipairs(f.sources) do
          t[#t + 1] = short(src.label) .. ": " .. (reasons and reasons[i] or "nothing matched")
        end
        label = "none (" .. tconcat(t, "; ") .. ")"
      end
    elseif label == "default" and f.sources and #f.sources > 0 then
      local t = {}
      for i, src in ipairs(f.sources) do
        t[#t + 1] = short(src.label) .. ": " .. (reasons and reasons[i] or "nothing matched")
      end
      label = "default (" .. tconcat(t, "; ") .. ")"
    end
    if not nested then why[f.name] = label end
  end
  if nested then
    if next(rec) == nil then return nil end
    return rec
  end
  return rec, why, failed, filled
end

local function replace_plain(s, from, to)
  local out, i = {}, 1
  while true do
    local a, b = s:find(from, i, true)
    if not a then break end
    out[#out + 1] = s:sub(i, a - 1)
    out[#out + 1] = to
    i = b + 1
  end
  out[#out + 1] = s:sub(i)
  return tconcat(out)
end

-- a {text = PCRE} removal: the smallest blocks whose text the regex
-- finds (a block holding such a block stays); the html plugin reads every
-- block's text from one walk and matches the regex there
remove_text = function(doc, regex)
  return doc:remove(BLOCKS, regex)
end

-- Page metadata is computed per field, when the record needs it
-- (lib/meta's meta.field): a rule that gives title, authors and dates
-- never runs metadata's finders of those.  Before a rule edits the page,
-- meta.before_edit computes the fields it needs for sure (no field of the
-- rule's own gives them) and the rule's fields that came out empty on an
-- earlier page (plan.missed: this worker's pages of the rule); anything
-- else, if asked for, comes from a fresh parse of the page as served.
-- A rule with a {generic=} source gets every field before its edits
-- (generic.lua reads them all).  Both ways give the same values; the
-- plan only saves work.
local meta_plans = setmetatable({}, { __mode = "k" })
local function meta_plan(c)
  local plan = meta_plans[c]
  if plan then return plan end
  local given = {}
  for _, f in ipairs(c.fields) do given[f.name] = true end
  -- a {generic=} source runs generic.lua on the page itself, which reads
  -- every metadata field
  local function generic_in(fields)
    for _, f in ipairs(fields) do
      for _, src in ipairs(f.sources or {}) do
        if src.kind == "generic" then return true end
      end
      if f.fields and generic_in(f.fields) then return true end
    end
    return false
  end
  -- a function (field, source, post) may read meta.facts(page) after
  -- the edits: it gets the facts of the page as served, all of them
  local function fn_in(fields)
    for _, f in ipairs(fields) do
      if f.fn then return true end
      for _, src in ipairs(f.sources or {}) do
        if src.kind == "fn" then return true end
      end
      if f.fields and fn_in(f.fields) then return true end
    end
    return false
  end
  plan = { given = given, want = {}, want_explain = {}, missed = {},
           all = generic_in(c.fields), light = not (c.post or fn_in(c.fields)),
           edits = #c.remove + #c.unwrap + #c.rename + #c.wrap + #c.move > 0 }
  for _, k in ipairs(c.metadata) do
    if not given[k] then
      if not c.aliased[k] then plan.want[#plan.want + 1] = k end
      plan.want_explain[#plan.want_explain + 1] = k
    end
  end
  meta_plans[c] = plan
  return plan
end

local function meta_before_edit(c, page)
  local plan = meta_plan(c)
  -- page.meta for function fields and post, each field computed when read
  meta().lazy(page)
  if plan.edits and plan.all then
    meta().extract(page)
  elseif plan.edits then
    local want = options().explain and plan.want_explain or plan.want
    if next(plan.missed) then
      local w = {}
      for _, k in ipairs(want) do w[#w + 1] = k end
      for _, k in ipairs(c.metadata) do
        if plan.missed[k] then w[#w + 1] = k end
      end
      want = w
    end
    meta().before_edit(page, want, plan.light)
  end
end

local function prepare(c, page)
  if #c.replace > 0 and type(page.html) == "string" then
    local s = page.html
    for _, p in ipairs(c.replace) do s = replace_plain(s, p[1], p[2]) end
    if s ~= page.html then
      local enc = page.doc and page.doc:encoding() or nil
      page.html = s
      page.doc = html.parse(s, { encoding = enc, url = page.url })
      -- lib/meta's caches describe the old document
      page.meta, page._jsonld, page._meta_tags = nil, nil, nil
    end
  end
  local doc = page.doc
  if not doc then error("the page has no HTML document", 0) end
  -- the edits' and fields' selectors: one index of the page's elements
  -- answers them all, instead of a walk of the tree each
  doc:index()
  meta_before_edit(c, page) -- before remove: JSON-LD and <meta> stay visible
  for _, r in ipairs(c.remove) do
    if r.text then
      remove_text(doc, r.text)
    elseif r.css and not r.suffix then
      doc:remove(r.css) -- (the matches collected, then removed: as drop does)
    else
      for _, node in ipairs(select_items(doc, r)) do
        drop(node, r)
      end
    end
  end
  for _, s in ipairs(c.unwrap) do
    for _, node in ipairs(select_items(doc, s)) do
      if is_node(node) then node:unwrap() end
    end
  end
  for _, r in ipairs(c.rename) do
    for _, node in ipairs(select_items(doc, r[1])) do
      if is_node(node) then node:rename(r[2]) end
    end
  end
  for _, w in ipairs(c.wrap) do
    for _, node in ipairs(select_items(doc, w[1])) do
      if is_node(node) then node:wrap(w[2]) end
    end
  end
  for _, m in ipairs(c.move) do
    local target = first_node(select_items(doc, m[2]))
    if target then
      for _, node in ipairs(select_items(doc, m[1])) do
        -- a node that holds the target cannot move into it
        if is_node(node) and not node:contains(target) then target:append(node) end
      end
    end
  end
  -- the fields resolve URLs against the document as edited: lib/url looks
  -- <link rel=canonical>, og:url and <base> up again if it is asked
  page._links = nil
end

-- what --explain adds to a failure: the record as far as it got
local function found(record, why)
  if not options().explain then return "" end
  local r = copy_of(record)
  r.explain = why
  local ok, j = pcall(json.encode, r)
  return ok and ("\n  found: " .. j) or ""
end

-- rules.apply(rule, page) -> record
function rules.apply(rule, page)
  local c = rules.load(rule, "rule")
  prepare(c, page)
  -- (label: a key from the start, so that resetting it per source is an
  -- ordinary table store, not a new key each time)
  local st = { label = false }
  local base_cache
  function st.base()
    if base_cache == nil then base_cache = url.base(page) or false end
    return base_cache or nil
  end
  -- fields read the page and never change it (a function field that
  -- tries gets an error); post may edit again
  local doc = page.doc
  local was = doc:readonly(true)
  local record, why, failed, filled
  do
    local unlock <close> = setmetatable({}, { __close = function() doc:readonly(was) end })
    record, why, failed, filled = apply_fields(c.fields, page, page.doc, st, false)
  end
  if #c.metadata > 0 then
    local M = meta()
    local from = M.source
    local plan = meta_plan(c)
    -- an aliased field's metadata only shows in why: --explain, or the
    -- rule's own field of that name
    local explain = options().explain
    for _, k in ipairs(c.metadata) do
      if record[k] == nil and (not c.aliased[k] or explain or plan.given[k]) then
        if plan.given[k] then plan.missed[k] = true end
        local v = M.field(page, k)
        if present(v) then
          if c.aliased[k] then
            why[k] = "none (metadata has one, but the rule's field '" .. c.aliased[k]
              .. "' stands for " .. k .. ")"
          else
            record[k] = v
            why[k] = from and from(page, k) or "metadata"
          end
        end
      end
    end
  end
  -- post may edit the page: metadata it asks for describes the page as served
  if c.post then meta().before_edit(page) end
  if #failed > 0 then
    error(tconcat(failed, "\n") .. found(record, why), 0)
  end
  if filled == 0 and #c.fields > 0 then
    local t = {}
    for i, f in ipairs(c.fields) do
      if i > 4 then t[#t + 1] = "…"; break end
      t[#t + 1] = f.name .. " " .. why[f.name]:gsub("^none ", "")
    end
    error("none of the rule's fields matched: " .. tconcat(t, ", ") .. found(record, why), 0)
  end
  if c.post then
    local r = c.post(record, page)
    if r ~= nil then
      if type(r) ~= "table" then
        error(c.name .. ": post must return a table or nil, got " .. type(r), 0)
      end
      record = r
    end
  end
  if options().explain then record.explain = why end
  return record
end

rules.META_KEYS = META_KEYS
return rules
