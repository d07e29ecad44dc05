-- The rule-engine features FiveFilters configs compile to, used directly
-- by a Lua rule on tests/ftr/pages/article.html (tests/e2e/ftr.sh).
return {
  remove = { "//img/@srcset", "figure img::attr(alt)" },   -- attributes, not nodes
  wrap = { ["//span[@class='subhead']"] = "h2" },
  move = { ["//div[@class='postscript']"] = "//div[@class='story-body']" },
  fields = {
    srcset = "//img/@srcset",
    alt = "figure img::attr(alt)",
    src = "figure img::attr(src)",
    sponsored = "boolean(//meta[@property='article:tag' and @content='transport'])",
    byline = "substring-after(//p[@class='byline'], 'By ')",
    -- the comment's story-body is skipped; the postscript moved in
    body = { "//div[@class='story-body']", join = "\n\n", outermost = true,
             skip = { ".comments" }, prune = true,
             clean = { "//div[@class='story-body-more']" } },
    every_body = { "//div[@class='story-body']", join = " | ", paragraphs = true },
    -- a stub first source gives way to a longer later one
    stub = { "//p[@class='pullquote']", "//div[@class='wrapper']", min_length = 200 },
    fallback = { "//div[@id='nothing']", { generic = "title" } },
  },
}
