/*
 * The Lua state: an allocator with a memory cap (mem.c), an instruction
 * budget, the sandbox (an allow-list of libraries), `require` confined to
 * the scripts tree, every plugin opened as a global, and the core's `pipe`
 * module.
 *
 * Caveats: the instruction hook re-raises on every count event once the
 * budget is spent, so a script's own pcall cannot swallow the kill.  Hooks
 * never fire inside C, which is why the plugins keep limits of their own
 * (PCRE2 match limit, input size).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lualib.h>

#include "core.h"

#define HOOK_EVERY 1000

/* Marks a module as being loaded (its address is the tag). */
static const char loading_tag = 0;

/* Per-state data, reached through lua_getallocf's ud: the allocator's
 * heap (mem.c) comes first. */
typedef struct state_ud {
    pipe_lua_heap heap;
    unsigned long steps, max_steps;
    int unsafe;
    char *root;               /* scripts root */
    FILE **err;               /* where print and pipe.log write */
    char **rules;             /* rule directories: --rules, then PIPE_RULES */
    size_t nrules;
} state_ud;

static state_ud *get_ud(lua_State *L)
{
    void *heap;
    lua_getallocf(L, &heap);
    return (state_ud *)heap;
}

static void step_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    state_ud *ud = get_ud(L);
    ud->steps += HOOK_EVERY;
    if (ud->max_steps && ud->steps > ud->max_steps) {
        /* from now on raise on every instruction, so the error also fires
         * outside any pcall the script wraps around its loops */
        lua_sethook(L, step_hook, LUA_MASKCOUNT, 1);
        luaL_error(L, "script exceeded the instruction limit (%I steps, "
                      "--max-steps)", (lua_Integer)ud->max_steps);
    }
}

/* Does msg start with "chunk:LINE:"? */
static int has_position(const char *msg)
{
    const char *c = strchr(msg, ':');
    const char *nl = strchr(msg, '\n');
    if (!c || (nl && nl < c) || c == msg)
        return 0;
    /* a chunk name is a path or a [string "..."]: no blank in a path */
    if (msg[0] != '[')
        for (const char *p = msg; p < c; p++)
            if (*p == ' ' || *p == '\t')
                return 0;
    c++;
    if (*c < '0' || *c > '9')
        return 0;
    while (*c >= '0' && *c <= '9')
        c++;
    return *c == ':';
}

/* Error handler: message plus a short traceback. */
static int msgh(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    if (!msg) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
            return 1;
        msg = lua_pushfstring(L, "(error object is a %s value)",
                              luaL_typename(L, 1));
    }
    /* error(msg, 0) is a deliberate, message-only failure (a required
     * field missing, a page without URL): no traceback for those.  Errors
     * that carry a position ("file.lua:12: ...") are script bugs. */
    if (!has_position(msg)) {
        lua_pushstring(L, msg);
        return 1;
    }
    luaL_traceback(L, L, msg, 1);
    /* keep at most 6 frames, and drop C frames that say nothing */
    const char *tb = lua_tostring(L, -1);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    int frames = 0;
    const char *line = tb;
    while (*line) {
        const char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) : strlen(line);
        int is_frame = line[0] == '\t';
        int skip = is_frame && (memmem(line, n, "[C]: in ?", 9) ||
                                memmem(line, n, "[C]: in function 'error'", 24));
        if (is_frame && !skip && ++frames > 6)
            skip = 1;
        if (!skip) {
            if (line != tb)
                luaL_addchar(&b, '\n');
            luaL_addlstring(&b, line, n);
        }
        if (!nl)
            break;
        line = nl + 1;
    }
    luaL_pushresult(&b);
    return 1;
}

int pipe_lua_call(lua_State *L, int nargs, int nresults)
{
    state_ud *ud = get_ud(L);
    ud->steps = 0;
    /* no limit, no hook: with a count hook set, Lua's VM stops in
     * luaG_traceexec on every instruction, not every HOOK_EVERY */
    if (ud->max_steps)
        lua_sethook(L, step_hook, LUA_MASKCOUNT, HOOK_EVERY);
    else
        lua_sethook(L, NULL, 0, 0);
    int base = lua_gettop(L) - nargs;
    lua_pushcfunction(L, msgh);
    lua_insert(L, base);
    int rc = lua_pcall(L, nargs, nresults, base);
    lua_remove(L, base);
    return rc;
}

static int read_chunk(lua_State *L, const char *path, const char *chunkname)
{
    char *data = NULL, *err = NULL;
    size_t len;
    if (pipe_read_file(path, (size_t)64 << 20, &data, &len, &err) != 0) {
        lua_pushfstring(L, "cannot read %s: %s", path, err ? err : "?");
        free(err);
        return LUA_ERRFILE;
    }
    /* skip a #! line, keeping line numbers */
    const char *s = data;
    size_t n = len;
    if (n > 0 && s[0] == '#') {
        while (n > 0 && *s != '\n') {
            s++;
            n--;
        }
    }
    int rc = pipe_luac_load(L, s, n, chunkname);
    if (rc != LUA_OK) {
        rc = luaL_loadbufferx(L, s, n, chunkname, "t");
        if (rc == LUA_OK)
            pipe_luac_store(L, s, n, chunkname);
    }
    free(data);
    return rc;
}

int pipe_lua_loadfile(lua_State *L, const char *path)
{
    lua_pushfstring(L, "@%s", path);
    int rc = read_chunk(L, path, lua_tostring(L, -1));
    lua_remove(L, -2);
    return rc;
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static const char *basename_of(const char *p, size_t n)
{
    while (n > 0 && p[n - 1] == '/')
        n--;
    const char *b = p + n;
    while (b > p && b[-1] != '/')
        b--;
    return b;
}

char *pipe_script_root(const char *script)
{
    /* lexical walk first, so messages keep the user's relative paths */
    char *dir = strdup(script);
    if (!dir)
        return NULL;
    char *slash = strrchr(dir, '/');
    if (!slash) {
        free(dir);
        dir = strdup(".");
    } else {
        *slash = '\0';
        if (dir[0] == '\0')
            strcpy(dir, "/");
    }
    if (!dir)
        return NULL;
    char *walk = strdup(dir);
    while (walk && strcmp(walk, ".") != 0 && strcmp(walk, "/") != 0) {
        const char *b = basename_of(walk, strlen(walk));
        if (strncmp(b, "scripts", 7) == 0 && (b[7] == '\0' || b[7] == '/')) {
            free(dir);
            return walk;
        }
        char *s = strrchr(walk, '/');
        if (!s)
            break;
        *s = '\0';
    }
    free(walk);
    /* then the real path: `pipe run site.lua` inside scripts/ */
    char real[PATH_MAX];
    if (realpath(dir, real)) {
        char *r = strdup(real);
        while (r && strlen(r) > 1) {
            const char *b = basename_of(r, strlen(r));
            if (strcmp(b, "scripts") == 0) {
                free(dir);
                return r;
            }
            char *s = strrchr(r, '/');
            if (!s || s == r)
                break;
            *s = '\0';
        }
        free(r);
    }
    return dir;
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int find_builtin_scripts(char *out, size_t cap);

/* Once per process: every `require` asks (a readlink of /proc/self/exe and
 * two stats each time, before) */
int pipe_builtin_scripts(char *out, size_t cap)
{
    static char memo[PATH_MAX];
    static int state; /* 0 not known yet, 1 found, -1 none */
    if (state == 0)
        state = find_builtin_scripts(memo, sizeof memo) == 0 ? 1 : -1;
    if (state < 0)
        return -1;
    return snprintf(out, cap, "%s", memo) < (int)cap ? 0 : -1;
}

static int find_builtin_scripts(char *out, size_t cap)
{
    const char *env = getenv("PIPE_SCRIPTS");
    if (env && *env)
        return snprintf(out, cap, "%s", env) < (int)cap ? 0 : -1;
#ifdef PIPE_BIN_TO_SCRIPTS
    /* an installed pipe: the scripts beside its own binary (bin/ ->
     * share/pipe/scripts), so a copy installed anywhere (--prefix,
     * --destdir) finds its own */
    char exe[PATH_MAX], dir[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            if (snprintf(dir, sizeof dir, "%s/%s", exe, PIPE_BIN_TO_SCRIPTS) <
                    (int)sizeof dir && is_dir(dir) && realpath(dir, exe))
                return snprintf(out, cap, "%s", exe) < (int)cap ? 0 : -1;
        }
    }
#endif
    if (is_dir(PIPE_SOURCE_SCRIPTS))
        return snprintf(out, cap, "%s", PIPE_SOURCE_SCRIPTS) < (int)cap ? 0 : -1;
    if (is_dir(PIPE_INSTALLED_SCRIPTS))
        return snprintf(out, cap, "%s", PIPE_INSTALLED_SCRIPTS) < (int)cap ? 0 : -1;
    return -1;
}

int pipe_find_script(const char *script, char *out, size_t cap)
{
    struct stat st;
    if (stat(script, &st) == 0 || script[0] == '/')
        return -1;
    char dir[PATH_MAX];
    if (pipe_builtin_scripts(dir, sizeof dir) != 0)
        return -1;
    if (snprintf(out, cap, "%s/%s", dir, script) >= (int)cap)
        return -1;
    return stat(out, &st) == 0 && S_ISREG(st.st_mode) ? 0 : -1;
}

/* The file for module `name` under `dir`, or NULL. */
static char *module_path(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 6;
    char *p = malloc(n);
    if (!p)
        return NULL;
    snprintf(p, n, "%s/%s", dir, name);
    for (char *c = p + strlen(dir) + 1; *c; c++)
        if (*c == '.')
            *c = '/';
    strcat(p, ".lua");
    if (file_exists(p))
        return p;
    free(p);
    return NULL;
}

static int valid_module_name(const char *s)
{
    if (!*s || *s == '.')
        return 0;
    for (const char *c = s; *c; c++) {
        if (!(((*c | 32) >= 'a' && (*c | 32) <= 'z') || (*c >= '0' && *c <= '9')
              || *c == '_' || *c == '-' || *c == '.'))
            return 0;
        if (c[0] == '.' && c[1] == '.')
            return 0;
    }
    return s[strlen(s) - 1] != '.';
}

/* require(name) -> module: ROOT/a/b.lua, then pipe's own scripts */
static int state_require(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    lua_settop(L, 1);
    lua_getfield(L, LUA_REGISTRYINDEX, "pipe.loaded");
    lua_getfield(L, 2, name);
    if (lua_toboolean(L, -1)) {
        if (lua_islightuserdata(L, -1))
            return luaL_error(L, "module '%s' requires itself (a require loop)",
                              name);
        return 1;
    }
    lua_pop(L, 1);
    if (!valid_module_name(name))
        return luaL_error(L, "bad module name '%s'", name);
    state_ud *ud = get_ud(L);
    char *path = module_path(ud->root, name);
    char bbuf[PATH_MAX];
    const char *builtin = pipe_builtin_scripts(bbuf, sizeof bbuf) == 0 ? bbuf : NULL;
    if (!path && builtin)
        path = module_path(builtin, name);
    if (!path) {
        if (ud->unsafe) {
            lua_getfield(L, LUA_REGISTRYINDEX, "pipe.std_require");
            if (lua_isfunction(L, -1)) {
                lua_pushvalue(L, 1);
                lua_call(L, 1, 1);
                return 1;
            }
        }
        return luaL_error(L, "module '%s' not found in %s%s%s", name, ud->root,
                          builtin ? " or " : "", builtin ? builtin : "");
    }
    lua_pushfstring(L, "@%s", path);
    int rc = read_chunk(L, path, lua_tostring(L, -1));
    lua_remove(L, -2);
    if (rc != LUA_OK) {
        free(path);
        return lua_error(L); /* the loader's message: file, line, cause */
    }
    lua_pushstring(L, path);
    free(path);
    /* the module's own global environment (sandbox.c) */
    pipe_sandbox_new_env(L);                /* 5 */
    lua_pushvalue(L, 5);
    lua_setupvalue(L, 3, 1);
    /* mark as loading to catch loops; a failed load takes the mark away,
     * so a second require reports the real error again */
    lua_pushlightuserdata(L, (void *)&loading_tag);
    lua_setfield(L, 2, name);
    lua_pushvalue(L, 3);      /* chunk */
    lua_pushvalue(L, 1);      /* module name */
    lua_pushvalue(L, 4);      /* file path */
    if (lua_pcall(L, 2, 1, 0) != LUA_OK) {
        lua_pushnil(L);
        lua_setfield(L, 2, name);
        return lua_error(L);
    }
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_pushboolean(L, 1);
    }
    lua_pushvalue(L, -1);
    lua_setfield(L, 2, name);
    pipe_sandbox_seal_env(L, 5);
    return 1;
}

/* print(...) writes to stderr: stdout belongs to records */
static FILE *err_stream(lua_State *L)
{
    state_ud *ud = get_ud(L);
    return ud->err && *ud->err ? *ud->err : stderr;
}

static int state_print(lua_State *L)
{
    int n = lua_gettop(L);
    FILE *err = err_stream(L);
    for (int i = 1; i <= n; i++) {
        size_t len;
        const char *s = luaL_tolstring(L, i, &len);
        if (i > 1)
            fputc('\t', err);
        fwrite(s, 1, len, err);
        lua_pop(L, 1);
    }
    fputc('\n', err);
    return 0;
}

/* load(chunk [, name [, mode [, env]]]): text chunks only */
static int state_load(lua_State *L)
{
    lua_settop(L, 4);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 2);
    lua_pushliteral(L, "t");
    int n = 4;
    if (!lua_isnone(L, 4) && !lua_isnil(L, 4)) {
        lua_pushvalue(L, 4);
        n = 5;
    }
    lua_call(L, n - 1, LUA_MULTRET);
    return lua_gettop(L) - 4;
}

/* pipe.log(...) */
static int pipe_log(lua_State *L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, "pipe.source");
    const char *src = lua_tostring(L, -1);
    lua_pop(L, 1);
    fprintf(err_stream(L), "pipe: %s: ", src ? src : "script");
    return state_print(L);
}

/* pipe.list(dir) -> {"dir.mod", ...} sorted */
static int pipe_list(lua_State *L)
{
    const char *dir = luaL_checkstring(L, 1);
    if (!valid_module_name(dir) && strchr(dir, '/') == NULL)
        return luaL_error(L, "bad directory name '%s'", dir);
    if (strstr(dir, ".."))
        return luaL_error(L, "bad directory name '%s'", dir);
    state_ud *ud = get_ud(L);
    lua_pushfstring(L, "%s/%s", ud->root, dir);
    DIR *d = opendir(lua_tostring(L, -1));
    lua_newtable(L);
    if (!d)
        return 1;
    /* collect names in a Lua table first: nothing malloc'd across raises */
    lua_newtable(L);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len > 4 && strcmp(e->d_name + len - 4, ".lua") == 0 &&
            e->d_name[0] != '.') {
            lua_pushlstring(L, e->d_name, len - 4);
            lua_rawseti(L, -2, ++n);
        }
    }
    closedir(d);
    pipe_lua_sort(L, -1);
    char prefix[PATH_MAX];
    snprintf(prefix, sizeof prefix, "%s", dir);
    for (char *c = prefix; *c; c++)
        if (*c == '/')
            *c = '.';
    for (int i = 1; i <= n; i++) {
        lua_rawgeti(L, -1, i);
        lua_pushfstring(L, "%s.%s", prefix, lua_tostring(L, -1));
        lua_rawseti(L, -4, i);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return 1;
}

/* Is the real path `real` inside the real directory `rd`? (The read roots
 * are resolved once, when they are allowed: resolving them again on every
 * pipe.read cost a readlink per path component per root.) */
static int path_within(const char *real, const char *rd)
{
    size_t n = strlen(rd);
    return strncmp(real, rd, n) == 0 && (real[n] == '/' || real[n] == '\0' ||
                                         (n == 1 && rd[0] == '/'));
}

#define READ_ROOTS_KEY "pipe.read_roots"

/* The tree pipe.read may read for a scripts directory: the directory that
 * holds it when it is named "scripts" (the project: rules, tests/pages),
 * else the directory itself.  Pushes the real path, or nothing (returns 0)
 * when dir does not exist. */
static int push_read_root(lua_State *L, const char *dir)
{
    char real[PATH_MAX];
    if (!dir || !realpath(dir, real))
        return 0;
    size_t n = strlen(real);
    if (n > 8 && strcmp(real + n - 8, "/scripts") == 0)
        real[n - 8] = '\0';
    lua_pushstring(L, real[0] ? real : "/");
    return 1;
}

void pipe_lua_allow_read(lua_State *L, const char *dir)
{
    lua_getfield(L, LUA_REGISTRYINDEX, READ_ROOTS_KEY);
    if (lua_istable(L, -1) && push_read_root(L, dir))
        lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
    lua_pop(L, 1);
}

/* May a script read the file or directory at the real path `real`? */
static int may_read(lua_State *L, const state_ud *ud, const char *real)
{
    if (ud->unsafe)
        return 1;
    int ok = 0;
    lua_getfield(L, LUA_REGISTRYINDEX, READ_ROOTS_KEY);
    for (lua_Integer i = 1; !ok && i <= (lua_Integer)lua_rawlen(L, -1); i++) {
        lua_rawgeti(L, -1, i);
        ok = path_within(real, lua_tostring(L, -1));
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return ok;
}

/* pipe.read(path) -> string | nil, msg: only inside the scripts' trees
 * (push_read_root) and the rule directories, whatever the current
 * directory is */
static int pipe_read(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    state_ud *ud = get_ud(L);
    char real[PATH_MAX];
    if (!realpath(path, real))
        return luaL_fileresult(L, 0, path);
    if (!may_read(L, ud, real)) {
        lua_pushnil(L);
        lua_pushfstring(L, "%s: outside the scripts tree", path);
        return 2;
    }
    char *data = NULL, *err = NULL;
    size_t len;
    if (pipe_read_file(real, (size_t)256 << 20, &data, &len, &err) != 0) {
        lua_pushnil(L);
        lua_pushfstring(L, "%s: %s", path, err ? err : "cannot read");
        free(err);
        return 2;
    }
    /* copy into Lua without holding `data` across a raise */
    luaL_Buffer b;
    char *dst = luaL_buffinitsize(L, &b, len);
    memcpy(dst, data, len);
    free(data);
    luaL_pushresultsize(&b, len);
    return 1;
}

static int dir_gc(lua_State *L)
{
    DIR **box = lua_touserdata(L, 1);
    if (box && *box) {
        closedir(*box);
        *box = NULL;
    }
    return 0;
}

/* pipe.files(dir [, suffix]) -> {name...} sorted: the regular files in dir
 * (dot files included: FiveFilters names wildcard configs
 * ".example.com.txt"), only those ending in suffix when given, where
 * pipe.read may read; {} for a directory that does not exist; nil, msg
 * outside the allowed places */
static int pipe_files(lua_State *L)
{
    const char *dir = luaL_checkstring(L, 1);
    size_t slen = 0;
    const char *suffix = luaL_optlstring(L, 2, NULL, &slen);
    state_ud *ud = get_ud(L);
    char real[PATH_MAX];
    if (!realpath(dir, real)) {
        lua_newtable(L);
        return 1;
    }
    if (!may_read(L, ud, real)) {
        lua_pushnil(L);
        lua_pushfstring(L, "%s: outside the scripts tree", dir);
        return 2;
    }
    /* a listing kept from an earlier run while the directory is unchanged
     * (core/luacache.c): a directory of 2,000 FiveFilters configs holds no
     * Lua rule, and reading it took most of a millisecond */
    struct stat dst;
    int have_st = stat(real, &dst) == 0 && S_ISDIR(dst.st_mode);
    size_t clen = 0;
    char *cached = have_st ? pipe_cache_list_get(real, suffix, &dst, &clen)
                           : NULL;
    if (cached) {
        lua_newtable(L);
        lua_Integer k = 0;
        for (size_t at = 0; at < clen; at += strlen(cached + at) + 1) {
            lua_pushstring(L, cached + at);
            lua_rawseti(L, -2, ++k);
        }
        free(cached);
        return 1;
    }
    /* the DIR lives in a userdata whose __gc closes it, so a raise while
     * names are pushed leaks nothing */
    DIR **box = lua_newuserdatauv(L, sizeof *box, 0);
    *box = NULL;
    if (luaL_newmetatable(L, "pipe.Dir")) {
        lua_pushcfunction(L, dir_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    lua_newtable(L);
    DIR *d = *box = opendir(real);
    if (!d)
        return 1;
    lua_Integer n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        size_t nlen = strlen(e->d_name);
        if (suffix && (nlen < slen || memcmp(e->d_name + nlen - slen, suffix,
                                             slen) != 0))
            continue;
        int reg = e->d_type == DT_REG;
        if (e->d_type == DT_UNKNOWN || e->d_type == DT_LNK) {
            struct stat st;
            reg = fstatat(dirfd(d), e->d_name, &st, 0) == 0 &&
                  S_ISREG(st.st_mode);
        }
        if (!reg)
            continue;
        lua_pushstring(L, e->d_name);
        lua_rawseti(L, -2, ++n);
    }
    closedir(d);
    *box = NULL;
    pipe_lua_sort(L, -1);
    if (have_st) {
        luaL_Buffer b;
        luaL_buffinit(L, &b);
        for (lua_Integer i = 1; i <= n; i++) {
            lua_rawgeti(L, -2, i); /* under the buffer's slot */
            luaL_addvalue(&b);
            luaL_addchar(&b, '\0');
        }
        luaL_pushresult(&b);
        size_t bl = 0;
        const char *names = lua_tolstring(L, -1, &bl);
        pipe_cache_list_put(real, suffix, &dst, names, bl);
        lua_pop(L, 1);
    }
    return 1;
}

static const char apply_lua[] =
    "local cache = setmetatable({}, {__mode = 'k'})\n"
    "return function(rule, page, name)\n"
    "  local rules = require 'lib.rules'\n"
    "  local c = cache[rule]\n"
    "  if not c then c = rules.load(rule, name); cache[rule] = c end\n"
    "  return rules.apply(c, page)\n"
    "end\n";

static void open_pipe_module(lua_State *L, int unsafe)
{
    lua_newtable(L);
    lua_pushstring(L, PIPE_VERSION);
    lua_setfield(L, -2, "version");
    lua_newtable(L);
    lua_pushboolean(L, unsafe);
    lua_setfield(L, -2, "unsafe");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "explain");
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, "pipe.options");
    lua_setfield(L, -2, "options");
    lua_pushstring(L, get_ud(L)->root);
    lua_setfield(L, -2, "root");
    lua_pushcfunction(L, pipe_log);
    lua_setfield(L, -2, "log");
    lua_pushcfunction(L, pipe_list);
    lua_setfield(L, -2, "list");
    lua_pushcfunction(L, pipe_read);
    lua_setfield(L, -2, "read");
    lua_pushcfunction(L, pipe_files);
    lua_setfield(L, -2, "files");
    state_ud *ud = get_ud(L);
    lua_createtable(L, (int)ud->nrules, 0);
    for (size_t i = 0; i < ud->nrules; i++) {
        lua_pushstring(L, ud->rules[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "rules");
    if (luaL_loadbufferx(L, apply_lua, sizeof apply_lua - 1, "=pipe.apply",
                         "t") == LUA_OK)
        lua_call(L, 0, 1);
    lua_setfield(L, -2, "apply");
    lua_setglobal(L, "pipe");
}

void pipe_lua_sort(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    lua_getfield(L, LUA_REGISTRYINDEX, "pipe.sort");
    lua_pushvalue(L, idx);
    lua_call(L, 1, 0);
}

void pipe_lua_set_option(lua_State *L, const char *name)
{
    lua_getfield(L, LUA_REGISTRYINDEX, "pipe.options");
    lua_insert(L, -2);
    lua_setfield(L, -2, name);
    lua_pop(L, 1);
}

static int open_all(lua_State *L)
{
    state_ud *ud = get_ud(L);
    if (ud->unsafe) {
        luaL_openlibs(L);
        lua_getglobal(L, "require");
        lua_setfield(L, LUA_REGISTRYINDEX, "pipe.std_require");
    } else {
        static const luaL_Reg libs[] = {
            {LUA_GNAME, luaopen_base},         {LUA_STRLIBNAME, luaopen_string},
            {LUA_TABLIBNAME, luaopen_table},   {LUA_MATHLIBNAME, luaopen_math},
            {LUA_UTF8LIBNAME, luaopen_utf8},   {LUA_COLIBNAME, luaopen_coroutine},
            {NULL, NULL}};
        for (const luaL_Reg *l = libs; l->func; l++) {
            luaL_requiref(L, l->name, l->func, 1);
            lua_pop(L, 1);
        }
        lua_pushnil(L);
        lua_setglobal(L, "dofile");
        lua_pushnil(L);
        lua_setglobal(L, "loadfile");
        lua_getglobal(L, "load");
        lua_pushcclosure(L, state_load, 1);
        lua_setglobal(L, "load");
    }
    /* table.sort as it was at start-up, for the host's own lists (a script
     * may replace the global) */
    lua_getglobal(L, "table");
    lua_getfield(L, -1, "sort");
    lua_setfield(L, LUA_REGISTRYINDEX, "pipe.sort");
    lua_pop(L, 1);
    lua_pushcfunction(L, state_print);
    lua_setglobal(L, "print");
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, "pipe.loaded");
    lua_pushcfunction(L, state_require);
    lua_setglobal(L, "require");

    /* the plugins' modules: as globals, for require, and (the real tables,
     * out of scripts' reach) for the host, which takes plugin functions
     * from there rather than from globals a script may change */
    lua_getfield(L, LUA_REGISTRYINDEX, "pipe.loaded");
    lua_newtable(L);
    const char *names[72];    /* at most 64 plugins (registry.c) */
    size_t np = 0;
    for (size_t i = 0; i < pipe_plugin_count(); i++) {
        const pipe_plugin *p = pipe_plugin_at(i);
        if (!p->open)
            continue;           /* commands or services only */
        lua_pushcfunction(L, p->open);
        lua_call(L, 0, 1);
        lua_pushvalue(L, -1);
        lua_setglobal(L, p->name);
        lua_pushvalue(L, -1);
        lua_setfield(L, -3, p->name);
        lua_setfield(L, -3, p->name);
        if (np < sizeof names / sizeof names[0] - 1)
            names[np++] = p->name;
    }
    names[np] = NULL;
    lua_setfield(L, LUA_REGISTRYINDEX, PIPE_MODULES_KEY);
    open_pipe_module(L, ud->unsafe);
    lua_getglobal(L, "pipe");
    lua_setfield(L, -2, "pipe");
    lua_pop(L, 1);

    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, READ_ROOTS_KEY);
    pipe_lua_allow_read(L, ud->root);
    char builtin[PATH_MAX];
    pipe_lua_allow_read(L, pipe_builtin_scripts(builtin, sizeof builtin) == 0
                               ? builtin : NULL);
    for (size_t i = 0; i < ud->nrules; i++)
        pipe_lua_allow_read(L, ud->rules[i]);

    pipe_sandbox_setup(L, names);
    return 0;
}

static void free_ud(state_ud *ud)
{
    pipe_lua_heap_free(&ud->heap);
    for (size_t i = 0; i < ud->nrules; i++)
        free(ud->rules[i]);
    free(ud->rules);
    free(ud->root);
    free(ud);
}

/* Append the rule directory dir[0..len) to ud->rules (trailing slashes
 * dropped); what names the origin for the message.  0, or -1 with *err. */
static int add_rules_dir(state_ud *ud, const char *dir, size_t len,
                         const char *what, char **err)
{
    while (len > 1 && dir[len - 1] == '/')
        len--;
    char *p = malloc(len + 1);
    char **grown = realloc(ud->rules, (ud->nrules + 1) * sizeof *grown);
    if (!p || !grown) {
        free(p);
        if (grown)
            ud->rules = grown;
        *err = strdup("out of memory");
        return -1;
    }
    ud->rules = grown;
    memcpy(p, dir, len);
    p[len] = '\0';
    struct stat st;
    if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) {
        size_t n = len + strlen(what) + 40;
        *err = malloc(n);
        if (*err)
            snprintf(*err, n, "%s '%s': not a directory", what, p);
        free(p);
        return -1;
    }
    ud->rules[ud->nrules++] = p;
    return 0;
}

/* --rules directories, then those of PIPE_RULES (colon-separated). */
static int collect_rules(state_ud *ud, const pipe_lua_opts *o, char **err)
{
    for (size_t i = 0; i < o->nrules; i++)
        if (add_rules_dir(ud, o->rules[i], strlen(o->rules[i]), "--rules",
                          err) != 0)
            return -1;
    const char *env = getenv("PIPE_RULES");
    while (env && *env) {
        const char *colon = strchr(env, ':');
        size_t n = colon ? (size_t)(colon - env) : strlen(env);
        if (n > 0 && add_rules_dir(ud, env, n, "PIPE_RULES", err) != 0)
            return -1;
        env = colon ? colon + 1 : NULL;
    }
    return 0;
}

/* An error outside any protected call: say so, and end this process (a
 * worker is replaced by its supervisor). */
static int state_panic(lua_State *L)
{
    const char *msg = lua_tostring(L, -1);
    fprintf(stderr, "pipe: fatal Lua error outside a protected call: %s\n",
            msg ? msg : "?");
    fflush(stderr);
    _exit(PIPE_EXIT_USAGE);
}

lua_State *pipe_lua_new(const pipe_lua_opts *o, char **err)
{
    state_ud *ud = calloc(1, sizeof *ud);
    if (!ud) {
        *err = strdup("out of memory");
        return NULL;
    }
    ud->heap.limit = o->max_memory;
    ud->max_steps = o->max_steps;
    ud->unsafe = o->unsafe;
    ud->err = o->err;
    ud->root = o->root ? strdup(o->root)
                       : o->script ? pipe_script_root(o->script) : strdup(".");
    if (ud->root && collect_rules(ud, o, err) != 0) {
        free_ud(ud);
        return NULL;
    }
    lua_State *L = ud->root ? lua_newstate(pipe_lua_alloc, &ud->heap) : NULL;
    if (!L) {
        free_ud(ud);
        *err = strdup("out of memory");
        return NULL;
    }
    lua_atpanic(L, state_panic);
    if (ud->max_steps)
        lua_sethook(L, step_hook, LUA_MASKCOUNT, HOOK_EVERY);
    lua_pushcfunction(L, open_all);
    if (pipe_lua_call(L, 0, 0) != LUA_OK) {
        const char *m = lua_tostring(L, -1);
        *err = strdup(m ? m : "cannot open the Lua libraries");
        pipe_lua_close(L);
        return NULL;
    }
    return L;
}

void pipe_lua_close(lua_State *L)
{
    if (!L)
        return;
    state_ud *ud = get_ud(L);
    /* the plugins' state-close hooks, the last opened first */
    for (size_t i = pipe_plugin_count(); i > 0; i--) {
        const pipe_plugin *p = pipe_plugin_at(i - 1);
        if (p->close)
            p->close(L);
    }
    lua_close(L);
    free_ud(ud);
}
