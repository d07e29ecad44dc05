/*
 * Pages isolated from each other inside one Lua state: every page starts
 * from the state as it was when the script had loaded.
 *
 * - Library tables (string, table, math, utf8, coroutine, the plugins'
 *   modules, pipe, pipe.options; io/os/debug/package with --unsafe) are
 *   read-only proxies: `string.rep = nil` raises, so no rule can change
 *   what another rule, or a later page, sees.
 * - Every chunk has a global environment of its own: the main script one,
 *   each module loaded by require another.  When a chunk has finished
 *   loading, its environment is "sealed": a snapshot of its globals is
 *   kept, and before every page each environment is put back to its
 *   snapshot.  A global set, changed or deleted by a page does not survive
 *   it; one file's globals are never another's.
 * - The environments' metatable and the string metatable are protected
 *   (`__metatable`): setmetatable(_G, ...) raises, getmetatable("") is
 *   false.  The metatables of the basic types are put back before every
 *   page too (with --unsafe, debug.setmetatable could change them), and so
 *   is the collector: restarted if a page stopped it, back in pipe's mode
 *   with Lua's default parameters.
 * - The collector runs in generational mode (PIPE_LUA_GC=incremental in the
 *   environment: Lua's default incremental mode).  A page's garbage is
 *   young and dies in a minor collection, while the load-time state (the
 *   scripts, rule tables, caches) is old and is not traversed again
 *   (~10% of a page's CPU time, for ~25% more peak memory in a worker:
 *   bench/README.md).  The mode is entered when the
 *   state is sealed, before the workers fork, so the full collection that
 *   enters it runs once, in the process that loaded the script, and the
 *   old objects' pages stay shared with the workers.  Lua 5.4.4's one
 *   listed generational-mode bug (no new pacing target after a full
 *   collection) costs pacing, not correctness; tests/e2e/gc_soak.sh runs
 *   the fixture pages through both modes many times and compares.
 *
 * What is not undone: what a page does to tables that a module keeps (its
 * locals, a rule's own tables).  Those belong to the module; `--recycle 1`
 * runs every page in a fresh worker process when even that must not leak.
 *
 * Caveats: a proxy is an empty table whose metatable points at the real
 * library, so `next(string)` sees nothing (pairs() works through __pairs).
 * The snapshot is shallow: a load-time global that holds a table is the
 * same table on every page.
 */
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "core.h"

#define ENVS_KEY "pipe.envs"       /* { {env, snapshot, count}, ... } */
#define ENV_MT_KEY "pipe.env_mt"   /* the metatable every environment has */
#define BASE_KEY "pipe.base"       /* what environments fall back to */
#define TYPE_MTS_KEY "pipe.type_mts"

#define SEALED_KEY "pipe.sealed"

/* The registry holds the reset (a closure over what it puts back) under
 * this address. */
static const char reset_key;
static int reset_all(lua_State *L);

/* PIPE_LUA_GC=incremental? (read once, when the state is set up) */
static int gc_incremental(void)
{
    const char *mode = getenv("PIPE_LUA_GC");
    return mode && strcmp(mode, "incremental") == 0;
}

/* Put the collector in pipe's mode with Lua 5.4's default parameters
 * (lgc.h): generational, or incremental with PIPE_LUA_GC=incremental. */
static void set_gc_mode(lua_State *L, int incremental)
{
    if (incremental)
        lua_gc(L, LUA_GCINC, 200, 100, 13);
    else
        lua_gc(L, LUA_GCGEN, 20, 100);
}

/* __newindex of a library proxy: refuse, naming the library.  A proxy with
 * the real table as second upvalue (pipe.options) takes writes until the
 * script has loaded: a main script may set its defaults. */
static int proxy_newindex(lua_State *L)
{
    if (lua_istable(L, lua_upvalueindex(2)) &&
        lua_getfield(L, LUA_REGISTRYINDEX, SEALED_KEY) == LUA_TNIL) {
        lua_settop(L, 3);
        lua_rawset(L, lua_upvalueindex(2));
        return 0;
    }
    const char *name = lua_tostring(L, lua_upvalueindex(1));
    const char *key = lua_tostring(L, 2);
    return luaL_error(L, "cannot set '%s.%s': library '%s' is read-only (use "
                         "a local table)", name, key ? key : "?", name);
}

/* __pairs of a library proxy: iterate the real table */
static int proxy_pairs(lua_State *L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, BASE_KEY);
    lua_getfield(L, -1, "next");
    lua_remove(L, -2);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushnil(L);
    return 3;
}

/* __len of a library proxy */
static int proxy_len(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)lua_rawlen(L, lua_upvalueindex(1)));
    return 1;
}

/* Push a read-only proxy of the table at idx, named `name` (writable until
 * the state is sealed when load_writable is set). */
static void push_proxy(lua_State *L, int idx, const char *name,
                       int load_writable)
{
    idx = lua_absindex(L, idx);
    lua_newtable(L);                       /* the proxy */
    lua_createtable(L, 0, 6);              /* its metatable */
    lua_pushvalue(L, idx);
    lua_setfield(L, -2, "__index");
    lua_pushstring(L, name);
    if (load_writable)
        lua_pushvalue(L, idx);
    else
        lua_pushnil(L);
    lua_pushcclosure(L, proxy_newindex, 2);
    lua_setfield(L, -2, "__newindex");
    lua_pushvalue(L, idx);
    lua_pushcclosure(L, proxy_pairs, 1);
    lua_setfield(L, -2, "__pairs");
    lua_pushvalue(L, idx);
    lua_pushcclosure(L, proxy_len, 1);
    lua_setfield(L, -2, "__len");
    lua_pushstring(L, name);
    lua_setfield(L, -2, "__name");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
}

/* One value of each basic type whose metatable is per type: nil, boolean,
 * number, string, function. */
#define N_BASIC 5
static void push_basic_values(lua_State *L)
{
    lua_pushnil(L);
    lua_pushboolean(L, 0);
    lua_pushinteger(L, 0);
    lua_pushliteral(L, "");
    lua_pushcfunction(L, proxy_len);
}

/* The library names that get proxies, when present in the base table. */
static const char *const proxied[] = {
    "string", "table", "math", "utf8", "coroutine",
    "io", "os", "debug", "package", NULL,
};

/* Replace BASE[name] (a table) and loaded[name] by one proxy. */
static void proxy_library(lua_State *L, int base, int loaded, const char *name)
{
    if (lua_getfield(L, base, name) != LUA_TTABLE) {
        lua_pop(L, 1);
        return;
    }
    push_proxy(L, -1, name, 0);
    lua_pushvalue(L, -1);
    lua_setfield(L, base, name);
    lua_setfield(L, loaded, name);
    lua_pop(L, 1);
}

void pipe_sandbox_setup(lua_State *L, const char *const *plugin_names)
{
    lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
    int base = lua_gettop(L);
    lua_getfield(L, LUA_REGISTRYINDEX, "pipe.loaded");
    int loaded = lua_gettop(L);

    /* pipe.options is read-only for scripts; the host writes the real one
     * (registry "pipe.options") */
    lua_getfield(L, base, "pipe");
    lua_getfield(L, LUA_REGISTRYINDEX, "pipe.options");
    push_proxy(L, -1, "pipe.options", 1);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, PIPE_OPTIONS_RO_KEY);
    lua_setfield(L, -3, "options");
    lua_pop(L, 2);

    for (const char *const *n = proxied; *n; n++)
        proxy_library(L, base, loaded, *n);
    for (const char *const *n = plugin_names; *n; n++)
        proxy_library(L, base, loaded, *n);
    proxy_library(L, base, loaded, "pipe");

    /* named metatables of the plugins' types (luaL_newmetatable's: stored
     * under their __name): getmetatable(node) must not hand out the shared
     * method tables */
    lua_pushnil(L);
    while (lua_next(L, LUA_REGISTRYINDEX)) {
        if (lua_type(L, -2) == LUA_TSTRING && lua_istable(L, -1) &&
            strncmp(lua_tostring(L, -2), "pipe.", 5) == 0) {
            int named = lua_getfield(L, -1, "__name") == LUA_TSTRING &&
                        strcmp(lua_tostring(L, -1), lua_tostring(L, -3)) == 0;
            lua_pop(L, 1);
            if (named && lua_getfield(L, -1, "__metatable") == LUA_TNIL) {
                lua_pushboolean(L, 0);
                lua_setfield(L, -3, "__metatable");
            }
            if (named)
                lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }

    /* the string metatable, protected; the basic types' metatables saved */
    lua_pushliteral(L, "");
    if (lua_getmetatable(L, -1)) {
        lua_pushboolean(L, 0);
        lua_setfield(L, -2, "__metatable");
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    lua_createtable(L, N_BASIC, 0);
    int mts = lua_gettop(L);
    push_basic_values(L);
    for (int i = 0; i < N_BASIC; i++) {
        if (!lua_getmetatable(L, mts + 1 + i))
            lua_pushboolean(L, 0);   /* none */
        lua_rawseti(L, mts, i + 1);
    }
    lua_settop(L, mts);
    lua_setfield(L, LUA_REGISTRYINDEX, TYPE_MTS_KEY);

    /* the base has no _G of its own: each environment is its own _G */
    lua_pushnil(L);
    lua_setfield(L, base, "_G");
    lua_pushvalue(L, base);
    lua_setfield(L, LUA_REGISTRYINDEX, BASE_KEY);
    lua_createtable(L, 0, 2);
    lua_pushvalue(L, base);
    lua_setfield(L, -2, "__index");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setfield(L, LUA_REGISTRYINDEX, ENV_MT_KEY);
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, ENVS_KEY);
    lua_getfield(L, LUA_REGISTRYINDEX, TYPE_MTS_KEY);
    lua_getfield(L, LUA_REGISTRYINDEX, ENVS_KEY);
    lua_getfield(L, LUA_REGISTRYINDEX, ENV_MT_KEY);
    lua_pushboolean(L, gc_incremental());
    lua_pushcclosure(L, reset_all, 4);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &reset_key);

    /* the main chunk's environment becomes the registry's globals, so
     * luaL_loadbuffer and load() give it to chunks by default */
    pipe_sandbox_new_env(L);
    lua_rawseti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
    lua_pop(L, 2);
}

void pipe_sandbox_new_env(lua_State *L)
{
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_setfield(L, -2, "_G");
    lua_getfield(L, LUA_REGISTRYINDEX, ENV_MT_KEY);
    lua_setmetatable(L, -2);
    /* registered now, sealed (snapshot taken) when its chunk has loaded */
    lua_getfield(L, LUA_REGISTRYINDEX, ENVS_KEY);
    lua_createtable(L, 3, 0);
    lua_pushvalue(L, -3);
    lua_rawseti(L, -2, 1);
    lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
    lua_pop(L, 1);
}

/* Take the snapshot of the entry (a {env, snapshot, count} table) at idx. */
static void seal_entry(lua_State *L, int entry)
{
    lua_rawgeti(L, entry, 1);
    int env = lua_gettop(L);
    lua_newtable(L);
    int snap = lua_gettop(L);
    lua_Integer n = 0;
    lua_pushnil(L);
    while (lua_next(L, env)) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, snap);
        n++;
    }
    lua_rawseti(L, entry, 2);
    lua_pushinteger(L, n);
    lua_rawseti(L, entry, 3);
    lua_pop(L, 1);
}

void pipe_sandbox_seal_env(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    lua_getfield(L, LUA_REGISTRYINDEX, ENVS_KEY);
    for (lua_Integer i = (lua_Integer)lua_rawlen(L, -1); i > 0; i--) {
        lua_rawgeti(L, -1, i);
        lua_rawgeti(L, -1, 1);
        int same = lua_rawequal(L, -1, idx);
        lua_pop(L, 1);
        if (same) {
            seal_entry(L, lua_gettop(L));
            lua_pop(L, 1);
            break;
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

static int seal_all(lua_State *L)
{
    lua_pushboolean(L, 1);
    lua_setfield(L, LUA_REGISTRYINDEX, SEALED_KEY);
    lua_getfield(L, LUA_REGISTRYINDEX, ENVS_KEY);
    lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, -1, i);
        seal_entry(L, lua_gettop(L));
        lua_pop(L, 1);
    }
    /* entering generational mode is a full collection: here, before the
     * workers fork, rather than in each of them */
    set_gc_mode(L, gc_incremental());
    return 0;
}

int pipe_lua_seal(lua_State *L)
{
    lua_pushcfunction(L, seal_all);
    if (lua_pcall(L, 0, 0, 0) == LUA_OK)
        return 0;
    lua_pop(L, 1);
    return -1;
}

/* Put the environment of the entry at idx back to its snapshot; env_mt:
 * the stack slot of the environments' metatable. */
static void reset_entry(lua_State *L, int entry, int env_mt)
{
    lua_rawgeti(L, entry, 1);
    int env = lua_gettop(L);
    if (lua_rawgeti(L, entry, 2) != LUA_TTABLE) {
        lua_settop(L, env - 1);    /* never sealed: still loading */
        return;
    }
    int snap = lua_gettop(L);
    lua_rawgeti(L, entry, 3);
    lua_Integer want = lua_tointeger(L, -1);
    lua_pop(L, 1);
    lua_Integer n = 0;
    int dirty = 0;
    lua_pushnil(L);
    while (lua_next(L, env)) {
        n++;
        lua_pushvalue(L, -2);
        lua_rawget(L, snap);
        dirty = !lua_rawequal(L, -1, -2);
        lua_pop(L, 2);
        if (dirty) {
            lua_pop(L, 1);    /* the key lua_next would take */
            break;
        }
    }
    if (dirty || n != want) {
        /* clear, then copy the snapshot back */
        lua_newtable(L);
        int keys = lua_gettop(L);
        lua_Integer k = 0;
        lua_pushnil(L);
        while (lua_next(L, env)) {
            lua_pop(L, 1);
            lua_pushvalue(L, -1);
            lua_rawseti(L, keys, ++k);
        }
        for (lua_Integer i = 1; i <= k; i++) {
            lua_rawgeti(L, keys, i);
            lua_pushnil(L);
            lua_rawset(L, env);
        }
        lua_pop(L, 1);
        lua_pushnil(L);
        while (lua_next(L, snap)) {
            lua_pushvalue(L, -2);
            lua_insert(L, -2);
            lua_rawset(L, env);
        }
    }
    lua_pushvalue(L, env_mt);
    lua_setmetatable(L, env);
    lua_settop(L, env - 1);
}

/* The reset, a closure: upvalues the basic types' metatables, the
 * environments' list, their metatable and the collector's mode (so a page
 * costs no registry lookup by name, nor a getenv). */
static int reset_all(lua_State *L)
{
    /* the collector running, in pipe's mode, with Lua 5.4's default
     * parameters (no work when a page left them alone) */
    if (!lua_gc(L, LUA_GCISRUNNING))
        lua_gc(L, LUA_GCRESTART);
    set_gc_mode(L, lua_toboolean(L, lua_upvalueindex(4)));
    /* the basic types' metatables */
    lua_pushvalue(L, lua_upvalueindex(1));
    int mts = lua_gettop(L);
    push_basic_values(L);
    for (int i = 0; i < N_BASIC; i++) {
        if (lua_rawgeti(L, mts, i + 1) != LUA_TTABLE) {
            lua_pop(L, 1);
            lua_pushnil(L);
        }
        lua_setmetatable(L, mts + 1 + i);
    }
    lua_settop(L, mts - 1);
    int envs = lua_upvalueindex(2), env_mt = lua_upvalueindex(3);
    lua_Integer n = (lua_Integer)lua_rawlen(L, envs);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, envs, i);
        reset_entry(L, lua_gettop(L), env_mt);
        lua_pop(L, 1);
    }
    return 0;
}

int pipe_lua_reset(lua_State *L)
{
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &reset_key) != LUA_TFUNCTION) {
        lua_pop(L, 1);
        return -1;    /* no sandbox set up */
    }
    if (lua_pcall(L, 0, 0, 0) == LUA_OK)
        return 0;
    lua_pop(L, 1);
    return -1;
}
