-- Metadata describes the page as served (tests/e2e/meta.sh): post edits
-- the page, then asks lib/meta for fields the record did not need.
local meta = require("lib.meta")
return {
  metadata = false,
  fields = { body = { ".story-body", paragraphs = true, required = true } },
  post = function(record, page)
    for _, n in ipairs(page.doc:select("title, h1, .byline, .dateline")) do n:remove() end
    local m = meta.extract(page)
    record.meta = { title = m.title, authors = m.authors, published = m.published }
    return record
  end,
}
