-- test script: every page first records what it sees, then attacks the
-- state every later page starts from (tests/e2e/isolation.sh).  The lines
-- of all pages must be the same: nothing a page does reaches the next.
local iso_a = require("iso.a")
local iso_b = require("iso.b")
loaded_here = "at load"   -- a load-time global of this file
local loaded_at_start = loaded_here

local function observe()
  return {
    global = tostring(leaked_global),
    raw_global = tostring(rawget(_G, "raw_global")),
    print = type(print),
    upper = string.upper("a"),
    string_evil = tostring(string.evil),
    method = ("x"):rep(2),
    gc_running = collectgarbage("isrunning"),
    g_mt = tostring(getmetatable(_G)),
    str_mt = tostring(getmetatable("")),
    options = tostring(pipe.options.injected),
    parse = type(html.parse),
    env = _G == _ENV,
    load_time = tostring(loaded_here),
    module_globals = iso_b.sees_a(),   -- iso.a's global is not iso.b's
    module_state = iso_a.name,
    number_mt = tostring(debug and debug.getmetatable(1)),
  }
end

local function refused(f) return (pcall(f)) == false end

return function(page)
  local seen = observe()
  local r = {}
  leaked_global = page.source
  rawset(_G, "raw_global", 1)
  loaded_here = "changed"
  print = nil
  r.string_write = refused(function() string.upper = nil end)
  r.string_add = refused(function() string.evil = 1 end)
  r.g_metatable = refused(function()
    setmetatable(_G, { __index = function() return "evil" end })
  end)
  r.str_metatable = refused(function() getmetatable("").__index = {} end)
  r.options = refused(function() pipe.options.injected = 1 end)
  r.plugin = refused(function() html.parse = nil end)
  collectgarbage("stop")
  if debug then debug.setmetatable(1, { __index = function() return "evil" end }) end
  return { seen = seen, refused = r, loaded_at_start = loaded_at_start }
end
