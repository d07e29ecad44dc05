/* re plugin: placeholder until its owner fills it in. */
#include <lauxlib.h>
#include "pipe/plugin.h"

static int re_open(lua_State *L)
{
    lua_newtable(L);
    return 1;
}

const pipe_plugin pipe_plugin_re = {
    PIPE_PLUGIN_ABI, "re", "(placeholder)", re_open, NULL, NULL,
};
