-- Zone abbreviations read through the tables of tests/e2e/dates.sh's
-- cache runs: the base table (English short names) and a language's own
-- (German "MEZ", French "HNE"), with a two-offset one ("IST") and none,
-- and ICU's generic zone names ("ET", "PT": the answer for each word is
-- kept in the cache too).
local date = require("date")
local texts = {
  { "May 5, 2020 10:00 EST", "en" }, { "May 5, 2020 10:00 PDT", "en" },
  { "5. Mai 2020 10:00 MEZ", "de" }, { "5. Mai 2020 10:00 MESZ", "de" },
  { "5 mai 2020 10:00 HNE", "fr" }, { "5 May 2020 10:00 IST", "en" },
  { "5 May 2020 10:00 GMT", nil }, { "5 мая 2020 10:00 МСК", "ru" },
  { "5 May 2020 10:00 BST", "en" }, { "May 5, 2020 10:00 AEST", nil },
  { "May 5, 2020 10:15 a.m. ET", "en" }, { "Jan 5, 2020 10:15 PT", "en" },
  { "May 5, 2020 10:15 MT", nil },
}
return function(page)
  local r = {}
  for i, t in ipairs(texts) do
    local v, err = date.parse(t[1], { lang = t[2] })
    r[i] = t[1] .. " => " .. tostring(v or err)
  end
  return { r = r }
end
