/*
 * The memory budget of one process (`--max-memory`): Lua's allocator,
 * libxml2's (through xmlMemSetup, installed by the html plugin), jansson's
 * and the host's input buffers all charge one counter, so a 200 MB page
 * fails cleanly at the limit instead of taking gigabytes.  Every worker is
 * its own process, so "per process" is "per worker".
 *
 * Caveats: this is the one piece of mutable C state that is global on
 * purpose: the limit is a property of the process, and libxml2's and
 * jansson's allocator hooks are process-wide anyway.  pipe runs no threads.
 * Sizes are malloc_usable_size() for the hooks that do not pass a size to
 * free (libxml2, jansson); Lua passes exact sizes (pipe_lua_alloc, below).
 * What other libraries allocate (PCRE2, iconv) is not counted; the
 * worker's RLIMIT_DATA (pool.c) is the backstop for those.
 */
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core.h"

static size_t mem_used, mem_limit;
static int mem_refused;
/* while a parse runs (pipe_mem_grace_begin .. _end): how far past the
 * limit libxml2's requests are still granted (see over()) */
static size_t mem_grace;

void pipe_mem_set_limit(size_t limit)
{
    mem_limit = limit;
}

size_t pipe_mem_limit(void)
{
    return mem_limit;
}

size_t pipe_mem_used(void)
{
    return mem_used;
}

int pipe_mem_refused(void)
{
    return mem_refused;
}

void pipe_mem_note_refused(void)
{
    mem_refused = 1;
}

void pipe_mem_clear_refused(void)
{
    mem_refused = 0;
}

/* (inline for Lua's allocator, below, which calls them on every block) */
static inline int charge(size_t more)
{
    if (mem_limit && (more > mem_limit || mem_used > mem_limit - more)) {
        mem_refused = 1;
        return -1;
    }
    mem_used += more;
    return 0;
}

static inline void release(size_t less)
{
    mem_used = less > mem_used ? 0 : mem_used - less;
}

int pipe_mem_charge(size_t more)
{
    return charge(more);
}

void pipe_mem_release(size_t less)
{
    release(less);
}

/* The hooks are on libxml2's hot path (every node, every string):
 * one comparison before, one addition after.  In a parse's grace window
 * a request past the limit is granted up to mem_grace further and only
 * noted (mem_refused, which pipe_mem_over reports to the parse). */
static int over(size_t more)
{
    if (mem_limit && (more > mem_limit || mem_used > mem_limit - more)) {
        mem_refused = 1;
        size_t cap = mem_limit + mem_grace;
        return more > cap || mem_used > cap - more;
    }
    return 0;
}

void pipe_mem_grace_begin(void)
{
    mem_grace = mem_limit / 8;
}

void pipe_mem_grace_end(void)
{
    mem_grace = 0;
}

int pipe_mem_over(void)
{
    return mem_refused;
}

/* ------------------------------------------------------------------ */
/* Per-document arenas                                                 */

/*
 * While an arena is current (pipe_arena_begin .. pipe_arena_end: the
 * html plugin makes one current while libxml2 parses a page), small
 * blocks come from the arena's 64 KiB chunks by bumping a pointer, and
 * freeing one is a no-op: the whole tree goes in one pipe_arena_free, so
 * an unedited tree needs no xmlFreeDoc walk at all.  Blocks over
 * ARENA_SMALL (the input buffer, a huge text node) stay ordinary heap
 * blocks but are listed on the arena, which frees what is left of them.
 *
 * - A block is known to be arena memory by its chunk: chunks are
 *   CHUNK-aligned and registered in an open-addressed set keyed by
 *   address / CHUNK, so pipe_mem_free and pipe_mem_realloc work on any
 *   block whether or not an arena is current, and a realloc of an arena
 *   block outside the window copies it to the heap (an 8-byte header
 *   holds its size).
 * - Budget: a chunk is charged when an arena takes it and released when
 *   the arena is freed; up to CACHE_MAX free chunks are kept (uncharged)
 *   for the next page, the rest go back to malloc.
 * - AddressSanitizer: the free parts of chunks and every block freed
 *   inside an arena are poisoned, so a use after free inside the tree,
 *   or of any block after its arena is gone, is still reported.
 *   Valgrind sees chunks only; PIPE_ARENA=0 turns arenas off (every block
 *   from malloc) for a per-block valgrind run.
 */
#if defined(__SANITIZE_ADDRESS__)
#define PIPE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PIPE_ASAN 1
#endif
#endif
#ifdef PIPE_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define CHUNK_SHIFT 16
#define CHUNK ((size_t)1 << CHUNK_SHIFT)
#define CHUNK_HEAD 16                /* link to the arena's next chunk */
#define ARENA_SMALL 4096             /* larger blocks come from the heap */
#define CACHE_MAX 64                 /* free chunks kept: 4 MiB */

struct pipe_arena {
    char *top, *end;       /* bump region of the newest chunk */
    char *chunks;          /* newest chunk; each links to the one before */
    void **big;            /* its heap blocks still alive */
    size_t nbig, capbig;
    pipe_arena *prev;      /* the arena current before this one */
};

static pipe_arena *arena_cur;
static int arena_off = -1;            /* PIPE_ARENA=0: -1 not read yet */
static size_t big_total;              /* listed heap blocks, all arenas */
static pipe_arena **arena_live;       /* arenas with listed heap blocks */
static size_t nlive, caplive;

/* The set of chunk addresses (key = address >> CHUNK_SHIFT; 0 empty,
 * 1 deleted). */
static uintptr_t *cset;
static size_t cset_cap, cset_used, cset_n;
static char *chunk_cache[CACHE_MAX];
static size_t ncache;

static size_t cset_slot(uintptr_t key)
{
    return (size_t)((key * 0x9E3779B97F4A7C15u) >> 7) & (cset_cap - 1);
}

static int cset_has(uintptr_t key)
{
    for (size_t i = cset_slot(key);; i = (i + 1) & (cset_cap - 1)) {
        if (cset[i] == key)
            return 1;
        if (cset[i] == 0)
            return 0;
    }
}

static int cset_add(uintptr_t key);

static int cset_grow(void)
{
    size_t ncap = cset_cap ? cset_cap * 2 : 256;
    while (cset_n * 4 >= ncap)
        ncap *= 2;
    uintptr_t *old = cset;
    size_t oldcap = cset_cap;
    uintptr_t *nset = calloc(ncap, sizeof *nset);
    if (nset == NULL)
        return -1;
    cset = nset;
    cset_cap = ncap;
    cset_used = cset_n = 0;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i] > 1)
            cset_add(old[i]);
    free(old);
    return 0;
}

static int cset_add(uintptr_t key)
{
    if ((cset_used + 1) * 2 > cset_cap && cset_grow() != 0)
        return -1;
    size_t i = cset_slot(key);
    while (cset[i] > 1)
        i = (i + 1) & (cset_cap - 1);
    if (cset[i] == 0)
        cset_used++;
    cset[i] = key;
    cset_n++;
    return 0;
}

static void cset_del(uintptr_t key)
{
    for (size_t i = cset_slot(key);; i = (i + 1) & (cset_cap - 1)) {
        if (cset[i] == key) {
            cset[i] = 1;
            cset_n--;
            return;
        }
        if (cset[i] == 0)
            return;
    }
}

static int in_arena(const void *p)
{
    return cset_n != 0 && cset_has((uintptr_t)p >> CHUNK_SHIFT);
}

/*
 * Chunks come from the system in slabs of SLAB_CHUNKS, mapped CHUNK-
 * aligned (aligned_alloc wasted up to a chunk for every chunk: the
 * process's data grew by twice what the budget counted, past the
 * worker's RLIMIT_DATA backstop), and a chunk the cache cannot keep is
 * unmapped on its own.  fresh[] holds a slab's chunks not handed out yet
 * (uncharged, like the cache).
 */
#define SLAB_CHUNKS 16
static char *fresh[SLAB_CHUNKS];
static size_t nfresh;

static char *chunk_map(void)
{
    if (nfresh == 0) {
        size_t len = SLAB_CHUNKS * CHUNK + CHUNK;
        char *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED)
            return NULL;
        char *base = (char *)(((uintptr_t)m + CHUNK - 1) &
                              ~(uintptr_t)(CHUNK - 1));
        char *slab_end = base + SLAB_CHUNKS * CHUNK;
        if (base > m)
            munmap(m, (size_t)(base - m));
        if (m + len > slab_end)
            munmap(slab_end, (size_t)(m + len - slab_end));
        for (size_t i = SLAB_CHUNKS; i > 0; i--)
            fresh[nfresh++] = base + (i - 1) * CHUNK;
    }
    return fresh[--nfresh];
}

/* A chunk for arena a, charged; NULL past the limit. */
static char *chunk_take(void)
{
    if (over(CHUNK))
        return NULL;
    char *c;
    if (ncache > 0) {
        c = chunk_cache[--ncache];
    } else {
        c = chunk_map();
        if (c == NULL) {
            mem_refused = 1;
            return NULL;
        }
        if (cset_add((uintptr_t)c >> CHUNK_SHIFT) != 0) {
            fresh[nfresh++] = c;
            mem_refused = 1;
            return NULL;
        }
        POISON(c, CHUNK);
    }
    mem_used += CHUNK;
    return c;
}

static void chunk_give(char *c)
{
    pipe_mem_release(CHUNK);
    POISON(c, CHUNK);
    if (ncache < CACHE_MAX) {
        chunk_cache[ncache++] = c;
        return;
    }
    cset_del((uintptr_t)c >> CHUNK_SHIFT);
    UNPOISON(c, CHUNK);
    munmap(c, CHUNK);
}

static size_t round8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

/* A block of n <= ARENA_SMALL bytes from arena a, 8-aligned, its size in
 * the 8 bytes before it. */
static void *arena_alloc(pipe_arena *a, size_t n)
{
    size_t need = 8 + round8(n ? n : 1);
    if ((size_t)(a->end - a->top) < need) {
        char *c = chunk_take();
        if (c == NULL)
            return NULL;
        UNPOISON(c, CHUNK_HEAD);
        memcpy(c, &a->chunks, sizeof a->chunks);
        a->chunks = c;
        a->top = c + CHUNK_HEAD;
        a->end = c + CHUNK;
    }
    char *h = a->top;
    a->top += need;
    UNPOISON(h, need);
    memcpy(h, &n, sizeof n);
    return h + 8;
}

static size_t arena_size(const void *p)
{
    size_t n;
    memcpy(&n, (const char *)p - 8, sizeof n);
    return n;
}

static int big_add(pipe_arena *a, void *p)
{
    if (a->nbig == a->capbig) {
        size_t ncap = a->capbig ? a->capbig * 2 : 16;
        void **nb = realloc(a->big, ncap * sizeof *nb);
        if (nb == NULL)
            return -1;
        a->big = nb;
        a->capbig = ncap;
    }
    if (a->nbig == 0) {
        if (nlive == caplive) {
            size_t ncap = caplive ? caplive * 2 : 8;
            pipe_arena **nl = realloc(arena_live, ncap * sizeof *nl);
            if (nl == NULL)
                return -1;
            arena_live = nl;
            caplive = ncap;
        }
        arena_live[nlive++] = a;
    }
    a->big[a->nbig++] = p;
    big_total++;
    return 0;
}

static void live_drop(pipe_arena *a)
{
    for (size_t i = 0; i < nlive; i++)
        if (arena_live[i] == a) {
            arena_live[i] = arena_live[--nlive];
            return;
        }
}

/* Takes the listed heap block p off its arena's list: that arena, or NULL
 * when p is not listed.  Newest first: a growing buffer is usually the
 * last block listed. */
static pipe_arena *big_take(const void *p)
{
    for (size_t i = nlive; i-- > 0;) {
        pipe_arena *a = arena_live[i];
        for (size_t j = a->nbig; j-- > 0;)
            if (a->big[j] == p) {
                a->big[j] = a->big[--a->nbig];
                big_total--;
                if (a->nbig == 0)
                    live_drop(a);
                return a;
            }
    }
    return NULL;
}

static int arena_enabled(void)
{
    if (arena_off < 0) {
        const char *e = getenv("PIPE_ARENA");
        arena_off = e != NULL && strcmp(e, "0") == 0;
    }
    return !arena_off;
}

pipe_arena *pipe_arena_begin(void)
{
    if (!arena_enabled())
        return NULL;
    pipe_arena *a = calloc(1, sizeof *a);
    if (a == NULL)
        return NULL; /* parse on the heap instead */
    a->prev = arena_cur;
    arena_cur = a;
    return a;
}

void pipe_arena_end(pipe_arena *a)
{
    if (a != NULL && arena_cur == a)
        arena_cur = a->prev;
}

void pipe_arena_free(pipe_arena *a)
{
    if (a == NULL)
        return;
    pipe_arena_end(a);
    for (size_t i = 0; i < a->nbig; i++) {
        pipe_mem_release(malloc_usable_size(a->big[i]));
        free(a->big[i]);
    }
    if (a->nbig > 0) {
        big_total -= a->nbig;
        live_drop(a);
    }
    free(a->big);
    char *c = a->chunks;
    while (c != NULL) {
        char *next;
        memcpy(&next, c, sizeof next);
        chunk_give(c);
        c = next;
    }
    free(a);
}

void *pipe_mem_malloc(size_t n)
{
    if (arena_cur != NULL && n <= ARENA_SMALL)
        return arena_alloc(arena_cur, n);
    if (over(n))
        return NULL;
    void *p = malloc(n);
    if (!p) {
        mem_refused = 1;
        return NULL;
    }
    mem_used += malloc_usable_size(p);
    if (arena_cur != NULL && big_add(arena_cur, p) != 0) {
        pipe_mem_release(malloc_usable_size(p));
        free(p);
        mem_refused = 1;
        return NULL;
    }
    return p;
}

void pipe_mem_free(void *p)
{
    if (!p)
        return;
    if (in_arena(p)) {
        POISON(p, arena_size(p)); /* freed with its arena */
        return;
    }
    size_t u = malloc_usable_size(p);
    if (big_total != 0 && u > ARENA_SMALL)
        big_take(p);
    pipe_mem_release(u);
    free(p);
}

void *pipe_mem_realloc(void *p, size_t n)
{
    if (!p)
        return pipe_mem_malloc(n);
    if (in_arena(p)) {
        size_t old = arena_size(p);
        if (n <= old)
            return p;
        pipe_arena *a = arena_cur;
        if (a != NULL && n <= ARENA_SMALL &&
            (char *)p + round8(old) == a->top &&
            (size_t)(a->end - (char *)p) >= round8(n)) {
            /* the newest block grows in place */
            a->top = (char *)p + round8(n);
            UNPOISON(p, round8(n));
            memcpy((char *)p - 8, &n, sizeof n);
            return p;
        }
        void *np = pipe_mem_malloc(n);
        if (np == NULL)
            return NULL;
        memcpy(np, p, old);
        POISON(p, old);
        return np;
    }
    size_t old = malloc_usable_size(p);
    if (n <= old && old > ARENA_SMALL && n <= ARENA_SMALL)
        return p; /* a listed block stays over ARENA_SMALL (pipe_mem_free) */
    if (n > old && over(n - old))
        return NULL;
    /* a listed block is listed again under its new address (the slots
     * it leaves are there for it) */
    pipe_arena *owner = big_total != 0 && old > ARENA_SMALL ? big_take(p)
                                                            : NULL;
    void *np = realloc(p, n);
    if (!np) {
        if (owner != NULL)
            big_add(owner, p);
        mem_refused = 1;
        return NULL;
    }
    pipe_mem_release(old);
    mem_used += malloc_usable_size(np);
    if (owner != NULL)
        big_add(owner, np);
    return np;
}

/* ------------------------------------------------------------------ */
/* Lua's allocator                                                     */

/*
 * Every Lua state allocates through pipe_lua_alloc (state.c passes it to
 * lua_newstate): capped per state (heap->limit: the tests make several
 * states in one process) and charged to the process's budget, both with
 * the exact sizes Lua passes, as plain malloc-backed blocks were.
 *
 * A page's garbage is mostly small blocks (tables, strings, closures of
 * 16 to 512 bytes) that the collector frees in bulk and the next page asks
 * for again, so freed small blocks are kept on a list per size class and
 * handed out again without malloc (glibc's malloc, realloc and free were
 * ~2% of a seed page's instructions; bench/README.md, host-speed5):
 * - a class is 16 bytes wide; a block of class c is always malloc'd with
 *   c * 16 bytes whatever Lua asked for, so a kept block of the class
 *   fits any request of it, and a resize within the class keeps the
 *   block;
 * - a class keeps at most LHEAP_KEEP bytes (64 KiB; 2 MiB over all 32
 *   classes): what is freed past that goes back to free().  Kept blocks
 *   are not charged (the budget counts what Lua holds) and all go back in
 *   pipe_lua_heap_free, when the state closes;
 * - AddressSanitizer: a kept block is poisoned (a use after free is still
 *   reported); PIPE_ARENA=0 keeps none (every block from malloc, for a
 *   per-block valgrind run).
 */
#define LHEAP_STEP 16
#define LHEAP_MAX (LHEAP_STEP * PIPE_LHEAP_CLASSES)
#define LHEAP_KEEP ((size_t)64 << 10)

static size_t lheap_class(size_t n)
{
    return (n + LHEAP_STEP - 1) / LHEAP_STEP;
}

static void *lheap_get(pipe_lua_heap *h, size_t n)
{
    size_t c = lheap_class(n);
    void *p = h->head[c];
    if (p == NULL)
        return malloc(c * LHEAP_STEP);
    UNPOISON(p, c * LHEAP_STEP);
    memcpy(&h->head[c], p, sizeof p);
    h->kept[c]--;
    return p;
}

static void lheap_put(pipe_lua_heap *h, void *p, size_t n)
{
    size_t c = lheap_class(n);
    if (n > LHEAP_MAX || (h->kept[c] + 1) * c * LHEAP_STEP > LHEAP_KEEP ||
        !arena_enabled()) {
        free(p);
        return;
    }
    memcpy(p, &h->head[c], sizeof p);
    h->head[c] = p;
    h->kept[c]++;
    POISON(p, c * LHEAP_STEP);
}

void *pipe_lua_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    pipe_lua_heap *h = ud;
    if (ptr == NULL) {
        if (nsize == 0)
            return NULL;
        osize = 0; /* a type tag, not a size */
    }
    if (nsize == 0) {
        h->used -= osize;
        release(osize);
        lheap_put(h, ptr, osize);
        return NULL;
    }
    if (nsize > osize) {
        size_t more = nsize - osize;
        if (h->limit && h->used + more > h->limit) {
            mem_refused = 1;
            return NULL;
        }
        if (charge(more) != 0)
            return NULL;
    }
    void *np;
    if (ptr == NULL)
        np = nsize <= LHEAP_MAX ? lheap_get(h, nsize) : malloc(nsize);
    else if (nsize <= LHEAP_MAX && osize <= LHEAP_MAX &&
             lheap_class(nsize) == lheap_class(osize))
        np = ptr;
    else
        np = realloc(ptr, nsize <= LHEAP_MAX
                              ? lheap_class(nsize) * LHEAP_STEP : nsize);
    if (np == NULL) {
        if (nsize > osize)
            release(nsize - osize);
        return NULL;
    }
    if (nsize < osize)
        release(osize - nsize);
    h->used = h->used + nsize - osize;
    return np;
}

size_t pipe_lua_heap_kept(const pipe_lua_heap *h)
{
    size_t n = 0;
    for (size_t c = 1; c <= PIPE_LHEAP_CLASSES; c++)
        n += h->kept[c] * c * LHEAP_STEP;
    return n;
}

void pipe_lua_heap_free(pipe_lua_heap *h)
{
    for (size_t c = 1; c <= PIPE_LHEAP_CLASSES; c++)
        while (h->head[c] != NULL) {
            void *p = h->head[c];
            UNPOISON(p, c * LHEAP_STEP);
            memcpy(&h->head[c], p, sizeof p);
            free(p);
        }
    memset(h->kept, 0, sizeof h->kept);
}

char *pipe_mem_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = pipe_mem_malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

void pipe_mem_format(size_t n, char *buf, size_t size)
{
    static const char *const units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    double v = (double)n;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    if (u == 0 || v == (double)(unsigned long long)v)
        snprintf(buf, size, "%llu %s", (unsigned long long)v, units[u]);
    else
        snprintf(buf, size, "%.1f %s", v, units[u]);
}
