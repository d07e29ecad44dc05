/*
 * A growable byte buffer for the html plugin's C code; see buf.h.
 */
#include "buf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void pipe_buf_add(pipe_buf *b, const char *s, size_t n)
{
    /* the doubling below must not wrap around (gcc -O3 warns otherwise) */
    if (b->oom || n > SIZE_MAX / 4 - b->len) {
        b->oom = 1;
        return;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (p == NULL) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void pipe_buf_sink(void *ud, const char *s, size_t n)
{
    pipe_buf_add(ud, s, n);
}

char *pipe_buf_take(pipe_buf *b, size_t *len)
{
    char *p = b->p;
    size_t n = b->len;
    int oom = b->oom;
    b->p = NULL;
    b->len = b->cap = 0;
    b->oom = 0;
    if (oom) {
        free(p);
        return NULL;
    }
    if (p == NULL) {
        p = malloc(1);
        if (p == NULL)
            return NULL;
        p[0] = '\0';
    }
    *len = n;
    return p;
}
