-- test script (tests/e2e/dates.sh): Cyrillic, letterless and mixed date
-- texts with and without a language and a reference time.  Such texts
-- need only part of the 15-language union (plugins/date/date_data.c
-- pipe_date_push_union); the expected output is what the whole union gives.
local date = require("lib.date")
local texts = {
  "12 березня 2024", "12 березня 2024, 10:15", "у березні 2024", "вчора", "вчора о 18:30", "сьогодні, 09:00",
  "2 години тому", "3 дні тому", "тиждень тому", "15 августа 2016, 13:43", "26 мая 2016 в 23:23", "вчера в 14:00",
  "5 минут назад", "позавчора", "17.01.2026", "17.01.2026 14:05", "2026-01-17", "17/01/2026", "01.17.2026",
  "12:30", "1 січня", "Понеділок, 5 лютого 2024", "пн, 5 лют. 2024", "12 березня 2024 (UTC)", "March 12, 2024",
  "12 березня 2024 р.", "12.03.2024 р.", "20 травня 2023 року", "Опубліковано: 20 травня 2023", "31 грудня 2099",
  "«12» березня 2024", "12 березня — 2024", "12 березня 2024 · 10:15", "10:15 — 12.03.2024",
}
return function(page)
  local out = {}
  for _, t in ipairs(texts) do
    for _, o in ipairs({ {}, { lang = "uk" }, { lang = "ru" }, { now = "2026-01-17T16:30:00+02:00" },
                         { lang = "uk", now = "2026-01-17T16:30:00+02:00" } }) do
      local ok, a, e = pcall(date.parse, t, o)
      out[#out + 1] = t .. " | " .. (o.lang or "-") .. " | " .. (o.now or "-") .. " | " .. tostring(a) .. " | " .. tostring(e)
    end
  end
  return { r = out }
end
