/*
 * Native CSS matching for the html plugin (internal): the common subset of
 * selectors (types, `*`, classes, ids, attribute tests, the four
 * combinators, lists) matched on libxml2 trees without XPath.  css.c
 * builds a pipe_cssm alongside the XPath of a selector that lies entirely
 * in the subset; html.c (doc:select/first/remove) and select.c (the
 * `pipe select` command) walk with it instead of evaluating the XPath.
 * The results equal the XPath's, node for node (tests/e2e/css_native.sh).
 *
 * Ownership rule: a pipe_cssm is malloc'd by css.c and freed with
 * pipe_cssm_free; a pipe_cssm_walk's stack belongs to the caller (keep it
 * in a pipe_box with pipe_cssm_stack_free as its release, so a raising
 * callback cannot leak it).  Neither keeps a pointer into the tree.
 */
#ifndef PIPE_CSSMATCH_H
#define PIPE_CSSMATCH_H

#include <stddef.h>
#include <stdint.h>

#include <libxml/tree.h>

/* Attribute tests, each exactly as css.c's XPath for it behaves. */
enum {
    PIPE_CSSM_HAS,    /* [a]     @a */
    PIPE_CSSM_EQ,     /* [a=v]   @a = 'v' */
    PIPE_CSSM_WORD,   /* [a~=v] .v: v a whitespace-separated token */
    PIPE_CSSM_PREFIX, /* [a^=v]  starts-with */
    PIPE_CSSM_SUFFIX, /* [a$=v]  substring(@a, string-length(@a) - k) */
    PIPE_CSSM_SUBSTR, /* [a*=v]  contains */
    PIPE_CSSM_DASH,   /* [a|=v]  @a = 'v' or starts-with(@a, 'v-') */
    PIPE_CSSM_FALSE   /* an empty value where XPath says false() */
};

typedef struct pipe_cssm_test {
    int op;       /* PIPE_CSSM_* */
    int icase;    /* ` i`: the attribute ASCII-lowercased (v already is);
                   * an absent attribute never matches (css.c's XPath
                   * tests @a first) */
    char *name;   /* attribute name, lowercased */
    char *value;  /* NUL-terminated */
    size_t vlen;
    long vchars;  /* characters of value (SUFFIX) */
} pipe_cssm_test;

typedef struct pipe_cssm_compound {
    char *tag;    /* lowercased type; NULL for `*` or none */
    int ntests;
    pipe_cssm_test *tests;
} pipe_cssm_compound;

/* At most 64 compounds in a whole list: one bit each in the walk's
 * state. */
#define PIPE_CSSM_MAX 64

typedef struct pipe_cssm {
    int n;                                 /* compounds, list order */
    pipe_cssm_compound c[PIPE_CSSM_MAX];
    /* bit k: compound k ...  */
    uint64_t first;  /* starts a complex selector */
    uint64_t last;   /* ends one (its subject) */
    uint64_t desc;   /* follows a descendant combinator */
    uint64_t child;  /* follows `>` */
    uint64_t adj;    /* follows `+` */
    uint64_t sib;    /* follows `~` */
} pipe_cssm;

void pipe_cssm_free(pipe_cssm *m);

/* The walk's stack, grown as deep as the tree is (never recursion). */
typedef struct pipe_cssm_stack pipe_cssm_stack;
pipe_cssm_stack *pipe_cssm_stack_new(void);
void pipe_cssm_stack_free(void *stack);

/* Called for each match in document order; return nonzero to stop. */
typedef int (*pipe_cssm_fn)(void *ud, xmlNodePtr match);

/*
 * Walk the elements strictly below `ctx` (an element, or the document
 * node) in document order and call `fn` for each one that matches `m`,
 * as `descendant::...` from `ctx` would select them: every compound left
 * of the subject is matched by an element inside `ctx`'s subtree, never
 * by `ctx` itself or above it.  With `skip_template`, nothing inside a
 * <template> element is matched (nor anything at all when `ctx` is in
 * one).  Returns 0, 1 when `fn` stopped the walk, or -1 when memory ran
 * out.
 */
int pipe_cssm_walk(const pipe_cssm *m, xmlNodePtr ctx, int skip_template,
                   pipe_cssm_stack *st, pipe_cssm_fn fn, void *ud);

/*
 * A per-document index for matching without a walk: the elements in
 * document order, each one's subtree as a range of that order, and the
 * elements by tag name, class word and id.  A query takes the candidates
 * of each selector's subject compound from the index (the smallest of its
 * id, class and tag lists) and checks each one from right to left against
 * the tree itself, so the index only has to hold a superset of the
 * matches in document order.  That stays true while the tree only loses
 * nodes (a removal unlinks a subtree and moves nothing; an unwrap puts an
 * element's children in its place, so the others keep their order and
 * every range still holds its subtree): the query then skips candidates
 * no longer in the document.  Any other edit (new nodes, renames,
 * attributes, moves, an unwrapped <template>) makes it stale: the caller
 * frees it.
 *
 * The index writes each element's position into its `_private` field and
 * points into the tree (names, attribute values): it is valid while the
 * tree is.  Its memory is the caller's (pipe_cssm_index_free).
 */
typedef struct pipe_cssm_index pipe_cssm_index;

/* The index of the elements of doc (pipe_mem_* memory), or NULL when
 * memory ran out; with skip_template, without the content of <template>
 * elements (it then answers walks with skip_template only). */
pipe_cssm_index *pipe_cssm_index_build(xmlDocPtr doc, int skip_template);
void pipe_cssm_index_free(pipe_cssm_index *ix);

/*
 * pipe_cssm_walk(m, ctx, skip_template, ...) through the index: the same
 * matches, in the same order, for fn.  `detached`: nodes may have been removed since
 * the index was built.  Returns as pipe_cssm_walk does, or -2 when the
 * index cannot answer (a subject compound with no tag, class or id; ctx
 * not in the index; another skip_template; more checking than a walk
 * would cost): the caller
 * walks instead, and fn may already have seen a prefix of the matches
 * (the walk yields them again, first).  Allocates nothing, so a raising
 * fn leaks nothing.
 */
int pipe_cssm_query(const pipe_cssm *m, const pipe_cssm_index *ix,
                    xmlNodePtr ctx, int skip_template, int detached,
                    pipe_cssm_fn fn, void *ud);

/* The index's elements named `tag` (without a namespace), in document
 * order, to fn until it returns nonzero; with `detached` (nodes may have
 * been removed since the index was built) the removed ones are skipped.
 * Returns 1 when fn stopped, else 0.  Allocates nothing. */
int pipe_cssm_index_each(const pipe_cssm_index *ix, const char *tag,
                         int detached, pipe_cssm_fn fn, void *ud);

#endif
