/* html.h must compile on its own, first, with -pedantic -Werror. */
#include "pipe/html.h"

int pipe_header_html_alone(void);
int pipe_header_html_alone(void)
{
    return 0;
}
