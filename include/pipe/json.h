/*
 * Record JSON: the host's conversion between Lua values and jansson trees
 * (core/json.c).  Every record pipe writes goes through pipe_json_from_lua,
 * every record `pipe run --records` reads through pipe_json_push; the json
 * plugin and any other plugin that speaks JSON use the same two, so a
 * value means the same thing everywhere.  Using this header needs
 * jansson's headers (pkg-config jansson).
 *
 * Ownership rule: pipe_json_from_lua returns a new reference the caller
 * json_decref()s; pipe_json_push does not steal the caller's reference.
 *
 * Lua -> JSON mapping: nil/json.null -> null, booleans, integers, floats
 * (NaN/inf -> error), strings (invalid UTF-8 replaced by U+FFFD), tables with
 * keys 1..n only -> array, an empty table -> array unless its metatable is
 * json.object_mt, other tables -> object with keys sorted bytewise (so
 * output is deterministic), except that a key "source" comes first.
 */
#ifndef PIPE_JSON_H
#define PIPE_JSON_H

#include <jansson.h>
#include <lua.h>

/* Convert the Lua value at `idx`.  Returns NULL and sets *err (malloc'd)
 * on values JSON cannot hold (functions, userdata, cycles, depth > 256). */
json_t *pipe_json_from_lua(lua_State *L, int idx, char **err);

/* Push a Lua value for `v` (null -> json.null sentinel). */
void pipe_json_push(lua_State *L, json_t *v);

/* Push one of the state's JSON markers: json.null, or the metatable that
 * makes a table encode as an object (json.object_mt) or an array
 * (json.array_mt). */
enum { PIPE_JSON_NULL, PIPE_JSON_OBJECT_MT, PIPE_JSON_ARRAY_MT };
void pipe_json_push_mark(lua_State *L, int which);

#endif
