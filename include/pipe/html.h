/*
 * The html plugin's service "html": its Document and Node API for other
 * plugins (extract, re's `match --html`, an outside plugin that works on
 * parsed pages).  The functions below look the service up through the host
 * (pipe_service_get) and call it: no plugin links against another one, so
 * this works the same for built-in plugins and for shared objects.  A
 * plugin that uses them lists "html" in its descriptor's `requires`; the
 * host then refuses to start without the html plugin, and the service is
 * always there.  Using this header needs libxml2's headers (pkg-config
 * libxml-2.0): the tree is libxml2's.
 *
 * Ownership rule: a Document userdata owns its xmlDoc and frees it in __gc;
 * a Node userdata holds an xmlNodePtr plus a reference to its Document (its
 * user value), so a node never outlives the tree it points into.  Functions
 * here that return `char *` return malloc'd memory the caller frees; an
 * xmlDoc from pipe_html_parse belongs to the caller (xmlFreeDoc).
 * Removing a node unlinks it and hands it to the Document, which frees it
 * with the tree; Node userdata pointing at it stay valid (detached).
 *
 * Caveats: libxml2 allocates through the worker's memory budget (the html
 * plugin hooks it), so a tree freed with xmlFreeDoc is released from that
 * budget too.  A function that walks the tree while it allocates Lua
 * values brackets the walk with pipe_html_walk_begin/pipe_html_walk_end: a
 * finalizer run by the collector meanwhile could otherwise close the
 * Document or edit the tree under it.
 */
#ifndef PIPE_HTML_H
#define PIPE_HTML_H

#include <stddef.h>

#include <lauxlib.h>
#include <lua.h>
#include <libxml/tree.h>

#include "pipe/plugin.h"

#define PIPE_DOCUMENT_MT "pipe.Document"
#define PIPE_NODE_MT "pipe.Node"

#define PIPE_HTML_SERVICE "html"
#define PIPE_HTML_VERSION 3

/* The service table (what pipe_service_get(PIPE_HTML_SERVICE,
 * PIPE_HTML_VERSION) returns); call it through the functions below. */
typedef struct pipe_html_api {
    xmlDocPtr (*parse)(const char *data, size_t len, const char *encoding,
                       const char *url, char *used, size_t usedsz,
                       char **err);
    void (*push_document)(lua_State *L, const char *data, size_t len,
                          const char *encoding, const char *url);
    xmlDocPtr (*check_doc)(lua_State *L, int idx);
    xmlNodePtr (*check_node)(lua_State *L, int idx);
    void (*push_node)(lua_State *L, int owner, xmlNodePtr node);
    void (*text)(luaL_Buffer *b, xmlNodePtr node, const char *block_sep);
    char *(*text_alloc)(xmlNodePtr node, const char *block_sep, size_t *len);
    int (*is_hidden)(const char *tag);
    int (*is_block)(const char *tag);
    char *(*strip)(xmlNodePtr node, int links, size_t *len);
    /* version 2 */
    void *(*walk_begin)(lua_State *L, int idx);
    void (*walk_end)(void *walk);
    /* version 3 */
    int (*each_tag)(lua_State *L, int idx, const char *tag,
                    int (*fn)(void *ud, xmlNodePtr node), void *ud);
} pipe_html_api;

/* (looked up once per translation unit: a plugin's service table lives
 * as long as the process; pipe_service_get compares names) */
static inline const pipe_html_api *pipe_html_api_get(void)
{
    static const pipe_html_api *api;
    if (api == NULL)
        api = (const pipe_html_api *)pipe_service_get(PIPE_HTML_SERVICE,
                                                      PIPE_HTML_VERSION);
    return api;
}

/* The html plugin's own files define the functions below themselves
 * (plugins/html/service.h); everyone else calls them through the
 * service. */
#ifndef PIPE_HTML_PROVIDER

/* Like pipe_html_parse, with the document URL (`url`, may be NULL: it
 * becomes doc->URL, what doc:url() falls back on) and the name of the
 * encoding actually used copied into `used` (lowercase, e.g. "utf-8",
 * "windows-1251"; may be NULL).  An empty or hopeless input gives an empty
 * page (<html><head></head><body></body></html>), never NULL; NULL means
 * out-of-memory or an unknown forced `encoding`. */
static inline xmlDocPtr pipe_html_parse_ex(const char *data, size_t len,
                                           const char *encoding,
                                           const char *url, char *used,
                                           size_t usedsz, char **err)
{
    return pipe_html_api_get()->parse(data, len, encoding, url, used, usedsz,
                                      err);
}

/* Parse HTML bytes into a tree, converting to UTF-8.  `encoding` forces the
 * input encoding (NULL: detect from BOM, <meta charset>, UTF-8 validity).
 * Returns NULL and sets *err (malloc'd) on failure. */
static inline xmlDocPtr pipe_html_parse(const char *data, size_t len,
                                        const char *encoding, char **err)
{
    return pipe_html_parse_ex(data, len, encoding, NULL, NULL, 0, err);
}

/* Parse and push a Document userdata (what html.parse returns); raises
 * on out-of-memory or an unknown `encoding`. */
static inline void pipe_html_push_document(lua_State *L, const char *data,
                                           size_t len, const char *encoding,
                                           const char *url)
{
    pipe_html_api_get()->push_document(L, data, len, encoding, url);
}

/* The xmlDoc behind a Document argument; raises a type error otherwise
 * (and when the document is closed). */
static inline xmlDocPtr pipe_html_check_doc(lua_State *L, int idx)
{
    return pipe_html_api_get()->check_doc(L, idx);
}

/* The node behind a Node argument, or the root element of a Document
 * argument; raises a type error otherwise. */
static inline xmlNodePtr pipe_html_check_node(lua_State *L, int idx)
{
    return pipe_html_api_get()->check_node(L, idx);
}

/* Push a Node userdata for `node`, kept alive by the Document (or Node) at
 * stack index `owner`. */
static inline void pipe_html_push_node(lua_State *L, int owner,
                                       xmlNodePtr node)
{
    pipe_html_api_get()->push_node(L, owner, node);
}

/* Readable text of a subtree: entities decoded, whitespace collapsed, block
 * elements and <br> become line breaks (blocks separated by `block_sep`,
 * "\n" or "\n\n"), script/style/template/noscript/svg skipped.  Appends to
 * `b`. */
static inline void pipe_html_text(luaL_Buffer *b, xmlNodePtr node,
                                  const char *block_sep)
{
    pipe_html_api_get()->text(b, node, block_sep);
}

/* Like pipe_html_text, into a malloc'd NUL-terminated string (length in
 * *len); NULL on out-of-memory. */
static inline char *pipe_html_text_alloc(xmlNodePtr node,
                                         const char *block_sep, size_t *len)
{
    return pipe_html_api_get()->text_alloc(node, block_sep, len);
}

/* Elements whose content never appears in text (head, title, script,
 * style, template, noscript, svg, iframe), and block elements (text
 * boundaries), by lowercase tag name. */
static inline int pipe_html_is_hidden(const char *tag)
{
    return pipe_html_api_get()->is_hidden(tag);
}

static inline int pipe_html_is_block(const char *tag)
{
    return pipe_html_api_get()->is_block(tag);
}

/* The whole page as readable plain text (what `pipe strip` prints):
 * blocks separated by a blank line, headings on their own lines, <br> as a
 * newline, list items as "- item", table cells separated by tabs, <head>,
 * script/style/noscript/template/svg dropped.  With `links`, link targets
 * are appended as numbered references.  Returns malloc'd UTF-8 text and its
 * length in *len, or NULL on out-of-memory. */
static inline char *pipe_html_strip(xmlNodePtr node, int links, size_t *len)
{
    return pipe_html_api_get()->strip(node, links, len);
}

/* Mark the Document of the Node or Document argument at `idx` as walked
 * (raises when it is not one): until the matching pipe_html_walk_end, an
 * edit of it raises and doc:close() only hides it (the tree is freed when
 * the walk ends).  Walks nest.  Returns the handle for walk_end.  Call it
 * after the arguments are read (reading them can run Lua code), and take
 * the node pointers again after it. */
static inline void *pipe_html_walk_begin(lua_State *L, int idx)
{
    return pipe_html_api_get()->walk_begin(L, idx);
}

static inline void pipe_html_walk_end(void *walk)
{
    pipe_html_api_get()->walk_end(walk);
}

/* The elements named `tag` (lowercase) of the Document at `idx`, from its
 * element index instead of a walk: calls fn(ud, node) for each one still
 * in the document, in document order, until fn returns nonzero (then
 * returns 1; 0 when all were seen).  Returns -1, calling nothing, when
 * the value is not an open Document or the document has no index: the
 * native CSS matcher's, kept from doc:index() (or a document's 8th query)
 * until an edit other than a removal or an unwrap, and made now when
 * doc:index() asked for one.  Without the index the caller walks the tree
 * itself.  Like the index, it leaves out the content of <template>
 * elements when the page has one.  Call it between pipe_html_walk_begin and _end when fn can run
 * Lua code or allocate Lua values.  (Version 3 of the service.) */
static inline int pipe_html_each_tag(lua_State *L, int idx, const char *tag,
                                     int (*fn)(void *ud, xmlNodePtr node),
                                     void *ud)
{
    return pipe_html_api_get()->each_tag(L, idx, tag, fn, ud);
}

#endif /* PIPE_HTML_PROVIDER */

#endif
