-- url.host over URLs with and without userinfo, ports, brackets and
-- trailing dots, as a record (tests/e2e/page_url.sh)
local url = require("lib.url")
return function()
  local out = {}
  for i, u in ipairs({ "https://Example.COM/x", "http://a@b@c.d:80/", "http://[::1]:8080/", "//host.",
                       "http://h..", "http://:80/", "http://user@/", "https://x.y:abc/", "ftp://A.b.:21",
                       "http://h:/", "http://.", "nope", "http://@", "http://[x]y:1/", "HTTP://Ä.de/" }) do
    out[i] = url.host(u) or "nil"
  end
  return { h = table.concat(out, "|") }
end
