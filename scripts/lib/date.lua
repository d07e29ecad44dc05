-- Dates found on pages, normalised to ISO 8601: the one entry point that
-- rules, page metadata and the generic extractor share.  The parsing is
-- the `date` plugin's (plugins/date.c, over ICU: CLDR month and weekday
-- names in every language, IANA time zones with daylight saving); this
-- module adds what a page knows: its language and the reference time for
-- relative dates.
--
-- date.parse(s [, opts]) -> ISO 8601 string | nil, why
--   opts.lang    the text's language ("fr", "de-AT", "en-GB"): month and
--                weekday names, which of day and month a numeric date
--                writes first (en-US: month first; dots are always day
--                first).  Default: the page's language (opts.page), else
--                none, and names are looked for in 15 languages.
--   opts.tz      the zone of times written without one: an IANA name
--                ("America/New_York": the offset of that date, daylight
--                saving right), an offset ("+02:00"), or an abbreviation
--                ("EET": that fixed offset all year).  Never the
--                machine's zone.  A bad tz raises.
--   opts.utc     true: times with a known offset are converted to +00:00
--   opts.now     the reference time of relative dates ("2 hours ago",
--                "вчора, 14:05") and of dates without a year.  Default:
--                date.reference(opts.page), else pipe.options.now.
--   opts.format  an strftime-like pattern: %d %e %m %Y %y %H %I %M %S %p
--                %b %B %h (month names) %a %A (weekday names) %z %Z %%; a
--                space matches any run of spaces; it may match inside
--                the text.  A bad format raises.
--   opts.page    a page table: fills lang and now when they are not given
--   The why of a nil says what went wrong, quoting the text: "no date in
--   'x'", "invalid date '31.02.2026'", "relative date '2 hours ago' needs
--   a reference time (--now, or the record's `fetched`)", "no year in
--   '17 January' (...)", "'x' does not match format '%d.%m.%Y'".
--
-- date.reference(page) -> ISO | nil: pipe.options.now (`--now`, or `--set
--   now=...`), else the record's `fetched` (records mode: what the crawler
--   or WARC reader says), else page.fetched; normalised by date.parse.
-- date.lang(page) -> tag | nil: <html lang>, else <meta
--   http-equiv=content-language>, else og:locale.
-- date.check_tz(tz) -> true | nil, msg    date.check_format(f) -> true | nil, msg
-- date.names(lang) -> {months = {...}, weekdays = {... Monday first},
--   order = "dmy"|"mdy"|"ymd"} | nil, msg: what CLDR says for a language.
-- date.lower(s): ASCII and Cyrillic lowercase (for lib/meta's comparisons).
--
-- Output: a date alone "2026-01-17"; a time without a known zone
-- "2026-01-17T14:05:00"; with one "2026-01-17T14:05:00+02:00".  Seconds
-- are always written (":00" when the text gives minutes); fractions of a
-- second are dropped.  Relative dates in hours, minutes or seconds give a
-- time, in days, weeks, months or years a date.
local date = {}

local core = require("date")  -- the plugin (pipe.loaded), whatever the globals say

local function options()
  return (pipe and pipe.options) or {}
end

-- what a page says about itself, looked up once per document
local function page_info(page)
  local c = page._date
  if c and c.doc == page.doc then return c end
  c = { doc = page.doc }
  page._date = c
  local doc = page.doc
  if doc then
    local root = doc:root()
    local l = root and (root:attr("lang") or root:attr("xml:lang"))
    if not (l and l:find("%S")) then
      for _, m in ipairs(doc:select("meta[http-equiv][content]")) do
        if m:attr("http-equiv"):lower() == "content-language" then l = m:attr("content"); break end
      end
    end
    if not (l and l:find("%S")) then
      local m = doc:first("meta[property='og:locale'][content]")
      l = m and m:attr("content")
    end
    -- "en-US,en;q=0.9" -> "en-US"
    l = l and l:match("^%s*([%a][%w_-]*)")
    c.lang = l
  end
  return c
end

function date.lang(page)
  if type(page) ~= "table" then return nil end
  return page_info(page).lang
end

function date.reference(page)
  local now = options().now
  if now ~= nil then return now end
  if type(page) ~= "table" then return nil end
  local c = page_info(page)
  if c.now == nil then
    local v = type(page.record) == "table" and page.record.fetched or page.fetched
    c.now = (v ~= nil and core.parse(v)) or false
  end
  return c.now or nil
end

function date.parse(s, opts)
  local o = {}
  if opts ~= nil then
    if type(opts) ~= "table" then error("date.parse: opts must be a table", 2) end
    for k, v in pairs(opts) do
      if k ~= "page" then o[k] = v end
    end
  end
  local page = opts and opts.page
  if o.now == nil then
    if page then o.now = date.reference(page) else o.now = options().now end
  end
  if o.lang == nil and page then o.lang = date.lang(page) end
  return core.parse(s, o)
end

date.check_tz = core.check_tz
date.check_format = core.check_format
date.names = core.names

-- the capital Cyrillic letters (U+0400-U+042F, U+0490: two bytes led by
-- \208 or \210) -> their small letters
local CYRILLIC_LOWER = {}
for c = 0x400, 0x42F do
  CYRILLIC_LOWER[utf8.char(c)] = utf8.char(c < 0x410 and c + 0x50 or c + 0x20)
end
CYRILLIC_LOWER[utf8.char(0x490)] = utf8.char(0x491)

-- lowercase ASCII and Cyrillic (UTF-8; invalid UTF-8 with a Cyrillic
-- lead byte raises, as utf8.codes does)
function date.lower(s)
  s = s:lower()
  if not s:find("[\208\209\210]") then return s end
  if utf8.len(s) then return (s:gsub("[\208\210][\128-\191]", CYRILLIC_LOWER)) end
  local out = {}
  for _, c in utf8.codes(s) do
    if c >= 0x410 and c <= 0x42F then c = c + 0x20
    elseif c >= 0x400 and c <= 0x40F then c = c + 0x50
    elseif c == 0x490 then c = 0x491 end
    out[#out + 1] = utf8.char(c)
  end
  return table.concat(out)
end

return date
