-- host.lua: a records stage that adds `host`, the host part of the
-- record's `url` (nil when the record has no absolute URL), e.g.
--
--   pipe run scripts/site.lua pages/*.html |
--     pipe run scripts/examples/related.lua --records - |
--     pipe run scripts/examples/host.lua --records --format tsv --fields host,url -
return function(page)
  local record = page.record or {}
  if type(record.url) == "string" then
    record.host = record.url:match("^%a[%w+.-]*://([^/:?#@]+)")
  end
  return record
end
