/*
 * The memory budget's arenas (core/mem.c): blocks bumped from chunks while
 * an arena is current, no-op frees, reallocation in place and out of the
 * arena, large blocks listed and dropped with the arena, the budget.
 * Under AddressSanitizer also that freed arena blocks are poisoned.
 * Lua's allocator (pipe_lua_alloc): exact charges, the per-state cap,
 * small blocks kept per size class and handed out again, resizes within
 * and across classes, what is kept bounded and freed with the heap.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "core.h"
#include "pipe/plugin.h"
#include "suites.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISONED(p) __asan_address_is_poisoned(p)
#else
#define POISONED(p) 1
#endif

#define CHUNK 65536

START_TEST(mem_arena_blocks)
{
    size_t u0 = pipe_mem_used();
    pipe_arena *a = pipe_arena_begin();
    ck_assert_ptr_nonnull(a);
    char *p1 = pipe_mem_malloc(10);
    ck_assert_ptr_nonnull(p1);
    ck_assert_uint_eq((uintptr_t)p1 % 8, 0);
    /* the first block takes a whole chunk from the budget */
    ck_assert_uint_eq(pipe_mem_used(), u0 + CHUNK);
    memcpy(p1, "abcdefghi", 10);
    char *p2 = pipe_mem_malloc(100);
    memset(p2, 'x', 100);
    /* the newest block grows in place */
    ck_assert_ptr_eq(pipe_mem_realloc(p2, 200), p2);
    memset(p2 + 100, 'y', 100);
    /* an older one moves, its bytes kept */
    char *p1b = pipe_mem_realloc(p1, 50);
    ck_assert_ptr_ne(p1b, p1);
    ck_assert_str_eq(p1b, "abcdefghi");
    ck_assert_int_eq(POISONED(p1), 1);
    /* freeing arena blocks changes nothing */
    pipe_mem_free(p1b);
    ck_assert_int_eq(POISONED(p1b), 1);
    ck_assert_uint_eq(pipe_mem_used(), u0 + CHUNK);
    /* large blocks are heap blocks: charged, freed at once when freed */
    char *big = pipe_mem_malloc(10000);
    char *big2 = pipe_mem_malloc(20000);
    ck_assert_uint_ge(pipe_mem_used(), u0 + CHUNK + 30000);
    pipe_mem_free(big2);
    ck_assert_uint_lt(pipe_mem_used(), u0 + CHUNK + 20000);
    big = pipe_mem_realloc(big, 40000); /* still listed after moving */
    memset(big, 'z', 40000);
    pipe_arena_end(a);

    /* out of the window: heap blocks again */
    size_t u1 = pipe_mem_used();
    char *q = pipe_mem_malloc(10);
    ck_assert_uint_lt(pipe_mem_used(), u1 + 100);
    /* an arena block reallocated out of the window moves to the heap */
    char *p2b = pipe_mem_realloc(p2, 300);
    ck_assert_ptr_ne(p2b, p2);
    ck_assert_int_eq(p2b[99], 'x');
    ck_assert_int_eq(p2b[199], 'y');
    pipe_mem_free(p2b);
    pipe_mem_free(q);
    /* the arena drops its chunk and the large block still listed */
    pipe_arena_free(a);
    ck_assert_uint_eq(pipe_mem_used(), u0);
    ck_assert_int_eq(POISONED(p2), 1);
}
END_TEST

START_TEST(mem_arena_nested)
{
    /* an arena begun inside another's window; each ends its own */
    pipe_arena *a = pipe_arena_begin();
    char *x = pipe_mem_malloc(16);
    pipe_arena *b = pipe_arena_begin();
    char *y = pipe_mem_malloc(16);
    pipe_arena_end(b);
    char *z = pipe_mem_malloc(16); /* from a again */
    ck_assert_ptr_eq(z, x + 24);
    pipe_arena_end(a);
    pipe_arena_free(b);
    memset(x, 1, 16);
    memset(z, 1, 16);
    pipe_arena_free(a);
    (void)y;
}
END_TEST

START_TEST(mem_arena_limit)
{
    size_t u0 = pipe_mem_used();
    pipe_mem_set_limit(u0 + 1000);
    pipe_mem_clear_refused();
    pipe_arena *a = pipe_arena_begin();
    /* no chunk fits the budget: small and large requests both refused */
    ck_assert_ptr_null(pipe_mem_malloc(10));
    ck_assert_int_eq(pipe_mem_refused(), 1);
    ck_assert_ptr_null(pipe_mem_malloc(5000));
    pipe_arena_free(a);
    ck_assert_uint_eq(pipe_mem_used(), u0);
    pipe_mem_set_limit(0);
    pipe_mem_clear_refused();
}
END_TEST

/* A page-sized document (an arena of its own) edited by every edit
 * method, read back, closed; then one never edited, dropped unwalked.
 * ASan and valgrind runs of the suite check what is freed. */
START_TEST(mem_arena_documents)
{
    lua_State *L = pipe_test_lua();
    const char *err = pipe_test_dostring(L,
        "local body = string.rep('<p class=filler>some filler text</p>', 400)\n"
        "local d = html.parse('<html><body><div id=a><p id=p>One <b>two</b>'\n"
        "  .. '</p><i id=i>x</i></div>' .. body .. '</body></html>')\n"
        "d:first('#p'):set_attr('title', string.rep('t', 9000))\n"
        "d:first('#p'):set_attr('lang', 'en')\n"
        "d:first('b'):unwrap()\n"
        "d:first('#i'):rename('em')\n"
        "local w = d:first('#p'):wrap('section')\n"
        "d:first('#a'):append(d:first('p.filler'))\n"
        "assert(d:remove('p.filler') == 400)\n"
        "local want = '<section><p id=\"p\" title=\"' .. string.rep('t', 9000)\n"
        "  .. '\" lang=\"en\">One two</p></section><em id=\"i\">x</em>'\n"
        "assert(d:first('#a'):html() == want, d:first('#a'):html())\n"
        "assert(w:first('p'):attr('lang') == 'en')\n"
        "d:close()\n"
        "local e = html.parse('<div>' .. body .. '</div>')\n"
        "assert(#e:select('p') == 400)\n"
        "assert(e:first('p'):text() == 'some filler text')\n"
        "e = nil collectgarbage()\n");
    ck_assert_msg(err == NULL, "%s", err ? err : "");
    pipe_lua_close(L);
}
END_TEST

/* Lua's allocator, called as Lua calls it: (ud, ptr, osize, nsize). */
static void *la(pipe_lua_heap *h, void *p, size_t o, size_t n)
{
    return pipe_lua_alloc(h, p, o, n);
}

START_TEST(mem_lua_heap_classes)
{
    if (getenv("PIPE_ARENA") && strcmp(getenv("PIPE_ARENA"), "0") == 0)
        return; /* nothing is kept */
    pipe_lua_heap h;
    memset(&h, 0, sizeof h);
    size_t u0 = pipe_mem_used();
    /* the charge is what Lua asked for (osize is a type tag with NULL) */
    char *a = la(&h, NULL, 5, 40);
    ck_assert_ptr_nonnull(a);
    ck_assert_uint_eq(pipe_mem_used(), u0 + 40);
    ck_assert_uint_eq(h.used, 40);
    /* a block of the class is 48 bytes: a resize within it keeps it */
    memset(a, 'a', 48);
    ck_assert_ptr_eq(la(&h, a, 40, 48), a);
    ck_assert_ptr_eq(la(&h, a, 48, 33), a);
    ck_assert_uint_eq(h.used, 33);
    ck_assert_uint_eq(pipe_mem_used(), u0 + 33);
    /* freed, it is kept (uncharged) and comes back for a request of its
     * class, whatever the size within it */
    ck_assert_ptr_null(la(&h, a, 33, 0));
    ck_assert_uint_eq(h.used, 0);
    ck_assert_uint_eq(pipe_mem_used(), u0);
    ck_assert_uint_eq(pipe_lua_heap_kept(&h), 48);
    ck_assert_int_eq(POISONED(a + 40), 1);
    char *b = la(&h, NULL, 0, 48);
    ck_assert_ptr_eq(b, a);
    ck_assert_uint_eq(pipe_lua_heap_kept(&h), 0);
    memset(b, 'b', 48);             /* the whole class is usable */
    /* another class: another block */
    char *c = la(&h, NULL, 0, 49);
    ck_assert_ptr_ne(c, b);
    memset(c, 'c', 64);
    /* a resize across classes keeps the contents */
    char *d = la(&h, b, 48, 200);
    ck_assert_ptr_nonnull(d);
    ck_assert_int_eq(d[0], 'b');
    ck_assert_int_eq(d[47], 'b');
    memset(d, 'd', 208);
    /* past the small classes and back: the block is a class block again
     * (a later request of its class may get it: all 32 bytes usable) */
    char *e = la(&h, d, 200, 5000);
    ck_assert_int_eq(e[207], 'd');
    ck_assert_uint_eq(h.used, 49 + 5000);
    char *f = la(&h, e, 5000, 20);
    ck_assert_int_eq(f[19], 'd');
    ck_assert_ptr_null(la(&h, f, 20, 0));
    char *g = la(&h, NULL, 0, 32);
    ck_assert_ptr_eq(g, f);
    memset(g, 'g', 32);
    /* a block over 512 bytes is never kept */
    char *big = la(&h, NULL, 0, 513);
    ck_assert_ptr_null(la(&h, big, 513, 0));
    ck_assert_uint_eq(pipe_lua_heap_kept(&h), 0);
    la(&h, g, 32, 0);
    la(&h, c, 49, 0);
    ck_assert_uint_eq(h.used, 0);
    ck_assert_uint_eq(pipe_mem_used(), u0);
    ck_assert_uint_eq(pipe_lua_heap_kept(&h), 32 + 64);
    /* freeing nothing is nothing */
    ck_assert_ptr_null(la(&h, NULL, 3, 0));
    pipe_lua_heap_free(&h);
    ck_assert_uint_eq(pipe_lua_heap_kept(&h), 0);
    ck_assert_ptr_null(h.head[2]);
}
END_TEST

START_TEST(mem_lua_heap_bounded)
{
    pipe_lua_heap h;
    memset(&h, 0, sizeof h);
    size_t u0 = pipe_mem_used();
    enum { N = 3000 };
    static void *blk[N];
    for (int i = 0; i < N; i++) {
        blk[i] = la(&h, NULL, 0, 64);
        ck_assert_ptr_nonnull(blk[i]);
    }
    ck_assert_uint_eq(pipe_mem_used(), u0 + (size_t)N * 64);
    for (int i = 0; i < N; i++)
        la(&h, blk[i], 64, 0);
    ck_assert_uint_eq(pipe_mem_used(), u0);
    /* a class keeps 64 KiB at most: 1024 blocks of 64 bytes; the other
     * 1976 went back to free() */
    int keeps = !(getenv("PIPE_ARENA") && strcmp(getenv("PIPE_ARENA"), "0") == 0);
    ck_assert_uint_eq(pipe_lua_heap_kept(&h), keeps ? (size_t)64 << 10 : 0);
    ck_assert_uint_eq(h.kept[4], keeps ? 1024 : 0);
    pipe_lua_heap_free(&h);
    ck_assert_uint_eq(pipe_lua_heap_kept(&h), 0);
}
END_TEST

START_TEST(mem_lua_heap_limits)
{
    pipe_lua_heap h;
    memset(&h, 0, sizeof h);
    h.limit = 1000;
    size_t u0 = pipe_mem_used();
    pipe_mem_clear_refused();
    void *a = la(&h, NULL, 0, 600);
    ck_assert_ptr_nonnull(a);
    /* the state's cap: refused, noted, nothing charged */
    ck_assert_ptr_null(la(&h, NULL, 0, 401));
    ck_assert_int_eq(pipe_mem_refused(), 1);
    ck_assert_ptr_null(la(&h, a, 600, 1001));
    ck_assert_uint_eq(h.used, 600);
    ck_assert_uint_eq(pipe_mem_used(), u0 + 600);
    void *b = la(&h, NULL, 0, 400);
    ck_assert_ptr_nonnull(b);
    /* the process's budget refuses too, with the same accounting */
    pipe_mem_clear_refused();
    h.limit = 0;
    pipe_mem_set_limit(pipe_mem_used() + 100);
    ck_assert_ptr_null(la(&h, NULL, 0, 101));
    ck_assert_ptr_null(la(&h, b, 400, 501));
    ck_assert_int_eq(pipe_mem_refused(), 1);
    ck_assert_uint_eq(h.used, 1000);
    ck_assert_uint_eq(pipe_mem_used(), u0 + 1000);
    /* a kept block is not charged: freed and asked for again, it is
     * charged anew (and refused when that does not fit) */
    la(&h, b, 400, 0);
    pipe_mem_set_limit(pipe_mem_used() + 50);
    ck_assert_ptr_null(la(&h, NULL, 0, 400));
    ck_assert_uint_eq(pipe_mem_used(), u0 + 600);
    pipe_mem_set_limit(0);
    pipe_mem_clear_refused();
    la(&h, a, 600, 0);
    ck_assert_uint_eq(h.used, 0);
    ck_assert_uint_eq(pipe_mem_used(), u0);
    pipe_lua_heap_free(&h);
}
END_TEST

/* A whole state: what it charged goes back when it closes. */
START_TEST(mem_lua_state_budget)
{
    size_t u0 = pipe_mem_used();
    lua_State *L = pipe_test_lua();
    ck_assert_uint_gt(pipe_mem_used(), u0);
    const char *err = pipe_test_dostring(L,
        "local t = {}\n"
        "for i = 1, 20000 do t[i] = { i, tostring(i), function() return i end } end\n"
        "t = nil collectgarbage()\n"
        "for i = 1, 20000 do local s = ('x'):rep(i % 700) .. i end\n");
    ck_assert_msg(err == NULL, "%s", err ? err : "");
    pipe_lua_close(L);
    ck_assert_uint_eq(pipe_mem_used(), u0);
}
END_TEST

Suite *mem_suite(void)
{
    Suite *s = suite_create("mem");
    TCase *tc = tcase_create("arena");
    tcase_add_test(tc, mem_arena_blocks);
    tcase_add_test(tc, mem_arena_nested);
    tcase_add_test(tc, mem_arena_limit);
    tcase_add_test(tc, mem_arena_documents);
    suite_add_tcase(s, tc);
    tc = tcase_create("lua_heap");
    tcase_add_test(tc, mem_lua_heap_classes);
    tcase_add_test(tc, mem_lua_heap_bounded);
    tcase_add_test(tc, mem_lua_heap_limits);
    tcase_add_test(tc, mem_lua_state_budget);
    suite_add_tcase(s, tc);
    return s;
}
