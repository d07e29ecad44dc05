-- site.lua over a sites/ directory holding a broken rule: the pages it
-- serves fail with a message naming the rule file and key; other hosts
-- fall back to the generic extractor.
return require("site")
