-- A body that drops its signature block with `clean`, and a date that is
-- read from inside that block: fields are independent, so the date is
-- still found (with `remove` it would be gone and metadata would give a
-- date without the time).  tests/e2e/rules.sh
return {
  remove = { ".article__ad" },
  fields = {
    author = { ".article__signature", re = "^(.+?)," },
    body = { ".article__content", clean = { ".article__signature" }, paragraphs = true },
    published = { ".article__signature time", date = true, tz = "Europe/Paris" },
    short_body = { ".article__content", clean = { { text = "vigilance" }, "p:nth-of-type(2)" },
                   paragraphs = true },
  },
}
