/*
 * date plugin tests: what the e2e table (tests/rules/date_test.lua) does
 * not reach: odd input (invalid UTF-8, NUL bytes, long text, other digit
 * systems, Unicode spaces), misuse, the per-state caches giving the same
 * answers twice.  Table-driven: each case is a Lua expression and the
 * exact text show(...) makes of its values.
 */
#include "suites.h"

static const lua_case odd_cases[] = {
    /* invalid UTF-8 and NULs never crash and never invent a date */
    {"show(date.parse('17.01.2026\\xff\\xfe'))", "2026-01-17"},
    {"show(date.parse('\\xff\\xfe\\xfd'))", "nil|no date in '\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd'"},
    {"show(date.parse('17\\0.01.2026'))", "2026-01-17"},
    /* only the first 1,024 bytes are read */
    {"show(date.parse(string.rep('x ', 600) .. '17.01.2026'))",
     "nil|no date in 'x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x…'"},
    {"show(date.parse('17.01.2026 ' .. string.rep('x', 5000)))", "2026-01-17"},
    /* other digits and spaces */
    {"show(date.parse('\\u{661}\\u{667}/\\u{660}\\u{661}/\\u{662}\\u{660}\\u{662}\\u{666}'))", "2026-01-17"},
    {"show(date.parse('\\u{FF11}\\u{FF17}.01.2026'))", "2026-01-17"},
    {"show(date.parse('17\\u{A0}January\\u{2009}2026'))", "2026-01-17"},
    {"show(date.parse('17\\u{AD}.01.2026'))", "2026-01-17"},
    /* numbers: Unix time; other lengths are not dates */
    {"show(date.parse(0))", "nil|no date in '0'"},
    {"show(date.parse(1768651500))", "2026-01-17T12:05:00+00:00"},
    {"show(date.parse('99999999999999999999'))", "nil|no date in '99999999999999999999'"},
    {"show(date.parse(''))", "nil|no date in ''"},
    {"show(date.parse({}))", "nil|not a date: a table"},
    {"show(date.parse(nil))", "nil|not a date: a nil"},
    /* out of range */
    {"show(date.parse('1066-10-14'))", "nil|invalid date '1066-10-14'"},
    {"show(date.parse('2026-01-17T24:00'))", "nil|invalid time in '2026-01-17T24:00'"},
    {"show(date.parse('1999-12-31T23:59:60Z'))", "1999-12-31T23:59:59+00:00"},
    {"show(date.parse('2026-01-17T14:05+15:00'))",
     "nil|invalid offset in '2026-01-17T14:05+15:00'"},
    /* "+HH:MM" read in place: its edges, and what is left to the offset
     * parser ("+0530", "+05", a minute out of range) */
    {"show(date.parse('2026-01-17T14:05-09:30'), date.parse('2026-01-17T14:05+14:59'))",
     "2026-01-17T14:05:00-09:30|2026-01-17T14:05:00+14:59"},
    {"show(date.parse('2026-01-17T14:05-00:00'), date.parse('2026-01-17T14:05+0530'))",
     "2026-01-17T14:05:00+00:00|2026-01-17T14:05:00+05:30"},
    {"show(date.parse('2026-01-17T14:05+05'), date.parse('2026-01-17T14:05+05:60'))",
     "2026-01-17T14:05:00+05:00|nil|invalid offset in '2026-01-17T14:05+05:60'"},
};

static const lua_case misuse_cases[] = {
    {"select(2, pcall(function() return date.parse('x', 'fr') end))",
     "test:6: bad argument #2 to 'parse' (table expected, got string)"},
    {"select(2, pcall(date.parse, 'x', { lang = 1 }))",
     "date.parse: lang must be a string, got number"},
    {"select(2, pcall(date.parse, 'x', { [1] = true }))",
     "date.parse: unknown option '?' (want format, lang, tz, utc, now)"},
    {"select(2, pcall(date.parse, 'x', { format = '' }))",
     "format must be a non-empty string"},
    {"select(2, pcall(date.parse, 'x', { format = '%' }))",
     "unknown directive '% ' in format '%'"},
    {"show(date.check_format(42))", "nil|format must be a non-empty string"},
    {"select(2, pcall(function() return date.check_tz() end))",
     "test:6: bad argument #1 to 'check_tz' (string expected, got no value)"},
    /* an unknown language is no language; a tag with junk after it is
     * read up to the junk */
    {"show(date.parse('03/04/2026', { lang = 'x-default' }))", "2026-04-03"},
    {"show(date.parse('03/04/2026', { lang = 'en-US,en;q=0.9' }))", "2026-03-04"},
    {"show(date.parse('03/04/2026', { lang = 'EN_us' }))", "2026-03-04"},
};

static const lua_case cache_cases[] = {
    /* the second call answers from the cache, the same way */
    {"(function() local a = date.parse('vor 2 Stunden', { now = '2026-01-17T16:30:00Z' }) "
     "local b = date.parse('vor 2 Stunden', { now = '2026-01-17T16:30:00Z' }) "
     "return a == b and a end)()",
     "2026-01-17T14:30:00+00:00"},
    {"(function() local a = date.parse('14:05 ET, 17.01.2026') "
     "local b = date.parse('14:05 ET, 17.01.2026') return a == b and a end)()",
     "2026-01-17T14:05:00-05:00"},
    {"(function() local a = { date.check_tz('Nowhere/Land') } "
     "local b = { date.check_tz('Nowhere/Land') } return tostring(a[1]) .. tostring(b[1]) end)()",
     "nilnil"},
    /* zones in turn (the date plugin keeps the last zone's calendar):
     * a skipped and a repeated wall time, an instant's offset (a
     * relative date), another zone, the first zone again */
    {"show(date.parse('2018-03-11 02:30', { tz = 'America/New_York' }), "
     "date.parse('vor 2 Stunden', { now = '2018-11-04T06:30:00Z', tz = 'America/New_York' }), "
     "date.parse('2018-11-04 01:30', { tz = 'America/New_York' }), "
     "date.parse('2026-03-29 03:30', { tz = 'Europe/Kyiv' }), "
     "date.parse('2026-03-29 04:30', { tz = 'Europe/Kyiv' }), "
     "date.parse('2018-03-11 02:30', { tz = 'America/New_York' }))",
     "2018-03-11T02:30:00-05:00|2018-11-04T00:30:00-04:00|2018-11-04T01:30:00-04:00|"
     "2026-03-29T03:30:00+02:00|2026-03-29T04:30:00+03:00|2018-03-11T02:30:00-05:00"},
    /* languages do not leak into each other: 'mar' is Tuesday in French */
    {"show(date.parse('mar. 3 mars 2026', { lang = 'fr' }), date.parse('Mar 3, 2026', { lang = 'en' }))",
     "2026-03-03|2026-03-03"},
    {"show(date.parse('3 set 2026', { lang = 'it' }), date.parse('3 set 2026', { lang = 'en' }))",
     "2026-09-03|nil|no date in '3 set 2026'"},
};

#define CASES(name, table)                                                     \
    START_TEST(name) { pipe_test_case(&table[_i]); }                          \
    END_TEST

CASES(test_odd, odd_cases)
CASES(test_misuse, misuse_cases)
CASES(test_cache, cache_cases)

#define N(table) ((int)(sizeof table / sizeof table[0]))

Suite *date_suite(void)
{
    Suite *s = suite_create("date");
    struct {
        const char *name;
        const TTest *test;
        int n;
    } groups[] = {
        {"odd", test_odd, N(odd_cases)},
        {"misuse", test_misuse, N(misuse_cases)},
        {"cache", test_cache, N(cache_cases)},
    };
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++) {
        TCase *tc = tcase_create(groups[i].name);
        tcase_set_timeout(tc, 20);
        tcase_add_loop_test(tc, groups[i].test, 0, groups[i].n);
        suite_add_tcase(s, tc);
    }
    return s;
}
