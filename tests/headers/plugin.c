/* plugin.h must compile on its own, first, with -pedantic -Werror. */
#include "pipe/plugin.h"

int pipe_header_plugin_alone(void);
int pipe_header_plugin_alone(void)
{
    return 0;
}
