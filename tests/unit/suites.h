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

/* helpers.c-free: tests share these through test_host.c */
/* A sandboxed Lua state with every plugin open (what scripts see). */
lua_State *pipe_test_lua(void);
/* Run Lua `code` in L; returns NULL on success or the error message
 * (static buffer) on failure. */
const char *pipe_test_dostring(lua_State *L, const char *code);

#endif
