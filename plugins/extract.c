/*
 * extract plugin: the generic main-content scorer behind scripts/generic.lua.
 *
 * extract.content(doc_or_node [, params]) finds the block of a page that
 * holds the article text and returns its paragraphs.  The method follows
 * Readability: every block with enough inline text is a paragraph that
 * scores its ancestors (commas and length raise the score); candidates are
 * weighted by tag and by class/id hints and discounted by link density; the
 * best candidate's siblings join when they score well or look like prose;
 * the chosen subtree is then cleaned (link-heavy lists, image galleries,
 * forms, bylines, captions) and split into paragraphs, and a boilerplate
 * filter drops short link-heavy lines and "Read more"/"Share" prompts.
 *
 * Every weight, threshold and hint list comes from the params table (the
 * defaults below are only a fallback; scripts/generic.lua passes its own),
 * so the heuristics can be read and tuned from Lua.  With whole = true the
 * node given is taken as the content (a site rule chose it): no candidate
 * search; only the drop lists, hidden elements, the line filter and, with
 * whole_clean (default true), the conditional cleaning apply.  Rules use
 * it for their `boilerplate` and `prune` field options.
 *
 * Cost: one walk over the tree computes per-element figures into a side
 * array in document order (pre-order), then one reverse sweep adds each
 * element's figures into its parent, so every subtree total is known
 * without walking any subtree twice.  The children of element i are found
 * in the array as i+1, then i+1+size[i+1], and so on.
 *
 * Caveats: all working memory is Lua userdata (sized by a first counting
 * walk), so an out-of-memory error raised by Lua leaks nothing; nothing is
 * stored in the libxml2 tree.  Hint matching works on lowercase tokens of
 * class and id, split at non-alphanumerics and camelCase humps: a hint
 * matches a token that equals it, equals it plus "s", or (for hints of at
 * least `hint_prefix` letters) starts with it, so "ad" matches "ad-slot"
 * and "ads" but never "head" or "shadow".  Elements nested deeper than
 * MAX_DEPTH are ignored.
 */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <lauxlib.h>
#include <lua.h>
#include <libxml/tree.h>

#include "pipe/html.h"
#include "pipe/plugin.h"

#define MAX_DEPTH 512
#define MAX_LIST 128      /* entries per hint list */
#define MAX_TAGW 48       /* entries in tag_weights */
#define MAX_TOKENS 32     /* class/id tokens looked at per element */
#define TOKEN_LEN 48

/* Tag properties. */
enum {
    T_BLOCK = 1 << 0,     /* ends a paragraph */
    T_SKIP = 1 << 1,      /* never content (script, style, form controls) */
    T_CLEAN = 1 << 2,     /* judged by the conditional cleaner */
    T_P = 1 << 3,         /* counts as a paragraph for the cleaner */
    T_IMG = 1 << 4,
    T_EMBED = 1 << 5,
    T_INPUT = 1 << 6,
    T_LI = 1 << 7,
    T_A = 1 << 8,
    T_BR = 1 << 9,
    T_FIGURE = 1 << 10,
    T_HEADING = 1 << 11,
    T_LIST = 1 << 12,     /* ul, ol */
    T_KEEP = 1 << 13      /* never unlikely (html, body, article, main) */
};

typedef struct tag_info {
    const char *name;
    unsigned flags;
} tag_info;

/* Sorted by name for bsearch. */
static const tag_info tags[] = {
    {"a", T_A},
    {"address", T_BLOCK},
    {"applet", T_SKIP},
    {"article", T_BLOCK | T_KEEP},
    {"aside", T_BLOCK | T_CLEAN},
    {"audio", T_SKIP},
    {"blockquote", T_BLOCK},
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

static unsigned tag_flags(const xmlNode *n)
{
    const tag_info *t = bsearch(n->name, tags, sizeof tags / sizeof tags[0],
                                sizeof tags[0], tag_cmp);
    return t ? t->flags : 0;
}

/*
 * Parameters.  Strings point into the params table, which stays on the
 * stack (argument 2) for the whole call.
 */
typedef struct strlist {
    const char *v[MAX_LIST];
    size_t len[MAX_LIST];     /* strlen of each entry, for hint_match */
    size_t n;
} strlist;

typedef struct tagweight {
    const char *tag;
    double w;
} tagweight;

typedef struct params {
    strlist positive, negative, unlikely, maybe, drop, drop_tags, prompts;
    tagweight tagw[MAX_TAGW];
    size_t ntagw;
    double min_paragraph;      /* inline chars for a block to score */
    double length_step;        /* chars per length point */
    double length_cap;         /* most length points per paragraph */
    double comma_weight;       /* points per comma */
    int ancestor_levels;       /* ancestors a paragraph scores */
    double class_weight;       /* +/- per matching class or id */
    int hint_prefix;           /* hints this long match as token prefixes */
    double sibling_ratio;      /* sibling joins at top*ratio ... */
    double sibling_min;        /* ... but never below this */
    double sibling_same_class; /* bonus (x top) for a sibling of same class */
    double sibling_text;       /* prose sibling: chars above this ... */
    double sibling_link;       /* ... and link density below this */
    double alt_ratio;          /* alternative candidates near top ... */
    int alt_min;               /* ... this many under one ancestor: climb */
    double clean_commas;       /* cleaner spares blocks with this many */
    double clean_link;         /* link density limit, non-positive blocks */
    double clean_link_pos;     /* link density limit, positive blocks */
    double clean_min_text;     /* short blocks without images go */
    double line_link;          /* boilerplate: link density of a line ... */
    double line_link_len;      /* ... shorter than this */
    double line_link_long;     /* any line above this link density goes */
    double prompt_len;         /* prompts are lines up to this long */
    double retry_length;       /* shorter result: retry with fewer filters */
    double retry_gain;         /* a retry must give this many times more */
    int candidates;            /* how many candidates to report */
    int skip_hidden;
    int whole;                 /* the node given is the content */
    int whole_clean;           /* ... cleaned conditionally (prune) */
} params;

/* Per-element figures, in document (pre-)order. */
typedef struct nstat {
    xmlNodePtr node;
    int parent;                /* index, -1 for the root */
    int size;                  /* elements in the subtree, self included */
    unsigned flags;            /* T_* of the tag */
    unsigned char scored, positive, in_figure, dropped;
    double weight;             /* class/id weight */
    double score;
    /* inline text: this element's own paragraph (blocks) or its share of
     * its parent's paragraph (inline elements) */
    long in_chars, in_link, in_commas;
    long own_chars, own_link, own_commas;   /* direct text children */
    /* whole subtree */
    long chars, link, commas;
    int p, img, li, input, embed;
    long li_chars;
} nstat;

typedef struct para {
    size_t off, len;
} para;

/* One run's working state. */
typedef struct run {
    const params *pp;
    nstat *s;
    int n, cap;
    int strip_unlikely, use_weights, use_clean;
    /* output */
    char *out;
    size_t out_len, out_cap;
    para *paras;
    int npara, para_cap;
    /* paragraph being built */
    size_t cur_start;
    long cur_chars, cur_link;
    int pending_space, in_a, cursor;
    /* chosen blocks */
    xmlNodePtr root;           /* where extraction started: never excluded */
    int top;
} run;

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

/* Does token `t` match a hint of list `l`? */
static int hint_match(const strlist *l, const char *t, int prefix)
{
    size_t tl = strlen(t);
    for (size_t i = 0; i < l->n; i++) {
        const char *h = l->v[i];
        size_t hl = l->len[i];
        if (tl < hl || t[0] != h[0] || strncmp(t, h, hl) != 0)
            continue;
        if (tl == hl || (tl == hl + 1 && t[hl] == 's')
            || (int)hl >= prefix)
            return 1;
    }
    return 0;
}

/* Split an attribute value into lowercase tokens. */
static int tokenize(const char *v, char tok[][TOKEN_LEN], int ntok)
{
    int k = 0;
    size_t len = 0;
    int prev_lower = 0;
    for (const unsigned char *c = (const unsigned char *)v;; c++) {
        int alnum = *c && *c < 128 && isalnum(*c);
        int hump = alnum && isupper(*c) && prev_lower;
        if ((!alnum || hump) && len > 0) {
            tok[k][len < TOKEN_LEN ? len : TOKEN_LEN - 1] = '\0';
            if (++k == ntok)
                return k;
            len = 0;
        }
        if (!*c)
            break;
        if (alnum) {
            if (len < TOKEN_LEN - 1)
                tok[k][len] = (char)tolower(*c);
            len++;
        }
        prev_lower = alnum && (islower(*c) || isdigit(*c));
    }
    return k;
}

enum { H_POS = 1, H_NEG = 2, H_UNLIKELY = 4, H_MAYBE = 8, H_DROP = 16 };

static unsigned attr_hints(const params *pp, const char *v)
{
    char tok[MAX_TOKENS][TOKEN_LEN];
    int k = tokenize(v, tok, MAX_TOKENS);
    unsigned h = 0;
    for (int i = 0; i < k; i++) {
        if (hint_match(&pp->positive, tok[i], pp->hint_prefix))
            h |= H_POS;
        if (hint_match(&pp->negative, tok[i], pp->hint_prefix))
            h |= H_NEG;
        if (hint_match(&pp->unlikely, tok[i], pp->hint_prefix))
            h |= H_UNLIKELY;
        if (hint_match(&pp->maybe, tok[i], pp->hint_prefix))
            h |= H_MAYBE;
        if (hint_match(&pp->drop, tok[i], pp->hint_prefix))
            h |= H_DROP;
    }
    return h;
}

static int is_hidden(xmlNodePtr n)
{
    if (xmlHasProp(n, (const xmlChar *)"hidden"))
        return 1;
    xmlChar *st = xmlGetNoNsProp(n, (const xmlChar *)"style");
    int hidden = 0;
    if (st) {
        char buf[256];
        size_t k = 0;
        for (const xmlChar *c = st; *c && k < sizeof buf - 1; c++)
            if (!isspace(*c))
                buf[k++] = (char)tolower(*c);
        buf[k] = '\0';
        hidden = strstr(buf, "display:none") != NULL
                 || strstr(buf, "visibility:hidden") != NULL;
        xmlFree(st);
    }
    return hidden;
}

/*
 * Classify an element: its hint bits (class and id, separately weighted)
 * and whether it is excluded from content in this run.
 */
static int classify(run *r, xmlNodePtr n, unsigned flags, double *weight,
                    unsigned *hints)
{
    const params *pp = r->pp;
    unsigned hc = 0, hi = 0;
    xmlChar *cls = xmlGetNoNsProp(n, (const xmlChar *)"class");
    xmlChar *id = xmlGetNoNsProp(n, (const xmlChar *)"id");
    if (cls)
        hc = attr_hints(pp, (const char *)cls);
    if (id)
        hi = attr_hints(pp, (const char *)id);
    xmlFree(cls);
    xmlFree(id);
    double w = 0;
    if (hc & H_NEG) w -= pp->class_weight;
    if (hc & H_POS) w += pp->class_weight;
    if (hi & H_NEG) w -= pp->class_weight;
    if (hi & H_POS) w += pp->class_weight;
    *weight = w;
    *hints = hc | hi;
    if ((flags & T_KEEP) || n == r->root)
        return 0;
    if (pp->skip_hidden && is_hidden(n))
        return 1;
    if (r->strip_unlikely) {
        if ((*hints & H_UNLIKELY) && !(*hints & (H_MAYBE | H_POS))
            && !(flags & T_A))
            return 1;
        xmlChar *role = xmlGetNoNsProp(n, (const xmlChar *)"role");
        int bad = role && strlist_has(&pp->unlikely, (const char *)role);
        xmlFree(role);
        if (bad)
            return 1;
    }
    return 0;
}

/*
 * Text measures.  Characters are code points; a whitespace run counts as
 * one.
 */
static int is_space_at(const unsigned char *c, int *adv)
{
    if (*c == ' ' || *c == '\t' || *c == '\n' || *c == '\r' || *c == '\f') {
        *adv = 1;
        return 1;
    }
    if (c[0] == 0xC2 && c[1] == 0xA0) {
        *adv = 2;
        return 1;
    }
    return 0;
}

static int is_comma(const unsigned char *c)
{
    return *c == ','
           || (c[0] == 0xEF && c[1] == 0xBC && c[2] == 0x8C)   /* U+FF0C */
           || (c[0] == 0xE3 && c[1] == 0x80 && c[2] == 0x81)   /* U+3001 */
           || (c[0] == 0xD8 && c[1] == 0x8C);                  /* U+060C */
}

static void measure(const unsigned char *c, long *chars, long *commas)
{
    long ch = 0, cm = 0;
    int space = 1, adv;
    while (*c) {
        if (is_space_at(c, &adv)) {
            if (!space)
                ch++;
            space = 1;
            c += adv;
            continue;
        }
        space = 0;
        if (is_comma(c))
            cm++;
        if ((*c & 0xC0) != 0x80)
            ch++;
        c++;
    }
    *chars += ch;
    *commas += cm;
}

/*
 * Pass 1: index the elements.
 */

/* Count elements and text bytes: sizes the working memory. */
static void count_tree(xmlNodePtr n, int depth, size_t *elems, size_t *bytes)
{
    for (xmlNodePtr c = n->children; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE) {
            (*elems)++;
            if (depth < MAX_DEPTH)
                count_tree(c, depth + 1, elems, bytes);
        } else if ((c->type == XML_TEXT_NODE
                    || c->type == XML_CDATA_SECTION_NODE) && c->content) {
            *bytes += strlen((const char *)c->content) + 1;
        }
    }
}

static void index_children(run *r, int pi, int depth);

static void index_element(run *r, xmlNodePtr n, int pi, int depth)
{
    unsigned flags = tag_flags(n);
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
    if (classify(r, n, flags, &weight, &hints))
        return;
    if (r->n >= r->cap)
        return;
    int i = r->n++;
    nstat *s = &r->s[i];
    memset(s, 0, sizeof *s);
    s->node = n;
    s->parent = pi;
    s->flags = flags;
    s->weight = r->use_weights ? weight : 0;
    s->positive = (hints & H_POS) != 0;
    s->dropped = (hints & H_DROP) != 0
                 || strlist_has(&r->pp->drop_tags, (const char *)n->name);
    s->in_figure = (flags & T_FIGURE) || (pi >= 0 && r->s[pi].in_figure);
    if (flags & T_IMG) s->img = 1;
    if (flags & T_P) s->p = 1;
    if (flags & T_LI) s->li = 1;
    int saved_a = r->in_a;
    if ((flags & T_A) && xmlHasProp(n, (const xmlChar *)"href"))
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
            index_element(r, c, pi, depth);
            s = &r->s[pi];
        } else if ((c->type == XML_TEXT_NODE
                    || c->type == XML_CDATA_SECTION_NODE) && c->content) {
            long chars = 0, commas = 0;
            measure(c->content, &chars, &commas);
            s->own_chars += chars;
            s->own_commas += commas;
            if (r->in_a)
                s->own_link += chars;
        }
    }
}

/* Sum subtree figures bottom-up: children follow their parent in the
 * array, so a reverse sweep sees every child before its parent. */
static void sum_up(run *r)
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
        }
        p->p += s->p;
        p->img += s->img;
        p->li += s->li;
        p->input += s->input;
        p->embed += s->embed;
        p->li_chars += s->li_chars;
    }
}

static double tag_weight(const params *pp, const xmlNode *n)
{
    for (size_t i = 0; i < pp->ntagw; i++)
        if (strcmp(pp->tagw[i].tag, (const char *)n->name) == 0)
            return pp->tagw[i].w;
    return 0;
}

static double link_density(const nstat *s)
{
    return s->chars > 0 ? (double)s->link / (double)s->chars : 0;
}

/* Score: paragraphs feed their ancestors; then scale by link density. */
static void score(run *r)
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
        for (int level = 0; a >= 0 && level < pp->ancestor_levels; level++) {
            nstat *t = &r->s[a];
            if (!t->scored) {
                t->scored = 1;
                t->score = tag_weight(pp, t->node) + t->weight;
            }
            double div = level == 0 ? 1 : level == 1 ? 2 : level * 3;
            t->score += pts / div;
            a = t->parent;
        }
    }
    for (int i = 0; i < r->n; i++)
        if (r->s[i].scored)
            r->s[i].score *= 1 - link_density(&r->s[i]);
}

static int is_inside(const run *r, int j, int a)
{
    return j > a && j < a + r->s[a].size;
}

static int pick_top(run *r)
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
                && !is_inside(r, i, top) && !is_inside(r, top, i))
                alts[nalt++] = i;
        if (nalt >= pp->alt_min) {
            for (int a = r->s[top].parent; a >= 0; a = r->s[a].parent) {
                int k = 0;
                for (int j = 0; j < nalt; j++)
                    if (is_inside(r, alts[j], a))
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
static int sibling_base(const run *r, int top)
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

/*
 * Output.
 */

static void out_byte(run *r, char c)
{
    if (r->out_len < r->out_cap)
        r->out[r->out_len++] = c;
}

static void append_text(run *r, const unsigned char *c)
{
    int adv;
    while (*c) {
        if (is_space_at(c, &adv)) {
            r->pending_space = 1;
            c += adv;
            continue;
        }
        if (r->pending_space && r->out_len > r->cur_start
            && r->out[r->out_len - 1] != '\n') {
            out_byte(r, ' ');
            r->cur_chars++;
            if (r->in_a)
                r->cur_link++;
        }
        r->pending_space = 0;
        if ((*c & 0xC0) != 0x80) {
            r->cur_chars++;
            if (r->in_a)
                r->cur_link++;
        }
        out_byte(r, (char)*c);
        c++;
    }
}

static int starts_with_prompt(const params *pp, const char *s, size_t len)
{
    for (size_t i = 0; i < pp->prompts.n; i++) {
        const char *p = pp->prompts.v[i];
        size_t pl = strlen(p);
        if (pl > len || strncasecmp(s, p, pl) != 0)
            continue;
        if (pl == len || !isalnum((unsigned char)s[pl]))
            return 1;
    }
    return 0;
}

/* Is this line boilerplate: link-heavy, or a short prompt? */
static int boilerplate(const params *pp, const char *s, size_t len,
                       long chars, long link)
{
    if (chars > 0) {
        double ld = (double)link / (double)chars;
        if (ld > pp->line_link_long
            || (ld > pp->line_link && (double)chars < pp->line_link_len))
            return 1;
    }
    return (double)chars <= pp->prompt_len && starts_with_prompt(pp, s, len);
}

/* End the paragraph being built: keep it unless it is boilerplate. */
static void flush(run *r)
{
    const params *pp = r->pp;
    while (r->out_len > r->cur_start
           && (r->out[r->out_len - 1] == '\n' || r->out[r->out_len - 1] == ' '))
        r->out_len--;
    size_t len = r->out_len - r->cur_start;
    /* list markers whose items all went (their text was in blocks the
     * filter dropped) are no paragraph */
    int marks_only = 1;
    for (size_t k = r->cur_start; k < r->out_len && marks_only; k++)
        marks_only = r->out[k] == '-' || r->out[k] == ' ' || r->out[k] == '\n';
    int keep = len > 0 && !marks_only &&
               !boilerplate(pp, r->out + r->cur_start, len, r->cur_chars,
                            r->cur_link);
    if (keep && r->npara < r->para_cap) {
        r->paras[r->npara].off = r->cur_start;
        r->paras[r->npara].len = len;
        r->npara++;
    } else {
        r->out_len = r->cur_start;
    }
    r->cur_start = r->out_len;
    r->cur_chars = r->cur_link = 0;
    r->pending_space = 0;
}

/* Readability's conditional cleaning of a block inside the content. */
static int clean_drops(const run *r, const nstat *s)
{
    const params *pp = r->pp;
    if (!r->use_clean || !(s->flags & T_CLEAN))
        return 0;
    double w = s->weight;
    if (w + (s->scored ? s->score : 0) < 0)
        return 1;
    if ((double)s->commas >= pp->clean_commas)
        return 0;
    int is_list = (s->flags & T_LIST)
                  || (s->chars > 0 && (double)s->li_chars > 0.9 * (double)s->chars);
    double ld = link_density(s);
    int p = s->p, img = s->img, li = s->li - 100;
    if (img > 1 && (double)p / img < 0.5 && !s->in_figure)
        return 1;
    if (!is_list && li > p)
        return 1;
    if (s->input > p / 3 + 0 && s->input > 0 && (double)s->input > p / 3.0)
        return 1;
    if (!is_list && (double)s->chars < pp->clean_min_text
        && (img == 0 || img > 2) && !s->in_figure)
        return 1;
    if (!is_list && w < pp->class_weight && ld > pp->clean_link)
        return 1;
    if (w >= pp->class_weight && ld > pp->clean_link_pos)
        return 1;
    if ((s->embed == 1 && s->chars < 75) || s->embed > 1)
        return 1;
    return 0;
}

static void emit(run *r, int i, int depth);

static void emit_children(run *r, int i, int depth)
{
    int end = i + r->s[i].size;
    int cur = i + 1;
    for (xmlNodePtr c = r->s[i].node->children; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE) {
            if (cur >= end || r->s[cur].node != c) {
                /* excluded in pass 1 */
                if (tag_flags(c) & T_BR) {
                    out_byte(r, '\n');
                    r->pending_space = 0;
                }
                continue;
            }
            int ci = cur;
            cur += r->s[ci].size;
            if (depth < MAX_DEPTH)
                emit(r, ci, depth + 1);
        } else if ((c->type == XML_TEXT_NODE
                    || c->type == XML_CDATA_SECTION_NODE) && c->content) {
            append_text(r, c->content);
        }
    }
}

/* A list item: a "- " line of the list's paragraph, as `pipe strip`
 * renders lists. */
static void emit_item(run *r, int i, int depth)
{
    size_t mark = r->out_len;
    if (r->out_len > r->cur_start)
        out_byte(r, '\n');
    out_byte(r, '-');
    out_byte(r, ' ');
    size_t text = r->out_len;
    long chars = r->cur_chars, link = r->cur_link;
    r->pending_space = 0;
    int saved_a = r->in_a;
    r->in_a = 0;
    emit_children(r, i, depth);
    r->in_a = saved_a;
    while (r->out_len > text && r->out[r->out_len - 1] == ' ')
        r->out_len--;
    /* each item passes the line filter on its own */
    if (r->out_len == text
        || boilerplate(r->pp, r->out + text, r->out_len - text,
                       r->cur_chars - chars, r->cur_link - link)) {
        r->out_len = mark;
        r->cur_chars = chars;
        r->cur_link = link;
    }
    r->pending_space = 0;
}

static void emit(run *r, int i, int depth)
{
    const nstat *s = &r->s[i];
    /* the chosen block (and what holds it) is judged by its score, not
     * cleaned */
    if (s->dropped
        || (i != r->top && !is_inside(r, r->top, i) && clean_drops(r, s)))
        return;
    if (s->flags & T_BR) {
        if (r->out_len > r->cur_start)
            out_byte(r, '\n');
        r->pending_space = 0;
        return;
    }
    if ((s->flags & T_LI) && s->parent >= 0
        && (r->s[s->parent].flags & T_LIST)) {
        emit_item(r, i, depth);
        return;
    }
    int block = (s->flags & T_BLOCK) != 0;
    if (block)
        flush(r);
    int saved_a = r->in_a;
    if ((s->flags & T_A) && s->node->properties
        && xmlHasProp(s->node, (const xmlChar *)"href"))
        r->in_a = 1;
    else if (block)
        r->in_a = 0;
    emit_children(r, i, depth);
    r->in_a = saved_a;
    if (block)
        flush(r);
}

/* Is sibling j of the top candidate part of the article? */
static int sibling_joins(const run *r, int j, double threshold)
{
    const params *pp = r->pp;
    const nstat *s = &r->s[j], *t = &r->s[r->top];
    double bonus = 0;
    xmlChar *c1 = xmlGetNoNsProp(s->node, (const xmlChar *)"class");
    xmlChar *c2 = xmlGetNoNsProp(t->node, (const xmlChar *)"class");
    if (c1 && c2 && *c1 && strcmp((char *)c1, (char *)c2) == 0)
        bonus = t->score * pp->sibling_same_class;
    xmlFree(c1);
    xmlFree(c2);
    if (s->scored && s->score + bonus >= threshold)
        return 1;
    int leaf = (s->flags & T_P) || (s->chars > 0 && s->in_chars == s->chars);
    if (!leaf || s->chars == 0)
        return 0;
    double ld = link_density(s);
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

/* Start an attempt: reset the output, index and score the tree under
 * root.  Returns the number of elements indexed. */
static int start_attempt(run *r, xmlNodePtr root)
{
    r->n = 0;
    r->root = root;
    r->in_a = 0;
    r->out_len = 0;
    r->npara = 0;
    r->cur_start = 0;
    r->cur_chars = r->cur_link = 0;
    r->pending_space = 0;
    index_element(r, root, -1, 0);
    if (r->n == 0)
        return 0;
    sum_up(r);
    score(r);
    return r->n;
}

/* One attempt: index, score, choose, emit.  Returns output chars. */
static long attempt(run *r, xmlNodePtr root)
{
    if (start_attempt(r, root) == 0)
        return 0;
    r->top = pick_top(r);
    int base = sibling_base(r, r->top);
    const nstat *t = &r->s[r->top];
    int pi = r->s[base].parent;
    if (pi < 0) {
        emit(r, base, 0);
    } else {
        double threshold = fmax(r->pp->sibling_min,
                                t->score * r->pp->sibling_ratio);
        int end = pi + r->s[pi].size;
        for (int j = pi + 1; j < end; j += r->s[j].size) {
            if (j == base || sibling_joins(r, j, threshold)) {
                /* a joining sibling is emitted whole, as a block */
                flush(r);
                emit(r, j, 0);
                flush(r);
            }
        }
    }
    flush(r);
    long chars = 0;
    for (int k = 0; k < r->npara; k++)
        chars += (long)r->paras[k].len;
    return chars;
}

/* whole = true: the root is the content, emitted with the drop lists,
 * hidden elements skipped and the line filter; conditional cleaning only
 * with whole_clean.  No candidate search, no retries. */
static long attempt_whole(run *r, xmlNodePtr root)
{
    if (start_attempt(r, root) == 0)
        return 0;
    r->top = 0;
    r->s[0].dropped = 0;
    emit(r, 0, 0);
    flush(r);
    return r->npara;
}

static void set_mode(run *r, const int mode[3])
{
    r->strip_unlikely = mode[0];
    r->use_weights = mode[1];
    r->use_clean = mode[2];
}

/*
 * Parameters from Lua.
 */

static int bool_field(lua_State *L, int t, const char *k, int def)
{
    if (t == 0)
        return def;
    lua_getfield(L, t, k);
    int v = def;
    if (lua_isboolean(L, -1))
        v = lua_toboolean(L, -1);
    else if (!lua_isnil(L, -1))
        luaL_error(L, "extract params: '%s' must be a boolean", k);
    lua_pop(L, 1);
    return v;
}

static double num_field(lua_State *L, int t, const char *k, double def)
{
    if (t == 0)
        return def;
    lua_getfield(L, t, k);
    double v = def;
    if (!lua_isnil(L, -1)) {
        int ok;
        v = lua_tonumberx(L, -1, &ok);
        if (!ok)
            luaL_error(L, "extract params: '%s' must be a number", k);
    }
    lua_pop(L, 1);
    return v;
}

static void list_field(lua_State *L, int t, const char *k, strlist *l,
                       const char *const *def)
{
    l->n = 0;
    if (t != 0) {
        lua_getfield(L, t, k);
        if (!lua_isnil(L, -1)) {
            if (!lua_istable(L, -1))
                luaL_error(L, "extract params: '%s' must be a list", k);
            lua_Integer len = luaL_len(L, -1);
            if (len > MAX_LIST)
                luaL_error(L, "extract params: '%s' has more than %d entries",
                           k, MAX_LIST);
            for (lua_Integer i = 1; i <= len; i++) {
                lua_rawgeti(L, -1, i);
                const char *s = lua_type(L, -1) == LUA_TSTRING
                                    ? lua_tostring(L, -1) : NULL;
                if (!s)
                    luaL_error(L, "extract params: '%s' entry %d is not a "
                               "string", k, (int)i);
                /* the string stays referenced by the params table */
                l->len[l->n] = strlen(s);
                l->v[l->n++] = s;
                lua_pop(L, 1);
            }
            lua_pop(L, 1);
            return;
        }
        lua_pop(L, 1);
    }
    for (size_t i = 0; def[i] && i < MAX_LIST; i++) {
        l->len[l->n] = strlen(def[i]);
        l->v[l->n++] = def[i];
    }
}

static const char *const def_positive[] = {
    "article", "body", "content", "entry", "hentry", "main", "page", "post",
    "text", "blog", "story", NULL};
static const char *const def_negative[] = {
    "ad", "banner", "combx", "comment", "contact", "cookie", "foot", "footer",
    "footnote", "masthead", "media", "meta", "menu", "nav", "navbar",
    "outbrain", "promo", "related", "scroll", "share", "shoutbox", "sidebar",
    "similar", "skyscraper", "social", "sponsor", "shopping", "subscribe",
    "tags", "tool", "widget", "video", NULL};
static const char *const def_unlikely[] = {
    "ad", "ads", "advert", "banner", "breadcrumb", "breadcrumbs", "combx",
    "comment", "community", "cookie", "disqus", "footer", "gdpr", "menu",
    "modal", "nav", "navbar", "navigation", "newsletter", "pagination",
    "popup", "promo", "related", "remark", "replies", "rss", "share",
    "shoutbox", "sidebar", "skyscraper", "social", "sponsor", "subscribe",
    "similar", "complementary", "menubar", "alert", "alertdialog", "dialog",
    NULL};
static const char *const def_maybe[] = {
    "and", "article", "body", "column", "content", "main", "shadow", NULL};
static const char *const def_drop[] = {
    "byline", "author", "caption", "credit", "dateline", NULL};
static const char *const def_drop_tags[] = {"h1", "figcaption", "caption",
                                            NULL};
static const char *const def_prompts[] = {
    "read more", "share", "subscribe", "sign up", "advertisement",
    "click here", "follow us", "watch:", "photo:", "photos:", "photo by",
    "image:", "credit:", "Фото:", NULL};

static const tagweight def_tagw[] = {
    {"div", 5},      {"pre", 3},  {"td", 3},  {"blockquote", 3},
    {"address", -3}, {"ol", -3},  {"ul", -3}, {"dl", -3},
    {"dd", -3},      {"dt", -3},  {"li", -3}, {"form", -3},
    {"h1", -5},      {"h2", -5},  {"h3", -5}, {"h4", -5},
    {"h5", -5},      {"h6", -5},  {"th", -5}, {NULL, 0}};

static void read_params(lua_State *L, int t, params *pp)
{
    list_field(L, t, "positive", &pp->positive, def_positive);
    list_field(L, t, "negative", &pp->negative, def_negative);
    list_field(L, t, "unlikely", &pp->unlikely, def_unlikely);
    list_field(L, t, "maybe", &pp->maybe, def_maybe);
    list_field(L, t, "drop", &pp->drop, def_drop);
    list_field(L, t, "drop_tags", &pp->drop_tags, def_drop_tags);
    list_field(L, t, "prompts", &pp->prompts, def_prompts);
    pp->ntagw = 0;
    int have = 0;
    if (t != 0) {
        lua_getfield(L, t, "tag_weights");
        if (lua_istable(L, -1)) {
            have = 1;
            lua_pushnil(L);
            while (lua_next(L, -2)) {
                if (lua_type(L, -2) != LUA_TSTRING || !lua_isnumber(L, -1))
                    luaL_error(L, "extract params: 'tag_weights' maps tag "
                               "names to numbers");
                if (pp->ntagw < MAX_TAGW) {
                    pp->tagw[pp->ntagw].tag = lua_tostring(L, -2);
                    pp->tagw[pp->ntagw].w = lua_tonumber(L, -1);
                    pp->ntagw++;
                }
                lua_pop(L, 1);
            }
        } else if (!lua_isnil(L, -1)) {
            luaL_error(L, "extract params: 'tag_weights' must be a table");
        }
        lua_pop(L, 1);
    }
    if (!have)
        for (size_t i = 0; def_tagw[i].tag; i++)
            pp->tagw[pp->ntagw++] = def_tagw[i];
    pp->min_paragraph = num_field(L, t, "min_paragraph", 25);
    pp->length_step = num_field(L, t, "length_step", 100);
    pp->length_cap = num_field(L, t, "length_cap", 3);
    pp->comma_weight = num_field(L, t, "comma_weight", 1);
    pp->ancestor_levels = (int)num_field(L, t, "ancestor_levels", 5);
    pp->class_weight = num_field(L, t, "class_weight", 25);
    pp->hint_prefix = (int)num_field(L, t, "hint_prefix", 4);
    pp->sibling_ratio = num_field(L, t, "sibling_ratio", 0.2);
    pp->sibling_min = num_field(L, t, "sibling_min", 10);
    pp->sibling_same_class = num_field(L, t, "sibling_same_class", 0.2);
    pp->sibling_text = num_field(L, t, "sibling_text", 80);
    pp->sibling_link = num_field(L, t, "sibling_link", 0.25);
    pp->alt_ratio = num_field(L, t, "alt_ratio", 0.75);
    pp->alt_min = (int)num_field(L, t, "alt_min", 3);
    pp->clean_commas = num_field(L, t, "clean_commas", 10);
    pp->clean_link = num_field(L, t, "clean_link", 0.2);
    pp->clean_link_pos = num_field(L, t, "clean_link_pos", 0.5);
    pp->clean_min_text = num_field(L, t, "clean_min_text", 25);
    pp->line_link = num_field(L, t, "line_link", 0.5);
    pp->line_link_len = num_field(L, t, "line_link_len", 200);
    pp->line_link_long = num_field(L, t, "line_link_long", 0.8);
    pp->prompt_len = num_field(L, t, "prompt_len", 60);
    pp->retry_length = num_field(L, t, "retry_length", 500);
    pp->retry_gain = num_field(L, t, "retry_gain", 3);
    pp->candidates = (int)num_field(L, t, "candidates", 5);
    pp->skip_hidden = (int)num_field(L, t, "skip_hidden", 1) != 0;
    pp->whole = bool_field(L, t, "whole", 0);
    pp->whole_clean = bool_field(L, t, "whole_clean", 1);
    if (pp->length_step <= 0)
        luaL_error(L, "extract params: 'length_step' must be positive");
    if (pp->hint_prefix < 1)
        pp->hint_prefix = 1;
    if (pp->candidates < 0 || pp->candidates > 100)
        luaL_error(L, "extract params: 'candidates' must be 0..100");
}

/*
 * Lua API.
 */

/* Push the paragraphs and figures of a finished run into the table on top. */
static void push_result(lua_State *L, run *r)
{
    int res = lua_gettop(L);
    luaL_Buffer b;
    lua_createtable(L, r->npara, 0);
    for (int k = 0; k < r->npara; k++) {
        lua_pushlstring(L, r->out + r->paras[k].off, r->paras[k].len);
        lua_rawseti(L, -2, k + 1);
    }
    lua_setfield(L, res, "paragraphs");
    luaL_buffinit(L, &b);
    for (int k = 0; k < r->npara; k++) {
        if (k > 0)
            luaL_addstring(&b, "\n\n");
        luaL_addlstring(&b, r->out + r->paras[k].off, r->paras[k].len);
    }
    luaL_pushresult(&b);
    lua_setfield(L, res, "text");
    pipe_html_push_node(L, 1, r->s[r->top].node);
    lua_setfield(L, res, "node");
    lua_pushnumber(L, r->s[r->top].scored ? r->s[r->top].score : 0);
    lua_setfield(L, res, "score");
    /* the best candidates, best first */
    lua_newtable(L);
    int k = 0;
    double last = INFINITY;
    int last_i = -1;
    while (k < r->pp->candidates) {
        int best = -1;
        for (int i = 0; i < r->n; i++) {
            const nstat *s = &r->s[i];
            if (!s->scored)
                continue;
            if (s->score > last || (s->score == last && i <= last_i))
                continue;
            if (best < 0 || s->score > r->s[best].score)
                best = i;
        }
        if (best < 0)
            break;
        lua_createtable(L, 0, 4);
        pipe_html_push_node(L, 1, r->s[best].node);
        lua_setfield(L, -2, "node");
        lua_pushnumber(L, r->s[best].score);
        lua_setfield(L, -2, "score");
        lua_pushinteger(L, r->s[best].chars);
        lua_setfield(L, -2, "chars");
        lua_pushnumber(L, link_density(&r->s[best]));
        lua_setfield(L, -2, "link_density");
        lua_rawseti(L, -2, ++k);
        last = r->s[best].score;
        last_i = best;
    }
    lua_setfield(L, res, "candidates");
}

/* extract.content(doc_or_node [, params]) -> {text=, paragraphs=, node=,
 *   score=, candidates=} | nil, msg */
static int extract_content(lua_State *L)
{
    xmlNodePtr root = pipe_html_check_node(L, 1);
    int t = 0;
    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        t = 2;
    }
    lua_settop(L, 2);
    params *pp = lua_newuserdatauv(L, sizeof *pp, 0);
    read_params(L, t, pp);
    /* again: reading params may have run Lua code (metamethods); from here
     * on no finalizer runs while the tree is walked (see html.c) */
    root = pipe_html_check_node(L, 1);
    int held = lua_gc(L, LUA_GCISRUNNING);
    if (held)
        lua_gc(L, LUA_GCSTOP);
    if (!root) {
        if (held)
            lua_gc(L, LUA_GCRESTART);
        luaL_pushfail(L);
        lua_pushliteral(L, "no content");
        return 2;
    }
    size_t elems = 1, bytes = 0;
    count_tree(root, 0, &elems, &bytes);
    if (elems > INT32_MAX / 4)
        return luaL_error(L, "extract: page too large");
    run r;
    memset(&r, 0, sizeof r);
    r.pp = pp;
    r.cap = (int)elems;
    r.s = lua_newuserdatauv(L, elems * sizeof *r.s, 0);
    /* text plus one separator or line break per element */
    r.out_cap = bytes + 2 * elems + 16;
    r.out = lua_newuserdatauv(L, r.out_cap, 0);
    r.para_cap = (int)(2 * elems + 2);
    r.paras = lua_newuserdatauv(L, (size_t)r.para_cap * sizeof *r.paras, 0);

    /* Readability's retries: fewer filters while the result is short; a
     * later attempt wins only when it gives retry_gain times more text
     * (a short article must not give way to its comment thread). */
    static const int modes[3][3] = {{1, 1, 1}, {0, 1, 1}, {0, 0, 0}};
    if (pp->whole) {
        const int mode[3] = {0, 1, pp->whole_clean};
        set_mode(&r, mode);
        attempt_whole(&r, root);
    } else {
        int m = 0, best_mode = 0;
        set_mode(&r, modes[0]);
        long best_len = attempt(&r, root);
        while ((double)best_len < pp->retry_length && m < 2) {
            set_mode(&r, modes[++m]);
            long len = attempt(&r, root);
            if ((double)len > (double)best_len * pp->retry_gain) {
                best_len = len;
                best_mode = m;
            }
        }
        if (m != best_mode) {
            set_mode(&r, modes[best_mode]);
            attempt(&r, root);
        }
    }
    if (r.n == 0 || r.npara == 0) {
        if (held)
            lua_gc(L, LUA_GCRESTART);
        luaL_pushfail(L);
        lua_pushliteral(L, "no content");
        return 2;
    }
    lua_createtable(L, 0, 6);
    push_result(L, &r);
    if (held)
        lua_gc(L, LUA_GCRESTART);
    return 1;
}

static const luaL_Reg extract_funcs[] = {
    {"content", extract_content},
    {NULL, NULL},
};

static int extract_open(lua_State *L)
{
    luaL_newlib(L, extract_funcs);
    return 1;
}

static const char *const extract_names[] = {"content", NULL};

static const char *const extract_requires[] = {"html", NULL};

const pipe_plugin pipe_plugin_extract = {
    PIPE_PLUGIN_HEAD,
    .name = "extract",
    .summary = "generic main-content extraction (article body of any page)",
    .open = extract_open,
    .lua_names = extract_names,
    .requires = extract_requires,
};
