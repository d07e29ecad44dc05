/*
 * json plugin: JSON encoding and decoding for Lua (jansson underneath).
 * The conversion itself is the host's (core/json.c, include/pipe/json.h),
 * which writes every record with it.
 *
 * json.decode reads most texts itself (the direct decoder below) and hands
 * the rest to jansson, which gives the messages.
 *
 * Caveats:
 * - jansson refuses integers beyond the 64-bit range ("too big integer");
 *   such input decodes to nil, msg.
 * - Reals are written with 15 significant digits, so 0.1 stays "0.1"; a
 *   computed float may lose its last bits on a round trip.
 * - A table marked with json.array() is written as its elements 1..#t; any
 *   other keys it has are ignored.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "pipe/json.h"
#include "pipe/plugin.h"
#include "pipe/util.h"

/*
 * Lua functions
 */

/* A json_t held in a box (include/pipe/util.h), so a tree is freed even
 * when a later push raises. */
static void release_json(void *v)
{
    json_decref(v);
}

/* -- json.encode(v [, {pretty=true}]) -> string */
static int json_encode(lua_State *L)
{
    luaL_checkany(L, 1);
    int pretty = 0;
    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        lua_getfield(L, 2, "pretty");
        pretty = lua_toboolean(L, -1);
        lua_pop(L, 1);
    }
    pipe_box *box = pipe_box_new(L, release_json);
    char *err;
    box->p = pipe_json_from_lua(L, 1, &err);
    if (!box->p) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", err ? err : "out of memory");
        free(err);
        return luaL_error(L, "%s", msg);
    }
    size_t flags = JSON_ENCODE_ANY | JSON_PRESERVE_ORDER |
                   JSON_REAL_PRECISION(15) |
                   (pretty ? JSON_INDENT(2) : JSON_COMPACT);
    size_t n = json_dumpb(box->p, NULL, 0, flags);
    if (n == 0)
        return luaL_error(L, "cannot encode value");
    luaL_Buffer b;
    char *p = luaL_buffinitsize(L, &b, n);
    json_dumpb(box->p, p, n, flags);
    luaL_pushresultsize(&b, n);
    return 1;
}

/* -- json.decode(s) -> value | nil, msg */
/*
 * A direct decoder for the common case (JSON-LD blocks, a page's few
 * kilobytes of metadata decoded on every page): JSON text straight to Lua
 * values, the values json_loadb + pipe_json_push give, without the tree.
 * It accepts only what jansson accepts (RFC 8259: no leading zeros, no
 * trailing commas, no control characters in strings, strict UTF-8,
 * surrogate pairs in \u escapes) and gives up on everything else -- and on
 * what it would rather not decide: integers past 64 bits, reals out of
 * range, nesting past FAST_DEPTH, a NUL in a key, a number longer than 63
 * bytes.  Giving up leaves the stack as it was; json.decode then asks
 * jansson, whose message the error needs.  Only the Lua stack holds what
 * it builds, so a raise (out of memory) leaks nothing.
 */
#define FAST_DEPTH 200

typedef struct fast_rd {
    lua_State *L;
    const char *p, *end;
    int null_i, obj_i, arr_i;       /* stack slots of the markers */
} fast_rd;

static void fast_ws(fast_rd *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' ||
                             *r->p == '\r' || *r->p == '\t'))
        r->p++;
}

static int hex4(const char *p, unsigned long *v)
{
    unsigned long x = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        x <<= 4;
        if (c >= '0' && c <= '9')
            x |= (unsigned long)(c - '0');
        else if (c >= 'a' && c <= 'f')
            x |= (unsigned long)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            x |= (unsigned long)(c - 'A' + 10);
        else
            return -1;
    }
    *v = x;
    return 0;
}

/* the bytes a string's plain run stops at: 1 the closing quote, an
 * escape or a control character; 2 a byte of a UTF-8 sequence (the run
 * goes on, but is checked as UTF-8 after) */
static const unsigned char STR_STOP[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
};

/* the end of the plain run from p (no quote, escape or control byte),
 * whether it is valid UTF-8 (*ok); a run of ASCII needs no check */
static const char *plain_run(const char *p, const char *end, int *ok)
{
    const char *from = p;
    uint64_t high = 0;
    const uint64_t ones = 0x0101010101010101u, top = ones * 0x80;
    /* eight bytes at a time: the lanes under 0x20, '"' or '\\' (x - 1 &
     * ~x: a borrow flags only lanes above the first such one, so the
     * lowest flag is exact) and, until the first is seen, those over 0x7f
     * (a run with one is checked as UTF-8 after, as a whole) */
    while (end - p >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        uint64_t q = v ^ (ones * '"'), b = v ^ (ones * '\\');
        uint64_t m = ((v - ones * 0x20) | (q - ones) | (b - ones)) & ~v & top;
        if (!high)
            m |= v & top;
        if (!m) {
            p += 8;
            continue;
        }
#if defined(__GNUC__)
        p += __builtin_ctzll(m) >> 3;
#else
        while (!(m & 0x80)) {
            m >>= 8;
            p++;
        }
#endif
        if (STR_STOP[(unsigned char)*p] == 1)
            goto done;
        high = 1;
        p++;
    }
    while (p < end) {
        unsigned char k = STR_STOP[(unsigned char)*p];
        if (k == 1)
            break;
        high |= k;
        p++;
    }
done:
    *ok = !high || pipe_utf8_valid(from, (size_t)(p - from)) == (size_t)(p - from);
    return p;
}

/* the escape at *pp (its backslash) -> its UTF-8 bytes in out and their
 * count (never more than the escape's own bytes), *pp past it; -1 where
 * jansson refuses it */
static int escape(const char **pp, const char *end, int key, char out[4])
{
    const char *p = *pp;
    if (end - p < 2)
        return -1;
    char e = p[1];
    p += 2;
    *pp = p;
    switch (e) {
    case '"': out[0] = '"'; return 1;
    case '\\': out[0] = '\\'; return 1;
    case '/': out[0] = '/'; return 1;
    case 'b': out[0] = '\b'; return 1;
    case 'f': out[0] = '\f'; return 1;
    case 'n': out[0] = '\n'; return 1;
    case 'r': out[0] = '\r'; return 1;
    case 't': out[0] = '\t'; return 1;
    case 'u':
        break;
    default:
        return -1;
    }
    unsigned long cp;
    if (end - p < 4 || hex4(p, &cp) != 0)
        return -1;
    p += 4;
    if (cp >= 0xDC00 && cp <= 0xDFFF)
        return -1;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        unsigned long lo;
        if (end - p < 6 || p[0] != '\\' || p[1] != 'u' ||
            hex4(p + 2, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF)
            return -1;
        p += 6;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    if (cp == 0 && key)
        return -1; /* jansson: no NUL in an object key */
    *pp = p;
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* A string with escapes is decoded into a buffer on the C stack, pushed
 * with one copy; past FAST_SHORT bytes the buffer is emptied into a
 * luaL_Buffer (made then) as it fills. */
#define FAST_SHORT 256

typedef struct str_out {
    lua_State *L;
    luaL_Buffer b;
    int big;            /* b in use */
    size_t n;
    char buf[FAST_SHORT];
} str_out;

static void str_put(str_out *o, const char *s, size_t len)
{
    if (o->n + len > sizeof o->buf) {
        if (!o->big) {
            luaL_buffinit(o->L, &o->b);
            o->big = 1;
        }
        luaL_addlstring(&o->b, o->buf, o->n);
        o->n = 0;
        if (len > sizeof o->buf) {
            luaL_addlstring(&o->b, s, len);
            return;
        }
    }
    memcpy(o->buf + o->n, s, len);
    o->n += len;
}

/* a string at r->p (the opening quote); pushes it */
static int fast_str(fast_rd *r, int key)
{
    const char *p = r->p + 1, *end = r->end, *from = p;
    int ok;
    /* the plain part first: most strings have no escape */
    p = plain_run(p, end, &ok);
    if (p >= end || (unsigned char)*p < 0x20 || !ok)
        return -1;
    if (*p == '"') {
        lua_pushlstring(r->L, from, (size_t)(p - from));
        r->p = p + 1;
        return 0;
    }
    str_out o;
    o.L = r->L;
    o.big = 0;
    o.n = 0;
    str_put(&o, from, (size_t)(p - from));
    for (;;) {
        if (p >= end)
            return -1;
        unsigned char c = (unsigned char)*p;
        if (c == '"')
            break;
        if (c < 0x20)
            return -1;
        if (c != '\\') {
            const char *q = plain_run(p, end, &ok);
            if (!ok)
                return -1;
            str_put(&o, p, (size_t)(q - p));
            p = q;
            continue;
        }
        char out[4];
        int n = escape(&p, end, key, out);
        if (n < 0)
            return -1;
        if (o.n + (size_t)n <= sizeof o.buf) {
            memcpy(o.buf + o.n, out, (size_t)n);
            o.n += (size_t)n;
        } else {
            str_put(&o, out, (size_t)n);
        }
    }
    if (o.big) {
        luaL_addlstring(&o.b, o.buf, o.n);
        luaL_pushresult(&o.b);
    } else {
        lua_pushlstring(r->L, o.buf, o.n);
    }
    r->p = p + 1;
    return 0;
}

static int fast_num(fast_rd *r)
{
    const char *p = r->p, *end = r->end, *start = p;
    int real = 0;
    if (p < end && *p == '-')
        p++;
    if (p >= end)
        return -1;
    if (*p == '0') {
        p++;
        if (p < end && *p >= '0' && *p <= '9')
            return -1;
    } else if (*p >= '1' && *p <= '9') {
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    } else {
        return -1;
    }
    if (p < end && *p == '.') {
        real = 1;
        p++;
        if (p >= end || *p < '0' || *p > '9')
            return -1;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        real = 1;
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p >= end || *p < '0' || *p > '9')
            return -1;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    char buf[64];
    size_t n = (size_t)(p - start);
    if (n >= sizeof buf)
        return -1;
    memcpy(buf, start, n);
    buf[n] = '\0';
    char *stop;
    errno = 0;
    if (real) {
        double d = strtod(buf, &stop);
        if (stop != buf + n || (errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL)))
            return -1;
        lua_pushnumber(r->L, (lua_Number)d);
    } else {
        long long v = strtoll(buf, &stop, 10);
        if (stop != buf + n || errno == ERANGE)
            return -1;
        lua_pushinteger(r->L, (lua_Integer)v);
    }
    r->p = p;
    return 0;
}

static int fast_word(fast_rd *r, const char *w, size_t n)
{
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, w, n) != 0)
        return -1;
    r->p += n;
    return 0;
}

/* A container's members wait on the stack, FAST_RUN at most, until its
 * table is made at their count (no rehash as it fills): the table takes
 * the slot held for it below them, base, when the first run is complete
 * or the container ends. */
#define FAST_RUN 32

static void fast_table(lua_State *L, int base, int *made, int mt_i,
                       int narr, int nrec)
{
    if (*made)
        return;
    lua_createtable(L, narr, nrec);
    lua_pushvalue(L, mt_i);
    lua_setmetatable(L, -2);
    lua_replace(L, base);
    *made = 1;
}

/* the n key-value pairs above the table, set in their order (a key given
 * twice: the last value stays) */
static void fast_set_pairs(lua_State *L, int base, int *made, int n, int mt_i)
{
    fast_table(L, base, made, mt_i, 0, n);
    for (int i = 0; i < n; i++) {
        lua_pushvalue(L, base + 1 + 2 * i);
        lua_pushvalue(L, base + 2 + 2 * i);
        lua_rawset(L, base);
    }
    lua_settop(L, base);
}

/* the n elements above the table, as elements *count + 1 ... (set from
 * the top down: each is the top of the stack when set) */
static void fast_set_items(lua_State *L, int base, int *made, int n, int mt_i,
                           lua_Integer *count)
{
    fast_table(L, base, made, mt_i, n, 0);
    for (int i = n; i >= 1; i--)
        lua_rawseti(L, base, *count + i);
    *count += n;
}

static int fast_val(fast_rd *r, int depth)
{
    lua_State *L = r->L;
    /* (the caller has room for a value on the stack: fast_decode, or
     * the container, for its members) */
    if (r->p >= r->end || depth > FAST_DEPTH)
        return -1;
    switch (*r->p) {
    case '{': {
        if (!lua_checkstack(L, 2 * FAST_RUN + 8))
            return -1;
        r->p++;
        lua_pushnil(L); /* the table's slot */
        int base = lua_gettop(L), made = 0, n = 0;
        fast_ws(r);
        if (r->p < r->end && *r->p == '}') {
            r->p++;
            fast_set_pairs(L, base, &made, 0, r->obj_i);
            return 0;
        }
        for (;;) {
            fast_ws(r);
            if (r->p >= r->end || *r->p != '"' || fast_str(r, 1) != 0)
                return -1;
            fast_ws(r);
            if (r->p >= r->end || *r->p != ':')
                return -1;
            r->p++;
            fast_ws(r);
            if (fast_val(r, depth + 1) != 0)
                return -1;
            n++;
            fast_ws(r);
            if (r->p < r->end && *r->p == ',') {
                r->p++;
                if (n == FAST_RUN) {
                    fast_set_pairs(L, base, &made, n, r->obj_i);
                    n = 0;
                }
                continue;
            }
            if (r->p < r->end && *r->p == '}') {
                r->p++;
                fast_set_pairs(L, base, &made, n, r->obj_i);
                return 0;
            }
            return -1;
        }
    }
    case '[': {
        if (!lua_checkstack(L, FAST_RUN + 8))
            return -1;
        r->p++;
        lua_pushnil(L); /* the table's slot */
        int base = lua_gettop(L), made = 0, n = 0;
        lua_Integer count = 0;
        fast_ws(r);
        if (r->p < r->end && *r->p == ']') {
            r->p++;
            fast_set_items(L, base, &made, 0, r->arr_i, &count);
            return 0;
        }
        for (;;) {
            fast_ws(r);
            if (fast_val(r, depth + 1) != 0)
                return -1;
            n++;
            fast_ws(r);
            if (r->p < r->end && *r->p == ',') {
                r->p++;
                if (n == FAST_RUN) {
                    fast_set_items(L, base, &made, n, r->arr_i, &count);
                    n = 0;
                }
                continue;
            }
            if (r->p < r->end && *r->p == ']') {
                r->p++;
                fast_set_items(L, base, &made, n, r->arr_i, &count);
                return 0;
            }
            return -1;
        }
    }
    case '"':
        return fast_str(r, 0);
    case 't':
        if (fast_word(r, "true", 4) != 0)
            return -1;
        lua_pushboolean(L, 1);
        return 0;
    case 'f':
        if (fast_word(r, "false", 5) != 0)
            return -1;
        lua_pushboolean(L, 0);
        return 0;
    case 'n':
        if (fast_word(r, "null", 4) != 0)
            return -1;
        lua_pushvalue(L, r->null_i);
        return 0;
    default:
        return fast_num(r);
    }
}

/* 1 and the value pushed, or 0 and the stack as it was */
static int fast_decode(lua_State *L, const char *s, size_t len)
{
    int top = lua_gettop(L);
    if (!lua_checkstack(L, 8) || getenv("PIPE_JSON_TREE"))
        return 0;
    pipe_json_push_mark(L, PIPE_JSON_NULL);
    pipe_json_push_mark(L, PIPE_JSON_OBJECT_MT);
    pipe_json_push_mark(L, PIPE_JSON_ARRAY_MT);
    fast_rd r = {L, s, s + len, top + 1, top + 2, top + 3};
    fast_ws(&r);
    int rc = fast_val(&r, 0);
    if (rc == 0) {
        fast_ws(&r);
        rc = r.p == r.end ? 0 : -1;
    }
    if (rc != 0) {
        lua_settop(L, top);
        return 0;
    }
    lua_replace(L, top + 1);
    lua_settop(L, top + 1);
    return 1;
}

static int json_decode(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    if (fast_decode(L, s, len))
        return 1;
    pipe_box *box = pipe_box_new(L, release_json);
    json_error_t e;
    box->p = json_loadb(s, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
    if (!box->p) {
        luaL_pushfail(L);
        lua_pushfstring(L, "%d:%d: %s", e.line, e.column, e.text);
        return 2;
    }
    pipe_json_push(L, box->p);
    return 1;
}

/* Set the metatable stored under `key` on table argument 1 (a new empty
 * table when absent) and return it. */
static int mark(lua_State *L, int which)
{
    if (lua_isnoneornil(L, 1)) {
        lua_settop(L, 0);
        lua_newtable(L);
    } else {
        luaL_checktype(L, 1, LUA_TTABLE);
        lua_settop(L, 1);
    }
    pipe_json_push_mark(L, which);
    lua_setmetatable(L, 1);
    return 1;
}

/* -- json.array([t]) -> t (always encoded as an array) */
static int json_array_fn(lua_State *L)
{
    return mark(L, PIPE_JSON_ARRAY_MT);
}

/* -- json.object([t]) -> t (always encoded as an object) */
static int json_object_fn(lua_State *L)
{
    return mark(L, PIPE_JSON_OBJECT_MT);
}

static const luaL_Reg json_functions[] = {
    {"encode", json_encode},
    {"decode", json_decode},
    {"array", json_array_fn},
    {"object", json_object_fn},
    {NULL, NULL},
};

static int json_open(lua_State *L)
{
    luaL_newlib(L, json_functions);
    pipe_json_push_mark(L, PIPE_JSON_NULL);
    lua_setfield(L, -2, "null");
    pipe_json_push_mark(L, PIPE_JSON_OBJECT_MT);
    lua_setfield(L, -2, "object_mt");
    pipe_json_push_mark(L, PIPE_JSON_ARRAY_MT);
    lua_setfield(L, -2, "array_mt");
    return 1;
}

static const char *const json_names[] = {
    "encode", "decode", "null", "array", "object", "object_mt", "array_mt",
    NULL,
};

const pipe_plugin pipe_plugin_json = {
    PIPE_PLUGIN_HEAD,
    .name = "json",
    .summary = "JSON encode/decode (jansson)",
    .open = json_open,
    .lua_names = json_names,
};
