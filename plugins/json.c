/* json plugin: placeholder until its owner fills it in. */
#include <lauxlib.h>
#include "pipe/plugin.h"

static int json_open(lua_State *L)
{
    lua_newtable(L);
    return 1;
}

const pipe_plugin pipe_plugin_json = {
    PIPE_PLUGIN_ABI, "json", "(placeholder)", json_open, NULL, NULL,
};
