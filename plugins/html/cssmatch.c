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
#include "pipe/util.h"

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

/* ------------------------------------------------------------------ */
/* The index                                                           */

enum { KEY_TAG, KEY_CLASS, KEY_ID };

/* One key (tag name, class word or id) and its elements.  The keys sit
 * in one dense array in the order they were first seen; the hash table
 * holds only their numbers, so growing it moves four bytes a slot and
 * nothing that names a key changes. */
typedef struct ix_key {
    const char *key; /* into the tree */
    uint32_t len;
    uint32_t hash;
    uint32_t kind;
    uint32_t n;   /* elements under the key */
    uint32_t off; /* their positions: flat[off .. off + n), ascending
                   * (while building: the last position + 1) */
} ix_key;

struct pipe_cssm_index {
    xmlNodePtr *els; /* document order */
    uint32_t *end;   /* end[i]: one past the last element inside els[i] */
    uint32_t n, cap;
    ix_key *keys;
    uint32_t nkeys, kcap;
    uint32_t *slots; /* open addressing, a power of two: key number + 1,
                      * 0 for an empty slot */
    uint32_t nslots;
    uint32_t *flat;  /* every key's positions, key after key */
    uint32_t *pairs; /* while building: (key, position) per key use */
    size_t npairs, pcap;
    int skip_template; /* built without <template> content */
    /* some element's class/id attribute is not a single text node: that
     * list cannot be trusted to be complete */
    int class_partial, id_partial;
};

/* (four bytes a step: tag names, class words and ids are short, and
 * every element's go through here when the index is made) */
static uint32_t key_hash(int kind, const char *k, size_t len)
{
    uint32_t h = PIPE_HASH_SEED ^ (uint32_t)kind ^ (uint32_t)len;
    size_t i = 0;
    for (; i + 4 <= len; i += 4) {
        uint32_t w;
        memcpy(&w, k + i, 4);
        h = (h ^ w) * 0x9E3779B1u;
        h ^= h >> 15;
    }
    for (; i < len; i++)
        h = (h ^ (unsigned char)k[i]) * 16777619u;
    return h;
}

static int same_key(const char *a, const char *b, size_t len)
{
    size_t i = 0;
    for (; i + 4 <= len; i += 4) {
        uint32_t x, y;
        memcpy(&x, a + i, 4);
        memcpy(&y, b + i, 4);
        if (x != y)
            return 0;
    }
    for (; i < len; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

/* The slot of key (kind, k, len): the one holding it, or the empty one
 * where it would go. */
static uint32_t *ix_find(const pipe_cssm_index *ix, int kind, const char *k,
                         size_t len, uint32_t h)
{
    uint32_t mask = ix->nslots - 1;
    for (uint32_t i = h & mask;; i = (i + 1) & mask) {
        uint32_t *s = &ix->slots[i];
        if (*s == 0)
            return s;
        const ix_key *e = &ix->keys[*s - 1];
        if (e->hash == h && e->kind == (uint32_t)kind && e->len == len &&
            same_key(e->key, k, len))
            return s;
    }
}

/* Doubles the table (first: 512 slots, 2 KiB) and puts the keys back. */
static int ix_grow(pipe_cssm_index *ix)
{
    uint32_t ns = ix->nslots ? ix->nslots * 2 : 512;
    uint32_t *nw = pipe_mem_malloc(ns * sizeof *nw);
    if (nw == NULL)
        return -1;
    memset(nw, 0, ns * sizeof *nw);
    pipe_mem_free(ix->slots);
    ix->slots = nw;
    ix->nslots = ns;
    for (uint32_t i = 0; i < ix->nkeys; i++) {
        const ix_key *e = &ix->keys[i];
        *ix_find(ix, (int)e->kind, e->key, e->len, e->hash) = i + 1;
    }
    return 0;
}

/* element position pos under key (kind, k, len) */
static int ix_add(pipe_cssm_index *ix, int kind, const char *k, size_t len,
                  uint32_t pos)
{
    uint32_t h = key_hash(kind, k, len);
    uint32_t *s = ix_find(ix, kind, k, len, h);
    ix_key *e;
    if (*s == 0) {
        if (ix->nkeys == ix->kcap) {
            uint32_t cap = ix->kcap ? ix->kcap * 2 : 256;
            ix_key *nk = pipe_mem_realloc(ix->keys, cap * sizeof *nk);
            if (nk == NULL)
                return -1;
            ix->keys = nk;
            ix->kcap = cap;
        }
        e = &ix->keys[ix->nkeys++];
        e->key = k;
        e->len = (uint32_t)len;
        e->hash = h;
        e->kind = (uint32_t)kind;
        e->n = 0;
        e->off = 0;
        *s = ix->nkeys;
        /* (at most half full) */
        if (ix->nkeys * 2 > ix->nslots && ix_grow(ix) < 0)
            return -1;
    } else {
        e = &ix->keys[*s - 1];
        if (e->n > 0 && e->off == pos + 1)
            return 0; /* class="a a" */
    }
    if (ix->npairs == ix->pcap) {
        size_t cap = ix->pcap ? ix->pcap * 2 : 1024;
        uint32_t *p = pipe_mem_realloc(ix->pairs, cap * 2 * sizeof *p);
        if (p == NULL)
            return -1;
        ix->pairs = p;
        ix->pcap = cap;
    }
    ix->pairs[2 * ix->npairs] = (uint32_t)(e - ix->keys);
    ix->pairs[2 * ix->npairs + 1] = pos;
    ix->npairs++;
    e->n++;
    e->off = pos + 1;
    return 0;
}

/* The attribute's string-value when it is one text node (or none): what
 * attr_test reads without copying; NULL when it is more (its list is then
 * marked partial) */
static const char *plain_value(xmlAttrPtr a)
{
    xmlNodePtr c = a->children;
    if (c == NULL)
        return "";
    if (c->next == NULL && c->type == XML_TEXT_NODE)
        return c->content ? (const char *)c->content : "";
    return NULL;
}

/* The bytes that end a class word: NUL and the XML blanks. */
static const unsigned char word_end[256] = {
    [0] = 1, [' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1,
};

static int ix_element(pipe_cssm_index *ix, xmlNodePtr el, uint32_t pos)
{
    if (el->ns == NULL &&
        ix_add(ix, KEY_TAG, (const char *)el->name,
               strlen((const char *)el->name), pos) < 0)
        return -1;
    int seen_class = 0, seen_id = 0;
    for (xmlAttrPtr a = el->properties; a != NULL; a = a->next) {
        if (a->ns != NULL && a->ns->prefix != NULL)
            continue;
        const char *name = (const char *)a->name;
        int cls = name[0] == 'c' && strcmp(name, "class") == 0;
        int id = !cls && name[0] == 'i' && name[1] == 'd' && name[2] == '\0';
        /* the first of its name is the one the matcher reads (find_attr:
         * the first without a namespace prefix, as this loop goes) */
        if (!cls && !id)
            continue;
        if (cls ? seen_class++ : seen_id++)
            continue;
        const char *v = plain_value(a);
        if (v == NULL) {
            *(cls ? &ix->class_partial : &ix->id_partial) = 1;
        } else if (id) {
            if (ix_add(ix, KEY_ID, v, strlen(v), pos) < 0)
                return -1;
        } else {
            for (const char *p = v; *p;) {
                while (xml_blank((unsigned char)*p))
                    p++;
                const char *w = p;
                while (!word_end[(unsigned char)*p])
                    p++;
                if (p > w &&
                    ix_add(ix, KEY_CLASS, w, (size_t)(p - w), pos) < 0)
                    return -1;
            }
        }
    }
    return 0;
}

void pipe_cssm_index_free(pipe_cssm_index *ix)
{
    if (ix == NULL)
        return;
    pipe_mem_free(ix->slots);
    pipe_mem_free(ix->keys);
    pipe_mem_free(ix->flat);
    pipe_mem_free(ix->pairs);
    pipe_mem_free(ix->els);
    pipe_mem_free(ix->end);
    pipe_mem_free(ix);
}

/* The walk of pipe_cssm_walk (element children, pre-order), numbering
 * the elements, then the key lists gathered into one array. */
static int ix_fill(pipe_cssm_index *ix, xmlDocPtr doc)
{
    uint32_t *open = NULL; /* positions of the elements entered */
    size_t depth = 0, ocap = 0;
    xmlNodePtr cur = elem_from(doc->children);
    int rc = 0;
    while (cur != NULL) {
        if (ix->n == ix->cap) {
            uint32_t cap = ix->cap ? ix->cap * 2 : 512;
            xmlNodePtr *e = pipe_mem_realloc(ix->els, cap * sizeof *e);
            if (e == NULL)
                goto oom;
            ix->els = e;
            uint32_t *en = pipe_mem_realloc(ix->end, cap * sizeof *en);
            if (en == NULL)
                goto oom;
            ix->end = en;
            ix->cap = cap;
        }
        uint32_t pos = ix->n++;
        ix->els[pos] = cur;
        cur->_private = (void *)(uintptr_t)(pos + 1);
        if (ix_element(ix, cur, pos) < 0)
            goto oom;
        xmlNodePtr child = elem_from(cur->children);
        if (child != NULL && !(ix->skip_template && is_template(cur))) {
            if (depth == ocap) {
                size_t cap = ocap ? ocap * 2 : 64;
                uint32_t *o = pipe_mem_realloc(open, cap * sizeof *o);
                if (o == NULL)
                    goto oom;
                open = o;
                ocap = cap;
            }
            open[depth++] = pos;
            cur = child;
            continue;
        }
        ix->end[pos] = ix->n;
        cur = elem_from(cur->next);
        while (cur == NULL && depth > 0) {
            uint32_t up = open[--depth];
            ix->end[up] = ix->n;
            cur = elem_from(ix->els[up]->next);
        }
    }
    /* the pairs grouped by key (positions stay ascending) */
    ix->flat = pipe_mem_malloc((ix->npairs ? ix->npairs : 1) * sizeof *ix->flat);
    if (ix->flat == NULL)
        goto oom;
    uint32_t off = 0;
    for (uint32_t i = 0; i < ix->nkeys; i++) {
        ix->keys[i].off = off;
        off += ix->keys[i].n;
        ix->keys[i].n = 0;
    }
    for (size_t i = 0; i < ix->npairs; i++) {
        ix_key *e = &ix->keys[ix->pairs[2 * i]];
        ix->flat[e->off + e->n++] = ix->pairs[2 * i + 1];
    }
    pipe_mem_free(ix->pairs);
    ix->pairs = NULL;
    goto done;
oom:
    rc = -1;
done:
    pipe_mem_free(open);
    return rc;
}

pipe_cssm_index *pipe_cssm_index_build(xmlDocPtr doc, int skip_template)
{
    pipe_cssm_index *ix = pipe_mem_malloc(sizeof *ix);
    if (ix == NULL)
        return NULL;
    memset(ix, 0, sizeof *ix);
    ix->skip_template = skip_template;
    if (ix_grow(ix) < 0 || ix_fill(ix, doc) < 0) {
        pipe_cssm_index_free(ix);
        return NULL;
    }
    return ix;
}

/* A key's positions (none: n = 0) */
typedef struct ix_list {
    const uint32_t *v;
    uint32_t n;
} ix_list;

static ix_list ix_get(const pipe_cssm_index *ix, int kind, const char *k)
{
    size_t len = strlen(k);
    const uint32_t *s = ix_find(ix, kind, k, len, key_hash(kind, k, len));
    ix_list l = {NULL, 0};
    if (*s != 0) {
        const ix_key *e = &ix->keys[*s - 1];
        l.v = ix->flat + e->off;
        l.n = e->n;
    }
    return l;
}

/* The shortest of compound c's id, class and tag lists; 0 when it has
 * none of them (the index cannot tell its elements). */
static int best_list(const pipe_cssm_index *ix, const pipe_cssm_compound *c,
                     ix_list *out)
{
    int have = 0;
    if (c->tag != NULL) {
        *out = ix_get(ix, KEY_TAG, c->tag);
        have = 1;
    }
    for (int i = 0; i < c->ntests; i++) {
        const pipe_cssm_test *t = &c->tests[i];
        ix_list l;
        if (t->icase)
            continue;
        if (t->op == PIPE_CSSM_WORD && !ix->class_partial &&
            strcmp(t->name, "class") == 0)
            l = ix_get(ix, KEY_CLASS, t->value);
        else if (t->op == PIPE_CSSM_EQ && !ix->id_partial &&
                 strcmp(t->name, "id") == 0)
            l = ix_get(ix, KEY_ID, t->value);
        else
            continue;
        if (!have || l.n < out->n)
            *out = l;
        have = 1;
    }
    return have;
}

static xmlNodePtr prev_elem(xmlNodePtr n)
{
    while (n != NULL && n->type != XML_ELEMENT_NODE)
        n = n->prev;
    return n;
}

/* Does the prefix of a selector ending at compound k match with el as k's
 * subject, every element of it strictly inside ctx?  The walk's M read
 * from right to left (its rules: ancestors below ctx, the parent unless
 * it is ctx, element siblings).  -1: the budget ran out. */
static int rmatch(const pipe_cssm *m, int k, xmlNodePtr el, xmlNodePtr ctx,
                  long *budget)
{
    if (--*budget < 0)
        return -1;
    if (!compound_match(&m->c[k], el))
        return 0;
    uint64_t bit = (uint64_t)1 << k;
    if (m->first & bit)
        return 1;
    if (m->desc & bit) {
        for (xmlNodePtr a = el->parent;
             a != NULL && a != ctx && a->type == XML_ELEMENT_NODE;
             a = a->parent) {
            int r = rmatch(m, k - 1, a, ctx, budget);
            if (r != 0)
                return r;
        }
        return 0;
    }
    if (m->child & bit) {
        xmlNodePtr p = el->parent;
        if (p == NULL || p == ctx || p->type != XML_ELEMENT_NODE)
            return 0;
        return rmatch(m, k - 1, p, ctx, budget);
    }
    if (m->adj & bit) {
        xmlNodePtr s = prev_elem(el->prev);
        return s != NULL ? rmatch(m, k - 1, s, ctx, budget) : 0;
    }
    if (m->sib & bit) {
        for (xmlNodePtr s = prev_elem(el->prev); s != NULL;
             s = prev_elem(s->prev)) {
            int r = rmatch(m, k - 1, s, ctx, budget);
            if (r != 0)
                return r;
        }
    }
    return 0;
}

static int in_document(xmlNodePtr n)
{
    for (; n != NULL; n = n->parent)
        if (n->type == XML_DOCUMENT_NODE || n->type == XML_HTML_DOCUMENT_NODE)
            return 1;
    return 0;
}

int pipe_cssm_index_each(const pipe_cssm_index *ix, const char *tag,
                         int detached, pipe_cssm_fn fn, void *ud)
{
    ix_list l = ix_get(ix, KEY_TAG, tag);
    for (uint32_t i = 0; i < l.n; i++) {
        xmlNodePtr el = ix->els[l.v[i]];
        if (detached && !in_document(el))
            continue;
        if (fn(ud, el))
            return 1;
    }
    return 0;
}

/* the first of v[0..n) that is >= lo */
static const uint32_t *lower_bound(const uint32_t *v, uint32_t n, uint32_t lo)
{
    uint32_t a = 0, b = n;
    while (a < b) {
        uint32_t mid = a + (b - a) / 2;
        if (v[mid] < lo)
            a = mid + 1;
        else
            b = mid;
    }
    return v + a;
}

/* One selector's candidates in document order: its subject's list within
 * [lo, hi), or, with an anchor (a compound left of the subject joined to
 * it by descendant and child combinators only, so that every match lies
 * inside one of the anchor's elements), only within the subtrees of the
 * anchor's elements there. */
typedef struct cand_iter {
    const uint32_t *v, *vend; /* the subject's list */
    const uint32_t *a, *aend; /* the anchor's */
    uint32_t lim;             /* the current range's end */
    uint32_t hi;
    int anchored;
} cand_iter;

static uint32_t cand_next(cand_iter *it, const pipe_cssm_index *ix)
{
    for (;;) {
        if (it->v < it->vend && *it->v < it->lim)
            return *it->v++;
        if (!it->anchored)
            return UINT32_MAX;
        /* the next anchor element past the current range (one inside it
         * adds nothing) */
        while (it->a < it->aend && *it->a < it->lim)
            it->a++;
        if (it->a >= it->aend)
            return UINT32_MAX;
        uint32_t x = *it->a++;
        it->lim = ix->end[x] < it->hi ? ix->end[x] : it->hi;
        it->v = lower_bound(it->v, (uint32_t)(it->vend - it->v), x + 1);
    }
}

int pipe_cssm_query(const pipe_cssm *m, const pipe_cssm_index *ix,
                    xmlNodePtr ctx, int skip_template, int detached,
                    pipe_cssm_fn fn, void *ud)
{
    if (ix == NULL || m->n == 0 || skip_template != ix->skip_template)
        return -2;
    uint32_t lo = 0, hi = ix->n;
    if (ctx->type != XML_DOCUMENT_NODE && ctx->type != XML_HTML_DOCUMENT_NODE) {
        uintptr_t p = (uintptr_t)ctx->_private;
        if (ctx->type != XML_ELEMENT_NODE || p == 0 || p > ix->n ||
            ix->els[p - 1] != ctx)
            return -2;
        /* a removed subtree's candidates would all be skipped below; a
         * <template>'s content is not in the index */
        if ((detached && !in_document(ctx)) ||
            (skip_template && is_template(ctx)))
            return -2;
        lo = (uint32_t)p;
        hi = ix->end[p - 1];
    }
    /* each selector's subject and its candidates */
    int subj[PIPE_CSSM_MAX], nsel = 0, start = 0;
    cand_iter it[PIPE_CSSM_MAX];
    uint32_t head[PIPE_CSSM_MAX];
    for (int k = 0; k < m->n; k++) {
        uint64_t bit = (uint64_t)1 << k;
        if (m->first & bit)
            start = k;
        if (!(m->last & bit))
            continue;
        ix_list l;
        if (!best_list(ix, &m->c[k], &l))
            return -2;
        cand_iter *c = &it[nsel];
        c->v = lower_bound(l.v, l.n, lo);
        c->vend = lower_bound(l.v, l.n, hi);
        c->lim = hi;
        c->hi = hi;
        c->anchored = 0;
        /* an anchor with far fewer elements than the subject has
         * candidates (".byline a": the few bylines, not every link) */
        if (c->vend - c->v > 16)
            for (int j = k; j > start; j--) {
                if (!((m->desc | m->child) & ((uint64_t)1 << j)))
                    break;
                ix_list al;
                if (best_list(ix, &m->c[j - 1], &al)) {
                    const uint32_t *a = lower_bound(al.v, al.n, lo);
                    const uint32_t *ae = lower_bound(al.v, al.n, hi);
                    if (ae - a < (c->vend - c->v) / 4) {
                        c->a = a;
                        c->aend = ae;
                        c->anchored = 1;
                        c->lim = 0;
                        break;
                    }
                }
            }
        subj[nsel] = k;
        head[nsel] = cand_next(c, ix);
        nsel++;
    }
    /* about what the walk would cost, in compound tests */
    long budget = 256 + 4L * (long)(hi - lo) * (long)m->n;
    for (;;) {
        /* the next candidate in document order (streams merged, each
         * element once) */
        uint32_t next = UINT32_MAX;
        for (int j = 0; j < nsel; j++)
            if (head[j] < next)
                next = head[j];
        if (next == UINT32_MAX)
            return 0;
        /* only the selectors whose streams hold it can match it: a
         * stream is a superset of its selector's matches */
        uint64_t from = 0;
        for (int j = 0; j < nsel; j++)
            if (head[j] == next) {
                head[j] = cand_next(&it[j], ix);
                from |= (uint64_t)1 << j;
            }
        xmlNodePtr el = ix->els[next];
        if (detached && !in_document(el))
            continue;
        for (; from != 0; from &= from - 1) {
            int j = __builtin_ctzll(from);
            int r = rmatch(m, subj[j], el, ctx, &budget);
            if (r < 0)
                return -2;
            if (r > 0) {
                if (fn(ud, el))
                    return 1;
                break;
            }
        }
    }
}
