-- Meridian Wire (meridianwire.com): a news agency.  Articles have several
-- authors, a published and an "Updated" time, topic tags, and inside the
-- text: embedded tweets, YouTube iframes, the site's own video player, ad
-- slots and "Read also:" links to other stories, all dropped from the body.
return {
  hosts = { "meridianwire.com" },
  remove = { { text = "^Read also:" }, ".article-body .embed", ".article-body .video-player",
             ".article-body .ad-slot", "blockquote.twitter-tweet", "iframe" },
  fields = {
    title = "h1.article-header__headline",
    authors = { ".byline__author", all = true },
    published = { ".byline__published::attr(datetime)", date = true },
    modified = { ".byline__updated::attr(datetime)", date = true },
    body = { ".article-body", paragraphs = true, required = true },
    tags = { ".article-tags a", all = true },
    image_credit = ".article-lead-image .credit",
  },
  tests = {
    { page = "tests/pages/wire-port-strike.html",
      golden = "tests/pages/wire-port-strike.expected.json" },
    { page = "tests/pages/wire-ecb-rates.html",
      expect = {
        title = "ECB holds rates, signals patience as services inflation lingers",
        authors = { "Elena Marchetti", "Thomas Brenner" },
        published = "2026-01-15T13:15:00+00:00",
        modified = "2026-01-15T16:02:00+00:00",
        tags = { "Central Banks", "Euro Zone", "Interest Rates", "Inflation" },
        body = { contains = { "FRANKFURT, Jan 15 (Meridian Wire)", "scheduled for March 5." },
                 not_contains = { "Read also", "Monetary policy decisions", "Advertisement" } },
      } },
  },
}
