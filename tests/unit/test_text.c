/*
 * text plugin tests: each helper with exact cases (Unicode spaces, entity
 * forms, paragraph handling, character-safe truncation).  Table-driven:
 * each case is a Lua expression and the exact text show(...) makes of its
 * values.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "core.h"
#include "suites.h"

static const lua_case trim_squish_cases[] = {
    {"show(text.trim('  \\t hi there \\n'))", "hi there"},
    {"show(text.trim('\\u{A0}\\u{2009}x\\u{3000}'))", "x"},
    {"show(text.trim(''), text.trim('   '))", "|"},
    {"show(text.trim('a  b'))", "a  b"},
    {"show(text.squish('  a \\n\\n b\\t\\tc\\u{2003}d  '))", "a b c d"},
    {"show(text.squish('one\\u{A0}\\u{A0}two'))", "one two"},
    {"show(text.squish(''), text.squish(' \\n '))", "|"},
    {"show(text.squish('x\\xff  y'))", "x\xff y"},
    /* squished runs are copied whole: single spaces kept, any other
     * white space between words (two spaces, a tab, a space then a
     * Unicode space, a lone Unicode space) becomes one space */
    {"show(text.squish('one two  three\\tfour \\u{3000}five\\u{2009}six seven '))",
     "one two three four five six seven"},
    {"show(text.squish(' a b'), text.squish('a b \\n'), text.squish('a \\u{A0}'))",
     "a b|a b|a"},
};

static const lua_case decode_cases[] = {
    {"show(text.decode('&lt;p&gt; &amp;amp; &quot;q&quot; &apos;'))",
     "<p> &amp; \"q\" '"},
    {"show(text.decode('a&mdash;b&ndash;c&hellip;'))", "a—b–c…"},
    {"show(text.decode('&laquo;x&raquo; &bdquo;y&ldquo; &sbquo;z&lsquo; &rsquo;&rdquo;'))",
     "«x» „y“ ‚z‘ ’”"},
    {"show(text.decode('caf&eacute; &Uuml;ber &szlig; &yuml; &THORN;'))",
     "café Über ß ÿ Þ"},
    {"show(text.decode('&copy;&reg;&trade;&euro;&deg;&plusmn;&times;&divide;'))",
     "©®™€°±×÷"},
    {"show(text.decode('&middot;&bull;&prime;&Prime;'))", "·•′″"},
    {"show(text.decode('[&nbsp;][&thinsp;][&ensp;][&emsp;]'))",
     "[\xC2\xA0][\xE2\x80\x89][\xE2\x80\x82][\xE2\x80\x83]"},
    {"show(text.decode('[&zwj;][&zwnj;][&shy;]'))",
     "[\xE2\x80\x8D][\xE2\x80\x8C][\xC2\xAD]"},
    {"show(text.decode('&#8212;&#x2014;&#X2014;&#39;&#39 x'))", "———'' x"},
    {"show(text.decode('&#150;&#x93;'))", "–“"},
    {"show(text.decode('[&#0;][&#xD800;][&#x110000;][&#99999999999;]'))",
     "[\xEF\xBF\xBD][\xEF\xBF\xBD][\xEF\xBF\xBD][\xEF\xBF\xBD]"},
    {"show(text.decode('&bogus; &amp &copy=2 & &#; &#x; tail&'))",
     "&bogus; &amp &copy=2 & &#; &#x; tail&"},
    {"show(text.decode('no entities'))", "no entities"},
};

static const lua_case spaces_clean_cases[] = {
    {"show(text.spaces('a\\u{A0}b\\u{2009}c\\u{202F}d\\u{205F}e\\u{3000}f\\u{200A}g'))",
     "a b c d e f g"},
    {"show(text.spaces('a\\u{200B}b\\u{AD}c\\u{FEFF}d\\u{2060}e'))", "abcde"},
    {"show(text.spaces('می\\u{200C}خواهم'))", "می\xE2\x80\x8C" "خواهم"},
    {"show(text.spaces('x\\xff\\xc2'))", "x\xff\xc2"},
    {"show(text.clean('  Title&nbsp;here \\r\\n\\r\\n\\n  first   line\\nsecond\\u{A0}line'"
     " .. ' \\n \\n\\t\\n third \\n\\n'))",
     "Title here\n\nfirst line\nsecond line\n\nthird"},
    {"show(text.clean('a&shy;b &amp; c'))", "ab & c"},
    {"show(text.clean(''), text.clean('\\n \\n'))", "|"},
    {"show(text.clean('bad\\xffbyte'))", "bad\xEF\xBF\xBD" "byte"},
    /* each pass of clean only when it has something to change: none at
     * all; curly quotes (a lead byte of the space characters, but no
     * space); only a zero-width space; only bad UTF-8; only an entity */
    {"show(text.clean('plain  text \\n\\n\\nline two'))", "plain text\n\nline two"},
    {"show(text.clean('\\u{201C}quoted\\u{201D}  text'))", "\u201Cquoted\u201D text"},
    {"show(text.clean('a\\u{200B}b'), text.clean('a\\xe2\\x80 b'), text.clean('x&lt;y'))",
     "ab|a\xEF\xBF\xBD b|x<y"},
    /* clean copies only from where the text changes: clean already (one
     * blank line, a dash and a curly quote after single spaces), clean
     * but for a final line break, for a space at a line's end, for a
     * space before a Unicode space, a tab, a lone CR, a second blank
     * line */
    {"show(text.clean('One \\u{2014} two \\u{201C}three\\u{201D}.\\n\\nFour five.'))",
     "One \u2014 two \u201Cthree\u201D.\n\nFour five."},
    {"show(text.clean('a b\\n'), text.clean('a b \\nc'), text.clean('a \\u{2009}b'))",
     "a b|a b\nc|a b"},
    {"show(text.clean('a\\tb'), text.clean('a\\rb'), text.clean('a\\n\\n\\nb'), text.clean('a\\n \\nb'))",
     "a b|a\nb|a\n\nb|a\n\nb"},
    /* what the one-pass check of a clean text must not take as clean:
     * a space or line break at either end, a form feed, a vertical tab,
     * a bare '&', U+0085, U+00A0, U+1680, U+3000, U+FEFF, a soft hyphen
     * (each as the only thing to change); kept as text: other control
     * characters, DEL, a 4-byte character */
    {"show(text.clean(' a'), text.clean('\\na'), text.clean('a\\fb'), text.clean('a\\vb'))",
     "a|a|a b|a b"},
    {"show(text.clean('a & b'), text.clean('a\\u{85}b'), text.clean('a\\u{A0}b'), text.clean('a\\u{1680}b'))",
     "a & b|a b|a b|a b"},
    {"show(text.clean('a\\u{3000}b'), text.clean('a\\u{FEFF}b'), text.clean('a\\u{AD}b'), text.clean('a \\n\\nb'))",
     "a b|ab|ab|a\n\nb"},
    {"show(text.clean('a\\x01 b\\x7f \\u{10348}\\n\\nc'))", "a\x01 b\x7f \xF0\x90\x8D\x88\n\nc"},
    {"show(text.squish('already squished text'), text.squish('x \\u{2014} y'))",
     "already squished text|x \u2014 y"},
};

static const lua_case lines_words_cases[] = {
    {"show(table.unpack(text.lines('a\\r\\nb\\n\\nc\\rd\\n')))", "a|b||c|d"},
    {"show(#text.lines(''), #text.lines('x'), #text.lines('\\n'), #text.lines('x\\n\\n'))",
     "0|1|1|2"},
    {"show(text.words('Hello, world!'))", "2"},
    {"show(text.words('Привет мир — it\\'s 2026-03-01'))", "7"},
    {"show(text.words(''), text.words('  ...  — '))", "0|0"},
    {"show(text.words('snake_case x2 ٣٤'))", "3"},
    {"show(text.words('a\\xffb'))", "2"},
};

static const lua_case truncate_cases[] = {
    {"show(text.truncate('Привет мир', 6))", "Привет…"},
    {"show(text.truncate('Привет мир', 7))", "Привет…"},
    {"show(text.truncate('Привет мир', 8))", "Привет м…"},
    {"show(text.truncate('Привет мир', 10))", "Привет мир"},
    {"show(text.truncate('abc', 3), text.truncate('abc', 99))", "abc|abc"},
    {"show(text.truncate('abcd', 0))", "…"},
    {"show(text.truncate('\\u{1F600}\\u{1F600}x', 2))", "\xF0\x9F\x98\x80\xF0\x9F\x98\x80…"},
    {"select(2, pcall(function() return text.truncate('x', -1) end))",
     "test:6: bad argument #2 to 'truncate' (negative length)"},
};

#define CASES(name, table)                                                 \
    START_TEST(name) { pipe_test_case(&table[_i]); }                            \
    END_TEST

CASES(test_trim_squish, trim_squish_cases)
CASES(test_decode, decode_cases)
CASES(test_spaces_clean, spaces_clean_cases)
CASES(test_lines_words, lines_words_cases)
CASES(test_truncate, truncate_cases)

#define N(table) ((int)(sizeof table / sizeof table[0]))

Suite *text_suite(void)
{
    Suite *s = suite_create("text");
    struct {
        const char *name;
        const TTest *test;
        int n;
    } groups[] = {
        {"trim_squish", test_trim_squish, N(trim_squish_cases)},
        {"decode", test_decode, N(decode_cases)},
        {"spaces_clean", test_spaces_clean, N(spaces_clean_cases)},
        {"lines_words", test_lines_words, N(lines_words_cases)},
        {"truncate", test_truncate, N(truncate_cases)},
    };
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++) {
        TCase *tc = tcase_create(groups[i].name);
        tcase_set_timeout(tc, 20);
        tcase_add_loop_test(tc, groups[i].test, 0, groups[i].n);
        suite_add_tcase(s, tc);
    }
    return s;
}
