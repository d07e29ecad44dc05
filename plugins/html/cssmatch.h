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

#endif
