-- related.lua: a records stage that turns each article record into one
-- record per related link (returning a list emits several records; an
-- article without related links returns nil, so it emits nothing).
return function(page)
  local out = {}
  for _, item in ipairs(page.record and page.record.related or {}) do
    out[#out + 1] = { source = page.record.source, from = page.record.url,
                      url = item.url, teaser = item.teaser }
  end
  if #out == 0 then
    return nil
  end
  return out
end
