/*
 * XPath compilation and evaluation for the html plugin (internal), shared
 * by the Lua methods in html.c and the `select` command in select.c:
 * libxml2's error output captured as one lowercase message, an operation
 * limit on every evaluation, and the <template> filter CSS matches use.
 *
 * Ownership rule: compiled expressions and results are libxml2's (free
 * them with xmlXPathFreeCompExpr / xmlXPathFreeObject); messages live in
 * the caller's pipe_xerr.
 */
#ifndef PIPE_XPATH_H
#define PIPE_XPATH_H

#include <libxml/tree.h>
#include <libxml/xpath.h>

/* libxml2's opLimit for every evaluation: Lua's count hook never fires
 * inside C. */
#define PIPE_XPATH_OP_LIMIT 100000000UL

/* The first error libxml2 reported (msg is "" while set is 0). */
typedef struct pipe_xerr {
    char msg[200];
    int set;
} pipe_xerr;

/* A libxml2 generic error handler that drops everything. */
void pipe_xpath_silent(void *ud, const char *fmt, ...);

/* A new XPath context on `doc` (NULL: one for compiling) with pipe's
 * id() in place of libxml2's; NULL when out of memory.  Every context
 * pipe evaluates or compiles in comes from here. */
xmlXPathContextPtr pipe_xpath_context(xmlDocPtr doc);

/* Compile `expr`; NULL with xe->msg set on a syntax error. */
xmlXPathCompExprPtr pipe_xpath_compile(const char *expr, pipe_xerr *xe);

/* The same in `ctx`, a context kept for compiling (making one registers
 * every XPath function: ~60k instructions, more than most compiles). */
xmlXPathCompExprPtr pipe_xpath_compile_in(xmlXPathContextPtr ctx,
                                          const char *expr, pipe_xerr *xe);

/* Evaluate `comp` with `node` as the context node in `ctx` (every field a
 * previous evaluation may have changed is set again; the operation limit
 * applies; libxml2's generic error channel is silenced).  NULL with
 * xe->msg set (or left unset) when evaluation fails. */
xmlXPathObjectPtr pipe_xpath_eval(xmlXPathContextPtr ctx,
                                  xmlXPathCompExprPtr comp, xmlNodePtr node,
                                  pipe_xerr *xe);

/* How many nodes a result holds (0 for a scalar result). */
int pipe_xpath_count(xmlXPathObjectPtr res);

/* libxml2 2.9.14 parses <template> content as live nodes; CSS matches
 * skip them, as a browser's querySelectorAll would.  Does the tree at
 * `root` hold a <template> element?  (Ask once per document, so that
 * filtering matches does not walk up from every match: O(matches x
 * depth), quadratic on deeply nested pages.) */
int pipe_xpath_any_template(xmlNodePtr root);

/* The node after `node` in document order below `root`, descending into
 * elements (and `root`) only; NULL past the last. */
xmlNodePtr pipe_xpath_walk_next(xmlNodePtr node, xmlNodePtr root);

/* The first element `name` (lowercase) at or below `root` in document
 * order, walking element children only; NULL when there is none. */
xmlNodePtr pipe_xpath_find_element(xmlNodePtr root, const char *name);

/* Is `node` inside a <template>?  (Always 0 when has_template is 0.) */
int pipe_xpath_in_template(int has_template, xmlNodePtr node);

#endif
