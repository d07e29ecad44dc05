/* One Suite constructor per module under test; see main.c. */
#ifndef PIPE_TEST_SUITES_H
#define PIPE_TEST_SUITES_H

#include <check.h>
#include <lua.h>

Suite *css_suite(void);
Suite *html_suite(void);
Suite *re_suite(void);
Suite *text_suite(void);
Suite *json_suite(void);
Suite *host_suite(void);
Suite *extract_suite(void);
Suite *meta_suite(void);
Suite *warc_suite(void);
Suite *outdir_suite(void);
Suite *date_suite(void);
Suite *util_suite(void);
Suite *registry_suite(void);
Suite *mem_suite(void);

/* A sandboxed Lua state with every plugin open (what scripts see), from
 * test_host.c.  Close it with pipe_lua_close(), never lua_close(): the
 * state's allocator data is freed after the state. */
lua_State *pipe_test_lua(void);
void pipe_lua_close(lua_State *L);
/* Run Lua `code` in L; returns NULL on success or the error message
 * (static buffer) on failure. */
const char *pipe_test_dostring(lua_State *L, const char *code);

/* Table-driven Lua cases: `code` is an expression (after "return ") whose
 * value must equal `want`; `show(...)` joins its arguments' tostring()
 * with "|".  pipe_test_case runs one in a fresh state (test_host.c). */
typedef struct lua_case {
    const char *code;
    const char *want;
} lua_case;
void pipe_test_case(const lua_case *c);

#endif
