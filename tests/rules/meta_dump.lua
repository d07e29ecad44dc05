-- Prints lib/meta.lua's metadata of a page as the record (tests/e2e/meta.sh).
local meta = require("lib.meta")
return function(page)
  local m = meta.extract(page)
  local r = {}
  for k, v in pairs(m) do r[k] = v end
  r.cached = meta.extract(page) == m
  return r
end
