-- test script (tests/e2e/run_cli.sh): records holding every kind of JSON
-- value pipe writes (reals, escapes, markers, key order, nesting, values
-- only the tree conversion handles), for the direct NDJSON writer
return function(page)
  local out = {}
  local floats = { 0.1, 1/3, -0.0, 1e300, 5e-324, 1e21, 1e20, 123456789012345678.0, 2.5, -1e-7, 100.0, 1e-5, 3.14159e10, 2^53, 2^63 }
  for i, f in ipairs(floats) do out[#out+1] = { source = "f" .. i, v = f } end
  out[#out+1] = { source = "s", s = "a\"b\\c\n\t\r\b\f\1\31\127/é€😀", e = "" }
  out[#out+1] = { source = "n", a = {}, o = json.object_mt and setmetatable({}, json.object_mt) or {}, arr = setmetatable({}, json.array_mt), null = json.null }
  out[#out+1] = { source = "nest", x = { { 1, 2, { a = { b = { c = { true, false } } } } }, "z" }, zz = 1, Z = 2, ["_"] = 3, [""] = 4 }
  out[#out+1] = { source = "big", i = math.maxinteger, j = math.mininteger, k = 0 }
  out[#out+1] = { source = "sparse", t = { [1] = "a", [3] = "c" } }
  out[#out+1] = { source = "badutf", s = "a\xff\xfeb" }
  out[#out+1] = { source = "mixed", t = { 1, 2, x = 3 } }
  out[#out+1] = { source = "nul", s = "a\0b" }
  local deep = {} local d = deep for i = 1, 100 do d.x = {} d = d.x end
  out[#out+1] = { source = "deep", d = deep }
  out[#out+1] = { source = "longkey", [("k"):rep(100)] = 1, [("k"):rep(99)] = 2 }
  out[#out+1] = { source = "inf", v = 1/0 }
  return out
end
