/*
 * Native CSS matching (see cssmatch.h): one pre-order walk of the context
 * node's subtree, with each selector of the list run as a little automaton
 * from the top down instead of XPath's step-by-step node sets.
 *
 * Every compound of the list has a bit.  For each element the walk
 * computes M, the compounds k for which the selector's prefix up to k
 * matches with this element as k's subject: k is the first compound of
 * its selector and the element satisfies it, or the element satisfies k
 * and the prefix up to k-1 matched on the right relative: an ancestor
 * inside the context (descendant combinator: A of the parent, the OR of M
 * over the parent and its ancestors below the context), the parent (`>`),
 * the previous element sibling (`+`) or any earlier one (`~`).  An element
 * matches when M holds the last compound of some selector.  So the cost is
 * linear in the tree, whatever the combinators, and a list never yields a
 * node twice; the walk's order is document order, as XPath's union sorts.
 *
 * Each test mirrors the XPath css.c writes for it (cssmatch.h lists them):
 * element names compared as XPath name tests do (no namespace), attribute
 * values read as XPath's string-value (the concatenated text children),
 * `~=` and classes split on XML whitespace (normalize-space), `$=` counted
 * in characters with libxml2's own UTF-8 functions.
 *
 * Caveats: the stack grows with the tree's depth (pages nest 100k deep):
 * it is heap memory the caller owns, so a raising callback cannot leak it.
 */
#include "cssmatch.h"

#include "pipe/plugin.h"

#include <stdlib.h>
#include <string.h>

#include <libxml/xmlstring.h>

void pipe_cssm_free(pipe_cssm *m)
{
    if (m == NULL)
        return;
    for (int i = 0; i < m->n; i++) {
        pipe_cssm_compound *c = &m->c[i];
        for (int j = 0; j < c->ntests; j++) {
            free(c->tests[j].name);
            free(c->tests[j].value);
        }
        free(c->tests);
        free(c->tag);
    }
    free(m);
}

/* XPath's whitespace (normalize-space): XML's four blanks */
static int xml_blank(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* v (no blanks, non-empty) as a blank-separated token of s */
static int has_word(const char *s, const char *v, size_t n)
{
    for (const char *p = s; (p = strstr(p, v)) != NULL; p++) {
        if ((p == s || xml_blank((unsigned char)p[-1])) &&
            (p[n] == '\0' || xml_blank((unsigned char)p[n])))
            return 1;
    }
    return 0;
}

static int starts_with(const char *s, const char *v, size_t n)
{
    return strncmp(s, v, n) == 0;
}

/* substring(s, string-length(s) - (k - 1)) = v, as libxml2 computes it:
 * the tail of s from character max(1, len - k + 1) */
static int suffix_match(const char *s, const char *v, long k)
{
    int len = xmlUTF8Strlen((const xmlChar *)s);
    long start = (long)len - (k - 1);
    if (start <= 1)
        return strcmp(s, v) == 0;
    const xmlChar *tail = xmlUTF8Strpos((const xmlChar *)s, (int)(start - 1));
    return strcmp(tail ? (const char *)tail : "", v) == 0;
}

/* The attribute's value lowercased (A-Z only, as translate() does) into
 * buf when it fits, else into a malloc'd copy (*heap). */
static const char *lower_copy(const char *s, char *buf, size_t bufsz,
                              char **heap)
{
    size_t n = strlen(s);
    char *d = buf;
    if (n >= bufsz) {
        d = *heap = malloc(n + 1);
        if (d == NULL)
            return NULL;
    }
    for (size_t i = 0; i <= n; i++)
        d[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] - 'A' + 'a') : s[i];
    return d;
}

/* One value test on s (the attribute's string-value, "" when absent
 * under ` i`). */
static int value_test(const pipe_cssm_test *t, const char *s)
{
    switch (t->op) {
    case PIPE_CSSM_EQ:
        return strcmp(s, t->value) == 0;
    case PIPE_CSSM_WORD:
        return has_word(s, t->value, t->vlen);
    case PIPE_CSSM_PREFIX:
        return starts_with(s, t->value, t->vlen);
    case PIPE_CSSM_SUFFIX:
        return suffix_match(s, t->value, t->vchars);
    case PIPE_CSSM_SUBSTR:
        return strstr(s, t->value) != NULL;
    case PIPE_CSSM_DASH:
        return strcmp(s, t->value) == 0 ||
               (starts_with(s, t->value, t->vlen) && s[t->vlen] == '-');
    default:
        return 0;
    }
}

static xmlAttrPtr find_attr(xmlNodePtr el, const char *name)
{
    for (xmlAttrPtr a = el->properties; a != NULL; a = a->next)
        if ((a->ns == NULL || a->ns->prefix == NULL) &&
            a->name[0] == (xmlChar)name[0] &&
            strcmp((const char *)a->name, name) == 0)
            return a;
    return NULL;
}

static int attr_test(const pipe_cssm_test *t, xmlNodePtr el)
{
    if (t->op == PIPE_CSSM_FALSE)
        return 0;
    xmlAttrPtr a = find_attr(el, t->name);
    if (t->op == PIPE_CSSM_HAS)
        return a != NULL;
    if (a == NULL)
        return 0;
    /* the string-value: one text child almost always */
    const char *s = "";
    xmlChar *owned = NULL;
    if (a != NULL && a->children != NULL) {
        xmlNodePtr c = a->children;
        if (c->next == NULL && c->type == XML_TEXT_NODE)
            s = c->content ? (const char *)c->content : "";
        else
            s = (const char *)(owned = xmlNodeGetContent((xmlNodePtr)a));
        if (s == NULL)
            s = "";
    }
    int r;
    if (t->icase) {
        char buf[256], *heap = NULL;
        const char *low = lower_copy(s, buf, sizeof buf, &heap);
        r = low != NULL && value_test(t, low);
        free(heap);
    } else {
        r = value_test(t, s);
    }
    if (owned != NULL)
        xmlFree(owned);
    return r;
}

/* Does element `el` satisfy compound `c`? */
static int compound_match(const pipe_cssm_compound *c, xmlNodePtr el)
{
    /* (the first byte before strcmp: a list like "p, div, li, ..." tries
     * every name on every element) */
    if (c->tag != NULL &&
        (el->ns != NULL || el->name[0] != (xmlChar)c->tag[0] ||
         strcmp((const char *)el->name, c->tag) != 0))
        return 0;
    for (int i = 0; i < c->ntests; i++)
        if (!attr_test(&c->tests[i], el))
            return 0;
    return 1;
}

/* ------------------------------------------------------------------ */
/* The walk                                                            */

typedef struct frame {
    xmlNodePtr node;
    uint64_t m;      /* this element's matched prefixes */
    uint64_t a;      /* OR of m over it and its ancestors below ctx */
    uint64_t prev;   /* m of the last element child seen */
    uint64_t sibs;   /* OR of m over the element children seen */
} frame;

struct pipe_cssm_stack {
    frame *f;
    size_t cap;
};

pipe_cssm_stack *pipe_cssm_stack_new(void)
{
    pipe_cssm_stack *st = malloc(sizeof *st);
    if (st != NULL) {
        st->f = NULL;
        st->cap = 0;
    }
    return st;
}

void pipe_cssm_stack_free(void *p)
{
    pipe_cssm_stack *st = p;
    if (st == NULL)
        return;
    pipe_mem_free(st->f);
    free(st);
}

static int reserve(pipe_cssm_stack *st, size_t n)
{
    if (n < st->cap)
        return 0;
    size_t cap = st->cap ? st->cap * 2 : 64;
    while (cap <= n)
        cap *= 2;
    frame *f = pipe_mem_realloc(st->f, cap * sizeof *f);
    if (f == NULL)
        return -1;
    st->f = f;
    st->cap = cap;
    return 0;
}

static xmlNodePtr elem_from(xmlNodePtr n)
{
    while (n != NULL && n->type != XML_ELEMENT_NODE)
        n = n->next;
    return n;
}

static int is_template(xmlNodePtr n)
{
    return n->type == XML_ELEMENT_NODE && n->name[0] == 't' &&
           strcmp((const char *)n->name, "template") == 0;
}

int pipe_cssm_walk(const pipe_cssm *m, xmlNodePtr ctx, int skip_template,
                   pipe_cssm_stack *st, pipe_cssm_fn fn, void *ud)
{
    if (skip_template)
        for (xmlNodePtr p = ctx; p != NULL; p = p->parent)
            if (is_template(p))
                return 0;
    if (reserve(st, 0) < 0)
        return -1;
    size_t depth = 0;
    st->f[0] = (frame){ctx, 0, 0, 0, 0};
    xmlNodePtr cur = elem_from(ctx->children);
    while (cur != NULL) {
        frame *P = &st->f[depth];
        uint64_t cand = m->first | ((P->a << 1) & m->desc) |
                        ((P->m << 1) & m->child) |
                        ((P->prev << 1) & m->adj) | ((P->sibs << 1) & m->sib);
        uint64_t got = 0;
        while (cand != 0) {
            int k = __builtin_ctzll(cand);
            cand &= cand - 1;
            if (compound_match(&m->c[k], cur))
                got |= (uint64_t)1 << k;
        }
        P->prev = got;
        P->sibs |= got;
        if ((got & m->last) != 0 && fn(ud, cur))
            return 1;
        xmlNodePtr child = elem_from(cur->children);
        if (child != NULL && !(skip_template && is_template(cur))) {
            if (reserve(st, depth + 1) < 0)
                return -1;
            P = &st->f[depth];
            st->f[depth + 1] = (frame){cur, got, P->a | got, 0, 0};
            depth++;
            cur = child;
            continue;
        }
        cur = elem_from(cur->next);
        while (cur == NULL && depth > 0) {
            cur = elem_from(st->f[depth].node->next);
            depth--;
        }
    }
    return 0;
}
