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

static int xml_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Does `el` carry the ID `tok` (n bytes)?  The attributes libxml2
 * 2.9.14 takes for IDs in HTML (xmlIsID): id on any element, name on
 * <a>; the value a single text node, as its parser required. */
static int has_id(xmlNodePtr el, const char *tok, size_t n)
{
    int is_a = strcmp((const char *)el->name, "a") == 0;
    for (xmlAttrPtr at = el->properties; at != NULL; at = at->next) {
        if (at->ns != NULL || at->children == NULL ||
            at->children->type != XML_TEXT_NODE ||
            at->children->next != NULL)
            continue;
        const char *nm = (const char *)at->name;
        if (strcmp(nm, "id") != 0 && !(is_a && strcmp(nm, "name") == 0))
            continue;
        /* the value as libxml2 kept it: spaces at its ends dropped */
        const char *v = (const char *)at->children->content;
        if (v == NULL)
            continue;
        while (xml_space(*v))
            v++;
        if (strncmp(v, tok, n) != 0)
            continue;
        for (v += n; xml_space(*v); v++)
            ;
        if (*v == '\0')
            return 1;
    }
    return 0;
}

/*
 * XPath's id(): pipe's parse keeps no ID table (XML_SKIP_IDS in html.c:
 * libxml2 2.9.14's table stops growing at 16,384 buckets: 320,000 ids
 * took 2.8 s to parse instead of 0.8 s), so the ids are found by
 * walking the document: the first element in document order carrying
 * each whitespace-separated token of the argument (the string values of
 * a node-set's nodes), as the table gave.  The walk is charged to the
 * evaluation's operation limit, one operation per node, so a query
 * calling id() for every node cannot run unbounded inside C.
 */
static void id_function(xmlXPathParserContextPtr ctxt, int nargs)
{
    CHECK_ARITY(1);
    xmlXPathObjectPtr arg = valuePop(ctxt);
    if (arg == NULL)
        XP_ERROR(XPATH_INVALID_OPERAND);
    xmlChar *toks = NULL;
    if (arg->type == XPATH_NODESET || arg->type == XPATH_XSLT_TREE) {
        xmlNodeSetPtr ns = arg->nodesetval;
        for (int i = 0; ns != NULL && i < ns->nodeNr; i++) {
            xmlChar *v = xmlXPathCastNodeToString(ns->nodeTab[i]);
            if (v != NULL) {
                toks = xmlStrcat(toks, BAD_CAST " ");
                toks = xmlStrcat(toks, v);
                xmlFree(v);
            }
        }
    } else {
        toks = xmlXPathCastToString(arg);
    }
    xmlXPathFreeObject(arg);
    xmlNodeSetPtr found = xmlXPathNodeSetCreate(NULL);
    if (found == NULL) {
        xmlFree(toks);
        XP_ERROR(XPATH_MEMORY_ERROR);
    }
    xmlDocPtr doc = ctxt->context->doc;
    /* from the document node: a page's stray markup after </html> may
     * sit beside the root element */
    xmlNodePtr root = (xmlNodePtr)doc;
    const char *p = (const char *)toks;
    while (root != NULL && p != NULL && *p != '\0') {
        while (xml_space(*p))
            p++;
        size_t n = 0;
        while (p[n] != '\0' && !xml_space(p[n]))
            n++;
        if (n == 0)
            break;
        for (xmlNodePtr node = root; node != NULL;
             node = pipe_xpath_walk_next(node, root)) {
            if (ctxt->context->opLimit != 0 &&
                ctxt->context->opCount++ >= ctxt->context->opLimit) {
                xmlXPathFreeNodeSet(found);
                xmlFree(toks);
                XP_ERROR(XPATH_OP_LIMIT_EXCEEDED);
            }
            if (node->type == XML_ELEMENT_NODE && has_id(node, p, n)) {
                if (xmlXPathNodeSetAdd(found, node) < 0) {
                    xmlXPathFreeNodeSet(found);
                    xmlFree(toks);
                    XP_ERROR(XPATH_MEMORY_ERROR);
                }
                break;
            }
        }
        p += n;
    }
    xmlFree(toks);
    xmlXPathNodeSetSort(found);
    valuePush(ctxt, xmlXPathWrapNodeSet(found));
}

xmlXPathContextPtr pipe_xpath_context(xmlDocPtr doc)
{
    xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
    if (ctx == NULL)
        return NULL;
    /* libxml2's own id() reads the ID table the parse no longer fills */
    xmlXPathRegisterFunc(ctx, BAD_CAST "id", NULL);
    if (xmlXPathRegisterFunc(ctx, BAD_CAST "id", id_function) != 0) {
        xmlXPathFreeContext(ctx);
        return NULL;
    }
    return ctx;
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
    xmlXPathContextPtr ctx = pipe_xpath_context(NULL);
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

xmlNodePtr pipe_xpath_walk_next(xmlNodePtr node, xmlNodePtr root)
{
    if (node->children != NULL &&
        (node->type == XML_ELEMENT_NODE || node == root))
        return node->children;
    while (node != NULL && node != root && node->next == NULL)
        node = node->parent;
    return node == NULL || node == root ? NULL : node->next;
}

xmlNodePtr pipe_xpath_find_element(xmlNodePtr root, const char *name)
{
    for (xmlNodePtr node = root; node != NULL;
         node = pipe_xpath_walk_next(node, root))
        if (node->type == XML_ELEMENT_NODE &&
            strcmp((const char *)node->name, name) == 0)
            return node;
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
