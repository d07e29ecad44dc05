/* re.h must compile on its own, first, with -pedantic -Werror. */
#include "pipe/re.h"

int pipe_header_re_alone(void);
int pipe_header_re_alone(void)
{
    return 0;
}
