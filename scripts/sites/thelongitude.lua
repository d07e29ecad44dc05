-- The Longitude (thelongitude.com): a Next.js news site.  The served HTML is
-- a shell (skeleton divs, svg icons, script chunks, __NEXT_DATA__ without
-- the text); the article exists only in the NewsArticle JSON-LD, where
-- articleBody holds the text with paragraphs separated by blank lines.
return {
  hosts = { "thelongitude.com" },
  fields = {
    title = { { jsonld = "headline" } },
    authors = { { jsonld = "author.name" }, all = true },
    published = { { jsonld = "datePublished" }, date = true },
    modified = { { jsonld = "dateModified" }, date = true },
    body = { { jsonld = "articleBody" }, required = true },
    section = { { jsonld = "articleSection" } },
  },
  tests = {
    { page = "tests/pages/spa-sodium-battery.html",
      golden = "tests/pages/spa-sodium-battery.expected.json" },
    { page = "tests/pages/spa-night-trains.html",
      expect = {
        title = "Night trains are back in the Alps. Can they make money this time?",
        authors = { "Jonas Weber", "Giulia Conti" },
        published = "2026-01-15T11:30:00+01:00",
        section = "Travel",
        body = { contains = { "At a quarter to nine on a Friday evening",
                              "that comparison has already been made." },
                 matches = "^At a quarter to nine[^\\n]+\\n\\nThe revival of night trains" },
      } },
  },
}
