-- The rule directories and their host index: which rule file serves a
-- host, loaded and compiled only when a page needs it.
--
--   local ruleset = require("lib.ruleset")
--   local entry = ruleset.pick(host)      -- nil when no rule serves it
--   local rule = ruleset.load(entry)      -- compiled, cached; raises
--   entry.label                           -- "sites/rbc_ua.lua", "sites/ftr/x.txt"
--
-- The directories, in order: every --rules DIR and PIPE_RULES directory
-- (pipe.rules), then the shipped SCRIPTS/sites (Lua rules) and
-- SCRIPTS/sites/ftr (FiveFilters configs).  Each holds Lua rules (*.lua)
-- and FiveFilters configs (*.txt) side by side; subdirectories are not
-- searched.  A host is served by
--   1. a Lua rule: the first directory with a rule whose `hosts` match,
--      and in it the most specific pattern (lib/url.lua; a tie goes to the
--      first file in name order);
--   2. else a FiveFilters config, by FiveFilters' naming: the host without
--      "www.", then "." + each parent domain ("news.example.com" tries
--      news.example.com.txt, .example.com.txt, .com.txt), the first
--      directory that has one of these winning.  Full-Text RSS tries one
--      parent only; its README says .example.com.txt serves every
--      subdomain, and pipe does that.
-- global.txt (the first directory's that has one) joins every config as
-- Full-Text RSS merges it (lib/ftr.lua).
--
-- Cost: the index lists each directory's Lua rules once (per worker) and
-- reads their text to find their `hosts` (a literal string or list of
-- strings; anything else and the rule is loaded to learn them).
-- FiveFilters configs need no listing: their file name is the index, so a
-- host costs a few file lookups, once (the answer is remembered, for up to
-- HOST_CACHE hosts), whatever the number of configs.  A rule is compiled
-- on first use and kept for the life of the Lua state (one worker),
-- failures included, so a broken rule fails each page it serves with the
-- same message.
local rules = require("lib.rules")
local url = require("lib.url")

-- lib/ftr, loaded with the first config a page needs
local ftr_module
local function ftr()
  ftr_module = ftr_module or require("lib.ftr")
  return ftr_module
end

local HOST_CACHE = 10000

local ruleset = {}

-- per-state caches (module upvalues survive between pages)
local index            -- built on first use
local compiled = {}    -- label -> {rule=} | {err=}
local global_conf      -- parsed global.txt, or false

-- the directories, each {path=, label=, module=} (module: the prefix that
-- makes a Lua file here a module under the scripts root)
function ruleset.dirs()
  local out = {}
  for _, d in ipairs(pipe.rules or {}) do
    out[#out + 1] = { path = d, label = d .. "/" }
  end
  local root = pipe.root
  out[#out + 1] = { path = root .. "/sites", label = "sites/", module = "sites." }
  out[#out + 1] = { path = root .. "/sites/ftr", label = "sites/ftr/" }
  return out
end

-- the `hosts` a Lua rule's source gives literally: a list of strings, {}
-- for a rule without hosts, or nil when it cannot tell.  (Comments do not
-- count; a string holding "--" may hide the rest of its line: then nothing
-- is found there and, at worst, the rule is loaded instead.)
local function literal_hosts(s, at)
  local v = s:match("^%s*()", at)
  local str = s:match("^(%b\"\")", v) or s:match("^(%b'')", v)
  if str then return { str:sub(2, -2) } end
  local list = s:match("^(%b{})", v)
  if not list then return nil end
  list = list:gsub("%-%-[^\n]*", "")
  local out = {}
  local rest = list:sub(2, -2):gsub("[\"']([^\"'\\]*)[\"']", function(h)
    out[#out + 1] = h
    return ""
  end)
  if rest:find("[^%s,;]") then return nil end
  return out
end

local function scan_hosts(src)
  if src:find("--[", 1, true) then
    -- long comments: take every comment out first
    local s = src:gsub("%-%-%[(=*)%[.-%]%1%]", ""):gsub("%-%-[^\n]*", "")
    local at = s:find("%f[%w_]hosts%s*=")
    if not at then return {} end
    return literal_hosts(s, s:match("^hosts%s*=()", at))
  end
  -- line comments only: look at each "hosts" (taking every comment out of
  -- the whole text was most of the index's cost, ~0.4 M instructions a
  -- rule file, per run)
  local init = 1
  while true do
    local at = src:find("hosts", init, true)
    if not at then return {} end
    init = at + 5
    local eq = src:match("^%s*=()", at + 5)
    if eq and (at == 1 or not src:sub(at - 1, at - 1):find("[%w_]")) then
      local ls = at
      while ls > 1 and src:byte(ls - 1) ~= 10 do ls = ls - 1 end
      if not src:sub(ls, at - 1):find("--", 1, true) then
        return literal_hosts(src, eq)
      end
    end
  end
end

local function read(path)
  local data, err = pipe.read(path)
  if not data then error(err, 0) end
  return data
end

-- the raw rule table of a Lua rule file
local function lua_rule(entry)
  if entry.module then return require(entry.module) end
  local chunk, err = load(read(entry.path), "@" .. entry.path, "t")
  if not chunk then error(err, 0) end
  return chunk()
end

local function build()
  local idx = { lua = {}, dirs = ruleset.dirs() }
  for di, d in ipairs(idx.dirs) do
    local luas = {}
    for _, name in ipairs(pipe.files(d.path, ".lua") or {}) do
      if name:sub(1, 1) ~= "." then
        local path = d.path .. "/" .. name
        local e = { kind = "lua", path = path, label = d.label .. name }
        if d.module then e.module = d.module .. name:sub(1, -5) end
        local ok, data = pcall(read, path)
        e.hosts = ok and scan_hosts(data) or nil
        if e.hosts == nil then
          -- not literal: load the rule to learn them (its errors wait for
          -- the page that needs it)
          local lok, raw = pcall(lua_rule, e)
          e.hosts = lok and type(raw) == "table" and raw.hosts or {}
          if type(e.hosts) == "string" then e.hosts = { e.hosts } end
        end
        luas[#luas + 1] = e
      end
    end
    idx.lua[di] = luas
  end
  return idx
end

function ruleset.index()
  index = index or build()
  return index
end

-- the FiveFilters names tried for a host, in order
function ruleset.ftr_names(host)
  local h = url.normalize_host(host)
  if h:sub(1, 4) == "www." then h = h:sub(5) end
  local out = { h }
  local rest = h
  while true do
    local dot = rest:find(".", 1, true)
    if not dot then break end
    rest = rest:sub(dot + 1)
    if rest == "" then break end
    out[#out + 1] = "." .. rest
  end
  return out
end

-- the FiveFilters config for a host: the first directory holding one of
-- its names
local ftr_cache, ftr_cached = {}, 0
local function find_ftr(host)
  local hit = ftr_cache[host]
  if hit ~= nil then return hit or nil end
  local idx = ruleset.index()
  for _, d in ipairs(idx.dirs) do
    for _, n in ipairs(ruleset.ftr_names(host)) do
      local path = d.path .. "/" .. n .. ".txt"
      local data = pipe.read(path)
      if data then
        hit = { kind = "ftr", path = path, label = d.label .. n .. ".txt", text = data }
        break
      end
    end
    if hit then break end
  end
  if ftr_cached >= HOST_CACHE then ftr_cache, ftr_cached = {}, 0 end
  ftr_cache[host], ftr_cached = hit or false, ftr_cached + 1
  return hit
end

-- ruleset.pick(host) -> entry | nil.  The answer is remembered per host
-- (the index does not change in a worker's life): matching every pattern
-- of every Lua rule was ~0.13 M instructions a page with the shipped rules
local pick_cache, pick_cached = {}, 0
local function pick(host)
  local idx = ruleset.index()
  for di = 1, #idx.dirs do
    local best, best_score
    for _, e in ipairs(idx.lua[di]) do
      for _, p in ipairs(e.hosts) do
        local score = url.match(p, host)
        if score and (not best_score or score > best_score) then
          best, best_score = e, score
        end
      end
    end
    if best then return best end
  end
  return find_ftr(host)
end

function ruleset.pick(host)
  local hit = pick_cache[host]
  if hit == nil then
    hit = pick(host) or false
    if pick_cached >= HOST_CACHE then pick_cache, pick_cached = {}, 0 end
    pick_cache[host], pick_cached = hit, pick_cached + 1
  end
  return hit or nil
end

-- the parsed global.txt (the first directory's that has one), or nil
function ruleset.global()
  if global_conf == nil then
    global_conf = false
    for _, d in ipairs(ruleset.index().dirs) do
      local data = pipe.read(d.path .. "/global.txt")
      if data then
        global_conf = ftr().parse(data, "global.txt")
        break
      end
    end
  end
  return global_conf or nil
end

-- ruleset.load(entry) -> compiled rule; raises the rule's load error
function ruleset.load(entry)
  local c = compiled[entry.label]
  if not c then
    local ok, r = pcall(function()
      if entry.kind == "lua" then return rules.load(lua_rule(entry), entry.label) end
      local conf = ftr().parse(entry.text or read(entry.path), entry.label)
      return rules.load(ftr().rule(conf, ruleset.global()), entry.label)
    end)
    c = ok and { rule = r } or { err = tostring(r) }
    compiled[entry.label] = c
  end
  if c.err then error(c.err, 0) end
  return c.rule
end

return ruleset
