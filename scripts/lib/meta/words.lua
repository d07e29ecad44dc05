-- Word-level text comparison for lib/meta: lowercasing beyond ASCII, word
-- lists, agreement between two texts, and whether a text names the site.
--
--   words.lower(s)            lowercase ASCII, Latin-1, Latin Extended-A,
--                             Greek and Cyrillic letters
--   words.list(s) -> {w...}   lowercase words (runs of letters and digits;
--                             punctuation and symbols split them); the
--                             list is shared: do not change it
--   words.spans(s) -> {{w=, a=, b=}...}  words with their byte ranges
--   words.run(s, list) -> a, b   where the words of list stand together in s
--   words.agree(a, b) -> 0..1 shared distinct words / the larger count of
--                             distinct words (a, b: strings or word lists)
--   words.site(page, names) -> matcher: matcher.names(s) is true when s
--                             names the site: one of `names` (site name,
--                             publisher, ...) or mostly the letters of
--                             the page's host name; matcher.given(s):
--                             s is one of `names`; matcher.named: the
--                             page gave names
--
-- Caveats: \w is PCRE2's Unicode class, so "l’action" is two words and a
-- dash is none; agreement ignores punctuation and order on purpose (the
-- same headline in <title> and <h1> differs in dashes and quotes).
-- globals read on every page, as file locals
local type, ipairs, pairs, setmetatable = type, ipairs, pairs, setmetatable
local tconcat, math_max = table.concat, math.max
local utf8_codepoint, utf8_char = utf8.codepoint, utf8.char
local url = require("lib.url")
local dates = require("lib.meta.dates")

local words = {}

local WORD = re.compile("\\w+")

local function lower_cp(c)
  if c < 0x80 then
    if c >= 0x41 and c <= 0x5A then return c + 0x20 end
  elseif c >= 0xC0 and c <= 0xDE and c ~= 0xD7 then return c + 0x20
  elseif c >= 0x100 and c <= 0x17F then
    -- Latin Extended-A: pairs, mostly even = upper (a few odd ranges)
    if (c >= 0x139 and c <= 0x148) or (c >= 0x179 and c <= 0x17E) then
      if c % 2 == 1 then return c + 1 end
    elseif c % 2 == 0 and c ~= 0x138 then return c + 1 end
  elseif c >= 0x391 and c <= 0x3AB then return c + 0x20
  elseif c >= 0x410 and c <= 0x42F then return c + 0x20
  elseif c >= 0x400 and c <= 0x40F then return c + 0x50
  elseif c == 0x490 then return 0x491
  end
  return c
end

-- two-byte UTF-8 capitals -> their lowercase (the code points lower_cp
-- maps are all two bytes long, and so are their lowercase forms), false
-- for other characters; filled as characters are met (building the whole
-- table up front cost every run ~10 M instructions, a third of a small
-- page's Lua time)
local LOWER2 = setmetatable({}, { __index = function(t, ch)
  local c = utf8_codepoint(ch)
  local l = lower_cp(c)
  local v = l ~= c and utf8_char(l) or false
  t[ch] = v
  return v
end })

function words.lower(s)
  s = s:lower()
  if not s:find("[\195-\213]") then return s end
  return (s:gsub("[\195-\213][\128-\191]", LOWER2))
end

-- punctuation, symbols and spaces written with two or three bytes
-- (U+00A0-U+00BF but ª µ º, U+2000-U+206F, U+20A0-U+20CF, U+3000-U+303F,
-- U+FF01-U+FF0F) become spaces before words are split
local PUNCT = "\194[\160-\169\171-\180\182-\185\187-\191]" ..
  "|\226\128[\128-\191]|\226\129[\128-\175]|\226\130[\160-\191]|\227\128[\128-\191]|\239\188[\129-\143]"
local PUNCT_PATTERNS = {}
for alt in PUNCT:gmatch("[^|]+") do PUNCT_PATTERNS[#PUNCT_PATTERNS + 1] = alt end

-- word lists of strings seen lately (pages repeat their titles, names and
-- segments many times over): a plain table, emptied when it grows large
local LISTS, nlists = {}, 0
local EMPTY = {}

function words.list(s)
  if type(s) ~= "string" then return EMPTY end
  local cached = LISTS[s]
  if cached then return cached end
  local key = s
  local out = {}
  s = words.lower(s)
  if s:find("[\194\226\227\239]") then
    for _, p in ipairs(PUNCT_PATTERNS) do s = s:gsub(p, " ") end
  end
  for w in s:gmatch("[%w\128-\255]+") do out[#out + 1] = w end
  if nlists >= 4096 then LISTS, nlists = {}, 0 end
  LISTS[key] = out
  nlists = nlists + 1
  return out
end

-- words.spans(s) -> {{w=, a=, b=}...}: the words of s with the byte
-- range each takes in s (lowercasing keeps byte lengths)
function words.spans(s)
  local out, init = {}, 1
  local l = words.lower(s)
  while true do
    local a, b = WORD:find(l, init)
    if not a then break end
    out[#out + 1] = { w = l:sub(a, b), a = a, b = b }
    init = b + 1
  end
  return out
end

-- words.run(s, list) -> a, b: the byte range of s holding the words of
-- list in order and contiguous (first occurrence), nil when none
function words.run(s, list)
  local sp = words.spans(s)
  local n = #list
  if n == 0 then return nil end
  for i = 1, #sp - n + 1 do
    local ok = true
    for k = 1, n do
      if sp[i + k - 1].w ~= list[k] then ok = false; break end
    end
    if ok then return sp[i].a, sp[i + n - 1].b end
  end
  return nil
end

local SETS = setmetatable({}, { __mode = "k" })
local function set_of(list)
  local c = SETS[list]
  if c then return c[1], c[2] end
  local set, n = {}, 0
  for _, w in ipairs(list) do
    if not set[w] then set[w] = true; n = n + 1 end
  end
  SETS[list] = { set, n }
  return set, n
end

function words.agree(a, b)
  if type(a) == "string" then a = words.list(a) end
  if type(b) == "string" then b = words.list(b) end
  local sa, na = set_of(a)
  local sb, nb = set_of(b)
  if na == 0 or nb == 0 then return 0 end
  local common = 0
  for w in pairs(sa) do if sb[w] then common = common + 1 end end
  return common / math_max(na, nb)
end

-- the letters of a host name without "www." and the top-level domain:
-- "www.archiv.krimiblog.de" -> "archivkrimiblog"
local function host_letters(host)
  if not host then return nil end
  host = host:gsub("^www%d?%.", "")
  host = host:gsub("%.[%a%d-]+$", "")
  host = host:gsub("[^%w]", "")
  if #host < 3 then return nil end
  return host:lower()
end

function words.site(page, names)
  local lnames = {}
  for _, n in ipairs(names) do
    if type(n) == "string" and #n >= 2 then
      local l = tconcat(words.list(n), " ")
      if l ~= "" then lnames[#lnames + 1] = l end
    end
  end
  local host = host_letters(url.host(dates.original_url(url.of_page(page))))
  local matcher = { named = #lnames > 0 }
  local memo = {}
  -- one of the names the page gives its site
  function matcher.given(s)
    local l = tconcat(words.list(s), " ")
    if l == "" then return false end
    for _, n in ipairs(lnames) do if l == n then return true end end
    return false
  end
  local function names(s)
    local list = words.list(s)
    if #list == 0 then return false end
    local l = tconcat(list, " ")
    for _, n in ipairs(lnames) do
      -- the name, a part of it, or the name with a word or two more
      -- ("Blog Wolfgang Schmale"), not a headline that mentions it
      if l == n or (#l >= 4 and n:find(l, 1, true))
         or (#n >= 4 and l:find(n, 1, true) and #list <= #words.list(n) + 2) then
        return true
      end
    end
    -- "Krimiblog-Archiv" on archiv.krimiblog.de, "stol.it", "DOMRADIO.DE"
    if host and #list <= 6 then
      local covered, total = 0, 0
      for _, w in ipairs(list) do
        total = total + #w
        if #w >= 3 and host:find(w, 1, true) then covered = covered + #w end
      end
      if covered > 0 and covered >= 0.5 * total then return true end
    end
    return false
  end
  function matcher.names(s)
    local r = memo[s]
    if r == nil then r = names(s); memo[s] = r end
    return r
  end
  return matcher
end

return words
