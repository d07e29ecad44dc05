-- page.meta in a rule's function fields and post (tests/e2e/meta.sh): each
-- field is computed when read, and describes the page as served although
-- the rule removed the byline and the dateline.
return {
  remove = { ".byline", ".dateline" },
  metadata = false,
  fields = {
    title = "h1",
    meta_title = function(page) return page.meta.title end,
    meta_authors = function(page) return page.meta.authors end,
  },
  post = function(record, page)
    record.meta_published = page.meta.published
    return record
  end,
}
