-- related.lua: a records stage that turns each article record into one
-- record per related link (returning a list emits several records).
return function(page)
  local out = {}
  for _, item in ipairs(page.record and page.record.related or {}) do
    out[#out + 1] = { source = page.record.source, from = page.record.url,
                      url = item.url, teaser = item.teaser }
  end
  return out
end
