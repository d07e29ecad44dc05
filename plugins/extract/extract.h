/*
 * The extract plugin's private interface: what its files share.
 *
 *   extract.c         the Lua API (extract.content, extract.defaults,
 *                     extract.scanner) and the driver: attempts, retries,
 *                     whole = true, the result table
 *   extract_params.c  the parameters: one table of every name, kind,
 *                     default and range, read from Lua and given back by
 *                     extract.defaults()
 *   extract_score.c   pass 1 and 2: index the tree, class/id hints, text
 *                     measures, scores, the top candidate and its siblings
 *   extract_emit.c    pass 3: the chosen blocks as paragraphs, cleaning and
 *                     the boilerplate line filter
 *   extract_scan.c    extract.scanner: one walk that collects the elements
 *                     lib/meta looks at (tags, attributes, class words,
 *                     bylines, short dated texts)
 *
 * Ownership rule: all working memory of a run is Lua userdata in stack
 * slots of the Lua call (the index grows them by putting a larger one in
 * the slot; the params with their tag index) or C locals of the call (the
 * class-hint cache: ~8 KB of stack), so a Lua error leaks nothing; parameter
 * strings point into the params table, which stays on the Lua stack for
 * the whole call; nothing is stored in the libxml2 tree, and no file keeps
 * mutable static state (several Lua states, one per worker, share none).
 */
#ifndef PIPE_EXTRACT_H
#define PIPE_EXTRACT_H

#include <stddef.h>
#include <stdint.h>

#include <lua.h>
#include <libxml/tree.h>

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
    T_KEEP = 1 << 13,     /* never unlikely (html, body, article, main) */
    T_QUOTE = 1 << 14,    /* blockquote */
    T_ARTICLE = 1 << 15   /* article */
};

typedef struct strlist {
    const char *v[MAX_LIST];
    size_t len[MAX_LIST];     /* strlen of each entry, for hint matching */
    size_t n;
} strlist;

typedef struct tagweight {
    const char *tag;
    double w;
} tagweight;

/* Hint bits: which lists a class/id token matches. */
enum { H_POS = 1, H_NEG = 2, H_UNLIKELY = 4, H_MAYBE = 8, H_DROP = 16,
       H_NEVER = 32 };

/* The hints of all six lists, bucketed by their first two characters
 * (a-z, 0-9; a one-letter hint's second "character" is its end), so a
 * token is compared only with hints that can be a prefix of it. */
#define HINT_B2 37            /* second-character buckets: 36 + the end */
#define HINT_BUCKETS (36 * HINT_B2)
typedef struct hintx {
    const char *h;
    size_t len;
    unsigned bits;
} hintx;

/* What a tag name means to a call: its T_* flags, whether drop_tags
 * lists it, its tag_weights entry.  Names of up to 8 bytes (all of the
 * scorer's tags) are found by their bytes packed into one number in an
 * open-addressed table, built when the params are read (and kept with
 * them while drop_tags and tag_weights are the defaults); longer names
 * take the lists (extract_score.c, pipe_extract_tags_build). */
#define TAG_SLOTS 512         /* > 75 tags + MAX_LIST + MAX_TAGW names */
typedef struct tag_index {
    uint64_t key[TAG_SLOTS];  /* 0: empty */
    unsigned flags[TAG_SLOTS];
    unsigned char drop[TAG_SLOTS];
    unsigned char weighted[TAG_SLOTS];   /* (while the index is built) */
    double weight[TAG_SLOTS];
} tag_index;

/* The parameters of a call (extract_params.c has their meaning and
 * defaults). */
typedef struct params {
    strlist positive, negative, unlikely, maybe, drop, never, drop_tags,
        prompts, tag_lines, date_labels;
    hintx hx[6 * MAX_LIST];
    /* bucket b: hx[hx_start[b] .. hx_start[b+1]) */
    int hx_start[HINT_BUCKETS + 1];
    /* kept from an earlier call (extract.c keeps the userdata), so a
     * call with the default lists does not copy or index them again */
    int lists_default;         /* every list and tagw holds its default */
    int hx_default;            /* hx indexes the default hint lists */
    int ti_default;            /* ti is built from the default drop_tags
                                * and tag_weights */
    tag_index ti;
    tagweight tagw[MAX_TAGW];
    size_t ntagw;
    double min_paragraph, length_step, length_cap, comma_weight;
    int ancestor_levels;
    double class_weight;
    int hint_prefix;
    double sibling_ratio, sibling_min, sibling_same_class, sibling_text,
        sibling_link;
    double alt_ratio;
    int alt_min;
    double clean_commas, clean_link, clean_link_pos, clean_min_text;
    double line_link, line_link_len, line_link_long, prompt_len;
    double tag_line_len, date_line_len;
    double twin_ratio;
    int twin_levels;
    double other_post_ratio;
    double retry_length, retry_gain;
    int candidates;
    int paragraphs;            /* the result lists its paragraphs */
    int skip_hidden;
    int whole;                 /* the node given is the content */
    int whole_clean;           /* ... cleaned conditionally (prune) */
    int clean_shape;           /* the cleaning's shape tests too (galleries,
                                * short blocks, lists, embeds) */
} params;

/* Per-element figures, in document (pre-)order. */
typedef struct nstat {
    xmlNodePtr node;
    int parent;                /* index, -1 for the root */
    int size;                  /* elements in the subtree, self included */
    unsigned flags;            /* T_* of the tag */
    unsigned char scored, positive, in_figure, dropped;
    unsigned char quote;       /* a blockquote, or inside one */
    unsigned char href;        /* has an href attribute */
    double weight;             /* class/id weight */
    double score;
    /* inline text: this element's own paragraph (blocks) or its share of
     * its parent's paragraph (inline elements) */
    long in_chars, in_link, in_commas;
    long own_chars, own_link, own_commas;   /* direct text children */
    /* whole subtree */
    long chars, link, commas;
    int p, img, li, input, embed;
    int brs;                   /* <br>s in this element's own paragraph */
    int prose;                 /* prose paragraphs in the subtree */
    long li_chars;
    long quote_chars;          /* text inside blockquotes */
    long dropped_chars;        /* text of other posts (see other_posts) */
    long neg_chars;            /* text inside negatively hinted elements */
} nstat;

typedef struct para {
    size_t off, len;
} para;

/* One run's working state. */
#define NO_MARKER ((size_t)-1)

/* The hint bits of the class values seen in a call (open addressing;
 * values point into the tree, which the call holds). */
#define HINT_CACHE 512
typedef struct hint_cache {
    const char *v[HINT_CACHE];   /* NULL: empty */
    uint32_t hash[HINT_CACHE];
    unsigned bits[HINT_CACHE];
    int n;
} hint_cache;

typedef struct run {
    const params *pp;
    const tag_index *tags;
    hint_cache *hints;
    lua_State *L;
    /* the working arrays are userdata in these stack slots, grown (a new
     * userdata in the slot) when an attempt's index needs more */
    int s_idx, out_idx, paras_idx;
    int params_idx;            /* the params' userdata */
    int scratch_idx;           /* the registry's table of kept arrays */
    nstat *s;
    int n, cap;
    /* what the index of this attempt saw: elements (indexed or not, the
     * root included) and text bytes (+1 per text node) below the indexed
     * ones: all that emitting can visit, which sizes out and paras */
    size_t seen_elems, seen_bytes;
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
    int in_quote;              /* emitting inside a blockquote */
    int in_item;               /* emitting inside a list item */
    size_t marker;             /* offset of the open item's "- " marker
                                * (NO_MARKER: none) */
    unsigned long flushes;     /* paragraphs ended so far */
    /* chosen blocks */
    xmlNodePtr root;           /* where extraction started: never excluded */
    int top;
    int blocks[16];            /* the first blocks emitted (indexes) */
    int nblocks;               /* how many blocks were emitted */
} run;

/* Is element j inside element a (strictly)? */
static inline int pipe_extract_inside(const run *r, int j, int a)
{
    return j > a && j < a + r->s[a].size;
}

/* extract_params.c */
void pipe_extract_read_params(lua_State *L, int t, params *pp);
void pipe_extract_push_defaults(lua_State *L);

/* extract_score.c */
void pipe_extract_tags_build(tag_index *ti, const params *pp);
/* The T_* flags of element n's tag; *drop (when not NULL): drop_tags
 * lists it; *weight (when not NULL): its tag_weights entry, 0 if none. */
unsigned pipe_extract_tag_info(const run *r, const xmlNode *n, int *drop,
                               double *weight);
static inline unsigned pipe_extract_tag_flags(const run *r, const xmlNode *n)
{
    return pipe_extract_tag_info(r, n, NULL, NULL);
}
/* The value of attribute `name` of element n, without copying (the HTML
 * parser keeps each value as one text node); NULL when absent. */
const char *pipe_extract_attr(const xmlNode *n, const char *name);
/* Bucket of a token's first character: 0-25 letters, 26-35 digits, -1. */
static inline int pipe_extract_bucket(unsigned char c)
{
    if (c >= 'a' && c <= 'z')
        return c - 'a';
    if (c >= '0' && c <= '9')
        return 26 + (c - '0');
    return -1;
}

/* Is there white space at c (ASCII white space or U+00A0)?  *adv: its
 * length.  Inline: the scorer and the emitter call it for every byte of
 * the page's text. */
static inline int pipe_extract_space_at(const unsigned char *c, int *adv)
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

/* Is byte c of a text a non-ASCII byte the text loops need not look at
 * closely: a UTF-8 continuation byte, or a lead byte other than those of
 * U+00A0 (C2 A0, a space) and of the commas U+060C (D8 8C), U+3001
 * (E3 80 81) and U+FF0C (EF BC 8C)?  The scorer and the emitter take
 * runs of such bytes (most of a non-Latin text) in a tight loop. */
#define PIPE_EXTRACT_LOOK_LEADS \
    ((UINT64_C(1) << (0xC2 - 0xC0)) | (UINT64_C(1) << (0xD8 - 0xC0)) \
     | (UINT64_C(1) << (0xE3 - 0xC0)) | (UINT64_C(1) << (0xEF - 0xC0)))
static inline int pipe_extract_plain_utf8(unsigned char c)
{
    return c >= 0x80
           && (c < 0xC0 || !((PIPE_EXTRACT_LOOK_LEADS >> (c - 0xC0)) & 1));
}

/* ASCII classes, as <ctype.h>'s are in the "C" locale pipe runs in,
 * without a call per byte */
static inline int pipe_extract_lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}
static inline int pipe_extract_isalpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static inline int pipe_extract_isalnum(int c)
{
    return pipe_extract_isalpha(c) || (c >= '0' && c <= '9');
}
static inline int pipe_extract_isspace(int c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}
void pipe_extract_index(run *r, xmlNodePtr root);
void pipe_extract_sum_up(run *r);
void pipe_extract_score(run *r);
int pipe_extract_pick_top(run *r);
int pipe_extract_sibling_base(const run *r, int top);
int pipe_extract_sibling_joins(const run *r, int j, double threshold);
int pipe_extract_twins(const run *r, int top, int *out, int max);
void pipe_extract_other_posts(run *r, int top);
double pipe_extract_link_density(const nstat *s);

/* extract_emit.c */
void pipe_extract_emit(run *r, int i, int depth);
void pipe_extract_flush(run *r);

/* extract_scan.c: extract.scanner, and the Scanner metatable */
int pipe_extract_scanner(lua_State *L);
void pipe_extract_scanner_mt(lua_State *L);

#endif
