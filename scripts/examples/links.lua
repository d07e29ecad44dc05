-- links.lua: every link of a page as one record {text, url}, resolved
-- against the page URL (a page without links emits nothing).
return function(page)
  local out = {}
  local base = page.url or page.doc:url()
  for _, a in ipairs(page.doc:select("a[href]")) do
    out[#out + 1] = { text = a:text(), url = html.absolute(a:attr("href"), base) or a:attr("href") }
  end
  if #out == 0 then
    return nil
  end
  return out
end
