/*
 * Parsing pages into trees (html.c), for the html plugin's own files (the
 * `strip` and `select` commands).  Other plugins parse through the "html"
 * service (include/pipe/html.h).
 *
 * Ownership rule: the returned xmlDoc belongs to the caller (xmlFreeDoc);
 * *err is malloc'd and freed by the caller.
 */
#ifndef PIPE_HTML_PARSE_H
#define PIPE_HTML_PARSE_H

#include <stddef.h>

#include <libxml/tree.h>

/* pipe_html_parse_ex of include/pipe/html.h: the same contract. */
xmlDocPtr html_parse_page(const char *data, size_t len, const char *encoding,
                          const char *url, char *used, size_t usedsz,
                          char **err);

#endif
