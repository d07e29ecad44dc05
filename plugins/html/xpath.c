/*
 * XPath compilation and evaluation for the html plugin; see xpath.h.
 *
 * Caveats: libxml2 2.9.14 leaves the message of XPath errors NULL and
 * prints some evaluation errors ("function foo not found") on its generic
 * channel as well as through the context's handler, so compilation and
 * evaluation swap in a silent generic handler and name the error codes
 * here.
 */
#include "xpath.h"

#include <stdio.h>
#include <string.h>

#include <libxml/xmlerror.h>
#include <libxml/xpathInternals.h>

void pipe_xpath_silent(void *ud, const char *fmt, ...)
{
    (void)ud;
    (void)fmt;
}

/* libxml2 2.9.14 leaves message NULL for XPath errors: name them here,
 * in the order of the xmlXPathError enum. */
static const char *const xpath_messages[] = {
    "ok", "number encoding", "unfinished literal", "start of literal",
    "expected $ for variable reference", "undefined variable",
    "invalid predicate", "invalid expression", "missing closing curly brace",
    "unregistered function", "invalid operand", "invalid type",
    "invalid number of arguments", "invalid context size",
    "invalid context position", "memory allocation error", "syntax error",
    "resource error", "sub resource error", "undefined namespace prefix",
    "encoding error", "char out of XML range", "invalid or incomplete context",
    "stack usage error", "forbidden variable", "operation limit exceeded",
    "recursion limit exceeded",
};

static void xerr_handler(void *ud, xmlErrorPtr e)
{
    pipe_xerr *x = ud;
    if (x->set || e == NULL)
        return;
    x->set = 1;
    int k = e->code - XML_XPATH_EXPRESSION_OK;
    const char *m = e->message;
    if (e->domain == XML_FROM_XPATH && k >= 0 &&
        k < (int)(sizeof xpath_messages / sizeof xpath_messages[0]))
        m = xpath_messages[k];
    snprintf(x->msg, sizeof x->msg, "%s", m ? m : "error");
    size_t n = strlen(x->msg);
    while (n > 0 && (x->msg[n - 1] == '\n' || x->msg[n - 1] == ' '))
        x->msg[--n] = '\0';
    if (n > 0 && x->msg[0] >= 'A' && x->msg[0] <= 'Z')
        x->msg[0] = (char)(x->msg[0] - 'A' + 'a');
}

xmlXPathCompExprPtr pipe_xpath_compile_in(xmlXPathContextPtr ctx,
                                          const char *expr, pipe_xerr *xe)
{
    ctx->error = xerr_handler;
    ctx->userData = xe;
    xmlGenericErrorFunc old = xmlGenericError;
    void *oldctx = xmlGenericErrorContext;
    xmlSetGenericErrorFunc(NULL, pipe_xpath_silent);
    xmlXPathCompExprPtr comp = xmlXPathCtxtCompile(ctx, (const xmlChar *)expr);
    xmlSetGenericErrorFunc(oldctx, old);
    ctx->userData = NULL;
    if (comp == NULL && !xe->set) {
        snprintf(xe->msg, sizeof xe->msg, "invalid expression");
        xe->set = 1;
    }
    return comp;
}

xmlXPathCompExprPtr pipe_xpath_compile(const char *expr, pipe_xerr *xe)
{
    xmlXPathContextPtr ctx = xmlXPathNewContext(NULL);
    if (ctx == NULL) {
        snprintf(xe->msg, sizeof xe->msg, "out of memory");
        xe->set = 1;
        return NULL;
    }
    xmlXPathCompExprPtr comp = pipe_xpath_compile_in(ctx, expr, xe);
    xmlXPathFreeContext(ctx);
    return comp;
}

xmlXPathObjectPtr pipe_xpath_eval(xmlXPathContextPtr ctx,
                                  xmlXPathCompExprPtr comp, xmlNodePtr node,
                                  pipe_xerr *xe)
{
    ctx->node = node;
    ctx->contextSize = -1;
    ctx->proximityPosition = -1;
    ctx->error = xerr_handler;
    ctx->userData = xe;
    ctx->opLimit = PIPE_XPATH_OP_LIMIT;
    ctx->opCount = 0;
    xmlGenericErrorFunc old = xmlGenericError;
    void *oldctx = xmlGenericErrorContext;
    xmlSetGenericErrorFunc(NULL, pipe_xpath_silent);
    xmlXPathObjectPtr res = xmlXPathCompiledEval(comp, ctx);
    xmlSetGenericErrorFunc(oldctx, old);
    ctx->userData = NULL;
    return res;
}

xmlNodePtr pipe_xpath_find_element(xmlNodePtr root, const char *name)
{
    xmlNodePtr node = root;
    while (node != NULL) {
        if (node->type == XML_ELEMENT_NODE &&
            strcmp((const char *)node->name, name) == 0)
            return node;
        if (node->children != NULL &&
            (node->type == XML_ELEMENT_NODE || node == root)) {
            node = node->children;
            continue;
        }
        while (node != NULL && node != root && node->next == NULL)
            node = node->parent;
        if (node == NULL || node == root)
            return NULL;
        node = node->next;
    }
    return NULL;
}

int pipe_xpath_any_template(xmlNodePtr root)
{
    return pipe_xpath_find_element(root, "template") != NULL;
}

int pipe_xpath_in_template(int has_template, xmlNodePtr node)
{
    if (!has_template)
        return 0;
    for (xmlNodePtr p = node->parent; p != NULL; p = p->parent)
        if (p->type == XML_ELEMENT_NODE && strcmp((const char *)p->name,
                                                  "template") == 0)
            return 1;
    return 0;
}

int pipe_xpath_count(xmlXPathObjectPtr res)
{
    if (res->type != XPATH_NODESET || res->nodesetval == NULL)
        return 0;
    return res->nodesetval->nodeNr;
}
