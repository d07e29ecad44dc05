-- scripts/site.lua with the site rules of tests/rules/sites/ (pipe.list and
-- require resolve in this directory first) and no generic fallback.
pipe.options.no_generic = true
return require("site")
