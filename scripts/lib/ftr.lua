-- FiveFilters site configs (ftr-site-config, the HOST.txt files of
-- Full-Text RSS, Graby and wallabag) as pipe rules.
--
--   local ftr = require("lib.ftr")
--   local conf = ftr.parse(text, "theguardian.com.txt")  -- never raises
--   local rule = ftr.rule(conf, global)   -- a rule table (raises on bad XPath)
--   local src = ftr.to_lua(conf, global)  -- the same rule as Lua source
--   local findings = ftr.lint(conf)       -- {{line=, msg=}...}
--
-- `global` is the parsed global.txt (or nil); Full-Text RSS merges it into
-- every site config unless the site says `autodetect_on_failure: no`.
-- A config becomes an ordinary rule table, so its body goes through the
-- same engine, renderer and metadata fill as a Lua rule; `pipe import ftr`
-- prints that table, `scripts/site.lua` applies it.  docs/ftr.md lists
-- every directive and what pipe does with it; the decisions in short:
--
--   title, date        fields title, published: XPaths tried in order
--   author             field authors: every match of the first XPath that
--                      matches
--   body               field body: the first XPath that matches, all its
--                      matches (nested ones once, a standfirst equal to
--                      the page's description left out) a blank line
--                      apart, through the boilerplate filter and pruned
--                      (prune: no keeps only the cleaning of link-heavy
--                      blocks, forms and galleries); the generic extractor when none
--                      matches (unless autodetect_on_failure: no, then body
--                      is required).  pipe adds: a comment thread is not
--                      the article; a body under 500 characters gives way
--                      to a longer generic one
--   strip, strip_attr, strip_id_or_class, strip_image_src
--                      the body's `clean` list: they act on the body, not
--                      on title, author and date, which Full-Text RSS reads
--                      before it strips; strip_id_or_class is a substring
--                      of class or id, as in Full-Text RSS
--   find_string / replace_string, replace_string(FIND): REPLACE
--                      `replace` pairs on the raw HTML, paired by order;
--                      unequal counts drop them all, as Full-Text RSS
--                      does; typographic quotes turned into ASCII ones (a
--                      reader-app workaround) are not honoured
--   dissolve, wrap_in(TAG), move_into(XPATH)
--                      `unwrap`, `wrap`, `move`
--   native_ad_clue     field native_ad = true when one matches
--   single_page_link, next_page_link (+ if_page_contains)
--                      fields single_page_url, next_page_url (absolute);
--                      pipe fetches nothing
--   test_url, test_contains
--                      online test cases (no page: pipe test skips them)
--
-- Caveats: values are XPath 1.0 as libxml2 (the engine of PHP's DOMXPath)
-- reads them; one that does not start like an XPath pipe recognises is
-- put in parentheses.  Parsing follows Graby's ConfigBuilder: a line is
-- `command: value` split at its first colon, `#` starts a comment, command
-- names are case-sensitive, an empty value is ignored (except for
-- replace_string, where it means "replace with nothing").
local rules = require("lib.rules")

local ftr = {}

-- what pipe does with each directive: honour it, or why not
local HONOURED = "honoured"
local NO_EFFECT = "no effect"
local NOT_HONOURED = "not honoured"
local ONLINE = "online"
local OFFLINE = "offline"

local DIRECTIVES = {
  title = HONOURED, body = HONOURED, author = HONOURED, date = HONOURED,
  strip = HONOURED, strip_attr = HONOURED, strip_id_or_class = HONOURED,
  strip_image_src = HONOURED, dissolve = HONOURED, wrap_in = HONOURED,
  move_into = HONOURED, find_string = HONOURED, replace_string = HONOURED,
  native_ad_clue = HONOURED, single_page_link = HONOURED,
  next_page_link = HONOURED, if_page_contains = HONOURED,
  autodetect_on_failure = HONOURED,
  test_url = ONLINE, test_contains = ONLINE,
  tidy = NO_EFFECT, parser = NO_EFFECT, strip_comments = NO_EFFECT,
  insert_detected_image = NO_EFFECT, src_lazy_load_attr = NO_EFFECT,
  prune = HONOURED, skip_json_ld = NO_EFFECT,
  convert_double_br_tags = NO_EFFECT, footnotes = NOT_HONOURED,
  single_page_link_in_feed = ONLINE, autodetect_next_page = ONLINE,
  login_uri = OFFLINE, login_username_field = OFFLINE,
  login_password_field = OFFLINE, login_extra_fields = OFFLINE,
  not_logged_in_xpath = OFFLINE, requires_login = OFFLINE,
  http_header = OFFLINE,
}

-- why a directive pipe accepts does nothing, for lint and import
local WHY = {
  tidy = "pipe has one HTML parser and needs no tidying",
  parser = "pipe has one HTML parser",
  strip_comments = "HTML comments never reach pipe's text",
  insert_detected_image = "pipe's body is text; the record's image comes from page metadata",
  src_lazy_load_attr = "pipe's body is text (image fields read lazy-load attributes themselves)",
  skip_json_ld = "a config's XPaths always win over JSON-LD in pipe; metadata still fills fields the config does not give",
  convert_double_br_tags = "pipe's body renderer already makes two <br> a paragraph break",
  footnotes = "not implemented (no public description of Full-Text RSS's behaviour)",
  test_url = "online only: pipe fetches nothing; save the page and make it a test case of a Lua rule",
  test_contains = "online only, checked with its test_url",
  single_page_link_in_feed = "online only: it reads feeds",
  autodetect_next_page = "online only: pipe fetches nothing",
  login_uri = "ignored: pipe fetches nothing",
  login_username_field = "ignored: pipe fetches nothing",
  login_password_field = "ignored: pipe fetches nothing",
  login_extra_fields = "ignored: pipe fetches nothing",
  not_logged_in_xpath = "ignored: pipe fetches nothing",
  requires_login = "ignored: pipe fetches nothing",
  http_header = "ignored: pipe fetches nothing",
}

-- directives whose value is yes/no
local BOOLEAN = {
  tidy = true, prune = true, autodetect_on_failure = true,
  requires_login = true, skip_json_ld = true, insert_detected_image = true,
  convert_double_br_tags = true, footnotes = true, strip_comments = true,
  autodetect_next_page = true,
}

-- directives whose value is an XPath (checked by lint and at load)
local XPATH = {
  title = true, body = true, author = true, date = true, strip = true,
  strip_attr = true, dissolve = true, wrap_in = true, move_into = true,
  native_ad_clue = true, single_page_link = true, next_page_link = true,
  if_page_contains = true, not_logged_in_xpath = true,
  single_page_link_in_feed = true,
}

-- lists that global.txt adds to a site's (Graby's mergeConfig), in order,
-- without repeating a value the site has
local MERGED = {
  title = true, body = true, author = true, date = true, strip = true,
  strip_attr = true, strip_id_or_class = true, strip_image_src = true,
  single_page_link = true, next_page_link = true,
}

-- single typographic characters and their ASCII stand-ins: a replacement
-- of one by the other is a reader-app workaround pipe does not honour
local TYPOGRAPHIC = {
  ["‘"] = true, ["’"] = true, ["‚"] = true, ["‛"] = true, ["“"] = true,
  ["”"] = true, ["„"] = true, ["‟"] = true, ["′"] = true, ["″"] = true,
  ["‹"] = true, ["›"] = true, ["«"] = true, ["»"] = true, ["–"] = true,
  ["—"] = true, ["…"] = true,
}

-- s without leading and trailing white space.  Most lines have none: the
-- end bytes are looked at first, since an unanchored "%s+$" tries every
-- position of the line (ftr.parse trims each line of every config)
local function trim(s)
  local b = s:byte(1)
  if not b then return s end
  if b <= 32 then s = s:gsub("^%s+", "") end
  b = s:byte(-1)
  if b and b <= 32 then s = s:gsub("%s+$", "") end
  return s
end

local function basename(p) return (p:match("([^/]+)$") or p) end

-- ftr.parse(text, name) -> conf: {name=, directives = {{line=, cmd=, arg=,
-- value=, comments={...}}...}, header = {comments about the whole file},
-- comments = {trailing comments}, problems = {{line=, msg=}...}}.  Never
-- raises.
function ftr.parse(text, name)
  local conf = { name = name or "config", directives = {}, comments = {}, header = {},
                 problems = {} }
  local pending = {}
  local n = 0
  local function problem(msg) conf.problems[#conf.problems + 1] = { line = n, msg = msg } end
  for raw in (text .. "\n"):gmatch("([^\n]*)\n") do
    n = n + 1
    local line = trim(raw)   -- a trailing \r is white space too
    if line == "" then
      -- comments above the first directive and apart from it describe the
      -- file
      if #conf.directives == 0 and #pending > 0 then
        for _, c in ipairs(pending) do conf.header[#conf.header + 1] = c end
        pending = {}
      end
    elseif line:sub(1, 1) == "#" then
      pending[#pending + 1] = trim(line:sub(2))
    else
      local cmd, arg, value
      -- replace_string(FIND): REPLACE is read up to the first "):", so FIND
      -- may hold a colon (Graby splits at the first colon and drops such
      -- lines)
      local find, rest
      if line:byte(1) == 114 then -- "r"
        find, rest = line:match("^replace_string%((.-)%)%s*:(.*)$")
      end
      if find then
        cmd, arg, value = "replace_string", find, trim(rest)
      else
        local colon = line:find(":", 1, true)
        if not colon then
          problem("no ':' on the line (Full-Text RSS ignores it)")
        else
          cmd, value = trim(line:sub(1, colon - 1)), trim(line:sub(colon + 1))
          if cmd:find("(", 1, true) then
            local base, a = cmd:match("^([%w_]+)%((.*)%)$")
            if base then cmd, arg = base, a end
          end
          if cmd == "" then
            problem("no directive before ':' (Full-Text RSS ignores the line)")
            cmd = nil
          end
        end
      end
      if cmd then
        local d = { line = n, cmd = cmd, arg = arg, value = value, comments = pending }
        pending = {}
        if value == "" and not (cmd == "replace_string") then
          d.empty = true
        end
        conf.directives[#conf.directives + 1] = d
      end
    end
  end
  conf.comments = pending
  return conf
end

-- host patterns of a config file name: "example.com.txt" serves
-- example.com and www.example.com; ".example.com.txt" every subdomain
-- (pipe's "*.example.com" also matches example.com itself: site.lua looks
-- configs up by FiveFilters' naming, so this only matters in an imported
-- Lua rule)
function ftr.hosts(name)
  local stem = basename(name or ""):gsub("%.txt$", "")
  if stem == "" or stem == "global" then return {} end
  if stem:sub(1, 1) == "." then return { "*" .. stem } end
  return { stem }
end

-- an XPath as a pipe selector: pipe takes a string for XPath when it
-- starts with /, (, ./, ../ or a function call; anything else (a bare
-- relative path like "h1[@class='x']") and values ending like a pipe
-- suffix (::text) go in parentheses
local function xp(v)
  local plain = v:find("^[/(]") or v:find("^%.%.?/") or v:find("^%a[%w-]*%s*%(")
  if plain and not (v:find("::", 1, true) and (v:find("::text%s*$") or v:find("::html%s*$")
      or v:find("::attr%b()%s*$"))) then
    return v
  end
  return "(" .. v .. ")"
end

-- nil, or why the XPath does not compile (lib/rules remembers the answer,
-- so the rule's compilation does not check it again)
local function check_xpath(v)
  return rules.xpath_error(v)
end

-- does the (valid) XPath give a node-set, as opposed to a string, number
-- or boolean?
local probe_doc
local function is_nodeset(v)
  probe_doc = probe_doc or html.parse("<html><body><p>x</p></body></html>")
  local ok, r = pcall(probe_doc.xpath, probe_doc, v)
  return ok and type(r) == "table"
end

-- a strip_id_or_class / strip_image_src value without the quotes Full-Text
-- RSS removes from it
local function unquote(v) return (v:gsub("['\"]", "")) end

local function css_string_ok(v) return not v:find("[\\%c]") end

local function is_typographic_swap(find, repl)
  return TYPOGRAPHIC[find] ~= nil and #repl <= 3 and not repl:find("[\128-\255]")
end

-- the merged directive list of a site config and global.txt, as Full-Text
-- RSS builds it: the site's lines, then global's (list directives without
-- repeats, find/replace pairs always), unless the site turns
-- autodetect_on_failure off
local function merged(conf, global)
  local ds = {}
  for _, d in ipairs(conf.directives) do ds[#ds + 1] = d end
  local autodetect = true
  for _, d in ipairs(conf.directives) do
    if d.cmd == "autodetect_on_failure" and not d.empty then
      autodetect = d.value == "yes" or d.value == "true"
    end
  end
  if global and autodetect then
    local seen = {}
    for _, d in ipairs(conf.directives) do
      if MERGED[d.cmd] then seen[d.cmd .. "\0" .. d.value] = true end
    end
    for _, d in ipairs(global.directives) do
      local take = (MERGED[d.cmd] and not seen[d.cmd .. "\0" .. d.value])
        or d.cmd == "find_string" or d.cmd == "replace_string"
      if take and not d.empty then
        seen[d.cmd .. "\0" .. d.value] = true
        ds[#ds + 1] = setmetatable({ global = true }, { __index = d })
      end
    end
  end
  return ds, autodetect
end

-- The plan: what each directive becomes, in order.  Entries {slot=,
-- value=, d=directive, note=} where slot is one of replace, unwrap, wrap,
-- move, title, authors, published, body, clean, single_page_url,
-- next_page_url, native_ad, tests, skip (a directive that becomes no rule
-- line; note says why).  Raises "NAME:LINE: directive: bad xpath ..." on an
-- XPath that does not compile.
local function plan(conf, global)
  local ds, autodetect = merged(conf, global)
  local out = {}
  local function add(slot, value, d, note)
    out[#out + 1] = { slot = slot, value = value, d = d, note = note }
    return out[#out]
  end
  -- "FILE: line N: ..." (not "FILE:N:", which reads as a script error
  -- with a traceback)
  local function bad(d, msg)
    local where = (d.global and "global.txt" or conf.name) .. ": line " .. d.line
    error(where .. ": " .. d.cmd .. ": " .. msg, 0)
  end
  local function xpath_of(d, v)
    local e = check_xpath(v)
    if e then bad(d, e) end
    return xp(v)
  end
  local finds, repls = {}, {}
  local links = {}   -- single_page_link / next_page_link entries, for if_page_contains
  local has_body = false
  local prune = true   -- Full-Text RSS prunes unless told not to
  for _, d in ipairs(ds) do
    local cmd, v = d.cmd, d.value
    local kind = DIRECTIVES[cmd]
    if d.empty then
      add("skip", nil, d, "empty value: ignored, as Full-Text RSS does")
    elseif cmd == "title" then
      add("title", xpath_of(d, v), d)
    elseif cmd == "author" then
      add("authors", xpath_of(d, v), d)
    elseif cmd == "date" then
      add("published", xpath_of(d, v), d)
    elseif cmd == "body" then
      has_body = true
      add("body", xpath_of(d, v), d)
    elseif cmd == "strip" or cmd == "strip_attr" then
      add("clean", xpath_of(d, v), d)
    elseif cmd == "strip_id_or_class" then
      local s = unquote(v)
      if s == "" then
        add("skip", nil, d, "nothing left once quotes are removed: ignored")
      elseif css_string_ok(s) then
        add("clean", "[class*='" .. s .. "'], [id*='" .. s .. "']", d)
      else
        add("clean", xpath_of(d, "//*[contains(@class, '" .. s .. "') or contains(@id, '" .. s .. "')]"), d)
      end
    elseif cmd == "strip_image_src" then
      local s = unquote(v)
      if s == "" then
        add("skip", nil, d, "nothing left once quotes are removed: ignored")
      elseif css_string_ok(s) then
        add("clean", "img[src*='" .. s .. "']", d)
      else
        add("clean", xpath_of(d, "//img[contains(@src, '" .. s .. "')]"), d)
      end
    elseif cmd == "dissolve" then
      add("unwrap", xpath_of(d, v), d)
    elseif cmd == "wrap_in" then
      local tag = (d.arg or ""):lower()
      if not tag:match("^%a[%w-]*$") then bad(d, "bad tag name '" .. tostring(d.arg) .. "'") end
      add("wrap", { xpath_of(d, v), tag }, d)
    elseif cmd == "move_into" then
      if not d.arg or d.arg == "" then bad(d, "no target: want move_into(XPATH): XPATH") end
      local e = check_xpath(d.arg)
      if e then bad(d, "target: " .. e) end
      add("move", { xpath_of(d, v), xp(d.arg) }, d)
    elseif cmd == "native_ad_clue" then
      xpath_of(d, v)
      add("native_ad", "boolean(" .. v .. ")", d)
    elseif cmd == "single_page_link" or cmd == "next_page_link" then
      local e = add(cmd == "single_page_link" and "single_page_url" or "next_page_url", xpath_of(d, v), d)
      e.xpath = v
      links[#links + 1] = e
    elseif cmd == "if_page_contains" then
      -- the condition of the last single_page_link, else of the last
      -- next_page_link (Graby's handleIfPageContainsCondition)
      local target
      for i = #links, 1, -1 do
        if links[i].slot == "single_page_url" then target = links[i]; break end
      end
      if not target then target = links[#links] end
      if not target then
        add("skip", nil, d, "no single_page_link or next_page_link before it: ignored")
      else
        xpath_of(d, v)
        if is_nodeset(target.xpath) then
          target.value = "(" .. target.xpath .. ")[boolean(" .. v .. ")]"
        else
          -- a string-valued link: the string when the condition holds,
          -- else "" (no value)
          target.value = "substring(" .. target.xpath .. ", 1, boolean(" .. v
            .. ") * string-length(" .. target.xpath .. "))"
        end
        target.cond = d
        add("skip", nil, d, "the condition of the " .. (target.slot == "single_page_url"
          and "single_page_link" or "next_page_link") .. " above")
      end
    elseif cmd == "find_string" then
      finds[#finds + 1] = d
    elseif cmd == "replace_string" then
      if d.arg then
        finds[#finds + 1] = { line = d.line, value = d.arg, global = d.global, cmd = "replace_string", comments = {} }
      end
      repls[#repls + 1] = d
    elseif cmd == "test_url" then
      add("tests", { url = v, contains = {} }, d)
    elseif cmd == "test_contains" then
      local last
      for i = #out, 1, -1 do
        if out[i].slot == "tests" then last = out[i]; break end
      end
      if last then
        table.insert(last.value.contains, v)
        add("skip", nil, d, "checked with the test_url above")
      else
        add("skip", nil, d, "no test_url before it: ignored")
      end
    elseif cmd == "prune" then
      prune = d.value == "yes" or d.value == "true"
      add("skip", nil, d, prune and "the body is pruned (the default)"
        or "the body is not pruned, only filtered for boilerplate")
    elseif cmd == "autodetect_on_failure" then
      add("skip", nil, d, autodetect and "the generic extractor reads the body when no body XPath matches"
        or "no generic fallback: a page where no body XPath matches fails")
    elseif kind then
      if XPATH[cmd] then xpath_of(d, v) end
      add("skip", nil, d, WHY[cmd] or kind)
    else
      add("skip", nil, d, "unknown directive (Full-Text RSS ignores it silently)")
    end
  end
  -- find/replace pairs by position, as Full-Text RSS's str_replace takes
  -- its two arrays
  if #finds ~= #repls then
    for _, f in ipairs(finds) do
      add("skip", nil, f, "find_string and replace_string counts differ (" .. #finds .. " and "
        .. #repls .. "): Full-Text RSS skips every replacement")
    end
    for _, r in ipairs(repls) do
      if not r.arg then add("skip", nil, r, "see find_string") end
    end
  else
    for i, f in ipairs(finds) do
      local r = repls[i]
      local d = f.cmd == "replace_string" and r or f
      if f.value == "" then
        add("skip", nil, d, "empty find_string: ignored")
      elseif is_typographic_swap(f.value, r.value) then
        add("skip", { f.value, r.value }, d, "not honoured: typographic punctuation to ASCII is a "
          .. "reader-app workaround; pipe keeps the text as published")
      else
        add("replace", { f.value, r.value }, d).pair = { f, r }
      end
    end
  end
  if not has_body then
    add("body", { generic = "body" }, nil, "no body XPath: the generic extractor reads the body")
  elseif autodetect then
    out.generic = true
    -- the strips of a config whose body XPaths no longer match were
    -- written for the same old markup: the generic extractor reads the
    -- page without them (bench/ftr: nj.com's strip_id_or_class: social
    -- took the article's embedded posts)
    add("body", { generic = "body", clean = false }, nil,
      "autodetect_on_failure: the generic extractor when no body XPath matches, on the page without the config's strips")
  else
    out.required = true
  end
  out.prune = prune
  -- what Full-Text RSS strips from every page, config or not
  add("clean", "//*[contains(@style,'display:none')]", nil, "Full-Text RSS strips these on every page")
  add("clean", ".entry-unrelated, .instapaper_ignore", nil, "Full-Text RSS strips these on every page")
  return out
end

-- what pipe adds to a config's body: matches inside a comment thread are
-- not the article (a config whose comment strip went stale otherwise reads
-- every comment); with the generic fallback, a body under MIN_LENGTH
-- characters gives way to a longer generic one (a config that now matches
-- only a teaser or a stub)
local COMMENTS = ".comment, .comments, #comments, .comment-list, .commentlist, #disqus_thread"
local MIN_LENGTH = 500

local FIELDS = { "title", "authors", "published", "body", "single_page_url", "next_page_url", "native_ad" }

-- ftr.rule(conf, global) -> rule table for lib/rules.lua
function ftr.rule(conf, global)
  local p = plan(conf, global)
  local rule = { hosts = ftr.hosts(conf.name), fields = {} }
  local function list(k)
    rule[k] = rule[k] or {}
    return rule[k]
  end
  local fields = rule.fields
  local clean = {}
  for _, e in ipairs(p) do
    if e.slot == "replace" then
      table.insert(list("replace"), e.value)
    elseif e.slot == "unwrap" then
      table.insert(list("unwrap"), e.value)
    elseif e.slot == "wrap" or e.slot == "move" then
      list(e.slot)[e.value[1]] = e.value[2]
    elseif e.slot == "clean" then
      clean[#clean + 1] = e.value
    elseif e.slot == "tests" then
      local case = { url = e.value.url }
      if #e.value.contains > 0 then
        case.expect = { body = { contains = e.value.contains } }
      end
      table.insert(list("tests"), case)
    elseif e.slot ~= "skip" then
      fields[e.slot] = fields[e.slot] or {}
      table.insert(fields[e.slot], e.value)
    end
  end
  fields.body = fields.body or {}
  local body = fields.body
  body.join, body.outermost = "\n\n", true
  if p.prune then body.prune = true else body.boilerplate = true end
  body.skip = { COMMENTS }
  body.skip_description = true
  if p.generic then body.min_length = MIN_LENGTH end
  body.clean = clean
  if p.required then body.required = true end
  if fields.authors then fields.authors.all = true end
  if fields.published then fields.published.date = true end
  for _, k in ipairs({ "single_page_url", "next_page_url" }) do
    if fields[k] then fields[k].attr, fields[k].url = "href", true end
  end
  return rule
end

-- Lua source ---------------------------------------------------------

local function q(s)
  if s:find('"', 1, true) and not s:find("'", 1, true) then
    return "'" .. s:gsub("\\", "\\\\"):gsub("%c", function(c) return string.format("\\%03d", c:byte()) end) .. "'"
  end
  return '"' .. s:gsub("\\", "\\\\"):gsub('"', '\\"')
    :gsub("%c", function(c) return string.format("\\%03d", c:byte()) end) .. '"'
end

-- "-- " lines for a directive's comments, at an indent
local function comment_lines(out, indent, comments)
  for _, c in ipairs(comments or {}) do
    out[#out + 1] = indent .. "-- " .. c
  end
end

local function origin(d)
  if not d then return "" end
  if d.global then return "global.txt: " .. d.cmd end
  return ""
end

-- the directive as written, for comments
local function written(d)
  if d.cmd == "replace_string" and d.arg then
    return "replace_string(" .. d.arg .. "): " .. d.value
  end
  return d.cmd .. (d.arg and ("(" .. d.arg .. ")") or "") .. ": " .. d.value
end

-- ftr.to_lua(conf, global) -> the rule as readable Lua source: one line per
-- directive, its comments above it, lines from global.txt marked
function ftr.to_lua(conf, global)
  local p = plan(conf, global)
  local out = {}
  local name = basename(conf.name)
  out[#out + 1] = "-- " .. name .. ", imported by `pipe import ftr` from FiveFilters' ftr-site-config"
  out[#out + 1] = "-- (public domain, CC0).  Lines marked global.txt come from global.txt, which"
  out[#out + 1] = "-- Full-Text RSS applies to every configured site; docs/ftr.md says what each"
  out[#out + 1] = "-- directive becomes."
  if #conf.header > 0 then
    out[#out + 1] = "--"
    comment_lines(out, "", conf.header)
  end
  out[#out + 1] = "return {"
  local hosts = {}
  for _, h in ipairs(ftr.hosts(conf.name)) do hosts[#hosts + 1] = q(h) end
  if #hosts > 0 then
    out[#out + 1] = "  hosts = { " .. table.concat(hosts, ", ") .. " },"
    if name:sub(1, 1) == "." then
      out[#out + 1] = "  -- " .. name .. " serves subdomains only; the pattern also matches the bare domain"
    end
  end
  local function line(indent, e, code)
    local d = e.d
    if d and not d.global then
      comment_lines(out, indent, d.comments)
      if e.pair and e.pair[2] ~= d then comment_lines(out, indent, e.pair[2].comments) end
    end
    local tail = origin(d)
    out[#out + 1] = indent .. code .. (tail ~= "" and ("  -- " .. tail) or
      (e.note and ("  -- " .. e.note) or ""))
  end
  local function section(slot, header, footer, indent, render)
    local any = false
    for _, e in ipairs(p) do
      if e.slot == slot then
        if not any then out[#out + 1] = header; any = true end
        line(indent, e, render(e.value))
      end
    end
    if any then out[#out + 1] = footer end
  end
  section("replace", "  replace = {", "  },", "    ", function(v) return "{ " .. q(v[1]) .. ", " .. q(v[2]) .. " }," end)
  section("unwrap", "  unwrap = {", "  },", "    ", function(v) return q(v) .. "," end)
  section("wrap", "  wrap = {", "  },", "    ", function(v) return "[" .. q(v[1]) .. "] = " .. q(v[2]) .. "," end)
  section("move", "  move = {", "  },", "    ", function(v) return "[" .. q(v[1]) .. "] = " .. q(v[2]) .. "," end)
  out[#out + 1] = "  fields = {"
  local options = {
    authors = "all = true,", published = "date = true,",
    body = "join = \"\\n\\n\", outermost = true, " .. (p.prune and "prune = true," or "boilerplate = true,")
      .. (p.required and " required = true," or "") .. (p.generic and (" min_length = " .. MIN_LENGTH .. ",") or "")
      .. "\n      skip = { " .. q(COMMENTS) .. " },  -- pipe: a comment thread is not the article"
      .. "\n      skip_description = true,  -- pipe: a standfirst is the record's description",
    single_page_url = "attr = \"href\", url = true,", next_page_url = "attr = \"href\", url = true,",
  }
  local function source(v)
    if type(v) == "table" then
      return "{ generic = " .. q(v.generic) .. (v.clean == false and ", clean = false" or "") .. " },"
    end
    return q(v) .. ","
  end
  for _, f in ipairs(FIELDS) do
    local header = "    " .. f .. " = {" .. (options[f] and (" " .. options[f]) or "")
    if f == "body" then
      out[#out + 1] = header
      for _, e in ipairs(p) do
        if e.slot == "body" then line("      ", e, source(e.value)) end
      end
      out[#out + 1] = "      clean = {"
      for _, e in ipairs(p) do
        if e.slot == "clean" then line("        ", e, q(e.value) .. ",") end
      end
      out[#out + 1] = "      },"
      out[#out + 1] = "    },"
    else
      section(f, header, "    },", "      ", source)
    end
  end
  out[#out + 1] = "  },"
  local tests = false
  for _, e in ipairs(p) do
    if e.slot == "tests" then
      if not tests then
        out[#out + 1] = "  -- online cases: pipe fetches nothing, so `pipe test` skips them until a"
        out[#out + 1] = "  -- saved copy of the page is given as page = \"...\""
        out[#out + 1] = "  tests = {"
        tests = true
      end
      local code = "{ url = " .. q(e.value.url)
      if #e.value.contains > 0 then
        local cs = {}
        for _, c in ipairs(e.value.contains) do cs[#cs + 1] = q(c) end
        code = code .. ", expect = { body = { contains = { " .. table.concat(cs, ", ") .. " } } }"
      end
      line("    ", e, code .. " },")
    end
  end
  if tests then out[#out + 1] = "  }," end
  -- directives that give no rule line, with the reason
  local skipped = {}
  for _, e in ipairs(p) do
    if e.slot == "skip" and e.d and not e.d.global then skipped[#skipped + 1] = e end
  end
  if #skipped > 0 or #conf.comments > 0 then
    out[#out + 1] = "  -- directives without a rule line:"
    for _, e in ipairs(skipped) do
      comment_lines(out, "  ", e.d.comments)
      local what = written(e.d)
      if type(e.value) == "table" and e.d.cmd == "find_string" then
        what = what .. " + replace_string: " .. e.value[2]
      end
      out[#out + 1] = "  --   " .. what .. "  (" .. e.note .. ")"
    end
    comment_lines(out, "  ", conf.comments)
  end
  out[#out + 1] = "}"
  return table.concat(out, "\n") .. "\n"
end

-- lint ---------------------------------------------------------------

-- ftr.lint(conf) -> {{line=, msg=}...} sorted by line: parse problems,
-- XPaths that do not compile, unknown directives, and what pipe does not
-- honour, ignores offline or can only check online
function ftr.lint(conf)
  local out = {}
  for _, p in ipairs(conf.problems) do out[#out + 1] = p end
  local function add(d, msg) out[#out + 1] = { line = d.line, msg = msg } end
  local finds, repls = 0, 0
  local groups, order = {}, {}
  for _, d in ipairs(conf.directives) do
    local cmd, kind = d.cmd, DIRECTIVES[d.cmd]
    local name = written(d)
    if not kind and (cmd == "http" or cmd == "https") and d.value:find("^//") then
      add(d, "a bare URL, not a directive: Full-Text RSS ignores the line")
    elseif not kind then
      local hint = DIRECTIVES[cmd:lower()] and (" (directives are lowercase: '" .. cmd:lower() .. "')") or ""
      add(d, "unknown directive '" .. cmd .. "'" .. hint .. ": Full-Text RSS ignores it silently")
    elseif d.empty then
      add(d, cmd .. ": empty value: ignored")
    else
      if XPATH[cmd] then
        local e = check_xpath(d.value)
        if e then add(d, cmd .. ": " .. e) end
        if cmd == "move_into" then
          local te = "no target"
          if d.arg and d.arg ~= "" then te = check_xpath(d.arg) end
          if te then add(d, "move_into: target: " .. te) end
        end
      end
      if BOOLEAN[cmd] and not (d.value == "yes" or d.value == "no" or d.value == "true" or d.value == "false") then
        add(d, cmd .. ": want yes or no, got '" .. d.value .. "' (Full-Text RSS reads it as no)")
      end
      if kind == ONLINE or kind == OFFLINE then
        -- one finding per directive and file, however many lines
        local g = groups[cmd]
        if g then
          g.lines[#g.lines + 1] = d.line
        else
          groups[cmd] = { line = d.line, lines = { d.line } }
          order[#order + 1] = cmd
        end
      elseif kind == NOT_HONOURED then
        add(d, cmd .. ": " .. WHY[cmd])
      end
      if cmd == "find_string" then finds = finds + 1 end
      if cmd == "replace_string" then
        repls = repls + 1
        if d.arg then finds = finds + 1 end
      end
    end
  end
  for _, cmd in ipairs(order) do
    local g = groups[cmd]
    local where = ""
    if #g.lines > 1 then
      local shown = {}
      for i = 1, math.min(#g.lines, 6) do shown[i] = tostring(g.lines[i]) end
      where = " (" .. #g.lines .. " lines: " .. table.concat(shown, ", ") .. (#g.lines > 6 and ", ..." or "") .. ")"
    end
    out[#out + 1] = { line = g.line, msg = cmd .. where .. ": " .. WHY[cmd] }
  end
  if finds ~= repls then
    out[#out + 1] = { line = 0, msg = "find_string and replace_string counts differ (" .. finds .. " and "
      .. repls .. "): Full-Text RSS skips every replacement" }
  end
  -- what plan() refuses or leaves out (bad tags, typographic swaps)
  local ok, err = pcall(plan, conf, nil)
  if not ok then
    local line = tonumber(err:match("^.-: line (%d+): ")) or 0
    local seen = false
    for _, f in ipairs(out) do
      if f.line == line and f.msg:find("bad ", 1, true) then seen = true end
    end
    if not seen then out[#out + 1] = { line = line, msg = (err:gsub("^.-: line %d+: ", "")) } end
  else
    for _, e in ipairs(err) do
      if e.slot == "skip" and e.value and e.d then add(e.d, written(e.d) .. ": " .. e.note) end
    end
  end
  table.sort(out, function(a, b)
    if a.line ~= b.line then return a.line < b.line end
    return a.msg < b.msg
  end)
  return out
end

ftr.DIRECTIVES = DIRECTIVES
return ftr
