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

/* One id asked for: n bytes at p, and whether an element has it yet. */
typedef struct id_tok {
    const char *p;
    size_t n;
    int found;
} id_tok;

static int tok_cmp(const void *a, const void *b)
{
    const id_tok *x = a, *y = b;
    int c = memcmp(x->p, y->p, x->n < y->n ? x->n : y->n);
    return c != 0 ? c : (x->n > y->n) - (x->n < y->n);
}

/* Append the whitespace-separated tokens of s to *toks. */
static int add_tokens(const char *s, id_tok **toks, size_t *n, size_t *cap)
{
    for (;;) {
        while (xml_space(*s))
            s++;
        size_t k = 0;
        while (s[k] != '\0' && !xml_space(s[k]))
            k++;
        if (k == 0)
            return 0;
        if (*n == *cap) {
            size_t nc = *cap ? *cap * 2 : 8;
            id_tok *t = xmlRealloc(*toks, nc * sizeof *t);
            if (t == NULL)
                return -1;
            *toks = t;
            *cap = nc;
        }
        (*toks)[(*n)++] = (id_tok){s, k, 0};
        s += k;
    }
}

/* Mark the ids asked for that `el` carries (the attributes libxml2 2.9.14
 * takes for IDs in HTML, xmlIsID: id on any element, name on <a>; the
 * value a single text node, spaces at its ends dropped, as its parser
 * kept it); how many of them no element had before. */
static size_t claim_ids(xmlNodePtr el, id_tok *toks, size_t n)
{
    int is_a = strcmp((const char *)el->name, "a") == 0;
    size_t hit = 0;
    for (xmlAttrPtr at = el->properties; at != NULL; at = at->next) {
        if (at->ns != NULL || at->children == NULL ||
            at->children->type != XML_TEXT_NODE ||
            at->children->next != NULL)
            continue;
        const char *nm = (const char *)at->name;
        if (strcmp(nm, "id") != 0 && !(is_a && strcmp(nm, "name") == 0))
            continue;
        const char *v = (const char *)at->children->content;
        if (v == NULL)
            continue;
        while (xml_space(*v))
            v++;
        size_t k = strlen(v);
        while (k > 0 && xml_space(v[k - 1]))
            k--;
        id_tok key = {v, k, 0};
        id_tok *t = bsearch(&key, toks, n, sizeof *toks, tok_cmp);
        if (t != NULL && !t->found) {
            t->found = 1;
            hit++;
        }
    }
    return hit;
}

/*
 * XPath's id(): pipe's parse keeps no ID table (XML_SKIP_IDS in html.c:
 * libxml2 2.9.14's table stops growing at 16,384 buckets: 320,000 ids
 * took 2.8 s to parse instead of 0.8 s), so the ids are found by one
 * walk of the document: the first element in document order carrying
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
    /* the strings the tokens point into: one, or one per node */
    int set = arg->type == XPATH_NODESET || arg->type == XPATH_XSLT_TREE;
    int nstr = !set ? 1 : arg->nodesetval != NULL ? arg->nodesetval->nodeNr
                                                  : 0;
    xmlChar **strs = xmlMalloc((size_t)(nstr > 0 ? nstr : 1) * sizeof *strs);
    id_tok *toks = NULL;
    size_t ntok = 0, cap = 0;
    int held = 0, err = strs == NULL;
    while (!err && held < nstr) {
        xmlChar *v = set ? xmlXPathCastNodeToString(
                               arg->nodesetval->nodeTab[held])
                         : xmlXPathCastToString(arg);
        if (v == NULL)
            err = 1;
        else
            strs[held++] = v;
        err = err || add_tokens((const char *)v, &toks, &ntok, &cap) != 0;
    }
    xmlNodeSetPtr found = err ? NULL : xmlXPathNodeSetCreate(NULL);
    int code = err || found == NULL ? XPATH_MEMORY_ERROR : 0;
    if (code == 0 && ntok > 0) {
        qsort(toks, ntok, sizeof *toks, tok_cmp);
        size_t left = 0;
        for (size_t i = 0; i < ntok; i++)
            if (i == 0 || tok_cmp(&toks[i - 1], &toks[i]) != 0)
                toks[left++] = toks[i];
        ntok = left;
        /* from the document node: a page's stray markup after </html>
         * may sit beside the root element */
        xmlNodePtr root = (xmlNodePtr)ctxt->context->doc;
        for (xmlNodePtr node = root; node != NULL && left > 0;
             node = pipe_xpath_walk_next(node, root)) {
            if (ctxt->context->opLimit != 0 &&
                ctxt->context->opCount++ >= ctxt->context->opLimit) {
                code = XPATH_OP_LIMIT_EXCEEDED;
                break;
            }
            if (node->type != XML_ELEMENT_NODE || node->properties == NULL)
                continue;
            size_t got = claim_ids(node, toks, ntok);
            if (got == 0)
                continue;
            left -= got;
            if (xmlXPathNodeSetAddUnique(found, node) < 0) {
                code = XPATH_MEMORY_ERROR;
                break;
            }
        }
    }
    for (int i = 0; i < held; i++)
        xmlFree(strs[i]);
    xmlFree(strs);
    xmlFree(toks);
    xmlXPathFreeObject(arg);
    if (code != 0) {
        xmlXPathFreeNodeSet(found);
        XP_ERROR(code);
    }
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
