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
-- An expectation is an exact value (string, number, boolean, table), or a
-- table with one or more of: contains = "s" (or a list of strings),
-- not_contains = "s" (or a list), matches = "PCRE", count = N (list
-- length), absent = true.
--
-- Pages run through scripts/site.lua when one sits at the scripts root (as
-- `pipe run scripts/site.lua` would run them), else the rule is applied
-- directly.

local T = {}
local set_option   -- io.set_option of the running command

local function basename(p) return (p:match("([^/]+)$") or p) end
local function dirname(p) return p:match("^(.*)/[^/]*$") or "." end
local function stem(p) return (basename(p):gsub("%.[^.]*$", "")) end

-- module name of a rule file under the scripts root
local function module_of(path)
  local root = pipe.root
  local rel
  if path:sub(1, #root + 1) == root .. "/" then
    rel = path:sub(#root + 2)
  elseif root == "." then
    rel = path:gsub("^%./", "")
  end
  if not rel then
    return nil, path .. ": not under the scripts root '" .. root .. "'"
  end
  return (rel:gsub("%.lua$", ""):gsub("/", "."))
end

-- the rule table of a file, checked strictly by the rule engine
local function load_rule(path)
  local mod, err = module_of(path)
  if not mod then return nil, err end
  local ok, rule = pcall(require, mod)
  if not ok then return nil, tostring(rule) end
  if type(rule) == "table" then
    local lok, lerr = pcall(require("lib.rules").load, rule, path)
    if not lok then return nil, tostring(lerr), mod end
  end
  return rule, nil, mod
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
  local saved_url = opts.url
  set_option("url", case.url)
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
      r.rule = rules.module_path(mod)
      r.url = page.url
    end
    return r
  end)
  set_option("url", saved_url)
  if not ok then return nil, tostring(rec) end
  if type(rec) ~= "table" then
    return nil, "the rule returned " .. type(rec) .. ", expected a record"
  end
  if rec.source == nil then rec.source = case.page end
  -- normalise through JSON, as the record would be printed
  return json.decode(json.encode(rec))
end

local function show(v)
  if v == nil then return "nothing (field absent)" end
  return json.encode(v)
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
    return string.format("%s: expected %s\n      got %s\n      (first difference at byte %d)",
      field, json.encode(w), json.encode(g), pos)
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
                 count = true, absent = true }

local function is_check(e)
  if type(e) ~= "table" then return false end
  for k in pairs(e) do if CHECKS[k] then return true end end
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
  local out = {}
  if want.absent then
    if got ~= nil then out[#out + 1] = field .. ": expected absent, got " .. show(got) end
    return out
  end
  if got == nil then return { field .. ": missing" } end
  local s = type(got) == "string" and got or json.encode(got)
  for _, needle in ipairs(want.contains and as_list(want.contains) or {}) do
    if not s:find(needle, 1, true) then
      out[#out + 1] = string.format("%s: expected to contain %s\n      got %s", field,
        json.encode(needle), json.encode(#s > 200 and s:sub(1, 200) .. "…" or s))
    end
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
      want.matches, json.encode(#s > 200 and s:sub(1, 200) .. "…" or s))
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

function T.test(files, io)
  set_option = io.set_option
  local passed, failed = 0, 0
  local w = io.write
  for _, path in ipairs(files) do
    local rname = stem(path)
    local rule, err, mod = load_rule(path)
    if not rule then
      failed = failed + 1
      w(string.format("FAIL %s (load)\n    %s\n", rname, err))
    elseif type(rule) ~= "table" or not rule.tests or #rule.tests == 0 then
      w(string.format("NOTEST %s: no test cases\n", rname))
    else
      for i, case in ipairs(rule.tests) do
        local cname = case.name or (case.page and stem(case.page)) or ("case " .. i)
        local problems = {}
        if type(case.page) ~= "string" then
          problems[1] = "case has no page"
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
        if #problems == 0 then
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
  w(string.format("%d passed, %d failed\n", passed, failed))
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
    if type(s) == "string" then
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
    local rule = load_rule(path)
    if type(rule) == "table" and type(rule.extends) == "string" then
      children[rule.extends] = children[rule.extends] or {}
      for _, case in ipairs(rule.tests or {}) do
        table.insert(children[rule.extends], { case = case, path = path })
      end
    end
  end
  for _, path in ipairs(files) do
    local rname = path
    local rule, err, mod = load_rule(path)
    if not rule then
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
              if first and why ~= "none" then
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

return T
