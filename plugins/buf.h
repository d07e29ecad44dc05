/*
 * A growable byte buffer for the html plugin's C code (internal): the CSS
 * compiler builds XPath in one, text rendering writes pages into one.
 *
 * Ownership rule: the buffer owns `p` (malloc'd, NUL-terminated once
 * anything was added, NULL before); free it with free(), or hand it over
 * with pipe_buf_take().  A zero-initialised pipe_buf is empty and ready.
 * Out-of-memory never raises: it sets `oom`, later appends do nothing, and
 * the caller checks `oom` once at the end.
 */
#ifndef PIPE_BUF_H
#define PIPE_BUF_H

#include <stddef.h>

typedef struct pipe_buf {
    char *p;
    size_t len, cap;
    int oom;
} pipe_buf;

/* Append n bytes of s, doubling the capacity as needed. */
void pipe_buf_add(pipe_buf *b, const char *s, size_t n);

/* pipe_buf_add as a pipe_sink_fn (strip.h): `ud` is the pipe_buf. */
void pipe_buf_sink(void *ud, const char *s, size_t n);

/* The contents as a malloc'd NUL-terminated string (an empty buffer gives
 * ""), its length in *len; the buffer is left empty.  NULL (and the
 * buffer freed) when `oom` is set or the empty string cannot be made. */
char *pipe_buf_take(pipe_buf *b, size_t *len);

#endif
