/*
 * Helpers the host offers every plugin: UTF-8 decoding and repair, a "box"
 * that holds C-heap memory while Lua may raise, and a growable byte
 * buffer.  They live in the host (core/util.c) so that no plugin reaches
 * into another one for them.
 *
 * Ownership rule: nothing here keeps a pointer it is given.  A pipe_buf
 * owns its bytes (malloc'd: free() them, or take them with
 * pipe_buf_take); a pipe_box owns what its `p` points to from the moment
 * it is stored there, and releases it exactly once (pipe_box_done, the
 * collector or a to-be-closed variable, whichever comes first).
 */
#ifndef PIPE_UTIL_H
#define PIPE_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <lauxlib.h>
#include <lua.h>

/*
 * UTF-8
 */

#define PIPE_UTF8_REPLACEMENT "\xEF\xBF\xBD" /* U+FFFD */

/* Decode the UTF-8 sequence at `s` (`n` > 0 bytes available).  Returns the
 * code point and sets *adv to the sequence length; on an invalid, overlong,
 * surrogate or truncated sequence returns -1 and sets *adv to the length of
 * the maximal invalid subpart (at least 1), as the Unicode standard's
 * "substitution of maximal subparts" asks.  Inline: it sits in every
 * text-scanning loop. */
static inline long pipe_utf8_decode(const char *str, size_t n, size_t *adv)
{
    const unsigned char *s = (const unsigned char *)str;
    unsigned char b0 = s[0], lo = 0x80, hi = 0xBF;
    *adv = 1;
    if (b0 < 0x80)
        return b0;
    if (b0 < 0xC2 || b0 > 0xF4)
        return -1;
    if (b0 < 0xE0) {
        if (n < 2 || (s[1] & 0xC0) != 0x80)
            return -1;
        *adv = 2;
        return ((long)(b0 & 0x1F) << 6) | (s[1] & 0x3F);
    }
    /* the second byte's range depends on the first: no overlongs, no
     * surrogates, nothing beyond U+10FFFF */
    if (b0 == 0xE0)
        lo = 0xA0;
    else if (b0 == 0xED)
        hi = 0x9F;
    else if (b0 == 0xF0)
        lo = 0x90;
    else if (b0 == 0xF4)
        hi = 0x8F;
    if (n < 2 || s[1] < lo || s[1] > hi)
        return -1;
    if (n < 3 || (s[2] & 0xC0) != 0x80) {
        *adv = 2;
        return -1;
    }
    if (b0 < 0xF0) {
        *adv = 3;
        return ((long)(b0 & 0x0F) << 12) | ((long)(s[1] & 0x3F) << 6) |
               (s[2] & 0x3F);
    }
    if (n < 4 || (s[3] & 0xC0) != 0x80) {
        *adv = 3;
        return -1;
    }
    *adv = 4;
    return ((long)(b0 & 0x07) << 18) | ((long)(s[1] & 0x3F) << 12) |
           ((long)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
}

/* Length of the longest valid UTF-8 prefix of s[0..n) (n when valid). */
size_t pipe_utf8_valid(const char *s, size_t n);

/* Append s[0..n) to `b`, each maximal invalid subpart replaced by U+FFFD. */
void pipe_utf8_fix(luaL_Buffer *b, const char *s, size_t n);

/* Append the UTF-8 encoding of code point `cp` (< 0x110000) to `b`. */
void pipe_utf8_add(luaL_Buffer *b, unsigned long cp);

/*
 * Hashing
 */

#define PIPE_HASH_SEED 2166136261u

/* FNV-1a of len bytes at k, from h (PIPE_HASH_SEED, or a seed of the
 * caller's mixed into it): for the small hash tables of page-sized
 * indexes. */
static inline uint32_t pipe_hash_bytes(uint32_t h, const char *k, size_t len)
{
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)k[i]) * 16777619u;
    return h;
}

/*
 * Type checks by address
 */

/* The userdata at idx when its metatable is the one stored at
 * registry[key] (lua_rawsetp with a static variable's address), else
 * NULL.  luaL_testudata's lookup by name interns the name and compares
 * strings on every call; a plugin whose methods check their arguments
 * many times a page keeps its metatables under an address as well. */
static inline void *pipe_test_udata(lua_State *L, int idx, const void *key)
{
    void *p = lua_touserdata(L, idx);
    if (p == NULL || !lua_getmetatable(L, idx))
        return NULL;
    lua_rawgetp(L, LUA_REGISTRYINDEX, key);
    int same = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
    return same ? p : NULL;
}

/*
 * Boxes: a C-heap result held by a userdata, so that an error raised
 * before the result is handed to Lua (any push can raise when memory runs
 * out) cannot leak it.  Create the box first, then store the pointer:
 *
 *     pipe_box *b = pipe_box_new(L, free);
 *     b->p = make_text(...);
 *     if (!b->p) return luaL_error(L, "out of memory");
 *     lua_pushstring(L, b->p);
 *     pipe_box_done(b);
 *
 * The box stays on the stack until the function returns; its __gc and
 * __close release whatever `p` still holds.
 */
typedef struct pipe_box {
    void *p;                    /* what release frees; NULL: nothing */
    void (*release)(void *p);
} pipe_box;

/* Push a new, empty box (p NULL) whose contents `release` frees.  Raises
 * only on out-of-memory, before anything was put in it. */
pipe_box *pipe_box_new(lua_State *L, void (*release)(void *p));

/* Release the contents now (when p is not NULL) and empty the box. */
void pipe_box_done(pipe_box *b);

/*
 * Growable byte buffer.  A zero-initialised pipe_buf is empty and ready.
 * Out-of-memory never raises: it sets `oom`, later appends do nothing,
 * and the caller checks once at the end (or the return value of each
 * append).
 */
typedef struct pipe_buf {
    char *p;                    /* malloc'd; NUL-terminated once anything
                                   was added; NULL before */
    size_t len, cap;
    int oom;
} pipe_buf;

/* Append n bytes of s.  Returns 0, or -1 (and sets oom) when memory ran
 * out now or before. */
int pipe_buf_add(pipe_buf *b, const void *s, size_t n);

/* The contents as a malloc'd NUL-terminated string (an empty buffer gives
 * ""), its length in *len (may be NULL); the buffer is left empty.  NULL
 * (and the buffer freed) when `oom` is set or memory runs out. */
char *pipe_buf_take(pipe_buf *b, size_t *len);

/* Free the contents and leave the buffer empty and ready again. */
void pipe_buf_free(pipe_buf *b);

/*
 * Derived data kept across runs
 *
 * Data that is costly to build and depends only on what its key names
 * (tables made from ICU's locale data, say) can be kept in pipe's per-user
 * cache directory (PIPE_CACHE_DIR, see pipe(1); PIPE_CACHE_DIR=off turns
 * it off).  pipe_cache_get returns a malloc'd copy of the bytes last
 * stored under exactly `key` (`kn` bytes, any bytes; the copy has a NUL
 * after its *len bytes), or NULL: none, damaged, written by another build
 * of pipe, or no cache.  pipe_cache_put stores them, whole or not at all
 * (concurrent runs never read half an entry), and says nothing when it
 * cannot.  The key must name everything else the data depends on: the
 * libraries' versions, the format of the data, an outside plugin's own
 * version (pipe adds the identity of its executable itself).  The data
 * comes from a file: check it as input, never trust it as code.
 */
char *pipe_cache_get(const char *key, size_t kn, size_t *len);
void pipe_cache_put(const char *key, size_t kn, const void *data, size_t len);

#endif
