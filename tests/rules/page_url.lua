-- lib/url's view of a page's own URL as the record (tests/e2e/page_url.sh)
local url = require("lib.url")
return function(page)
  local u, why = url.of_page(page)
  return { url = u, why = why, canonical = url.canonical(page) }
end
