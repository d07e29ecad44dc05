-- Rule exercising every field source and option on pages/article.html;
-- tests/e2e/rules.sh compares its record with fields.expected.json.
return {
  replace = { { "SHARE NEWS", "" } },
  remove = { ".banner", "//p[@class='share']", { text = "^Read also:" } },
  unwrap = { "font" },
  rename = { ["div.para"] = "p" },
  metadata = { "tags", "section", "lang" },
  fields = {
    -- fallbacks: the first source gives nothing, the second wins
    title = { ".no-such-title", "h1.story__title" },
    headline = { { jsonld = "headline" } },
    og_title = { { meta = "OG:Title" } },
    authors = { { jsonld = "author.name" }, all = true },
    byline = { ".story__byline", re = "^By\\s+(.+)" },
    updated = { ".story__date", re = "Updated:\\s*(.+)", date = true, tz = "+01:00" },
    stamp = { ".story__stamp::attr(data-ts)", date = true },
    lead_image = { ".story__lead img::attr(src)" },
    og_image = { { meta = "og:image" }, url = true },
    credit = { "figcaption", replace = { "^Photo:\\s*", "" }, trim = "/ ", split = "\\s*/\\s*" },
    body = { ".story__body", paragraphs = true },
    body_html = { "(//div[@class='story__body']/p)[2]::html" },
    tags_joined = { ".tags a", join = ", " },
    tag_links = { ".tags a::attr(href)", all = true, url = true },
    price = { ".price", re = "([0-9.]+)" },
    places = { ".places", split = ";" },
    missing = { ".nothing-here", default = "n/a" },
    nothing = ".nothing-at-all",
    canonical = { "link[rel=canonical]", attr = "href" },
    related = { ".related li", all = true, fields = {
      title = { "a", required = true },
      url = { "a::attr(href)", url = true },
      date = { ".when", date = true },
      image = { "img", image = true },
      self_class = "::attr(class)",
    } },
    first_related = { ".related li", fields = { title = "a" } },
    words = function(page, node, record)
      return #record.title
    end,
    upper = { function(page) return page.doc:first("h1"):text():upper() end },
  },
  post = function(record, page)
    record.post_ran = true
    return record
  end,
  tests = { { page = "tests/rules/pages/article.html" } },
}
