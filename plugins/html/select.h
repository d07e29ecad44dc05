/*
 * The `select` command of the html plugin (internal; registered by
 * html.c's command table).
 */
#ifndef PIPE_SELECT_H
#define PIPE_SELECT_H

#include "pipe/plugin.h"

extern const char pipe_select_help[];
int pipe_select_main(pipe_host *host, int argc, char **argv);

#endif
