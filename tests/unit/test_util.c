/*
 * The host's helpers for plugins (include/pipe/util.h): UTF-8 decoding and
 * repair, boxes, growable buffers, derived data kept across runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lauxlib.h>

#include "pipe/util.h"
#include "suites.h"

/* pipe_utf8_decode: bytes, want code point (-1 invalid), want advance */
static const struct {
    const char *s;
    size_t n;
    long cp;
    size_t adv;
} decode_cases[] = {
    {"A", 1, 'A', 1},
    {"\xC3\xA9", 2, 0xE9, 2},                 /* é */
    {"\xE2\x82\xAC", 3, 0x20AC, 3},           /* € */
    {"\xF0\x9F\x98\x80", 4, 0x1F600, 4},      /* 😀 */
    {"\xC0\xAF", 2, -1, 1},                   /* overlong '/' */
    {"\xE0\x80\xAF", 3, -1, 1},               /* overlong, 3 bytes */
    {"\xED\xA0\x80", 3, -1, 1},               /* surrogate D800 */
    {"\xF4\x90\x80\x80", 4, -1, 1},           /* beyond U+10FFFF */
    {"\xE2\x82x", 3, -1, 2},                  /* truncated: maximal subpart */
    {"\xF0\x9F\x98x", 4, -1, 3},
    {"\xE2\x82", 2, -1, 2},                   /* cut at the end of input */
    {"\x80", 1, -1, 1},                       /* lone continuation byte */
    {"\xFF", 1, -1, 1},
};

START_TEST(test_utf8_decode)
{
    size_t adv = 0;
    long cp = pipe_utf8_decode(decode_cases[_i].s, decode_cases[_i].n, &adv);
    ck_assert_msg(cp == decode_cases[_i].cp && adv == decode_cases[_i].adv,
                  "case %d: got %ld/%zu, want %ld/%zu", _i, cp, adv,
                  decode_cases[_i].cp, decode_cases[_i].adv);
}
END_TEST

START_TEST(test_utf8_valid_fix_add)
{
    ck_assert_uint_eq(pipe_utf8_valid("caf\xC3\xA9", 5), 5);
    ck_assert_uint_eq(pipe_utf8_valid("ab\xE2\x82xyz", 6), 2);
    ck_assert_uint_eq(pipe_utf8_valid("", 0), 0);
    lua_State *L = luaL_newstate();
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    pipe_utf8_fix(&b, "a\xE2\x82z\xFF", 5);
    pipe_utf8_add(&b, 0x20AC);
    pipe_utf8_add(&b, 0x1F600);
    luaL_pushresult(&b);
    ck_assert_str_eq(lua_tostring(L, -1),
                     "a\xEF\xBF\xBDz\xEF\xBF\xBD\xE2\x82\xAC\xF0\x9F\x98\x80");
    lua_close(L);
}
END_TEST

static int releases;

static void count_release(void *p)
{
    releases++;
    free(p);
}

static int box_then_raise(lua_State *L)
{
    pipe_box *b = pipe_box_new(L, count_release);
    b->p = malloc(16);
    return luaL_error(L, "raised with the box full");
}

static int make_box(lua_State *L)
{
    pipe_box *b = pipe_box_new(L, count_release);
    b->p = malloc(16);
    return 1;
}

START_TEST(test_box)
{
    lua_State *L = luaL_newstate();
    releases = 0;
    /* released once, by pipe_box_done; the collector then does nothing */
    pipe_box *b = pipe_box_new(L, count_release);
    b->p = malloc(8);
    pipe_box_done(b);
    pipe_box_done(b);
    ck_assert_int_eq(releases, 1);
    lua_pop(L, 1);
    lua_gc(L, LUA_GCCOLLECT);
    ck_assert_int_eq(releases, 1);
    /* an error while the box holds memory: the collector frees it */
    lua_pushcfunction(L, box_then_raise);
    ck_assert_int_ne(lua_pcall(L, 0, 0, 0), LUA_OK);
    lua_pop(L, 1);
    lua_gc(L, LUA_GCCOLLECT);
    ck_assert_int_eq(releases, 2);
    /* to-be-closed: released when the variable goes out of scope */
    lua_gc(L, LUA_GCSTOP);
    ck_assert_int_eq(luaL_loadstring(L, "local mk = ...; do local b <close> "
                                        "= mk() end"), LUA_OK);
    lua_pushcfunction(L, make_box);
    ck_assert_int_eq(lua_pcall(L, 1, 0, 0), LUA_OK);
    ck_assert_int_eq(releases, 3);
    lua_close(L);
    ck_assert_int_eq(releases, 3);
}
END_TEST

START_TEST(test_buf)
{
    pipe_buf b = {0};
    size_t len = 99;
    char *s = pipe_buf_take(&b, &len);
    ck_assert_str_eq(s, "");
    ck_assert_uint_eq(len, 0);
    free(s);
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq(pipe_buf_add(&b, "abc", 3), 0);
    ck_assert_uint_eq(b.len, 3000);
    ck_assert_int_eq(b.p[3000], '\0');
    s = pipe_buf_take(&b, &len);
    ck_assert_uint_eq(len, 3000);
    ck_assert_int_eq(memcmp(s + 2997, "abc", 4), 0);
    ck_assert_ptr_null(b.p);
    free(s);
    /* out of memory (a size that cannot be had): sticky, take gives NULL */
    ck_assert_int_eq(pipe_buf_add(&b, "x", 1), 0);
    ck_assert_int_eq(pipe_buf_add(&b, "x", (size_t)-1 / 2), -1);
    ck_assert_int_eq(pipe_buf_add(&b, "y", 1), -1);
    ck_assert_uint_eq(b.len, 1);
    ck_assert_ptr_null(pipe_buf_take(&b, &len));
    ck_assert_int_eq(pipe_buf_add(&b, "z", 1), 0);
    pipe_buf_free(&b);
    ck_assert_ptr_null(b.p);
    ck_assert_uint_eq(b.len, 0);
}
END_TEST

/* pipe_cache_get/put: what is put under a key comes back under exactly
 * that key (any bytes, NULs included); another key finds nothing; a
 * second put replaces the first.  The cache directory is the process's
 * (a fresh one when this test settles it first). */
START_TEST(test_cache_data)
{
    char dir[] = "/tmp/pipe-unit-cache.XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    setenv("PIPE_CACHE_DIR", dir, 0);
    char key[64], other[64];
    int kn = snprintf(key, sizeof key, "unit%c%ld", 0, (long)getpid());
    int on = snprintf(other, sizeof other, "unit%c%ld.", 0, (long)getpid());
    size_t len = 7;
    ck_assert_ptr_null(pipe_cache_get(key, (size_t)kn, &len));
    static const char data[] = "a\0b\xff table";
    pipe_cache_put(key, (size_t)kn, data, sizeof data);
    char *got = pipe_cache_get(key, (size_t)kn, &len);
    ck_assert_ptr_nonnull(got);
    ck_assert_uint_eq(len, sizeof data);
    ck_assert_int_eq(memcmp(got, data, sizeof data), 0);
    ck_assert_int_eq(got[len], '\0');
    free(got);
    ck_assert_ptr_null(pipe_cache_get(other, (size_t)on, &len));
    ck_assert_ptr_null(pipe_cache_get(key, (size_t)kn - 1, &len));
    pipe_cache_put(key, (size_t)kn, "", 0);
    got = pipe_cache_get(key, (size_t)kn, &len);
    ck_assert_ptr_nonnull(got);
    ck_assert_uint_eq(len, 0);
    free(got);
    char rm[96];
    snprintf(rm, sizeof rm, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(rm), 0);
}
END_TEST

Suite *util_suite(void)
{
    Suite *s = suite_create("util");
    TCase *tc = tcase_create("util");
    tcase_set_timeout(tc, 10);
    tcase_add_loop_test(tc, test_utf8_decode, 0,
                        (int)(sizeof decode_cases / sizeof decode_cases[0]));
    tcase_add_test(tc, test_utf8_valid_fix_add);
    tcase_add_test(tc, test_box);
    tcase_add_test(tc, test_buf);
    tcase_add_test(tc, test_cache_data);
    suite_add_tcase(s, tc);
    return s;
}
