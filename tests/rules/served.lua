-- Metadata describes the page as served (tests/e2e/meta.sh): the rule
-- removes the byline and the dateline, and its own authors and published
-- find nothing, so metadata fills them from what the rule removed.
return {
  remove = { ".byline", ".dateline", ".promo" },
  fields = {
    title = "h1",
    authors = { ".author-box .name", all = true },
    published = { "time.published::attr(datetime)", date = true },
    body = { ".story-body", paragraphs = true, required = true },
  },
}
