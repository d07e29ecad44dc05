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
--             before any field is read, and {text = PCRE} entries, which
--             drop the smallest block elements (p, div, li, blockquote,
--             section, aside, figure, h1-h6, table, ul, ol, dl, dd, dt,
--             pre, header, footer, article, nav, form) whose text matches.
--   unwrap    list of selectors whose nodes are replaced by their children.
--   rename    table selector -> tag name ({["div.para"] = "p"}).
--             Order of the three: remove, unwrap, rename.
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
--                         record is the record built so far (function
--                         fields run after all other fields, in name order)
--   { source..., option = value... }
--                         sources in the array part, tried in order: the
--                         first that gives a non-empty value wins
--   false                 (in a rule with extends) drop the parent's field
-- SOURCES
--   "css selector"        CSS; optional suffix ::text (the node's text, the
--                         default), ::attr(name), ::html (inner HTML, not
--                         cleaned).  An empty selector before the suffix
--                         ("::attr(href)") means the context node itself.
--   "/xpath", "(xpath)", "./xpath"
--                         XPath (same suffixes); a string/number result is
--                         used as is
--   {meta = "og:title"}   content of <meta property|name|itemprop=NAME>
--                         (case-insensitive; every match when all = true)
--   {jsonld = "a.b.c"}    dotted path into the page's JSON-LD objects
--                         (@graph and arrays flattened, Article-like types
--                         first); arrays along the path are mapped; an
--                         object value gives its name, else its url
--   function(page, node) -> value
--                         a string, a Node (read like a selector match), a
--                         list of strings, or any other value (kept as is)
-- OPTIONS (value filters run in this order for each value)
--   attr = "href"         like the ::attr(href) suffix for sources without one
--   image = true          the value is an image URL: <img>/<source> (or the
--                         first <img> inside the match) read through lazy-load
--                         attributes: srcset/data-srcset (largest candidate),
--                         data-src, data-lazy-src, data-original, data-lazy,
--                         then src (data: URIs skipped); resolved like url.
--                         A selector ending in ::attr(src) on an img/source
--                         element gets the same treatment automatically.
--   (text is cleaned: entities decoded, typographic spaces normalised,
--    whitespace collapsed, paragraph breaks kept; attributes are trimmed)
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
-- Empty strings and empty lists count as missing.
--
-- PROVENANCE: when pipe.options.explain is true the record gets `explain`:
-- field -> "rule: <selector>" | "meta <name>" | "jsonld <path>" |
-- "function" | "default" | "metadata" | "none".
--
-- Caveats: applying a rule mutates page.doc (remove/unwrap/rename) and may
-- replace page.doc and page.html (replace).  Page metadata is computed
-- before remove, so removing <script> or <meta> does not hide JSON-LD.
local url = require("lib.url")
local date = require("lib.date")

local rules = {}

local TOP_KEYS = {
  hosts = true, extends = true, replace = true, remove = true, unwrap = true,
  rename = true, metadata = true, fields = true, post = true, tests = true,
}
local FIELD_OPTIONS = {
  all = "boolean", join = "join", re = "string", match = "string",
  replace = "table", trim = "trim", split = "split", date = "boolean",
  format = "string", tz = "string", utc = "boolean", lang = "string",
  url = "boolean", image = "boolean",
  required = "boolean", default = "any", fields = "table",
  paragraphs = "boolean", attr = "string",
}
local META_KEYS = {
  "title", "authors", "published", "modified", "lang", "site_name", "url",
  "description", "image", "tags", "section",
}
local META_KEY_SET = {}
for _, k in ipairs(META_KEYS) do META_KEY_SET[k] = true end

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
  if type(v) == "string" then return v:find("%S") ~= nil end
  if type(v) == "table" and getmetatable(v) == nil then return next(v) ~= nil end
  return true
end

-- a document for checking XPath expressions at load time
local probe_doc
local function probe()
  probe_doc = probe_doc or html.parse("<html><body><p>x</p></body></html>")
  return probe_doc
end

-- selector string -> {css=|xpath=, suffix=, attr=, label=}; raises the
-- plugins' "bad selector ..." / "bad xpath ..." for one that does not compile
local function compile_selector(s)
  local sel = { label = s }
  local body, attr = s:match("^(.-)::attr%(%s*([^)%s]+)%s*%)%s*$")
  if body then
    sel.suffix, sel.attr = "attr", attr
  else
    body = s:match("^(.-)::text%s*$")
    if body then
      sel.suffix = "text"
    else
      body = s:match("^(.-)::html%s*$")
      if body then sel.suffix = "html" else body = s end
    end
  end
  body = body:match("^%s*(.-)%s*$")
  if body == "" or body == "." then
    sel.self = true
  elseif body:find("^[/(]") or body:find("^%./") or body:find("^%.%./") then
    sel.xpath = body
    probe():xpath(body)
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
        if k ~= "meta" and k ~= "jsonld" then
          fail(name, key, "unknown source key '" .. tostring(k) .. "' (want meta or jsonld)")
        end
      end
      if type(src.meta) == "string" then
        s = { kind = "meta", meta = src.meta:lower(), label = "meta " .. src.meta }
      elseif type(src.jsonld) == "string" then
        s = { kind = "jsonld", path = src.jsonld, label = "jsonld " .. src.jsonld }
      else
        fail(name, key, "source " .. i .. " must be {meta = NAME} or {jsonld = PATH}")
      end
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
  f.paragraphs = spec.paragraphs
  f.url = spec.url or spec.image
  f.required = spec.required
  f.default = spec.default
  f.trim = spec.trim
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
  for _, k in ipairs({ "replace", "remove", "unwrap", "rename", "fields", "tests" }) do
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
      c.remove[#c.remove + 1] = check_selector(name, key, r)
    end
  end
  c.unwrap = {}
  for i, s in ipairs(eff.unwrap or {}) do
    c.unwrap[#c.unwrap + 1] = check_selector(name, "unwrap[" .. i .. "]", s)
  end
  c.rename = {}
  local keys = {}
  for k in pairs(eff.rename or {}) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  for _, k in ipairs(keys) do
    local tag = eff.rename[k]
    local key = "rename." .. tostring(k)
    if type(tag) ~= "string" or not tag:match("^%a[%w-]*$") then
      fail(name, key, "want a tag name, got '" .. tostring(tag) .. "'")
    end
    c.rename[#c.rename + 1] = { check_selector(name, key, k), tag }
  end
  if eff.metadata == false then
    c.metadata = {}
  elseif type(eff.metadata) == "table" then
    c.metadata = eff.metadata
  else
    c.metadata = META_KEYS
  end
  c.fields = compile_fields(name, "fields", eff.fields or {})
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
  if sel.css then return ctx:select(sel.css) end
  local r = ctx:xpath(sel.xpath)
  local t = type(r)
  if t == "table" then return r end
  if t == "string" or t == "number" then return { tostring(r) } end
  return {}
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

-- raw value of a matched item: (string, kind) with kind "text"|"raw"|"html"
local function item_value(f, sel, item)
  if type(item) == "string" then return item, "raw" end
  local suffix = sel and sel.suffix
  local attr = sel and sel.attr
  if not suffix and f.attr then suffix, attr = "attr", f.attr end
  if f.image or (suffix == "attr" and attr == "src" and (item.tag == "img" or item.tag == "source")) then
    return image_of(item), "image"
  end
  if f.paragraphs then return html.strip(item), "text" end
  if suffix == "attr" then return item:attr(attr), "raw" end
  if suffix == "html" then return item:html(), "html" end
  return item:text(), "text"
end

local function strip_chars(s, chars)
  local set = "[%s" .. chars:gsub("[%]%%%^%-]", "%%%0") .. "]"
  return (s:gsub("^" .. set .. "+", ""):gsub(set .. "+$", ""))
end

-- one raw string -> value (string, list for split, or nil)
local function process(f, s, kind, page, st)
  if type(s) ~= "string" then return s end
  if kind == "text" then
    s = text.clean(s)
  elseif kind ~= "html" then
    s = text.trim(s)
  end
  if f.replace then
    for _, p in ipairs(f.replace) do s = p[1]:gsub(s, p[2]) end
  end
  if f.re then
    local m = f.re:match(s)
    if m == nil then return nil end
    s = tostring(m)
  end
  if kind ~= "html" then s = text.trim(s) end
  if type(f.trim) == "string" then s = strip_chars(s, f.trim) end
  if s == "" then return nil end
  local function finish(v)
    if f.date then
      v = date.parse(v, { format = f.date.format, tz = f.date.tz, utc = f.date.utc,
                          lang = f.date.lang, page = page })
    end
    if v and (f.url or kind == "image") then v = url.resolve(v, st.base()) end
    return v
  end
  if f.split then
    local out = {}
    for _, part in ipairs(f.split:split(s)) do
      part = finish(text.trim(part))
      if present(part) then out[#out + 1] = part end
    end
    return out
  end
  s = finish(s)
  if s == "" then return nil end
  return s
end

local apply_fields

-- the values of one source: a value (first) or a list (all), or nil
local function eval_source(f, src, page, ctx, st)
  local items, sel
  if src.kind == "sel" then
    sel = src
    items = select_items(ctx, src)
  elseif src.kind == "meta" then
    items = meta().tag(page, src.meta)
  elseif src.kind == "jsonld" then
    items = meta().jsonld_path(page, src.path)
  else
    local v = src.fn(page, ctx)
    if v == nil then return nil end
    if type(v) == "table" and getmetatable(v) == nil then
      items = v
    elseif type(v) == "string" or (type(v) == "userdata" and v.tag) then
      items = { v }
    else
      return v
    end
  end
  local acc = {}
  for _, item in ipairs(items) do
    local v
    if f.fields then
      if type(item) ~= "string" then
        v = apply_fields(f.fields, page, item, st, true)
      end
    elseif type(item) == "table" then
      v = item
    else
      local raw, kind = item_value(f, sel, item)
      v = process(f, raw, kind, page, st)
    end
    if present(v) then
      if not f.all then return v end
      if f.split and not f.fields and type(v) == "table" then
        for _, x in ipairs(v) do acc[#acc + 1] = x end
      else
        acc[#acc + 1] = v
      end
    end
  end
  if #acc == 0 then return nil end
  if f.join then
    local parts = {}
    for _, x in ipairs(acc) do parts[#parts + 1] = tostring(x) end
    return table.concat(parts, f.join)
  end
  return acc
end

local function tried(f)
  local t = {}
  for _, s in ipairs(f.sources or {}) do
    t[#t + 1] = (s.label:gsub("^rule: ", ""))
  end
  return table.concat(t, ", ")
end

-- evaluate a field list on a context; nested = inside a `fields` option
-- (required drops the item: returns nil)
apply_fields = function(fields, page, ctx, st, nested)
  local rec, why = {}, {}
  for _, f in ipairs(fields) do
    local v, label
    if f.fn then
      v = f.fn(page, ctx, rec)
      label = "function"
    else
      for _, src in ipairs(f.sources) do
        v = eval_source(f, src, page, ctx, st)
        if present(v) then label = src.label; break end
        v = nil
      end
    end
    if not present(v) then
      v = nil
      if f.required then
        if nested then return nil end
        error("required field '" .. f.name .. "' is missing (tried: " .. tried(f) .. ")", 0)
      end
      if f.default ~= nil then v, label = f.default, "default" end
    end
    rec[f.name] = v
    why[f.name] = label or "none"
  end
  if nested then
    if next(rec) == nil then return nil end
    return rec
  end
  return rec, why
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
  return table.concat(out)
end

local function remove_text(doc, regex)
  local n = 0
  for _, node in ipairs(doc:select(BLOCKS)) do
    if regex:find(node:text()) then
      local smallest = true
      for _, inner in ipairs(node:select(BLOCKS)) do
        if regex:find(inner:text()) then smallest = false; break end
      end
      if smallest then node:remove(); n = n + 1 end
    end
  end
  return n
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
  meta().extract(page) -- before remove: JSON-LD and <meta> stay visible
  for _, r in ipairs(c.remove) do
    if r.text then
      remove_text(doc, r.text)
    else
      for _, node in ipairs(select_items(doc, r)) do
        if type(node) ~= "string" then node:remove() end
      end
    end
  end
  for _, s in ipairs(c.unwrap) do
    for _, node in ipairs(select_items(doc, s)) do
      if type(node) ~= "string" then node:unwrap() end
    end
  end
  for _, r in ipairs(c.rename) do
    for _, node in ipairs(select_items(doc, r[1])) do
      if type(node) ~= "string" then node:rename(r[2]) end
    end
  end
  -- the fields resolve URLs against the document as edited: lib/url looks
  -- <link rel=canonical>, og:url and <base> up again if it is asked
  page._links = nil
end

-- rules.apply(rule, page) -> record
function rules.apply(rule, page)
  local c = rules.load(rule, "rule")
  prepare(c, page)
  local st = {}
  local base_cache
  function st.base()
    if base_cache == nil then base_cache = url.base(page) or false end
    return base_cache or nil
  end
  local record, why = apply_fields(c.fields, page, page.doc, st, false)
  if #c.metadata > 0 then
    local m = meta().extract(page)
    for _, k in ipairs(c.metadata) do
      if record[k] == nil and present(m[k]) then
        record[k] = m[k]
        why[k] = "metadata"
      end
    end
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
