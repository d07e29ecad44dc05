-- test script (tests/e2e/run_cli.sh): json.decode on valid and invalid
-- texts, each result encoded again, for the direct decoder (plugins/json.c)
-- against jansson (PIPE_JSON_TREE=1)
return function(page)
local cases = {
  '{"a":1,"b":[1,2,3],"c":{"d":null,"e":true,"f":false},"g":"x\\"y\\\\z\\/w\\b\\f\\n\\r\\t"}',
  '[]', '{}', '[{}]', '[[[]]]', '0', '-0', '-0.0', '1.5e10', '1E-7', '1e+2', '123456789012345678', '9223372036854775807', '9223372036854775808', '-9223372036854775808', '-9223372036854775809',
  '1e400', '1e-400', '0.1', '01', '1.', '.5', '-', '1e', '1e+', '"\\u00e9\\u20ac\\ud83d\\ude00"', '"\\ud800"', '"\\udc00"', '"\\ud800\\u0041"', '"\\u0000"', '{"\\u0000":1}', '{"a\\u0000b":1}',
  '"a\nb"', '"a\tb"', '"\127"', '"\xff"', '"\xc3\xa9"', '"\xed\xa0\x80"', '[1,]', '{"a":1,}', '{"a" 1}', '{a:1}', '  {"a" : [ 1 , 2 ] }  ', 'true', 'false', 'null', 'nul', 'truex', '[1 2]', '', '   ', '"unterminated', '{"a":1}x', '{"a":1,"a":2}', '"\\x"', '"\\u12"', '"\\u12g4"',
  '[1e308, -1e308, 2.2250738585072014e-308, 4.9e-324]', '{"@context":"https:\\/\\/schema.org","@graph":[{"@type":"NewsArticle","headline":"Hello \\u201cWorld\\u201d","author":[{"name":"A"},{"name":"B"}]}]}',
  '\xef\xbb\xbf{}', '[' .. ('['):rep(150) .. (']'):rep(150) .. ']', ('['):rep(250) .. (']'):rep(250),
}
local out = {}
for i, c in ipairs(cases) do
  local v, err = json.decode(c)
  local enc = v ~= nil and json.encode(v) or "nil"
  -- types of scalars survive encode, but integer vs float does too
  out[#out + 1] = { source = "c" .. i, enc = enc, err = err or json.null, mt = type(v) == "table" and (getmetatable(v) == json.object_mt and "object" or getmetatable(v) == json.array_mt and "array" or "?") or type(v), mtype = math.type(v) or json.null }
end
return out
end
