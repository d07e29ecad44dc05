-- The entry script: picks the site rule for a page and applies it.
--
--   pipe run scripts/site.lua PAGE... [--url URL]
--
-- The page URL is --url, else the record's/page's url, else <link
-- rel=canonical>, else og:url.  Every rule in scripts/sites/ is loaded (and
-- checked) once, when this script loads, so a broken rule stops the run
-- with exit code 2 instead of failing every page.  Rules without `hosts`
-- (shared bases used through `extends`) are loaded but never picked.  The
-- rule whose host pattern matches most specifically wins (lib/url.lua);
-- on a tie the first module in name order wins.
--
-- The record gets `url` (absolute) and `rule` (the rule file, e.g.
-- "sites/rbc_ua.lua").  In records mode (`--records`) the input record's
-- other fields are carried over (lib/records.lua), except its HTML.  No matching rule: the generic extractor
-- (scripts/generic.lua) when it exists and pipe.options.no_generic is not
-- set, else the error "no site rule for host 'HOST'".
local rules = require("lib.rules")
local url = require("lib.url")
local records = require("lib.records")

-- { {pattern=, rule=compiled, file=}, ... } in module order
local index = {}
for _, mod in ipairs(pipe.list("sites")) do
  local file = rules.module_path(mod)
  local raw = require(mod)
  local compiled = rules.load(raw, file)
  for _, pattern in ipairs(compiled.hosts) do
    index[#index + 1] = { pattern = pattern, rule = compiled, file = file }
  end
end

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

local function pick(host)
  local best, best_score
  for _, entry in ipairs(index) do
    local score = url.match(entry.pattern, host)
    if score and (not best_score or score > best_score) then
      best, best_score = entry, score
    end
  end
  return best
end

return function(page)
  records.need_doc(page)
  local page_url, no_url = url.of_page(page)   -- absolute, or nil and why
  page.url = page_url
  local host = url.host(page_url)
  local entry = host and pick(host)
  local record
  if entry then
    record = rules.apply(entry.rule, page)
    record.rule = entry.file
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
