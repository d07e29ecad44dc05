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

typedef void (*pipe_sink_fn)(void *ud, const char *s, size_t n);

/* Render the subtree at `node` (an element, a text node or a document).
 * `block_sep` separates block elements; `links` (strip mode only) marks
 * links "[N]" and appends "[N] url" lines.  Returns -1 on out-of-memory
 * (links table), 0 otherwise. */
int pipe_render(xmlNodePtr node, int mode, const char *block_sep, int links,
                pipe_sink_fn sink, void *ud);

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
