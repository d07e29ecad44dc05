/*
 * date plugin, what ICU knows: per-language tables (names, numeric order,
 * hour words, relative phrases), the union of the default languages, zone
 * abbreviations, IANA zone offsets.
 *
 * Caveats: the zone abbreviation table costs ~25 ms to build and ICU's
 * generic zone names (ET, PT, IST) 50-90 ms the first time; both happen
 * once per Lua state (the names: per process), on the first text that
 * needs them, unless an earlier run left the table, or the word's answer,
 * in pipe's cache (date_store.c).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <unicode/uchar.h>
#include <unicode/uloc.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>

#include <lauxlib.h>

#include "date.h"
#include "pipe/util.h"

/* the languages dates are looked for in when the text's is not known */
static const char *const default_langs[] = {
    "en", "de", "fr", "es", "it", "pt", "nl", "pl",
    "sv", "da", "fi", "cs", "tr", "uk", "ru", NULL,
};

/* languages whose month names inflect beyond what CLDR lists ("у
 * березні", "w marcu", "tammikuussa"): there a word close enough to a
 * month name counts as that month (prefix_month) */
static const char *const inflecting[] = {
    "uk", "ru", "be", "pl", "cs", "sk", "sl", "hr", "sr",
    "bs", "lt", "lv", "fi", "et", "hu", "el", NULL,
};

/* locales whose short zone names make the base abbreviation table (the
 * text's own language adds its names: "MEZ" in German, "IST" in en-IN) */
static const char *const zone_locales[] = {"en", "en_GB", "en_AU", NULL};

/*
 * ICU objects live in a box (pipe_box, include/pipe/util.h) while Lua
 * tables are filled, so an out-of-memory error in a push never leaks them
 * (the box's release closes what is still open).
 */

void pipe_date_box_close(icu_box *b)
{
    if (b->df)
        udat_close(b->df);
    if (b->pg)
        udatpg_close(b->pg);
    for (int i = 0; i < 3; i++)
        if (b->rf[i])
            ureldatefmt_close(b->rf[i]);
    if (b->cal)
        ucal_close(b->cal);
    if (b->en)
        uenum_close(b->en);
    memset(b, 0, sizeof *b);
}

/* the box's release: close what is still open, free the struct */
static void icu_box_free(void *p)
{
    pipe_date_box_close(p);
    free(p);
}

icu_box *pipe_date_new_box(lua_State *L)
{
    pipe_box *bx = pipe_box_new(L, icu_box_free);
    bx->p = calloc(1, sizeof(icu_box));
    if (!bx->p)
        luaL_error(L, "out of memory");
    return bx->p;
}

/*
 * Time zones
 */

int pipe_date_zone_id(const char *id, UChar *z, int cap)
{
    int n = (int)strlen(id);
    if (n >= cap)
        return -1;
    u_charsToUChars(id, z, n + 1);
    return n;
}

static UCalendar *open_zone(const char *id)
{
    UChar z[64];
    if (pipe_date_zone_id(id, z, 64) < 0)
        return NULL;
    UErrorCode st = U_ZERO_ERROR;
    UCalendar *c = ucal_open(z, -1, "en", UCAL_GREGORIAN, &st);
    if (U_FAILURE(st))
        return NULL;
    ucal_setGregorianChange(c, -8.64e15, &st);
    return c;
}

/* The calendar of the zone last asked for, kept for the process: a
 * rule's dates are in one zone, and opening its calendar costs ICU ~60 K
 * instructions a page.  Each use sets all that it reads (the wall-time
 * attributes and fields, or the instant), so nothing carries over from
 * one use to the next.  NULL when the zone cannot be opened (an id too
 * long for pipe_date_zone_id is never cached). */
static struct {
    char id[64];
    UCalendar *cal;
} zone_cache;

static UCalendar *zone_calendar(const char *id)
{
    if (zone_cache.cal != NULL && strcmp(zone_cache.id, id) == 0)
        return zone_cache.cal;
    if (strlen(id) >= sizeof zone_cache.id)
        return NULL;
    UCalendar *c = open_zone(id);
    if (c == NULL)
        return NULL;
    if (zone_cache.cal != NULL)
        ucal_close(zone_cache.cal);
    zone_cache.cal = c;
    strcpy(zone_cache.id, id);
    return c;
}

/* the offset of zone `id` at wall time t: a repeated wall time is its
 * first occurrence, a skipped one is read with the offset before the gap
 * (so "02:30" on a spring-forward night comes out as 02:30 with the winter
 * offset: the right instant, written as the page wrote it) */
int pipe_date_wall_offset(const char *id, const dt *t, int *off)
{
    UCalendar *c = zone_calendar(id);
    if (!c)
        return -1;
    UErrorCode st = U_ZERO_ERROR;
    ucal_setAttribute(c, UCAL_REPEATED_WALL_TIME, UCAL_WALLTIME_FIRST);
    ucal_setAttribute(c, UCAL_SKIPPED_WALL_TIME, UCAL_WALLTIME_LAST);
    ucal_clear(c);
    ucal_setDateTime(c, t->y, t->m - 1, t->d, t->H, t->M, t->S, &st);
    UDate ms = ucal_getMillis(c, &st);
    if (U_FAILURE(st))
        return -1;
    *off = (int)((pipe_date_wall_secs(t) * 1000.0 - ms) / 60000.0);
    return 0;
}

/* the offset of zone `id` at an instant */
int pipe_date_instant_offset(const char *id, long long epoch, int *off)
{
    UCalendar *c = zone_calendar(id);
    if (!c)
        return -1;
    UErrorCode st = U_ZERO_ERROR;
    ucal_setMillis(c, (UDate)epoch * 1000.0, &st);
    int32_t z = ucal_get(c, UCAL_ZONE_OFFSET, &st);
    int32_t d = ucal_get(c, UCAL_DST_OFFSET, &st);
    if (U_FAILURE(st))
        return -1;
    *off = (z + d) / 60000;
    return 0;
}

/* "+02:00", "+0200", "+02", "-500", "UTC+5:30", "GMT-3", "Z" -> minutes */
int pipe_date_fixed_offset(const char *s, int *off)
{
    if (!strcmp(s, "Z") || !strcmp(s, "z") || !strcasecmp(s, "UTC") ||
        !strcasecmp(s, "GMT") || !strcasecmp(s, "UT")) {
        *off = 0;
        return 0;
    }
    if (!strncasecmp(s, "UTC", 3) || !strncasecmp(s, "GMT", 3))
        s += 3;
    if (*s != '+' && *s != '-')
        return -1;
    int sign = *s++ == '-' ? -1 : 1;
    int h = 0, m = 0, nd = 0;
    const char *p = s;
    while (*p >= '0' && *p <= '9' && nd < 5) {
        nd++;
        p++;
    }
    if (*p == ':') {
        if (nd < 1 || nd > 2 ||
            !(p[1] >= '0' && p[1] <= '9' && p[2] >= '0' && p[2] <= '9') || p[3])
            return -1;
        h = atoi(s);
        m = atoi(p + 1);
    } else {
        if (*p || nd == 0 || nd > 4)
            return -1;
        int v = atoi(s);
        if (nd <= 2) {
            h = v;
        } else {
            h = v / 100;
            m = v % 100;
        }
    }
    if (h > 14 || m > 59)
        return -1;
    *off = sign * (h * 60 + m);
    return 0;
}

/* a table of zone abbreviations from the short zone names of `locales`
 * (folded name -> minutes, false when they name two offsets); pushes it */
static void build_zones(lua_State *L, const char *const *locales)
{
    lua_newtable(L);
    int zt = lua_gettop(L);
    icu_box *b = pipe_date_new_box(L);
    UErrorCode st = U_ZERO_ERROR;
    b->en = ucal_openTimeZoneIDEnumeration(UCAL_ZONE_TYPE_CANONICAL_LOCATION,
                                           NULL, NULL, &st);
    const UChar *id;
    int32_t idlen;
    while (U_SUCCESS(st) && (id = uenum_unext(b->en, &idlen, &st))) {
        UErrorCode s2 = U_ZERO_ERROR;
        b->cal = ucal_open(id, idlen, "en", UCAL_GREGORIAN, &s2);
        if (U_FAILURE(s2)) {
            b->cal = NULL;
            continue;
        }
        ucal_setMillis(b->cal, 1705312800000.0, &s2); /* 2024-01-15 */
        int raw = ucal_get(b->cal, UCAL_ZONE_OFFSET, &s2) / 60000;
        int save = ucal_getDSTSavings(id, &s2) / 60000;
        for (int l = 0; locales[l] && U_SUCCESS(s2); l++)
            for (int dst = 0; dst < 2; dst++) {
                if (dst && save == 0)
                    continue;
                UChar name[32];
                UErrorCode s3 = U_ZERO_ERROR;
                int32_t n = ucal_getTimeZoneDisplayName(
                    b->cal, dst ? UCAL_SHORT_DST : UCAL_SHORT_STANDARD,
                    locales[l], name, 32, &s3);
                if (U_FAILURE(s3) || n < 2 || n > 6)
                    continue;
                int letters = 1;
                for (int k = 0; k < n; k++)
                    letters &= pipe_date_is_letter(name[k]);
                if (!letters)
                    continue;
                folded f;
                char key[WORDMAX];
                int kl;
                if (pipe_date_fold_u16(name, n, &f) != 0 ||
                    (kl = pipe_date_to_utf8(&f, 0, f.n, key, WORDMAX)) < 0)
                    continue;
                int off = raw + (dst ? save : 0);
                lua_pushlstring(L, key, (size_t)kl);
                int have = lua_rawget(L, zt);
                if (have == LUA_TNIL) {
                    lua_pop(L, 1);
                    lua_pushlstring(L, key, (size_t)kl);
                    lua_pushinteger(L, off);
                    lua_rawset(L, zt);
                } else {
                    int same =
                        have == LUA_TNUMBER && lua_tointeger(L, -1) == off;
                    lua_pop(L, 1);
                    if (!same) {
                        lua_pushlstring(L, key, (size_t)kl);
                        lua_pushboolean(L, 0);
                        lua_rawset(L, zt);
                    }
                }
            }
        ucal_close(b->cal);
        b->cal = NULL;
    }
    pipe_date_box_close(b);
    lua_pop(L, 1);
    if (locales != zone_locales)
        return;
    static const char *const zero[] = {"utc", "gmt", "ut", "z", NULL};
    for (int i = 0; zero[i]; i++) {
        lua_pushinteger(L, 0);
        lua_setfield(L, zt, zero[i]);
    }
    /* CLDR has no short name for Moscow time, which Russian-language
     * sites print as "МСК" (and Latin "MSK"): the one name added by hand */
    lua_pushinteger(L, 180);
    lua_setfield(L, zt, "msk");
    lua_pushinteger(L, 180);
    lua_setfield(L, zt, "\xD0\xBC\xD1\x81\xD0\xBA");
}

/* the base abbreviation table, built once per state; pushes it */
void pipe_date_push_zones(lua_State *L, int cache)
{
    if (lua_getfield(L, cache, "zones") == LUA_TTABLE)
        return;
    lua_pop(L, 1);
    if (!pipe_date_store_load_zones(L, "base")) {
        build_zones(L, zone_locales);
        pipe_date_store_save_zones(L, -1, "base");
    }
    lua_pushvalue(L, -1);
    lua_setfield(L, cache, "zones");
}

/* the offset an abbreviation names: the text's language's own short zone
 * names first (built on first use), then the base table; 1 found, 0 not */
int pipe_date_zone_lookup(ctx *x, const char *w, int *off)
{
    lua_State *L = x->L;
    int found = 0;
    if (x->prim != x->uni) {
        if (lua_getfield(L, x->prim, "zones") != LUA_TTABLE) {
            lua_pop(L, 1);
            lua_getfield(L, x->prim, "locale");
            const char *loc[2] = {lua_tostring(L, -1), NULL};
            int base = 0;
            for (int i = 0; zone_locales[i]; i++)
                base |= loc[0] && !strcmp(loc[0], zone_locales[i]);
            if (loc[0] && !base) {
                if (!pipe_date_store_load_zones(L, loc[0])) {
                    build_zones(L, loc);
                    pipe_date_store_save_zones(L, -1, loc[0]);
                }
            } else {
                lua_newtable(L);
            }
            lua_remove(L, -2);
            lua_pushvalue(L, -1);
            lua_setfield(L, x->prim, "zones");
        }
        int t = lua_getfield(L, -1, w);
        lua_remove(L, -2);
        if (t == LUA_TNUMBER) {
            *off = (int)lua_tointeger(L, -1);
            found = 1;
        }
        lua_pop(L, 1);
        if (t != LUA_TNIL)
            return found ? 1 : -1; /* false: ambiguous in that language */
    }
    pipe_date_push_zones(L, x->cache);
    int t = lua_getfield(L, -1, w);
    if (t == LUA_TNUMBER) {
        *off = (int)lua_tointeger(L, -1);
        found = 1;
    } else if (t != LUA_TNIL) {
        found = -1; /* an abbreviation of two offsets ("IST") */
    }
    lua_pop(L, 2);
    return found;
}

/* The parser of generic zone names ("v" in en_US) and its calendar, made
 * once per process and kept: loading the names of every zone costs ~350 M
 * instructions, and ICU drops them again when the last formatter that
 * uses them is closed, so a formatter per word paid that for every new
 * word.  (ICU objects belong to no Lua state; these live until exit.) */
static UDateFormat *generic_zone_df;
static UCalendar *generic_zone_cal;

static UDateFormat *generic_zone_parser(UErrorCode *st)
{
    if (generic_zone_df != NULL)
        return generic_zone_df;
    UChar pat[2] = {'v', 0};
    UDateFormat *df =
        udat_open(UDAT_PATTERN, UDAT_PATTERN, "en_US", NULL, 0, pat, 1, st);
    UCalendar *cal =
        U_SUCCESS(*st) ? ucal_open(NULL, 0, "en_US", UCAL_GREGORIAN, st) : NULL;
    if (U_FAILURE(*st)) {
        if (df)
            udat_close(df);
        if (cal)
            ucal_close(cal);
        return NULL;
    }
    udat_setLenient(df, 0);
    generic_zone_df = df;
    generic_zone_cal = cal;
    return df;
}

/* a generic zone name ("ET", "PT": wall time of a zone with its daylight
 * saving) -> IANA id, as ICU parses it in en_US; cached; "" when none */
/* Does the text hold `w` (lowercase ASCII) in capitals as a word of its
 * own ("ET" in "10:15 a.m. ET,")? */
static int capitals_in(const char *s, size_t n, const char *w, int wl)
{
    for (size_t i = 0; i + (size_t)wl <= n; i++) {
        int k = 0;
        while (k < wl && s[i + k] == w[k] - 'a' + 'A')
            k++;
        if (k < wl)
            continue;
        unsigned char before = i > 0 ? (unsigned char)s[i - 1] : ' ';
        unsigned char after = i + wl < n ? (unsigned char)s[i + wl] : ' ';
        int lb = (before | 32) >= 'a' && (before | 32) <= 'z';
        int la = (after | 32) >= 'a' && (after | 32) <= 'z';
        if (!lb && !la && before < 0x80 && after < 0x80)
            return 1;
    }
    return 0;
}

/* ICU's answer for generic zone name w (lowercase, wl letters) into id
 * (64 bytes): the IANA id, "" when none; 0 when ICU failed (an answer not
 * to keep) */
static int generic_zone_icu(const char *w, int wl, char *id)
{
    UChar in[8], zid[64];
    u_charsToUChars(w, in, wl + 1);
    for (int i = 0; i < wl; i++)
        in[i] = u_toupper(in[i]);
    UErrorCode st = U_ZERO_ERROR;
    UDateFormat *df = generic_zone_parser(&st);
    UCalendar *cal = df ? generic_zone_cal : NULL;
    int32_t pos = 0;
    static const UChar gmt[] = {'G', 'M', 'T', 0};
    if (U_SUCCESS(st) && df) {
        ucal_setTimeZone(cal, gmt, -1, &st);
        udat_parseCalendar(df, cal, in, wl, &pos, &st);
    }
    if (U_SUCCESS(st) && df && pos == wl) {
        int32_t n = ucal_getTimeZoneID(cal, zid, 64, &st);
        if (U_SUCCESS(st) && n < 64) {
            u_UCharsToChars(zid, id, n);
            id[n] = '\0';
            /* a fixed zone (GMT, Etc/...) is not a generic name */
            if (!strchr(id, '/') || !strncmp(id, "Etc/", 4))
                id[0] = '\0';
        }
    }
    /* (a word that names no zone is a parse error: an answer too) */
    return df != NULL && (U_SUCCESS(st) || st == U_PARSE_ERROR);
}

void pipe_date_generic_zone(const ctx *x, const char *w, int wl, char *out,
                            size_t cap)
{
    lua_State *L = x->L;
    int cache = x->cache;
    out[0] = '\0';
    /* ET, CT, MT, PT, AKT: ICU's generic-name parse costs ~50 ms the first
     * time (it loads every zone's names), so only words shaped like these,
     * and only written in capitals in the text: "at", "et", "mit" after a
     * time are words ("10:15 at the harbour" is not Atlantic time) */
    if (wl < 2 || wl > 3 || w[wl - 1] != 't')
        return;
    for (int i = 0; i < wl; i++)
        if (w[i] < 'a' || w[i] > 'z')
            return;
    if (x->src != NULL && !capitals_in(x->src, x->srclen, w, wl))
        return;
    lua_pushfstring(L, "G:%s", w);
    int have = lua_rawget(L, cache);
    if (have == LUA_TSTRING) {
        snprintf(out, cap, "%s", lua_tostring(L, -1));
        lua_pop(L, 1);
        return;
    }
    lua_pop(L, 1);
    if (have != LUA_TNIL)
        return;
    char id[64] = "";
    /* an earlier run's answer (date_store.c): no ICU names loaded */
    if (!pipe_date_store_load_gzone(w, id, sizeof id)) {
        if (generic_zone_icu(w, wl, id))
            pipe_date_store_save_gzone(w, id);
    }
    lua_pushfstring(L, "G:%s", w);
    if (id[0])
        lua_pushstring(L, id);
    else
        lua_pushboolean(L, 0);
    lua_rawset(L, cache);
    snprintf(out, cap, "%s", id);
}

/*
 * Per-language data: a Lua table per locale, cached in the module's
 * upvalue table under "L:" .. lang:
 *   words   folded word -> entry bits (months, weekdays, AM/PM, hour words)
 *   wide    first character -> {folded wide month name -> month} (for
 *           inflected forms)
 *   inflect boolean
 *   order   0 d/m/y, 1 m/d/y, 2 y/m/d
 *   rel     relative phrases by their last word: rel.heures = { { "il",
 *           "y", "a", "#", "heures", u = UNIT, one = true (made from 1:
 *           "#" may be a word or nothing) | fix = offset (no number:
 *           "hier" = -1 day) }, ... }
 */

static void add_word(lua_State *L, int words, const UChar *u, int32_t n,
                     unsigned e)
{
    folded f;
    char key[WORDMAX];
    if (n <= 0 || pipe_date_fold_u16(u, n, &f) != 0)
        return;
    while (f.n > 0 && (f.c[f.n - 1] == '.' || f.c[f.n - 1] == ' '))
        f.n--;
    for (int i = 0; i < f.n; i++)
        if (!pipe_date_is_letter(f.c[i]) && f.c[i] != '\'')
            return;
    int fn = 0;
    for (int i = 0; i < f.n;
         i++) /* inner apostrophes go, as in pipe_date_tokenize */
        if (f.c[i] != '\'')
            f.c[fn++] = f.c[i];
    f.n = fn;
    int kl = pipe_date_to_utf8(&f, 0, f.n, key, WORDMAX);
    if (kl <= 0)
        return;
    lua_pushlstring(L, key, (size_t)kl);
    lua_pushvalue(L, -1);
    unsigned old = (unsigned)lua_tointeger(L, (lua_rawget(L, words), -1));
    lua_pop(L, 1);
    lua_pushinteger(L, (lua_Integer)(old | e));
    lua_rawset(L, words);
}

/* wide[first character][name] = month (so prefix_month looks only at the
 * names that start like the word) */
static void wide_add(lua_State *L, int wide, const char *key, int kl, int month)
{
    lua_pushlstring(L, key, (size_t)first_char(key, kl));
    if (lua_rawget(L, wide) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushlstring(L, key, (size_t)first_char(key, kl));
        lua_pushvalue(L, -2);
        lua_rawset(L, wide);
    }
    lua_pushlstring(L, key, (size_t)kl);
    lua_pushinteger(L, month);
    lua_rawset(L, -3);
    lua_pop(L, 1);
}

static void add_symbols(lua_State *L, int lt, icu_box *b,
                        UDateFormatSymbolType type, int kind)
{
    lua_getfield(L, lt, "words");
    int words = lua_gettop(L);
    lua_getfield(L, lt, "wide");
    int wide = lua_gettop(L);
    int n = udat_countSymbols(b->df, type);
    for (int i = 0; i < n; i++) {
        UChar buf[64];
        UErrorCode st = U_ZERO_ERROR;
        int32_t len = udat_getSymbols(b->df, type, i, buf, 64, &st);
        if (U_FAILURE(st) || len <= 0 || len >= 64)
            continue;
        unsigned e = 0;
        if (kind == 'm' && i < 12)
            e = (unsigned)(i + 1);
        else if (kind == 'w' && i >= 1 && i <= 7)
            e = (unsigned)i << 4;
        else if (kind == 'a' && i < 2)
            e = i == 0 ? E_AM : E_PM;
        if (!e)
            continue;
        add_word(L, words, buf, len, e);
        if (kind == 'm' &&
            (type == UDAT_MONTHS || type == UDAT_STANDALONE_MONTHS)) {
            folded f;
            char key[WORDMAX];
            int kl;
            if (pipe_date_fold_u16(buf, len, &f) == 0 &&
                (kl = pipe_date_to_utf8(&f, 0, f.n, key, WORDMAX)) > 0)
                wide_add(L, wide, key, kl, i + 1);
        }
    }
    lua_pop(L, 2);
}

/* the quoted literals of the pattern for skeleton "H" ("HH 'Uhr'") are
 * the language's hour words */
static void add_hour_words(lua_State *L, int lt, icu_box *b)
{
    UChar sk[2] = {'H', 0}, pat[64];
    UErrorCode st = U_ZERO_ERROR;
    int32_t n = udatpg_getBestPattern(b->pg, sk, 1, pat, 64, &st);
    if (U_FAILURE(st) || n >= 64)
        return;
    lua_getfield(L, lt, "words");
    int words = lua_gettop(L);
    for (int i = 0; i < n; i++) {
        if (pat[i] != '\'')
            continue;
        int j = i + 1;
        while (j < n && pat[j] != '\'')
            j++;
        if (j > i + 1)
            add_word(L, words, pat + i + 1, j - i - 1, E_HOUR);
        i = j;
    }
    lua_pop(L, 1);
}

/* one relative phrase as ICU wrote it -> a template in the rel list */
static void add_phrase(lua_State *L, int rel, int seen, const UChar *u,
                       int32_t n, int unit, int one, int fix, int ukr)
{
    folded f;
    if (pipe_date_fold_u16(u, n, &f) != 0)
        return;
    toks *T = malloc(sizeof *T); /* freed before anything can raise */
    if (!T)
        return;
    pipe_date_tokenize(&f, T);
    int nums = 0, words = 0, sign = 0;
    for (int i = 0; i < T->n; i++) {
        if (T->t[i].kind == T_NUM) {
            nums++;
            if (i > 0 && (punct_is(T, i - 1, '-') || punct_is(T, i - 1, '+')))
                sign = 1;
        } else if (T->t[i].kind == T_WORD) {
            words++;
        }
    }
    /* "-2 h" (narrow forms with a sign) and phrases with one word beside
     * the number would match too much ("à 13 h") */
    int ok = fix != INT32_MIN ? nums == 0 && words > 0
                              : nums == 1 && !sign && words >= 2;
    char key[512];
    int kl = 0;
    if (ok) {
        for (int i = 0; i < T->n && kl < 400; i++) {
            if (T->t[i].kind == T_NUM)
                key[kl++] = '#';
            else if (T->t[i].kind == T_WORD) {
                memcpy(key + kl, word(T, i), (size_t)T->t[i].wl);
                kl += T->t[i].wl;
            } else
                continue;
            key[kl++] = ' ';
        }
        kl += snprintf(key + kl, sizeof key - (size_t)kl, "|%d|%d", unit, fix);
    }
    /* copy what the Lua side needs, then free T before any push */
    int nt = 0;
    char wbuf[512];
    int wofs[32], wlen[32], wl = 0;
    for (int i = 0; ok && i < T->n && nt < 32; i++) {
        if (T->t[i].kind == T_NUM) {
            wofs[nt] = -1;
            wlen[nt++] = 0;
        } else if (T->t[i].kind == T_WORD && wl + T->t[i].wl < 512) {
            memcpy(wbuf + wl, word(T, i), (size_t)T->t[i].wl);
            wofs[nt] = wl;
            wlen[nt++] = T->t[i].wl;
            wl += T->t[i].wl;
        }
    }
    free(T);
    if (!ok)
        return;
    for (int variant = 0; variant < (ukr ? 2 : 1); variant++) {
        /* Ukrainian alternates initial у/в ("учора", "вчора") */
        if (variant) {
            int any = 0;
            for (int k = 0; k < nt; k++)
                if (wofs[k] >= 0 && wlen[k] >= 2 &&
                    (unsigned char)wbuf[wofs[k]] == 0xD1 &&
                    (unsigned char)wbuf[wofs[k] + 1] == 0x83)
                    any = 1;
            if (!any)
                break;
        }
        /* the list of templates ending in this word */
        int last = nt - 1;
        if (wofs[last] < 0)
            continue; /* a phrase must end in a word */
        if (variant && wlen[last] >= 2 &&
            (unsigned char)wbuf[wofs[last]] == 0xD1 &&
            (unsigned char)wbuf[wofs[last] + 1] == 0x83) {
            lua_pushliteral(L, "\xD0\xB2");
            lua_pushlstring(L, wbuf + wofs[last] + 2, (size_t)wlen[last] - 2);
            lua_concat(L, 2);
        } else {
            lua_pushlstring(L, wbuf + wofs[last], (size_t)wlen[last]);
        }
        lua_pushvalue(L, -1);
        if (lua_rawget(L, rel) != LUA_TTABLE) {
            lua_pop(L, 1);
            lua_newtable(L);
            lua_pushvalue(L, -2);
            lua_pushvalue(L, -2);
            lua_rawset(L, rel);
        }
        lua_remove(L, -2);
        int list = lua_gettop(L);
        lua_pushfstring(L, "%s|%d", key, variant);
        if (lua_rawget(L, seen) != LUA_TNIL) {
            lua_pop(L, 1);
            if (one && !variant) {
                /* the same template from 1 and from 21: it may stand for one */
                lua_Integer len = (lua_Integer)lua_rawlen(L, list);
                for (lua_Integer i = 1; i <= len; i++) {
                    lua_rawgeti(L, list, i);
                    lua_getfield(L, -1, "key");
                    int same = lua_isstring(L, -1) &&
                               !strcmp(lua_tostring(L, -1), key);
                    lua_pop(L, 1);
                    if (same) {
                        lua_pushboolean(L, 1);
                        lua_setfield(L, -2, "one");
                    }
                    lua_pop(L, 1);
                }
            }
            lua_pop(L, 1);
            continue;
        }
        lua_pop(L, 1);
        lua_pushfstring(L, "%s|%d", key, variant);
        lua_pushboolean(L, 1);
        lua_rawset(L, seen);
        lua_createtable(L, nt, 4);
        for (int k = 0; k < nt; k++) {
            if (wofs[k] < 0) {
                lua_pushliteral(L, "#");
            } else if (variant && wlen[k] >= 2 &&
                       (unsigned char)wbuf[wofs[k]] == 0xD1 &&
                       (unsigned char)wbuf[wofs[k] + 1] == 0x83) {
                lua_pushliteral(L, "\xD0\xB2"); /* в */
                lua_pushlstring(L, wbuf + wofs[k] + 2, (size_t)wlen[k] - 2);
                lua_concat(L, 2);
            } else {
                lua_pushlstring(L, wbuf + wofs[k], (size_t)wlen[k]);
            }
            lua_rawseti(L, -2, k + 1);
        }
        lua_pushinteger(L, unit);
        lua_setfield(L, -2, "u");
        if (fix != INT32_MIN) {
            lua_pushinteger(L, fix);
            lua_setfield(L, -2, "fix");
        }
        if (one) {
            lua_pushboolean(L, 1);
            lua_setfield(L, -2, "one");
        }
        lua_pushstring(L, key);
        lua_setfield(L, -2, "key");
        lua_rawseti(L, list, (lua_Integer)lua_rawlen(L, list) + 1);
        lua_pop(L, 1);
    }
}

static void add_relative(lua_State *L, int lt, icu_box *b, const char *lang)
{
    static const struct {
        URelativeDateTimeUnit icu;
        int unit;
    } units[] = {
        {UDAT_REL_UNIT_SECOND, U_SEC}, {UDAT_REL_UNIT_MINUTE, U_MIN},
        {UDAT_REL_UNIT_HOUR, U_HOUR},  {UDAT_REL_UNIT_DAY, U_DAY},
        {UDAT_REL_UNIT_WEEK, U_WEEK},  {UDAT_REL_UNIT_MONTH, U_MONTH},
        {UDAT_REL_UNIT_YEAR, U_YEAR},
    };
    /* one of each plural category in the languages pipe meets */
    static const int samples[] = {1, 2, 3, 5, 11, 21, 22, 100};
    int ukr = !strcmp(lang, "uk");
    lua_getfield(L, lt, "rel");
    int rel = lua_gettop(L);
    lua_newtable(L);
    int seen = lua_gettop(L);
    for (int w = 0; w < 3; w++) {
        if (!b->rf[w])
            continue;
        for (size_t u = 0; u < sizeof units / sizeof units[0]; u++)
            for (size_t s = 0; s < sizeof samples / sizeof samples[0]; s++) {
                UChar out[128];
                UErrorCode st = U_ZERO_ERROR;
                int32_t n = ureldatefmt_formatNumeric(
                    b->rf[w], -samples[s], units[u].icu, out, 128, &st);
                if (U_SUCCESS(st) && n < 128)
                    add_phrase(L, rel, seen, out, n, units[u].unit,
                               samples[s] == 1, INT32_MIN, ukr);
            }
        /* the day before yesterday, yesterday, today; now */
        for (int off = -2; off <= 1; off++) {
            UChar out[128];
            UErrorCode st = U_ZERO_ERROR;
            int32_t n =
                off <= 0 ? ureldatefmt_format(b->rf[w], off, UDAT_REL_UNIT_DAY,
                                              out, 128, &st)
                         : ureldatefmt_format(b->rf[w], 0, UDAT_REL_UNIT_SECOND,
                                              out, 128, &st);
            if (U_SUCCESS(st) && n < 128)
                add_phrase(L, rel, seen, out, n, off <= 0 ? U_DAY : U_SEC, 0,
                           off <= 0 ? off : 0, ukr);
        }
    }
    lua_pop(L, 2);
}

static int lang_in(const char *lang, const char *const *list)
{
    for (int i = 0; list[i]; i++)
        if (!strcmp(list[i], lang))
            return 1;
    return 0;
}

/* build the table of ICU locale `loc` (language `lang`); pushes it */
static void build_locale(lua_State *L, const char *loc, const char *lang)
{
    lua_createtable(L, 0, 6);
    int lt = lua_gettop(L);
    lua_newtable(L);
    lua_setfield(L, lt, "words");
    lua_newtable(L);
    lua_setfield(L, lt, "wide");
    lua_newtable(L);
    lua_setfield(L, lt, "rel");
    lua_pushboolean(L, lang_in(lang, inflecting));
    lua_setfield(L, lt, "inflect");
    lua_pushstring(L, loc);
    lua_setfield(L, lt, "locale");
    icu_box *b = pipe_date_new_box(L);
    UErrorCode st = U_ZERO_ERROR;
    b->df = udat_open(UDAT_NONE, UDAT_SHORT, loc, NULL, 0, NULL, 0, &st);
    int order = 0;
    if (U_SUCCESS(st)) {
        add_symbols(L, lt, b, UDAT_MONTHS, 'm');
        add_symbols(L, lt, b, UDAT_SHORT_MONTHS, 'm');
        add_symbols(L, lt, b, UDAT_STANDALONE_MONTHS, 'm');
        add_symbols(L, lt, b, UDAT_STANDALONE_SHORT_MONTHS, 'm');
        add_symbols(L, lt, b, UDAT_WEEKDAYS, 'w');
        add_symbols(L, lt, b, UDAT_SHORT_WEEKDAYS, 'w');
        add_symbols(L, lt, b, UDAT_STANDALONE_WEEKDAYS, 'w');
        add_symbols(L, lt, b, UDAT_STANDALONE_SHORT_WEEKDAYS, 'w');
        add_symbols(L, lt, b, UDAT_AM_PMS, 'a');
        /* the numeric order: which of d, M, y the short date pattern
         * names first (quoted text skipped) */
        UChar pat[64];
        int32_t n = udat_toPattern(b->df, 0, pat, 64, &st);
        int q = 0, seen_d = -1, seen_m = -1, seen_y = -1;
        for (int i = 0; U_SUCCESS(st) && i < n && i < 64; i++) {
            if (pat[i] == '\'')
                q = !q;
            else if (!q && pat[i] == 'd' && seen_d < 0)
                seen_d = i;
            else if (!q && (pat[i] == 'M' || pat[i] == 'L') && seen_m < 0)
                seen_m = i;
            else if (!q && pat[i] == 'y' && seen_y < 0)
                seen_y = i;
        }
        if (seen_y >= 0 && seen_y < seen_m && seen_y < seen_d)
            order = 2;
        else if (seen_m >= 0 && seen_m < seen_d)
            order = 1;
    }
    lua_pushinteger(L, order);
    lua_setfield(L, lt, "order");
    st = U_ZERO_ERROR;
    b->pg = udatpg_open(loc, &st);
    if (U_SUCCESS(st))
        add_hour_words(L, lt, b);
    static const UDateRelativeDateTimeFormatterStyle styles[] = {
        UDAT_STYLE_LONG, UDAT_STYLE_SHORT, UDAT_STYLE_NARROW};
    for (int w = 0; w < 3; w++) {
        st = U_ZERO_ERROR;
        b->rf[w] = ureldatefmt_open(loc, NULL, styles[w],
                                    UDISPCTX_CAPITALIZATION_NONE, &st);
        if (U_FAILURE(st))
            b->rf[w] = NULL;
    }
    add_relative(L, lt, b, lang);
    pipe_date_box_close(b);
    lua_pop(L, 1);
}

/* the locale table for a language tag, or nil when ICU does not know the
 * language; pushes it */
void pipe_date_push_locale(lua_State *L, int cache, const char *tag)
{
    lua_pushfstring(L, "L:%s", tag);
    int have = lua_rawget(L, cache);
    if (have == LUA_TTABLE)
        return;
    lua_pop(L, 1);
    if (have != LUA_TNIL) {
        lua_pushnil(L);
        return;
    }
    char t[64], loc[96], lang[16];
    snprintf(t, sizeof t, "%s", tag);
    for (char *p = t; *p; p++)
        if (*p == '_')
            *p = '-';
    UErrorCode st = U_ZERO_ERROR;
    int32_t parsed = 0;
    uloc_forLanguageTag(t, loc, sizeof loc, &parsed, &st);
    int known = U_SUCCESS(st) && parsed > 0;
    if (known) {
        uloc_getLanguage(loc, lang, sizeof lang, &st);
        known = U_SUCCESS(st) && lang[0];
    }
    if (known) {
        /* ICU falls back to the root or the default locale for a language
         * it has no data for: that is "no language" here */
        UErrorCode s2 = U_ZERO_ERROR;
        UResourceBundle *rb = ures_open(NULL, loc, &s2);
        known = U_SUCCESS(s2) && s2 != U_USING_DEFAULT_WARNING;
        if (rb)
            ures_close(rb);
    }
    if (!known) {
        lua_pushfstring(L, "L:%s", tag);
        lua_pushboolean(L, 0);
        lua_rawset(L, cache);
        lua_pushnil(L);
        return;
    }
    lua_pushfstring(L, "I:%s", loc);
    if (lua_rawget(L, cache) != LUA_TTABLE) {
        lua_pop(L, 1);
        if (!pipe_date_store_load(L, loc)) {
            build_locale(L, loc, lang);
            pipe_date_store_save(L, -1, loc);
        }
        lua_pushfstring(L, "I:%s", loc);
        lua_pushvalue(L, -2);
        lua_rawset(L, cache);
    }
    lua_pushfstring(L, "L:%s", tag);
    lua_pushvalue(L, -2);
    lua_rawset(L, cache);
}

static unsigned merge_entry(unsigned a, unsigned b)
{
    unsigned r = (a | b) & ~(E_MONTH | E_WDAY);
    unsigned am = a & E_MONTH, bm = b & E_MONTH;
    if ((a | b) & E_MAMB || (am && bm && am != bm))
        r |= E_MAMB;
    else
        r |= am | bm;
    unsigned aw = a & E_WDAY, bw = b & E_WDAY;
    if ((a | b) & E_WAMB || (aw && bw && aw != bw))
        r |= E_WAMB;
    else
        r |= aw | bw;
    if ((r & E_AM) && (r & E_PM))
        r &= ~(E_AM | E_PM);
    return r;
}

/* the union of the default languages: words merged (a word two languages
 * read differently is neither), Ukrainian and Russian wide names for
 * inflected forms, every relative phrase, day-first order; pushes it.
 * Every word, relative phrase and wide name of these tables holds a
 * letter, those of the Latin-script languages a Latin one (Russian's
 * "am"/"pm" too, which English has as well), so a smaller union serves
 * some texts exactly: one whose letters are all Cyrillic needs only the
 * Cyrillic-script languages (PIPE_DATE_UNION_CYRILLIC), one with no
 * letter at all ("17.01.2026") none (PIPE_DATE_UNION_NONE: no word can
 * match).  Each language costs ~6 M instructions of ICU (formatters,
 * symbols, relative phrases) once per process: a one-page run of a
 * Ukrainian page built all 15. */
void pipe_date_push_union(lua_State *L, int cache, int which)
{
    const char *key = which == PIPE_DATE_UNION_CYRILLIC ? "union_cyrl"
                      : which == PIPE_DATE_UNION_NONE   ? "union_none"
                                                        : "union";
    if (lua_getfield(L, cache, key) == LUA_TTABLE)
        return;
    lua_pop(L, 1);
    lua_createtable(L, 0, 6);
    int ut = lua_gettop(L);
    lua_newtable(L);
    int words = lua_gettop(L);
    lua_newtable(L);
    int wide = lua_gettop(L);
    lua_newtable(L);
    int rel = lua_gettop(L);
    for (int i = 0; default_langs[i]; i++) {
        if (which == PIPE_DATE_UNION_NONE ||
            (which == PIPE_DATE_UNION_CYRILLIC &&
             strcmp(default_langs[i], "uk") && strcmp(default_langs[i], "ru")))
            continue;
        pipe_date_push_locale(L, cache, default_langs[i]);
        if (!lua_istable(L, -1)) {
            lua_pop(L, 1);
            continue;
        }
        int lt = lua_gettop(L);
        lua_getfield(L, lt, "words");
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            unsigned e = (unsigned)lua_tointeger(L, -1);
            lua_pop(L, 1);
            lua_pushvalue(L, -1);
            lua_rawget(L, words);
            unsigned old = (unsigned)lua_tointeger(L, -1);
            lua_pop(L, 1);
            lua_pushvalue(L, -1);
            lua_pushinteger(L, (lua_Integer)(old ? merge_entry(old, e) : e));
            lua_rawset(L, words);
        }
        lua_pop(L, 1);
        if (!strcmp(default_langs[i], "uk") ||
            !strcmp(default_langs[i], "ru")) {
            lua_getfield(L, lt, "wide");
            lua_pushnil(L);
            while (lua_next(L, -2)) { /* first character -> names */
                lua_pushnil(L);
                while (lua_next(L, -2)) {
                    size_t kl;
                    const char *key = lua_tolstring(L, -2, &kl);
                    wide_add(L, wide, key, (int)kl, (int)lua_tointeger(L, -1));
                    lua_pop(L, 1);
                }
                lua_pop(L, 1);
            }
            lua_pop(L, 1);
        }
        lua_getfield(L, lt, "rel");
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            int src = lua_gettop(L);
            lua_pushvalue(L, src - 1);
            if (lua_rawget(L, rel) != LUA_TTABLE) {
                lua_pop(L, 1);
                lua_newtable(L);
                lua_pushvalue(L, src - 1);
                lua_pushvalue(L, -2);
                lua_rawset(L, rel);
            }
            int dst = lua_gettop(L);
            lua_Integer n = (lua_Integer)lua_rawlen(L, src);
            for (lua_Integer k = 1; k <= n; k++) {
                lua_rawgeti(L, src, k);
                lua_rawseti(L, dst, (lua_Integer)lua_rawlen(L, dst) + 1);
            }
            lua_pop(L, 2);
        }
        lua_pop(L, 2);
    }
    lua_setfield(L, ut, "rel");
    lua_setfield(L, ut, "wide");
    lua_setfield(L, ut, "words");
    lua_pushboolean(L, 1);
    lua_setfield(L, ut, "inflect");
    lua_pushinteger(L, 0);
    lua_setfield(L, ut, "order");
    lua_pushvalue(L, ut);
    lua_setfield(L, cache, key);
}
