-- Table-driven tests for scripts/lib/date.lua.
-- Run by tests/e2e/dates.sh as `pipe run tests/rules/date_test.lua PAGE`:
-- the returned function checks every case and raises an error listing the
-- failures, so the page (and the e2e test) fails when a case breaks; when
-- all pass it returns {cases = N, failed = 0}.
-- Also runs in a plain interpreter: `lua5.4 tests/rules/date_test.lua`.
if not pipe then package.path = "scripts/?.lua;" .. package.path end
local date = require("lib.date")

local NOW = "2026-01-17T16:30:00+02:00"
local cases = {
  -- ISO forms and datetime attributes
  { "2026-01-17", "2026-01-17" },
  { "2026-01-17T14:05:00+02:00", "2026-01-17T14:05:00+02:00" },
  { "2026-01-17T14:05:00Z", "2026-01-17T14:05:00+00:00" },
  { "2026-01-17T14:05:00.123+0200", "2026-01-17T14:05:00+02:00" },
  { "2026-01-17T14:05", "2026-01-17T14:05:00" },
  { "2026-01-17 14:05", "2026-01-17T14:05:00" },
  { "  2026-01-17T14:05:00-05:00 ", "2026-01-17T14:05:00-05:00" },
  { "20260117", "2026-01-17" },
  -- English
  { "January 17, 2026", "2026-01-17" },
  { "Jan 17, 2026 2:05 pm", "2026-01-17T14:05:00" },
  { "Jan 17, 2026 12:05 AM", "2026-01-17T00:05:00" },
  { "17 January 2026, 14:05", "2026-01-17T14:05:00" },
  { "Saturday, 17 January 2026", "2026-01-17" },
  { "Sept 3, 2025", "2025-09-03" },
  { "Published by Mark on March 3, 2025", "2025-03-03" },
  -- numeric
  { "17.01.2026 14:05", "2026-01-17T14:05:00" },
  { "17/01/2026", "2026-01-17" },
  { "01/17/2026", "2026-01-17" },
  { "03.02.2026", "2026-02-03" },
  { "17.01.26", "2026-01-17" },
  -- RFC 2822
  { "Sat, 17 Jan 2026 14:05:00 +0200", "2026-01-17T14:05:00+02:00" },
  { "Sat, 17 Jan 2026 14:05:00 GMT", "2026-01-17T14:05:00+00:00" },
  { "17 Jan 2026 14:05 EEST", "2026-01-17T14:05:00+03:00" },
  -- Unix timestamps (UTC)
  { "1768651500", "2026-01-17T12:05:00+00:00" },
  { "1768651500000", "2026-01-17T12:05:00+00:00" },
  -- Ukrainian and Russian months, several cases
  { "17 січня 2026", "2026-01-17" },
  { "17 січня 2026 р., 14:05", "2026-01-17T14:05:00" },
  { "5 травня 2025", "2025-05-05" },
  { "1 листопада 2025 о 09:15", "2025-11-01T09:15:00" },
  { "у серпні 2025, 3", "2025-08-03" },
  { "17 января 2026", "2026-01-17" },
  { "17 янв 2026", "2026-01-17" },
  { "9 мая 2025 г.", "2025-05-09" },
  { "2 марта 2025", "2025-03-02" },
  { "17 ЯНВАРЯ 2026", "2026-01-17" },
  { "середа, 17 вересня 2025", "2025-09-17" },
  -- relative, with now
  { "2 hours ago", "2026-01-17T14:30:00+02:00", { now = NOW } },
  { "5 minutes ago", "2026-01-17T16:25:00+02:00", { now = NOW } },
  { "3 days ago", "2026-01-14T16:30:00+02:00", { now = NOW } },
  { "20 hours ago", "2026-01-16T20:30:00+02:00", { now = NOW } },
  { "yesterday, 14:05", "2026-01-16T14:05:00+02:00", { now = NOW } },
  { "вчора, 14:05", "2026-01-16T14:05:00+02:00", { now = NOW } },
  { "сьогодні, 09:00", "2026-01-17T09:00:00+02:00", { now = NOW } },
  { "вчера", "2026-01-16", { now = NOW } },
  { "2 години тому", "2026-01-17T14:30:00+02:00", { now = NOW } },
  { "10 минут назад", "2026-01-17T16:20:00+02:00", { now = NOW } },
  { "yesterday, 23:00", "2025-12-31T23:00:00", { now = "2026-01-01T08:00:00" } },
  { "17 January", "2026-01-17", { now = NOW } },
  { "20 December", "2025-12-20", { now = NOW } },
  -- relative without now: nil
  { "2 hours ago", nil },
  { "yesterday, 14:05", nil },
  { "сьогодні", nil },
  { "17 January", nil },
  -- explicit format
  { "17-01-2026 at 14h05", "2026-01-17T14:05:00", { format = "%d-%m-%Y at %Hh%M" } },
  { "Posted: 2026/17/01", "2026-01-17", { format = "%Y/%d/%m" } },
  { "17 січня 2026", "2026-01-17", { format = "%d %B %Y" } },
  { "01/02/2026 03:04 PM", "2026-01-02T15:04:00", { format = "%m/%d/%Y %I:%M %p" } },
  { "no date here", nil, { format = "%d.%m.%Y" } },
  -- tz applied only when the text has no offset
  { "17.01.2026 14:05", "2026-01-17T14:05:00+02:00", { tz = "+02:00" } },
  { "17.01.2026 14:05", "2026-01-17T14:05:00+03:00", { tz = "MSK" } },
  { "17.01.2026 14:05", "2026-01-17T14:05:00+00:00", { tz = "UTC" } },
  { "2026-01-17T14:05:00-05:00", "2026-01-17T14:05:00-05:00", { tz = "+02:00" } },
  { "17.01.2026", "2026-01-17", { tz = "+02:00" } },
  -- invalid
  { "31.02.2026", nil },
  { "2026-13-01", nil },
  { "25:61 17.01.2026", nil },
  { "", nil },
  { "hello world", nil },
  { "1234", nil },
}

local function run()
  local failures = {}
  for i, c in ipairs(cases) do
    local ok, got = pcall(date.parse, c[1], c[3])
    if not ok then got = "error: " .. tostring(got) end
    if got ~= c[2] then
      failures[#failures + 1] = string.format("case %d %q: expected %s, got %s",
        i, c[1], tostring(c[2]), tostring(got))
    end
  end
  -- a bad tz is a usage error, not a silent nil
  local ok = pcall(date.parse, "17.01.2026 14:05", { tz = "Mars/Olympus" })
  if ok then failures[#failures + 1] = "bad tz did not raise" end
  if not date.offset("+05:30") == 330 then failures[#failures + 1] = "offset +05:30" end
  return failures
end

if not pipe then
  local f = run()
  for _, line in ipairs(f) do print(line) end
  print(string.format("%d cases, %d failed", #cases, #f))
  os.exit(#f == 0 and 0 or 1)
end

return function()
  local f = run()
  if #f > 0 then error(#f .. " date case(s) failed:\n" .. table.concat(f, "\n"), 0) end
  return { cases = #cases, failed = 0 }
end
