/*
 * extract plugin, scoring (passes 1 and 2; see extract.h): index the tree
 * into a side array in document (pre-)order, one reverse sweep to sum
 * every subtree's figures, Readability's paragraph scores, the top
 * candidate, and whether its siblings join.
 *
 * Cost: one walk computes per-element figures; the reverse sweep adds each
 * element's figures into its parent, so every subtree total is known
 * without walking any subtree twice.  The children of element i are found
 * in the array as i+1, then i+1+size[i+1], and so on.
 *
 * Caveats: hint matching works on lowercase tokens of class and id, split
 * at non-alphanumerics and camelCase humps: a hint matches a token that
 * equals it, equals it plus "s", or (for hints of at least `hint_prefix`
 * letters) starts with it, so "ad" matches "ad-slot" and "ads" but never
 * "head" or "shadow".  Elements nested deeper than MAX_DEPTH are ignored.
 */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <libxml/tree.h>

#include "extract.h"

typedef struct tag_info {
    const char *name;
    unsigned flags;
} tag_info;

/* Sorted by name for bsearch. */
static const tag_info tags[] = {
    {"a", T_A},
    {"address", T_BLOCK},
    {"applet", T_SKIP},
    {"article", T_BLOCK | T_KEEP | T_ARTICLE},
    {"aside", T_BLOCK | T_CLEAN},
    {"audio", T_SKIP},
    {"blockquote", T_BLOCK | T_QUOTE},
    {"body", T_BLOCK | T_KEEP},
    {"br", T_BR},
    {"button", T_SKIP},
    {"canvas", T_SKIP},
    {"caption", T_BLOCK},
    {"center", T_BLOCK},
    {"dd", T_BLOCK},
    {"details", T_BLOCK},
    {"dialog", T_BLOCK},
    {"dir", T_BLOCK},
    {"div", T_BLOCK | T_CLEAN},
    {"dl", T_BLOCK},
    {"dt", T_BLOCK},
    {"embed", T_SKIP | T_EMBED},
    {"fieldset", T_BLOCK | T_CLEAN},
    {"figcaption", T_BLOCK},
    {"figure", T_BLOCK | T_FIGURE},
    {"footer", T_BLOCK},
    {"form", T_BLOCK | T_CLEAN},
    {"frame", T_SKIP},
    {"h1", T_BLOCK | T_HEADING},
    {"h2", T_BLOCK | T_HEADING},
    {"h3", T_BLOCK | T_HEADING},
    {"h4", T_BLOCK | T_HEADING},
    {"h5", T_BLOCK | T_HEADING},
    {"h6", T_BLOCK | T_HEADING},
    {"head", T_SKIP},
    {"header", T_BLOCK},
    {"hgroup", T_BLOCK},
    {"hr", T_BLOCK},
    {"html", T_BLOCK | T_KEEP},
    {"iframe", T_SKIP | T_EMBED},
    {"img", T_IMG},
    {"input", T_SKIP | T_INPUT},
    {"li", T_BLOCK | T_LI},
    {"link", T_SKIP},
    {"main", T_BLOCK | T_KEEP},
    {"map", T_SKIP},
    {"math", T_SKIP},
    {"menu", T_BLOCK},
    {"meta", T_SKIP},
    {"nav", T_BLOCK},
    {"noscript", T_SKIP},
    {"object", T_SKIP | T_EMBED},
    {"ol", T_BLOCK | T_CLEAN | T_LIST},
    {"option", T_SKIP},
    {"p", T_BLOCK | T_P},
    {"picture", T_IMG},
    {"pre", T_BLOCK | T_P},
    {"script", T_SKIP},
    {"section", T_BLOCK | T_CLEAN},
    {"select", T_SKIP},
    {"style", T_SKIP},
    {"summary", T_BLOCK},
    {"svg", T_SKIP},
    {"table", T_BLOCK | T_CLEAN},
    {"tbody", T_BLOCK},
    {"td", T_BLOCK},
    {"template", T_SKIP},
    {"textarea", T_SKIP | T_INPUT},
    {"tfoot", T_BLOCK},
    {"th", T_BLOCK},
    {"thead", T_BLOCK},
    {"title", T_SKIP},
    {"tr", T_BLOCK},
    {"ul", T_BLOCK | T_CLEAN | T_LIST},
    {"video", T_SKIP | T_EMBED},
};

static int tag_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const tag_info *)elem)->name);
}

static unsigned tag_lookup(const xmlChar *name)
{
    const tag_info *t = bsearch(name, tags, sizeof tags / sizeof tags[0],
                                sizeof tags[0], tag_cmp);
    return t ? t->flags : 0;
}

/*
 * The tag index of a call (extract.h): every element asks what its tag
 * is, and the HTML parser gives each element its own copy of its name
 * (no dictionary), so names are looked up by content: up to 8 bytes
 * packed into a number, hashed into an open-addressed table of the
 * scorer's tags, the drop_tags and the tag_weights names.  A longer name
 * (or an empty one) packs to 0 and is looked up in the lists themselves.
 */
static uint64_t tag_key(const char *s)
{
    uint64_t k = 0;
    for (int i = 0; i < 8; i++) {
        if (!s[i])
            return k;
        k |= (uint64_t)(unsigned char)s[i] << (8 * i);
    }
    return s[8] ? 0 : k;
}

static unsigned tag_slot(uint64_t k)
{
    return (unsigned)((k * UINT64_C(0x9E3779B97F4A7C15)) >> 55) % TAG_SLOTS;
}

/* The slot of key k: its own, or the empty one where it goes. */
static unsigned tag_find(const tag_index *ti, uint64_t k)
{
    unsigned h = tag_slot(k);
    while (ti->key[h] != 0 && ti->key[h] != k)
        h = (h + 1) % TAG_SLOTS;
    return h;
}

static int strlist_has(const strlist *l, const char *s);
static double tag_weight(const params *pp, const char *name);

/* The slot of a short name, entered (as a tag without flags) when new;
 * -1 for a long name: the lists serve those. */
static int tags_add(tag_index *ti, const char *name)
{
    uint64_t k = tag_key(name);
    if (k == 0)
        return -1;
    unsigned h = tag_find(ti, k);
    if (ti->key[h] != k) {
        ti->key[h] = k;
        ti->flags[h] = 0;
        ti->drop[h] = 0;
        ti->weight[h] = 0;
        ti->weighted[h] = 0;
    }
    return (int)h;
}

void pipe_extract_tags_build(tag_index *ti, const params *pp)
{
    memset(ti->key, 0, sizeof ti->key);
    for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++) {
        int h = tags_add(ti, tags[i].name);
        if (h >= 0)
            ti->flags[h] = tags[i].flags;
    }
    for (size_t i = 0; i < pp->drop_tags.n; i++) {
        /* (a name new here is no tag of the table: flags 0) */
        int h = tags_add(ti, pp->drop_tags.v[i]);
        if (h >= 0)
            ti->drop[h] = 1;
    }
    /* (the first entry of a name counts, as in tag_weight) */
    for (size_t i = 0; i < pp->ntagw; i++) {
        int h = tags_add(ti, pp->tagw[i].tag);
        if (h >= 0 && !ti->weighted[h]) {
            ti->weight[h] = pp->tagw[i].w;
            ti->weighted[h] = 1;
        }
    }
}

static inline unsigned tag_facts(const run *r, const xmlNode *n, int *drop,
                                double *weight)
{
    const char *name = (const char *)n->name;
    uint64_t k = tag_key(name);
    if (k == 0) {
        if (drop)
            *drop = strlist_has(&r->pp->drop_tags, name);
        if (weight)
            *weight = tag_weight(r->pp, name);
        return tag_lookup(n->name);
    }
    const tag_index *ti = r->tags;
    unsigned h = tag_find(ti, k);
    int found = ti->key[h] == k;
    if (drop)
        *drop = found && ti->drop[h];
    if (weight)
        *weight = found ? ti->weight[h] : 0;
    return found ? ti->flags[h] : 0;
}

unsigned pipe_extract_tag_info(const run *r, const xmlNode *n, int *drop,
                               double *weight)
{
    return tag_facts(r, n, drop, weight);
}

/*
 * Hints.
 */

static int strlist_has(const strlist *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0)
            return 1;
    return 0;
}

/* Is s the string lit?  (Inline: attribute names are short, and a call
 * of strcmp per attribute and question added up.) */
static inline int name_is(const char *s, const char *lit)
{
    while (*lit && *s == *lit) {
        s++;
        lit++;
    }
    return *s == *lit;
}

const char *pipe_extract_attr(const xmlNode *n, const char *name)
{
    for (const xmlAttr *a = n->properties; a; a = a->next) {
        /* (the first byte first: most names differ there) */
        if (a->ns != NULL || a->name[0] != (xmlChar)name[0]
            || !name_is((const char *)a->name, name))
            continue;
        const xmlNode *v = a->children;
        if (v == NULL)
            return "";
        if (v->type == XML_TEXT_NODE && v->next == NULL && v->content)
            return (const char *)v->content;
        return NULL;   /* not how the HTML parser stores values */
    }
    return NULL;
}

/* The bits of the hints of bucket b that match token t (length tl). */
static unsigned bucket_hints(const params *pp, int b, const char *t,
                             size_t tl)
{
    unsigned h = 0;
    for (int i = pp->hx_start[b]; i < pp->hx_start[b + 1]; i++) {
        const hintx *x = &pp->hx[i];
        if ((h & x->bits) || tl < x->len)
            continue;
        /* (the bucket says the first two bytes are the same) */
        size_t k = 2;
        while (k < x->len && t[k] == x->h[k])
            k++;
        if (k < x->len)
            continue;
        if (tl == x->len || (tl == x->len + 1 && t[x->len] == 's')
            || (int)x->len >= pp->hint_prefix)
            h |= x->bits;
    }
    return h;
}

/* The hint bits of token t (lowercase ASCII letters and digits, length
 * tl): a hint matches a token equal to it, or to it plus "s", or (hints
 * of hint_prefix letters or more) a token that starts with it. */
static unsigned token_hints(const params *pp, const char *t, size_t tl)
{
    int b = tl ? pipe_extract_bucket((unsigned char)t[0]) : -1;
    if (b < 0)
        return 0;
    unsigned h = bucket_hints(pp, b * HINT_B2 + 36, t, tl);
    if (tl >= 2)
        h |= bucket_hints(pp, b * HINT_B2
                                  + pipe_extract_bucket((unsigned char)t[1]),
                          t, tl);
    return h;
}

/* The hint bits of an attribute value: its lowercase tokens, split at
 * non-alphanumerics and camelCase humps (at most MAX_TOKENS tokens of
 * TOKEN_LEN - 1 bytes are looked at). */
static unsigned attr_hints(const params *pp, const char *v)
{
    char tok[TOKEN_LEN];
    int ntok = 0;
    unsigned h = 0;
    const unsigned char *c = (const unsigned char *)v;
    for (;;) {
        while (*c && !pipe_extract_isalnum(*c))
            c++;
        if (!*c)
            break;
        /* a token: letters and digits, up to a capital after a small
         * letter or a digit (the hump starts the next token) */
        size_t len = 0;
        int prev_lower;
        do {
            int upper = *c >= 'A' && *c <= 'Z';
            if (len < TOKEN_LEN - 1)
                tok[len] = (char)(upper ? *c + ('a' - 'A') : *c);
            len++;
            prev_lower = !upper;
            c++;
        } while (pipe_extract_isalnum(*c)
                 && !(prev_lower && *c >= 'A' && *c <= 'Z'));
        h |= token_hints(pp, tok, len < TOKEN_LEN ? len : TOKEN_LEN - 1);
        if (++ntok == MAX_TOKENS)
            break;
    }
    return h;
}

/*
 * The hint bits of a class attribute through the call's cache: a page
 * repeats its classes (every item of a list, every teaser), and the
 * parser gives each element its own copy of the value, so values are
 * found by content (a hash, then the bytes).  Ids are seldom repeated:
 * not cached.
 */
static unsigned class_hints(run *r, const char *v)
{
    hint_cache *hc = r->hints;
    /* the hash: the length and the first and last 8 bytes (classes that
     * share all three only cost a comparison more) */
    size_t n = strlen(v);
    uint64_t head = 0, tail = 0;
    if (n >= 8) {
        memcpy(&head, v, 8);
        memcpy(&tail, v + n - 8, 8);
    } else {
        memcpy(&head, v, n);
    }
    uint64_t x = (head ^ (tail * UINT64_C(0xFF51AFD7ED558CCD)) ^ n)
                 * UINT64_C(0x9E3779B97F4A7C15);
    uint32_t hash = (uint32_t)(x >> 32);
    unsigned slot = hash % HINT_CACHE;
    while (hc->v[slot]) {
        if (hc->hash[slot] == hash && strcmp(hc->v[slot], v) == 0)
            return hc->bits[slot];
        slot = (slot + 1) % HINT_CACHE;
    }
    unsigned bits = attr_hints(r->pp, v);
    if (hc->n < HINT_CACHE * 3 / 4) {
        hc->v[slot] = v;
        hc->hash[slot] = hash;
        hc->bits[slot] = bits;
        hc->n++;
    }
    return bits;
}

/* Does an inline style hide the element (display:none,
 * visibility:hidden)? */
static int style_hides(const char *st)
{
    char buf[256];
    size_t k = 0;
    for (const unsigned char *c = (const unsigned char *)st;
         *c && k < sizeof buf - 1; c++)
        if (!isspace(*c))
            buf[k++] = (char)tolower(*c);
    buf[k] = '\0';
    return strstr(buf, "display:none") != NULL
           || strstr(buf, "visibility:hidden") != NULL;
}

/* Is n a blockquote, or an element whose only element child (scripts
 * aside: an embed's widget script) is one? */
static int holds_quote(const run *r, const xmlNode *n)
{
    if (tag_facts(r, n, NULL, NULL) & T_QUOTE)
        return 1;
    const xmlNode *only = NULL;
    for (const xmlNode *c = n->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE
            && !(tag_facts(r, c, NULL, NULL) & T_SKIP)) {
            if (only)
                return 0;
            only = c;
        }
    return only && (tag_facts(r, only, NULL, NULL) & T_QUOTE);
}

/*
 * Classify an element: its hint bits (class and id, separately weighted)
 * and whether it is excluded from content in this run.
 */
/* An attribute's value as the HTML parser stores it (one text node),
 * else "". */
static const char *attr_value(const xmlAttr *a)
{
    const xmlNode *v = a->children;
    return v && v->type == XML_TEXT_NODE && !v->next && v->content
               ? (const char *)v->content
               : "";
}

static int classify(run *r, xmlNodePtr n, unsigned flags, double *weight,
                    unsigned *hints, int *href)
{
    const params *pp = r->pp;
    unsigned hc = 0, hi = 0;
    /* one pass over the attributes; a value is read only for the names
     * that matter (each is a node of its own, away from the element) */
    const char *cls = NULL, *id = NULL, *style = NULL, *role = NULL;
    int hidden = 0;
    *href = 0;
    for (const xmlAttr *a = n->properties; a; a = a->next) {
        const char *an = (const char *)a->name;
        const char **value = NULL;
        /* (href in any namespace, as xmlHasProp finds it) */
        if (an[0] == 'h' && an[1] == 'r' && name_is(an + 2, "ef")) {
            *href = 1;
            continue;
        }
        if (a->ns)
            continue;
        switch (an[0]) {
        case 'c': if (name_is(an + 1, "lass")) value = &cls; break;
        case 'i': if (name_is(an + 1, "d")) value = &id; break;
        case 's': if (name_is(an + 1, "tyle")) value = &style; break;
        case 'r': if (name_is(an + 1, "ole")) value = &role; break;
        case 'h': if (name_is(an + 1, "idden")) hidden = 1; break;
        default: break;
        }
        if (value)
            *value = attr_value(a);
    }
    if (cls)
        hc = class_hints(r, cls);
    if (id)
        hi = attr_hints(pp, id);
    double w = 0;
    if (hc & H_NEG) w -= pp->class_weight;
    if (hc & H_POS) w += pp->class_weight;
    if (hi & H_NEG) w -= pp->class_weight;
    if (hi & H_POS) w += pp->class_weight;
    *weight = w;
    *hints = hc | hi;
    if ((flags & T_KEEP) || n == r->root)
        return 0;
    if (pp->skip_hidden && (hidden || (style && style_hides(style))))
        return 1;
    /* comment threads never hold the article, in any attempt */
    if ((*hints & H_NEVER) && !(*hints & (H_MAYBE | H_POS)) && !(flags & T_A))
        return 1;
    if (r->strip_unlikely) {
        /* an embedded tweet or quote, or its wrapper, is part of the text
         * whatever its class ("social-embed") */
        if ((*hints & H_UNLIKELY) && !(*hints & (H_MAYBE | H_POS))
            && !(flags & T_A) && !holds_quote(r, n))
            return 1;
        if (role && strlist_has(&pp->unlikely, role))
            return 1;
    }
    return 0;
}

/*
 * Text measures.  Characters are code points; a whitespace run counts as
 * one.
 */
static inline int is_comma(const unsigned char *c)
{
    return *c == ','
           || (c[0] == 0xEF && c[1] == 0xBC && c[2] == 0x8C)   /* U+FF0C */
           || (c[0] == 0xE3 && c[1] == 0x80 && c[2] == 0x81)   /* U+3001 */
           || (c[0] == 0xD8 && c[1] == 0x8C);                  /* U+060C */
}

/* Adds the text's characters and commas; returns its length in bytes. */
static size_t measure(const unsigned char *c, long *chars, long *commas)
{
    const unsigned char *start = c;
    long ch = 0, cm = 0;
    int space = 1, adv;
    while (*c) {
        /* printable ASCII, most of a page's text: a character, maybe a
         * comma, no space */
        if (*c > ' ' && *c < 0x80) {
            const unsigned char *run = c;
            do {
                cm += *c == ',';
                c++;
            } while (*c > ' ' && *c < 0x80);
            ch += c - run;
            space = 0;
            continue;
        }
        /* a run of other UTF-8 bytes (Cyrillic, Greek, CJK ... text): a
         * character per lead byte, no space, no comma */
        if (pipe_extract_plain_utf8(*c)) {
            do {
                ch += *c >= 0xC0;   /* (a lead byte) */
                c++;
            } while (pipe_extract_plain_utf8(*c));
            space = 0;
            continue;
        }
        if (pipe_extract_space_at(c, &adv)) {
            if (!space)
                ch++;
            space = 1;
            c += adv;
            continue;
        }
        /* a control byte, or a lead byte looked at: a character */
        space = 0;
        if (is_comma(c))
            cm++;
        ch++;
        c++;
    }
    *chars += ch;
    *commas += cm;
    return (size_t)(c - start);
}

/*
 * Pass 1: index the elements.
 */

/* Make room for one more element: the array twice the size, in a new
 * userdata in the old one's stack slot (the old one is garbage). */
static void grow_stats(run *r)
{
    if (r->cap > INT32_MAX / 8)
        luaL_error(r->L, "extract: page too large");
    int cap = r->cap < 256 ? 256 : 2 * r->cap;
    nstat *s = lua_newuserdatauv(r->L, (size_t)cap * sizeof *s, 0);
    if (r->n > 0)
        memcpy(s, r->s, (size_t)r->n * sizeof *s);
    lua_replace(r->L, r->s_idx);
    r->s = s;
    r->cap = cap;
}

static void index_children(run *r, int pi, int depth);

static void index_element(run *r, xmlNodePtr n, int pi, int depth)
{
    int drop_tag;
    unsigned flags = tag_facts(r, n, &drop_tag, NULL);
    if (flags & T_SKIP) {
        /* not content, but counted for the cleaner */
        if (pi >= 0) {
            if (flags & T_EMBED) r->s[pi].embed++;
            if (flags & T_INPUT) r->s[pi].input++;
        }
        return;
    }
    double weight;
    unsigned hints;
    int href;
    if (classify(r, n, flags, &weight, &hints, &href))
        return;
    if (r->n >= r->cap)
        grow_stats(r);
    int i = r->n++;
    nstat *s = &r->s[i];
    /* (a struct copy: memset's rep stos starts slowly for ~200 bytes) */
    static const nstat zero;
    *s = zero;
    s->node = n;
    s->parent = pi;
    s->flags = flags;
    s->weight = r->use_weights ? weight : 0;
    s->positive = (hints & H_POS) != 0;
    s->dropped = (hints & H_DROP) != 0 || drop_tag;
    s->in_figure = (flags & T_FIGURE) || (pi >= 0 && r->s[pi].in_figure);
    s->quote = (flags & T_QUOTE) || (pi >= 0 && r->s[pi].quote);
    if (flags & T_BR) s->brs = 1;
    if (flags & T_IMG) s->img = 1;
    if (flags & T_P) s->p = 1;
    if (flags & T_LI) s->li = 1;
    int saved_a = r->in_a;
    s->href = (unsigned char)href;
    if ((flags & T_A) && href)
        r->in_a = 1;
    if (depth < MAX_DEPTH)
        index_children(r, i, depth + 1);
    r->in_a = saved_a;
    r->s[i].size = r->n - i;
}

static void index_children(run *r, int pi, int depth)
{
    nstat *s = &r->s[pi];
    for (xmlNodePtr c = s->node->children; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE) {
            r->seen_elems++;
            index_element(r, c, pi, depth);
            s = &r->s[pi];
        } else if ((c->type == XML_TEXT_NODE
                    || c->type == XML_CDATA_SECTION_NODE) && c->content) {
            long chars = 0, commas = 0;
            r->seen_bytes += measure(c->content, &chars, &commas) + 1;
            s->own_chars += chars;
            s->own_commas += commas;
            if (r->in_a)
                s->own_link += chars;
        }
    }
}

/* Sum subtree figures bottom-up: children follow their parent in the
 * array, so a reverse sweep sees every child before its parent. */
void pipe_extract_sum_up(run *r)
{
    for (int i = r->n - 1; i >= 0; i--) {
        nstat *s = &r->s[i];
        s->chars += s->own_chars;
        s->link += s->own_link;
        s->commas += s->own_commas;
        s->in_chars += s->own_chars;
        s->in_link += s->own_link;
        s->in_commas += s->own_commas;
        if (s->flags & T_LI)
            s->li_chars += s->chars;
        /* a prose paragraph: long enough, few links */
        if ((s->flags & T_P) && (double)s->in_chars >= r->pp->sibling_text
            && (double)s->in_link < r->pp->sibling_link * (double)s->in_chars)
            s->prose++;
        if (s->flags & T_QUOTE)
            s->quote_chars = s->chars;
        if (s->weight < 0)
            s->neg_chars = s->chars;
        if (s->parent < 0)
            continue;
        nstat *p = &r->s[s->parent];
        p->chars += s->chars;
        p->link += s->link;
        p->commas += s->commas;
        if (!(s->flags & T_BLOCK)) {
            /* inline: its text belongs to the parent's paragraph */
            p->in_chars += s->in_chars;
            p->in_link += s->in_link;
            p->in_commas += s->in_commas;
            p->brs += s->brs;
        }
        p->prose += s->prose;
        p->quote_chars += s->quote_chars;
        p->neg_chars += s->neg_chars;
        p->p += s->p;
        p->img += s->img;
        p->li += s->li;
        p->input += s->input;
        p->embed += s->embed;
        p->li_chars += s->li_chars;
    }
}

static double tag_weight(const params *pp, const char *name)
{
    for (size_t i = 0; i < pp->ntagw; i++)
        if (strcmp(pp->tagw[i].tag, name) == 0)
            return pp->tagw[i].w;
    return 0;
}

double pipe_extract_link_density(const nstat *s)
{
    return s->chars > 0 ? (double)s->link / (double)s->chars : 0;
}

/* Score: paragraphs feed their ancestors; then scale by link density. */
void pipe_extract_score(run *r)
{
    const params *pp = r->pp;
    for (int i = 0; i < r->n; i++) {
        nstat *s = &r->s[i];
        if (!(s->flags & T_BLOCK) || (double)s->in_chars < pp->min_paragraph)
            continue;
        double pts = 1 + pp->comma_weight * (double)s->in_commas
                     + fmin(floor((double)s->in_chars / pp->length_step),
                            pp->length_cap);
        int a = s->parent;
        /* text in <br>-separated runs, not in <p>s: each run is a
         * paragraph of this block, which scores as their container */
        if (s->brs >= 2 && !(s->flags & T_P)
            && (double)s->in_chars >= 2 * pp->min_paragraph) {
            double runs = fmin((double)s->brs + 1,
                               floor((double)s->in_chars / pp->min_paragraph));
            double avg = (double)s->in_chars / runs;
            pts = runs * (1 + fmin(floor(avg / pp->length_step), pp->length_cap))
                  + pp->comma_weight * (double)s->in_commas;
            a = i;
        }
        for (int level = 0; a >= 0 && level < pp->ancestor_levels; level++) {
            nstat *t = &r->s[a];
            if (!t->scored) {
                t->scored = 1;
                double w;
                tag_facts(r, t->node, NULL, &w);
                t->score = w + t->weight;
            }
            double div = level == 0 ? 1 : level == 1 ? 2 : level * 3;
            t->score += pts / div;
            a = t->parent;
        }
    }
    for (int i = 0; i < r->n; i++)
        if (r->s[i].scored)
            r->s[i].score *= 1 - pipe_extract_link_density(&r->s[i]);
}

int pipe_extract_pick_top(run *r)
{
    const params *pp = r->pp;
    int top = -1;
    for (int i = 0; i < r->n; i++)
        if (r->s[i].scored && (top < 0 || r->s[i].score > r->s[top].score))
            top = i;
    if (top < 0) {
        /* nothing scored: the body, else the root */
        for (int i = 0; i < r->n; i++)
            if (strcmp((const char *)r->s[i].node->name, "body") == 0)
                return i;
        return 0;
    }
    /* several near-top candidates under one ancestor: take the ancestor */
    double ts = r->s[top].score;
    if (pp->alt_min > 0 && ts > 0) {
        int alts[16], nalt = 0;
        for (int i = 0; i < r->n && nalt < 16; i++)
            if (i != top && r->s[i].scored
                && r->s[i].score >= pp->alt_ratio * ts
                && !pipe_extract_inside(r, i, top) && !pipe_extract_inside(r, top, i))
                alts[nalt++] = i;
        if (nalt >= pp->alt_min) {
            for (int a = r->s[top].parent; a >= 0; a = r->s[a].parent) {
                int k = 0;
                for (int j = 0; j < nalt; j++)
                    if (pipe_extract_inside(r, alts[j], a))
                        k++;
                if (k >= pp->alt_min) {
                    if (!(r->s[a].flags & T_KEEP)
                        || strcmp((const char *)r->s[a].node->name, "body")
                               != 0)
                        top = a;
                    break;
                }
            }
        }
    }
    return top;
}

/* Where siblings are looked for: an only child stands for its parent. */
int pipe_extract_sibling_base(const run *r, int top)
{
    while (r->s[top].parent >= 0) {
        int p = r->s[top].parent;
        if (r->s[p].size != r->s[top].size + 1
            || r->s[p].chars != r->s[top].chars
            || strcmp((const char *)r->s[p].node->name, "body") == 0)
            break;
        top = p;
    }
    return top;
}

/* Do a and b have the same non-empty class attribute (no namespace)?
 * (The values as the tree holds them: no copies.) */
static int same_class(const xmlNode *a, const xmlNode *b)
{
    const char *ca = pipe_extract_attr(a, "class");
    const char *cb = pipe_extract_attr(b, "class");
    return ca && cb && *ca && strcmp(ca, cb) == 0;
}

/* Is sibling j of the top candidate part of the article? */
int pipe_extract_sibling_joins(const run *r, int j, double threshold)
{
    const params *pp = r->pp;
    const nstat *s = &r->s[j], *t = &r->s[r->top];
    double bonus = 0;
    if (same_class(s->node, t->node))
        bonus = t->score * pp->sibling_same_class;
    /* a sibling that is mostly a footer, a menu, a sidebar ... */
    if (s->chars > 0 && (double)s->neg_chars >= 0.8 * (double)s->chars)
        return 0;
    if (s->scored && s->score + bonus >= threshold)
        return 1;
    int leaf = (s->flags & T_P) || (s->chars > 0 && s->in_chars == s->chars);
    if (!leaf || s->chars == 0)
        return 0;
    double ld = pipe_extract_link_density(s);
    if ((double)s->chars > pp->sibling_text && ld < pp->sibling_link)
        return 1;
    if ((double)s->chars <= pp->sibling_text && ld == 0) {
        /* short prose: ends a sentence */
        xmlChar *txt = xmlNodeGetContent(s->node);
        int ok = 0;
        if (txt) {
            size_t l = strlen((char *)txt);
            while (l > 0 && isspace(txt[l - 1]))
                l--;
            ok = (l > 0 && txt[l - 1] == '.') || strstr((char *)txt, ". ");
            xmlFree(txt);
        }
        return ok;
    }
    return 0;
}


/* Pass 1 from `root`: r->n elements indexed. */
void pipe_extract_index(run *r, xmlNodePtr root)
{
    r->n = 0;
    r->seen_elems = 1;
    r->seen_bytes = 0;
    index_element(r, root, -1, 0);
}

/* Same tag and same (non-empty) class attribute? */
static int same_kind(const xmlNode *a, const xmlNode *b)
{
    return strcmp((const char *)a->name, (const char *)b->name) == 0
           && same_class(a, b);
}

/*
 * The article split into containers ("chunks" between ad rails): scored
 * elements of the top's tag and class, scoring twin_ratio of it or more,
 * neither inside it nor around it nor its siblings (the sibling rule
 * judges those), under a common ancestor at most twin_levels above it.  Writes their indexes (document order) to
 * out; returns how many.
 */
int pipe_extract_twins(const run *r, int top, int *out, int max)
{
    const params *pp = r->pp;
    const nstat *t = &r->s[top];
    if (pp->twin_levels <= 0 || !t->scored || t->score <= 0
        || !pipe_extract_attr(t->node, "class"))
        return 0;
    /* the highest ancestor twins may share */
    int anc = top;
    for (int k = 0; k < pp->twin_levels && r->s[anc].parent >= 0; k++) {
        anc = r->s[anc].parent;
        if (r->s[anc].flags & T_KEEP && strcmp((const char *)r->s[anc].node->name,
                                               "body") == 0)
            break;
    }
    if (anc == top)
        return 0;
    int n = 0;
    int end = anc + r->s[anc].size;
    for (int j = anc + 1; j < end && n < max; j++) {
        const nstat *s = &r->s[j];
        /* (siblings are the sibling rule's to judge) */
        if (j == top || !s->scored || s->score < pp->twin_ratio * t->score
            || s->parent == t->parent
            || pipe_extract_inside(r, j, top) || pipe_extract_inside(r, top, j)
            || !same_kind(s->node, t->node))
            continue;
        out[n++] = j;
        j += s->size - 1;   /* not inside a twin either */
    }
    return n;
}

/*
 * Other posts inside the chosen block: <article>s within it (not it, not
 * around it) holding less than other_post_ratio of its text are teasers
 * of other articles.  They are dropped, and every element of the block
 * learns how much of its text they held (dropped_chars).
 */
void pipe_extract_other_posts(run *r, int top)
{
    const params *pp = r->pp;
    int end = top + r->s[top].size;
    int any = 0;
    for (int j = top + 1; j < end; j++) {
        nstat *s = &r->s[j];
        s->dropped_chars = 0;
        if ((s->flags & T_ARTICLE)
            && (double)s->chars < pp->other_post_ratio * (double)r->s[top].chars) {
            s->dropped = 1;
            s->dropped_chars = s->chars;
            any = 1;
            j += s->size - 1;
        }
    }
    r->s[top].dropped_chars = 0;
    if (!any)
        return;
    for (int j = end - 1; j > top; j--) {
        nstat *s = &r->s[j];
        if (s->parent >= top)
            r->s[s->parent].dropped_chars += s->dropped_chars;
    }
}
