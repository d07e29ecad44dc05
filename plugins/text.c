/* text plugin: placeholder until its owner fills it in. */
#include <lauxlib.h>
#include "pipe/plugin.h"

static int text_open(lua_State *L)
{
    lua_newtable(L);
    return 1;
}

const pipe_plugin pipe_plugin_text = {
    PIPE_PLUGIN_ABI, "text", "(placeholder)", text_open, NULL, NULL,
};
