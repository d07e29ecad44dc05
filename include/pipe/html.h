/*
 * The html plugin's C API, for other plugins (extract) and the core.
 *
 * Ownership rule: a Document userdata owns its xmlDoc and frees it in __gc;
 * a Node userdata holds an xmlNodePtr plus a reference to its Document (its
 * user value), so a node never outlives the tree it points into.  Functions
 * here that return `char *` return malloc'd memory the caller frees.
 * Removing a node unlinks it and hands it to the Document, which frees it
 * with the tree; Node userdata pointing at it stay valid (detached).
 */
#ifndef PIPE_HTML_H
#define PIPE_HTML_H

#include <stddef.h>

#include <lauxlib.h>
#include <lua.h>
#include <libxml/tree.h>

#define PIPE_DOCUMENT_MT "pipe.Document"
#define PIPE_NODE_MT "pipe.Node"

/* Parse HTML bytes into a tree, converting to UTF-8.  `encoding` forces the
 * input encoding (NULL: detect from BOM, <meta charset>, UTF-8 validity).
 * Returns NULL and sets *err (malloc'd) on failure. */
xmlDocPtr pipe_html_parse(const char *data, size_t len, const char *encoding,
                          char **err);

/* Like pipe_html_parse, with the document URL (`url`, may be NULL: it
 * becomes doc->URL, what doc:url() falls back on) and the name of the
 * encoding actually used copied into `used` (lowercase, e.g. "utf-8",
 * "windows-1251"; may be NULL).  An empty or hopeless input gives an empty
 * page (<html><head></head><body></body></html>), never NULL; NULL means
 * out-of-memory or an unknown forced `encoding`. */
xmlDocPtr pipe_html_parse_ex(const char *data, size_t len,
                             const char *encoding, const char *url,
                             char *used, size_t usedsz, char **err);

/* Parse and push a Document userdata (what html.parse returns); raises
 * on out-of-memory or an unknown `encoding`. */
void pipe_html_push_document(lua_State *L, const char *data, size_t len,
                             const char *encoding, const char *url);

/* The xmlDoc behind a Document argument; raises a type error otherwise. */
xmlDocPtr pipe_html_check_doc(lua_State *L, int idx);

/* The node behind a Node argument, or the root element of a Document
 * argument; raises a type error otherwise. */
xmlNodePtr pipe_html_check_node(lua_State *L, int idx);

/* Push a Node userdata for `node`, kept alive by the Document (or Node) at
 * stack index `owner`. */
void pipe_html_push_node(lua_State *L, int owner, xmlNodePtr node);

/* Readable text of a subtree: entities decoded, whitespace collapsed, block
 * elements and <br> become line breaks (blocks separated by `block_sep`,
 * "\n" or "\n\n"), script/style/template/noscript/svg skipped.  Appends to
 * `b`. */
void pipe_html_text(luaL_Buffer *b, xmlNodePtr node, const char *block_sep);

/* Like pipe_html_text, into a malloc'd NUL-terminated string (length in
 * *len); NULL on out-of-memory. */
char *pipe_html_text_alloc(xmlNodePtr node, const char *block_sep,
                           size_t *len);

/* Elements whose content never appears in text (head, title, script,
 * style, template, noscript, svg, iframe), and block elements (text
 * boundaries), by lowercase tag name. */
int pipe_html_is_hidden(const char *tag);
int pipe_html_is_block(const char *tag);

/* The whole page as readable plain text (what `pipe strip` prints):
 * blocks separated by a blank line, headings on their own lines, <br> as a
 * newline, list items as "- item", table cells separated by tabs, <head>,
 * script/style/noscript/template/svg dropped.  With `links`, link targets
 * are appended as numbered references.  Returns malloc'd UTF-8 text and its
 * length in *len, or NULL on out-of-memory. */
char *pipe_html_strip(xmlNodePtr node, int links, size_t *len);

#endif
