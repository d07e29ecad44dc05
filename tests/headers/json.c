/* json.h must compile on its own, first, with -pedantic -Werror. */
#include "pipe/json.h"

int pipe_header_json_alone(void);
int pipe_header_json_alone(void)
{
    return 0;
}
