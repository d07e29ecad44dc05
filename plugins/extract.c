/* extract plugin: placeholder until its owner fills it in. */
#include <lauxlib.h>
#include "pipe/plugin.h"

static int extract_open(lua_State *L)
{
    lua_newtable(L);
    return 1;
}

const pipe_plugin pipe_plugin_extract = {
    PIPE_PLUGIN_ABI, "extract", "(placeholder)", extract_open, NULL, NULL,
};
