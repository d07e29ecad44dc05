/*
 * The helpers of include/pipe/util.h: UTF-8 validation and repair, boxes,
 * growable buffers.  One copy for the host and every plugin.
 *
 * Caveats: a box's metatable is made on first use in each Lua state; it is
 * never handed to scripts (boxes live on the stack of one C function).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pipe/util.h"

#define BOX_MT "pipe.Box"

/*
 * UTF-8
 */

size_t pipe_utf8_valid(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if ((unsigned char)s[i] < 0x80) {
            i++;
            continue;
        }
        size_t adv;
        if (pipe_utf8_decode(s + i, n - i, &adv) < 0)
            return i;
        i += adv;
    }
    return n;
}

void pipe_utf8_fix(luaL_Buffer *b, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t ok = pipe_utf8_valid(s + i, n - i);
        luaL_addlstring(b, s + i, ok);
        i += ok;
        if (i < n) {
            size_t adv;
            pipe_utf8_decode(s + i, n - i, &adv);
            luaL_addstring(b, PIPE_UTF8_REPLACEMENT);
            i += adv;
        }
    }
}

void pipe_utf8_add(luaL_Buffer *b, unsigned long cp)
{
    char out[4];
    size_t n;
    if (cp < 0x80) {
        out[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        out[0] = (char)(0xF0 | (cp >> 18));
        out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    luaL_addlstring(b, out, n);
}

/*
 * Boxes
 */

void pipe_box_done(pipe_box *b)
{
    if (b->p != NULL && b->release != NULL)
        b->release(b->p);
    b->p = NULL;
}

/* __gc and __close: one idempotent release */
static int box_gc(lua_State *L)
{
    pipe_box_done(luaL_checkudata(L, 1, BOX_MT));
    return 0;
}

pipe_box *pipe_box_new(lua_State *L, void (*release)(void *p))
{
    /* safe empty state and metatable before anything is stored in it */
    pipe_box *b = lua_newuserdatauv(L, sizeof *b, 0);
    b->p = NULL;
    b->release = release;
    if (luaL_newmetatable(L, BOX_MT)) {
        lua_pushcfunction(L, box_gc);
        lua_setfield(L, -2, "__gc");
        lua_pushcfunction(L, box_gc);
        lua_setfield(L, -2, "__close");
    }
    lua_setmetatable(L, -2);
    return b;
}

/*
 * Growable buffers
 */

int pipe_buf_add(pipe_buf *b, const void *s, size_t n)
{
    /* the doubling below must not wrap around (gcc -O3 warns otherwise) */
    if (b->oom || n > SIZE_MAX / 4 - b->len) {
        b->oom = 1;
        return -1;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (p == NULL) {
            b->oom = 1;
            return -1;
        }
        b->p = p;
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
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
    if (len)
        *len = n;
    return p;
}

void pipe_buf_free(pipe_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}
