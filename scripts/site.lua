-- The entry script: picks the site rule for a page and applies it.
--
--   pipe run scripts/site.lua PAGE... [--url URL] [--rules DIR]...
--
-- The page URL is --url, else the record's/page's url, else <link
-- rel=canonical>, else og:url.  The rule comes from lib/ruleset.lua: a Lua
-- rule whose `hosts` match, else a FiveFilters config (HOST.txt) by
-- FiveFilters' naming, searched in every --rules/PIPE_RULES directory and
-- then in scripts/sites/ and scripts/sites/ftr/.  Only the rule a page
-- needs is loaded and compiled, once per worker; a rule that does not
-- load fails the pages it serves, naming the file and the cause (`pipe
-- lint` finds such rules before a run).  Rules without `hosts` (shared
-- bases used through `extends`) are never picked.
--
-- The record gets `url` (absolute) and `rule` (the rule file, e.g.
-- "sites/rbc_ua.lua", "sites/ftr/theguardian.com.txt").  In records mode
-- (`--records`) the input record's other fields are carried over
-- (lib/records.lua), except its HTML.  No matching rule: the generic
-- extractor (scripts/generic.lua) when it exists and
-- pipe.options.no_generic is not set, else the error "no site rule for
-- host 'HOST'".
local rules = require("lib.rules")
local url = require("lib.url")
local records = require("lib.records")
local ruleset = require("lib.ruleset")

-- the generic fallback: a function(page) -> record, or nil when absent
local function generic_fallback()
  if (pipe.options or {}).no_generic then return nil end
  local ok, gen = pcall(require, "generic")
  if ok then return gen end
  -- only generic.lua itself missing means "no fallback"; any other error
  -- (inside generic.lua, or a module it needs) is reported
  if tostring(gen):find("module 'generic' not found", 1, true) then return nil end
  error(gen, 0)
end

return function(page)
  records.need_doc(page)
  local page_url, no_url = url.of_page(page)   -- absolute, or nil and why
  page.url = page_url
  local host = url.host(page_url)
  local entry = host and ruleset.pick(host)
  local record
  if entry then
    record = rules.apply(ruleset.load(entry), page)
    record.rule = entry.label
  else
    local gen = generic_fallback()
    if not gen then
      if not host then error("no page URL: " .. no_url, 0) end
      error("no site rule for host '" .. host .. "'", 0)
    end
    if type(gen) == "table" then record = rules.apply(gen, page) else record = gen(page) end
    if type(record) == "table" then
      record.rule = record.rule or "generic.lua"
      if (pipe.options or {}).explain then
        if type(record.explain) ~= "table" then record.explain = {} end
        record.explain.rule = host and ("no site rule for host '" .. host .. "'")
          or ("no page URL: " .. no_url)
      end
    end
  end
  if type(record) == "table" then record.url = page_url or record.url end
  return records.carry(record, page)
end
