/*
 * Record JSON, owned by the host (include/pipe/json.h): Lua values to
 * jansson trees for every record pipe writes, jansson trees to Lua values
 * for every record `pipe run --records` reads.  The json plugin's
 * json.encode/json.decode are thin wrappers over these.
 *
 * Lua -> JSON rules are stated in include/pipe/json.h.  JSON -> Lua: objects
 * become tables with metatable json.object_mt, arrays tables with
 * json.array_mt (so `json.encode(json.decode(s))` keeps `{}` and `[]`
 * apart), null becomes json.null, integers Lua integers, reals Lua floats.
 *
 * Caveats:
 * - The conversion runs under lua_pcall so that an out-of-memory error
 *   inside it cannot leak the half-built jansson tree: every new JSON value
 *   is attached to its parent before anything that can raise.
 * - The markers (json.null and the two metatables) are made on first use
 *   in each state, whether or not the json plugin was opened there.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "core.h"
#include "pipe/json.h"
#include "pipe/util.h"

#define JSON_MAX_DEPTH 256
#define JSON_NULL_KEY "pipe.json.null"
#define JSON_OBJECT_KEY "pipe.json.object"
#define JSON_ARRAY_KEY "pipe.json.array"

/* Registry objects, created on first use so pipe_json_push works in any
 * state, whether or not the json module was opened there. */
static void push_registry_value(lua_State *L, const char *key)
{
    if (lua_getfield(L, LUA_REGISTRYINDEX, key) != LUA_TNIL)
        return;
    lua_pop(L, 1);
    if (strcmp(key, JSON_NULL_KEY) == 0) {
        lua_newuserdatauv(L, 0, 0);
        lua_createtable(L, 0, 1);
        lua_pushliteral(L, "json.null");
        lua_setfield(L, -2, "__name");
        lua_setmetatable(L, -2);
    } else {
        lua_createtable(L, 0, 1);
        lua_pushstring(L, strcmp(key, JSON_OBJECT_KEY) == 0 ? "json.object"
                                                            : "json.array");
        lua_setfield(L, -2, "__name");
    }
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, key);
}

/* Whether the value at idx is the json.null sentinel (or a NULL light
 * userdata, the lua-cjson convention). */
static int is_null(lua_State *L, int idx)
{
    if (lua_islightuserdata(L, idx))
        return lua_touserdata(L, idx) == NULL;
    if (lua_type(L, idx) != LUA_TUSERDATA)
        return 0;
    push_registry_value(L, JSON_NULL_KEY);
    int eq = lua_rawequal(L, idx, -1);
    lua_pop(L, 1);
    return eq;
}

/* Whether the table at idx has the metatable stored under registry `key`. */
static int has_mt(lua_State *L, int idx, const char *key)
{
    if (!lua_getmetatable(L, idx))
        return 0;
    push_registry_value(L, key);
    int eq = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
    return eq;
}

/*
 * Lua -> JSON
 */

/* One step of the path to the value being converted, for error messages. */
typedef struct json_step {
    const char *key;   /* object key, or NULL for an array index */
    size_t len;
    lua_Integer index;
} json_step;

typedef struct json_conv {
    json_t *root;                      /* owns everything built so far */
    int seen;                          /* stack index: tables being visited */
    int depth;
    json_step path[JSON_MAX_DEPTH + 2];
} json_conv;

/* Raise an error about the current value, naming where it is. */
static int conv_error(lua_State *L, json_conv *c, const char *msg)
{
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addstring(&b, msg);
    if (c->depth > 0) {
        /* The last few steps are enough to find the value. */
        int first = c->depth > 8 ? c->depth - 7 : 1;
        luaL_addstring(&b, first > 1 ? " at ..." : " at ");
        for (int i = first; i <= c->depth && i <= JSON_MAX_DEPTH; i++) {
            if (c->path[i].key) {
                luaL_addchar(&b, '.');
                luaL_addlstring(&b, c->path[i].key, c->path[i].len);
            } else {
                lua_pushfstring(L, "[%I]", c->path[i].index);
                luaL_addvalue(&b);
            }
        }
    }
    luaL_pushresult(&b);
    return lua_error(L);
}

/* Push the string at idx with invalid UTF-8 replaced (or the same string
 * when it is valid). */
static const char *push_utf8(lua_State *L, int idx, size_t *len)
{
    size_t n;
    const char *s = lua_tolstring(L, idx, &n);
    if (pipe_utf8_valid(s, n) == n) {
        lua_pushvalue(L, idx);
    } else {
        luaL_Buffer b;
        luaL_buffinit(L, &b);
        pipe_utf8_fix(&b, s, n);
        luaL_pushresult(&b);
    }
    return lua_tolstring(L, -1, len);
}

/* Attach `v` to `parent` (or make it the root) right away, so that it is
 * freed with the tree if a later step raises. */
static void attach(lua_State *L, json_conv *c, json_t *parent,
                   const char *key, size_t klen, json_t *v)
{
    if (!v)
        luaL_error(L, "out of memory");
    int rc;
    if (!parent) {
        c->root = v;
        rc = 0;
    } else if (key) {
        rc = json_object_setn_new_nocheck(parent, key, klen, v);
    } else {
        rc = json_array_append_new(parent, v);
    }
    if (rc != 0)
        luaL_error(L, "out of memory");
}

/* Key order: "source" first, then bytewise. */
typedef struct json_key {
    const char *s;
    size_t len;
    int slot;          /* value is at keys[2*slot] in the scratch table */
} json_key;

static int key_rank(const json_key *k)
{
    return !(k->len == 6 && memcmp(k->s, "source", 6) == 0);
}

static int key_cmp(const void *pa, const void *pb)
{
    const json_key *a = pa, *b = pb;
    int ra = key_rank(a), rb = key_rank(b);
    if (ra != rb)
        return ra - rb;
    size_t n = a->len < b->len ? a->len : b->len;
    int r = memcmp(a->s, b->s, n);
    if (r != 0)
        return r;
    return (a->len > b->len) - (a->len < b->len);
}

/* Whether the table at idx holds exactly the keys 1..n (n >= 1). */
static int is_sequence(lua_State *L, int idx, lua_Integer *n)
{
    lua_Integer count = 0, max = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (!lua_isinteger(L, -1)) {
            lua_pop(L, 1);
            return 0;
        }
        lua_Integer k = lua_tointeger(L, -1);
        if (k < 1) {
            lua_pop(L, 1);
            return 0;
        }
        if (k > max)
            max = k;
        count++;
    }
    *n = max;
    return count > 0 && count == max;
}

/* Whether the table at idx is written as an array (of *n elements):
 * marked 1 (json.array_mt) or 2 (json.object_mt) decides; else a sequence
 * 1..n is an array, and so is an empty table. */
static int is_array(lua_State *L, int idx, int marked, lua_Integer *n)
{
    *n = 0;
    if (marked == 1) {
        *n = (lua_Integer)lua_rawlen(L, idx);
        return 1;
    }
    if (marked == 2)
        return 0;
    if (is_sequence(L, idx, n))
        return 1;
    *n = 0;
    lua_pushnil(L);
    int empty = !lua_next(L, idx);
    if (!empty)
        lua_pop(L, 2);
    return empty;
}

/* The real conversion: `parent` is the container the value goes into (NULL
 * for the root); the key or index comes from c->path[c->depth]. */
static void conv_into(lua_State *L, json_conv *c, int idx, json_t *parent)
{
    const char *key = NULL;
    size_t klen = 0;
    if (parent && c->path[c->depth].key) {
        key = c->path[c->depth].key;
        klen = c->path[c->depth].len;
    }
    switch (lua_type(L, idx)) {
    case LUA_TNIL:
        attach(L, c, parent, key, klen, json_null());
        return;
    case LUA_TBOOLEAN:
        attach(L, c, parent, key, klen, json_boolean(lua_toboolean(L, idx)));
        return;
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx)) {
            attach(L, c, parent, key, klen,
                   json_integer((json_int_t)lua_tointeger(L, idx)));
        } else {
            lua_Number d = lua_tonumber(L, idx);
            if (!isfinite(d)) {
                const char *name = isnan(d) ? "nan" : d > 0 ? "inf" : "-inf";
                const char *msg =
                    lua_pushfstring(L, "cannot encode number '%s'", name);
                conv_error(L, c, msg);
            }
            attach(L, c, parent, key, klen, json_real(d));
        }
        return;
    case LUA_TSTRING: {
        size_t len;
        const char *s = push_utf8(L, idx, &len);
        attach(L, c, parent, key, klen, json_stringn_nocheck(s, len));
        lua_pop(L, 1);
        return;
    }
    case LUA_TTABLE:
        break;
    default:
        if (is_null(L, idx)) {
            attach(L, c, parent, key, klen, json_null());
            return;
        }
        conv_error(L, c, lua_pushfstring(L, "cannot encode a value of type %s",
                                         luaL_typename(L, idx)));
        return;
    }

    /* Tables. */
    if (c->depth >= JSON_MAX_DEPTH)
        conv_error(L, c, "cannot encode tables nested deeper than 256");
    lua_pushvalue(L, idx);
    if (lua_rawget(L, c->seen) != LUA_TNIL)
        conv_error(L, c, "cannot encode a table that contains itself");
    lua_pop(L, 1);
    lua_pushvalue(L, idx);
    lua_pushboolean(L, 1);
    lua_rawset(L, c->seen);

    lua_Integer n = 0;
    int array = is_array(L, idx,
                         has_mt(L, idx, JSON_ARRAY_KEY)    ? 1
                         : has_mt(L, idx, JSON_OBJECT_KEY) ? 2
                                                           : 0,
                         &n);
    json_t *v = array ? json_array() : json_object();
    attach(L, c, parent, key, klen, v);
    luaL_checkstack(L, 8, "json nesting");
    c->depth++;
    for (lua_Integer i = 1; array && i <= n; i++) {
        c->path[c->depth].key = NULL;
        c->path[c->depth].index = i;
        lua_rawgeti(L, idx, i);
        conv_into(L, c, lua_gettop(L), v);
        lua_pop(L, 1);
    }
    if (!array) {
        /* Keys as strings in a scratch table (keeps them alive), the sort
         * array in a userdata (collected by the GC if we raise). */
        lua_Integer count = 0;
        lua_pushnil(L);
        while (lua_next(L, idx)) {
            lua_pop(L, 1);
            count++;
        }
        json_key *keys =
            lua_newuserdatauv(L, (size_t)count * sizeof *keys + 1, 0);
        lua_createtable(L, (int)(2 * count), 0);
        int scratch = lua_gettop(L);
        int k = 0;
        lua_pushnil(L);
        while (lua_next(L, idx)) {
            lua_rawseti(L, scratch, 2 * (k + 1)); /* the value */
            int kt = lua_type(L, -1);
            if (kt == LUA_TSTRING) {
                lua_pushvalue(L, -1);
            } else if (kt == LUA_TNUMBER && lua_isinteger(L, -1)) {
                lua_pushfstring(L, "%I", lua_tointeger(L, -1));
            } else if (kt == LUA_TNUMBER) {
                lua_pushfstring(L, "%f", lua_tonumber(L, -1));
            } else {
                c->depth--;
                conv_error(L, c,
                           lua_pushfstring(L, "cannot encode a table key of "
                                              "type %s", lua_typename(L, kt)));
            }
            size_t len;
            const char *s = push_utf8(L, -1, &len);
            lua_rawseti(L, scratch, 2 * k + 1);
            lua_pop(L, 1);
            keys[k].s = s;
            keys[k].len = len;
            keys[k].slot = k + 1;
            k++;
        }
        qsort(keys, (size_t)k, sizeof *keys, key_cmp);
        for (int i = 0; i < k; i++) {
            c->path[c->depth].key = keys[i].s;
            c->path[c->depth].len = keys[i].len;
            lua_rawgeti(L, scratch, 2 * keys[i].slot);
            conv_into(L, c, lua_gettop(L), v);
            lua_pop(L, 1);
        }
        lua_pop(L, 2);
    }
    c->depth--;
    lua_pushvalue(L, idx);
    lua_pushnil(L);
    lua_rawset(L, c->seen);
}

static int conv_protected(lua_State *L)
{
    json_conv *c = lua_touserdata(L, 2);
    lua_newtable(L);
    c->seen = lua_gettop(L);
    conv_into(L, c, 1, NULL);
    return 0;
}

json_t *pipe_json_from_lua(lua_State *L, int idx, char **err)
{
    idx = lua_absindex(L, idx);
    *err = NULL;
    if (!lua_checkstack(L, 5)) {
        *err = strdup("out of memory");
        return NULL;
    }
    /* The context (with its path array) lives in a userdata kept on the
     * stack below the call, so it is neither on the C stack nor collected
     * before we read the result. */
    json_conv *c = lua_newuserdatauv(L, sizeof *c, 0);
    c->root = NULL;
    c->depth = 0;
    lua_pushcfunction(L, conv_protected);
    lua_pushvalue(L, idx);
    lua_pushvalue(L, -3);
    json_t *root = NULL;
    if (lua_pcall(L, 2, 0, 0) != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        *err = strdup(msg ? msg : "cannot encode value");
        lua_pop(L, 1);
        if (c->root)
            json_decref(c->root);
    } else {
        root = c->root;
    }
    lua_pop(L, 1);
    return root;
}

/*
 * JSON -> Lua
 */

static void push_value(lua_State *L, json_t *v)
{
    luaL_checkstack(L, 4, "json nesting");
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        lua_createtable(L, 0, (int)json_object_size(v));
        push_registry_value(L, JSON_OBJECT_KEY);
        lua_setmetatable(L, -2);
        for (void *it = json_object_iter(v); it;
             it = json_object_iter_next(v, it)) {
            lua_pushlstring(L, json_object_iter_key(it),
                            json_object_iter_key_len(it));
            push_value(L, json_object_iter_value(it));
            lua_rawset(L, -3);
        }
        return;
    }
    case JSON_ARRAY: {
        size_t n = json_array_size(v);
        lua_createtable(L, (int)n, 0);
        push_registry_value(L, JSON_ARRAY_KEY);
        lua_setmetatable(L, -2);
        for (size_t i = 0; i < n; i++) {
            push_value(L, json_array_get(v, i));
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
        return;
    }
    case JSON_STRING:
        lua_pushlstring(L, json_string_value(v), json_string_length(v));
        return;
    case JSON_INTEGER:
        lua_pushinteger(L, (lua_Integer)json_integer_value(v));
        return;
    case JSON_REAL:
        lua_pushnumber(L, (lua_Number)json_real_value(v));
        return;
    case JSON_TRUE:
        lua_pushboolean(L, 1);
        return;
    case JSON_FALSE:
        lua_pushboolean(L, 0);
        return;
    case JSON_NULL:
    default:
        push_registry_value(L, JSON_NULL_KEY);
        return;
    }
}

void pipe_json_push(lua_State *L, json_t *v)
{
    if (!v)
        push_registry_value(L, JSON_NULL_KEY);
    else
        push_value(L, v);
}

void pipe_json_push_mark(lua_State *L, int which)
{
    push_registry_value(L, which == PIPE_JSON_OBJECT_MT  ? JSON_OBJECT_KEY
                           : which == PIPE_JSON_ARRAY_MT ? JSON_ARRAY_KEY
                                                         : JSON_NULL_KEY);
}

/*
 * Lua -> compact JSON text, directly (the NDJSON output): the bytes
 * json_dumpf(JSON_COMPACT | JSON_PRESERVE_ORDER) writes for the tree
 * pipe_json_from_lua builds, without building the tree (which, dumped
 * through jansson's per-character callback and freed again, was most of a
 * record's output cost).  Anything the tree conversion would change or
 * refuse -- a string that is not UTF-8, a number that is not finite, a key
 * that is not a string, a value of another type, nesting past FAST_DEPTH
 * (a table that contains itself gets there) -- makes it give up: the
 * caller then takes the tree's path, which has the exact message.
 */
#define FAST_DEPTH 64

typedef struct fast_w {
    lua_State *L;
    pipe_buf *out;
    int null_i, obj_i, arr_i;   /* stack slots of the markers */
} fast_w;

/* pipe_buf_add, with the common case (room left) here: a record is
 * dozens of small puts */
static int fast_put(fast_w *w, const char *s, size_t n)
{
    pipe_buf *b = w->out;
    if (b->oom || b->cap - b->len <= n)
        return pipe_buf_add(b, s, n);
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

/* An integer in decimal, as "%lld" writes it */
static int fast_int(fast_w *w, lua_Integer v)
{
    char b[24], *end = b + sizeof b, *p = end;
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v
                                 : (unsigned long long)v;
    do
        *--p = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    if (v < 0)
        *--p = '-';
    return fast_put(w, p, (size_t)(end - p));
}

/* How many bytes at the start of s[0..n) need no look: none at or over
 * 0x80, under 0x20, '"' or '\\'.  Sixteen at a time with SSE2 (x86-64
 * always has it), eight at a time for the rest (a lane's borrow can only
 * flag lanes above one that is flagged already), then byte by byte. */
static size_t plain_run(const char *s, size_t n)
{
    size_t i = 0;
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'),
                  space = _mm_set1_epi8(0x20);
    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        /* signed compare: a byte at or over 0x80 is under 0x20 too */
        __m128i look = _mm_or_si128(_mm_cmplt_epi8(v, space),
                                    _mm_or_si128(_mm_cmpeq_epi8(v, quote),
                                                 _mm_cmpeq_epi8(v, bslash)));
        unsigned bits = (unsigned)_mm_movemask_epi8(look);
        if (bits)
            return i + (size_t)__builtin_ctz(bits);
    }
#endif
    const uint64_t ones = 0x0101010101010101u, high = ones * 0x80;
    for (; i + 8 <= n; i += 8) {
        uint64_t v;
        memcpy(&v, s + i, 8);
        uint64_t q = v ^ (ones * '"'), b = v ^ (ones * '\\');
        if ((v | ((v - ones * 0x20) | (q - ones) | (b - ones))) & high)
            break;
    }
    for (; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80 || c < 0x20 || c == '"' || c == '\\')
            break;
    }
    return i;
}

/* (UTF-8 is checked as the string is written: a bad sequence gives up,
 * and pipe_json_write_lua drops what was written) */
static int fast_string(fast_w *w, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    if (fast_put(w, "\"", 1) != 0)
        return -1;
    size_t from = 0, i = 0;
    for (;;) {
        i += plain_run(s + i, n - i);
        if (i >= n)
            break;
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80) {
            /* a run of multi-byte sequences (a word of Cyrillic, Greek,
             * CJK) in one loop */
            do {
                size_t adv;
                if (pipe_utf8_decode(s + i, n - i, &adv) < 0)
                    return -1;
                i += adv;
            } while (i < n && (unsigned char)s[i] >= 0x80);
            continue;
        }
        if (i > from && fast_put(w, s + from, i - from) != 0)
            return -1;
        char e[6] = {'\\', 0, 0, 0, 0, 0};
        size_t el = 2;
        switch (c) {
        case '"': e[1] = '"'; break;
        case '\\': e[1] = '\\'; break;
        case '\b': e[1] = 'b'; break;
        case '\f': e[1] = 'f'; break;
        case '\n': e[1] = 'n'; break;
        case '\r': e[1] = 'r'; break;
        case '\t': e[1] = 't'; break;
        default:
            e[1] = 'u';
            e[2] = '0';
            e[3] = '0';
            e[4] = hex[c >> 4];
            e[5] = hex[c & 15];
            el = 6;
        }
        if (fast_put(w, e, el) != 0)
            return -1;
        from = ++i;
    }
    if (n > from && fast_put(w, s + from, n - from) != 0)
        return -1;
    return fast_put(w, "\"", 1);
}

/* jansson's real: "%.17g", a ".0" when it reads as an integer, the
 * exponent without '+' and leading zeros */
static int fast_real(fast_w *w, double d)
{
    char b[64];
    int n = snprintf(b, sizeof b, "%.17g", d);
    if (n <= 0 || (size_t)n >= sizeof b - 3)
        return -1;
    if (!strchr(b, '.') && !strchr(b, 'e')) {
        b[n++] = '.';
        b[n++] = '0';
        b[n] = '\0';
    }
    char *e = strchr(b, 'e');
    if (e) {
        char *start = e + 1, *end = start + 1;
        if (*start == '-')
            start++;
        while (*end == '0')
            end++;
        if (end != start) {
            memmove(start, end, strlen(end) + 1);
            n = (int)strlen(b);
        }
    }
    if (strchr(b, ','))
        return -1; /* a locale's decimal comma: jansson rewrites it */
    return fast_put(w, b, (size_t)n);
}

#define FAST_KEYS 16   /* an object's keys held on the C stack up to this */

typedef struct fast_key {
    const char *s;
    size_t len;
    int val;        /* stack slot of the value */
} fast_key;

static int fast_key_cmp(const void *pa, const void *pb)
{
    const fast_key *a = pa, *b = pb;
    json_key ka = {a->s, a->len, 0}, kb = {b->s, b->len, 0};
    return key_cmp(&ka, &kb);
}

static int fast_value(fast_w *w, int idx, int depth);

static int fast_table(fast_w *w, int idx, int depth)
{
    lua_State *L = w->L;
    if (depth >= FAST_DEPTH)
        return -1;
    int marked = 0;
    lua_Integer n = 0;
    if (lua_getmetatable(L, idx)) {
        if (lua_rawequal(L, -1, w->arr_i))
            marked = 1;
        else if (lua_rawequal(L, -1, w->obj_i))
            marked = 2;
        lua_pop(L, 1);
    }
    int array = is_array(L, idx, marked, &n);
    if (array) {
        if (!lua_checkstack(L, 4) || fast_put(w, "[", 1) != 0)
            return -1;
        for (lua_Integer i = 1; i <= n; i++) {
            if (i > 1 && fast_put(w, ",", 1) != 0)
                return -1;
            lua_rawgeti(L, idx, i);
            int rc = fast_value(w, lua_gettop(L), depth + 1);
            lua_pop(L, 1);
            if (rc != 0)
                return -1;
        }
        return fast_put(w, "]", 1);
    }
    /* the pairs on the stack (no allocation inside Lua: nothing can
     * raise while the key array is held), then in key order */
    int base = lua_gettop(L);
    size_t count = 0, cap = FAST_KEYS;
    fast_key local[FAST_KEYS], *keys = local;
    int rc = 0;
    lua_pushnil(L);
    while (rc == 0 && lua_next(L, idx)) {
        if (lua_type(L, -2) != LUA_TSTRING || !lua_checkstack(L, 4)) {
            lua_pop(L, 2);
            rc = -1;
            break;
        }
        if (count == cap) {
            fast_key *nk = malloc(2 * cap * sizeof *keys);
            if (!nk) {
                lua_pop(L, 2);
                rc = -1;
                break;
            }
            memcpy(nk, keys, count * sizeof *keys);
            if (keys != local)
                free(keys);
            keys = nk;
            cap *= 2;
        }
        keys[count].s = lua_tolstring(L, -2, &keys[count].len);
        keys[count].val = lua_gettop(L);
        count++;
        lua_pushvalue(L, -2); /* the key again, for lua_next */
    }
    if (rc == 0) {
        if (count > FAST_KEYS) {
            qsort(keys, count, sizeof *keys, fast_key_cmp);
        } else {
            /* a record's few keys: insertion sort, no calls through
             * qsort (the keys are distinct: the order is the same) */
            for (size_t i = 1; i < count; i++) {
                fast_key k = keys[i];
                size_t j = i;
                while (j > 0 && fast_key_cmp(&keys[j - 1], &k) > 0) {
                    keys[j] = keys[j - 1];
                    j--;
                }
                keys[j] = k;
            }
        }
        rc = fast_put(w, "{", 1);
        for (size_t i = 0; rc == 0 && i < count; i++) {
            if (i > 0)
                rc = fast_put(w, ",", 1);
            if (rc == 0)
                rc = fast_string(w, keys[i].s, keys[i].len);
            if (rc == 0)
                rc = fast_put(w, ":", 1);
            if (rc == 0)
                rc = fast_value(w, keys[i].val, depth + 1);
        }
        if (rc == 0)
            rc = fast_put(w, "}", 1);
    }
    if (keys != local)
        free(keys);
    lua_settop(L, base);
    return rc;
}

static int fast_value(fast_w *w, int idx, int depth)
{
    lua_State *L = w->L;
    switch (lua_type(L, idx)) {
    case LUA_TNIL:
        return fast_put(w, "null", 4);
    case LUA_TBOOLEAN:
        return lua_toboolean(L, idx) ? fast_put(w, "true", 4)
                                     : fast_put(w, "false", 5);
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx)) {
            return fast_int(w, lua_tointeger(L, idx));
        } else {
            double d = (double)lua_tonumber(L, idx);
            return isfinite(d) ? fast_real(w, d) : -1;
        }
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(L, idx, &n);
        return fast_string(w, s, n);
    }
    case LUA_TTABLE:
        return fast_table(w, idx, depth);
    case LUA_TLIGHTUSERDATA:
        return lua_touserdata(L, idx) == NULL ? fast_put(w, "null", 4) : -1;
    case LUA_TUSERDATA:
        return lua_rawequal(L, idx, w->null_i) ? fast_put(w, "null", 4) : -1;
    default:
        return -1;
    }
}

int pipe_json_write_lua(lua_State *L, int idx, pipe_buf *out)
{
    idx = lua_absindex(L, idx);
    if (lua_type(L, idx) != LUA_TTABLE || !lua_checkstack(L, 8))
        return -1;
    int top = lua_gettop(L);
    /* the markers first: making one on first use allocates (may raise),
     * which must not happen once the writer holds memory of its own */
    push_registry_value(L, JSON_NULL_KEY);
    push_registry_value(L, JSON_OBJECT_KEY);
    push_registry_value(L, JSON_ARRAY_KEY);
    fast_w w = {L, out, top + 1, top + 2, top + 3};
    size_t mark = out->len;
    int rc = fast_value(&w, idx, 0);
    lua_settop(L, top);
    if (rc != 0)
        out->len = mark;
    return rc;
}
