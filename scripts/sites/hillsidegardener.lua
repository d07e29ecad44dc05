-- The Hillside Gardener (hillsidegardener.com): a GeneratePress-themed
-- WordPress gardening blog.  Everything comes from the WordPress base; the
-- site's own tweak drops photo figures (image + caption) from the body.
-- Co-written posts list every author in the byline.
return {
  hosts = { "hillsidegardener.com" },
  extends = "sites.cms_wordpress",
  remove = { ".entry-content figure" },
  tests = {
    { page = "tests/pages/blog-dahlia-tubers.html",
      golden = "tests/pages/blog-dahlia-tubers.expected.json" },
    { page = "tests/pages/blog-apple-pruning.html",
      expect = {
        title = "Pruning Old Apple Trees Without Losing a Season\u{2019}s Crop",
        authors = { "Ruth Calloway", "Daniel Voss" },
        published = "2026-01-10T09:00:00-05:00",
        categories = { "Fruit Trees", "Seasonal Jobs" },
        tags = { "apples", "orchard", "pruning" },
        body = { contains = { "Year one: dead, diseased, and crossing",
                              "The two apple trees at the bottom of our slope" },
                 not_contains = { "Share this:", "Cider From Apples", "leave no stub" } },
        comments = { count = 4 },
      } },
  },
}
