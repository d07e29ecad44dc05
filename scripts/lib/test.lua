-- `pipe test` and `pipe lint`: the logic behind the two commands.
--
-- core/test.c calls test.test(files, io) and test.lint(files, io), where
-- files are rule file paths and io = {write = fn(s), update = bool,
-- set_option = fn(name, value) (pipe.options is read-only for scripts),
-- write_file = fn(path, s) (only with --update)}.  Both return the exit
-- code.
--
-- A rule's `tests` list holds cases:
--   { page = "tests/pages/x.html",   -- relative to the current directory,
--                                     -- the rule file, or the repo
--     url = "https://...",           -- optional: as `pipe run --url`
--     name = "x",                     -- optional: default the page's name
--     expect = { field = expectation, ... },
--     golden = "tests/pages/x.expected.json" }  -- the whole record
-- An expectation is an exact value (a string, number, boolean or list),
-- or a table of checks: contains = "s" (or a list of strings),
-- not_contains = "s" (or a list), starts_with = "s", ends_with = "s",
-- matches = "PCRE", count = N (list length), absent = true, equals = V
-- (exact, for a value that is itself a table with keys).  Any other key
-- is an error naming it.  A case needs expect or golden.
-- Case keys: page, url, name, expect, golden, now (as `pipe run --now`).
--
-- Failures show strings with what a reader cannot see escaped: no-break
-- and other Unicode spaces, soft hyphens, zero-width characters, and
-- spaces at either end as \u{XXXX}; \n, \t, \".
--
-- Pages run through scripts/site.lua when one sits at the scripts root (as
-- `pipe run scripts/site.lua` would run them), else the rule is applied
-- directly.

local T = {}
local set_option   -- io.set_option of the running command

local function basename(p) return (p:match("([^/]+)$") or p) end
local function dirname(p) return p:match("^(.*)/[^/]*$") or "." end
local function stem(p) return (basename(p):gsub("%.[^.]*$", "")) end

-- io.realpath from core/test.c (set by T.test / T.lint)
local realpath = function() return nil end

-- module name of a rule file under the scripts root, however the two were
-- named (`pipe test sites/` inside scripts/: a relative path, an absolute
-- root)
local function module_of(path)
  local root = pipe.root
  local rel
  path = path:gsub("//+", "/")
  if path:sub(1, #root + 1) == root .. "/" then
    rel = path:sub(#root + 2)
  elseif root == "." then
    rel = path:gsub("^%./", "")
  end
  if not rel then
    local rp, rr = realpath(path), realpath(root)
    if rp and rr and rp:sub(1, #rr + 1) == rr .. "/" then rel = rp:sub(#rr + 2) end
  end
  if not rel then
    return nil, path .. ": not under the scripts root '" .. root .. "'"
  end
  return (rel:gsub("%.lua$", ""):gsub("/", "."))
end

local function is_ftr(path) return path:sub(-4) == ".txt" end

-- the global.txt a FiveFilters config joins: the one beside it, else the
-- shipped one (parsed, or nil)
local function ftr_global(path)
  local ftr = require("lib.ftr")
  for _, g in ipairs({ dirname(path) .. "/global.txt", pipe.root .. "/sites/ftr/global.txt" }) do
    local data = pipe.read(g)
    if data then return ftr.parse(data, "global.txt") end
  end
  return nil
end

-- the rule table of a file, checked strictly by the rule engine; returns
-- rule, err, mod (the module name under the scripts root, or nil for a
-- rule read by path: a FiveFilters config, a rule in a --rules directory)
local function load_rule(path)
  local rule, mod
  if is_ftr(path) then
    local ftr = require("lib.ftr")
    local data, rerr = pipe.read(path)
    if not data then return nil, tostring(rerr) end
    local base = basename(path)
    if base == "global.txt" then return nil, "global.txt: joins every config; not a rule of its own" end
    local ok, r = pcall(ftr.rule, ftr.parse(data, path), ftr_global(path))
    if not ok then return nil, tostring(r) end
    rule = r
  else
    mod = module_of(path)
    if mod then
      local ok, r = pcall(require, mod)
      if not ok then return nil, tostring(r) end
      rule = r
    else
      local data, rerr = pipe.read(path)
      if not data then return nil, tostring(rerr) end
      local chunk, cerr = load(data, "@" .. path, "t")
      if not chunk then return nil, tostring(cerr) end
      local ok, r = pcall(chunk)
      if not ok then return nil, tostring(r) end
      rule = r
    end
  end
  if type(rule) == "table" then
    local lok, lerr = pcall(require("lib.rules").load, rule, path)
    if not lok then return nil, tostring(lerr), mod end
  end
  return rule, nil, mod
end

-- the name a record's `rule` field gives a rule file
local function rule_label(mod, path)
  if mod then return require("lib.rules").module_path(mod) end
  return path
end

-- where a fixture may be: as given, beside the rule, beside the scripts root
local function fixture_candidates(rel, rule_path)
  return { rel, dirname(rule_path) .. "/" .. rel, pipe.root .. "/../" .. rel }
end

local function read_fixture(rel, rule_path)
  local tries = fixture_candidates(rel, rule_path)
  local first_err
  for _, p in ipairs(tries) do
    local data, err = pipe.read(p)
    if data then return data, p end
    first_err = first_err or err
  end
  return nil, first_err
end

-- run one case the way scripts/site.lua runs a page: the page URL from
-- the case (or the page's canonical link), the rule applied, `url` and
-- `rule` added.  The rule under test is applied even when site.lua would
-- pick another one for that URL; that mismatch is reported as a problem.
-- Returns record (normalised through JSON) or nil, error; and a list of
-- warnings.
local function run_case(rule, mod, path, case)
  local data, where = read_fixture(case.page, path)
  if not data then return nil, "cannot read page: " .. tostring(where) end
  local rules, url = require("lib.rules"), require("lib.url")
  local opts = pipe.options
  local saved_url, saved_now = opts.url, opts.now
  set_option("url", case.url)
  if case.now ~= nil then set_option("now", case.now) end
  local page = { source = case.page, html = data, url = case.url, options = opts }
  page.doc = html.parse(data, { url = case.url })
  local ok, rec = pcall(function()
    if type(rule) == "function" then return rule(page) end
    local compiled = rules.load(rule, path)
    page.url = url.of_page(page)
    local host = page.url and url.host(page.url)
    if host and #compiled.hosts > 0 then
      local hit = false
      for _, p in ipairs(compiled.hosts) do hit = hit or url.match(p, host) ~= nil end
      if not hit then
        error("the rule's hosts do not match the page's host '" .. host
          .. "' (give the case a url)", 0)
      end
    end
    local r = rules.apply(compiled, page)
    if type(r) == "table" then
      r.rule = rule_label(mod, path)
      r.url = page.url
    end
    return r
  end)
  set_option("url", saved_url)
  set_option("now", saved_now)
  if not ok then return nil, tostring(rec) end
  if type(rec) ~= "table" then
    return nil, "the rule returned " .. type(rec) .. ", expected a record"
  end
  if rec.source == nil then rec.source = case.page end
  -- normalise through JSON, as the record would be printed
  return json.decode(json.encode(rec))
end

-- a string as a quoted literal with every invisible difference visible
local INVISIBLE = {}
for _, c in ipairs({ 0xA0, 0xAD, 0x2007, 0x2008, 0x2009, 0x200A, 0x200B, 0x200C,
  0x200D, 0x2028, 0x2029, 0x202F, 0x205F, 0x2060, 0x3000, 0xFEFF, 0x2000, 0x2001,
  0x2002, 0x2003, 0x2004, 0x2005, 0x2006 }) do INVISIBLE[c] = true end

local function visible(s)
  local out = {}
  local ok = utf8.len(s)
  local n = #s
  local lead = s:match("^ *")
  local trail = #lead < n and s:match(" *$") or ""
  local body = s:sub(#lead + 1, n - #trail)
  local function esc(c)
    if c == 34 then return '\\"' elseif c == 92 then return "\\\\"
    elseif c == 10 then return "\\n" elseif c == 9 then return "\\t"
    elseif c == 13 then return "\\r"
    elseif c < 32 or c == 127 or INVISIBLE[c] then return string.format("\\u{%04X}", c) end
    return utf8.char(c)
  end
  out[#out + 1] = ('\\u{0020}'):rep(#lead)
  if ok then
    for _, c in utf8.codes(body) do out[#out + 1] = esc(c) end
  else
    out[#out + 1] = (body:gsub("[%c\"\\]", function(ch) return esc(ch:byte()) end))
  end
  out[#out + 1] = ('\\u{0020}'):rep(#trail)
  return '"' .. table.concat(out) .. '"'
end

-- a value for a message: strings visible, tables as JSON, both shortened
local function show(v)
  if v == nil then return "nothing (field absent)" end
  if type(v) == "string" then
    if #v > 300 then return visible(v:sub(1, 300):gsub("[\192-\255][\128-\191]*$", "")) .. "…" end
    return visible(v)
  end
  local j = json.encode(v)
  if #j > 300 then j = j:sub(1, 300):gsub("[\192-\255][\128-\191]*$", "") .. "…" end
  return j
end

-- shorten a and b around their first difference
local function diff_text(a, b)
  local i = 1
  local n = math.min(#a, #b)
  while i <= n and a:byte(i) == b:byte(i) do i = i + 1 end
  local from = math.max(1, i - 30)
  local function cut(s)
    local piece = s:sub(from, i + 40)
    -- keep whole UTF-8 characters at both ends
    piece = piece:gsub("^[\128-\191]+", ""):gsub("[\192-\255][\128-\191]*$", function(c)
      return utf8.len(c) and c or ""
    end)
    return (from > 1 and "…" or "") .. piece .. (i + 40 < #s and "…" or "")
  end
  return cut(a), cut(b), i
end

local function mismatch(field, want, got)
  if type(want) == "string" and type(got) == "string" then
    local w, g, pos = diff_text(want, got)
    local vw, vg = visible(w), visible(g)
    -- say so when the first difference is a character no one can see
    local function invisible_at(str)
      local rest = str:sub(pos)
      if rest == "" then return false end
      local ok, c = pcall(utf8.codepoint, rest, 1)
      if not ok then return false end
      return INVISIBLE[c] or c == 32 or c == 9 or c == 10 or c == 13
    end
    local note = (invisible_at(want) or invisible_at(got)) and ", an invisible character" or ""
    return string.format("%s: expected %s\n      got %s\n      (first difference at byte %d%s)",
      field, vw, vg, pos, note)
  end
  return string.format("%s: expected %s\n      got %s", field, show(want), show(got))
end

-- deep comparison; returns nil when equal, else the path of the first
-- difference and the two values there
local function first_diff(a, b, path)
  if type(a) ~= type(b) then return path, a, b end
  if type(a) ~= "table" then
    if a == b then return nil end
    return path, a, b
  end
  local keys, seen = {}, {}
  for k in pairs(a) do if not seen[k] then seen[k] = true; keys[#keys + 1] = k end end
  for k in pairs(b) do if not seen[k] then seen[k] = true; keys[#keys + 1] = k end end
  table.sort(keys, function(x, y)
    if type(x) == type(y) then return x < y end
    return type(x) == "number"
  end)
  for _, k in ipairs(keys) do
    local sub = type(k) == "number" and (path .. "[" .. k .. "]")
      or (path == "" and k or path .. "." .. k)
    local p, x, y = first_diff(a[k], b[k], sub)
    if p then return p, x, y end
  end
  return nil
end

local CHECKS = { contains = true, not_contains = true, matches = true,
                 count = true, absent = true, starts_with = true, ends_with = true,
                 equals = true }
local CHECK_LIST = "absent, contains, count, ends_with, equals, matches, not_contains, starts_with"

-- a table with any string key is a table of checks (a list is a value)
local function is_check(e)
  if type(e) ~= "table" then return false end
  for k in pairs(e) do if type(k) ~= "number" then return true end end
  return false
end

local function as_list(v) return type(v) == "table" and v or { v } end

-- returns a list of problems (strings) for one field
local function check_field(field, want, got)
  if not is_check(want) then
    local p, x, y = first_diff(want, got, field)
    if p then return { mismatch(p, x, y) } end
    return {}
  end
  local bad = {}
  for k in pairs(want) do
    if not CHECKS[k] then bad[#bad + 1] = tostring(k) end
  end
  if #bad > 0 then
    table.sort(bad)
    return { string.format("%s: unknown check '%s' (want %s)", field, table.concat(bad, "', '"), CHECK_LIST) }
  end
  local out = {}
  if want.equals ~= nil then
    local p, x, y = first_diff(want.equals, got, field)
    if p then out[#out + 1] = mismatch(p, x, y) end
  end
  if want.absent then
    if got ~= nil then out[#out + 1] = field .. ": expected absent, got " .. show(got) end
    return out
  end
  if got == nil then return { field .. ": missing" } end
  local s = type(got) == "string" and got or json.encode(got)
  for _, needle in ipairs(want.contains and as_list(want.contains) or {}) do
    if not s:find(needle, 1, true) then
      out[#out + 1] = string.format("%s: expected to contain %s\n      got %s", field,
        show(needle), show(s))
    end
  end
  if want.starts_with and s:sub(1, #want.starts_with) ~= want.starts_with then
    out[#out + 1] = mismatch(field .. " (start)", want.starts_with, s:sub(1, #want.starts_with))
  end
  if want.ends_with and (#want.ends_with > #s or s:sub(-#want.ends_with) ~= want.ends_with) then
    local tail = #want.ends_with > #s and s or s:sub(-#want.ends_with)
    out[#out + 1] = mismatch(field .. " (end)", want.ends_with, tail)
  end
  for _, needle in ipairs(want.not_contains and as_list(want.not_contains) or {}) do
    local at = s:find(needle, 1, true)
    if at then
      out[#out + 1] = string.format("%s: must not contain %s (found at byte %d)", field,
        json.encode(needle), at)
    end
  end
  if want.matches and not re.find(s, want.matches) then
    out[#out + 1] = string.format("%s: expected to match /%s/\n      got %s", field,
      want.matches, show(s))
  end
  if want.count then
    local n = type(got) == "table" and #got or 1
    if n ~= want.count then
      out[#out + 1] = string.format("%s: expected %d items, got %d", field, want.count, n)
    end
  end
  return out
end

local function sorted_keys(t)
  local ks = {}
  for k in pairs(t) do ks[#ks + 1] = k end
  table.sort(ks)
  return ks
end

local function decode_golden(data, p)
  local g, err = json.decode(data)
  if g == nil then return nil, p .. ": " .. tostring(err) end
  return g
end

local CASE_KEYS = { page = true, url = true, name = true, expect = true,
                    golden = true, now = true }

function T.test(files, io)
  realpath = io.realpath or realpath
  set_option = io.set_option
  local passed, failed, skipped = 0, 0, 0
  local w = io.write
  for _, path in ipairs(files) do
    local rname = stem(path)
    local rule, err, mod
    if basename(path) ~= "global.txt" then rule, err, mod = load_rule(path) end
    if basename(path) == "global.txt" then
      -- joins every config of its directory; not a rule of its own
    elseif not rule then
      failed = failed + 1
      w(string.format("FAIL %s (load)\n    %s\n", rname, err))
    elseif type(rule) ~= "table" or not rule.tests or #rule.tests == 0 then
      w(string.format("NOTEST %s: no test cases\n", rname))
    else
      for i, case in ipairs(rule.tests) do
        local cname = case.name or (case.page and stem(case.page)) or ("case " .. i)
        local problems = {}
        local badkey
        for k in pairs(type(case) == "table" and case or {}) do
          if not CASE_KEYS[k] then badkey = tostring(k) end
        end
        if type(case) ~= "table" then
          problems[1] = "a case must be a table"
        elseif badkey then
          problems[1] = "unknown case key '" .. badkey .. "' (want page, url, name, expect, golden, now)"
        elseif case.page == nil and type(case.url) == "string" then
          -- an online case (a FiveFilters test_url): pipe fetches nothing
          problems = nil
          skipped = skipped + 1
          w(string.format("SKIP %s %s: online case (%s); save the page and give it as page =\n",
            rname, cname, case.url))
        elseif type(case.page) ~= "string" then
          problems[1] = "case has no page"
        elseif case.golden == nil and (type(case.expect) ~= "table" or next(case.expect) == nil) then
          problems[1] = "case has no expectations (give expect or golden)"
        else
          local rec, rerr = run_case(rule, mod, path, case)
          if not rec then
            problems[1] = rerr
          else
            for _, field in ipairs(sorted_keys(case.expect or {})) do
              for _, p in ipairs(check_field(field, case.expect[field], rec[field])) do
                problems[#problems + 1] = p
              end
            end
            if case.golden then
              local data, where = read_fixture(case.golden, path)
              if io.update then
                -- an existing golden is rewritten where it was found; a
                -- new one is written at the path as given
                local text = json.encode(rec, { pretty = true }) .. "\n"
                local targets = data and { where } or fixture_candidates(case.golden, path)
                local ok, werr, target
                for _, t in ipairs(targets) do
                  target = t
                  ok, werr = io.write_file(t, text)
                  if ok then break end
                end
                if ok then w(string.format("UPDATED %s\n", target))
                else problems[#problems + 1] = "cannot write golden: " .. tostring(werr) end
              elseif not data then
                problems[#problems + 1] = "cannot read golden: " .. tostring(where)
                  .. " (pipe test --update writes it)"
              else
                local g, gerr = decode_golden(data, where)
                if not g then
                  problems[#problems + 1] = "bad golden: " .. gerr
                else
                  -- every top-level field that differs, each at its first
                  -- differing place
                  local keys, seen = {}, {}
                  for k in pairs(g) do seen[k] = true; keys[#keys + 1] = k end
                  for k in pairs(rec) do if not seen[k] then keys[#keys + 1] = k end end
                  table.sort(keys)
                  for _, k in ipairs(keys) do
                    local p, x, y = first_diff(g[k], rec[k], k)
                    if p then problems[#problems + 1] = mismatch(p, x, y) end
                  end
                end
              end
            end
          end
        end
        if problems == nil then
          -- skipped
        elseif #problems == 0 then
          passed = passed + 1
          w(string.format("PASS %s %s\n", rname, cname))
        else
          failed = failed + 1
          w(string.format("FAIL %s %s\n", rname, cname))
          for _, p in ipairs(problems) do w("    " .. p .. "\n") end
        end
      end
    end
  end
  w(string.format("%d passed, %d failed%s\n", passed, failed,
    skipped > 0 and (", " .. skipped .. " skipped (online)") or ""))
  return failed == 0 and 0 or 3
end

-- lint ---------------------------------------------------------------

-- the rule and its parents through `extends`, child first
local function chain(rule)
  local out, seen = {}, {}
  while type(rule) == "table" do
    out[#out + 1] = rule
    local parent = rule.extends
    if type(parent) ~= "string" or seen[parent] then break end
    seen[parent] = true
    local ok, p = pcall(require, parent)
    rule = ok and p or nil
  end
  return out
end

-- the selector strings of a raw rule and its parents:
-- {key, selector, first_source}
local function selectors_of(rule)
  local out = {}
  local function add(key, s, first)
    -- {SELECTOR, fallback = true}: an intended fallback (a legacy layout
    -- the fixtures need not show)
    local fallback = false
    if type(s) == "table" and type(s[1]) == "string" then
      fallback = s.fallback == true
      s = s[1]
    end
    if type(s) == "string" and not fallback then
      local sel = s:gsub("::[%w%-]+%b()$", ""):gsub("::[%w%-]+$", "")
      if sel ~= "" then out[#out + 1] = { key = key, sel = sel, raw = s, first = first } end
    end
  end
  local rules = chain(rule)
  local function walk(fields, prefix)
    for _, name in ipairs(sorted_keys(fields or {})) do
      local spec = fields[name]
      local key = prefix .. name
      if type(spec) == "string" then
        add(key, spec, true)
      elseif type(spec) == "table" then
        for j, src in ipairs(spec) do add(key .. "[" .. j .. "]", src, j == 1) end
        if type(spec.fields) == "table" then walk(spec.fields, key .. ".") end
      end
    end
  end
  for _, r in ipairs(rules) do
    for i, s in ipairs(r.remove or {}) do add("remove[" .. i .. "]", s) end
    for i, s in ipairs(r.unwrap or {}) do add("unwrap[" .. i .. "]", s) end
    walk(r.fields, "fields.")
  end
  -- a field a child overrides is not the parent's to report
  local seen, unique = {}, {}
  for _, s in ipairs(out) do
    local k = s.key .. "\0" .. s.sel
    if not seen[k] then seen[k] = true; unique[#unique + 1] = s end
  end
  return unique
end

-- the string literals a rule file passes to :select, :first, :remove and
-- :xpath (inside field functions and post), with their line numbers; a
-- selector that does not compile carries err
local function literal_selectors(path)
  local src = pipe.read(path)
  local out = {}
  if not src then return out end
  local pos = 1
  while true do
    local a, b, method, q, lit = src:find(":(%a+)%s*%(%s*([\"'])(.-)%2%s*[,)]", pos)
    if not a then break end
    pos = b + 1
    if method == "select" or method == "first" or method == "remove" or method == "xpath" then
      local f = load("return " .. q .. lit .. q, "=lint", "t", {})
      local ok, sel = pcall(f or error)
      if ok and type(sel) == "string" and sel ~= "" then
        local _, nl = src:sub(1, a):gsub("\n", "")
        local entry = { line = nl + 1, sel = sel }
        local isx = method == "xpath" or sel:find("^[/(]") or sel:find("^%./")
        local cok, cerr = pcall(function()
          if isx then
            html.parse("<p>x</p>"):xpath(sel)
          else
            html.xpath_of(sel)
          end
        end)
        if not cok then entry.err = tostring(cerr):gsub("^[^\n:]*:%d+: ", "") end
        out[#out + 1] = entry
      end
    end
  end
  return out
end

local function count_matches(doc, sel)
  local ok, r
  if sel:match("^/") or sel:match("^%(") or sel:match("^%./") then
    ok, r = pcall(doc.xpath, doc, sel)
  else
    ok, r = pcall(doc.select, doc, sel)
  end
  if not ok then return 0 end
  if type(r) == "table" then return #r end
  if r == nil or r == false or r == "" or r == 0 then return 0 end
  return 1
end

function T.lint(files, io)
  realpath = io.realpath or realpath
  set_option = io.set_option
  local findings = 0
  local w = io.write
  local rules = require("lib.rules")
  local function report(rname, msg)
    findings = findings + 1
    w(string.format("%s: %s\n", rname, msg))
  end
  -- children by parent module, so a base rule (no hosts, used through
  -- extends) is checked on the fixtures of the rules that extend it
  local children = {}
  for _, path in ipairs(files) do
    local rule = not is_ftr(path) and load_rule(path)
    if type(rule) == "table" and type(rule.extends) == "string" then
      children[rule.extends] = children[rule.extends] or {}
      for _, case in ipairs(rule.tests or {}) do
        table.insert(children[rule.extends], { case = case, path = path })
      end
    end
  end
  for _, path in ipairs(files) do
    local rname = path
    local rule, err, mod
    if is_ftr(path) then
      -- a FiveFilters config: its own findings, FILE:LINE: message
      local data, rerr = pipe.read(path)
      if not data then
        report(rname, tostring(rerr))
      else
        for _, f in ipairs(require("lib.ftr").lint(require("lib.ftr").parse(data, path))) do
          report(f.line > 0 and (path .. ":" .. f.line) or path, f.msg)
        end
      end
    else
      rule, err, mod = load_rule(path)
    end
    if is_ftr(path) then
      -- done above
    elseif not rule then
      report(rname, err)
    elseif type(rule) == "table" then
      local tests, fixture_of = rule.tests or {}, {}
      if #tests == 0 and children[mod] and #children[mod] > 0 then
        tests = {}
        for _, c in ipairs(children[mod]) do
          tests[#tests + 1] = c.case
          fixture_of[c.case] = c.path
        end
      elseif #tests == 0 then
        report(rname, "no test cases")
      end
      -- the record schema: a field under another name than the standard one
      local aliases = require("lib.rules").ALIASES
      for _, name in ipairs(sorted_keys(rule.fields or {})) do
        local std = aliases[name]
        if std and rule.fields[name] ~= false and (rule.fields or {})[std] == nil then
          report(rname, string.format("fields.%s: the standard field is '%s' (docs/rules.md, "
            .. "The record schema): rename it so records from every rule agree", name, std))
        end
      end
      local docs = {}
      for _, case in ipairs(tests) do
        local data = type(case.page) == "string" and read_fixture(case.page, fixture_of[case] or path)
        if data then docs[#docs + 1] = html.parse(data, { url = case.url }) end
      end
      if #docs > 0 then
        -- selectors that match nothing in any fixture (nested field
        -- selectors are relative to their item, so they are checked on
        -- the whole page, which is a superset)
        for _, s in ipairs(selectors_of(rule)) do
          local hits = 0
          for _, d in ipairs(docs) do hits = hits + count_matches(d, s.sel) end
          if hits == 0 then
            report(rname, string.format("%s: selector '%s' matches nothing in the rule's fixtures",
              s.key, s.sel))
          end
        end
        -- literal selectors inside the rule's functions
        for _, s in ipairs(literal_selectors(path)) do
          if s.err then
            report(rname, string.format("line %d: %s", s.line, s.err))
          else
            local hits = 0
            for _, d in ipairs(docs) do hits = hits + count_matches(d, s.sel) end
            if hits == 0 then
              report(rname, string.format("line %d: selector '%s' matches nothing in the rule's fixtures",
                s.line, s.sel))
            end
          end
        end
        -- fields that only a fallback ever fills
        local opts = pipe.options
        local saved = opts.explain
        set_option("explain", true)
        local filled_first, filled_other = {}, {}
        for _, case in ipairs(tests) do
          if type(case.page) == "string" then
            local rec = run_case(rule, mod, fixture_of[case] or path, case)
            for field, why in pairs(rec and rec.explain or {}) do
              local spec = (rule.fields or {})[field]
              local first = type(spec) == "string" and spec
                or type(spec) == "table" and type(spec[1]) == "string" and spec[1] or nil
              if type(spec) == "table" and type(spec[1]) == "table" and type(spec[1][1]) == "string"
                  and not spec[1].fallback then
                first = spec[1][1]
              end
              why = why:gsub(" %(after .*%)$", "")
              if first and not why:find("^none") and not why:find("^default") then
                if why == "rule: " .. first then
                  filled_first[field] = true
                else
                  filled_other[field] = why
                end
              end
            end
          end
        end
        set_option("explain", saved)
        for _, field in ipairs(sorted_keys(filled_other)) do
          if not filled_first[field] then
            report(rname, string.format("fields.%s: only a fallback fills it (%s), never its first source",
              field, filled_other[field]))
          end
        end
      end
    end
  end
  if findings == 0 then w("no findings\n") end
  return findings == 0 and 0 or 1
end

-- import -------------------------------------------------------------

-- the file name `pipe import ftr -o DIR` gives a config's Lua rule: a
-- module name (dots in the host become underscores; a leading dot, the
-- FiveFilters wildcard, becomes a leading underscore)
local function lua_name(path)
  return (stem(path):gsub("%.", "_")) .. ".lua"
end

-- T.import(files, io): each FiveFilters config as a Lua rule, printed or
-- (io.outdir) written; returns the exit code
function T.import(files, io)
  local ftr = require("lib.ftr")
  local failed = 0
  for _, path in ipairs(files) do
    local ok, src = false, nil
    local data, rerr = pipe.read(path)
    if basename(path) == "global.txt" then
      -- its lines are in every imported rule: not a rule of its own
      print("pipe: " .. path .. ": skipped (global.txt joins every config; its lines are in each imported rule)")
      goto next
    elseif basename(path) == "LICENSE.txt" or basename(path) == "README.txt" then
      print("pipe: " .. path .. ": skipped (not a config)")
      goto next
    end
    if not is_ftr(path) then
      src = path .. ": not a FiveFilters config (*.txt)"
    elseif not data then
      src = tostring(rerr)
    else
      ok, src = pcall(ftr.to_lua, ftr.parse(data, path), ftr_global(path))
    end
    if not ok then
      failed = failed + 1
      print("pipe: " .. src)
    elseif io.outdir then
      local target = io.outdir .. "/" .. lua_name(path)
      local wok, werr = io.write_file(target, src)
      if wok then
        io.write("WROTE " .. target .. "\n")
      else
        failed = failed + 1
        print("pipe: cannot write " .. tostring(werr))
      end
    else
      io.write(src)
    end
    ::next::
  end
  return failed == 0 and 0 or 1
end

return T
