-- site.lua over a sites/ directory holding a broken rule: the run stops
-- before any page (exit 2) with a message naming the rule file and key.
return require("site")
