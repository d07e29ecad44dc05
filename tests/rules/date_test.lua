-- Table-driven tests for the date parser (plugins/date.c through
-- scripts/lib/date.lua).  Run by tests/e2e/dates.sh as `pipe run
-- tests/rules/date_test.lua PAGE`: the returned function checks every
-- case and raises an error listing the failures, so the page (and the e2e
-- test) fails when a case breaks; when all pass it returns
-- {cases = N, failed = 0}.
--
-- A case is { text, expected ISO string or nil, opts, why = "..." }: with
-- why, a nil result must come with exactly that message.
local date = require("lib.date")

local NOW = "2026-01-17T16:30:00+02:00"
local N = { now = NOW }

local cases = {
  -- ISO 8601 and datetime attributes: offsets kept in every form
  { "2026-01-17", "2026-01-17" },
  { "2026-01-17T14:05:00+02:00", "2026-01-17T14:05:00+02:00" },
  { "2026-01-17T14:05:00Z", "2026-01-17T14:05:00+00:00" },
  { "2026-01-17T14:05:00.123+0200", "2026-01-17T14:05:00+02:00" },
  { "2026-01-17T14:05:00,5-03:30", "2026-01-17T14:05:00-03:30" },
  { "2026-01-17T14:05", "2026-01-17T14:05:00" },
  { "2026-01-17 14:05", "2026-01-17T14:05:00" },
  { "2026-01-17 14:05:00 +0100", "2026-01-17T14:05:00+01:00" },
  { "2018-10-29T10:15-500", "2018-10-29T10:15:00-05:00" },
  { "2018-10-29T10:15+05", "2018-10-29T10:15:00+05:00" },
  { "  2026-01-17T14:05:00-05:00 ", "2026-01-17T14:05:00-05:00" },
  { "20260117", "2026-01-17" },
  { "20260117T140500Z", "2026-01-17T14:05:00+00:00" },
  { "2026-01-17 14:05 GMT", "2026-01-17T14:05:00+00:00" },
  { "2026-01-17 14:05 UTC+05:30", "2026-01-17T14:05:00+05:30" },
  { "17.01.2026 14:05 (GMT+2)", "2026-01-17T14:05:00+02:00" },
  { "17.01.2026 14:05 UTC−3", "2026-01-17T14:05:00-03:00" },
  -- Unix time (UTC)
  { "1768651500", "2026-01-17T12:05:00+00:00" },
  { "1768651500000", "2026-01-17T12:05:00+00:00" },
  { 1768651500, "2026-01-17T12:05:00+00:00" },
  -- RFC 2822 and English
  { "Sat, 17 Jan 2026 14:05:00 +0200", "2026-01-17T14:05:00+02:00" },
  { "Sat, 17 Jan 2026 14:05:00 GMT", "2026-01-17T14:05:00+00:00" },
  { "Tuesday 29 November 2016 20.26 GMT", "2016-11-29T20:26:00+00:00" },
  { "November 29, 2016", "2016-11-29" },
  { "Nov. 29, 2016 at 8:26 p.m. EST", "2016-11-29T20:26:00-05:00" },
  { "Jan 17, 2026 2:05 pm", "2026-01-17T14:05:00" },
  { "Jan 17, 2026 12:05 AM", "2026-01-17T00:05:00" },
  { "Jan 17, 2026 12:05 PM", "2026-01-17T12:05:00" },
  { "17 January 2026, 14:05", "2026-01-17T14:05:00" },
  { "29th November 2016", "2016-11-29" },
  { "March 3rd, 2025", "2025-03-03" },
  { "Sept 3, 2025", "2025-09-03" },
  { "SEPTEMBER 3, 2025", "2025-09-03" },
  { "Published by Mark on March 3, 2025", "2025-03-03" },
  { "Fri Feb 18 10:27:24 2022", "2022-02-18T10:27:24" },
  { "Apr 042013", "2013-04-04" },
  { "Apr 992013", nil },
  { "Updated 10:15 a.m. ET, Oct. 29, 2018", "2018-10-29T10:15:00-04:00" },
  { "Jan. 5, 2026 10:15 a.m. ET", "2026-01-05T10:15:00-05:00" },
  { "July 4, 2026 9:00 PT", "2026-07-04T09:00:00-07:00" },
  -- generic zone names only in capitals: "at", "et" after a time are words
  { "Oct. 29, 2018 10:15 AT", "2018-10-29T10:15:00-03:00" },
  { "Oct. 29, 2018 10:15 at the harbour", "2018-10-29T10:15:00" },
  { "29 oct. 2018 10:15 et 11:00", "2018-10-29T10:15:00" },
  { "17 Jan 2026 14:05 EEST", "2026-01-17T14:05:00+03:00" },
  { "17 Jan 2026 14:05 CET", "2026-01-17T14:05:00+01:00" },
  { "17 Jul 2026 14:05 BST", "2026-07-17T14:05:00+01:00" },
  { "17 Jan 2026 14:05 EDT", "2026-01-17T14:05:00-04:00" },
  { "17 Jan 2026 14:05 AEDT", "2026-01-17T14:05:00+11:00" },
  -- IST is India's and Ireland's: no offset unless the language says which
  { "17 Jan 2026 14:05 IST", "2026-01-17T14:05:00" },
  { "17 Jan 2026 14:05 IST", "2026-01-17T14:05:00+05:30", { lang = "en-IN" } },
  { "17 Jul 2026 14:05 IST", "2026-07-17T14:05:00+01:00", { lang = "en-IE" } },
  -- German
  { "28. Dezember 2022", "2022-12-28" },
  { "Mittwoch, 28. Dezember 2022, 14:05 Uhr", "2022-12-28T14:05:00", { lang = "de" } },
  { "28.12.2022 um 14:05 Uhr MEZ", "2022-12-28T14:05:00+01:00", { lang = "de" } },
  { "28. Dez. 2022 um 14 Uhr", "2022-12-28T14:00:00", { lang = "de" } },
  { "28. MÄRZ 2022", "2022-03-28" },
  { "28. Marz 2022", "2022-03-28" },
  { "vor 3 Tagen", "2026-01-14", N },
  { "vor 2 Stunden", "2026-01-17T14:30:00+02:00", N },
  { "vor einer Stunde", "2026-01-17T15:30:00+02:00", { now = NOW, lang = "de" } },
  { "gestern, 14:05 Uhr", "2026-01-16T14:05:00+02:00", N },
  { "vorgestern", "2026-01-15", N },
  -- French
  { "7 mai 2019 à 13h59", "2019-05-07T13:59:00" },
  { "7 mai 2019 à 13h59", "2019-05-07T13:59:00+02:00", { lang = "fr", tz = "Europe/Paris" } },
  { "mardi 29 novembre 2016", "2016-11-29" },
  { "1er janvier 2026", "2026-01-01" },
  { "29 déc. 2016 à 8 h 26", "2016-12-29T08:26:00", { lang = "fr" } },
  { "29 DECEMBRE 2016", "2016-12-29" },
  { "il y a 2 heures", "2026-01-17T14:30:00+02:00", N },
  { "il y a une heure", "2026-01-17T15:30:00+02:00", N },
  { "il y a 3 jours", "2026-01-14", N },
  { "hier à 14h05", "2026-01-16T14:05:00+02:00", N },
  { "avant-hier", "2026-01-15", N },
  -- Spanish
  { "29 de noviembre de 2016", "2016-11-29" },
  { "martes, 29 de noviembre de 2016 20:26", "2016-11-29T20:26:00", { lang = "es" } },
  { "hace 3 días", "2026-01-14", N },
  { "hace 5 minutos", "2026-01-17T16:25:00+02:00", N },
  { "ayer", "2026-01-16", N },
  -- Italian
  { "29 novembre 2016 alle 20:26", "2016-11-29T20:26:00" },
  { "2 ore fa", "2026-01-17T14:30:00+02:00", N },
  { "ieri", "2026-01-16", N },
  { "Ora è il momento di parlare", nil, N, why = "no date in 'Ora è il momento di parlare'" },
  -- Portuguese
  { "29 de novembro de 2016, 20h26", "2016-11-29T20:26:00" },
  { "há 2 horas", "2026-01-17T14:30:00+02:00", N },
  { "ontem", "2026-01-16", N },
  -- Dutch
  { "29 november 2016 om 20:26", "2016-11-29T20:26:00" },
  { "2 uur geleden", "2026-01-17T14:30:00+02:00", N },
  { "gisteren", "2026-01-16", N },
  -- Polish
  { "29 listopada 2016, 20:26", "2016-11-29T20:26:00" },
  { "3 marca 2025", "2025-03-03" },
  { "3 godziny temu", "2026-01-17T13:30:00+02:00", N },
  { "5 godzin temu", "2026-01-17T11:30:00+02:00", N },
  { "wczoraj", "2026-01-16", N },
  -- Swedish, Danish
  { "29 november 2016 kl. 20.26", "2016-11-29T20:26:00" },
  { "för 2 timmar sedan", "2026-01-17T14:30:00+02:00", N },
  { "igår", "2026-01-16", N },
  { "29. november 2016 kl. 20.26", "2016-11-29T20:26:00" },
  { "for 2 timer siden", "2026-01-17T14:30:00+02:00", N },
  { "i går", "2026-01-16", N },
  -- Finnish (inflected: "tammikuussa" is "in January")
  { "29. marraskuuta 2016 klo 20.26", "2016-11-29T20:26:00" },
  { "3. tammikuussa 2026", "2026-01-03", { lang = "fi" } },
  { "2 tuntia sitten", "2026-01-17T14:30:00+02:00", N },
  { "eilen", "2026-01-16", N },
  -- Czech
  { "29. listopadu 2016 20:26", "2016-11-29T20:26:00" },
  { "v květnu 2025, 3", "2025-05-03", { lang = "cs" } },
  { "před 2 hodinami", "2026-01-17T14:30:00+02:00", N },
  { "včera", "2026-01-16", N },
  -- Turkish (dotted and dotless i)
  { "29 Kasım 2016 Salı 20:26", "2016-11-29T20:26:00" },
  { "29 KASIM 2016", "2016-11-29" },
  { "2 saat önce", "2026-01-17T14:30:00+02:00", N },
  { "dün", "2026-01-16", N },
  -- Ukrainian (any grammatical case; у/в alternation)
  { "17 січня 2026", "2026-01-17" },
  { "17 січня 2026 р., 14:05", "2026-01-17T14:05:00" },
  { "Вівторок, 29 листопада 2016, 20:26", "2016-11-29T20:26:00" },
  { "1 листопада 2025 о 09:15", "2025-11-01T09:15:00" },
  { "у серпні 2025, 3", "2025-08-03" },
  { "у березні 2025, 3", "2025-03-03" },
  { "середа, 17 вересня 2025", "2025-09-17" },
  { "17 СІЧНЯ 2026", "2026-01-17" },
  { "2 години тому", "2026-01-17T14:30:00+02:00", N },
  { "5 годин тому", "2026-01-17T11:30:00+02:00", N },
  { "годину тому", "2026-01-17T15:30:00+02:00", N },
  { "вчора, 14:05", "2026-01-16T14:05:00+02:00", N },
  { "учора о 14:05", "2026-01-16T14:05:00+02:00", N },
  { "сьогодні, 09:00", "2026-01-17T09:00:00+02:00", N },
  { "позавчора", "2026-01-15", N },
  -- Russian
  { "29 ноября 2016 г., 20:26", "2016-11-29T20:26:00" },
  { "17 января 2026", "2026-01-17" },
  { "17 янв 2026", "2026-01-17" },
  { "9 мая 2025 г.", "2025-05-09" },
  { "в июне 2025, 5", "2025-06-05", { lang = "ru" } },
  { "14:00 МСК, 17.01.2026", "2026-01-17T14:00:00+03:00" },
  { "2 часа назад", "2026-01-17T14:30:00+02:00", N },
  { "10 минут назад", "2026-01-17T16:20:00+02:00", N },
  { "вчера", "2026-01-16", N },
  -- numeric: dots are day first; / and - as the language writes them
  { "17.01.2026 14:05", "2026-01-17T14:05:00" },
  { "17/01/2026", "2026-01-17" },
  { "01/17/2026", "2026-01-17" },
  { "03.04.2026", "2026-04-03" },
  { "03/04/2026", "2026-04-03" },
  { "03/04/2026", "2026-03-04", { lang = "en-US" } },
  { "03/04/2026", "2026-03-04", { lang = "en" } },
  { "03/04/2026", "2026-04-03", { lang = "en-GB" } },
  { "03/04/2026", "2026-04-03", { lang = "fr" } },
  { "03.04.2026", "2026-04-03", { lang = "en-US" } },
  { "13/04/2026", "2026-04-13", { lang = "en-US" } },
  { "2026/03/04", "2026-03-04", { lang = "en-US" } },
  { "26/03/04", "2026-03-04", { lang = "hu" } },
  { "29. 11. 2016", "2016-11-29" },
  -- two-digit years: 2000-2049 and 1950-1999; with now, up to 20 years ahead
  { "17.01.26", "2026-01-17" },
  { "15.03.99", "1999-03-15" },
  { "15.03.49", "2049-03-15" },
  { "15.03.50", "1950-03-15" },
  { "15.03.46", "2046-03-15", N },
  { "15.03.47", "1947-03-15", N },
  { "17 Jan 26", "2026-01-17" },
  { "Jan 17 '26", "2026-01-17" },
  -- years from now
  { "17 January", "2026-01-17", N },
  { "18 January", "2026-01-18", N },
  { "20 December", "2025-12-20", N },
  { "17 January", nil, nil, why = "no year in '17 January' (a reference time, --now, supplies it)" },
  -- relative, in English
  { "2 hours ago", "2026-01-17T14:30:00+02:00", N },
  { "an hour ago", "2026-01-17T15:30:00+02:00", N },
  { "5 minutes ago", "2026-01-17T16:25:00+02:00", N },
  { "5m ago", "2026-01-17T16:25:00+02:00", N },
  { "3 days ago", "2026-01-14", N },
  { "2 weeks ago", "2026-01-03", N },
  { "3 months ago", "2025-10-17", N },
  { "2 years ago", "2024-01-17", N },
  { "yesterday, 14:05", "2026-01-16T14:05:00+02:00", N },
  { "Yesterday at 14:05", "2026-01-16T14:05:00+02:00", N },
  { "today", "2026-01-17", N },
  { "just now", "2026-01-17T16:30:00+02:00", N },
  { "yesterday, 23:00", "2025-12-31T23:00:00", { now = "2026-01-01T08:00:00" } },
  { "2 hours ago", nil, nil, why = "relative date '2 hours ago' needs a reference time (--now, or the record's `fetched`)" },
  { "сьогодні", nil, nil, why = "relative date 'сьогодні' needs a reference time (--now, or the record's `fetched`)" },
  -- tz: applied to times without an offset; IANA zones with daylight saving
  { "2018-10-29 10:15", "2018-10-29T10:15:00-04:00", { tz = "America/New_York" } },
  { "2018-11-05 10:15", "2018-11-05T10:15:00-05:00", { tz = "America/New_York" } },
  { "2018-03-11 01:59", "2018-03-11T01:59:00-05:00", { tz = "America/New_York" } },
  { "2018-03-11 03:00", "2018-03-11T03:00:00-04:00", { tz = "America/New_York" } },
  -- a skipped wall time keeps the offset before the gap; a repeated one
  -- is its first occurrence
  { "2018-03-11 02:30", "2018-03-11T02:30:00-05:00", { tz = "America/New_York" } },
  { "2018-11-04 01:30", "2018-11-04T01:30:00-04:00", { tz = "America/New_York" } },
  { "2026-03-29 03:30", "2026-03-29T03:30:00+02:00", { tz = "Europe/Kyiv" } },
  { "2026-03-29 04:30", "2026-03-29T04:30:00+03:00", { tz = "Europe/Kyiv" } },
  { "2026-10-25 03:30", "2026-10-25T03:30:00+03:00", { tz = "Europe/Kyiv" } },
  { "17.01.2026 12:00", "2026-01-17T12:00:00+11:00", { tz = "Australia/Sydney" } },
  { "17.07.2026 12:00", "2026-07-17T12:00:00+10:00", { tz = "Australia/Sydney" } },
  { "17.01.2026 12:00", "2026-01-17T12:00:00+05:45", { tz = "Asia/Kathmandu" } },
  { "17.01.2026 14:05", "2026-01-17T14:05:00+02:00", { tz = "+02:00" } },
  { "17.01.2026 14:05", "2026-01-17T14:05:00-05:00", { tz = "-0500" } },
  { "17.07.2026 14:05", "2026-07-17T14:05:00+02:00", { tz = "EET" } },
  { "17.01.2026 14:05", "2026-01-17T14:05:00+03:00", { tz = "MSK" } },
  { "17.01.2026 14:05", "2026-01-17T14:05:00+00:00", { tz = "UTC" } },
  { "2026-01-17T14:05:00-05:00", "2026-01-17T14:05:00-05:00", { tz = "Europe/Paris" } },
  { "17 Jan 2026 14:05 GMT", "2026-01-17T14:05:00+00:00", { tz = "Europe/Paris" } },
  { "17.01.2026", "2026-01-17", { tz = "Europe/Paris" } },
  -- utc: converted when the offset is known
  { "2026-01-17T14:05:00+02:00", "2026-01-17T12:05:00+00:00", { utc = true } },
  { "2026-01-17T01:05:00+02:00", "2026-01-16T23:05:00+00:00", { utc = true } },
  { "2018-10-29 10:15", "2018-10-29T14:15:00+00:00", { tz = "America/New_York", utc = true } },
  { "2026-01-17 14:05", "2026-01-17T14:05:00", { utc = true } },
  { "2026-01-17", "2026-01-17", { utc = true } },
  -- relative dates counted on the site's clock
  { "yesterday", "2026-01-15", { now = "2026-01-17T02:00:00+00:00", tz = "America/New_York" } },
  { "2 hours ago", "2026-01-16T19:00:00-05:00", { now = "2026-01-17T02:00:00+00:00", tz = "America/New_York" } },
  -- explicit format
  { "17-01-2026 at 14h05", "2026-01-17T14:05:00", { format = "%d-%m-%Y at %Hh%M" } },
  { "Posted: 2026/17/01", "2026-01-17", { format = "%Y/%d/%m" } },
  { "17 січня 2026", "2026-01-17", { format = "%d %B %Y" } },
  { "17 déc. 2026", "2026-12-17", { format = "%d %b %Y", lang = "fr" } },
  { "01/02/2026 03:04 PM", "2026-01-02T15:04:00", { format = "%m/%d/%Y %I:%M %p" } },
  { "01/02/2026 03:04 p.m.", "2026-01-02T15:04:00", { format = "%m/%d/%Y %I:%M %p" } },
  { "Sat 17.01.26 14:05 +0300", "2026-01-17T14:05:00+03:00", { format = "%a %d.%m.%y %H:%M %z" } },
  { "17.01.2026 14:05 CET", "2026-01-17T14:05:00+01:00", { format = "%d.%m.%Y %H:%M %Z" } },
  { "17.01 14:05", "2026-01-17T14:05:00", { format = "%d.%m %H:%M", now = NOW } },
  { "no date here", nil, { format = "%d.%m.%Y" }, why = "'no date here' does not match format '%d.%m.%Y'" },
  { "17.01", nil, { format = "%d.%m" }, why = "no year in '17.01' (a reference time, --now, supplies it)" },
  -- invalid or not dates
  { "31.02.2026", nil, nil, why = "invalid date '31.02.2026'" },
  { "2026-02-29", nil, nil, why = "invalid date '2026-02-29'" },
  { "2024-02-29", "2024-02-29" },
  { "2026-13-01", nil },
  { "25:61 17.01.2026", nil, nil, why = "invalid time in '25:61 17.01.2026'" },
  { "", nil },
  { "hello world", nil, nil, why = "no date in 'hello world'" },
  { "1234", nil },
  { "Version 1.2.3.4 released", nil },
  { "November 2016", nil, nil, why = "a month but no day in 'November 2016'" },
  { "Top 10 things to do", nil },
  { "2 hours of fun", nil, N },
}

local function show(v)
  if v == nil then return "nil" end
  return string.format("%q", v)
end

local function run()
  local failures = {}
  -- with --now only the reference-time checks below run (the table
  -- assumes no reference time)
  for i, c in ipairs(pipe.options.now == nil and cases or {}) do
    local ok, got, why = pcall(date.parse, c[1], c[3])
    if not ok then got, why = "error: " .. tostring(got), nil end
    if got ~= c[2] then
      failures[#failures + 1] = string.format("case %d %s %s: expected %s, got %s%s", i,
        show(c[1]), c[3] and json.encode(c[3]) or "", show(c[2]), show(got),
        why and (" (" .. why .. ")") or "")
    elseif c.why and why ~= c.why then
      failures[#failures + 1] = string.format("case %d %s: expected why %s, got %s", i,
        show(c[1]), show(c.why), show(why))
    end
  end
  -- misuse raises, naming the bad value
  local function raises(what, want, f, ...)
    local ok, e = pcall(f, ...)
    e = tostring(e):gsub("^[^:]*:%d+: ", "")
    if ok or e ~= want then
      failures[#failures + 1] = what .. ": expected the error " .. show(want) .. ", got " .. show(ok and "no error" or e)
    end
  end
  raises("bad tz", "bad tz 'Mars/Olympus' (want an IANA zone like Europe/Kyiv, an offset like +02:00, or an abbreviation like UTC, EET)",
    date.parse, "17.01.2026 14:05", { tz = "Mars/Olympus" })
  raises("bad format", "unknown directive '%Q' in format '%d %Q'", date.parse, "17.01.2026", { format = "%d %Q" })
  raises("bad now", "bad now 'soon' (want a time like 2026-01-17T16:30:00+02:00)", date.parse, "2 hours ago", { now = "soon" })
  raises("unknown option", "date.parse: unknown option 'timezone' (want format, lang, tz, utc, now)",
    date.parse, "17.01.2026", { timezone = "UTC" })
  raises("option type", "date.parse: tz must be a string, got number", date.parse, "17.01.2026", { tz = 2 })
  local function check(what, want, ...)
    local got = table.pack(...)
    local s = {}
    for i = 1, got.n do s[i] = tostring(got[i]) end
    if table.concat(s, "|") ~= want then
      failures[#failures + 1] = what .. ": expected " .. want .. ", got " .. table.concat(s, "|")
    end
  end
  check("check_tz IANA", "true", date.check_tz("America/New_York"))
  check("check_tz offset", "true", date.check_tz("+05:30"))
  check("check_tz abbreviation", "true", date.check_tz("CEST"))
  check("check_tz bad", "nil|bad tz 'Europe/Atlantis' (want an IANA zone like Europe/Kyiv, an offset like +02:00, or an abbreviation like UTC, EET)",
    date.check_tz("Europe/Atlantis"))
  check("check_format", "true", date.check_format("%d.%m.%Y %H:%M"))
  check("check_format bad", "nil|unknown directive '%Q' in format '%Q'", date.check_format("%Q"))
  -- names come from CLDR, not from a table of ours
  local de = date.names("de")
  check("names de", "Januar|Dezember|Montag|Sonntag|dmy", de.months[1], de.months[12], de.weekdays[1], de.weekdays[7], de.order)
  check("names en-US order", "mdy", date.names("en-US").order)
  check("names unknown", "nil|unknown language 'xx'", date.names("xx"))
  -- a page's language and reference time
  local page = { doc = html.parse('<html lang="fr"><p>x</p></html>'), record = { fetched = "Sat, 17 Jan 2026 14:30:00 GMT" } }
  -- (pipe.options is read-only while pages run: dates.sh runs this script
  -- once without --now and once with --now 2026-02-01T10:00:00+02:00)
  check("lang of page", "fr", date.lang(page))
  if pipe.options.now == nil then
    check("reference from the record", "2026-01-17T14:30:00+00:00", date.reference(page))
    check("page fills lang and now", "2026-01-16T14:05:00+00:00", date.parse("hier à 14h05", { page = page }))
  else
    check("--now wins over fetched", "2026-02-01T08:00:00+02:00", date.parse("il y a 2 heures", { page = page }))
  end
  return failures
end

return function()
  local f = run()
  if #f > 0 then error(#f .. " date case(s) failed:\n" .. table.concat(f, "\n"), 0) end
  return { cases = #cases, failed = 0 }
end
