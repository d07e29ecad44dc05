-- lib/url's view of a page's own URL as the record (tests/e2e/page_url.sh)
local url = require("lib.url")
return function(page)
  local u, why = url.of_page(page)
  -- asked again (lib/meta's url and image fields do): the same answer,
  -- the same number of values (one for a URL, two for none)
  local n = select("#", url.of_page(page))
  local u2, why2 = url.of_page(page)
  if u2 ~= u or why2 ~= why or n ~= (u and 1 or 2) then
    error(string.format("of_page again: %s, %s (%d values) after %s, %s",
                        tostring(u2), tostring(why2), n, tostring(u), tostring(why)), 0)
  end
  return { url = u, why = why, canonical = url.canonical(page) }
end
