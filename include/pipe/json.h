/*
 * The json plugin's C API, used by the core for output and records input.
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

#endif
