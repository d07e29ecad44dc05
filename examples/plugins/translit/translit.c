/*
 * translit: a pipe plugin built outside pipe's tree, against the installed
 * headers (pkg-config pipe-plugin) -- the example of docs/plugins.md.
 *
 * Transliteration through ICU (utrans): any script to Latin, to plain
 * ASCII, to URL slugs and to search keys, so that "Київ", "Kyiv" and
 * "KYIV" meet, and a headline in Greek or Chinese gets a readable slug.
 *
 * Lua:
 *   translit.ascii(s) -> s        "Straße in Київ" -> "Strasse in Kiiv"
 *   translit.slug(s [, max]) -> s "Ціни на газ: +20%" -> "cini-na-gaz-20"
 *   translit.key(s) -> s          "Émile ZOLA" -> "emile zola"
 *   translit.transform(s, id) -> s  any ICU transform ("de-ASCII",
 *                                 "Ukrainian-Latin/BGN", "Greek-Latin")
 * Command: pipe translit [--slug|--key|--id ID] [--max N] [INPUT...]
 *   one output line per input line, as the lines arrive.
 *
 * Caveats:
 * - Opening a transliterator compiles its rules (milliseconds), so each
 *   Lua state keeps the ones it opened in a cache (the module's upvalue),
 *   each held by a box (pipe/util.h) whose release closes it; the command
 *   opens its one before the worker pool forks, so every worker has it.
 * - Invalid UTF-8 becomes U+FFFD before transliteration (never an error).
 *   ascii, slug and key drop whatever has no ASCII form left (emoji, that
 *   U+FFFD); transform keeps everything its transform keeps.
 * - ICU allocates on its own heap: --max-memory does not count it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/ustring.h>
#include <unicode/utrans.h>

#include <lauxlib.h>
#include <lua.h>

#include "pipe/plugin.h"
#include "pipe/util.h"

#define ASCII_ID "Any-Latin; Latin-ASCII; [:^ASCII:] Remove"
#define FOLD_ID "Any-Latin; Latin-ASCII; Any-Lower; [:^ASCII:] Remove"
#define CACHE_MAX 64

enum { MODE_ASCII, MODE_SLUG, MODE_KEY, MODE_ID };

static UTransliterator *open_trans(const char *id, UErrorCode *st)
{
    UChar uid[256];
    int32_t n = 0;
    u_strFromUTF8(uid, 256, &n, id, -1, st);
    if (U_FAILURE(*st) || n >= 256) {
        if (U_SUCCESS(*st))
            *st = U_ILLEGAL_ARGUMENT_ERROR;
        return NULL;
    }
    return utrans_openU(uid, n, UTRANS_FORWARD, NULL, 0, NULL, st);
}

/* s[0..n) through `t`, as malloc'd UTF-8 (length in *outlen); NULL on
 * out-of-memory or an ICU error (*st). */
static char *transliterate(const UTransliterator *t, const char *s, size_t n,
                           size_t *outlen, UErrorCode *st)
{
    if (n > (size_t)INT32_MAX / 16) {
        *st = U_INPUT_TOO_LONG_ERROR;
        return NULL;
    }
    int32_t ulen = 0;
    /* UTF-16 length first (invalid bytes become U+FFFD) */
    UErrorCode pre = U_ZERO_ERROR;
    u_strFromUTF8WithSub(NULL, 0, &ulen, s, (int32_t)n, 0xFFFD, NULL, &pre);
    /* room to grow: one CJK character can become a syllable */
    int32_t cap = ulen * 4 + 16;
    UChar *u = NULL;
    for (int tries = 0; tries < 4; tries++, cap *= 4) {
        free(u);
        u = malloc((size_t)cap * sizeof *u);
        if (!u) {
            *st = U_MEMORY_ALLOCATION_ERROR;
            return NULL;
        }
        *st = U_ZERO_ERROR;
        u_strFromUTF8WithSub(u, cap, &ulen, s, (int32_t)n, 0xFFFD, NULL, st);
        int32_t len = ulen, limit = ulen;
        utrans_transUChars(t, u, &len, cap, 0, &limit, st);
        if (*st == U_BUFFER_OVERFLOW_ERROR || len >= cap)
            continue;
        if (U_FAILURE(*st))
            break;
        int32_t blen = 0;
        UErrorCode s2 = U_ZERO_ERROR;
        u_strToUTF8(NULL, 0, &blen, u, len, &s2);
        char *out = malloc((size_t)blen + 1);
        if (!out) {
            *st = U_MEMORY_ALLOCATION_ERROR;
            break;
        }
        s2 = U_ZERO_ERROR;
        u_strToUTF8(out, blen + 1, &blen, u, len, &s2);
        free(u);
        *outlen = (size_t)blen;
        return out;
    }
    free(u);
    if (U_SUCCESS(*st))
        *st = U_BUFFER_OVERFLOW_ERROR;
    return NULL;
}

static int is_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9');
}

/* Shape folded ASCII in place: apostrophes dropped ("don't" -> "dont"),
 * every other run of non-alphanumerics one `sep`, none at either end; a
 * slug longer than `max` (0: no limit) is cut at the last separator that
 * fits.  Returns the new length. */
static size_t shape(char *s, size_t n, char sep, size_t max)
{
    size_t o = 0;
    int pending = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\'')
            continue;
        if (!is_alnum(c)) {
            pending = o > 0;
            continue;
        }
        if (pending)
            s[o++] = sep;
        pending = 0;
        s[o++] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    if (max && o > max) {
        size_t cut = max;
        while (cut > 0 && s[cut] != sep)
            cut--;
        o = cut > 0 ? cut : max;
    }
    s[o] = '\0';
    return o;
}

/*
 * Lua
 */

static void release_trans(void *p)
{
    utrans_close(p);
}

/* The transliterator for `id` from this state's cache (upvalue 1); raises
 * on an id ICU does not know. */
static UTransliterator *cached(lua_State *L, const char *id)
{
    if (lua_getfield(L, lua_upvalueindex(1), id) == LUA_TUSERDATA) {
        UTransliterator *t = ((pipe_box *)lua_touserdata(L, -1))->p;
        lua_pop(L, 1);
        return t;
    }
    lua_pop(L, 1);
    /* bounded: forget them all when it is full */
    lua_getfield(L, lua_upvalueindex(1), "\1n");
    lua_Integer count = lua_tointeger(L, -1);
    lua_pop(L, 1);
    if (count >= CACHE_MAX) {
        lua_pushnil(L);
        while (lua_next(L, lua_upvalueindex(1))) {
            lua_pop(L, 1);
            lua_pushvalue(L, -1);
            lua_pushnil(L);
            lua_rawset(L, lua_upvalueindex(1));
        }
        count = 0;
    }
    pipe_box *b = pipe_box_new(L, release_trans);
    UErrorCode st = U_ZERO_ERROR;
    b->p = open_trans(id, &st);
    if (!b->p) {
        luaL_error(L, "bad transform '%s': %s", id, u_errorName(st));
        return NULL;
    }
    lua_setfield(L, lua_upvalueindex(1), id);
    lua_pushinteger(L, count + 1);
    lua_setfield(L, lua_upvalueindex(1), "\1n");
    return b->p;
}

/* Push s (argument 1) through `id`, shaped for `mode`. */
static int push_through(lua_State *L, const char *id, int mode, size_t max)
{
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    UTransliterator *t = cached(L, id);
    pipe_box *b = pipe_box_new(L, free);
    size_t len = 0;
    UErrorCode st = U_ZERO_ERROR;
    b->p = transliterate(t, s, n, &len, &st);
    if (!b->p)
        return luaL_error(L, "transliteration failed: %s", u_errorName(st));
    if (mode == MODE_SLUG || mode == MODE_KEY)
        len = shape(b->p, len, mode == MODE_SLUG ? '-' : ' ', max);
    lua_pushlstring(L, b->p, len);
    pipe_box_done(b);
    return 1;
}

/* -- translit.ascii(s) -> string */
static int translit_ascii(lua_State *L)
{
    return push_through(L, ASCII_ID, MODE_ASCII, 0);
}

/* -- translit.slug(s [, max]) -> string */
static int translit_slug(lua_State *L)
{
    lua_Integer max = luaL_optinteger(L, 2, 0);
    luaL_argcheck(L, max >= 0, 2, "a length must not be negative");
    return push_through(L, FOLD_ID, MODE_SLUG, (size_t)max);
}

/* -- translit.key(s) -> string */
static int translit_key(lua_State *L)
{
    return push_through(L, FOLD_ID, MODE_KEY, 0);
}

/* -- translit.transform(s, id) -> string */
static int translit_transform(lua_State *L)
{
    const char *id = luaL_checkstring(L, 2);
    return push_through(L, id, MODE_ID, 0);
}

static const luaL_Reg translit_funcs[] = {
    {"ascii", translit_ascii},
    {"slug", translit_slug},
    {"key", translit_key},
    {"transform", translit_transform},
    {NULL, NULL},
};

static int translit_open(lua_State *L)
{
    luaL_newlibtable(L, translit_funcs);
    lua_newtable(L); /* the cache, shared as an upvalue */
    luaL_setfuncs(L, translit_funcs, 1);
    return 1;
}

/*
 * The `translit` command
 */

typedef struct cmd {
    UTransliterator *t;
    int mode;
    size_t max;
} cmd;

static int translit_line(pipe_host *host, const pipe_input *in, void *ud)
{
    cmd *c = ud;
    size_t len = 0;
    UErrorCode st = U_ZERO_ERROR;
    char *out = transliterate(c->t, in->data, in->len, &len, &st);
    if (!out) {
        pipe_host_fail(host, in->source, "transliteration failed: %s",
                       u_errorName(st));
        return -1;
    }
    if (c->mode == MODE_SLUG || c->mode == MODE_KEY)
        len = shape(out, len, c->mode == MODE_SLUG ? '-' : ' ', c->max);
    FILE *f = pipe_host_out(host);
    fwrite(out, 1, len, f);
    fputc('\n', f);
    free(out);
    pipe_host_flush(host);
    return 0;
}

static const char translit_help[] =
    "usage: pipe translit [OPTIONS] [INPUT...]\n"
    "\n"
    "Transliterate each line of the inputs (files, - for stdin, .gz read\n"
    "transparently) through ICU and print it, as the lines arrive: by\n"
    "default any script to plain ASCII (\"Straße in Київ\" -> \"Strasse in\n"
    "Kiiv\").\n"
    "\n"
    "options:\n"
    "  --slug             a URL slug: lowercase words joined by '-'\n"
    "  --key              a search key: lowercase words joined by ' '\n"
    "  --id ID            any ICU transform instead (\"de-ASCII\",\n"
    "                     \"Ukrainian-Latin/BGN\", \"Any-Latin\"); wins over\n"
    "                     --slug and --key\n"
    "  --max N            cut slugs and keys at N bytes, between words\n"
    PIPE_COMMON_HELP
    "\n"
    "examples:\n"
    "  pipe translit --slug titles.txt\n"
    "  pipe run scripts/site.lua page.html | jq -r .title | pipe translit "
    "--key\n";

/* --max N */
static int parse_max(const char *v, void *var)
{
    char *end;
    long n = strtol(v, &end, 10);
    if (*end || end == v || n < 1)
        return -1;
    *(size_t *)var = (size_t)n;
    return 0;
}

static int translit_main(pipe_host *host, int argc, char **argv)
{
    cmd c = {NULL, MODE_ASCII, 0};
    const char *id = NULL;
    char **inputs = malloc(sizeof *inputs * (size_t)(argc + 1));
    if (!inputs)
        return pipe_host_usage(host, "out of memory");
    int n = 0;
    const pipe_opt opts[] = {
        {"--slug", NULL, PIPE_OPT_SET, &c.mode, MODE_SLUG, NULL},
        {"--key", NULL, PIPE_OPT_SET, &c.mode, MODE_KEY, NULL},
        {"--id", NULL, PIPE_OPT_VALUE, &id, 0, NULL},
        {"--max", NULL, PIPE_OPT_VALUE, &c.max, 0, parse_max},
        {NULL, NULL, 0, NULL, 0, NULL},
    };
    int rc = pipe_host_parse(host, "translit", translit_help, opts, argc, argv,
                             inputs, &n);
    if (rc != PIPE_OPTS_OK) {
        free(inputs);
        return rc;
    }
    if (id)
        c.mode = MODE_ID;
    else
        id = c.mode == MODE_ASCII ? ASCII_ID : FOLD_ID;
    /* opened once, here: the workers forked by the pool inherit it */
    UErrorCode st = U_ZERO_ERROR;
    c.t = open_trans(id, &st);
    if (!c.t) {
        free(inputs);
        return pipe_host_usage(host, "translit: bad transform '%s': %s", id,
                               u_errorName(st));
    }
    rc = pipe_host_each_line(host, inputs, n, NULL, translit_line, &c);
    utrans_close(c.t);
    free(inputs);
    return rc;
}

static const pipe_command translit_commands[] = {
    {"translit", "transliterate lines: any script to ASCII, slugs, keys",
     translit_help, translit_main},
    {NULL, NULL, NULL, NULL},
};

static const char *const translit_names[] = {
    "ascii", "slug", "key", "transform", NULL,
};

PIPE_PLUGIN_EXPORT const pipe_plugin pipe_plugin_entry = {
    PIPE_PLUGIN_HEAD,
    .name = "translit",
    .summary = "transliteration through ICU: ASCII, slugs, search keys",
    .open = translit_open,
    .lua_names = translit_names,
    .commands = translit_commands,
};
