-- links.lua: every link of a page as one record {text, url}, resolved
-- against the page URL.
return function(page)
  local out = {}
  local base = page.url or page.doc:url()
  for _, a in ipairs(page.doc:select("a[href]")) do
    out[#out + 1] = { text = a:text(), url = html.absolute(a:attr("href"), base) or a:attr("href") }
  end
  return out
end
