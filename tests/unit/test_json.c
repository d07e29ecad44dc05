/*
 * json plugin tests: encoding rules (arrays vs objects, key order with
 * "source" first, integers vs floats, UTF-8), decoding, round trips, error
 * messages, and the C API in include/pipe/json.h.  Table-driven: each case
 * is a Lua expression and the exact text show(...) makes of its values.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "pipe/json.h"
#include "pipe/util.h"
#include "core.h"
#include "suites.h"

static const lua_case encode_cases[] = {
    {"json.encode({1, 2, 3})", "[1,2,3]"},
    {"json.encode({b = 1, a = 2, source = 's', Z = 3, aa = 4})",
     "{\"source\":\"s\",\"Z\":3,\"a\":2,\"aa\":4,\"b\":1}"},
    {"json.encode({x = {y = {1, {z = true}}}})", "{\"x\":{\"y\":[1,{\"z\":true}]}}"},
    {"json.encode({})", "[]"},
    {"json.encode(json.object())", "{}"},
    {"json.encode(json.object({}))", "{}"},
    {"json.encode(json.array({}))", "[]"},
    {"json.encode({a = {}, o = json.object()})", "{\"a\":[],\"o\":{}}"},
    {"json.encode({1, json.null, 3})", "[1,null,3]"},
    {"json.encode({k = json.null})", "{\"k\":null}"},
    {"json.encode(json.null)", "null"},
    {"json.encode(nil)", "null"},
    {"json.encode({[1] = 'a', [3] = 'c'})", "{\"1\":\"a\",\"3\":\"c\"}"},
    {"json.encode({1, 2, x = 3})", "{\"1\":1,\"2\":2,\"x\":3}"},
    {"json.encode({[1.5] = 1})", "{\"1.5\":1}"},
    {"json.encode({3, 3.0, 0.1, -2.5e-7, 1e300, math.maxinteger})",
     "[3,3.0,0.1,-2.5e-7,1e300,9223372036854775807]"},
    {"json.encode('é/\"\\\\\\n\\t\\1')", "\"é/\\\"\\\\\\n\\t\\u0001\""},
    {"json.encode('bad\\xff\\xfeok')", "\"bad\xEF\xBF\xBD\xEF\xBF\xBDok\""},
    {"json.encode({['k\\xff'] = 1})", "{\"k\xEF\xBF\xBD\":1}"},
    {"json.encode(true) .. json.encode(false)", "truefalse"},
    {"json.encode({1, {a = 1}}, {pretty = true})",
     "[\n  1,\n  {\n    \"a\": 1\n  }\n]"},
    {"json.encode(json.array({1, 2}))", "[1,2]"},
};

static const lua_case encode_error_cases[] = {
    {"select(2, pcall(json.encode, print))", "cannot encode a value of type function"},
    {"select(2, pcall(json.encode, {a = {b = print}}))",
     "cannot encode a value of type function at .a.b"},
    {"select(2, pcall(json.encode, {list = {1, 0/0}}))",
     "cannot encode number 'nan' at .list[2]"},
    {"select(2, pcall(json.encode, {x = math.huge}))", "cannot encode number 'inf' at .x"},
    {"select(2, pcall(json.encode, -math.huge))", "cannot encode number '-inf'"},
    {"select(2, pcall(function() local t = {} t.self = t return json.encode({x = t}) end))",
     "test:6: cannot encode a table that contains itself at .x.self"},
    {"select(2, pcall(json.encode, {[true] = 1}))", "cannot encode a table key of type boolean"},
    {"(function() local d = {} local c = d for i = 1, 255 do c.x = {} c = c.x end"
     " return #json.encode(d) end)()",
     "1532"},
    {"(function() local d = {} local c = d for i = 1, 256 do c.x = {} c = c.x end"
     " return select(2, pcall(json.encode, d)) end)()",
     "cannot encode tables nested deeper than 256 at ....x.x.x.x.x.x.x.x"},
    /* a table seen twice (not a cycle) is fine */
    {"(function() local t = {1} return json.encode({a = t, b = t}) end)()",
     "{\"a\":[1],\"b\":[1]}"},
};

static const lua_case decode_cases[] = {
    {"(function() local v = json.decode('{\"a\":[1,2.5,null,true],\"s\":\"\\\\u00e9\"}')"
     " return show(v.a[1], math.type(v.a[1]), v.a[2], math.type(v.a[2]),"
     " v.a[3] == json.null, v.a[4], v.s) end)()",
     "1|integer|2.5|float|true|true|é"},
    {"show(json.decode('42'), json.decode('\"x\"'), json.decode('false'))", "42|x|false"},
    {"show(json.decode('9223372036854775807'), math.type(json.decode('-12')))",
     "9223372036854775807|integer"},
    {"show(json.decode('[1,2'))", "nil|1:4: ']' expected near end of file"},
    {"show(json.decode('{\"a\":1,}'))", "nil|1:8: string or '}' expected near '}'"},
    {"show(json.decode('{\\n  \"a\": tru\\n}'))", "nil|2:10: invalid token near 'tru'"},
    {"show(json.decode(''))", "nil|1:0: unexpected token near end of file"},
    {"show(json.decode('99999999999999999999'))",
     "nil|1:20: too big integer near '99999999999999999999'"},
    {"show(getmetatable(json.decode('{}')) == json.object_mt,"
     " getmetatable(json.decode('[]')) == json.array_mt)",
     "true|true"},
    {"show(#json.decode('\"a\\\\u0000b\"'))", "3"},
};

static const lua_case roundtrip_cases[] = {
    {"json.encode(json.decode('{\"b\":[],\"a\":{},\"c\":[{}],\"source\":\"x\"}'))",
     "{\"source\":\"x\",\"a\":{},\"b\":[],\"c\":[{}]}"},
    {"json.encode(json.decode('[1,1.0,-0.5,1e-10,\"\\\\/\",null]'))",
     "[1,1.0,-0.5,1e-10,\"/\",null]"},
    {"json.encode(json.decode('{\"1\":\"x\",\"2\":\"y\"}'))", "{\"1\":\"x\",\"2\":\"y\"}"},
    {"json.encode(json.decode('\"Привет \\\\ud83d\\\\ude00\"'))", "\"Привет \xF0\x9F\x98\x80\""},
};

#define CASES(name, table)                                                 \
    START_TEST(name) { pipe_test_case(&table[_i]); }                            \
    END_TEST

CASES(test_encode, encode_cases)
CASES(test_encode_errors, encode_error_cases)
CASES(test_decode, decode_cases)
CASES(test_roundtrip, roundtrip_cases)

/* The C API the core uses for output. */
START_TEST(test_c_from_lua)
{
    lua_State *L = pipe_test_lua();
    ck_assert_ptr_null(pipe_test_dostring(L,
        "return { title = 'T', source = 'p.html', tags = { 'a', 'b' },"
        " n = 2, empty = {} }, { f = print }"));
    int top = lua_gettop(L);
    char *err = NULL;
    json_t *v = pipe_json_from_lua(L, -2, &err);
    ck_assert_ptr_nonnull(v);
    ck_assert_ptr_null(err);
    ck_assert_int_eq(lua_gettop(L), top);
    char *s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
    ck_assert_str_eq(s, "{\"source\":\"p.html\",\"empty\":[],\"n\":2,"
                        "\"tags\":[\"a\",\"b\"],\"title\":\"T\"}");
    free(s);
    json_decref(v);

    v = pipe_json_from_lua(L, -1, &err);
    ck_assert_ptr_null(v);
    ck_assert_str_eq(err, "cannot encode a value of type function at .f");
    ck_assert_int_eq(lua_gettop(L), top);
    free(err);
    pipe_lua_close(L);
}
END_TEST

START_TEST(test_c_push)
{
    lua_State *L = pipe_test_lua();
    json_error_t e;
    json_t *v = json_loads("{\"a\":[1,null],\"b\":{\"c\":\"d\"}}", 0, &e);
    ck_assert_ptr_nonnull(v);
    pipe_json_push(L, v);
    json_decref(v);
    lua_setglobal(L, "rec");
    ck_assert_ptr_null(pipe_test_dostring(L,
        "return rec.a[1], rec.a[2] == json.null, rec.b.c, json.encode(rec)"));
    ck_assert_int_eq(lua_tointeger(L, -4), 1);
    ck_assert(lua_toboolean(L, -3));
    ck_assert_str_eq(lua_tostring(L, -2), "d");
    ck_assert_str_eq(lua_tostring(L, -1), "{\"a\":[1,null],\"b\":{\"c\":\"d\"}}");
    pipe_lua_close(L);
}
END_TEST

/* {v = s} through the record writer against jansson's compact dump: the
 * same bytes, or (jansson refuses it: invalid UTF-8) the writer refuses
 * too and writes nothing.  Returns whether jansson took it. */
static int write_like_jansson(lua_State *L, const char *s, size_t n)
{
    lua_createtable(L, 0, 1);
    lua_pushlstring(L, s, n);
    lua_setfield(L, -2, "v");
    pipe_buf b = {0};
    int rc = pipe_json_write_lua(L, -1, &b);
    json_t *o = json_object();
    json_object_set_new(o, "v", json_stringn_nocheck(s, n));
    char *want = json_dumps(o, JSON_COMPACT);
    int took = want != NULL;
    if (took) {
        ck_assert_int_eq(rc, 0);
        ck_assert_str_eq(b.p, want);
    } else {
        ck_assert_int_eq(rc, -1);
        ck_assert_uint_eq(b.len, 0);
    }
    free(want);
    json_decref(o);
    pipe_buf_free(&b);
    lua_pop(L, 1);
    return took;
}

/* The record writer (pipe_json_write_lua) passes plain ASCII over eight
 * bytes at a time: a byte that needs a look (an escape, a control
 * character, DEL's neighbours, UTF-8, invalid UTF-8) at every offset of a
 * 40-byte string, and strings of every length up to 24, must come out as
 * jansson writes them (invalid UTF-8: the writer refuses, the caller
 * falls back to jansson's path). */
START_TEST(test_c_write_offsets)
{
    static const char *const odd[] = {"\"", "\\", "\n", "\x01", "\x1f", "\x7f",
                                      " ", "\xc3\xa9", "\xf0\x9f\x98\x80",
                                      "\xff", "\xc3"};
    lua_State *L = pipe_test_lua();
    for (size_t k = 0; k < sizeof odd / sizeof odd[0]; k++) {
        for (size_t at = 0; at <= 40; at++) {
            char s[64];
            memset(s, 'a', 40);
            size_t ol = strlen(odd[k]);
            memcpy(s + at, odd[k], ol);
            size_t n = at + ol > 40 ? at + ol : 40;
            int bad = !strcmp(odd[k], "\xff") || !strcmp(odd[k], "\xc3");
            ck_assert_int_eq(write_like_jansson(L, s, n), !bad);
        }
    }
    /* runs of multi-byte sequences at every offset of 16-byte lanes: one
     * ending in an escape, one cut short (bad UTF-8 in the middle of a
     * run), one at the very end */
    static const char *const runs[] = {
        "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82",
        "\xd0\x9f\xd1\x80\xe2\x80\x9c\"\n",
        "\xd0\x9f\xd1\x80\xd0",
        "\xe2\x80\x9c\xf0\x9f\x98\x80\xe2\x80",
    };
    for (size_t k = 0; k < sizeof runs / sizeof runs[0]; k++) {
        for (size_t at = 0; at <= 56; at++) {
            char s[80];
            memset(s, 'b', 64);
            size_t rl = strlen(runs[k]);
            memcpy(s + at, runs[k], rl);
            size_t n = at + rl > 64 ? at + rl : 64;
            /* only the two cut-short runs are refused */
            ck_assert_int_eq(write_like_jansson(L, s, n), k < 2);
        }
    }
    for (size_t n = 0; n <= 24; n++) {
        char s[32];
        for (size_t i = 0; i < n; i++)
            s[i] = (char)('A' + i);
        lua_createtable(L, 0, 1);
        lua_pushlstring(L, s, n);
        lua_setfield(L, -2, "v");
        pipe_buf b = {0};
        ck_assert_int_eq(pipe_json_write_lua(L, -1, &b), 0);
        char want[64];
        snprintf(want, sizeof want, "{\"v\":\"%.*s\"}", (int)n, s);
        ck_assert_str_eq(b.p, want);
        pipe_buf_free(&b);
        lua_pop(L, 1);
    }
    pipe_lua_close(L);
}
END_TEST

/* json.decode's direct decoder against jansson (PIPE_JSON_TREE=1): the
 * same values, or the same error, for containers filled past the decoder's
 * runs of 32 members (a key given twice across runs: the last value),
 * and strings with a byte that stops the eight-byte scan (quote, escape,
 * control byte, UTF-8, invalid UTF-8) at every offset. */
static void decode_both(lua_State *L, const char *text, size_t len)
{
    char *got[2];
    for (int tree = 0; tree < 2; tree++) {
        if (tree)
            setenv("PIPE_JSON_TREE", "1", 1);
        else
            unsetenv("PIPE_JSON_TREE");
        lua_getglobal(L, "both");
        lua_pushlstring(L, text, len);
        ck_assert_int_eq(lua_pcall(L, 1, 1, 0), LUA_OK);
        got[tree] = strdup(lua_tostring(L, -1));
        lua_pop(L, 1);
    }
    unsetenv("PIPE_JSON_TREE");
    if (strcmp(got[0], got[1]) != 0)
        ck_abort_msg("%.*s: direct %s, jansson %s", (int)len, text, got[0], got[1]);
    free(got[0]);
    free(got[1]);
}

START_TEST(test_decode_direct)
{
    lua_State *L = pipe_test_lua();
    ck_assert_ptr_null(pipe_test_dostring(L,
        "function both(s) local v, e = json.decode(s)"
        " if v == nil then return 'nil ' .. e end"
        " if type(v) == 'table' and v.a ~= nil then return json.encode(v) .. ' a=' .. json.encode(v.a) end"
        " return json.encode(v) end"));
    static const int sizes[] = {1, 2, 31, 32, 33, 63, 64, 65, 100};
    char buf[4096];
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        int n = sizes[k];
        size_t len = 0;
        /* an object, "a" first and last */
        len += (size_t)snprintf(buf + len, sizeof buf - len, "{\"a\":0");
        for (int i = 1; i < n; i++)
            len += (size_t)snprintf(buf + len, sizeof buf - len, ",\"k%d\":[%d,{\"x\":%d.5}]", i, i, i);
        len += (size_t)snprintf(buf + len, sizeof buf - len, ",\"a\":\"last\"}");
        decode_both(L, buf, len);
        /* an array of scalars and containers */
        len = (size_t)snprintf(buf, sizeof buf, "[");
        for (int i = 0; i < n; i++)
            len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", i ? "," : "",
                                    i % 3 == 0 ? "{}" : i % 3 == 1 ? "\"s\"" : "[null,true]");
        len += (size_t)snprintf(buf + len, sizeof buf - len, "]");
        decode_both(L, buf, len);
    }
    static const char *const odd[] = {"\\\"", "\\\\", "\\n", "\\u00e9", "\x01", "\t",
                                      "\x7f", "\xc3\xa9", "\xf0\x9f\x98\x80",
                                      "\xff", "\xc3", "\xed\xa0\x80"};
    for (size_t k = 0; k < sizeof odd / sizeof odd[0]; k++) {
        for (size_t at = 0; at <= 40; at++) {
            char s[64];
            memset(s, 'a', 40);
            s[40] = '\0';
            /* as a value, and as a key */
            int len = snprintf(buf, sizeof buf, "{\"v\":\"%.*s%s%s\"}", (int)at, s,
                               odd[k], s + at);
            decode_both(L, buf, (size_t)len);
            len = snprintf(buf, sizeof buf, "{\"%.*s%s%s\":1}", (int)at, s, odd[k], s + at);
            decode_both(L, buf, (size_t)len);
        }
    }
    /* strings with escapes longer than the decoder's C buffer (256
     * bytes): an escape or UTF-8 just before, at and after its end, and a
     * second escape far past it */
    static const size_t around[] = {0, 100, 254, 255, 256, 257, 258, 511, 512, 513, 700};
    for (size_t k = 0; k < sizeof odd / sizeof odd[0]; k++) {
        for (size_t i = 0; i < sizeof around / sizeof around[0]; i++) {
            char s[800];
            memset(s, 'b', 720);
            s[720] = '\0';
            size_t at = around[i];
            int len = snprintf(buf, sizeof buf, "[\"\\/%.*s%s%.*s\\/x\"]", (int)at, s,
                               odd[k], (int)(720 - at), s);
            decode_both(L, buf, (size_t)len);
        }
    }
    pipe_lua_close(L);
}
END_TEST

#define N(table) ((int)(sizeof table / sizeof table[0]))

Suite *json_suite(void)
{
    Suite *s = suite_create("json");
    struct {
        const char *name;
        const TTest *test;
        int n;
    } groups[] = {
        {"encode", test_encode, N(encode_cases)},
        {"encode_errors", test_encode_errors, N(encode_error_cases)},
        {"decode", test_decode, N(decode_cases)},
        {"roundtrip", test_roundtrip, N(roundtrip_cases)},
    };
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++) {
        TCase *tc = tcase_create(groups[i].name);
        tcase_set_timeout(tc, 20);
        tcase_add_loop_test(tc, groups[i].test, 0, groups[i].n);
        suite_add_tcase(s, tc);
    }
    TCase *tc = tcase_create("c_api");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_c_from_lua);
    tcase_add_test(tc, test_c_push);
    tcase_add_test(tc, test_c_write_offsets);
    tcase_add_test(tc, test_decode_direct);
    suite_add_tcase(s, tc);
    return s;
}
