/*
 * text plugin: helpers for cleaning scraped text (trim, squish, HTML entity
 * decoding, typographic spaces, paragraph-aware cleaning, word counts,
 * character-safe truncation).  (Its UTF-8 helpers are the host's:
 * include/pipe/util.h.)
 *
 * Caveats:
 * - Named entities: the HTML 4 set (all of Latin-1, Greek, math symbols,
 *   typographic punctuation) plus &apos;, which covers news text; the
 *   semicolon is required (so "?a=1&copy=2" in a URL stays as is).  Unknown
 *   entities are left untouched.  Numeric references may omit the
 *   semicolon, as browsers allow; &#128;-&#159; map through Windows-1252
 *   like HTML5 says (&#150; is an en dash); 0, surrogates and values beyond
 *   U+10FFFF become U+FFFD.
 * - text.spaces keeps U+200C ZERO WIDTH NON-JOINER and U+200D ZERO WIDTH
 *   JOINER: they change how Persian, Indic and emoji text renders.  It
 *   removes U+200B, U+2060, U+FEFF and the soft hyphen U+00AD.
 * - Invalid UTF-8 passes through trim/squish/decode/spaces untouched;
 *   text.clean replaces it with U+FFFD.  text.truncate counts each invalid
 *   byte as one character.
 * - text.words counts runs of PCRE2's \w with UCP (letters, digits,
 *   underscore), so "don't" is two words and "2026-03-01" three.
 */
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <lauxlib.h>

#include "pipe/plugin.h"
#include "pipe/util.h"

/* Whether code point `cp` is white space for squish/trim: ASCII space, tab,
 * CR, LF, FF, VT, U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029,
 * U+202F, U+205F, U+3000. */
static int is_space_cp(long cp)
{
    switch (cp) {
    case ' ': case '\t': case '\n': case '\r': case '\f': case '\v':
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029:
    case 0x202F: case 0x205F: case 0x3000:
        return 1;
    default:
        return cp >= 0x2000 && cp <= 0x200A;
    }
}

/* The code point at s[i] if it is white space (its length in *adv), else
 * 0.  ASCII is checked without decoding. */
static int space_at(const char *s, size_t n, size_t i, size_t *adv)
{
    unsigned char c = (unsigned char)s[i];
    *adv = 1;
    if (c < 0x80)
        return c <= ' ' && is_space_cp(c);
    if (c != 0xC2 && c != 0xE1 && c != 0xE2 && c != 0xE3)
        return 0;
    long cp = pipe_utf8_decode(s + i, n - i, adv);
    if (cp < 0) {
        *adv = 1;
        return 0;
    }
    return is_space_cp(cp);
}

/* Output that copies only once it differs from its source: while what
 * was added is the source's own next bytes, nothing is copied, and a
 * string that needs no change comes back as it is (no new Lua string).
 * The luaL_Buffer starts (and takes its stack slot) at the first byte
 * that differs. */
typedef struct lazy_out {
    lua_State *L;
    luaL_Buffer b;
    const char *src; /* the string being rewritten */
    size_t n;        /* its length */
    size_t same;     /* the output so far is src[0..same) */
    int copying;     /* the output has diverged: it is in b */
} lazy_out;

static void lazy_init(lazy_out *o, lua_State *L, const char *src, size_t n)
{
    o->L = L;
    o->src = src;
    o->n = n;
    o->same = 0;
    o->copying = 0;
}

static void lazy_add(lazy_out *o, const char *p, size_t len)
{
    if (!o->copying) {
        if (len <= o->n - o->same &&
            (p == o->src + o->same || memcmp(o->src + o->same, p, len) == 0)) {
            o->same += len;
            return;
        }
        luaL_buffinit(o->L, &o->b);
        luaL_addlstring(&o->b, o->src, o->same);
        o->copying = 1;
    }
    luaL_addlstring(&o->b, p, len);
}

/* Push the output.  `idx`: the stack slot of the source string (the
 * output is then that string when nothing changed). */
static void lazy_push(lazy_out *o, int idx)
{
    if (o->copying)
        luaL_pushresult(&o->b);
    else if (o->same == o->n)
        lua_pushvalue(o->L, idx);
    else
        lua_pushlstring(o->L, o->src, o->same);
}

/* Could the byte start a white space character (space_at)? ASCII up to
 * ' ', and the lead bytes of U+0085, U+00A0 (0xC2), U+1680 (0xE1),
 * U+2000-U+205F (0xE2) and U+3000 (0xE3). */
static int maybe_space(unsigned char c)
{
    return c <= ' ' || c == 0xC2 || (c >= 0xE1 && c <= 0xE3);
}

/* Append s[0..n) to `o` with every run of white space collapsed into one
 * ASCII space and leading/trailing white space dropped.  Text that is
 * already squished between two runs (words with one ASCII space between
 * them) is added in one piece; bytes that cannot start a space are
 * passed over without decoding. */
static void squish_into(lazy_out *o, const char *s, size_t n)
{
    size_t i = 0, adv;
    int started = 0;
    while (i < n) {
        size_t k = i;
        while (k < n && space_at(s, n, k, &adv))
            k += adv;
        if (k >= n)
            return;
        if (started && k > i)
            lazy_add(o, " ", 1);
        /* the run of text up to white space that is more than one
         * ASCII space between two non-spaces */
        size_t j = k;
        for (;;) {
            while (j < n && !maybe_space((unsigned char)s[j]))
                j++;
            if (j >= n)
                break;
            unsigned char c = (unsigned char)s[j];
            if (c == ' ') {
                if (j + 1 >= n)
                    break;
                unsigned char d = (unsigned char)s[j + 1];
                if (!maybe_space(d)) {
                    j += 2;
                    continue;
                }
                if (!space_at(s, n, j + 1, &adv)) {
                    j++;
                    continue;
                }
                break;
            }
            if (!space_at(s, n, j, &adv)) {
                j += adv;
                continue;
            }
            break;
        }
        lazy_add(o, s + k, j - k);
        started = 1;
        i = j;
    }
}

/* Bounds of s without leading and trailing white space. */
static void trim_bounds(const char *s, size_t n, size_t *from, size_t *to)
{
    size_t i = 0, adv;
    while (i < n && space_at(s, n, i, &adv))
        i += adv;
    /* trailing spaces from the end: a character counts when it decodes
     * as a space and ends exactly there (so the whole string is not
     * walked to trim a long body) */
    size_t end = n;
    while (end > i) {
        size_t k = end - 1;
        while (k > i && end - k < 4 && ((unsigned char)s[k] & 0xC0) == 0x80)
            k--;
        if (!space_at(s, n, k, &adv) || k + adv != end)
            break;
        end = k;
    }
    *from = i;
    *to = end;
}

/*
 * Entities
 */

typedef struct entity {
    const char *name;
    unsigned long cp;
} entity;

/* The HTML 4 entity set plus &apos;, sorted bytewise for bsearch. */
static const entity entities[] = {
    {"AElig", 0xC6}, {"Aacute", 0xC1}, {"Acirc", 0xC2}, {"Agrave", 0xC0},
    {"Alpha", 0x391}, {"Aring", 0xC5}, {"Atilde", 0xC3}, {"Auml", 0xC4},
    {"Beta", 0x392}, {"Ccedil", 0xC7}, {"Chi", 0x3A7}, {"Dagger", 0x2021},
    {"Delta", 0x394}, {"ETH", 0xD0}, {"Eacute", 0xC9}, {"Ecirc", 0xCA},
    {"Egrave", 0xC8}, {"Epsilon", 0x395}, {"Eta", 0x397}, {"Euml", 0xCB},
    {"Gamma", 0x393}, {"Iacute", 0xCD}, {"Icirc", 0xCE}, {"Igrave", 0xCC},
    {"Iota", 0x399}, {"Iuml", 0xCF}, {"Kappa", 0x39A}, {"Lambda", 0x39B},
    {"Mu", 0x39C}, {"Ntilde", 0xD1}, {"Nu", 0x39D}, {"OElig", 0x152},
    {"Oacute", 0xD3}, {"Ocirc", 0xD4}, {"Ograve", 0xD2}, {"Omega", 0x3A9},
    {"Omicron", 0x39F}, {"Oslash", 0xD8}, {"Otilde", 0xD5}, {"Ouml", 0xD6},
    {"Phi", 0x3A6}, {"Pi", 0x3A0}, {"Prime", 0x2033}, {"Psi", 0x3A8},
    {"Rho", 0x3A1}, {"Scaron", 0x160}, {"Sigma", 0x3A3}, {"THORN", 0xDE},
    {"Tau", 0x3A4}, {"Theta", 0x398}, {"Uacute", 0xDA}, {"Ucirc", 0xDB},
    {"Ugrave", 0xD9}, {"Upsilon", 0x3A5}, {"Uuml", 0xDC}, {"Xi", 0x39E},
    {"Yacute", 0xDD}, {"Yuml", 0x178}, {"Zeta", 0x396}, {"aacute", 0xE1},
    {"acirc", 0xE2}, {"acute", 0xB4}, {"aelig", 0xE6}, {"agrave", 0xE0},
    {"alefsym", 0x2135}, {"alpha", 0x3B1}, {"amp", 0x26}, {"and", 0x2227},
    {"ang", 0x2220}, {"apos", 0x27}, {"aring", 0xE5}, {"asymp", 0x2248},
    {"atilde", 0xE3}, {"auml", 0xE4}, {"bdquo", 0x201E}, {"beta", 0x3B2},
    {"brvbar", 0xA6}, {"bull", 0x2022}, {"cap", 0x2229}, {"ccedil", 0xE7},
    {"cedil", 0xB8}, {"cent", 0xA2}, {"chi", 0x3C7}, {"circ", 0x2C6},
    {"clubs", 0x2663}, {"cong", 0x2245}, {"copy", 0xA9}, {"crarr", 0x21B5},
    {"cup", 0x222A}, {"curren", 0xA4}, {"dArr", 0x21D3}, {"dagger", 0x2020},
    {"darr", 0x2193}, {"deg", 0xB0}, {"delta", 0x3B4}, {"diams", 0x2666},
    {"divide", 0xF7}, {"eacute", 0xE9}, {"ecirc", 0xEA}, {"egrave", 0xE8},
    {"empty", 0x2205}, {"emsp", 0x2003}, {"ensp", 0x2002}, {"epsilon", 0x3B5},
    {"equiv", 0x2261}, {"eta", 0x3B7}, {"eth", 0xF0}, {"euml", 0xEB},
    {"euro", 0x20AC}, {"exist", 0x2203}, {"fnof", 0x192}, {"forall", 0x2200},
    {"frac12", 0xBD}, {"frac14", 0xBC}, {"frac34", 0xBE}, {"frasl", 0x2044},
    {"gamma", 0x3B3}, {"ge", 0x2265}, {"gt", 0x3E}, {"hArr", 0x21D4},
    {"harr", 0x2194}, {"hearts", 0x2665}, {"hellip", 0x2026},
    {"iacute", 0xED}, {"icirc", 0xEE}, {"iexcl", 0xA1}, {"igrave", 0xEC},
    {"image", 0x2111}, {"infin", 0x221E}, {"int", 0x222B}, {"iota", 0x3B9},
    {"iquest", 0xBF}, {"isin", 0x2208}, {"iuml", 0xEF}, {"kappa", 0x3BA},
    {"lArr", 0x21D0}, {"lambda", 0x3BB}, {"lang", 0x2329}, {"laquo", 0xAB},
    {"larr", 0x2190}, {"lceil", 0x2308}, {"ldquo", 0x201C}, {"le", 0x2264},
    {"lfloor", 0x230A}, {"lowast", 0x2217}, {"loz", 0x25CA}, {"lrm", 0x200E},
    {"lsaquo", 0x2039}, {"lsquo", 0x2018}, {"lt", 0x3C}, {"macr", 0xAF},
    {"mdash", 0x2014}, {"micro", 0xB5}, {"middot", 0xB7}, {"minus", 0x2212},
    {"mu", 0x3BC}, {"nabla", 0x2207}, {"nbsp", 0xA0}, {"ndash", 0x2013},
    {"ne", 0x2260}, {"ni", 0x220B}, {"not", 0xAC}, {"notin", 0x2209},
    {"nsub", 0x2284}, {"ntilde", 0xF1}, {"nu", 0x3BD}, {"oacute", 0xF3},
    {"ocirc", 0xF4}, {"oelig", 0x153}, {"ograve", 0xF2}, {"oline", 0x203E},
    {"omega", 0x3C9}, {"omicron", 0x3BF}, {"oplus", 0x2295}, {"or", 0x2228},
    {"ordf", 0xAA}, {"ordm", 0xBA}, {"oslash", 0xF8}, {"otilde", 0xF5},
    {"otimes", 0x2297}, {"ouml", 0xF6}, {"para", 0xB6}, {"part", 0x2202},
    {"permil", 0x2030}, {"perp", 0x22A5}, {"phi", 0x3C6}, {"pi", 0x3C0},
    {"piv", 0x3D6}, {"plusmn", 0xB1}, {"pound", 0xA3}, {"prime", 0x2032},
    {"prod", 0x220F}, {"prop", 0x221D}, {"psi", 0x3C8}, {"quot", 0x22},
    {"rArr", 0x21D2}, {"radic", 0x221A}, {"rang", 0x232A}, {"raquo", 0xBB},
    {"rarr", 0x2192}, {"rceil", 0x2309}, {"rdquo", 0x201D}, {"real", 0x211C},
    {"reg", 0xAE}, {"rfloor", 0x230B}, {"rho", 0x3C1}, {"rlm", 0x200F},
    {"rsaquo", 0x203A}, {"rsquo", 0x2019}, {"sbquo", 0x201A},
    {"scaron", 0x161}, {"sdot", 0x22C5}, {"sect", 0xA7}, {"shy", 0xAD},
    {"sigma", 0x3C3}, {"sigmaf", 0x3C2}, {"sim", 0x223C}, {"spades", 0x2660},
    {"sub", 0x2282}, {"sube", 0x2286}, {"sum", 0x2211}, {"sup", 0x2283},
    {"sup1", 0xB9}, {"sup2", 0xB2}, {"sup3", 0xB3}, {"supe", 0x2287},
    {"szlig", 0xDF}, {"tau", 0x3C4}, {"there4", 0x2234}, {"theta", 0x3B8},
    {"thetasym", 0x3D1}, {"thinsp", 0x2009}, {"thorn", 0xFE},
    {"tilde", 0x2DC}, {"times", 0xD7}, {"trade", 0x2122}, {"uArr", 0x21D1},
    {"uacute", 0xFA}, {"uarr", 0x2191}, {"ucirc", 0xFB}, {"ugrave", 0xF9},
    {"uml", 0xA8}, {"upsih", 0x3D2}, {"upsilon", 0x3C5}, {"uuml", 0xFC},
    {"weierp", 0x2118}, {"xi", 0x3BE}, {"yacute", 0xFD}, {"yen", 0xA5},
    {"yuml", 0xFF}, {"zeta", 0x3B6}, {"zwj", 0x200D}, {"zwnj", 0x200C},
};

static int entity_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const entity *)elem)->name);
}

/* HTML5: numeric references 0x80-0x9F name Windows-1252 characters. */
static const unsigned short cp1252[32] = {
    0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D, 0x017D, 0x8F,
    0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
};

/* Decode the reference at s[0] == '&'.  On success appends its text to `b`
 * and returns its length in bytes; returns 0 when it is not a reference we
 * know (the caller copies the '&' as is). */
static size_t decode_ref(luaL_Buffer *b, const char *s, size_t n)
{
    if (n < 3)
        return 0;
    if (s[1] == '#') {
        size_t i = 2;
        int hex = 0;
        if (s[i] == 'x' || s[i] == 'X') {
            hex = 1;
            i++;
        }
        size_t start = i;
        unsigned long cp = 0;
        while (i < n) {
            int d;
            char c = s[i];
            if (c >= '0' && c <= '9')
                d = c - '0';
            else if (hex && c >= 'a' && c <= 'f')
                d = c - 'a' + 10;
            else if (hex && c >= 'A' && c <= 'F')
                d = c - 'A' + 10;
            else
                break;
            if (cp <= 0x10FFFF)
                cp = cp * (hex ? 16 : 10) + (unsigned long)d;
            i++;
        }
        if (i == start)
            return 0;
        if (i < n && s[i] == ';')
            i++;
        if (cp >= 0x80 && cp <= 0x9F)
            cp = cp1252[cp - 0x80];
        if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            cp = 0xFFFD;
        pipe_utf8_add(b, cp);
        return i;
    }
    char name[16];
    size_t i = 1;
    while (i < n && i - 1 < sizeof name - 1 &&
           ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
            (s[i] >= '0' && s[i] <= '9'))) {
        name[i - 1] = s[i];
        i++;
    }
    if (i == 1 || i >= n || s[i] != ';')
        return 0;
    name[i - 1] = '\0';
    size_t count = sizeof entities / sizeof *entities;
    const entity *e =
        bsearch(name, entities, count, sizeof *entities, entity_cmp);
    if (!e)
        return 0;
    pipe_utf8_add(b, e->cp);
    return i + 1;
}

static void add_decoded(luaL_Buffer *b, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        const char *amp = memchr(s + i, '&', n - i);
        if (!amp) {
            luaL_addlstring(b, s + i, n - i);
            return;
        }
        size_t at = (size_t)(amp - s);
        luaL_addlstring(b, s + i, at - i);
        size_t used = decode_ref(b, s + at, n - at);
        if (used == 0) {
            luaL_addchar(b, '&');
            used = 1;
        }
        i = at + used;
    }
}

/* The code point at s[j] (a lead byte add_spaces stops at), its length in
 * *adv, and what add_spaces makes of it: 1 a space, 2 nothing, 0 itself. */
static int space_kind(const char *s, size_t n, size_t j, size_t *adv)
{
    long cp = pipe_utf8_decode(s + j, n - j, adv);
    if (cp == 0xA0 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x202F ||
        cp == 0x205F || cp == 0x3000)
        return 1;
    if (cp == 0xAD || cp == 0x200B || cp == 0x2060 || cp == 0xFEFF)
        return 2;
    return 0;
}

static int space_lead(unsigned char c)
{
    return c >= 0xC2 && (c == 0xC2 || c == 0xE2 || c == 0xE3 || c == 0xEF);
}

/* Typographic spaces to ' ', invisible characters dropped. */
static void add_spaces(luaL_Buffer *b, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && !space_lead((unsigned char)s[j]))
            j++;
        luaL_addlstring(b, s + i, j - i);
        if (j >= n)
            return;
        size_t adv;
        int k = space_kind(s, n, j, &adv);
        if (k == 1)
            luaL_addchar(b, ' ');
        else if (k == 0)
            luaL_addlstring(b, s + j, adv);
        i = j + adv;
    }
}

/* Would add_spaces change s? */
static int spaces_change(const char *s, size_t n)
{
    for (size_t j = 0; j < n; j++) {
        if (!space_lead((unsigned char)s[j]))
            continue;
        size_t adv;
        if (space_kind(s, n, j, &adv) != 0)
            return 1;
        j += adv - 1;
    }
    return 0;
}

/*
 * Lua functions
 */

/* -- text.trim(s) -> string */
static int text_trim(lua_State *L)
{
    size_t n, from, to;
    const char *s = luaL_checklstring(L, 1, &n);
    trim_bounds(s, n, &from, &to);
    lua_pushlstring(L, s + from, to - from);
    return 1;
}

/* -- text.squish(s) -> string */
static int text_squish(lua_State *L)
{
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    lazy_out o;
    lazy_init(&o, L, s, n);
    squish_into(&o, s, n);
    lazy_push(&o, 1);
    return 1;
}

/* -- text.decode(s) -> string (HTML entities decoded) */
static int text_decode(lua_State *L)
{
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    if (!memchr(s, '&', n)) {
        lua_settop(L, 1);
        return 1;
    }
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    add_decoded(&b, s, n);
    luaL_pushresult(&b);
    return 1;
}

/* -- text.spaces(s) -> string */
static int text_spaces(lua_State *L)
{
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    add_spaces(&b, s, n);
    luaL_pushresult(&b);
    return 1;
}

/* Length of the line at s (up to '\n', '\r\n' or '\r') and, in *next, where
 * the following line starts. */
static size_t line_at(const char *s, size_t n, size_t *next)
{
    const char *nl = memchr(s, '\n', n);
    size_t i = nl != NULL ? (size_t)(nl - s) : n;
    const char *cr = memchr(s, '\r', i);
    if (cr != NULL)
        i = (size_t)(cr - s);
    size_t len = i;
    if (i < n && s[i] == '\r')
        i++;
    if (i < n && s[i] == '\n' && (i == len || s[i - 1] == '\r'))
        i++;
    *next = i;
    return len;
}

/* Bytes that text.clean passes over as they are wherever they stand:
 * printable ASCII but '&' (which may start an entity). */
static const unsigned char clean_plain[256] = {
#define P4(a) a, a, a, a
#define P16(a) P4(a), P4(a), P4(a), P4(a)
    P16(0), P16(0),                         /* 0x00-0x1f */
    0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* ' ', '&' */
    P16(1), P16(1), P16(1), P16(1), P16(1), /* 0x30-0x7f */
    P16(0), P16(0), P16(0), P16(0),         /* 0x80-0xff */
    P16(0), P16(0), P16(0), P16(0),
#undef P16
#undef P4
};

/* Is s what text.clean makes of it (so it can be returned as it is)?
 * One pass instead of clean's four: no '&', valid UTF-8 without a
 * typographic or invisible space, lines without leading, trailing or
 * doubled white space (single ASCII spaces between words), joined by one
 * or two '\n' (no '\r', tab, form feed or vertical tab), nothing blank at
 * either end.  0 means "not sure": clean does the full work. */
static int clean_already(const char *s, size_t n)
{
    enum { START, TEXT, SPACE, NL1, NL2 } st = START;
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && clean_plain[(unsigned char)s[j]])
            j++;
        if (j > i) {
            st = TEXT;
            i = j;
            if (i == n)
                break;
        }
        unsigned char c = (unsigned char)s[i];
        if (c == ' ') {
            if (st != TEXT)
                return 0;
            st = SPACE;
            i++;
        } else if (c == '\n') {
            if (st == TEXT)
                st = NL1;
            else if (st == NL1)
                st = NL2;
            else
                return 0;
            i++;
        } else if (c < 0x80) {
            /* other control characters are text; these are spaces */
            if (c == '&' || c == '\t' || c == '\r' || c == '\f' || c == '\v')
                return 0;
            st = TEXT;
            i++;
        } else {
            size_t adv;
            long cp = pipe_utf8_decode(s + i, n - i, &adv);
            if (cp < 0)
                return 0;
            if ((c == 0xC2 || (c >= 0xE1 && c <= 0xE3) || c == 0xEF) &&
                (is_space_cp(cp) || cp == 0xAD || cp == 0x200B ||
                 cp == 0x2060 || cp == 0xFEFF))
                return 0;
            st = TEXT;
            i += adv;
        }
    }
    return st == TEXT || n == 0;
}

/* -- text.clean(s) -> string: decode + spaces + squish per line; runs of
 * blank lines become one blank line; no leading/trailing blank lines. */
static int text_clean(lua_State *L)
{
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    if (clean_already(s, n)) {
        lua_settop(L, 1);
        return 1;
    }
    int idx = 1; /* the stack slot of s */
    luaL_Buffer b;
    /* Pass 1: decode, fix UTF-8, spaces; each step makes a copy only when
     * it changes something (most text has no entity left, is valid UTF-8
     * and has no typographic space). */
    if (memchr(s, '&', n) != NULL) {
        luaL_buffinit(L, &b);
        add_decoded(&b, s, n);
        luaL_pushresult(&b);
        s = lua_tolstring(L, -1, &n);
        idx = lua_gettop(L);
    }
    if (pipe_utf8_valid(s, n) != n) {
        luaL_buffinit(L, &b);
        pipe_utf8_fix(&b, s, n);
        luaL_pushresult(&b);
        s = lua_tolstring(L, -1, &n);
        idx = lua_gettop(L);
    }
    if (spaces_change(s, n)) {
        luaL_buffinit(L, &b);
        add_spaces(&b, s, n);
        luaL_pushresult(&b);
        s = lua_tolstring(L, -1, &n);
        idx = lua_gettop(L);
    }
    /* Pass 2: lines (copied only from where they change: a text that is
     * clean already comes back as it is). */
    lazy_out o;
    lazy_init(&o, L, s, n);
    int blank = 0, any = 0;
    size_t i = 0;
    while (i < n) {
        size_t next, len = line_at(s + i, n - i, &next);
        size_t from, to;
        trim_bounds(s + i, len, &from, &to);
        if (from == to) {
            blank = any;
        } else {
            if (any)
                lazy_add(&o, "\n\n", blank ? 2 : 1);
            squish_into(&o, s + i + from, to - from);
            any = 1;
            blank = 0;
        }
        i += next;
    }
    lazy_push(&o, idx);
    return 1;
}

/* -- text.lines(s) -> {line...} (split on \n, \r\n, \r; a final line break
 * does not start an empty line) */
static int text_lines(lua_State *L)
{
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    lua_newtable(L);
    size_t i = 0;
    lua_Integer k = 0;
    while (i < n) {
        size_t next, len = line_at(s + i, n - i, &next);
        lua_pushlstring(L, s + i, len);
        lua_rawseti(L, -2, ++k);
        i += next;
    }
    return 1;
}

/* The compiled \w+ pattern, a userdata upvalue of text.words. */
typedef struct text_re {
    pcre2_code *code;
    pcre2_match_data *md;
} text_re;

static int text_re_gc(lua_State *L)
{
    text_re *r = lua_touserdata(L, 1);
    pcre2_match_data_free(r->md);
    pcre2_code_free(r->code);
    r->md = NULL;
    r->code = NULL;
    return 0;
}

/* -- text.words(s) -> integer: number of \w+ runs (Unicode-aware) */
static int text_words(lua_State *L)
{
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    text_re *r = lua_touserdata(L, lua_upvalueindex(1));
    lua_Integer count = 0;
    size_t at = 0;
    while (at < n) {
        int rc = pcre2_match(r->code, (PCRE2_SPTR)s, n, at, 0, r->md, NULL);
        if (rc < 0)
            break;
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(r->md);
        count++;
        at = ov[1] > at ? ov[1] : at + 1;
    }
    lua_pushinteger(L, count);
    return 1;
}

/* -- text.truncate(s, n) -> string: at most n characters; when cut,
 * trailing white space is dropped and "…" appended */
static int text_truncate(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    lua_Integer max = luaL_checkinteger(L, 2);
    luaL_argcheck(L, max >= 0, 2, "negative length");
    size_t i = 0;
    lua_Integer chars = 0;
    while (i < len && chars < max) {
        size_t adv;
        if ((unsigned char)s[i] < 0x80)
            adv = 1;
        else
            pipe_utf8_decode(s + i, len - i, &adv);
        i += adv;
        chars++;
    }
    if (i >= len) {
        lua_settop(L, 1);
        return 1;
    }
    size_t from, to;
    trim_bounds(s, i, &from, &to);
    (void)from;
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addlstring(&b, s, to);
    luaL_addstring(&b, "\xE2\x80\xA6");
    luaL_pushresult(&b);
    return 1;
}

static const luaL_Reg text_functions[] = {
    {"trim", text_trim},
    {"squish", text_squish},
    {"decode", text_decode},
    {"spaces", text_spaces},
    {"clean", text_clean},
    {"lines", text_lines},
    {"truncate", text_truncate},
    {"words", NULL},
    {NULL, NULL},
};

static int text_open(lua_State *L)
{
    luaL_newlib(L, text_functions);
    /* text.words keeps its compiled pattern as an upvalue: created in a
     * safe empty state with its __gc before PCRE2 allocates anything. */
    text_re *r = lua_newuserdatauv(L, sizeof *r, 0);
    r->code = NULL;
    r->md = NULL;
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, text_re_gc);
    lua_setfield(L, -2, "__gc");
    lua_setmetatable(L, -2);
    int err;
    PCRE2_SIZE off;
    r->code = pcre2_compile((PCRE2_SPTR) "\\w+", PCRE2_ZERO_TERMINATED,
                            PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF,
                            &err, &off, NULL);
    if (r->code) {
        pcre2_jit_compile(r->code, PCRE2_JIT_COMPLETE);
        r->md = pcre2_match_data_create_from_pattern(r->code, NULL);
    }
    if (!r->code || !r->md)
        return luaL_error(L, "out of memory");
    lua_pushcclosure(L, text_words, 1);
    lua_setfield(L, -2, "words");
    return 1;
}

static const char *const text_names[] = {
    "trim", "squish", "decode", "spaces", "clean", "lines", "words",
    "truncate", NULL,
};

const pipe_plugin pipe_plugin_text = {
    PIPE_PLUGIN_HEAD,
    .name = "text",
    .summary = "text cleaning: trim, squish, entities, spaces, words, truncate",
    .open = text_open,
    .lua_names = text_names,
};
