/* util.h must compile on its own, first, with -pedantic -Werror. */
#include "pipe/util.h"

int pipe_header_util_alone(void);
int pipe_header_util_alone(void)
{
    return 0;
}
