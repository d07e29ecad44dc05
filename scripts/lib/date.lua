-- Dates found on pages, normalised to ISO 8601.
--
-- date.parse(s [, opts]) -> ISO string | nil
--   opts.format  strftime-like pattern: %d %e %m %Y %y %H %I %M %S %p %b %B
--                %z %%; any other character matches itself, a space matches
--                any run of spaces; the pattern may match inside the text
--   opts.tz      offset applied when the text has none: "+02:00", "+0200",
--                "Z", "UTC", "GMT" or a fixed-offset abbreviation (EET =
--                +02:00, EEST = +03:00, MSK = +03:00, CET, CEST, WET, WEST,
--                BST, EST, EDT, CST, CDT, MST, MDT, PST, PDT).  Never the
--                machine's timezone.  Abbreviations are fixed offsets: "EET"
--                in July is still +02:00.
--   opts.now     ISO string, the reference for relative dates ("2 hours
--                ago", "yesterday, 14:05", "вчора", "сьогодні"); without it
--                relative dates give nil
--
-- Output:
--   date only                          "2026-01-17"
--   date and time, no zone, no tz      "2026-01-17T14:05:00"
--   date and time with zone            "2026-01-17T14:05:00+02:00"
--   "Z", "UTC", "GMT" are normalised to "+00:00"; fractional seconds are
--   dropped; Unix timestamps (10 digits, or 13 for milliseconds) are UTC.
-- Day-first is assumed for numeric dates ("01/02/2026" is 1 February)
-- unless the second number cannot be a month ("01/17/2026").  Month names:
-- English, Ukrainian and Russian, full or abbreviated, any grammatical case
-- ("січня", "січні", "января", "янв.").  Invalid dates (31 February) give nil.
--
-- Pure Lua (string library only), so it also runs in a plain interpreter.
local date = {}

local ZONES = {
  Z = 0, UT = 0, UTC = 0, GMT = 0,
  WET = 0, WEST = 60, BST = 60, CET = 60, CEST = 120,
  EET = 120, EEST = 180, MSK = 180,
  EST = -300, EDT = -240, CST = -360, CDT = -300,
  MST = -420, MDT = -360, PST = -480, PDT = -420,
}

-- Month names.  English: full names and three-letter abbreviations
-- ("sept" too).  Ukrainian and Russian: the abbreviation (three letters) or
-- any word starting with the stem, which covers every grammatical case.
local EN_MONTHS = { "january", "february", "march", "april", "may", "june",
  "july", "august", "september", "october", "november", "december" }
local CYR_STEMS = {
  { "січ", 1 }, { "лют", 2 }, { "берез", 3 }, { "квіт", 4 }, { "трав", 5 },
  { "черв", 6 }, { "лип", 7 }, { "серп", 8 }, { "верес", 9 }, { "жовт", 10 },
  { "листоп", 11 }, { "груд", 12 },
  { "январ", 1 }, { "феврал", 2 }, { "март", 3 }, { "апрел", 4 },
  { "ма", 5 }, { "июн", 6 }, { "июл", 7 }, { "август", 8 },
  { "сентябр", 9 }, { "октябр", 10 }, { "ноябр", 11 }, { "декабр", 12 },
}
local CYR_SHORT = {
  ["січ"] = 1, ["лют"] = 2, ["бер"] = 3, ["кві"] = 4, ["тра"] = 5,
  ["чер"] = 6, ["лип"] = 7, ["сер"] = 8, ["вер"] = 9, ["жов"] = 10,
  ["лис"] = 11, ["гру"] = 12,
  ["янв"] = 1, ["фев"] = 2, ["мар"] = 3, ["апр"] = 4, ["май"] = 5,
  ["мая"] = 5, ["мае"] = 5, ["июн"] = 6, ["июл"] = 7, ["авг"] = 8,
  ["сен"] = 9, ["сент"] = 9, ["окт"] = 10, ["ноя"] = 11, ["нояб"] = 11,
  ["дек"] = 12,
}
local MONTHS = { sept = 9 }
for i, name in ipairs(EN_MONTHS) do
  MONTHS[name] = i
  MONTHS[name:sub(1, 3)] = i
end
-- Russian May: май, мая, мае (ма- alone would catch too many words)
local RU_MAY = { ["май"] = true, ["мая"] = true, ["мае"] = true, ["маю"] = true }

local UNITS = {
  second = 1, sec = 1, s = 1, minute = 60, min = 60, m = 60,
  hour = 3600, hr = 3600, h = 3600, day = 86400, d = 86400,
  week = 604800, w = 604800,
  ["секунд"] = 1, ["сек"] = 1, ["хвилин"] = 60, ["хв"] = 60,
  ["минут"] = 60, ["мин"] = 60, ["годин"] = 3600, ["год"] = 3600,
  ["час"] = 3600, ["ч"] = 3600, ["дн"] = 86400, ["ден"] = 86400,
  ["день"] = 86400, ["дня"] = 86400, ["днів"] = 86400, ["дней"] = 86400,
  ["тиж"] = 604800, ["нед"] = 604800,
}

-- lowercase ASCII and Cyrillic (UTF-8)
local function lower(s)
  s = s:lower()
  if not s:find("[\208\209\210]") then return s end
  local out = {}
  for _, c in utf8.codes(s) do
    if c >= 0x410 and c <= 0x42F then c = c + 0x20
    elseif c >= 0x400 and c <= 0x40F then c = c + 0x50
    elseif c == 0x490 then c = 0x491 end
    out[#out + 1] = utf8.char(c)
  end
  return table.concat(out)
end
date.lower = lower

local function month_of(word)
  local w = lower(word)
  local m = MONTHS[w] or CYR_SHORT[w]
  if m then return m end
  if not w:find("^[\208\209]") then return nil end
  for _, stem in ipairs(CYR_STEMS) do
    if w:sub(1, #stem[1]) == stem[1] then
      if stem[2] == 5 and stem[1] == "ма" then
        if RU_MAY[w] then return 5 end
      else
        return stem[2]
      end
    end
  end
  return nil
end
date.month_of = month_of

local function is_leap(y) return (y % 4 == 0 and y % 100 ~= 0) or y % 400 == 0 end
local function days_in(y, m)
  local d = ({ 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 })[m]
  if m == 2 and is_leap(y) then d = 29 end
  return d
end

-- days since 1970-01-01 (Howard Hinnant's days_from_civil)
local function days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = (y >= 0 and y or y - 399) // 400
  local yoe = y - era * 400
  local mp = (m + 9) % 12
  local doy = (153 * mp + 2) // 5 + d - 1
  local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
  return era * 146097 + doe - 719468
end

local function civil_from_days(z)
  z = z + 719468
  local era = (z >= 0 and z or z - 146096) // 146097
  local doe = z - era * 146097
  local yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
  local y = yoe + era * 400
  local doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
  local mp = (5 * doy + 2) // 153
  local d = doy - (153 * mp + 2) // 5 + 1
  local m = mp < 10 and mp + 3 or mp - 9
  if m <= 2 then y = y + 1 end
  return y, m, d
end

-- offset text -> minutes east of UTC, or nil
local function offset_of(s)
  if type(s) ~= "string" then return nil end
  local z = ZONES[s:upper()]
  if z then return z end
  local sign, hh, mm = s:match("^([+-])(%d%d):?(%d%d)$")
  if not sign then sign, hh = s:match("^([+-])(%d%d?)$"); mm = "0" end
  if not sign then
    sign, hh, mm = s:upper():match("^GMT([+-])(%d%d?):?(%d?%d?)$")
    if not sign then
      sign, hh, mm = s:upper():match("^UTC([+-])(%d%d?):?(%d?%d?)$")
    end
    if not sign then return nil end
    if mm == "" then mm = "0" end
  end
  local v = tonumber(hh) * 60 + tonumber(mm)
  if tonumber(hh) > 14 or tonumber(mm) > 59 then return nil end
  return sign == "-" and -v or v
end
date.offset = offset_of

local function fmt_offset(min)
  local sign = min < 0 and "-" or "+"
  min = math.abs(min)
  return string.format("%s%02d:%02d", sign, min // 60, min % 60)
end

-- build the ISO string; nil when a component is out of range
local function build(t)
  local y, m, d = t.y, t.m, t.d
  if not (y and m and d) then return nil end
  if y < 100 then y = y + 2000 end
  if y < 1000 or y > 9999 or m < 1 or m > 12 or d < 1 or d > days_in(y, m) then
    return nil
  end
  local s = string.format("%04d-%02d-%02d", y, m, d)
  if t.H == nil then return s end
  local H, M, S = t.H, t.M or 0, t.S or 0
  if t.pm ~= nil then
    if H < 1 or H > 12 then return nil end
    if t.pm then H = H % 12 + 12 else H = H % 12 end
  end
  if H > 23 or M > 59 or S > 60 then return nil end
  if S == 60 then S = 59 end
  s = s .. string.format("T%02d:%02d:%02d", H, M, S)
  if t.off then s = s .. fmt_offset(t.off) end
  return s
end

-- seconds since the epoch (UTC) and offset -> ISO with that offset
local function from_epoch(secs, off)
  local local_secs = secs + (off or 0) * 60
  local days = local_secs // 86400
  local rem = local_secs - days * 86400
  local y, m, d = civil_from_days(days)
  return build({ y = y, m = m, d = d, H = rem // 3600, M = rem % 3600 // 60,
                 S = rem % 60, off = off })
end

-- parse an ISO form -> table with y m d [H M S off]
local function parse_iso(s)
  local y, m, d, rest = s:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)(.*)$")
  if not y then
    y, m, d, rest = s:match("^(%d%d%d%d)(%d%d)(%d%d)(T.*)$")
  end
  if not y then return nil end
  local t = { y = tonumber(y), m = tonumber(m), d = tonumber(d) }
  if rest == "" then return t end
  local H, M, tail = rest:match("^[T ](%d%d):?(%d%d)(.*)$")
  if not H then
    if rest:match("^%s*$") then return t end
    return nil
  end
  t.H, t.M = tonumber(H), tonumber(M)
  local S, tail2 = tail:match("^:?(%d%d)(.*)$")
  if S then t.S = tonumber(S); tail = tail2 end
  tail = tail:gsub("^[.,]%d+", "")
  tail = tail:match("^%s*(.-)%s*$")
  if tail ~= "" then
    t.off = offset_of(tail)
    if not t.off then return nil end
  end
  return t
end

local function parse_now(now)
  if type(now) ~= "string" then return nil end
  local t = parse_iso(now)
  if not t or not build(t) then return nil end
  t.H, t.M, t.S = t.H or 0, t.M or 0, t.S or 0
  return t
end

-- seconds since epoch of a parsed table (its own wall clock, offset ignored)
local function wall_secs(t)
  return days_from_civil(t.y, t.m, t.d) * 86400 + (t.H or 0) * 3600
      + (t.M or 0) * 60 + (t.S or 0)
end

local function epoch_of(t)
  return wall_secs(t) - (t.off or 0) * 60
end

-- relative dates; s is lowercase
local function parse_relative(s, now)
  local n, unit = s:match("(%d+)%s*([%a\128-\255]+)%.?%s+ago")
  if not n then n, unit = s:match("(%d+)%s*([%a\128-\255]+)%.?%s+тому") end
  if not n then n, unit = s:match("(%d+)%s*([%a\128-\255]+)%.?%s+назад") end
  local an
  if not n then
    an, unit = s:match("^(an?)%s+(%a+)%s+ago")
    if an then n = 1 end
  end
  if n then
    if not now then return nil, true end
    local u = unit:gsub("s$", "")
    local secs = UNITS[u]
    if not secs then
      for stem, v in pairs(UNITS) do
        if #stem >= 2 and u:sub(1, #stem) == stem and utf8.len(stem) >= 2 then
          secs = v
          break
        end
      end
    end
    if not secs then return nil, true end
    return from_epoch(epoch_of(now) - tonumber(n) * secs, now.off), true
  end
  if s:find("just now", 1, true) or s:find("щойно", 1, true) or s:find("только что", 1, true) then
    if not now then return nil, true end
    return from_epoch(epoch_of(now), now.off), true
  end
  local back
  if s:find("позавчора", 1, true) or s:find("позавчера", 1, true) then back = 2
  elseif s:find("yesterday", 1, true) or s:find("вчора", 1, true) or s:find("вчера", 1, true) then back = 1
  elseif s:find("today", 1, true) or s:find("сьогодні", 1, true) or s:find("сегодня", 1, true) then back = 0
  end
  if not back then return nil, false end
  if not now then return nil, true end
  local y, m, d = civil_from_days(days_from_civil(now.y, now.m, now.d) - back)
  local t = { y = y, m = m, d = d }
  local H, M = s:match("(%d%d?):(%d%d)")
  if H then
    t.H, t.M, t.S = tonumber(H), tonumber(M), 0
    t.off = now.off
  end
  return build(t), true
end

local FORMAT_ITEMS = {
  d = { "(%d%d?)", "d" }, e = { "(%d%d?)", "d" }, m = { "(%d%d?)", "m" },
  Y = { "(%d%d%d%d)", "y" }, y = { "(%d%d)", "y" }, H = { "(%d%d?)", "H" },
  I = { "(%d%d?)", "H" }, M = { "(%d%d)", "M" }, S = { "(%d%d)", "S" },
  p = { "([AaPp]%.?[Mm]%.?)", "p" }, b = { "([%a\128-\255]+)%.?", "b" },
  B = { "([%a\128-\255]+)%.?", "b" }, z = { "([+-]%d%d:?%d%d)", "z" },
  Z = { "(%a+)", "z" },
}

-- compile a format to a Lua pattern and the list of capture kinds
local function compile_format(f)
  local pat, kinds, i = {}, {}, 1
  while i <= #f do
    local c = f:sub(i, i)
    if c == "%" then
      local k = f:sub(i + 1, i + 1)
      if k == "%" then
        pat[#pat + 1] = "%%"
      else
        local item = FORMAT_ITEMS[k]
        if not item then return nil, "unknown directive '%" .. k .. "' in format '" .. f .. "'" end
        pat[#pat + 1] = item[1]
        kinds[#kinds + 1] = item[2]
      end
      i = i + 2
    elseif c:match("%s") then
      pat[#pat + 1] = "%s*"
      i = i + 1
      while f:sub(i, i):match("^%s$") do i = i + 1 end
    else
      pat[#pat + 1] = c:match("%w") and c or "%" .. c
      if c:byte() >= 128 then pat[#pat] = c end
      i = i + 1
    end
  end
  return table.concat(pat), kinds
end

-- date.check_format(f) -> true | nil, msg
function date.check_format(f)
  if type(f) ~= "string" or f == "" then return nil, "format must be a non-empty string" end
  local p, err = compile_format(f)
  if not p then return nil, err end
  return true
end

local function parse_format(s, f)
  local pat, kinds = compile_format(f)
  if not pat then error(kinds, 2) end
  local caps = { s:match(pat) }
  if #caps == 0 then return nil end
  local t = {}
  for i, k in ipairs(kinds) do
    local v = caps[i]
    if k == "b" then
      t.m = month_of(v)
      if not t.m then return nil end
    elseif k == "p" then
      t.pm = v:lower():sub(1, 1) == "p"
    elseif k == "z" then
      t.off = offset_of(v)
      if not t.off then return nil end
    else
      t[k] = tonumber(v)
    end
  end
  if t.H and not t.M then t.M = 0 end
  return t
end

-- the general text parser; s is trimmed
local function parse_text(s)
  local t = {}
  -- time of day, then a zone after it
  local ts, te, H, M, rest = s:find("(%d%d?):(%d%d)(.*)$")
  local datepart = s
  if ts then
    t.H, t.M = tonumber(H), tonumber(M)
    local S, after = rest:match("^:(%d%d)(.*)$")
    if S then t.S = tonumber(S); rest = after end
    rest = rest:gsub("^[.,]%d+", "")
    local ampm, after2 = rest:match("^%s*([AaPp]%.?[Mm]%.?)(.*)$")
    if ampm then
      t.pm = ampm:lower():sub(1, 1) == "p"
      rest = after2
    end
    local z = rest:match("^%s*%(?([+-]%d%d:?%d%d)")
        or rest:match("^%s*%(?(%a%a%a?%a?[+-]%d%d?:?%d?%d?)")
        or rest:match("^%s*%(?(%a%a?%a?%a?)%f[^%a]")
    if z then t.off = offset_of(z) end
    datepart = s:sub(1, ts - 1) .. " " .. (rest or "")
  end
  -- numeric date: Y-M-D or D.M.Y
  local a, b, c = datepart:match("(%d%d?%d?%d?)[./-](%d%d?)[./-](%d%d%d?%d?)")
  if a then
    if #a == 4 then
      t.y, t.m, t.d = tonumber(a), tonumber(b), tonumber(c)
    elseif #c == 4 or #c == 2 then
      t.d, t.m, t.y = tonumber(a), tonumber(b), tonumber(c)
      if t.m > 12 and t.d <= 12 then t.d, t.m = t.m, t.d end
    else
      return nil
    end
    return t
  end
  -- a month name with a day and a year around it
  local month, mpos, mend
  local init = 1
  while true do
    local ws, we = datepart:find("[%a\128-\255]+", init)
    if not ws then break end
    local m = month_of(datepart:sub(ws, we))
    if m then month, mpos, mend = m, ws, we; break end
    init = we + 1
  end
  if not month then return nil end
  t.m = month
  local nums = {}
  for p, n in datepart:gmatch("()(%d+)") do nums[#nums + 1] = { pos = p, s = n } end
  local day, best
  for _, n in ipairs(nums) do
    if #n.s == 4 and not t.y then
      t.y = tonumber(n.s)
    elseif #n.s <= 2 then
      local dist = n.pos < mpos and mpos - n.pos or n.pos - mend
      if not best or dist < best then best, day = dist, tonumber(n.s) end
    end
  end
  if not day then return nil end
  t.d = day
  return t
end

function date.parse(s, opts)
  if type(s) == "number" then s = string.format("%d", s) end
  if type(s) ~= "string" then return nil end
  opts = opts or {}
  s = s:gsub("\194\160", " "):gsub("\226\128[\128-\138\175]", " ")
  s = s:match("^%s*(.-)%s*$")
  if s == "" then return nil end
  local tzoff
  if opts.tz then
    tzoff = offset_of(opts.tz)
    if not tzoff then error("bad tz '" .. tostring(opts.tz) .. "'", 2) end
  end
  local now = parse_now(opts.now)

  local t
  if opts.format then
    t = parse_format(s, opts.format)
    if not t then return nil end
  else
    -- Unix timestamps
    if s:match("^%d+$") then
      if #s == 10 or #s == 9 then return from_epoch(tonumber(s), 0) end
      if #s == 13 then return from_epoch(tonumber(s) // 1000, 0) end
      if #s == 8 then
        return build({ y = tonumber(s:sub(1, 4)), m = tonumber(s:sub(5, 6)),
                       d = tonumber(s:sub(7, 8)) })
      end
      return nil
    end
    t = parse_iso(s)
    if not t then
      local l = lower(s)
      local rel, was_relative = parse_relative(l, now)
      if was_relative then
        if rel and tzoff and not rel:find("[+-]%d%d:%d%d$") and rel:find("T") then
          rel = rel .. fmt_offset(tzoff)
        end
        return rel
      end
      t = parse_text(s)
      if not t then return nil end
    end
  end
  if not t.y and now then
    t.y = now.y
    -- a day-month without a year that lies ahead of `now` is from last year
    if t.m and t.d and (t.m > now.m or (t.m == now.m and t.d > now.d + 1)) then
      t.y = t.y - 1
    end
  end
  if t.H and not t.off and tzoff then t.off = tzoff end
  return build(t)
end

return date
