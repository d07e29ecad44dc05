/*
 * Shared helpers for the libFuzzer harnesses: a fresh sandboxed Lua state
 * per input (so leaks show up per input and no state carries over) and a
 * runner that calls a Lua chunk with the input as its argument.
 *
 * Errors the Lua code raises are expected (bad selectors, bad patterns);
 * only an error whose message contains "FUZZ:" (a broken invariant the
 * harness checks) aborts, and sanitizers catch the rest.
 */
#ifndef PIPE_FUZZ_H
#define PIPE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "core.h"

static inline lua_State *fuzz_lua(void)
{
    pipe_lua_opts o = {0};
    o.max_memory = (size_t)256 << 20;
    o.max_steps = 20000000UL;
    o.root = (char *)PIPE_SOURCE_SCRIPTS;
    char *err = NULL;
    lua_State *L = pipe_lua_new(&o, &err);
    if (!L) {
        fprintf(stderr, "pipe_lua_new: %s\n", err ? err : "?");
        abort();
    }
    return L;
}

/* Run `code` with the strings args[0..n-1] (lens[i] bytes each). */
static inline void fuzz_run(const char *name, const char *code,
                            const char *const *args, const size_t *lens,
                            int n)
{
    lua_State *L = fuzz_lua();
    if (luaL_loadbufferx(L, code, strlen(code), name, "t") != LUA_OK) {
        fprintf(stderr, "%s\n", lua_tostring(L, -1));
        abort();
    }
    for (int i = 0; i < n; i++) {
        if (args[i])
            lua_pushlstring(L, args[i], lens[i]);
        else
            lua_pushnil(L);
    }
    if (pipe_lua_call(L, n, 0) != LUA_OK) {
        const char *m = lua_tostring(L, -1);
        if (m && strstr(m, "FUZZ:")) {
            fprintf(stderr, "%s\n", m);
            abort();
        }
    }
    pipe_lua_close(L);
}

#endif
