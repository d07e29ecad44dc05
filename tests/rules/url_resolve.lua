-- url.resolve's trimming as a record (tests/e2e/page_url.sh)
local url = require("lib.url")
return function()
  local out = {}
  for i, h in ipairs({ " a/b ", "\ta/b", "a/b\n", "\va/b", "a/b\f", "\ra b\r", "a/b", "x y", " \t ", "",
                       "https://h.example/p q" }) do
    out[i] = url.resolve(h, "https://base.example/dir/") or "nil"
  end
  return { r = table.concat(out, "|") }
end
