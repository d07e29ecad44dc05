-- Прилуцький вісник (pryluky-visnyk.com.ua): a city newspaper's site from
-- the 2000s.  Table layout in windows-1251 (some pages carry no charset at
-- all, so the core's detection decides); the article text sits in
-- <td class="text"> wrapped in <font> tags, with in-text banners and photo
-- tables.  Dates are Kyiv local time without an offset ("17.01.2026
-- 14:05"); the author line ("Автор: X" or "Автори: X, Y") follows the text.
return {
  hosts = { "pryluky-visnyk.com.ua" },
  remove = { "td.text .banner", "td.text table" },
  unwrap = { "td.text font" },
  fields = {
    title = "font.zag",
    published = { "font.zag ~ font.date", format = "%d.%m.%Y %H:%M", tz = "Europe/Kyiv" },
    authors = { "p[align=right] i b", split = ",\\s*" },
    body = { "td.text", paragraphs = true, required = true },
  },
  tests = {
    { page = "tests/pages/legacy-vodogin.html",
      golden = "tests/pages/legacy-vodogin.expected.json" },
    { page = "tests/pages/legacy-olimpiada.html",
      url = "http://www.pryluky-visnyk.com.ua/news/education/2026/01/15/18722.html",
      expect = {
        title = "Прилуцькі школярі вибороли три медалі на обласній олімпіаді з хімії",
        authors = { "Ігор Савчук", "Наталія Кравець" },
        published = "2026-01-15T09:40:00+02:00",
        body = { contains = { "Диплом І ступеня серед одинадцятикласників",
                              "Фінальний етап олімпіади з хімії" },
                 not_contains = "Курси підготовки до НМТ" },
      } },
  },
}
