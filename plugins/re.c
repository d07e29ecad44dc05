/*
 * re plugin: PCRE2 regular expressions for Lua, and the `pipe match`
 * command.
 *
 * Every pattern is compiled with UTF, UCP (\w, \d, \b and case folding know
 * Unicode) and MATCH_INVALID_UTF (invalid UTF-8 in a subject never matches
 * and never crashes); a Regex is JIT-compiled once it has seen some use
 * (RE_JIT_BYTES), the match command's pattern at once.  Compiled patterns
 * are cached per
 * Lua state in a registry table keyed by flags + pattern; each one lives in
 * a "pipe.Regex" userdata whose __gc frees it.  All Regex objects of a
 * state share one match context (match and depth limits, JIT stack), held
 * by a userdata each Regex references, so it outlives them.
 *
 * Caveats:
 * - Iteration (gmatch, gsub, split) follows Lua 5.4's string.gsub: an empty
 *   match right where the previous match ended is skipped, and the search
 *   resumes one character on (PCRE2_NOTEMPTY_ATSTART), so "baaac" with
 *   "a*" and "-" gives "-b-c-".
 * - Groups that did not take part in a match are returned as false (nil
 *   would end a generic for loop); re.exec leaves them out of its table.
 * - In a replacement string, "$12" means group 12 if the pattern has that
 *   many groups, else group 1 followed by "2".
 * - A table or function replacement gets the first group (or the whole
 *   match when there are none) as the key, and all groups as arguments, as
 *   with string.gsub.
 * - re.split drops an empty match at the very start or end of the subject
 *   (re.split("abc", "") is {"a", "b", "c"}); groups are not included in
 *   the parts.
 * - The Regex's match data is shared by every call on it, so no code here
 *   reads the ovector after calling back into Lua (a gsub function may use
 *   the same Regex).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <jansson.h>
#include <lauxlib.h>

#include "pipe/html.h"
#include "pipe/plugin.h"
#include "pipe/re.h"
#include "pipe/util.h"

#define RE_MT "pipe.Regex"
#define RE_SHARED_MT "pipe.RegexContext"
#define RE_CACHE_KEY "pipe.re.cache"
#define RE_SHARED_KEY "pipe.re.shared"
#define RE_CACHE_MAX 256

#define RE_MATCH_LIMIT 10000000u
#define RE_DEPTH_LIMIT 1000000u
#define RE_JIT_STACK_MIN (32 * 1024)
#define RE_JIT_STACK_MAX (1024 * 1024)

#define RE_COMPILE_BASE (PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF)

/*
 * Compilation, shared by Lua and the command
 */

/* Option bits for a flags string; returns 0 and sets *bad to the offending
 * character on an unknown flag. */
static int parse_flags(const char *f, size_t n, uint32_t *opts, char *bad)
{
    *opts = RE_COMPILE_BASE;
    for (size_t i = 0; i < n; i++) {
        switch (f[i]) {
        case 'i': *opts |= PCRE2_CASELESS; break;
        case 'm': *opts |= PCRE2_MULTILINE; break;
        case 's': *opts |= PCRE2_DOTALL; break;
        case 'x': *opts |= PCRE2_EXTENDED; break;
        case 'u': break; /* UTF is always on */
        default:
            *bad = f[i];
            return 0;
        }
    }
    return 1;
}

/* A JIT failure (no JIT on this CPU, or out of memory) leaves the
 * interpreter, which is correct, only slower.  PIPE_PCRE2_NO_JIT asks for
 * the interpreter: valgrind cannot follow JIT code and reports false
 * errors in it (meson test --setup valgrind sets it). */
static void jit(pcre2_code *code)
{
    if (!getenv("PIPE_PCRE2_NO_JIT"))
        pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
}

/* `now`: JIT-compile at once (the match command: every input uses it);
 * else the first matches run interpreted (see re_regex.seen). */
static pcre2_code *compile(const char *pat, size_t len, uint32_t opts,
                           int *errcode, PCRE2_SIZE *erroff, int now)
{
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)pat, len, opts, errcode,
                                     erroff, NULL);
    if (code && now)
        jit(code);
    return code;
}

static void error_text(int code, char *buf, size_t size)
{
    if (pcre2_get_error_message(code, (PCRE2_UCHAR *)buf, size) < 0)
        snprintf(buf, size, "error %d", code);
}

static int is_limit_error(int rc)
{
    return rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
           rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT;
}

/* A match context with pipe's limits and a JIT stack; NULL on
 * out-of-memory (*jit then NULL too). */
static pcre2_match_context *new_match_context(pcre2_jit_stack **jit)
{
    pcre2_match_context *m = pcre2_match_context_create(NULL);
    *jit = pcre2_jit_stack_create(RE_JIT_STACK_MIN, RE_JIT_STACK_MAX, NULL);
    if (!m || !*jit) {
        pcre2_match_context_free(m);
        pcre2_jit_stack_free(*jit);
        *jit = NULL;
        return NULL;
    }
    pcre2_set_match_limit(m, RE_MATCH_LIMIT);
    pcre2_set_depth_limit(m, RE_DEPTH_LIMIT);
    pcre2_jit_stack_assign(m, NULL, *jit);
    return m;
}

/*
 * The Regex userdata
 */

typedef struct re_shared {
    pcre2_match_context *mctx;
    pcre2_jit_stack *jit;
} re_shared;

/* JIT compiling a pattern costs as much as interpreting it over tens of
 * kilobytes (0.1-0.4 M instructions), and many of a rule's patterns run a
 * few times on short strings of one page: a Regex is JIT-compiled before
 * the match that takes its subjects past RE_JIT_BYTES or its matches past
 * RE_JIT_MATCHES. */
#define RE_JIT_BYTES (16 * 1024)
#define RE_JIT_MATCHES 16

typedef struct re_regex {
    pcre2_code *code;
    pcre2_match_data *md;
    pcre2_match_context *mctx;   /* borrowed from the re_shared */
    uint32_t ngroups;
    size_t seen;                 /* subject bytes so far; SIZE_MAX: JIT
                                  * compiled (or tried) */
    unsigned matches;            /* matches so far */
} re_regex;

/* User values of a Regex. */
enum { UV_PATTERN = 1, UV_NAMES = 2, UV_SHARED = 3 };

static int shared_gc(lua_State *L)
{
    re_shared *sh = luaL_checkudata(L, 1, RE_SHARED_MT);
    pcre2_match_context_free(sh->mctx);
    pcre2_jit_stack_free(sh->jit);
    sh->mctx = NULL;
    sh->jit = NULL;
    return 0;
}

/* Push the state's shared match context, creating it on first use. */
static re_shared *push_shared(lua_State *L)
{
    if (lua_getfield(L, LUA_REGISTRYINDEX, RE_SHARED_KEY) == LUA_TUSERDATA)
        return lua_touserdata(L, -1);
    lua_pop(L, 1);
    re_shared *sh = lua_newuserdatauv(L, sizeof *sh, 0);
    sh->mctx = NULL;
    sh->jit = NULL;
    if (luaL_newmetatable(L, RE_SHARED_MT)) {
        lua_pushcfunction(L, shared_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    sh->mctx = new_match_context(&sh->jit);
    if (!sh->mctx)
        luaL_error(L, "out of memory");
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, RE_SHARED_KEY);
    return sh;
}

static int regex_gc(lua_State *L)
{
    re_regex *r = luaL_checkudata(L, 1, RE_MT);
    pcre2_match_data_free(r->md);
    pcre2_code_free(r->code);
    r->md = NULL;
    r->code = NULL;
    return 0;
}

/* The Regex metatable is also in the registry under this address: a
 * method's type check is then a pointer-keyed lookup, not
 * luaL_checkudata's by name (a C string interned and compared per
 * call). */
static const char regex_mt_key = 'R';

static re_regex *check_regex(lua_State *L, int idx)
{
    re_regex *r = pipe_test_udata(L, idx, &regex_mt_key);
    if (r == NULL) /* (raises luaL_checkudata's type error) */
        r = luaL_checkudata(L, idx, RE_MT);
    if (!r->code)
        luaL_error(L, "regex is closed");
    return r;
}

/* Push a new Regex for `pat`; raises on a bad pattern. */
static re_regex *new_regex(lua_State *L, const char *pat, size_t len,
                           uint32_t opts)
{
    re_regex *r = lua_newuserdatauv(L, sizeof *r, 3);
    int ud = lua_gettop(L);
    r->code = NULL;
    r->md = NULL;
    r->mctx = NULL;
    r->ngroups = 0;
    r->seen = 0;
    r->matches = 0;
    luaL_setmetatable(L, RE_MT);
    lua_pushlstring(L, pat, len);
    lua_setiuservalue(L, ud, UV_PATTERN);
    re_shared *sh = push_shared(L);
    r->mctx = sh->mctx;
    lua_setiuservalue(L, ud, UV_SHARED);

    int err;
    PCRE2_SIZE off;
    r->code = compile(pat, len, opts, &err, &off, 0);
    if (!r->code) {
        char msg[256];
        error_text(err, msg, sizeof msg);
        lua_pushlstring(L, pat, len);
        luaL_error(L, "bad pattern '%s' at offset %d: %s", lua_tostring(L, -1),
                   (int)off, msg);
    }
    r->md = pcre2_match_data_create_from_pattern(r->code, NULL);
    if (!r->md)
        luaL_error(L, "out of memory");
    pcre2_pattern_info(r->code, PCRE2_INFO_CAPTURECOUNT, &r->ngroups);

    /* Group names by number, for exec. */
    uint32_t count, entry;
    PCRE2_SPTR table;
    pcre2_pattern_info(r->code, PCRE2_INFO_NAMECOUNT, &count);
    if (count > 0) {
        pcre2_pattern_info(r->code, PCRE2_INFO_NAMEENTRYSIZE, &entry);
        pcre2_pattern_info(r->code, PCRE2_INFO_NAMETABLE, &table);
        lua_createtable(L, (int)r->ngroups, 0);
        for (uint32_t i = 0; i < count; i++) {
            PCRE2_SPTR e = table + i * entry;
            lua_pushstring(L, (const char *)e + 2);
            lua_rawseti(L, -2, (e[0] << 8) | e[1]);
        }
        lua_setiuservalue(L, ud, UV_NAMES);
    }
    return r;
}

/* The Regex for argument `idx` (a Regex, or a pattern string compiled with
 * the flags at `fidx` through the cache); replaces the argument with the
 * Regex so it stays alive for the call. */
static re_regex *arg_regex(lua_State *L, int idx, int fidx)
{
    if (lua_type(L, idx) == LUA_TUSERDATA)
        return check_regex(L, idx);
    size_t len, flen = 0;
    const char *pat = luaL_checklstring(L, idx, &len);
    const char *flags = luaL_optlstring(L, fidx, "", &flen);
    uint32_t opts;
    char bad;
    if (!parse_flags(flags, flen, &opts, &bad))
        luaL_error(L, "bad flag '%c' in flags '%s'", bad, flags);

    if (lua_getfield(L, LUA_REGISTRYINDEX, RE_CACHE_KEY) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, LUA_REGISTRYINDEX, RE_CACHE_KEY);
    }
    int cache = lua_gettop(L);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addlstring(&b, (const char *)&opts, sizeof opts);
    luaL_addlstring(&b, pat, len);
    luaL_pushresult(&b);
    int key = lua_gettop(L);
    lua_pushvalue(L, key);
    if (lua_rawget(L, cache) == LUA_TUSERDATA) {
        re_regex *r = lua_touserdata(L, -1);
        lua_replace(L, idx);
        lua_settop(L, cache - 1);
        return r;
    }
    lua_pop(L, 1);
    /* A bounded cache: scripts that build patterns from data must not
     * grow it forever.  Slot 0 counts the entries. */
    lua_rawgeti(L, cache, 0);
    lua_Integer n = lua_tointeger(L, -1) + 1;
    lua_pop(L, 1);
    if (n > RE_CACHE_MAX) {
        lua_newtable(L);
        lua_replace(L, cache);
        lua_pushvalue(L, cache);
        lua_setfield(L, LUA_REGISTRYINDEX, RE_CACHE_KEY);
        n = 1;
    }
    re_regex *r = new_regex(L, pat, len, opts);
    lua_pushvalue(L, key);
    lua_pushvalue(L, -2);
    lua_rawset(L, cache);
    lua_pushinteger(L, n);
    lua_rawseti(L, cache, 0);
    lua_replace(L, idx);
    lua_settop(L, cache - 1);
    return r;
}

/* Run the regex at `ridx` on s[0..len) from `start`.  Returns 1 on a match
 * (ovector in r->md), 0 on none; raises on limits and other errors. */
static int exec_at(lua_State *L, int ridx, re_regex *r, const char *s,
                   size_t len, size_t start, uint32_t opts)
{
    if (r->seen != SIZE_MAX) {
        r->seen += len - start;
        if (r->seen >= RE_JIT_BYTES || ++r->matches >= RE_JIT_MATCHES) {
            jit(r->code);
            r->seen = SIZE_MAX;
        }
    }
    int rc = pcre2_match(r->code, (PCRE2_SPTR)s, len, start, opts, r->md,
                         r->mctx);
    if (rc >= 0)
        return 1;
    if (rc == PCRE2_ERROR_NOMATCH)
        return 0;
    lua_getiuservalue(L, ridx, UV_PATTERN);
    if (is_limit_error(rc))
        return luaL_error(L, "pattern '%s' hit the match limit",
                          lua_tostring(L, -1));
    char msg[256];
    error_text(rc, msg, sizeof msg);
    return luaL_error(L, "pattern '%s': %s", lua_tostring(L, -1), msg);
}

/* The next match at or after `pos`, skipping an empty match at `lastend`
 * (the end of the previous match; -1 for none), Lua 5.4 style. */
static int next_match(lua_State *L, int ridx, re_regex *r, const char *s,
                      size_t len, size_t pos, long long lastend)
{
    if (!exec_at(L, ridx, r, s, len, pos, 0))
        return 0;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(r->md);
    if (ov[0] == ov[1] && (long long)ov[0] == lastend)
        return exec_at(L, ridx, r, s, len, ov[0], PCRE2_NOTEMPTY_ATSTART);
    return 1;
}

/* Push group i of the last match (false when unset). */
static void push_group(lua_State *L, re_regex *r, const char *s, uint32_t i)
{
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(r->md);
    if (ov[2 * i] == PCRE2_UNSET)
        lua_pushboolean(L, 0);
    else
        lua_pushlstring(L, s + ov[2 * i], ov[2 * i + 1] - ov[2 * i]);
}

/* Push the groups of the last match, or the whole match when the pattern
 * has none, like string.match.  Returns how many were pushed. */
static int push_captures(lua_State *L, re_regex *r, const char *s)
{
    if (r->ngroups == 0) {
        push_group(L, r, s, 0);
        return 1;
    }
    luaL_checkstack(L, (int)r->ngroups, "too many groups");
    for (uint32_t i = 1; i <= r->ngroups; i++)
        push_group(L, r, s, i);
    return (int)r->ngroups;
}

/* A 1-based, possibly negative init argument as a 0-based offset; returns
 * 0 when it lies beyond the end (no match possible). */
static int get_init(lua_State *L, int idx, size_t len, size_t *start)
{
    lua_Integer i = luaL_optinteger(L, idx, 1);
    if (i > 0) {
        if ((lua_Unsigned)i - 1 > len)
            return 0;
        *start = (size_t)i - 1;
    } else if (i == 0 || (lua_Unsigned)-i > len) {
        *start = 0;
    } else {
        *start = len - (size_t)-i;
    }
    return 1;
}

/*
 * Operations, on a Regex at `ridx` and a subject at `sidx`; `a` is the
 * index of the first further argument.
 */

static int op_match(lua_State *L, int ridx, re_regex *r, int sidx, int a)
{
    size_t len, start;
    const char *s = luaL_checklstring(L, sidx, &len);
    if (!get_init(L, a, len, &start) ||
        !exec_at(L, ridx, r, s, len, start, 0)) {
        luaL_pushfail(L);
        return 1;
    }
    return push_captures(L, r, s);
}

static int op_find(lua_State *L, int ridx, re_regex *r, int sidx, int a)
{
    size_t len, start;
    const char *s = luaL_checklstring(L, sidx, &len);
    if (!get_init(L, a, len, &start) ||
        !exec_at(L, ridx, r, s, len, start, 0)) {
        luaL_pushfail(L);
        return 1;
    }
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(r->md);
    lua_pushinteger(L, (lua_Integer)ov[0] + 1);
    lua_pushinteger(L, (lua_Integer)ov[1]);
    luaL_checkstack(L, (int)r->ngroups, "too many groups");
    for (uint32_t i = 1; i <= r->ngroups; i++)
        push_group(L, r, s, i);
    return 2 + (int)r->ngroups;
}

static int op_exec(lua_State *L, int ridx, re_regex *r, int sidx, int a)
{
    size_t len, start;
    const char *s = luaL_checklstring(L, sidx, &len);
    if (!get_init(L, a, len, &start) ||
        !exec_at(L, ridx, r, s, len, start, 0)) {
        luaL_pushfail(L);
        return 1;
    }
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(r->md);
    lua_createtable(L, (int)r->ngroups, 1);
    int t = lua_gettop(L);
    int names = lua_getiuservalue(L, ridx, UV_NAMES) == LUA_TTABLE;
    for (uint32_t i = 0; i <= r->ngroups; i++) {
        if (ov[2 * i] == PCRE2_UNSET)
            continue;
        lua_pushlstring(L, s + ov[2 * i], ov[2 * i + 1] - ov[2 * i]);
        if (names && lua_rawgeti(L, t + 1, i) == LUA_TSTRING) {
            lua_pushvalue(L, -2);
            lua_rawset(L, t);
        } else {
            lua_pop(L, names);
        }
        lua_rawseti(L, t, i);
    }
    lua_settop(L, t);
    return 1;
}

/* gmatch iterator; upvalues: Regex, subject, next position, last end. */
static int gmatch_step(lua_State *L)
{
    int ridx = lua_upvalueindex(1);
    re_regex *r = check_regex(L, ridx);
    size_t len;
    const char *s = lua_tolstring(L, lua_upvalueindex(2), &len);
    lua_Integer pos = lua_tointeger(L, lua_upvalueindex(3));
    lua_Integer lastend = lua_tointeger(L, lua_upvalueindex(4));
    if (pos > (lua_Integer)len ||
        !next_match(L, ridx, r, s, len, (size_t)pos, lastend)) {
        lua_pushinteger(L, (lua_Integer)len + 1);
        lua_replace(L, lua_upvalueindex(3));
        return 0;
    }
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(r->md);
    lua_pushinteger(L, (lua_Integer)ov[1]);
    lua_pushvalue(L, -1);
    lua_replace(L, lua_upvalueindex(3));
    lua_replace(L, lua_upvalueindex(4));
    return push_captures(L, r, s);
}

static int op_gmatch(lua_State *L, int ridx, re_regex *r, int sidx)
{
    (void)r;
    luaL_checkstring(L, sidx);
    lua_pushvalue(L, ridx);
    lua_pushvalue(L, sidx);
    lua_pushinteger(L, 0);
    lua_pushinteger(L, -1);
    lua_pushcclosure(L, gmatch_step, 4);
    return 1;
}

/* Append the expansion of template `t` for the last match to `b`. */
static void add_template(lua_State *L, int ridx, re_regex *r, luaL_Buffer *b,
                         const char *s, const char *t, size_t tlen)
{
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(r->md);
    size_t i = 0;
    while (i < tlen) {
        const char *d = memchr(t + i, '$', tlen - i);
        if (!d) {
            luaL_addlstring(b, t + i, tlen - i);
            return;
        }
        size_t at = (size_t)(d - t);
        luaL_addlstring(b, t + i, at - i);
        i = at + 1;
        long g = -1;
        if (i < tlen && t[i] == '$') {
            luaL_addchar(b, '$');
            i++;
            continue;
        }
        if (i < tlen && t[i] >= '0' && t[i] <= '9') {
            g = t[i++] - '0';
            if (i < tlen && t[i] >= '0' && t[i] <= '9' &&
                (uint32_t)(g * 10 + (t[i] - '0')) <= r->ngroups)
                g = g * 10 + (t[i++] - '0');
        } else if (i < tlen && t[i] == '{') {
            const char *close = memchr(t + i, '}', tlen - i);
            size_t nlen = close ? (size_t)(close - t) - i - 1 : 0;
            char name[64];
            if (!close || nlen == 0 || nlen >= sizeof name)
                luaL_error(L, "invalid '$' in replacement '%s'", t);
            memcpy(name, t + i + 1, nlen);
            name[nlen] = '\0';
            i += nlen + 2;
            char *end;
            g = strtol(name, &end, 10);
            if (*end != '\0' || name[0] < '0' || name[0] > '9') {
                int n = pcre2_substring_number_from_name(r->code,
                                                         (PCRE2_SPTR)name);
                if (n < 0) {
                    lua_getiuservalue(L, ridx, UV_PATTERN);
                    luaL_error(L, "no group '%s' in pattern '%s'", name,
                               lua_tostring(L, -1));
                }
                g = n;
            }
        } else {
            luaL_error(L, "invalid '$' in replacement '%s'", t);
        }
        if (g < 0 || (uint32_t)g > r->ngroups) {
            lua_getiuservalue(L, ridx, UV_PATTERN);
            luaL_error(L, "no group %d in pattern '%s'", (int)g,
                       lua_tostring(L, -1));
        }
        if (ov[2 * g] != PCRE2_UNSET)
            luaL_addlstring(b, s + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
    }
}

static int op_gsub(lua_State *L, int ridx, re_regex *r, int sidx, int a)
{
    size_t len;
    const char *s = luaL_checklstring(L, sidx, &len);
    int rt = lua_type(L, a);
    luaL_argexpected(L, rt == LUA_TSTRING || rt == LUA_TNUMBER ||
                        rt == LUA_TTABLE || rt == LUA_TFUNCTION,
                     a, "string/function/table");
    lua_Integer max = luaL_optinteger(L, a + 1, LUA_MAXINTEGER);
    size_t tlen = 0;
    const char *t = NULL;
    if (rt == LUA_TSTRING || rt == LUA_TNUMBER)
        t = lua_tolstring(L, a, &tlen);

    luaL_Buffer b;
    luaL_buffinit(L, &b);
    size_t pos = 0;
    long long lastend = -1;
    lua_Integer count = 0;
    while (count < max && pos <= len &&
           next_match(L, ridx, r, s, len, pos, lastend)) {
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(r->md);
        size_t m0 = ov[0], m1 = ov[1];
        luaL_addlstring(&b, s + pos, m0 - pos);
        if (t) {
            add_template(L, ridx, r, &b, s, t, tlen);
        } else {
            /* ovector is read before calling out (see Caveats). */
            if (rt == LUA_TFUNCTION) {
                lua_pushvalue(L, a);
                int n = push_captures(L, r, s);
                lua_call(L, n, 1);
            } else {
                push_group(L, r, s, r->ngroups > 0 ? 1 : 0);
                lua_gettable(L, a);
            }
            if (!lua_toboolean(L, -1)) {
                lua_pop(L, 1);
                luaL_addlstring(&b, s + m0, m1 - m0);
            } else if (lua_type(L, -1) == LUA_TSTRING ||
                       lua_type(L, -1) == LUA_TNUMBER) {
                luaL_addvalue(&b);
            } else {
                return luaL_error(L, "invalid replacement value (a %s)",
                                  luaL_typename(L, -1));
            }
        }
        count++;
        pos = m1;
        lastend = (long long)m1;
    }
    if (pos < len)
        luaL_addlstring(&b, s + pos, len - pos);
    luaL_pushresult(&b);
    lua_pushinteger(L, count);
    return 2;
}

static int op_split(lua_State *L, int ridx, re_regex *r, int sidx, int a)
{
    size_t len;
    const char *s = luaL_checklstring(L, sidx, &len);
    lua_Integer max = luaL_optinteger(L, a, 0);
    lua_newtable(L);
    lua_Integer parts = 0;
    size_t pos = 0, search = 0;
    long long lastend = -1;
    while ((max <= 0 || parts < max - 1) && search <= len &&
           next_match(L, ridx, r, s, len, search, lastend)) {
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(r->md);
        size_t m0 = ov[0], m1 = ov[1];
        lastend = (long long)m1;
        search = m1;
        if (m0 == m1 && (m0 == 0 || m0 >= len)) {
            if (m0 >= len)
                break;
            continue;
        }
        lua_pushlstring(L, s + pos, m0 - pos);
        lua_rawseti(L, -2, ++parts);
        pos = m1;
    }
    lua_pushlstring(L, s + pos, len - pos);
    lua_rawseti(L, -2, ++parts);
    return 1;
}

/*
 * Lua functions: module (pattern as argument 2) and methods (Regex self)
 */

/* -- re.compile(pat [, flags]) -> Regex */
static int re_compile(lua_State *L)
{
    arg_regex(L, 1, 2);
    lua_settop(L, 1);
    return 1;
}

/* -- re.match(s, pat [, init [, flags]]) -> groups... | nil */
static int re_match(lua_State *L)
{
    re_regex *r = arg_regex(L, 2, 4);
    return op_match(L, 2, r, 1, 3);
}

/* -- re.find(s, pat [, init [, flags]]) -> start, end, groups... | nil */
static int re_find(lua_State *L)
{
    re_regex *r = arg_regex(L, 2, 4);
    return op_find(L, 2, r, 1, 3);
}

/* -- re.exec(s, pat [, init [, flags]]) -> {[0]=, [1]=..., name=} | nil */
static int re_exec(lua_State *L)
{
    re_regex *r = arg_regex(L, 2, 4);
    return op_exec(L, 2, r, 1, 3);
}

/* -- re.gmatch(s, pat [, flags]) -> iterator */
static int re_gmatch(lua_State *L)
{
    re_regex *r = arg_regex(L, 2, 3);
    return op_gmatch(L, 2, r, 1);
}

/* -- re.gsub(s, pat, repl [, n [, flags]]) -> string, count */
static int re_gsub(lua_State *L)
{
    re_regex *r = arg_regex(L, 2, 5);
    return op_gsub(L, 2, r, 1, 3);
}

/* -- re.split(s, pat [, max [, flags]]) -> {parts} */
static int re_split(lua_State *L)
{
    re_regex *r = arg_regex(L, 2, 4);
    return op_split(L, 2, r, 1, 3);
}

/* -- regex:match(s [, init]) */
static int regex_match(lua_State *L)
{
    return op_match(L, 1, check_regex(L, 1), 2, 3);
}

/* -- regex:find(s [, init]) */
static int regex_find(lua_State *L)
{
    return op_find(L, 1, check_regex(L, 1), 2, 3);
}

/* -- regex:exec(s [, init]) */
static int regex_exec(lua_State *L)
{
    return op_exec(L, 1, check_regex(L, 1), 2, 3);
}

/* -- regex:gmatch(s) */
static int regex_gmatch(lua_State *L)
{
    return op_gmatch(L, 1, check_regex(L, 1), 2);
}

/* -- regex:gsub(s, repl [, n]) */
static int regex_gsub(lua_State *L)
{
    return op_gsub(L, 1, check_regex(L, 1), 2, 3);
}

/* -- regex:split(s [, max]) */
static int regex_split(lua_State *L)
{
    return op_split(L, 1, check_regex(L, 1), 2, 3);
}

/* -- tostring(regex) -> "pipe.Regex 'pattern'" */
static int regex_tostring(lua_State *L)
{
    luaL_checkudata(L, 1, RE_MT);
    lua_getiuservalue(L, 1, UV_PATTERN);
    lua_pushfstring(L, "pipe.Regex '%s'", lua_tostring(L, -1));
    return 1;
}

static const luaL_Reg re_functions[] = {
    {"compile", re_compile},
    {"match", re_match},
    {"find", re_find},
    {"gmatch", re_gmatch},
    {"exec", re_exec},
    {"gsub", re_gsub},
    {"split", re_split},
    {NULL, NULL},
};

static const luaL_Reg regex_methods[] = {
    {"match", regex_match},
    {"find", regex_find},
    {"gmatch", regex_gmatch},
    {"exec", regex_exec},
    {"gsub", regex_gsub},
    {"split", regex_split},
    {NULL, NULL},
};

static const luaL_Reg regex_metamethods[] = {
    {"__gc", regex_gc},
    {"__tostring", regex_tostring},
    {"__index", NULL},
    {NULL, NULL},
};

static int re_open(lua_State *L)
{
    luaL_newmetatable(L, RE_MT);
    luaL_setfuncs(L, regex_metamethods, 0);
    luaL_newlib(L, regex_methods);
    lua_setfield(L, -2, "__index");
    lua_rawsetp(L, LUA_REGISTRYINDEX, &regex_mt_key);
    luaL_newlib(L, re_functions);
    return 1;
}

/*
 * The `pipe match` command
 */

typedef struct match_cmd {
    pcre2_code *code;
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    const char *pattern;
    int group;          /* -1: whole match */
    int json;
    int html;
    int matched;        /* something was printed */
    int stop;           /* the reader went away */
    int names;          /* print "SOURCE:" before each match (-H) */
    int lines;          /* --lines: sources are "PATH:LINE" */
} match_cmd;

/* Copy s[0..n) with invalid UTF-8 replaced by U+FFFD into a new jansson
 * string (which must be valid UTF-8). */
static json_t *json_text(const char *s, size_t n)
{
    if (pipe_utf8_valid(s, n) == n)
        return json_stringn_nocheck(s, n);
    char *out = malloc(3 * n + 1);
    if (!out)
        return NULL;
    size_t o = 0, i = 0;
    while (i < n) {
        size_t adv;
        if (pipe_utf8_decode(s + i, n - i, &adv) < 0) {
            memcpy(out + o, PIPE_UTF8_REPLACEMENT, 3);
            o += 3;
        } else {
            memcpy(out + o, s + i, adv);
            o += adv;
        }
        i += adv;
    }
    json_t *v = json_stringn_nocheck(out, o);
    free(out);
    return v;
}

/* One JSON object for the current match: "source" (the input; with
 * --lines also "line"), then named groups by name, or groups "1".."n" when
 * the pattern names none, or "0" when it has no groups. */
static int print_json(match_cmd *m, FILE *out, const char *source,
                      const char *s)
{
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);
    uint32_t ngroups, count, entry;
    PCRE2_SPTR table;
    pcre2_pattern_info(m->code, PCRE2_INFO_CAPTURECOUNT, &ngroups);
    pcre2_pattern_info(m->code, PCRE2_INFO_NAMECOUNT, &count);
    pcre2_pattern_info(m->code, PCRE2_INFO_NAMEENTRYSIZE, &entry);
    pcre2_pattern_info(m->code, PCRE2_INFO_NAMETABLE, &table);
    json_t *obj = json_object();
    if (!obj)
        return -1;
    int rc = 0;
    const char *colon = m->lines ? strrchr(source, ':') : NULL;
    json_t *src = colon ? json_text(source, (size_t)(colon - source))
                        : json_text(source, strlen(source));
    rc = src ? json_object_set_new(obj, "source", src) : -1;
    if (rc == 0 && colon)
        rc = json_object_set_new(obj, "line",
                                 json_integer(strtoll(colon + 1, NULL, 10)));
    for (uint32_t g = ngroups == 0 ? 0 : 1; g <= ngroups && rc == 0; g++) {
        char num[16];
        const char *key = NULL;
        if (count > 0) {
            for (uint32_t i = 0; i < count; i++) {
                PCRE2_SPTR e = table + i * entry;
                if ((uint32_t)((e[0] << 8) | e[1]) == g) {
                    key = (const char *)e + 2;
                    break;
                }
            }
            if (!key)
                continue;
        } else {
            snprintf(num, sizeof num, "%u", (unsigned)g);
            key = num;
        }
        json_t *v = ov[2 * g] == PCRE2_UNSET
                        ? json_null()
                        : json_text(s + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
        rc = v ? json_object_set_new(obj, key, v) : -1;
    }
    if (rc == 0)
        rc = json_dumpf(obj, out, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(obj);
    if (rc == 0)
        fputc('\n', out);
    return rc;
}

/* Print every match in s[0..n). */
static int match_text(pipe_host *host, match_cmd *m, const char *source,
                      const char *s, size_t n)
{
    FILE *out = pipe_host_out(host);
    size_t pos = 0;
    long long lastend = -1;
    while (pos <= n && !ferror(out)) {
        int rc = pcre2_match(m->code, (PCRE2_SPTR)s, n, pos, 0, m->md, m->mctx);
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);
        if (rc >= 0 && ov[0] == ov[1] && (long long)ov[0] == lastend)
            rc = pcre2_match(m->code, (PCRE2_SPTR)s, n, ov[0],
                             PCRE2_NOTEMPTY_ATSTART, m->md, m->mctx);
        if (rc == PCRE2_ERROR_NOMATCH)
            break;
        if (rc < 0) {
            char msg[256];
            if (is_limit_error(rc))
                snprintf(msg, sizeof msg, "hit the match limit");
            else
                error_text(rc, msg, sizeof msg);
            pipe_host_fail(host, source, "pattern '%s' %s", m->pattern, msg);
            return -1;
        }
        size_t m0 = ov[0], m1 = ov[1];
        if (m0 < m1) {
            if (m->json) {
                if (print_json(m, out, source, s) != 0) {
                    /* a reader that went away is not an error */
                    if (ferror(out) && pipe_host_flush(host) != 0)
                        return 0;
                    pipe_host_fail(host, source, "out of memory");
                    return -1;
                }
                m->matched = 1;
            } else {
                uint32_t g = m->group < 0 ? 0 : (uint32_t)m->group;
                if (ov[2 * g] != PCRE2_UNSET) {
                    if (m->names) {
                        fputs(source, out);
                        fputc(':', out);
                    }
                    fwrite(s + ov[2 * g], 1, ov[2 * g + 1] - ov[2 * g], out);
                    fputc('\n', out);
                    m->matched = 1;
                }
            }
        }
        pos = m1;
        lastend = (long long)m1;
    }
    return 0;
}

static int match_input(pipe_host *host, const pipe_input *in, void *ud)
{
    match_cmd *m = ud;
    if (m->stop)
        return 0;
    int rc;
    if (m->html) {
        char *err = NULL;
        xmlDocPtr doc = pipe_html_parse(in->data, in->len, NULL, &err);
        if (!doc) {
            pipe_host_fail(host, in->source, "%s", err ? err : "cannot parse");
            free(err);
            return -1;
        }
        size_t len = 0;
        xmlNodePtr root = xmlDocGetRootElement(doc);
        char *text = root ? pipe_html_strip(root, 0, &len) : NULL;
        if (root && !text) {
            xmlFreeDoc(doc);
            pipe_host_fail(host, in->source, "out of memory");
            return -1;
        }
        rc = match_text(host, m, in->source, text ? text : "", len);
        free(text);
        xmlFreeDoc(doc);
    } else {
        rc = match_text(host, m, in->source, in->data, in->len);
    }
    if (pipe_host_flush(host) != 0)
        m->stop = 1;
    return rc;
}

static const char match_help[] =
    "usage: pipe match [OPTIONS] PATTERN [INPUT...]\n"
    "\n"
    "Print every match of the PCRE2 PATTERN in the inputs (files, - for\n"
    "stdin, .gz read transparently), one per line; a match that spans lines\n"
    "is printed as is.  Patterns are UTF-8 with Unicode classes (\\w, \\d,\n"
    "\\b and -i know Cyrillic, Greek, ...); invalid UTF-8 in the input never\n"
    "matches.  Empty matches are not printed.\n"
    "\n"
    "options:\n"
    "  -g, --group N|NAME  print group N or the named group instead of the\n"
    "                      whole match (matches where it is unset are\n"
    "                      skipped)\n"
    "  --json              print one JSON object per match: \"source\" (the\n"
    "                      input; with --lines also \"line\"), then its named\n"
    "                      groups, or \"1\", \"2\", ... when no group is named,\n"
    "                      or \"0\" (the whole match) when there are no\n"
    "                      groups; an unset group is null\n"
    "  -H, --with-filename print the input's name before each match,\n"
    "                      \"NAME:match\" (\"NAME:LINE:match\" with --lines);\n"
    "                      the default when there are several inputs, as grep\n"
    "  --no-filename       never print it\n"
    "  -i, --ignore-case   case-insensitive matching\n"
    "  -m, --multiline     ^ and $ match at every line\n"
    "  -s, --dotall        . matches a newline too\n"
    "  --lines             match each line on its own, as grep does, and\n"
    "                      print matches as the lines arrive (for\n"
    "                      `tail -f | pipe match --lines ...`); without it\n"
    "                      each input is read whole first\n"
    "  --html              parse each input as an HTML page and match its\n"
    "                      readable text (as `pipe strip` prints it)\n"
    "  --from FILE         also read the inputs named in FILE, one per line\n"
    "                      (- for stdin)\n"
    PIPE_COMMON_HELP
    "  -h, --help          print this help\n"
    "\n"
    "exit status: 0 when something was printed, 1 when nothing matched or\n"
    "an input could not be read (the other inputs are still searched), 2 on\n"
    "a usage error or a bad pattern\n";

#define MATCH_SEE " (see pipe help match)"

static int match_main(pipe_host *host, int argc, char **argv)
{
    match_cmd m = {0};
    m.group = -1;
    const char *group = NULL, *from = NULL;
    int lines = 0, names = -1;
    unsigned flags = 0;
    char **pos = malloc(sizeof *pos * (size_t)(argc + 1));
    if (!pos)
        return pipe_host_usage(host, "out of memory");
    int npos = 0;
    const pipe_opt table[] = {
        {"--json", NULL, PIPE_OPT_FLAG, &m.json, 0, NULL},
        {"--with-filename", "-H", PIPE_OPT_SET, &names, 1, NULL},
        {"--no-filename", NULL, PIPE_OPT_SET, &names, 0, NULL},
        {"--html", NULL, PIPE_OPT_FLAG, &m.html, 0, NULL},
        {"--lines", NULL, PIPE_OPT_FLAG, &lines, 0, NULL},
        {"--ignore-case", "-i", PIPE_OPT_BITS, &flags, PCRE2_CASELESS, NULL},
        {"--multiline", "-m", PIPE_OPT_BITS, &flags, PCRE2_MULTILINE, NULL},
        {"--dotall", "-s", PIPE_OPT_BITS, &flags, PCRE2_DOTALL, NULL},
        {"--group", "-g", PIPE_OPT_VALUE, &group, 0, NULL},
        {"--from", NULL, PIPE_OPT_VALUE, &from, 0, NULL},
        {NULL, NULL, 0, NULL, 0, NULL},
    };
    int rc = pipe_host_parse(host, "match", match_help, table, argc, argv,
                             pos, &npos);
    if (rc != PIPE_OPTS_OK) {
        free(pos);
        return rc;
    }
    uint32_t opts = RE_COMPILE_BASE | flags;
    const char *bad = NULL, *why = NULL; /* a usage error: why, about bad */
    if (npos == 0) {
        why = "match: missing PATTERN%s";
        bad = MATCH_SEE;
    }
    if (!why && group && m.json) {
        why = "match: %s cannot be used together";
        bad = "-g and --json";
    }
    if (why) {
        free(pos);
        return pipe_host_usage(host, why, bad);
    }
    m.pattern = pos[0];
    m.lines = lines;
    /* names by default when there are several inputs, as grep */
    m.names = names >= 0 ? names : npos > 2 || from != NULL;
    int err;
    PCRE2_SIZE off;
    m.code = compile(m.pattern, strlen(m.pattern), opts, &err, &off, 1);
    if (!m.code) {
        char msg[256];
        error_text(err, msg, sizeof msg);
        free(pos);
        return pipe_host_usage(host,
                               "match: bad pattern '%s' at offset %d: %s",
                               m.pattern, (int)off, msg);
    }
    rc = PIPE_EXIT_OK;
    if (group) {
        uint32_t ngroups;
        pcre2_pattern_info(m.code, PCRE2_INFO_CAPTURECOUNT, &ngroups);
        char *end;
        long g = strtol(group, &end, 10);
        if (*end != '\0' || group[0] < '0' || group[0] > '9')
            g = pcre2_substring_number_from_name(m.code, (PCRE2_SPTR)group);
        if (g < 0 || (uint32_t)g > ngroups)
            rc = pipe_host_usage(host, "match: no group '%s' in pattern '%s'",
                                 group, m.pattern);
        m.group = (int)g;
    }
    pcre2_jit_stack *jit = NULL;
    if (rc == PIPE_EXIT_OK) {
        m.md = pcre2_match_data_create_from_pattern(m.code, NULL);
        m.mctx = new_match_context(&jit);
        if (!m.md || !m.mctx)
            rc = pipe_host_usage(host, "out of memory");
    }
    if (rc == PIPE_EXIT_OK) {
        if (lines && m.html)
            rc = pipe_host_usage(host, "match: --lines and --html do not go "
                                 "together" MATCH_SEE);
        else if (lines)
            rc = pipe_host_each_line(host, pos + 1, npos - 1, from,
                                     match_input, &m);
        else
            rc = pipe_host_each_input(host, pos + 1, npos - 1, from,
                                      match_input, &m);
        if (m.stop || pipe_host_flush(host) < 0)
            rc = PIPE_EXIT_OK;    /* the reader went away */
        else if (rc == PIPE_EXIT_OK && pipe_host_written(host) == 0)
            rc = PIPE_EXIT_INPUT;
    }
    pcre2_match_context_free(m.mctx);
    pcre2_jit_stack_free(jit);
    pcre2_match_data_free(m.md);
    pcre2_code_free(m.code);
    free(pos);
    return rc;
}

static const pipe_command re_commands[] = {
    {"match", "print the matches of a PCRE2 pattern, like grep -oP",
     match_help, match_main},
    {NULL, NULL, NULL, NULL},
};

static const char *const re_names[] = {
    "compile", "match", "find", "gmatch", "exec", "gsub", "split", NULL,
};

static const char *const re_requires[] = {"html", NULL}; /* match --html */

/* The service (include/pipe/re.h): regex:find(s)'s match test on bytes
 * of the caller's, the Regex checked once. */
static const void *service_check(lua_State *L, int idx)
{
    return check_regex(L, idx);
}

static int service_find(lua_State *L, int idx, const void *re, const char *s,
                        size_t len)
{
    return exec_at(L, lua_absindex(L, idx), (re_regex *)re, s, len, 0, 0);
}

static const pipe_re_api re_api = {.check = service_check,
                                   .find = service_find};

static const pipe_service re_services[] = {
    {PIPE_RE_SERVICE, PIPE_RE_VERSION, &re_api},
    {NULL, 0, NULL},
};

const pipe_plugin pipe_plugin_re = {
    PIPE_PLUGIN_HEAD,
    .name = "re",
    .summary = "PCRE2 regular expressions (UTF, Unicode classes, JIT)",
    .open = re_open,
    .lua_names = re_names,
    .commands = re_commands,
    .requires = re_requires,
    .services = re_services,
};
