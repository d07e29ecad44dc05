-- Helpers the doc examples see (tests/docs/run_examples.py): `print`
-- collects a line (values joined by a tab, as Lua's print does) and `show`
-- prints values as Lua literals: strings quoted, tables with their array
-- part first and then the other keys sorted, json.null as json.null.
local function quote(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    local named = { ["\n"] = "\\n", ["\t"] = "\\t", ["\r"] = "\\r",
                    ['"'] = '\\"', ["\\"] = "\\\\" }
    return named[c] or string.format("\\%03d", c:byte())
  end) .. '"'
end

local function literal(v, seen)
  local t = type(v)
  if t == "string" then return quote(v) end
  if t == "number" then
    if math.type(v) == "integer" then return string.format("%d", v) end
    return string.format("%.14g", v)
  end
  if v == json.null then return "json.null" end
  if t ~= "table" then return tostring(v) end
  if seen[v] then return "<cycle>" end
  seen[v] = true
  local parts, n = {}, #v
  for i = 1, n do parts[#parts + 1] = literal(v[i], seen) end
  local keys = {}
  for k in pairs(v) do
    if not (math.type(k) == "integer" and k >= 1 and k <= n) then
      keys[#keys + 1] = k
    end
  end
  table.sort(keys, function(a, b)
    if type(a) == type(b) and (type(a) == "string" or type(a) == "number") then
      return a < b
    end
    return type(a) < type(b)
  end)
  for _, k in ipairs(keys) do
    local ks = type(k) == "string" and k:match("^[%a_][%w_]*$") and k
        or "[" .. literal(k, seen) .. "]"
    parts[#parts + 1] = ks .. " = " .. literal(v[k], seen)
  end
  seen[v] = nil
  if #parts == 0 then return "{}" end
  return "{ " .. table.concat(parts, ", ") .. " }"
end

return function(out)
  local function print(...)
    local s = {}
    for i = 1, select("#", ...) do s[i] = tostring((select(i, ...))) end
    out[#out + 1] = table.concat(s, "\t")
  end
  local function show(...)
    local s = {}
    for i = 1, select("#", ...) do s[i] = literal((select(i, ...)), {}) end
    out[#out + 1] = table.concat(s, ", ")
  end
  return print, show
end
