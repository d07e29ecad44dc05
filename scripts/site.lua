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

-- (globals the per-page path reads, as locals: see lib/rules.lua)
local type, pcall, require, error, tostring = type, pcall, require, error, tostring
local rules_apply, url_of_page, url_host = rules.apply, url.of_page, url.host
local need_doc, carry = records.need_doc, records.carry
local pick, ruleset_load = ruleset.pick, ruleset.load

-- the generic fallback: a function(page) -> record, or nil when absent
local generic   -- generic.lua's value once it has loaded (require would
                -- return it again; a load that failed is tried again)
local function generic_fallback()
  if (pipe.options or {}).no_generic then return nil end
  if generic then return generic end
  local ok, gen = pcall(require, "generic")
  if ok then
    generic = gen
    return gen
  end
  -- only generic.lua itself missing means "no fallback"; any other error
  -- (inside generic.lua, or a module it needs) is reported
  if tostring(gen):find("module 'generic' not found", 1, true) then return nil end
  error(gen, 0)
end

return function(page)
  need_doc(page)
  local page_url, no_url = url_of_page(page)   -- absolute, or nil and why
  page.url = page_url
  local host = url_host(page_url)
  local entry = host and pick(host)
  local record
  if entry then
    record = rules_apply(ruleset_load(entry), page)
    record.rule = entry.label
  else
    local gen = generic_fallback()
    if not gen then
      if not host then error("no page URL: " .. no_url, 0) end
      error("no site rule for host '" .. host .. "'", 0)
    end
    if type(gen) == "table" then record = rules_apply(gen, page) else record = gen(page) end
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
  return carry(record, page)
end
