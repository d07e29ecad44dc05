-- What a rule's edits leave of the page's metadata facts (tests/e2e/meta.sh):
-- the rule removes the headline and the <meta>s.  Its {meta=} source and
-- its function field still see the page as served: the <meta> index and
-- meta.facts are read before the edits.
local meta = require("lib.meta")
return {
  remove = { "h1", "meta[name], meta[property]" },
  metadata = false,
  fields = {
    body = { ".story-body", paragraphs = true, required = true },
    site = { { meta = "og:site_name" } },
    headlines = function(page) return #meta.facts(page).h1 end,
    left = function(page) return #page.doc:select("h1") end,
  },
}
