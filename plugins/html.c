/* html plugin: placeholder until its owner fills it in. */
#include <lauxlib.h>
#include "pipe/plugin.h"

static int html_open(lua_State *L)
{
    lua_newtable(L);
    return 1;
}

const pipe_plugin pipe_plugin_html = {
    PIPE_PLUGIN_ABI, "html", "(placeholder)", html_open, NULL, NULL,
};
