/*
 * json plugin: JSON encoding and decoding for Lua (jansson underneath).
 * The conversion itself is the host's (core/json.c, include/pipe/json.h),
 * which writes every record with it.
 *
 * Caveats:
 * - jansson refuses integers beyond the 64-bit range ("too big integer");
 *   such input decodes to nil, msg.
 * - Reals are written with 15 significant digits, so 0.1 stays "0.1"; a
 *   computed float may lose its last bits on a round trip.
 * - A table marked with json.array() is written as its elements 1..#t; any
 *   other keys it has are ignored.
 */
#include <stdio.h>
#include <stdlib.h>

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
static int json_decode(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
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
