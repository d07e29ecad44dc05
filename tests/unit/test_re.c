/*
 * re plugin tests: groups, named groups, Unicode classes and case folding,
 * invalid UTF-8 subjects, error messages, gsub/split/gmatch forms, empty
 * matches, the per-state cache.  Table-driven: each case is a Lua
 * expression and the exact text show(...) makes of its values.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

#include "core.h"
#include "suites.h"

static const lua_case match_cases[] = {
    {"show(re.match('hello world 42', [[(\\w+) (\\w+)]]))", "hello|world"},
    {"show(re.match('hello world 42', [[\\d+]]))", "42"},
    {"show(re.match('hello', [[\\d+]]))", "nil"},
    {"show(re.match('abcabc', 'b', -3))", "b"},
    {"show(re.match('abc', 'a', 2))", "nil"},
    {"show(re.match('abc', '', 4))", ""},
    {"show(re.match('abc', '', 5))", "nil"},
    {"show(re.match('ab', '(a)(x)?(b)'))", "a|false|b"},
    {"show(re.find('abc def', 'd(e)f'))", "5|7|e"},
    {"show(re.find('abc', 'x*'))", "1|0"},
    {"show(re.find('abcabc', 'b', -3))", "5|5"},
    {"show(re.find('abc', 'b', 10))", "nil"},
    {"show(re.find('a.b', '.', 1))", "1|1"},
    {"show(re.find('aXb', 'x', 1, 'i'))", "2|2"},
    {"show(re.match('a\\nb', 'a.b'))", "nil"},
    {"show(re.match('a\\nb', 'a.b', 1, 's'))", "a\nb"},
    {"show(re.match('x\\nline', '^line'))", "nil"},
    {"show(re.match('x\\nline', '^line', 1, 'm'))", "line"},
    {"show(re.match('a1', [[ a  \\d  # digit]], 1, 'x'))", "a1"},
    {"show(re.match('abc', 'B', 1, 'iu'))", "b"},
};

static const lua_case group_cases[] = {
    {"(function() local t = re.exec('key=val', [[(?<k>\\w+)=(?<v>\\w+)]])"
     " return show(t[0], t[1], t[2], t.k, t.v) end)()",
     "key=val|key|val|key|val"},
    {"(function() local t = re.exec('ab', '(a)(x)?(b)')"
     " return show(t[0], t[1], t[2], t[3]) end)()",
     "ab|a|nil|b"},
    {"show(re.exec('ab', 'z'))", "nil"},
    {"(function() local t = re.exec('2026-03-01 x', [[(?<y>\\d+)-(\\d+)]], 1)"
     " return show(t.y, t[1], t[2]) end)()",
     "2026|2026|03"},
};

static const lua_case unicode_cases[] = {
    {"show(re.match('Привет, Мир', [[(?<w>\\w+), (\\w+)]]))", "Привет|Мир"},
    {"show(re.match('ПРИВЕТ мир', 'привет', 1, 'i'))", "ПРИВЕТ"},
    {"show(re.match('Ёлка', '^ё', 1, 'i'))", "Ё"},
    {"show(re.find('жёлтый дом', [[\\bдом]]))", "14|19"},
    {"show(re.gsub('Київ і Львів', [[\\w+]], '<$0>'))", "<Київ> <і> <Львів>|3"},
    {"show(re.match('x ٣٤ y', [[\\d+]]))", "٣٤"},
    {"show(re.match('\\u{1F600}a', '^.a'))", "\xF0\x9F\x98\x80" "a"},
    /* invalid UTF-8 in the subject: no crash, never matched by . or \w */
    {"show(re.match('a\\xff\\xfeb', 'a.*b'))", "nil"},
    {"show(re.match('a\\xffb', [[\\w+]]))", "a"},
    {"show(re.gsub('x\\xffy', 'y', 'Y'))", "x\xffY|1"},
    {"show(re.find('\\xe2\\x82 ok', 'ok'))", "4|5"},
    /* a pattern must be valid UTF-8 */
    {"select(2, pcall(re.split, 'a\\xffb', '\\xff'))",
     "bad pattern '\xff' at offset 0: UTF-8 error: illegal byte (0xfe or 0xff)"},
};

static const lua_case gsub_cases[] = {
    {"show(re.gsub('hello world', [[(\\w+) (\\w+)]], '$2 $1 $0 $$'))",
     "world hello hello world $|1"},
    {"show(re.gsub('2026-03-01', [[(?<y>\\d+)-(?<m>\\d+)-(?<d>\\d+)]],"
     " '${d}.${m}.${y} ${1}'))",
     "01.03.2026 2026|1"},
    {"show(re.gsub('ab', '(a)', '$10'))", "a0b|1"},
    {"show(re.gsub('abcdefghijk', '(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)', '$11$10$1'))",
     "kja|1"},
    {"show(re.gsub('ab', '(x)?a', '[$1]'))", "[]b|1"},
    {"show(re.gsub('a b c', [[\\w]], {a = '1', c = 3}))", "1 b 3|3"},
    {"show(re.gsub('k=v', [[(\\w)=(\\w)]], {k = 'K'}))", "K|1"},
    {"show(re.gsub('a b c', [[\\w]], function(x)"
     " if x == 'b' then return nil end return x:upper() end))",
     "A b C|3"},
    {"show(re.gsub('k=v', [[(\\w)=(\\w)]], function(a, b) return b .. a end))",
     "vk|1"},
    {"show(re.gsub('a b c', [[\\w]], '<$0>', 2))", "<a> <b> c|2"},
    {"show(re.gsub('a b c', [[\\w]], '<$0>', 0))", "a b c|0"},
    {"show(re.gsub('abc', 'b', 5))", "a5c|1"},
    {"show(re.gsub('abc', 'B', '-', nil, 'i'))", "a-c|1"},
    {"show(re.gsub('', 'x*', '-'))", "-|1"},
    /* empty matches advance like Lua 5.4's string.gsub */
    {"show(re.gsub('baaac', 'a*', '-'))", "-b-c-|3"},
    {"show(re.gsub('abc', 'x*', '-'))", "-a-b-c-|4"},
    {"show(re.gsub('жёл', '', '.'))", ".ж.ё.л.|4"},
    /* a function replacement may use the same Regex (shared match data) */
    {"(function() local r = re.compile([[(\\d)]])"
     " return show(r:gsub('1 2', function(d) return r:gsub(d .. d, '<$1>') end))"
     " end)()",
     "<1><1> <2><2>|2"},
};

static const lua_case split_gmatch_cases[] = {
    {"show(table.concat(re.split('a, b,c,,d', [[,\\s*]]), '|'))", "a|b|c||d"},
    {"show(table.concat(re.split('abc', ''), '|'))", "a|b|c"},
    {"show(table.concat(re.split('жёл', ''), '|'))", "ж|ё|л"},
    {"show(table.concat(re.split('a,b,c,d', ',', 2), '|'))", "a|b,c,d"},
    {"show(table.concat(re.split('a,b', ';'), '|'))", "a,b"},
    {"show(#re.split('', ','), re.split('', ',')[1])", "1|"},
    {"show(table.concat(re.split(',a,', ','), '|'))", "|a|"},
    {"show(table.concat(re.split('aXbxc', 'x', nil, 'i'), '|'))", "a|b|c"},
    {"(function() local t = {} for k, v in re.gmatch('k1=v1, k2=v2', [[(\\w+)=(\\w+)]])"
     " do t[#t + 1] = k .. ':' .. v end return table.concat(t, ' ') end)()",
     "k1:v1 k2:v2"},
    {"(function() local t = {} for w in re.gmatch('baaac', 'a*')"
     " do t[#t + 1] = '[' .. w .. ']' end return table.concat(t) end)()",
     "[][aaa][]"},
    {"(function() local n = 0 for w in re.gmatch('жёлтый', '') do n = n + 1 end"
     " return tostring(n) end)()",
     "7"},
    {"(function() local t = {} for a, b in re.gmatch('ab b', '(a)?(b)')"
     " do t[#t + 1] = tostring(a) .. tostring(b) end return table.concat(t, ',') end)()",
     "ab,falseb"},
    {"(function() local t = {} for w in re.gmatch('A a', 'a', 'i')"
     " do t[#t + 1] = w end return table.concat(t, ',') end)()",
     "A,a"},
};

static const lua_case regex_cases[] = {
    {"(function() local r = re.compile([[(\\d+)]]) return show(tostring(r),"
     " r:match('ab12'), r:find('ab12')) end)()",
     "pipe.Regex '(\\d+)'|12|3|4|12"},
    {"(function() local r = re.compile([[(\\d+)]])"
     " return show(r:gsub('1 2', '<$1>')) end)()",
     "<1> <2>|2"},
    {"(function() local r = re.compile(',') return show(#r:split('1,2,3'),"
     " #r:split('1,2,3', 2)) end)()",
     "3|2"},
    {"(function() local r = re.compile('(?<n>x)') return show(r:exec('axb').n,"
     " r:exec('axb', 3)) end)()",
     "x|nil"},
    {"(function() local r, t = re.compile('.'), {} for c in r:gmatch('éa') do"
     " t[#t + 1] = c end return table.concat(t, ',') end)()",
     "é,a"},
    {"(function() local r = re.compile('A', 'i') return show(r:match('xa')) end)()",
     "a"},
    /* the cache: same pattern and flags give the same object */
    {"show(re.compile('x') == re.compile('x'), re.compile('x') == re.compile('x', 'i'),"
     " re.compile('x', 'i') == re.compile('x', 'i'))",
     "true|false|true"},
    {"(function() for i = 1, 600 do re.match('a' .. i, 'a' .. i) end"
     " return show(re.compile('a1') == re.compile('a1')) end)()",
     "true"},
    {"show(re.match('abc', re.compile('B', 'i')))", "b"},
};

static const lua_case error_cases[] = {
    {"select(2, pcall(re.match, 'abc', 'a(b'))",
     "bad pattern 'a(b' at offset 3: missing closing parenthesis"},
    {"select(2, pcall(re.compile, 'x[a'))",
     "bad pattern 'x[a' at offset 3: missing terminating ] for character class"},
    {"select(2, pcall(re.compile, '*x'))",
     "bad pattern '*x' at offset 0: quantifier does not follow a repeatable item"},
    {"select(2, pcall(re.match, 'abc', 'a', 1, 'q'))", "bad flag 'q' in flags 'q'"},
    {"select(2, pcall(re.gsub, 'abc', 'b', '$2'))", "no group 2 in pattern 'b'"},
    {"select(2, pcall(re.gsub, 'abc', 'b', '${nope}'))",
     "no group 'nope' in pattern 'b'"},
    {"select(2, pcall(re.gsub, 'abc', 'b', '$x'))", "invalid '$' in replacement '$x'"},
    {"select(2, pcall(re.gsub, 'abc', 'b', {b = true}))",
     "invalid replacement value (a boolean)"},
    {"select(2, pcall(re.match, string.rep('a', 40) .. '!', '(a+)+$'))",
     "pattern '(a+)+$' hit the match limit"},
    {"(function() local ok, e = pcall(re.match, 'x', {}) return tostring(ok) end)()",
     "false"},
    /* a Regex method on another value: luaL_checkudata's type error */
    {"select(2, pcall(re.compile('a').find, html.parse('<p>x</p>'):root(), 'abc'))",
     "bad argument #1 to '?' (pipe.Regex expected, got pipe.Node)"},
    {"select(2, pcall(re.compile('a').match, 'abc', 'a'))",
     "bad argument #1 to '?' (pipe.Regex expected, got string)"},
};

#define CASES(name, table)                                                 \
    START_TEST(name) { pipe_test_case(&table[_i]); }                            \
    END_TEST

CASES(test_match, match_cases)
CASES(test_groups, group_cases)
CASES(test_unicode, unicode_cases)
CASES(test_gsub, gsub_cases)
CASES(test_split_gmatch, split_gmatch_cases)
CASES(test_regex, regex_cases)
CASES(test_errors, error_cases)

#define N(table) ((int)(sizeof table / sizeof table[0]))

Suite *re_suite(void)
{
    Suite *s = suite_create("re");
    struct {
        const char *name;
        const TTest *test;
        int n;
    } groups[] = {
        {"match", test_match, N(match_cases)},
        {"groups", test_groups, N(group_cases)},
        {"unicode", test_unicode, N(unicode_cases)},
        {"gsub", test_gsub, N(gsub_cases)},
        {"split_gmatch", test_split_gmatch, N(split_gmatch_cases)},
        {"regex", test_regex, N(regex_cases)},
        {"errors", test_errors, N(error_cases)},
    };
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++) {
        TCase *tc = tcase_create(groups[i].name);
        tcase_set_timeout(tc, 20);
        tcase_add_loop_test(tc, groups[i].test, 0, groups[i].n);
        suite_add_tcase(s, tc);
    }
    return s;
}
