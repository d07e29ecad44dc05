-- Date fields for tests/e2e/dates.sh on pages/article.html.
return {
  metadata = false,
  fields = {
    relative = { function() return "2 hours ago" end, date = true },
    formatted = { ".story__date", format = "Updated: %d.%m.%Y %H:%M", tz = "+01:00" },
    meta_date = { { meta = "article:published_time" }, date = true },
    fallback = { ".story__byline", ".related .when", date = true },
  },
}
