/*
 * The functions behind the html plugin's "html" service, for the plugin's
 * own files.  Other plugins call them through include/pipe/html.h, which
 * for the files of this plugin (compiled with PIPE_HTML_PROVIDER) declares
 * no wrappers, so the names here are the real functions; html.c puts them
 * in the service table.  Contracts: as include/pipe/html.h states them.
 *
 * Ownership rule: as include/pipe/html.h's.
 */
#ifndef PIPE_HTML_SERVICE_H
#define PIPE_HTML_SERVICE_H

#include <stddef.h>

#include <lauxlib.h>
#include <lua.h>
#include <libxml/tree.h>

/* html.c */
xmlDocPtr pipe_html_parse_ex(const char *data, size_t len,
                             const char *encoding, const char *url,
                             char *used, size_t usedsz, char **err);
/* Frees a tree of html.c's parse: one in an arena (pipe_arena, see
 * pipe/plugin.h; doc->_private) drops the arena, without walking the tree
 * unless `edited` (edited after the parse: it may hold heap blocks); any
 * other with xmlFreeDoc. */
void pipe_html_free_doc(xmlDocPtr doc, int edited);
void pipe_html_push_document(lua_State *L, const char *data, size_t len,
                             const char *encoding, const char *url);
xmlDocPtr pipe_html_check_doc(lua_State *L, int idx);
xmlNodePtr pipe_html_check_node(lua_State *L, int idx);
void pipe_html_push_node(lua_State *L, int owner, xmlNodePtr node);
void pipe_html_text(luaL_Buffer *b, xmlNodePtr node, const char *block_sep);
void *pipe_html_walk_begin(lua_State *L, int idx);
void pipe_html_walk_end(void *walk);

/* One input of the strip and select commands parsed: its HTTP charset
 * (WARC) as the encoding hint and its URL; NULL after reporting the
 * failure against the input (html.c). */
struct pipe_host;
struct pipe_input;
xmlDocPtr pipe_html_parse_input(struct pipe_host *host,
                                const struct pipe_input *in);
/* (its tree is an arena's: free it with pipe_html_free_doc(doc, 0)) */

/* strip.c */
char *pipe_html_text_alloc(xmlNodePtr node, const char *block_sep,
                           size_t *len);
char *pipe_html_strip(xmlNodePtr node, int links, size_t *len);
int pipe_html_is_hidden(const char *tag);
int pipe_html_is_block(const char *tag);

#endif
