-- Helpers for scripts that run in records mode (`pipe run --records`),
-- where page.record is the input record and page.doc its parsed HTML.
--
--   local records = require("lib.records")
--   records.need_doc(page)            -- fail clearly when there is no HTML
--   return records.carry(out, page)   -- keep the input record's fields
local records = {}

-- Raise the page's failure when it has no HTML to work on: a record
-- without the HTML field, in records mode.
function records.need_doc(page)
  if page.doc then return end
  local field = (page.options or pipe.options).html_field or "html"
  error("the record has no HTML (no string field '" .. field .. "')", 0)
end

-- Copy the input record's fields that `record` does not set into it, except
-- the HTML itself, so crawl data (fetch time, status, ids) flows through a
-- stage that extracts fields from the page.  Returns record.  Without an
-- input record (page mode), record is returned unchanged.
function records.carry(record, page)
  local input = page.record
  if type(record) ~= "table" or type(input) ~= "table" then return record end
  local field = (page.options or pipe.options).html_field or "html"
  for k, v in pairs(input) do
    if record[k] == nil and k ~= field then record[k] = v end
  end
  return record
end

return records
