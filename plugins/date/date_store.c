/*
 * Locale tables kept across runs.
 *
 * Building one language's table (date_data.c, build_locale) asks ICU for
 * formatters, symbols, a pattern generator and relative-time formatters:
 * ~6 M instructions, and a text date in an unknown language needs all
 * fifteen of the default languages, ~96 M (13 ms, two thirds of a
 * one-page run of such a page).  The table of zone abbreviations
 * (build_zones: every zone's short names in three English locales) is
 * 152 M, met by the first date with an abbreviation ("10:00 EST"); and
 * ICU's generic zone names (the first "IST" or "PT", date_data.c,
 * pipe_date_generic_zone) load every zone's names, ~715 M (50-90 ms, once
 * per worker: a bench/throughput run of 2,000 pages, whose -j 1 worker is
 * replaced after 1,000, paid it twice).  The finished table is plain data, so it
 * is kept in pipe's cache (pipe_cache_get/put) under a key naming the
 * ICU version, ICU's data version, this format and the locale; the next
 * process reads it back in a few hundred thousand instructions.
 *
 * The format: a value is 'T' u32 count, then count key/value pairs; 'S'
 * u32 length, the bytes; 'I' 8 bytes (an integer, little-endian); 'B' one
 * byte.  Keys are strings or integers.  Only these types are written (a
 * table holding anything else is not stored), tables nest at most
 * DEPTH_MAX deep, and reading checks every length against what is left:
 * a damaged entry is rebuilt, never trusted.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/icudataver.h>
#include <unicode/uversion.h>

#include <lauxlib.h>

#include "date.h"
#include "pipe/util.h"

#define STORE_FORMAT "pipe-date-table 2"
#define DEPTH_MAX 6

static void put_u32(pipe_buf *b, uint32_t v)
{
    unsigned char c[4] = {(unsigned char)v, (unsigned char)(v >> 8),
                          (unsigned char)(v >> 16), (unsigned char)(v >> 24)};
    pipe_buf_add(b, c, 4);
}

static int write_value(lua_State *L, int idx, pipe_buf *b, int depth);

static int write_table(lua_State *L, int idx, pipe_buf *b, int depth)
{
    if (depth > DEPTH_MAX || !lua_checkstack(L, 4))
        return -1;
    idx = lua_absindex(L, idx);
    uint32_t n = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        n++;
        lua_pop(L, 1);
    }
    pipe_buf_add(b, "T", 1);
    put_u32(b, n);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        int kt = lua_type(L, -2);
        if ((kt != LUA_TSTRING && !lua_isinteger(L, -2)) ||
            write_value(L, -2, b, depth + 1) != 0 ||
            write_value(L, -1, b, depth + 1) != 0) {
            lua_pop(L, 2);
            return -1;
        }
        lua_pop(L, 1);
    }
    return 0;
}

static int write_value(lua_State *L, int idx, pipe_buf *b, int depth)
{
    switch (lua_type(L, idx)) {
    case LUA_TTABLE:
        return write_table(L, idx, b, depth);
    case LUA_TSTRING: {
        size_t n;
        /* lua_tolstring does not convert: the type is a string */
        const char *s = lua_tolstring(L, idx, &n);
        if (n > UINT32_MAX)
            return -1;
        pipe_buf_add(b, "S", 1);
        put_u32(b, (uint32_t)n);
        pipe_buf_add(b, s, n);
        return 0;
    }
    case LUA_TNUMBER: {
        if (!lua_isinteger(L, idx))
            return -1;
        uint64_t v = (uint64_t)lua_tointeger(L, idx);
        unsigned char c[9] = {'I'};
        for (int i = 0; i < 8; i++)
            c[1 + i] = (unsigned char)(v >> (8 * i));
        pipe_buf_add(b, c, 9);
        return 0;
    }
    case LUA_TBOOLEAN: {
        char c[2] = {'B', (char)(lua_toboolean(L, idx) ? 1 : 0)};
        pipe_buf_add(b, c, 2);
        return 0;
    }
    default:
        return -1;
    }
}

typedef struct reader {
    const unsigned char *p, *end;
} reader;

static int get_u32(reader *r, uint32_t *v)
{
    if (r->end - r->p < 4)
        return -1;
    *v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 |
         (uint32_t)r->p[2] << 16 | (uint32_t)r->p[3] << 24;
    r->p += 4;
    return 0;
}

/* pushes the value read; -1 (nothing pushed) on a damaged entry */
static int read_value(lua_State *L, reader *r, int depth)
{
    if (r->p >= r->end || !lua_checkstack(L, 3))
        return -1;
    unsigned char t = *r->p++;
    uint32_t n;
    switch (t) {
    case 'T':
        if (depth > DEPTH_MAX || get_u32(r, &n) != 0 ||
            n > (uint32_t)(r->end - r->p) / 4)
            return -1;
        lua_createtable(L, 0, (int)n);
        for (uint32_t i = 0; i < n; i++) {
            if (read_value(L, r, depth + 1) != 0) {
                lua_pop(L, 1);
                return -1;
            }
            if ((lua_type(L, -1) != LUA_TSTRING && !lua_isinteger(L, -1)) ||
                read_value(L, r, depth + 1) != 0) {
                lua_pop(L, 2);
                return -1;
            }
            lua_rawset(L, -3);
        }
        return 0;
    case 'S':
        if (get_u32(r, &n) != 0 || n > (uint32_t)(r->end - r->p))
            return -1;
        lua_pushlstring(L, (const char *)r->p, n);
        r->p += n;
        return 0;
    case 'I': {
        if (r->end - r->p < 8)
            return -1;
        uint64_t v = 0;
        for (int i = 0; i < 8; i++)
            v |= (uint64_t)r->p[i] << (8 * i);
        r->p += 8;
        lua_pushinteger(L, (lua_Integer)v);
        return 0;
    }
    case 'B':
        if (r->p >= r->end || *r->p > 1)
            return -1;
        lua_pushboolean(L, *r->p++);
        return 0;
    default:
        return -1;
    }
}

/* the entry's key: the format, ICU's version and data version, the kind
 * of table ("locale" or "zones") and its name */
static size_t store_key(const char *kind, const char *name, char *key,
                        size_t cap)
{
    UVersionInfo v, dv;
    char vs[U_MAX_VERSION_STRING_LENGTH], ds[U_MAX_VERSION_STRING_LENGTH];
    UErrorCode st = U_ZERO_ERROR;
    u_getVersion(v);
    u_versionToString(v, vs);
    u_getDataVersion(dv, &st);
    if (U_FAILURE(st))
        return 0;
    u_versionToString(dv, ds);
    int n = snprintf(key, cap, "%s%c%s%c%s%c%s%c%s", STORE_FORMAT, 0, vs, 0,
                     ds, 0, kind, 0, name);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* a table as build_locale makes it, for locale `loc` */
static int table_shape(lua_State *L, int t, const char *loc)
{
    static const char *const tabs[] = {"words", "wide", "rel"};
    int ok = 1;
    for (int i = 0; i < 3 && ok; i++) {
        ok = lua_getfield(L, t, tabs[i]) == LUA_TTABLE;
        lua_pop(L, 1);
    }
    ok = ok && lua_getfield(L, t, "inflect") == LUA_TBOOLEAN;
    lua_pop(L, 1);
    ok = ok && lua_getfield(L, t, "order") == LUA_TNUMBER && lua_isinteger(L, -1);
    lua_pop(L, 1);
    ok = ok && lua_getfield(L, t, "locale") == LUA_TSTRING &&
         strcmp(lua_tostring(L, -1), loc) == 0;
    lua_pop(L, 1);
    return ok;
}

/* a zone table as build_zones makes it: abbreviation -> minutes, or
 * false */
static int zones_shape(lua_State *L, int t, const char *name)
{
    (void)name;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        int ok = lua_type(L, -2) == LUA_TSTRING &&
                 (lua_isinteger(L, -1) ||
                  (lua_type(L, -1) == LUA_TBOOLEAN && !lua_toboolean(L, -1)));
        lua_pop(L, 1);
        if (!ok) {
            lua_pop(L, 1);
            return 0;
        }
    }
    return 1;
}

static int load_kind(lua_State *L, const char *kind, const char *name,
                     int (*shape)(lua_State *, int, const char *))
{
    char key[256];
    size_t kn = store_key(kind, name, key, sizeof key), n = 0;
    char *data = kn ? pipe_cache_get(key, kn, &n) : NULL;
    if (data == NULL)
        return 0;
    reader r = {(const unsigned char *)data, (const unsigned char *)data + n};
    int ok = read_value(L, &r, 0) == 0;
    if (ok && (r.p != r.end || !lua_istable(L, -1) ||
               !shape(L, lua_gettop(L), name))) {
        lua_pop(L, 1);
        ok = 0;
    }
    free(data);
    return ok;
}

static void save_kind(lua_State *L, int idx, const char *kind,
                      const char *name)
{
    char key[256];
    size_t kn = store_key(kind, name, key, sizeof key);
    if (kn == 0)
        return;
    pipe_buf b = {0};
    if (write_value(L, idx, &b, 0) == 0 && !b.oom)
        pipe_cache_put(key, kn, b.p, b.len);
    pipe_buf_free(&b);
}

int pipe_date_store_load(lua_State *L, const char *loc)
{
    return load_kind(L, "locale", loc, table_shape);
}

void pipe_date_store_save(lua_State *L, int idx, const char *loc)
{
    save_kind(L, idx, "locale", loc);
}

int pipe_date_store_load_zones(lua_State *L, const char *name)
{
    return load_kind(L, "zones", name, zones_shape);
}

void pipe_date_store_save_zones(lua_State *L, int idx, const char *name)
{
    save_kind(L, idx, "zones", name);
}

/* A generic zone name's answer (date_data.c, pipe_date_generic_zone): the
 * IANA id the word names in en_US, or "" for none, one small entry per
 * word.  An entry is '=' and the id's bytes (an entry is never empty),
 * checked: an IANA id's characters, shorter than cap. */
int pipe_date_store_load_gzone(const char *w, char *out, size_t cap)
{
    char key[256];
    size_t kn = store_key("gzone", w, key, sizeof key), n = 0;
    char *data = kn ? pipe_cache_get(key, kn, &n) : NULL;
    if (data == NULL)
        return 0;
    int ok = n >= 1 && n - 1 < cap && data[0] == '=';
    for (size_t i = 1; ok && i < n; i++) {
        unsigned char c = (unsigned char)data[i];
        ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
             (c >= '0' && c <= '9') || c == '/' || c == '_' || c == '-' ||
             c == '+';
    }
    if (ok) {
        memcpy(out, data + 1, n - 1);
        out[n - 1] = '\0';
    }
    free(data);
    return ok;
}

void pipe_date_store_save_gzone(const char *w, const char *id)
{
    char key[256];
    char data[72];
    size_t kn = store_key("gzone", w, key, sizeof key);
    int n = snprintf(data, sizeof data, "=%s", id);
    if (kn > 0 && n > 0 && (size_t)n < sizeof data)
        pipe_cache_put(key, kn, data, (size_t)n);
}
