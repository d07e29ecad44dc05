-- RBC-Ukraine (rbc.ua and its English edition newsukraine.rbc.ua): news
-- articles. The seed page tests/pages/paris-declaration.html is one of them.
-- Photo credits read "Photo: SOURCE", in the lead figure and in each teaser
-- of the "Similar news" list; ad slots sit inside the article text.
return {
  hosts = { "newsukraine.rbc.ua", "rbc.ua", "*.rbc.ua" },
  remove = { ".banner" },
  fields = {
    title = "h1",
    image_credit = { ".article__photo figcaption", re = "Photo:\\s*(.+)" },
    published = { { meta = "article:published_time" },
                  ".article__date::attr(datetime)", date = true },
    body = { ".article__text", paragraphs = true, required = true },
    related = { ".similar__list > li", all = true, fields = {
      image_credit = { ".similar__img-source", re = "Photo:\\s*(.+)" },
      teaser = ".similar__text",
      url = { "a::attr(href)", url = true },
    } },
  },
  tests = {
    { page = "tests/pages/paris-declaration.html", name = "paris-declaration-fields",
      expect = { image_credit = "president.gov.ua", related = { count = 8 },
                 body = { contains = "coalition of the willing", not_contains = "banner" } } },
    { page = "tests/pages/paris-declaration.html",
      golden = "tests/pages/paris-declaration.expected.json" },
  },
}
