/*
 * Page-to-text rendering for the html plugin (internal).
 *
 * One engine serves node:text() (PIPE_RENDER_TEXT) and `pipe strip` /
 * html.strip (PIPE_RENDER_STRIP); see strip.c for the rules.
 *
 * Ownership rule: the engine writes through a sink and keeps nothing; the
 * sink must not raise when links are on (the engine then holds a malloc'd
 * reference table during the walk).
 */
#ifndef PIPE_STRIP_H
#define PIPE_STRIP_H

#include <stddef.h>

#include <libxml/tree.h>

enum { PIPE_RENDER_TEXT = 0, PIPE_RENDER_STRIP = 1 };
/* flags */
enum { PIPE_RENDER_LINKS = 1, PIPE_RENDER_NBSP = 2 };

typedef void (*pipe_sink_fn)(void *ud, const char *s, size_t n);

/* Render the subtree at `node` (an element, a text node or a document).
 * `block_sep` separates block elements.  Flags: PIPE_RENDER_LINKS (strip
 * mode only) marks links "[N]" and appends "[N] url" lines, the urls
 * resolved against `base` when it is not NULL; PIPE_RENDER_NBSP keeps
 * no-break spaces instead of reading them as spaces.  Returns -1 on
 * out-of-memory (links table), 0 otherwise. */
int pipe_render(xmlNodePtr node, int mode, const char *block_sep, int flags,
                const char *base, pipe_sink_fn sink, void *ud);

/* Where each of several elements' texts lies in the text of a whole
 * tree: node:text() of each, from one walk (html.texts). */
enum { PIPE_SPAN_UNSEEN = 0, PIPE_SPAN_OPEN = 1, PIPE_SPAN_DONE = 2 };
typedef struct pipe_span {
    xmlNodePtr node;   /* the element (set by the caller) */
    size_t index;      /* the caller's own (kept) */
    size_t start, end; /* DONE: its text is the output's [start, end) */
    int state;         /* UNSEEN: not rendered as it would be alone (not
                        * under root, in skipped content, inside <pre>):
                        * render it alone */
} pipe_span;

/* Render `root` in text mode ("\n\n" between blocks, flags as for
 * pipe_render) into sink, and find the span of each of spans[0..n) (a
 * target's text alone is exactly its span of this output: what a walk
 * writes between a target's first content and its end does not depend on
 * what came before, in text mode, outside <pre>).  `waiting` has room
 * for n indices, `slots` for pipe_span_slots(n) (the spans' table by
 * node).  A node listed twice has one span; the others stay UNSEEN. */
void pipe_render_spans(xmlNodePtr root, int flags, pipe_span *spans,
                       size_t n, size_t *waiting, size_t *slots,
                       pipe_sink_fn sink, void *ud);

/* The size of pipe_render_spans' table for n spans (a power of two, at
 * least 2n). */
size_t pipe_span_slots(size_t n);

/* Strip-mode text of `node` (malloc'd, *len set), flags and base as for
 * pipe_render; NULL on out-of-memory. */
char *pipe_strip_alloc(xmlNodePtr node, int flags, const char *base,
                       size_t *len);

/* What links of `doc` resolve against: <base href> (resolved against the
 * page), else the page URL: `given` (--url), else <link rel=canonical>,
 * else og:url, when absolute (a relative one resolved against an absolute
 * <base>).  malloc'd, or NULL when there is none. */
char *pipe_link_base(xmlDocPtr doc, const char *given);

/* Is `name` an element whose content never appears in text (script,
 * style, head, ...)? */
int pipe_render_skipped(const char *name);

/* Is `name` a block element (text boundary)? */
int pipe_render_block(const char *name);

/* The `strip` command (registered by html.c). */
#include "pipe/plugin.h"
extern const char pipe_strip_help[];
int pipe_strip_main(pipe_host *host, int argc, char **argv);

#endif
