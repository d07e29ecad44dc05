/*
 * html plugin: parse pages with libxml2's HTML parser, select with CSS or
 * XPath, read text and attributes, edit the tree.  (The text rules and the
 * `strip` command live in strip.c, the `select` command in select.c, the
 * CSS compiler in css.c, the native CSS matcher in cssmatch.c, XPath
 * compilation and evaluation in xpath.c, encoding detection and
 * conversion in encoding.c.)
 *
 * Lua: html.parse(s [, {encoding=, url=, charset=}]) -> Document, html.strip,
 * html.xpath_of(css), html.absolute(href, base); Document and Node methods
 * as docs/design.md lists.
 *
 * Caveats:
 * - Encoding: libxml2 2.9.14 guesses Latin-1 for non-ASCII bytes before a
 *   <meta charset>, so encoding.c settles the encoding first and converts
 *   the bytes to clean UTF-8 (invalid sequences and C0 controls become
 *   U+FFFD); the parser is told "UTF-8" and to ignore the document's own
 *   hint.
 * - libxml2 reports errors through a global handler unless told otherwise:
 *   parsing installs a structured handler that drops them, and XPath
 *   contexts carry their own handler that records the first message.
 * - Removed nodes are unlinked and chained on the Document (parent NULL,
 *   linked through next/prev) and freed with it, so a Node userdata never
 *   dangles.  Only element nodes become Node userdata: XPath results that
 *   are text or attribute nodes are returned as strings, because libxml2
 *   merges and frees text nodes when the tree is edited.
 * - XPath evaluation runs with an operation limit (libxml2's opLimit), as
 *   Lua's count hook never fires inside C.
 * - select/first/remove run a selector in cssmatch.c's subset with the
 *   native matcher, never its XPath (docs/design.md); the results must
 *   stay the XPath's node for node (tests/e2e/css_native.sh, with the
 *   PIPE_CSS_XPATH=1 test knob).  remove collects all matches before it
 *   detaches any, as the XPath node-set did.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include <libxml/HTMLparser.h>
#include <libxml/HTMLtree.h>
#include <libxml/xmlmemory.h>
#include <libxml/uri.h>
#include <libxml/xmlerror.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "css.h"
#include "cssmatch.h"
#include "encoding.h"
#include "pipe/html.h"
#include "pipe/plugin.h"
#include "pipe/re.h"
#include "pipe/util.h"
#include "select.h"
#include "service.h"
#include "strip.h"
#include "xpath.h"

#define ARENA_MIN_INPUT 8192 /* documents from inputs this long: arenas */
#define CACHE_MAX 2000

/* ------------------------------------------------------------------ */
/* Parsing                                                             */

static int is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static void silent_error(void *ud, xmlErrorPtr e)
{
    (void)ud;
    (void)e;
}

static char *strdup_msg(const char *m)
{
    char *s = malloc(strlen(m) + 1);
    if (s)
        strcpy(s, m);
    return s;
}

/*
 * The parse's budget (pipe_mem_grace_begin in include/pipe/plugin.h):
 * libxml2 2.9.14 can loop for ever after a refused allocation, so a parse
 * is granted a little past --max-memory and stopped at its next element,
 * text or comment once it went over.  The default callbacks are kept
 * here (they are the same for every context: SAX2's HTML handler).
 */
static startElementSAXFunc sax_start;
static endElementSAXFunc sax_end;
static charactersSAXFunc sax_text, sax_cdata;
static commentSAXFunc sax_comment;

/* Whether the parse under way met a <template> start tag (the tree then
 * holds a <template> element): 0 or 1, -1 when the handler could not be
 * hooked (unknown).  One parse runs at a time. */
static int sax_templates;

static void sax_check(void *ctx)
{
    if (pipe_mem_over())
        xmlStopParser(ctx);
}

static void budget_start(void *ctx, const xmlChar *name, const xmlChar **atts)
{
    if (name[0] == 't' && strcmp((const char *)name, "template") == 0)
        sax_templates = 1;
    sax_start(ctx, name, atts);
    sax_check(ctx);
}

static void budget_end(void *ctx, const xmlChar *name)
{
    sax_end(ctx, name);
    sax_check(ctx);
}

static void budget_text(void *ctx, const xmlChar *ch, int len)
{
    sax_text(ctx, ch, len);
    sax_check(ctx);
}

static void budget_cdata(void *ctx, const xmlChar *ch, int len)
{
    sax_cdata(ctx, ch, len);
    sax_check(ctx);
}

static void budget_comment(void *ctx, const xmlChar *text)
{
    sax_comment(ctx, text);
    sax_check(ctx);
}

/* Put the budget checks into ctxt's handler (once the defaults are
 * known; a handler without one of them is left as it is: returns 0). */
static int budget_hook(htmlParserCtxtPtr ctxt)
{
    xmlSAXHandlerPtr h = ctxt->sax;
    if (h == NULL || h->startElement == NULL || h->endElement == NULL ||
        h->characters == NULL || h->cdataBlock == NULL || h->comment == NULL)
        return 0;
    if (sax_start == NULL) {
        sax_start = h->startElement;
        sax_end = h->endElement;
        sax_text = h->characters;
        sax_cdata = h->cdataBlock;
        sax_comment = h->comment;
    }
    h->startElement = budget_start;
    h->endElement = budget_end;
    h->characters = budget_text;
    h->cdataBlock = budget_cdata;
    h->comment = budget_comment;
    return 1;
}

/*
 * The parse, with the tree in an arena of its own (core/mem.c) when
 * `arena`: every libxml2 allocation of the parse (parser context,
 * dictionary, nodes, strings) comes from it, and pipe_html_free_doc drops
 * it in one go.  What libxml2 keeps past a parse is the global last error
 * (its strings would be arena blocks): it is cleared before the window
 * closes.  doc->_private holds the arena (NULL: an ordinary tree).
 * *templates (when not NULL): whether the tree holds a <template>
 * element, -1 when that is not known.
 */
static xmlDocPtr parse_doc(const char *data, size_t len, const char *encoding,
                           const char *url, char *used, size_t usedsz,
                           char **err, int arena, int *templates)
{
    size_t n = 0;
    char *clean = pipe_enc_to_utf8(data, len, encoding, used, usedsz, &n,
                                   err);
    if (clean == NULL)
        return NULL;

    pipe_arena *a = arena ? pipe_arena_begin() : NULL;
    htmlParserCtxtPtr ctxt = htmlNewParserCtxt();
    if (ctxt == NULL) {
        pipe_arena_free(a);
        free(clean);
        *err = strdup_msg("out of memory");
        return NULL;
    }
    xmlStructuredErrorFunc old = xmlStructuredError;
    void *oldctx = xmlStructuredErrorContext;
    xmlGenericErrorFunc oldgen = xmlGenericError;
    void *oldgenctx = xmlGenericErrorContext;
    xmlSetStructuredErrorFunc(NULL, silent_error);
    xmlSetGenericErrorFunc(NULL, pipe_xpath_silent);
    int opts = HTML_PARSE_RECOVER | HTML_PARSE_NONET | HTML_PARSE_NOERROR |
               HTML_PARSE_NOWARNING | HTML_PARSE_COMPACT |
               HTML_PARSE_IGNORE_ENC | XML_PARSE_HUGE;
    /* no ID table: libxml2 2.9.14's stops growing at 16,384 buckets
     * (320,000 ids: 2.8 s to parse instead of 0.8 s, and past the
     * budget it looped); XPath's id() is xpath.c's */
    ctxt->loadsubset |= XML_SKIP_IDS;
    int hooked = budget_hook(ctxt);
    sax_templates = hooked ? 0 : -1;
    pipe_mem_grace_begin();
    xmlDocPtr doc = htmlCtxtReadMemory(ctxt, clean, (int)n, url, "UTF-8",
                                       opts);
    int over = pipe_mem_over();
    if (over && doc != NULL) {
        /* stopped at the budget: a part of a page is not a page */
        xmlFreeDoc(doc);
        doc = NULL;
    }
    if (doc != NULL && xmlDocGetRootElement(doc) == NULL) {
        xmlFreeDoc(doc);
        doc = NULL;
    }
    if (doc == NULL && !over) {
        /* empty or hopeless input: an empty page, never a failure */
        static const char empty[] = "<html><head></head><body></body></html>";
        htmlCtxtReset(ctxt);
        sax_templates = hooked ? 0 : -1;
        doc = htmlCtxtReadMemory(ctxt, empty, (int)sizeof empty - 1, url,
                                 "UTF-8", opts);
    }
    pipe_mem_grace_end();
    xmlSetStructuredErrorFunc(oldctx, old);
    xmlSetGenericErrorFunc(oldgenctx, oldgen);
    htmlFreeParserCtxt(ctxt);
    if (a != NULL)
        xmlResetLastError();
    pipe_arena_end(a);
    free(clean);
    if (doc == NULL) {
        pipe_arena_free(a);
        *err = strdup_msg("out of memory");
        return NULL;
    }
    doc->_private = a;
    if (templates != NULL)
        *templates = sax_templates;
    return doc;
}

xmlDocPtr pipe_html_parse_ex(const char *data, size_t len,
                             const char *encoding, const char *url,
                             char *used, size_t usedsz, char **err)
{
    /* the service's parse: a tree the caller frees with xmlFreeDoc */
    return parse_doc(data, len, encoding, url, used, usedsz, err, 0, NULL);
}

void pipe_html_free_doc(xmlDocPtr doc, int edited)
{
    if (doc == NULL)
        return;
    pipe_arena *a = doc->_private;
    if (a == NULL || edited) {
        xmlFreeDoc(doc);
    } else if (doc->dict != NULL) {
        /* an unedited arena tree holds nothing but arena blocks and the
         * heap blocks its arena lists: no walk; only the dictionary is
         * let go, as xmlFreeDoc would (a lookup after the parse, by a
         * method that added a name, may have grown it on the heap) */
        xmlDictFree(doc->dict);
    }
    pipe_arena_free(a);
}

xmlDocPtr pipe_html_parse_input(pipe_host *host, const pipe_input *in)
{
    char *err = NULL, hinted[48];
    /* a page from an archive: its HTTP charset and URL */
    const char *enc =
        pipe_enc_hint(in->data, in->len, in->charset, hinted, sizeof hinted)
            ? hinted
            : NULL;
    xmlDocPtr doc =
        parse_doc(in->data, in->len, enc, in->url, NULL, 0, &err, 1, NULL);
    if (doc == NULL) {
        pipe_host_fail(host, in->source, "%s", err ? err : "out of memory");
        free(err);
    }
    return doc;
}

/* ------------------------------------------------------------------ */
/* Releases for boxes (pipe_box, include/pipe/util.h)                */

static void release_xmlfree(void *p)
{
    xmlFree(p);
}

static void release_xpobj(void *p)
{
    xmlXPathFreeObject(p);
}

static void release_xpcomp(void *p)
{
    xmlXPathFreeCompExpr(p);
}

/* A compiled CSS selector: its XPath, and the native matcher when the
 * selector lies in cssmatch.c's subset (then the XPath is never run). */
typedef struct css_sel {
    xmlXPathCompExprPtr xp;
    pipe_cssm *nat;
} css_sel;

static void release_css(void *p)
{
    css_sel *s = p;
    if (s == NULL)
        return;
    if (s->xp != NULL)
        xmlXPathFreeCompExpr(s->xp);
    pipe_cssm_free(s->nat);
    free(s);
}

static void release_xpctx(void *p)
{
    xmlXPathFreeContext(p);
}

static void release_outbuf(void *p)
{
    xmlOutputBufferClose(p);
}

/* ------------------------------------------------------------------ */
/* Document and Node userdata                                          */

typedef struct html_doc {
    xmlDocPtr doc;
    xmlNodePtr removed; /* unlinked nodes: parent NULL, chained by next */
    char encoding[48];
    int templates;      /* holds a <template>: -1 unknown, 0, 1 */
    xmlXPathContextPtr xpctx; /* made on the first query, kept: building
                               * one registers every XPath function */
    int readonly;       /* doc:readonly(true): edits raise */
    int busy;           /* walks in progress (walk_begin/walk_end) */
    int closed;         /* closed by the user: gone for Lua; freed when
                         * no walk is in progress */
    int edited;         /* an edit other than a removal ran: the tree
                         * may hold blocks from outside its arena
                         * (pipe_html_free_doc) */
    pipe_cssm_index *index; /* for native queries; NULL: none (yet) */
    int walks;          /* native walks since the index was last dropped */
    int want_index;     /* doc:index(): many queries to come */
    int no_index;       /* walk: PIPE_CSS_INDEX=0, or building the index
                         * ran out of memory */
} html_doc;

typedef struct html_node {
    xmlNodePtr node;
} html_node;

/* The two metatables are also in the registry under these addresses:
 * a type check then costs a pointer-keyed lookup instead of
 * luaL_testudata's by name (an interned-string lookup and a strcmp), and
 * an html method makes several. */
static const char node_mt_key = 'N';
static const char doc_mt_key = 'D';

static html_node *test_node(lua_State *L, int idx)
{
    return pipe_test_udata(L, idx, &node_mt_key);
}

static html_doc *test_doc(lua_State *L, int idx)
{
    return pipe_test_udata(L, idx, &doc_mt_key);
}

/* A Node argument and its open Document (*dp); NULL when the value is
 * not a Node.  Raises "document is closed" as pipe_html_check_node. */
static html_node *node_of(lua_State *L, int idx, html_doc **dp)
{
    html_node *n = test_node(L, idx);
    if (n == NULL)
        return NULL;
    lua_getiuservalue(L, idx, 1);
    html_doc *d = lua_touserdata(L, -1);
    lua_pop(L, 1);
    if (d == NULL || d->doc == NULL || d->closed)
        luaL_argerror(L, idx, "document is closed");
    *dp = d;
    return n;
}

static void doc_release(html_doc *d)
{
    pipe_cssm_index_free(d->index);
    d->index = NULL;
    if (d->xpctx != NULL) {
        xmlXPathFreeContext(d->xpctx);
        d->xpctx = NULL;
    }
    if (d->removed != NULL) {
        /* removed from an arena tree that no other edit touched: arena
         * blocks, which go with the arena */
        if (d->doc == NULL || d->doc->_private == NULL || d->edited)
            xmlFreeNodeList(d->removed);
        d->removed = NULL;
    }
    if (d->doc != NULL) {
        pipe_html_free_doc(d->doc, d->edited);
        d->doc = NULL;
    }
}

/*
 * A method that walks the tree while it allocates Lua values can run a
 * collection step, and so a finalizer, in between: one that closed the
 * document or edited the tree (an edit can free attribute and text nodes)
 * would pull the nodes out from under the walk.  walk_begin() marks the
 * document busy for the walk, walk_end() unmarks it: meanwhile an edit
 * raises, and a close only hides the document, which is freed when the
 * last walk ends (or by __gc).  A counter rather than stopping the
 * collector: restarting it resets its debt, which forced a collection step
 * after every method call.  An out-of-memory error inside a walk leaves
 * the count up: the document then refuses edits, and is freed by __gc.
 */
static void walk_begin(html_doc *d)
{
    d->busy++;
}

static void walk_end(html_doc *d)
{
    if (--d->busy == 0 && d->closed)
        doc_release(d);
}

/* __gc: the userdata is unreachable, so no walk can still use it */
static int doc_gc(lua_State *L)
{
    html_doc *d = luaL_checkudata(L, 1, PIPE_DOCUMENT_MT);
    d->closed = 1;
    doc_release(d);
    return 0;
}

static html_doc *check_docud(lua_State *L, int idx)
{
    html_doc *d = luaL_checkudata(L, idx, PIPE_DOCUMENT_MT);
    if (d->doc == NULL || d->closed)
        luaL_argerror(L, idx, "document is closed");
    return d;
}

xmlDocPtr pipe_html_check_doc(lua_State *L, int idx)
{
    return check_docud(L, idx)->doc;
}

xmlNodePtr pipe_html_check_node(lua_State *L, int idx)
{
    html_doc *d;
    html_node *n = node_of(L, idx, &d);
    if (n != NULL)
        return n->node;
    if (test_doc(L, idx) != NULL) {
        xmlNodePtr root = xmlDocGetRootElement(check_docud(L, idx)->doc);
        if (root == NULL)
            luaL_argerror(L, idx, "document is empty");
        return root;
    }
    luaL_typeerror(L, idx, "pipe.Node or pipe.Document");
    return NULL;
}

void *pipe_html_walk_begin(lua_State *L, int idx)
{
    html_doc *d;
    if (node_of(L, idx, &d) == NULL)
        d = check_docud(L, idx);
    walk_begin(d);
    return d;
}

void pipe_html_walk_end(void *walk)
{
    if (walk != NULL)
        walk_end(walk);
}

void pipe_html_push_node(lua_State *L, int owner, xmlNodePtr node)
{
    owner = lua_absindex(L, owner);
    html_node *n = lua_newuserdatauv(L, sizeof *n, 1);
    n->node = node;
    lua_rawgetp(L, LUA_REGISTRYINDEX, &node_mt_key);
    lua_setmetatable(L, -2);
    if (test_node(L, owner) != NULL)
        lua_getiuservalue(L, owner, 1);
    else
        lua_pushvalue(L, owner);
    lua_setiuservalue(L, -2, 1);
}

/* The node behind argument idx and its owning document (a Document
 * argument means its root element, or the document node itself when
 * `docnode`). */
static xmlNodePtr arg_context(lua_State *L, int idx, html_doc **dp, int docnode)
{
    html_node *n = node_of(L, idx, dp);
    if (n != NULL)
        return n->node;
    html_doc *d = test_doc(L, idx);
    if (d == NULL)
        luaL_typeerror(L, idx, "pipe.Node or pipe.Document");
    if (d->doc == NULL || d->closed)
        luaL_argerror(L, idx, "document is closed");
    *dp = d;
    if (docnode)
        return (xmlNodePtr)d->doc;
    xmlNodePtr root = xmlDocGetRootElement(d->doc);
    if (root == NULL)
        luaL_argerror(L, idx, "document is empty");
    return root;
}

static void detach(html_doc *d, xmlNodePtr node)
{
    if (node->parent == NULL || node->type == XML_DOCUMENT_NODE ||
        node->type == XML_HTML_DOCUMENT_NODE)
        return; /* already removed */
    xmlUnlinkNode(node);
    node->parent = NULL;
    node->prev = NULL;
    node->next = d->removed;
    if (d->removed != NULL)
        d->removed->prev = node;
    d->removed = node;
}

/* ------------------------------------------------------------------ */
/* Compiled XPath cache                                                */

/* Each compiled expression is held by a box (release_xpcomp) in a
 * per-state cache table, so it is freed when forgotten or at close. */

#define COMPILE_CTX_KEY "pipe.html.xpath_compile_ctx"

/* The context this state compiles expressions in, made once (its box lives
 * in the registry). */
static xmlXPathContextPtr compile_ctx(lua_State *L)
{
    if (lua_getfield(L, LUA_REGISTRYINDEX, COMPILE_CTX_KEY) == LUA_TUSERDATA) {
        xmlXPathContextPtr c = ((pipe_box *)lua_touserdata(L, -1))->p;
        lua_pop(L, 1);
        return c;
    }
    lua_pop(L, 1);
    pipe_box *b = pipe_box_new(L, release_xpctx);
    b->p = pipe_xpath_context(NULL);
    if (b->p == NULL)
        luaL_error(L, "out of memory");
    xmlXPathContextPtr c = b->p;
    lua_setfield(L, LUA_REGISTRYINDEX, COMPILE_CTX_KEY);
    return c;
}

/* The compiled expressions of this state: registry[&cache_key] holds
 * [1] the CSS selectors' table, [2] the XPaths', by source text (keys
 * by address and index: no C string to intern on every query). */
static const char cache_key = 'C';

/* Push the cache table of CSS selectors (css) or XPaths (!css). */
static void push_cache(lua_State *L, int css)
{
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &cache_key) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_createtable(L, 2, 0);
        lua_pushvalue(L, -1);
        lua_rawsetp(L, LUA_REGISTRYINDEX, &cache_key);
    }
    if (lua_rawgeti(L, -1, css ? 1 : 2) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_rawseti(L, -3, css ? 1 : 2);
    }
    lua_remove(L, -2);
}

/* Compile (or fetch) the expression for the string at arg; `css` says
 * which language.  Leaves the compiled userdata on the stack; returns an
 * xmlXPathCompExprPtr (XPath) or a css_sel * (CSS).
 *
 * A CSS selector is compiled to XPath even when the native matcher will
 * run it, so that both paths accept and reject exactly the same
 * selectors with the same messages.  PIPE_CSS_XPATH=1 in the environment
 * turns the native matcher off (a test knob: tests/e2e/css_native.sh
 * compares the two paths). */
static void *get_compiled(lua_State *L, int arg, int css)
{
    const char *src = luaL_checkstring(L, arg);
    push_cache(L, css);
    lua_pushvalue(L, arg);
    if (lua_rawget(L, -2) == LUA_TUSERDATA) {
        lua_remove(L, -2);
        return ((pipe_box *)lua_touserdata(L, -1))->p;
    }
    lua_pop(L, 1);
    /* the cache stays bounded: forget everything when it is full */
    lua_getfield(L, -1, "\1n");
    lua_Integer count = lua_tointeger(L, -1);
    lua_pop(L, 1);
    if (count >= CACHE_MAX) {
        lua_pop(L, 1);
        lua_rawgetp(L, LUA_REGISTRYINDEX, &cache_key);
        lua_newtable(L);
        lua_rawseti(L, -2, css ? 1 : 2);
        lua_pop(L, 1);
        push_cache(L, css);
        count = 0;
    }
    xmlXPathContextPtr cctx = compile_ctx(L);
    pipe_box *b = pipe_box_new(L, css ? release_css : release_xpcomp);
    pipe_xerr xe = {{0}, 0};
    if (css) {
        css_sel *sel = calloc(1, sizeof *sel);
        if (sel == NULL)
            luaL_error(L, "out of memory");
        b->p = sel;
        size_t off = 0;
        const char *reason = NULL;
        const char *knob = getenv("PIPE_CSS_XPATH");
        int native = knob == NULL || strcmp(knob, "1") != 0;
        char *xp = pipe_css_compile(src, &off, &reason,
                                    native ? &sel->nat : NULL);
        if (xp == NULL)
            luaL_error(L, "bad selector '%s' at offset %d: %s", src, (int)off,
                       reason);
        sel->xp = pipe_xpath_compile_in(cctx, xp, &xe);
        free(xp);
        if (sel->xp == NULL)
            luaL_error(L, "bad selector '%s': %s", src, xe.msg);
    } else {
        b->p = pipe_xpath_compile_in(cctx, src, &xe);
        if (b->p == NULL)
            luaL_error(L, "bad xpath '%s': %s", src, xe.msg);
    }
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, src);
    lua_pushinteger(L, count + 1);
    lua_setfield(L, -3, "\1n");
    lua_remove(L, -2);
    return b->p;
}

/* Evaluate into a box pushed on the stack (freed by pipe_box_done or GC).
 * Raises with the expression quoted when evaluation fails. */
static xmlXPathObjectPtr evaluate(lua_State *L, xmlXPathCompExprPtr comp,
                                  html_doc *d, xmlNodePtr ctxnode,
                                  const char *src, pipe_box **bp)
{
    pipe_box *b = pipe_box_new(L, release_xpobj);
    pipe_xerr xe = {{0}, 0};
    if (d->xpctx == NULL) {
        d->xpctx = pipe_xpath_context(d->doc);
        if (d->xpctx == NULL)
            luaL_error(L, "out of memory");
    }
    /* the context is reused: pipe_xpath_eval sets again everything a
     * previous query may have left */
    xmlXPathObjectPtr res = pipe_xpath_eval(d->xpctx, comp, ctxnode, &xe);
    b->p = res;
    if (res == NULL)
        luaL_error(L, "xpath '%s' failed: %s", src,
                   xe.set ? xe.msg : "evaluation error");
    *bp = b;
    return res;
}

/* Run a CSS selector (css=1) or XPath (css=0) from argument 2 against the
 * context at argument 1; leaves [compiled, box] on the stack. */
static xmlXPathObjectPtr run_query(lua_State *L, int css, html_doc **dp,
                                   pipe_box **bp)
{
    html_doc *d;
    xmlNodePtr ctxnode = arg_context(L, 1, &d, 1);
    void *c = get_compiled(L, 2, css);
    xmlXPathCompExprPtr comp = css ? ((css_sel *)c)->xp : c;
    *dp = d;
    return evaluate(L, comp, d, ctxnode, lua_tostring(L, 2), bp);
}

/* Skip <template> content in CSS matches (see xpath.h); asked once per
 * document. */
static int doc_has_template(html_doc *d)
{
    if (d->templates < 0)
        d->templates = pipe_xpath_any_template((xmlNodePtr)d->doc);
    return d->templates;
}

/* The native matcher for the selector at argument 2 (compiled, so it
 * raises on a bad selector), or NULL when it runs as XPath.  Leaves the
 * compiled selector on the stack: it keeps the matcher alive through the
 * walk, even if a finalizer's select meanwhile resets the cache. */
static const pipe_cssm *native_of(lua_State *L)
{
    css_sel *sel = get_compiled(L, 2, 1);
    return sel->nat;
}

/* What a native walk's callback needs: the Lua state, the table at
 * `tbl` it fills, and its length so far. */
typedef struct native_out {
    lua_State *L;
    int tbl;
    lua_Integer k;
    int mt, owner; /* push_match: stack slots of the Node metatable and of
                    * the Document the Nodes keep alive */
    xmlNodePtr found; /* note_first: the first match */
    struct node_list *list; /* note_list: the matches */
} native_out;

static int push_match(void *ud, xmlNodePtr node)
{
    native_out *o = ud;
    lua_State *L = o->L;
    /* pipe_html_push_node, with what it looks up per node looked up once */
    html_node *n = lua_newuserdatauv(L, sizeof *n, 1);
    n->node = node;
    lua_pushvalue(L, o->mt);
    lua_setmetatable(L, -2);
    lua_pushvalue(L, o->owner);
    lua_setiuservalue(L, -2, 1);
    lua_rawseti(L, o->tbl, ++o->k);
    return 0;
}

static int note_first(void *ud, xmlNodePtr node)
{
    ((native_out *)ud)->found = node;
    return 1;
}

/* Elements gathered into C memory (a pipe_box owns the list). */
typedef struct node_list {
    xmlNodePtr *v;
    size_t cap;
    int oom;
} node_list;

static void free_node_list(void *p)
{
    node_list *l = p;
    if (l != NULL)
        free(l->v);
    free(l);
}

/* (the list's length is the native_out's k: native_walk resets it when
 * the index's answer is abandoned for a walk) */
static int note_list(void *ud, xmlNodePtr node)
{
    native_out *o = ud;
    node_list *l = o->list;
    if ((size_t)o->k == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        xmlNodePtr *v = realloc(l->v, cap * sizeof *v);
        if (v == NULL) {
            l->oom = 1;
            return 1;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[o->k++] = node;
    return 0;
}

/* Queries of a document that walk its tree before the next one makes the
 * index: a walk costs a fraction of the index, and a document that gets
 * only a few queries (the generic extractor's page, a field's cleaned
 * copy) never repays it. */
#define INDEX_AFTER 7

/* Make the document's element index (no_index when it cannot be made).
 * PIPE_CSS_INDEX=0: never, always walk (a test knob: css_native.sh and
 * test_extract compare the two). */
static void make_index(html_doc *d)
{
    const char *knob = getenv("PIPE_CSS_INDEX");
    if (knob == NULL || strcmp(knob, "0") != 0)
        d->index = pipe_cssm_index_build(d->doc, doc_has_template(d));
    d->no_index = d->index == NULL;
}

/* Walk ctxnode, the context at argument 1 (arg_context's, of document
 * d), with matcher `m` (walk_begin already called), calling fn; a table
 * for it to fill is at `tbl` (or 0).  The walk's stack is boxed on the
 * Lua stack, so a raising push frees it. */
static int native_walk(lua_State *L, html_doc *d, xmlNodePtr ctxnode,
                       const pipe_cssm *m, pipe_cssm_fn fn, native_out *o)
{
    int templates = doc_has_template(d);
    /* the document's index (it costs a few walks): made by the query
     * after INDEX_AFTER walks, or by the first one after doc:index();
     * dropped by an edit other than a removal or an unwrap */
    if (d->index == NULL && !d->no_index &&
        (d->want_index || ++d->walks > INDEX_AFTER))
        make_index(d);
    if (d->index != NULL) {
        lua_pushnil(L); /* where the walk's box would be (html_first) */
        int r = pipe_cssm_query(m, d->index, ctxnode, templates,
                                d->removed != NULL, fn, o);
        if (r != -2)
            return r;
        /* the walk yields again the prefix the query may have found */
        lua_pop(L, 1);
        o->k = 0;
    }
    pipe_box *sb = pipe_box_new(L, pipe_cssm_stack_free);
    sb->p = pipe_cssm_stack_new();
    if (sb->p == NULL)
        luaL_error(L, "out of memory");
    int r = pipe_cssm_walk(m, ctxnode, templates, sb->p, fn, o);
    if (r < 0)
        luaL_error(L, "out of memory");
    pipe_box_done(sb);
    return r;
}

/* ------------------------------------------------------------------ */
/* Shared methods (Document and Node)                                  */

/* -- doc:select(css) -> {Node...} */
static int html_select(lua_State *L)
{
    html_doc *d;
    pipe_box *b;
    xmlNodePtr ctxnode = arg_context(L, 1, &d, 1);
    const pipe_cssm *m = native_of(L);
    walk_begin(d);
    if (m != NULL) {
        lua_rawgetp(L, LUA_REGISTRYINDEX, &node_mt_key);
        if (test_node(L, 1) != NULL)
            lua_getiuservalue(L, 1, 1);
        else
            lua_pushvalue(L, 1);
        lua_newtable(L);
        int top = lua_gettop(L);
        native_out o = {L, top, 0, top - 2, top - 1, NULL, NULL};
        native_walk(L, d, ctxnode, m, push_match, &o);
        lua_settop(L, o.tbl);
        walk_end(d);
        return 1;
    }
    lua_pop(L, 1); /* run_query fetches it again */
    xmlXPathObjectPtr res = run_query(L, 1, &d, &b);
    int n = pipe_xpath_count(res);
    lua_createtable(L, n, 0);
    int k = 0;
    for (int i = 0; i < n; i++) {
        xmlNodePtr node = res->nodesetval->nodeTab[i];
        if (node->type != XML_ELEMENT_NODE ||
            pipe_xpath_in_template(doc_has_template(d), node))
            continue;
        pipe_html_push_node(L, 1, node);
        lua_rawseti(L, -2, ++k);
    }
    pipe_box_done(b);
    walk_end(d);
    return 1;
}

/* The first element the selector at argument 2 matches in the context at
 * argument 1, or NULL; its document in *dp, marked walked (the caller
 * reads the node, then calls walk_end).  The stack is left as it was. */
static xmlNodePtr first_match(lua_State *L, html_doc **dp)
{
    html_doc *d;
    pipe_box *b;
    int top = lua_gettop(L);
    xmlNodePtr ctxnode = arg_context(L, 1, &d, 1);
    const pipe_cssm *m = native_of(L);
    xmlNodePtr found = NULL;
    walk_begin(d);
    *dp = d;
    if (m != NULL) {
        native_out o = {L, 0, 0, 0, 0, NULL, NULL};
        if (native_walk(L, d, ctxnode, m, note_first, &o) == 1)
            found = o.found;
        lua_settop(L, top);
        return found;
    }
    lua_pop(L, 1); /* run_query fetches it again */
    xmlXPathObjectPtr res = run_query(L, 1, &d, &b);
    int n = pipe_xpath_count(res);
    for (int i = 0; i < n && found == NULL; i++) {
        xmlNodePtr node = res->nodesetval->nodeTab[i];
        if (node->type == XML_ELEMENT_NODE &&
            !pipe_xpath_in_template(doc_has_template(d), node))
            found = node;
    }
    pipe_box_done(b);
    lua_settop(L, top);
    return found;
}

/* -- doc:first(css) -> Node|nil */
static int html_first(lua_State *L)
{
    html_doc *d;
    xmlNodePtr node = first_match(L, &d);
    if (node != NULL)
        pipe_html_push_node(L, 1, node);
    else
        lua_pushnil(L);
    walk_end(d);
    return 1;
}

static void push_attr_value(lua_State *L, xmlAttrPtr a)
{
    if (a->children == NULL) {
        lua_pushliteral(L, "");
        return;
    }
    if (a->children->next == NULL) {
        const xmlChar *c = a->children->content;
        lua_pushstring(L, c ? (const char *)c : "");
        return;
    }
    luaL_Buffer lb;
    luaL_buffinit(L, &lb);
    for (xmlNodePtr c = a->children; c != NULL; c = c->next)
        if (c->content != NULL)
            luaL_addstring(&lb, (const char *)c->content);
    luaL_pushresult(&lb);
}

/* -- doc:xpath(expr) -> {Node|string...}|string|number|boolean */
static int html_xpath(lua_State *L)
{
    html_doc *d;
    pipe_box *b;
    arg_context(L, 1, &d, 1);
    get_compiled(L, 2, 0);
    lua_pop(L, 1);
    walk_begin(d);
    xmlXPathObjectPtr res = run_query(L, 0, &d, &b);
    switch (res->type) {
    case XPATH_NODESET: {
        int n = pipe_xpath_count(res);
        lua_createtable(L, n, 0);
        for (int i = 0; i < n; i++) {
            xmlNodePtr node = res->nodesetval->nodeTab[i];
            switch (node->type) {
            case XML_ELEMENT_NODE:
                pipe_html_push_node(L, 1, node);
                break;
            case XML_ATTRIBUTE_NODE:
                push_attr_value(L, (xmlAttrPtr)node);
                break;
            case XML_DOCUMENT_NODE:
            case XML_HTML_DOCUMENT_NODE: {
                xmlNodePtr root = xmlDocGetRootElement(d->doc);
                if (root == NULL)
                    continue;
                pipe_html_push_node(L, 1, root);
                break;
            }
            default:
                lua_pushstring(L, node->content ? (const char *)node->content
                                                : "");
                break;
            }
            lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
        }
        break;
    }
    case XPATH_BOOLEAN:
        lua_pushboolean(L, res->boolval);
        break;
    case XPATH_NUMBER:
        if (res->floatval == (double)(lua_Integer)res->floatval &&
            res->floatval > -9e15 && res->floatval < 9e15)
            lua_pushinteger(L, (lua_Integer)res->floatval);
        else
            lua_pushnumber(L, res->floatval);
        break;
    case XPATH_STRING:
        lua_pushstring(L, res->stringval ? (const char *)res->stringval : "");
        break;
    default:
        lua_pushnil(L);
        break;
    }
    pipe_box_done(b);
    walk_end(d);
    return 1;
}

static void lua_sink(void *ud, const char *s, size_t n)
{
    luaL_addlstring((luaL_Buffer *)ud, s, n);
}

void pipe_html_text(luaL_Buffer *b, xmlNodePtr node, const char *block_sep)
{
    pipe_render(node, PIPE_RENDER_TEXT, block_sep, 0, NULL, lua_sink, b);
}

/* {nbsp = true} at argument idx -> PIPE_RENDER_NBSP */
static int nbsp_flag(lua_State *L, int idx)
{
    if (lua_isnoneornil(L, idx))
        return 0;
    luaL_checktype(L, idx, LUA_TTABLE);
    lua_getfield(L, idx, "nbsp");
    int on = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return on ? PIPE_RENDER_NBSP : 0;
}

/* -- node:text([{nbsp = true}]) -> string */
static int html_text(lua_State *L)
{
    html_doc *d;
    xmlNodePtr node = arg_context(L, 1, &d, 0);
    int flags = 0;
    if (!lua_isnoneornil(L, 2)) {
        flags = nbsp_flag(L, 2);
        node = arg_context(L, 1, &d, 0); /* (nbsp_flag may run metamethods) */
    }
    walk_begin(d);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    pipe_render(node, PIPE_RENDER_TEXT, "\n\n", flags, NULL, lua_sink, &b);
    luaL_pushresult(&b);
    walk_end(d);
    return 1;
}

/* pipe_buf_add as a pipe_sink_fn */
static void buf_sink(void *ud, const char *s, size_t n)
{
    pipe_buf_add(ud, s, n);
}

static void free_buf(void *p)
{
    pipe_buf_free(p);
    free(p);
}

/* The texts (:text()) of the nodes v[0 .. n) of d, from one walk of the
 * document: node i's text is (*bufp)->p[off[2i] .. off[2i + 1]).  A node
 * whose text is not a stretch of the document's (in <head> or other
 * skipped content, inside <pre>) is rendered alone after the walk.  Call
 * it within a walk of d (walk_begin); it leaves the five boxes that own
 * the buffer and the offsets on the stack.  Returns -1 when memory ran
 * out while rendering (the caller ends its walk, then raises). */
static int render_texts(lua_State *L, html_doc *d, xmlNodePtr *v, size_t n,
                        pipe_buf **bufp, size_t **offp)
{
    size_t m = n > 0 ? n : 1;
    pipe_box *sb = pipe_box_new(L, free);
    pipe_box *wb = pipe_box_new(L, free);
    pipe_box *ob = pipe_box_new(L, free);
    pipe_box *bb = pipe_box_new(L, free_buf);
    pipe_box *tb = pipe_box_new(L, free);
    sb->p = calloc(m, sizeof(pipe_span));
    wb->p = calloc(m, sizeof(size_t));
    ob->p = calloc(2 * m, sizeof(size_t));
    bb->p = calloc(1, sizeof(pipe_buf));
    tb->p = malloc(pipe_span_slots(n) * sizeof(size_t));
    if (sb->p == NULL || wb->p == NULL || ob->p == NULL || bb->p == NULL ||
        tb->p == NULL)
        return -1;
    pipe_span *spans = sb->p;
    size_t *off = ob->p;
    pipe_buf *buf = bb->p;
    for (size_t i = 0; i < n; i++) {
        spans[i].node = v[i];
        spans[i].index = i;
    }
    pipe_render_spans((xmlNodePtr)d->doc, 0, spans, n, wb->p, tb->p,
                      buf_sink, buf);
    for (size_t k = 0; k < n; k++) {
        const pipe_span *sp = &spans[k];
        size_t i = sp->index;
        if (sp->state == PIPE_SPAN_DONE) {
            off[2 * i] = sp->start;
            off[2 * i + 1] = sp->end;
        } else {
            off[2 * i] = buf->len;
            pipe_render(sp->node, PIPE_RENDER_TEXT, "\n\n", 0, NULL, buf_sink,
                        buf);
            off[2 * i + 1] = buf->len;
        }
    }
    *bufp = buf;
    *offp = off;
    return buf->oom ? -1 : 0;
}

/* -- html.texts(nodes) -> {string...}: node:text() of each Node of the
 * list (all of one Document), from one walk of the document
 * (render_texts).  Caveat: the walk renders the whole document, so this
 * pays off for many nodes. */
static int html_texts(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_Integer n = luaL_len(L, 1);
    html_doc *d = NULL;
    pipe_box *vb = pipe_box_new(L, free);
    if (n > 0) {
        vb->p = calloc((size_t)n, sizeof(xmlNodePtr));
        if (vb->p == NULL)
            return luaL_error(L, "out of memory");
    }
    xmlNodePtr *v = vb->p;
    luaL_getmetatable(L, PIPE_NODE_MT); /* compared by identity below */
    int node_mt = lua_gettop(L);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, 1, i);
        html_node *hn = lua_touserdata(L, -1);
        if (hn == NULL || !lua_getmetatable(L, -1) ||
            !lua_rawequal(L, -1, node_mt))
            return luaL_error(L, "html.texts: item %d is not a Node",
                              (int)i);
        lua_getiuservalue(L, -2, 1);
        html_doc *nd = lua_touserdata(L, -1);
        if (nd == NULL || nd->doc == NULL || nd->closed)
            return luaL_error(L, "html.texts: item %d: document is closed",
                              (int)i);
        if (d == NULL)
            d = nd;
        else if (nd != d)
            return luaL_error(L, "html.texts: the nodes are not all of one "
                                 "document");
        v[i - 1] = hn->node;
        lua_pop(L, 3);
    }
    lua_pop(L, 1);
    if (n == 0) {
        lua_createtable(L, 0, 0);
        return 1;
    }
    /* (from here on a finalizer that closes d only marks it closed) */
    walk_begin(d);
    pipe_buf *buf;
    size_t *off;
    if (render_texts(L, d, v, (size_t)n, &buf, &off) != 0) {
        walk_end(d);
        return luaL_error(L, "out of memory");
    }
    lua_createtable(L, (int)n, 0);
    for (lua_Integer i = 0; i < n; i++) {
        lua_pushlstring(L, buf->p ? buf->p + off[2 * i] : "",
                        off[2 * i + 1] - off[2 * i]);
        lua_rawseti(L, -2, i + 1);
    }
    walk_end(d);
    return 1;
}

/* What an edit does to the tree (check_idle's `heap`): EDIT_UNLINK
 * only unlinks nodes (a removal), which stay arena blocks; the others
 * may add blocks from outside the tree's arena or free some of its nodes
 * (new nodes, attributes, names, merged text), so the tree is then freed
 * by a walk (pipe_html_free_doc).  EDIT_UNWRAP (an element's children
 * take its place, adjacent text merging) keeps the element index: the
 * other elements keep their document order, and each one's range of it
 * still holds its subtree (an ancestor's now holds the unwrapped
 * element's children itself), the unwrapped one being removed.  Any
 * other edit (EDIT_HEAP) drops the index. */
enum { EDIT_UNLINK, EDIT_UNWRAP, EDIT_HEAP };

/* Raise when the document is being walked; else note the edit. */
static void check_idle(lua_State *L, html_doc *d, int heap)
{
    if (d->busy)
        luaL_error(L, "the document is being walked by a method (a "
                      "finalizer cannot edit it meanwhile)");
    if (heap != EDIT_UNLINK)
        d->edited = 1;
    if (heap == EDIT_HEAP) {
        /* the index holds removals and unwraps only */
        pipe_cssm_index_free(d->index);
        d->index = NULL;
        d->walks = 0;
    }
}

/* ... and raise when the document of argument idx is read-only (the rule
 * engine sets that while a rule's fields read the page). */
static void check_writable(lua_State *L, int idx, int heap)
{
    html_doc *d;
    arg_context(L, idx, &d, 0);
    check_idle(L, d, heap);
    if (d->readonly)
        luaL_error(L, "the document is read-only while a rule reads its "
                      "fields (drop nodes with remove or clean; edit in post)");
}

/* Is `node` strictly inside `holder`? */
static int holds(xmlNodePtr holder, xmlNodePtr node)
{
    for (xmlNodePtr p = node->parent; p != NULL; p = p->parent)
        if (p == holder)
            return 1;
    return 0;
}

/* doc:remove(css, regex)'s choice among the matches v[0 .. n) (document
 * order; walk_begin called, walk_end here): each one whose text (its
 * :text()) the Regex at `ridx` finds, unless a match inside it has such
 * a text too.  The texts come from one walk, as html.texts reads them;
 * a match's descendants among the matches follow it in the list.  An
 * earlier removal never changes a later match's text: it takes a match
 * that precedes it and does not hold it (one that held it would have
 * held a match with a text the regex finds).  Returns how many went. */
static int remove_by_text(lua_State *L, html_doc *d, xmlNodePtr *v, size_t n,
                          int ridx, const void *re)
{
    if (n == 0) {
        walk_end(d);
        return 0;
    }
    pipe_buf *buf;
    size_t *off; /* match i's text: [off[2i], off[2i + 1]) */
    int rc = render_texts(L, d, v, n, &buf, &off);
    walk_end(d);
    if (rc != 0)
        return luaL_error(L, "out of memory");
    /* (no Lua value is made from here on but an error: no collector
     * step, no finalizer can touch the tree) */
    const char *text = buf->p ? buf->p : "";
    int count = 0;
    for (size_t i = 0; i < n; i++) {
        if (!pipe_re_find(L, ridx, re, text + off[2 * i],
                          off[2 * i + 1] - off[2 * i]))
            continue;
        int innermost = 1;
        for (size_t j = i + 1; j < n && holds(v[i], v[j]); j++)
            if (pipe_re_find(L, ridx, re, text + off[2 * j],
                             off[2 * j + 1] - off[2 * j])) {
                innermost = 0;
                break;
            }
        if (innermost) {
            detach(d, v[i]);
            count++;
        }
    }
    return count;
}

/* -- doc:remove(css [, regex]) -> count; node:remove() */
static int html_remove(lua_State *L)
{
    check_writable(L, 1, EDIT_UNLINK);
    if (lua_isnoneornil(L, 2)) {
        html_node *n = luaL_checkudata(L, 1, PIPE_NODE_MT);
        html_doc *d;
        arg_context(L, 1, &d, 0);
        detach(d, n->node);
        return 0;
    }
    const void *re = NULL;
    if (!lua_isnoneornil(L, 3)) {
        if (pipe_re_api_get() == NULL)
            return luaL_error(L, "remove: a regex needs the re plugin");
        re = pipe_re_check(L, 3);
    }
    html_doc *d;
    pipe_box *b;
    xmlNodePtr ctxnode = arg_context(L, 1, &d, 1);
    /* the matches, collected first: detaching during the walk would cut
     * it short */
    pipe_box *lb = pipe_box_new(L, free_node_list);
    lb->p = calloc(1, sizeof(node_list));
    if (lb->p == NULL)
        return luaL_error(L, "out of memory");
    node_list *l = lb->p;
    size_t n = 0;
    const pipe_cssm *m = native_of(L);
    walk_begin(d);
    if (m != NULL) {
        native_out o = {L, 0, 0, 0, 0, NULL, l};
        native_walk(L, d, ctxnode, m, note_list, &o);
        if (l->oom) {
            walk_end(d);
            return luaL_error(L, "out of memory");
        }
        n = (size_t)o.k;
    } else {
        lua_pop(L, 1); /* run_query fetches it again */
        xmlXPathObjectPtr res = run_query(L, 1, &d, &b);
        int nres = pipe_xpath_count(res);
        native_out o = {L, 0, 0, 0, 0, NULL, l};
        for (int i = 0; i < nres && !l->oom; i++) {
            xmlNodePtr node = res->nodesetval->nodeTab[i];
            if (node->type != XML_ELEMENT_NODE ||
                pipe_xpath_in_template(doc_has_template(d), node))
                continue;
            note_list(&o, node);
        }
        pipe_box_done(b);
        if (l->oom) {
            walk_end(d);
            return luaL_error(L, "out of memory");
        }
        n = (size_t)o.k;
    }
    int count = 0;
    if (re != NULL) {
        count = remove_by_text(L, d, l->v, n, 3, re);
    } else {
        for (size_t i = 0; i < n; i++) {
            if (l->v[i]->parent == NULL)
                continue;
            detach(d, l->v[i]);
            count++;
        }
        walk_end(d);
    }
    lua_pushinteger(L, count);
    return 1;
}

/* Serialize node (outer) or its children (inner) as HTML. */
static void push_html(lua_State *L, html_doc *d, xmlNodePtr node, int inner)
{
    xmlDocPtr doc = d->doc;
    walk_begin(d);
    pipe_box *b = pipe_box_new(L, release_outbuf);
    xmlOutputBufferPtr out = xmlAllocOutputBuffer(NULL);
    if (out == NULL)
        luaL_error(L, "out of memory");
    b->p = out;
    if (inner) {
        for (xmlNodePtr c = node->children; c != NULL; c = c->next)
            htmlNodeDumpFormatOutput(out, doc, c, "UTF-8", 0);
    } else {
        htmlNodeDumpFormatOutput(out, doc, node, "UTF-8", 0);
    }
    xmlOutputBufferFlush(out);
    const xmlChar *content = xmlOutputBufferGetContent(out);
    lua_pushlstring(L, content ? (const char *)content : "",
                    xmlOutputBufferGetSize(out));
    pipe_box_done(b);
    lua_remove(L, -2);
    walk_end(d);
}

/* -- node:html() -> string (inner HTML) */
static int html_inner(lua_State *L)
{
    html_doc *d;
    xmlNodePtr node = arg_context(L, 1, &d, 0);
    push_html(L, d, node, 1);
    return 1;
}

/* -- node:outer() -> string */
static int html_outer(lua_State *L)
{
    html_doc *d;
    xmlNodePtr node = arg_context(L, 1, &d, 0);
    push_html(L, d, node, 0);
    return 1;
}

/* -- doc:first_value(css, how [, arg]) -> string|false|nil: what
 * doc:first(css) would give, read in the same call (no Node): how "text"
 * -> its :text(arg), "strip" -> html.strip(it, arg) (arg: {nbsp = true}
 * or nil), "html" -> its :html(), "attr" -> its :attr(arg), false when it
 * has no such attribute.  nil when nothing matches. */
static int html_first_value(lua_State *L)
{
    static const char *const hows[] = {"text", "strip", "html", "attr", NULL};
    luaL_checkstring(L, 2);
    int how = luaL_checkoption(L, 3, NULL, hows);
    const char *name = NULL;
    int flags = 0;
    if (how == 3)
        name = luaL_checkstring(L, 4);
    else if (how != 2)
        flags = nbsp_flag(L, 4);
    html_doc *d;
    xmlNodePtr node = first_match(L, &d);
    if (node == NULL) {
        lua_pushnil(L);
    } else if (how == 0) {
        luaL_Buffer lb;
        luaL_buffinit(L, &lb);
        pipe_render(node, PIPE_RENDER_TEXT, "\n\n", flags, NULL, lua_sink,
                    &lb);
        luaL_pushresult(&lb);
    } else if (how == 1) {
        pipe_box *b = pipe_box_new(L, free);
        size_t len = 0;
        b->p = pipe_strip_alloc(node, flags, NULL, &len);
        if (b->p == NULL)
            luaL_error(L, "out of memory");
        lua_pushlstring(L, b->p, len);
        pipe_box_done(b);
        lua_remove(L, -2);
    } else if (how == 2) {
        push_html(L, d, node, 1);
    } else {
        xmlAttrPtr a = xmlHasProp(node, (const xmlChar *)name);
        if (a == NULL || a->type != XML_ATTRIBUTE_NODE)
            lua_pushboolean(L, 0);
        else
            push_attr_value(L, a);
    }
    walk_end(d);
    return 1;
}

/* ------------------------------------------------------------------ */
/* Document methods                                                    */

/* -- doc:root() -> Node */
static int doc_root(lua_State *L)
{
    xmlNodePtr root = pipe_html_check_node(L, 1);
    pipe_html_push_node(L, 1, root);
    return 1;
}

/* -- doc:encoding() -> string */
static int doc_encoding(lua_State *L)
{
    html_doc *d = check_docud(L, 1);
    lua_pushstring(L, d->encoding);
    return 1;
}

static void push_resolved(lua_State *L, const char *href, const char *base);

/* -- doc:url() -> string|nil: <base href> (resolved), else the parse url */
static int doc_url(lua_State *L)
{
    html_doc *d = check_docud(L, 1);
    const char *url = (const char *)d->doc->URL;
    xmlNodePtr base = pipe_xpath_find_element((xmlNodePtr)d->doc, "base");
    xmlAttrPtr href = base ? xmlHasProp(base, (const xmlChar *)"href") : NULL;
    if (href != NULL && href->type == XML_ATTRIBUTE_NODE) {
        push_attr_value(L, href);
        if (url == NULL)
            return 1;
        const char *h = lua_tostring(L, -1);
        push_resolved(L, h, url);
        if (!lua_isnil(L, -1))
            return 1;
        lua_pop(L, 1);
        return 1;
    }
    if (url == NULL)
        lua_pushnil(L);
    else
        lua_pushstring(L, url);
    return 1;
}

/* -- doc:readonly(on) -> was: while on, edits (remove, unwrap, rename,
 * set_attr) raise */
static int doc_readonly(lua_State *L)
{
    html_doc *d = check_docud(L, 1);
    int was = d->readonly;
    d->readonly = lua_toboolean(L, 2);
    lua_pushboolean(L, was);
    return 1;
}

/* -- doc:index() -> boolean: many CSS queries to come; the native
 * matcher's index is made by the next query (and again after an edit
 * that drops it).  false: there will be none (PIPE_CSS_INDEX=0, or memory
 * ran out making one). */
static int doc_index(lua_State *L)
{
    html_doc *d = check_docud(L, 1);
    d->want_index = 1;
    lua_pushboolean(L, !d->no_index);
    return 1;
}

/* -- doc:close() (also __close): frees the tree now, or when the walk a
 * finalizer closed it in ends */
static int doc_close(lua_State *L)
{
    html_doc *d = luaL_checkudata(L, 1, PIPE_DOCUMENT_MT);
    d->closed = 1;
    if (d->busy == 0)
        doc_release(d);
    return 0;
}

static int doc_tostring(lua_State *L)
{
    html_doc *d = luaL_checkudata(L, 1, PIPE_DOCUMENT_MT);
    if (d->doc == NULL || d->closed)
        lua_pushliteral(L, "pipe.Document (closed)");
    else
        lua_pushfstring(L, "pipe.Document (%s)", d->encoding);
    return 1;
}

/* ------------------------------------------------------------------ */
/* Node methods                                                        */

/* A Node argument of an open document, and the document (*dp) */
static html_node *check_node_doc(lua_State *L, int idx, html_doc **dp)
{
    html_node *n = node_of(L, idx, dp);
    if (n != NULL)
        return n;
    /* not a Node: the errors of pipe_html_check_node (not a Node or a
     * Document, a closed or empty Document), else "pipe.Node expected" */
    pipe_html_check_node(L, idx);
    return luaL_checkudata(L, idx, PIPE_NODE_MT);
}

static html_node *check_nodeud(lua_State *L, int idx)
{
    html_doc *d;
    return check_node_doc(L, idx, &d);
}

/* -- node:attr(name) -> string|nil */
static int node_attr(lua_State *L)
{
    html_doc *d;
    html_node *n = check_node_doc(L, 1, &d);
    const char *name = luaL_checkstring(L, 2);
    xmlAttrPtr a = xmlHasProp(n->node, (const xmlChar *)name);
    walk_begin(d);
    if (a == NULL || a->type != XML_ATTRIBUTE_NODE)
        lua_pushnil(L);
    else
        push_attr_value(L, a);
    walk_end(d);
    return 1;
}

/* -- node:attrs() -> {name = value} */
static int node_attrs(lua_State *L)
{
    html_node *n = check_nodeud(L, 1);
    html_doc *d;
    arg_context(L, 1, &d, 0);
    walk_begin(d);
    lua_newtable(L);
    for (xmlAttrPtr a = n->node->properties; a != NULL; a = a->next) {
        push_attr_value(L, a);
        lua_setfield(L, -2, (const char *)a->name);
    }
    walk_end(d);
    return 1;
}

/* -- node:parent() -> Node|nil */
static int node_parent(lua_State *L)
{
    html_node *n = check_nodeud(L, 1);
    xmlNodePtr p = n->node->parent;
    if (p == NULL || p->type != XML_ELEMENT_NODE)
        lua_pushnil(L);
    else
        pipe_html_push_node(L, 1, p);
    return 1;
}

/* -- node:children() -> {Node...} (element children) */
static int node_children(lua_State *L)
{
    html_node *n = check_nodeud(L, 1);
    html_doc *d;
    arg_context(L, 1, &d, 0);
    walk_begin(d);
    lua_newtable(L);
    lua_Integer k = 0;
    for (xmlNodePtr c = n->node->children; c != NULL; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        pipe_html_push_node(L, 1, c);
        lua_rawseti(L, -2, ++k);
    }
    walk_end(d);
    return 1;
}

/* -- node:unwrap(): replace the node by its children */
static int node_unwrap(lua_State *L)
{
    html_node *n = check_nodeud(L, 1);
    /* (a <template>'s content, which the index leaves out, would come
     * out of it) */
    check_writable(L, 1, xmlStrcasecmp(n->node->name,
                                       (const xmlChar *)"template") == 0
                             ? EDIT_HEAP
                             : EDIT_UNWRAP);
    html_doc *d;
    arg_context(L, 1, &d, 0);
    xmlNodePtr node = n->node;
    if (node->parent == NULL || node->parent->type == XML_DOCUMENT_NODE ||
        node->parent->type == XML_HTML_DOCUMENT_NODE)
        return 0; /* removed, or the root element */
    xmlNodePtr c = node->children;
    while (c != NULL) {
        xmlNodePtr next = c->next;
        xmlUnlinkNode(c);
        /* may merge text nodes; only element nodes have Node handles */
        xmlAddPrevSibling(node, c);
        c = next;
    }
    detach(d, node);
    return 0;
}

/* -- node:rename(tag) */
static int node_rename(lua_State *L)
{
    html_node *n = check_nodeud(L, 1);
    check_writable(L, 1, EDIT_HEAP);
    const char *tag = luaL_checkstring(L, 2);
    if (*tag == '\0')
        luaL_argerror(L, 2, "empty tag name");
    xmlNodeSetName(n->node, (const xmlChar *)tag);
    if (strcmp(tag, "template") == 0) {
        lua_getiuservalue(L, 1, 1);
        html_doc *d = luaL_testudata(L, -1, PIPE_DOCUMENT_MT);
        if (d != NULL)
            d->templates = 1;
    }
    return 0;
}

/* Is node in its document's tree (not removed, not inside a removed
 * subtree)? */
static int attached(xmlNodePtr node)
{
    for (xmlNodePtr p = node; p != NULL; p = p->parent)
        if (p->type == XML_DOCUMENT_NODE || p->type == XML_HTML_DOCUMENT_NODE)
            return 1;
    return 0;
}

/* The document a Node argument belongs to. */
static html_doc *node_doc(lua_State *L, int idx)
{
    lua_getiuservalue(L, idx, 1);
    html_doc *d = lua_touserdata(L, -1);
    lua_pop(L, 1);
    return d;
}

/* -- node:contains(other) -> boolean: other is node or inside it */
static int node_contains(lua_State *L)
{
    html_node *n = check_nodeud(L, 1);
    html_node *o = check_nodeud(L, 2);
    lua_pushboolean(L, node_doc(L, 1) == node_doc(L, 2) &&
                           (o->node == n->node || holds(n->node, o->node)));
    return 1;
}

static int valid_tag(const char *t)
{
    if (!((*t | 32) >= 'a' && (*t | 32) <= 'z'))
        return 0;
    for (; *t; t++)
        if (!(((*t | 32) >= 'a' && (*t | 32) <= 'z') ||
              (*t >= '0' && *t <= '9') || *t == '-'))
            return 0;
    return 1;
}

/* -- node:wrap(tag) -> Node|nil: a new <tag> element takes node's place and
 * holds it; nil when node was removed or is the root element */
static int node_wrap(lua_State *L)
{
    html_node *n = check_nodeud(L, 1);
    const char *tag = luaL_checkstring(L, 2);
    if (!valid_tag(tag))
        luaL_argerror(L, 2, lua_pushfstring(L, "bad tag name '%s'", tag));
    check_idle(L, node_doc(L, 1), EDIT_HEAP);
    xmlNodePtr node = n->node;
    if (!attached(node) || node->parent->type != XML_ELEMENT_NODE) {
        lua_pushnil(L);
        return 1;
    }
    xmlNodePtr w = xmlNewDocNode(node->doc, NULL, (const xmlChar *)tag, NULL);
    if (w == NULL)
        luaL_error(L, "out of memory");
    xmlAddPrevSibling(node, w);
    xmlUnlinkNode(node);
    xmlAddChild(w, node);
    if (strcmp(tag, "template") == 0)
        node_doc(L, 1)->templates = 1;
    pipe_html_push_node(L, 1, w);
    return 1;
}

/* -- node:append(other): move other, with its subtree, to the end of node's
 * children.  Raises when other is node or holds it, or is the root. */
static int node_append(lua_State *L)
{
    html_node *n = check_nodeud(L, 1);
    html_node *o = check_nodeud(L, 2);
    if (node_doc(L, 1) != node_doc(L, 2))
        luaL_argerror(L, 2, "node of another document");
    check_idle(L, node_doc(L, 1), EDIT_HEAP);
    for (xmlNodePtr p = n->node; p != NULL; p = p->parent)
        if (p == o->node)
            luaL_argerror(L, 2, "cannot move a node into itself");
    if (!attached(n->node) || !attached(o->node))
        return 0; /* a removed node stays removed */
    if (o->node->parent->type != XML_ELEMENT_NODE)
        luaL_argerror(L, 2, "cannot move the root element");
    xmlUnlinkNode(o->node);
    xmlAddChild(n->node, o->node);
    return 0;
}

/* -- node:set_attr(name, value|nil) */
static int node_set_attr(lua_State *L)
{
    html_node *n = check_nodeud(L, 1);
    check_writable(L, 1, EDIT_HEAP);
    const char *name = luaL_checkstring(L, 2);
    if (lua_isnoneornil(L, 3)) {
        xmlUnsetProp(n->node, (const xmlChar *)name);
        return 0;
    }
    const char *value = luaL_checkstring(L, 3);
    if (xmlSetProp(n->node, (const xmlChar *)name, (const xmlChar *)value) ==
        NULL)
        luaL_error(L, "cannot set attribute '%s'", name);
    return 0;
}

static int node_eq(lua_State *L)
{
    html_node *a = luaL_testudata(L, 1, PIPE_NODE_MT);
    html_node *b = luaL_testudata(L, 2, PIPE_NODE_MT);
    lua_pushboolean(L, a != NULL && b != NULL && a->node == b->node);
    return 1;
}

static int node_tostring(lua_State *L)
{
    html_node *n = luaL_checkudata(L, 1, PIPE_NODE_MT);
    lua_getiuservalue(L, 1, 1);
    html_doc *d = lua_touserdata(L, -1);
    if (d == NULL || d->doc == NULL || d->closed)
        lua_pushliteral(L, "pipe.Node (document closed)");
    else
        lua_pushfstring(L, "pipe.Node (%s)", (const char *)n->node->name);
    return 1;
}

/* node.tag, then methods (upvalue 1) */
static int node_index(lua_State *L)
{
    const char *key = lua_tostring(L, 2);
    if (key != NULL && strcmp(key, "tag") == 0) {
        html_node *n = check_nodeud(L, 1);
        lua_pushstring(L, (const char *)n->node->name);
        return 1;
    }
    lua_pushvalue(L, 2);
    lua_rawget(L, lua_upvalueindex(1));
    return 1;
}

/* ------------------------------------------------------------------ */
/* Module functions                                                    */

static void push_document(lua_State *L, const char *data, size_t len,
                          const char *encoding, const char *url)
{
    html_doc *d = lua_newuserdatauv(L, sizeof *d, 0);
    memset(d, 0, sizeof *d);
    d->templates = -1;
    luaL_setmetatable(L, PIPE_DOCUMENT_MT);
    char *err = NULL;
    /* a page-sized document gets an arena; a fragment would not fill
     * one 64 KiB chunk */
    d->doc = parse_doc(data, len, encoding, url, d->encoding,
                       sizeof d->encoding, &err, len >= ARENA_MIN_INPUT,
                       &d->templates);
    if (d->doc == NULL) {
        lua_pushstring(L, err ? err : "out of memory");
        free(err);
        lua_error(L);
    }
}

void pipe_html_push_document(lua_State *L, const char *data, size_t len,
                             const char *encoding, const char *url)
{
    push_document(L, data, len, encoding, url);
}

/* -- html.parse(s [, {encoding=, url=, charset=}]) -> Document */
static int html_parse(lua_State *L)
{
    size_t len;
    if (lua_type(L, 1) != LUA_TSTRING)
        luaL_typeerror(L, 1, "string");
    const char *s = lua_tolstring(L, 1, &len);
    const char *encoding = NULL, *url = NULL, *charset = NULL;
    char hinted[48];
    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        lua_getfield(L, 2, "encoding");
        encoding = luaL_optstring(L, -1, NULL);
        lua_getfield(L, 2, "url");
        url = luaL_optstring(L, -1, NULL);
        lua_getfield(L, 2, "charset");
        charset = luaL_optstring(L, -1, NULL);
    }
    /* charset: the transport's (HTTP) declaration, after a BOM and before
     * <meta>; encoding= overrides both */
    if (!encoding && charset &&
        pipe_enc_hint(s, len, charset, hinted, sizeof hinted))
        encoding = hinted;
    push_document(L, s, len, encoding, url);
    return 1;
}

/* -- html.strip(s_or_node [, {links=true, url=, nbsp=true}]) -> string */
static int html_strip(lua_State *L)
{
    int flags = nbsp_flag(L, 2);
    const char *url = NULL;
    if (!lua_isnoneornil(L, 2)) {
        lua_getfield(L, 2, "links");
        if (lua_toboolean(L, -1))
            flags |= PIPE_RENDER_LINKS;
        lua_getfield(L, 2, "url");
        url = lua_tostring(L, -1);   /* stays on the stack: kept alive */
        if (url == NULL && !lua_isnil(L, -1))
            return luaL_argerror(L, 2, "url must be a string");
    }
    int docidx = 1;
    if (lua_type(L, 1) == LUA_TSTRING) {
        size_t len;
        const char *s = lua_tolstring(L, 1, &len);
        push_document(L, s, len, NULL, NULL);
        docidx = lua_gettop(L);
    }
    html_doc *d;
    xmlNodePtr node = arg_context(L, docidx, &d, 1);
    walk_begin(d);
    /* links resolve against the page (url, else what the page says) */
    pipe_box *base = pipe_box_new(L, free);
    if (flags & PIPE_RENDER_LINKS)
        base->p = pipe_link_base(node->doc, url);
    pipe_box *b = pipe_box_new(L, free);
    size_t len = 0;
    b->p = pipe_strip_alloc(node, flags, base->p, &len);
    if (b->p == NULL)
        luaL_error(L, "out of memory");
    lua_pushlstring(L, b->p, len);
    pipe_box_done(b);
    pipe_box_done(base);
    lua_remove(L, -2);
    walk_end(d);
    if (docidx != 1) {
        /* free the temporary document now rather than at the next GC */
        doc_release(d);
    }
    return 1;
}

/* -- html.xpath_of(css) -> string */
static int html_xpath_of(lua_State *L)
{
    const char *css = luaL_checkstring(L, 1);
    pipe_box *b = pipe_box_new(L, free);
    size_t off = 0;
    const char *reason = NULL;
    b->p = pipe_css_to_xpath(css, &off, &reason);
    if (b->p == NULL)
        luaL_error(L, "bad selector '%s' at offset %d: %s", css, (int)off,
                   reason);
    lua_pushstring(L, b->p);
    pipe_box_done(b);
    return 1;
}

/* Escape bytes a URI may not hold raw (spaces, controls, non-ASCII). */
static char *uri_escape_loose(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        n += (*p <= 0x20 || *p >= 0x7F || *p == '"' || *p == '<' ||
              *p == '>' || *p == '\\' || *p == '^' || *p == '`' ||
              *p == '{' || *p == '|' || *p == '}')
                 ? 3
                 : 1;
    char *out = malloc(n + 1), *o = out;
    if (out == NULL)
        return NULL;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p <= 0x20 || *p >= 0x7F || *p == '"' || *p == '<' ||
            *p == '>' || *p == '\\' || *p == '^' || *p == '`' || *p == '{' ||
            *p == '|' || *p == '}') {
            snprintf(o, 4, "%%%02X", *p);
            o += 3;
        } else {
            *o++ = (char)*p;
        }
    }
    *o = '\0';
    return out;
}

/* Classes of URL bytes for the short ways of push_resolved: RFC 3986's
 * pchar without pct-encoded (unreserved, sub-delims, ':', '@') and '/'
 * and '?' (what a path, query and fragment are made of), what xmlSaveUri
 * writes of a path unescaped, a host's letters, digits, dots and
 * hyphens. */
enum { U_REST = 1, U_PATH = 2, U_HOST = 4 };
static unsigned char uri_class[256];

static void uri_classes(void)
{
    for (int c = 0; c < 256; c++) {
        int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9');
        uri_class[c] =
            (unsigned char)(((alnum || (c && strchr("-._~!$&'()*+,;=:@/?", c)))
                                 ? U_REST
                                 : 0) |
                            ((alnum || (c && strchr("-_.!~*'()/;@&=+$,", c)))
                                 ? U_PATH
                                 : 0) |
                            ((alnum || c == '.' || c == '-') ? U_HOST : 0));
    }
}

static int hex_digit(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
           (c >= 'A' && c <= 'F');
}

/* The length of s's "http://HOST" or "https://HOST" (a lowercase scheme,
 * a host of ASCII letters, digits, dots and hyphens: no user, no port)
 * when the authority ends there, else 0. */
static size_t http_authority(const char *s)
{
    size_t k;
    if (strncmp(s, "https://", 8) == 0)
        k = 8;
    else if (strncmp(s, "http://", 7) == 0)
        k = 7;
    else
        return 0;
    size_t h = k;
    while (uri_class[(unsigned char)s[k]] & U_HOST)
        k++;
    if (k == h || (s[k] != '\0' && s[k] != '/' && s[k] != '?' && s[k] != '#'))
        return 0;
    return k;
}

/* Is s a path, query and fragment libxml2's URI parser takes as they are
 * (pchar, '/', '?', pct-encoded; one '#')? */
static int uri_rest_ok(const char *s)
{
    int fragment = 0;
    for (const unsigned char *p = (const unsigned char *)s;; p++) {
        while (uri_class[*p] & U_REST)
            p++;
        if (*p == '\0')
            return 1;
        if (*p == '%') {
            if (!hex_digit(p[1]) || !hex_digit(p[2]))
                return 0;
            p += 2;
        } else if (*p != '#' || fragment++) {
            return 0;
        }
    }
}

/* An absolute path ("/a/b") that xmlBuildURI copies as it is behind the
 * base's scheme and host: characters xmlSaveUri writes unescaped (no
 * '%', no query or fragment), no "//" start (an authority), no dot
 * segment. */
static int plain_abs_path(const char *s)
{
    if (s[0] != '/' || s[1] == '/')
        return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if (!(uri_class[c] & U_PATH))
            return 0;
        if (c == '/' && p[1] == '.')
            return 0;
    }
    return 1;
}

/* What xmlBuildURI(href, base) gives, without parsing and serialising
 * both, for the two common cases: an absolute http(s) URL libxml2 parses
 * (it is returned as it is) and an absolute path against an http(s)
 * base.  Pushes it and returns 1, or returns 0 (not such a case). */
static int push_resolved_fast(lua_State *L, const char *href, size_t n,
                              const char *base)
{
    size_t k = http_authority(href);
    if (k > 0) {
        if (!uri_rest_ok(href + k))
            return 0;
        lua_pushlstring(L, href, n);
        return 1;
    }
    if (!plain_abs_path(href))
        return 0;
    k = http_authority(base);
    if (k == 0 || !uri_rest_ok(base + k))
        return 0;
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addlstring(&b, base, k);
    luaL_addlstring(&b, href, n);
    luaL_pushresult(&b);
    return 1;
}

/* Push href resolved against base, or nil. */
static void push_resolved(lua_State *L, const char *href, const char *base)
{
    while (is_space((unsigned char)*href))
        href++;
    size_t n = strlen(href);
    while (n > 0 && is_space((unsigned char)href[n - 1]))
        n--;
    /* (href without trailing spaces is its own string: no copy) */
    if (href[n] == '\0' && push_resolved_fast(L, href, n, base))
        return;
    pipe_box *tb = pipe_box_new(L, free);
    char *h = malloc(n + 1);
    if (h == NULL)
        luaL_error(L, "out of memory");
    memcpy(h, href, n);
    h[n] = '\0';
    tb->p = h;
    if (push_resolved_fast(L, h, n, base)) {
        pipe_box_done(tb);
        lua_remove(L, -2);
        return;
    }
    pipe_box *b = pipe_box_new(L, release_xmlfree);
    b->p = xmlBuildURI((const xmlChar *)h, (const xmlChar *)base);
    if (b->p == NULL) {
        char *eh = uri_escape_loose(h);
        char *eb = uri_escape_loose(base);
        if (eh != NULL && eb != NULL)
            b->p = xmlBuildURI((const xmlChar *)eh, (const xmlChar *)eb);
        free(eh);
        free(eb);
    }
    if (b->p == NULL)
        lua_pushnil(L);
    else
        lua_pushstring(L, b->p);
    pipe_box_done(b);
    pipe_box_done(tb);
    lua_remove(L, -2);
    lua_remove(L, -2);
}

/* -- html.absolute(href, base) -> string|nil */
static int html_absolute(lua_State *L)
{
    const char *href = luaL_checkstring(L, 1);
    const char *base = luaL_checkstring(L, 2);
    push_resolved(L, href, base);
    return 1;
}

/* ------------------------------------------------------------------ */
/* Registration                                                        */

static const luaL_Reg html_funcs[] = {
    {"parse", html_parse},
    {"strip", html_strip},
    {"xpath_of", html_xpath_of},
    {"absolute", html_absolute},
    {"texts", html_texts},
    {NULL, NULL},
};

static const luaL_Reg doc_methods[] = {
    {"select", html_select},
    {"first", html_first},
    {"first_value", html_first_value},
    {"xpath", html_xpath},
    {"text", html_text},
    {"remove", html_remove},
    {"root", doc_root},
    {"url", doc_url},
    {"encoding", doc_encoding},
    {"html", html_inner},
    {"outer", html_outer},
    {"close", doc_close},
    {"readonly", doc_readonly},
    {"index", doc_index},
    {NULL, NULL},
};

static const luaL_Reg doc_meta[] = {
    {"__gc", doc_gc},
    {"__close", doc_close},
    {"__tostring", doc_tostring},
    {NULL, NULL},
};

static const luaL_Reg node_methods[] = {
    {"select", html_select},
    {"first", html_first},
    {"first_value", html_first_value},
    {"xpath", html_xpath},
    {"text", html_text},
    {"remove", html_remove},
    {"attr", node_attr},
    {"attrs", node_attrs},
    {"html", html_inner},
    {"outer", html_outer},
    {"parent", node_parent},
    {"children", node_children},
    {"unwrap", node_unwrap},
    {"rename", node_rename},
    {"set_attr", node_set_attr},
    {"contains", node_contains},
    {"wrap", node_wrap},
    {"append", node_append},
    {NULL, NULL},
};

static const luaL_Reg node_meta[] = {
    {"__eq", node_eq},
    {"__tostring", node_tostring},
    {NULL, NULL},
};

/* Once per process: libxml2 allocates through the worker's memory budget
 * (so a huge page fails at --max-memory), then initialises itself. */
static void html_init(void)
{
    xmlMemSetup(pipe_mem_free, pipe_mem_malloc, pipe_mem_realloc,
                pipe_mem_strdup);
    xmlInitParser();
    /* nothing of libxml2's reaches stderr, not even an out-of-memory
     * report from outside a parse */
    xmlSetStructuredErrorFunc(NULL, silent_error);
    xmlSetGenericErrorFunc(NULL, pipe_xpath_silent);
    uri_classes();
}

static int html_open(lua_State *L)
{
    if (luaL_newmetatable(L, PIPE_DOCUMENT_MT)) {
        luaL_setfuncs(L, doc_meta, 0);
        luaL_newlib(L, doc_methods);
        lua_setfield(L, -2, "__index");
    }
    lua_rawsetp(L, LUA_REGISTRYINDEX, &doc_mt_key);
    if (luaL_newmetatable(L, PIPE_NODE_MT)) {
        luaL_setfuncs(L, node_meta, 0);
        luaL_newlib(L, node_methods);
        lua_pushcclosure(L, node_index, 1);
        lua_setfield(L, -2, "__index");
    }
    lua_rawsetp(L, LUA_REGISTRYINDEX, &node_mt_key);
    luaL_newlib(L, html_funcs);
    return 1;
}

static const char *const html_lua_names[] = {
    "parse", "strip", "xpath_of", "absolute", NULL,
};

static const pipe_command html_commands[] = {
    {"strip", "page to readable plain text", pipe_strip_help,
     pipe_strip_main},
    {"select", "print the elements that match a CSS selector or XPath",
     pipe_select_help, pipe_select_main},
    {NULL, NULL, NULL, NULL},
};

/* The services: the page parser `pipe run` uses, and the Document/Node
 * API of include/pipe/html.h for other plugins. */
/* push_document with an HTTP charset as the hint (encoding.c decides
 * whether the bytes bear it out). */
static void push_document_charset(lua_State *L, const char *data, size_t len,
                                  const char *charset, const char *url)
{
    char hinted[48];
    push_document(L, data, len,
                  pipe_enc_hint(data, len, charset, hinted, sizeof hinted)
                      ? hinted
                      : NULL,
                  url);
}

static const pipe_page_parser page_parser = {push_document,
                                             push_document_charset};

/* The service's each_tag (include/pipe/html.h): the document's index,
 * made now as native_walk makes it when doc:index() asked for one.  (A
 * document closed during a walk keeps its tree until the walk ends.) */
static int html_each_tag(lua_State *L, int idx, const char *tag,
                         int (*fn)(void *ud, xmlNodePtr node), void *ud)
{
    html_doc *d = test_doc(L, idx);
    if (d == NULL || d->doc == NULL || (d->closed && !d->busy))
        return -1;
    if (d->index == NULL && !d->no_index && d->want_index)
        make_index(d);
    if (d->index == NULL)
        return -1;
    return pipe_cssm_index_each(d->index, tag, d->removed != NULL, fn, ud);
}

static const pipe_html_api html_api = {
    .parse = pipe_html_parse_ex,
    .push_document = pipe_html_push_document,
    .check_doc = pipe_html_check_doc,
    .check_node = pipe_html_check_node,
    .push_node = pipe_html_push_node,
    .text = pipe_html_text,
    .text_alloc = pipe_html_text_alloc,
    .is_hidden = pipe_html_is_hidden,
    .is_block = pipe_html_is_block,
    .strip = pipe_html_strip,
    .walk_begin = pipe_html_walk_begin,
    .walk_end = pipe_html_walk_end,
    .each_tag = html_each_tag,
};

static const pipe_service html_services[] = {
    {PIPE_PAGE_PARSER, PIPE_PAGE_PARSER_VERSION, &page_parser},
    {PIPE_HTML_SERVICE, PIPE_HTML_VERSION, &html_api},
    {NULL, 0, NULL},
};

const pipe_plugin pipe_plugin_html = {
    PIPE_PLUGIN_HEAD,
    .name = "html",
    .summary = "HTML parsing, CSS selectors and XPath, text, strip and select",
    .open = html_open,
    .lua_names = html_lua_names,
    .commands = html_commands,
    .init = html_init,
    .services = html_services,
};
