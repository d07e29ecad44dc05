/*
 * date plugin: the dates pages print, normalised to ISO 8601, with ICU.
 *
 *   date.parse(s [, opts]) -> "2026-01-17T14:05:00+02:00" | nil, why
 *   date.check_tz(tz) -> true | nil, msg
 *   date.check_format(f) -> true | nil, msg
 *   date.names(lang) -> {months=, weekdays=, order=}
 *
 * What comes from ICU (CLDR and the IANA time zone database): month and
 * weekday names in every form CLDR has (format and stand-alone, wide and
 * abbreviated), AM/PM markers, hour words ("14 Uhr", "14 h"), the order a
 * language writes numeric dates in (d/m/y, m/d/y, y/m/d), the relative
 * phrases ("vor 2 Stunden", "il y a 3 jours", "позавчора"), generated with
 * ICU's relative date formatter and matched back, zone abbreviations (the
 * short names CLDR gives in several English and European locales, kept
 * only when they name one offset), and every offset of an IANA zone,
 * daylight saving included, through ucal.  What is ours: the tokenizer,
 * the rules that pick a day, month, year, time and zone among the tokens,
 * the ISO 8601 fast path and the `format` matcher.
 *
 * Text is compared folded: case-folded, compatibility-decomposed, accents
 * and other combining marks dropped, dotless i read as i, apostrophes
 * inside words dropped.  "DÉCEMBRE", "decembre" and "décembre" are one word.
 *
 * Caveats:
 * - Only the first 1,024 bytes of a text are examined.
 * - Per-language data is built on first use and cached per Lua state (an
 *   upvalue table shared by the module's functions), so the first date of
 *   a new language costs a few milliseconds, the zone abbreviation table
 *   (built the first time a word follows a time) about 25 ms, ICU's
 *   generic zone names (the first "ET" or "PT") 50-90 ms.  The tables and
 *   each generic zone name's answer are kept in pipe's cache across runs
 *   (date_store.c).
 *
 * Files: this one holds the Lua functions; date_text.c, date_data.c,
 * date_parse.c and date_format.c the rest (see date.h).
 * - A language ICU does not know ("xx", "x-default") counts as no language.
 * - Dates before 1583 or after 9999 are rejected: the output is the
 *   proleptic Gregorian calendar ISO 8601 uses.
 * - No hidden clock: relative dates need opts.now; the machine's time zone
 *   is never used.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/ucal.h>
#include <unicode/ustring.h>

#include <lauxlib.h>

#include "pipe/plugin.h"
#include "pipe/util.h"
#include "date.h"

/*
 * Lua functions
 */

/* tz -> x (1 fixed, 2 IANA); cached in the upvalue table; -1 unknown */
static int resolve_tz(lua_State *L, int cache, const char *tz, ctx *x)
{
    lua_pushfstring(L, "T:%s", tz);
    int have = lua_rawget(L, cache);
    if (have == LUA_TNUMBER) {
        x->tz_kind = 1;
        x->tz_off = (int)lua_tointeger(L, -1);
        lua_pop(L, 1);
        return 0;
    }
    if (have == LUA_TSTRING) {
        x->tz_kind = 2;
        snprintf(x->tz_id, sizeof x->tz_id, "%s", lua_tostring(L, -1));
        lua_pop(L, 1);
        return 0;
    }
    lua_pop(L, 1);
    if (have == LUA_TBOOLEAN)
        return -1;
    int off;
    int kind = 0;
    char id[64] = "";
    if (pipe_date_fixed_offset(tz, &off) == 0) {
        kind = 1;
    } else {
        /* a name with a slash is an IANA zone; an abbreviation (EET, MSK,
         * CEST) is the fixed offset it stands for; else any zone ICU
         * knows by that id */
        int abbr = 0;
        if (!strchr(tz, '/') && strlen(tz) < WORDMAX) {
            char w[WORDMAX];
            folded *f = malloc(sizeof *f);
            int wl = f && pipe_date_fold_utf8(tz, strlen(tz), f) == 0
                         ? pipe_date_to_utf8(f, 0, f->n, w, WORDMAX - 1)
                         : -1;
            free(f);
            w[wl > 0 ? wl : 0] = '\0';
            pipe_date_push_zones(L, cache);
            lua_getfield(L, -1, w);
            if (lua_isinteger(L, -1)) {
                kind = 1;
                off = (int)lua_tointeger(L, -1);
                abbr = 1;
            }
            lua_pop(L, 2);
        }
        UChar z[64], canon[64];
        UBool sys = 0;
        UErrorCode st = U_ZERO_ERROR;
        if (!abbr && pipe_date_zone_id(tz, z, 64) >= 0) {
            int32_t n =
                ucal_getCanonicalTimeZoneID(z, -1, canon, 64, &sys, &st);
            if (U_SUCCESS(st) && sys && n < 64) {
                kind = 2;
                snprintf(id, sizeof id, "%s", tz);
            }
        }
    }
    lua_pushfstring(L, "T:%s", tz);
    if (kind == 1)
        lua_pushinteger(L, off);
    else if (kind == 2)
        lua_pushstring(L, id);
    else
        lua_pushboolean(L, 0);
    lua_rawset(L, cache);
    if (!kind)
        return -1;
    x->tz_kind = kind;
    x->tz_off = off;
    snprintf(x->tz_id, sizeof x->tz_id, "%s", id);
    return 0;
}

static const char tz_help[] =
    "(want an IANA zone like Europe/Kyiv, an offset like +02:00, or an "
    "abbreviation like UTC, EET)";

/* The union a text needs (date_data.c pipe_date_push_union): none when
 * it has no letter, the Cyrillic-script languages when its letters are
 * all Cyrillic, else all.  Whatever might be a letter outside ASCII's,
 * Cyrillic's and a few punctuation blocks (Latin-1's signs, general
 * punctuation, currency), and bytes that are not UTF-8, count as a letter
 * of another script. */
static int union_for(const char *s, size_t n)
{
    int cyr = 0;
    for (size_t i = 0; i < n;) {
        size_t adv;
        long cp = pipe_utf8_decode(s + i, n - i, &adv);
        i += adv;
        if (cp >= 0x400 && cp <= 0x52F)
            cyr = 1;
        else if (cp < 0 || (cp >= 'a' && cp <= 'z') ||
                 (cp >= 'A' && cp <= 'Z') ||
                 (cp >= 0x80 && !(cp >= 0xA0 && cp <= 0xBF) && cp != 0xD7 &&
                  cp != 0xF7 && !(cp >= 0x2000 && cp <= 0x206F) &&
                  !(cp >= 0x20A0 && cp <= 0x20CF)))
            return PIPE_DATE_UNION_ALL;
    }
    return cyr ? PIPE_DATE_UNION_CYRILLIC : PIPE_DATE_UNION_NONE;
}

/* push the locale tables for opts.lang into x (the union's languages
 * chosen by the letters of the text and of opts.now) */
static void setup_lang(lua_State *L, ctx *x, const char *lang,
                       const char *now)
{
    int which = union_for(x->src, x->srclen);
    if (now && !pipe_date_is_fast(now, strlen(now))) {
        int w2 = union_for(now, strlen(now));
        if (w2 != which && w2 != PIPE_DATE_UNION_NONE)
            which = which == PIPE_DATE_UNION_NONE ? w2 : PIPE_DATE_UNION_ALL;
    }
    x->uni_which = which;
    x->uni_min = 0;
    if (lang && *lang) {
        pipe_date_push_locale(L, x->cache, lang);
        if (!lua_istable(L, -1))
            lua_pop(L, 1);
        else
            x->prim = lua_gettop(L);
    }
    if (!x->prim) {
        /* no language: the union is the primary table */
        pipe_date_push_union(L, x->cache, which);
        x->uni = x->prim = lua_gettop(L);
        return;
    }
    /* with the text's language, the union is read only for words that
     * language does not know (and relative phrases when there is no whole
     * date): it is built then, the first time (pipe_date_uni) -- a text
     * like "28. Dezember 2022" on a German page never needs the other 14
     * languages' ICU tables */
    x->uni_lazy = 1;
    x->uni_min = 4;
    lua_getfield(L, x->prim, "order");
    x->order = (int)lua_tointeger(L, -1);
    lua_pop(L, 1);
    pipe_date_push_locale(L, x->cache, "en");
    x->en = lua_gettop(L);
    if (lua_rawequal(L, x->en, x->prim) || !lua_istable(L, x->en))
        x->en = 0;
}

/* v as `width` decimal digits (v in 0 .. 10^width - 1) */
static char *put_digits(char *p, int v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + width;
}

static int two_digits(int v)
{
    return v >= 0 && v <= 99;
}

/* r as ISO 8601 into out (64 bytes): "2026-01-17", "...T14:05:00",
 * "...+02:00"; returns the length.  (snprintf's formatting was most of
 * what a call of date.parse on an ISO date cost.) */
static size_t format_iso(const dt *r, char *out)
{
    int o = r->off < 0 ? -r->off : r->off;
    if (!two_digits(r->m) || !two_digits(r->d) || !two_digits(r->H) ||
        !two_digits(r->M) || !two_digits(r->S) || r->y < 0 || r->y > 9999 ||
        o / 60 > 99) {
        int n = snprintf(out, 64, "%04d-%02d-%02d", r->y, r->m, r->d);
        if (r->has_time) {
            n += snprintf(out + n, 64 - (size_t)n, "T%02d:%02d:%02d", r->H,
                          r->M, r->S);
            if (r->has_off)
                n += snprintf(out + n, 64 - (size_t)n, "%c%02d:%02d",
                              r->off < 0 ? '-' : '+', o / 60, o % 60);
        }
        return (size_t)n;
    }
    char *p = put_digits(out, r->y, 4);
    *p++ = '-';
    p = put_digits(p, r->m, 2);
    *p++ = '-';
    p = put_digits(p, r->d, 2);
    if (r->has_time) {
        *p++ = 'T';
        p = put_digits(p, r->H, 2);
        *p++ = ':';
        p = put_digits(p, r->M, 2);
        *p++ = ':';
        p = put_digits(p, r->S, 2);
        if (r->has_off) {
            *p++ = r->off < 0 ? '-' : '+';
            p = put_digits(p, o / 60, 2);
            *p++ = ':';
            p = put_digits(p, o % 60, 2);
        }
    }
    return (size_t)(p - out);
}

/* date.parse(s [, opts]) -> iso | nil, why */
static int date_parse(lua_State *L)
{
    char num[32];
    size_t len;
    const char *s;
    if (lua_type(L, 1) == LUA_TNUMBER) {
        snprintf(num, sizeof num, "%lld", (long long)lua_tointeger(L, 1));
        s = num;
        len = strlen(num);
    } else if (lua_type(L, 1) == LUA_TSTRING) {
        s = lua_tolstring(L, 1, &len);
    } else {
        lua_pushnil(L);
        lua_pushfstring(L, "not a date: a %s", luaL_typename(L, 1));
        return 2;
    }
    ctx x;
    memset(&x, 0, sizeof x);
    x.L = L;
    x.cache = lua_upvalueindex(1);
    x.src = s;
    x.srclen = len;
    const char *format = NULL, *lang = NULL, *tz = NULL, *now = NULL;
    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        lua_pushnil(L);
        while (lua_next(L, 2)) {
            lua_pop(L, 1);
            const char *k =
                lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "?";
            if (strcmp(k, "format") && strcmp(k, "lang") && strcmp(k, "tz") &&
                strcmp(k, "now") && strcmp(k, "utc"))
                return luaL_error(
                    L,
                    "date.parse: unknown option '%s' (want format, "
                    "lang, tz, utc, now)",
                    k);
        }
        const char **dst[] = {&format, &lang, &tz, &now};
        static const char *const names[] = {"format", "lang", "tz", "now"};
        for (int i = 0; i < 4; i++) {
            int t = lua_getfield(L, 2, names[i]); /* stays: keeps it alive */
            if (t == LUA_TSTRING)
                *dst[i] = lua_tostring(L, -1);
            else if (t != LUA_TNIL)
                return luaL_error(L, "date.parse: %s must be a string, got %s",
                                  names[i], luaL_typename(L, -1));
        }
        lua_getfield(L, 2, "utc");
        x.utc = lua_toboolean(L, -1);
        lua_pop(L, 1);
    }
    if (tz && resolve_tz(L, x.cache, tz, &x) != 0)
        return luaL_error(L, "bad tz '%s' %s", tz, tz_help);
    /* what ISO 8601 and Unix times need is no language at all: the
     * languages' tables (ICU formatters, CLDR names) are built only for
     * texts that need them */
    if (format || !pipe_date_is_fast(s, len) ||
        (now && !pipe_date_is_fast(now, strlen(now))))
        setup_lang(L, &x, lang, now);
    char why[256] = "";
    dt r;
    if (now) {
        ctx nx = x;
        nx.tz_kind = 0;
        nx.no_rel = 1;
        if (!pipe_date_parse_text(&nx, now, strlen(now), &x.now, why,
                                  sizeof why))
            return luaL_error(L,
                              "bad now '%s' (want a time like "
                              "2026-01-17T16:30:00+02:00)",
                              now);
        x.has_now = 1;
        if (!x.now.has_time)
            x.now.H = x.now.M = x.now.S = 0;
    }
    int ok =
        format ? pipe_date_parse_format(&x, format, s, len, &r, why, sizeof why)
               : pipe_date_parse_text(&x, s, len, &r, why, sizeof why);
    if (!ok) {
        lua_pushnil(L);
        lua_pushstring(L, why);
        return 2;
    }
    pipe_date_apply_zone(&x, &r);
    if (x.utc && r.has_time && r.has_off && r.off != 0) {
        pipe_date_set_wall(&r, pipe_date_wall_secs(&r) - r.off * 60);
        r.off = 0;
        if (!pipe_date_valid_date(&r)) {
            lua_pushnil(L);
            lua_pushliteral(L, "date out of range");
            return 2;
        }
    }
    char out[64];
    lua_pushlstring(L, out, format_iso(&r, out));
    return 1;
}

/* date.check_tz(tz) -> true | nil, msg */
static int date_check_tz(lua_State *L)
{
    const char *tz = luaL_checkstring(L, 1);
    ctx x;
    memset(&x, 0, sizeof x);
    if (resolve_tz(L, lua_upvalueindex(1), tz, &x) != 0) {
        lua_pushnil(L);
        lua_pushfstring(L, "bad tz '%s' %s", tz, tz_help);
        return 2;
    }
    lua_pushboolean(L, 1);
    return 1;
}

/* date.check_format(f) -> true | nil, msg */
static int date_check_format(lua_State *L)
{
    if (lua_type(L, 1) != LUA_TSTRING) {
        lua_pushnil(L);
        lua_pushliteral(L, "format must be a non-empty string");
        return 2;
    }
    fitem it[MAXFMT];
    char msg[200];
    if (pipe_date_compile_format(lua_tostring(L, 1), it, msg, sizeof msg) < 0) {
        lua_pushnil(L);
        lua_pushstring(L, msg);
        return 2;
    }
    lua_pushboolean(L, 1);
    return 1;
}

/* date.names(lang) -> {months = {...}, weekdays = {... Monday first},
 * order = "dmy"|"mdy"|"ymd"} | nil: what CLDR says, not folded */
static int date_names(lua_State *L)
{
    const char *lang = luaL_checkstring(L, 1);
    int cache = lua_upvalueindex(1);
    pipe_date_push_locale(L, cache, lang);
    if (!lua_istable(L, -1)) {
        lua_pushnil(L);
        lua_pushfstring(L, "unknown language '%s'", lang);
        return 2;
    }
    lua_getfield(L, -1, "locale");
    const char *loc = lua_tostring(L, -1);
    lua_getfield(L, -2, "order");
    int order = (int)lua_tointeger(L, -1);
    lua_pop(L, 1);
    lua_createtable(L, 0, 3);
    int res = lua_gettop(L);
    icu_box *b = pipe_date_new_box(L);
    UErrorCode st = U_ZERO_ERROR;
    b->df = udat_open(UDAT_NONE, UDAT_LONG, loc, NULL, 0, NULL, 0, &st);
    for (int w = 0; w < 2 && U_SUCCESS(st); w++) {
        lua_createtable(L, w ? 7 : 12, 0);
        for (int i = 0; i < (w ? 7 : 12); i++) {
            UChar buf[64];
            char u8[192];
            int32_t n8 = 0;
            UErrorCode s2 = U_ZERO_ERROR;
            int idx = w ? (i + 1) % 7 + 1 : i; /* Monday first */
            int32_t n = udat_getSymbols(
                b->df, w ? UDAT_STANDALONE_WEEKDAYS : UDAT_STANDALONE_MONTHS,
                idx, buf, 64, &s2);
            if (U_SUCCESS(s2))
                u_strToUTF8(u8, sizeof u8, &n8, buf, n, &s2);
            lua_pushlstring(L, u8, U_SUCCESS(s2) ? (size_t)n8 : 0);
            lua_rawseti(L, -2, i + 1);
        }
        lua_setfield(L, res, w ? "weekdays" : "months");
    }
    pipe_date_box_close(b);
    lua_pop(L, 1);
    lua_pushstring(L, order == 2 ? "ymd" : order == 1 ? "mdy" : "dmy");
    lua_setfield(L, res, "order");
    return 1;
}

static const luaL_Reg date_functions[] = {
    {"parse", date_parse},
    {"check_tz", date_check_tz},
    {"check_format", date_check_format},
    {"names", date_names},
    {NULL, NULL},
};

static int date_open(lua_State *L)
{
    luaL_newlibtable(L, date_functions);
    lua_newtable(L); /* the cache, shared as an upvalue */
    luaL_setfuncs(L, date_functions, 1);
    return 1;
}

static const char *const date_names_list[] = {
    "parse", "check_tz", "check_format", "names", NULL,
};

const pipe_plugin pipe_plugin_date = {
    PIPE_PLUGIN_HEAD,
    .name = "date",
    .summary = "dates in any language and time zone to ISO 8601 (ICU: CLDR "
               "names, IANA zones)",
    .open = date_open,
    .lua_names = date_names_list,
};
