-- words.lua: a records stage that adds `words`, the number of words in the
-- record's `body`, to each record it gets.
--
--   pipe run scripts/site.lua pages/*.html |
--     pipe run scripts/examples/words.lua --records - | jq .words
return function(page)
  local record = page.record or {}
  record.words = text.words(record.body or "")
  return record
end
