/*
 * The plugin registry: the checks a descriptor passes before it is
 * accepted (exact messages), the built-ins' order and services.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>

#include "core.h"
#include "pipe/html.h"
#include "suites.h"

static int nop_main(pipe_host *host, int argc, char **argv)
{
    (void)host;
    (void)argc;
    (void)argv;
    return 0;
}

static int nop_open(lua_State *L)
{
    lua_newtable(L);
    return 1;
}

static const pipe_command cmd_strip[] = {
    {"strip", "s", "h", nop_main}, {NULL, NULL, NULL, NULL}};
static const pipe_command cmd_run[] = {
    {"run", "s", "h", nop_main}, {NULL, NULL, NULL, NULL}};
static const pipe_command cmd_bad[] = {
    {"Bad Name", "s", "h", nop_main}, {NULL, NULL, NULL, NULL}};
static const pipe_command cmd_twice[] = {
    {"slug", "s", "h", nop_main}, {"slug", "s", "h", nop_main},
    {NULL, NULL, NULL, NULL}};
static const pipe_command cmd_ok[] = {
    {"slug", "s", "h", nop_main}, {NULL, NULL, NULL, NULL}};
static const int dummy_api = 0;
static const pipe_service svc_parser[] = {
    {PIPE_PAGE_PARSER, 1, &dummy_api}, {NULL, 0, NULL}};
static const char *const fn_names[] = {"f", NULL};

#define D(...) {PIPE_PLUGIN_HEAD, .summary = "s", __VA_ARGS__}

static const struct {
    pipe_plugin p;
    const char *want;          /* NULL: accepted */
} check_cases[] = {
    {D(.name = "translit", .open = nop_open, .commands = cmd_ok), NULL},
    {D(.name = "words_2"), NULL},
    {{.abi = 1, .size = sizeof(pipe_plugin), .name = "old"},
     "built for plugin ABI 1, this pipe has ABI 2 (rebuild it against this "
     "pipe's headers)"},
    {{.abi = PIPE_PLUGIN_ABI, .size = 8, .name = "small"},
     "descriptor size 8, this pipe knows %zu (built against older headers?)"},
    {{.abi = PIPE_PLUGIN_ABI, .size = 4096, .name = "big"},
     "descriptor size 4096, this pipe knows %zu (built against newer "
     "headers?)"},
    {D(.name = "string"), "plugin name 'string' is taken by Lua's standard "
                          "library"},
    {D(.name = "require"), "plugin name 'require' is taken by Lua's base "
                           "library"},
    {D(.name = "pipe"), "plugin name 'pipe' is taken by pipe's core"},
    {D(.name = "generic"), "plugin name 'generic' is taken by pipe's own "
                           "scripts"},
    {D(.name = "html"), "plugin name 'html' is taken by the built-in plugin "
                        "'html'"},
    {D(.name = "_G"), "bad plugin name '_G' (lowercase letters, digits and "
                      "_, starting with a letter, at most 32 bytes)"},
    {D(.name = "Words"), "bad plugin name 'Words' (lowercase letters, digits "
                         "and _, starting with a letter, at most 32 bytes)"},
    {D(.name = "a.b"), "bad plugin name 'a.b' (lowercase letters, digits "
                       "and _, starting with a letter, at most 32 bytes)"},
    {D(.name = NULL), "bad plugin name '(none)' (lowercase letters, digits "
                      "and _, starting with a letter, at most 32 bytes)"},
    {D(.name = "abcdefghijabcdefghijabcdefghijabc"),
     "bad plugin name 'abcdefghijabcdefghijabcdefghijabc' (lowercase "
     "letters, digits and _, starting with a letter, at most 32 bytes)"},
    {D(.name = "nolib", .lua_names = fn_names),
     "plugin 'nolib' lists Lua functions but has no open function"},
    {D(.name = "mystrip", .commands = cmd_strip),
     "command 'strip' of plugin 'mystrip' is taken by the built-in plugin "
     "'html'"},
    {D(.name = "myrun", .commands = cmd_run),
     "command 'run' of plugin 'myrun' is a core command"},
    {D(.name = "badcmd", .commands = cmd_bad),
     "plugin 'badcmd': bad command 'Bad Name' (a name of lowercase letters, "
     "digits, - and _, with summary, help and main)"},
    {D(.name = "twice", .commands = cmd_twice),
     "plugin 'twice' has two commands 'slug'"},
    {D(.name = "parser2", .services = svc_parser),
     "service 'page-parser' of plugin 'parser2' is offered by the built-in "
     "plugin 'html' already"},
};

START_TEST(test_check)
{
    char err[512] = "", want[512];
    int rc = pipe_plugin_check(&check_cases[_i].p, err, sizeof err);
    if (!check_cases[_i].want) {
        ck_assert_msg(rc == 0, "case %d refused: %s", _i, err);
    } else {
        /* the one number that depends on the platform: sizeof */
        snprintf(want, sizeof want, check_cases[_i].want, sizeof(pipe_plugin));
        ck_assert_int_eq(rc, -1);
        ck_assert_str_eq(err, want);
    }
}
END_TEST

START_TEST(test_builtins)
{
    /* what a plugin requires comes before it */
    size_t html = 99, extract = 99, re = 99;
    for (size_t i = 0; i < pipe_plugin_count(); i++) {
        const char *n = pipe_plugin_at(i)->name;
        ck_assert_ptr_null(pipe_plugin_origin(i));
        if (!strcmp(n, "html"))
            html = i;
        else if (!strcmp(n, "extract"))
            extract = i;
        else if (!strcmp(n, "re"))
            re = i;
    }
    ck_assert_uint_lt(html, extract);
    ck_assert_uint_lt(html, re);
    ck_assert_uint_lt(extract, pipe_plugin_count());
    /* services by name and version */
    ck_assert_ptr_nonnull(pipe_service_get(PIPE_PAGE_PARSER,
                                           PIPE_PAGE_PARSER_VERSION));
    ck_assert_ptr_nonnull(pipe_html_api_get());
    ck_assert_ptr_null(pipe_service_get(PIPE_HTML_SERVICE,
                                        PIPE_HTML_VERSION + 1));
    /* a later table serves callers built for an earlier version */
    ck_assert_ptr_eq(pipe_service_get(PIPE_HTML_SERVICE, 1),
                     pipe_html_api_get());
    ck_assert_ptr_null(pipe_service_get("no-such-service", 1));
    const char *owner = NULL;
    ck_assert_ptr_nonnull(pipe_find_command("match", &owner));
    ck_assert_str_eq(owner, "re");
    ck_assert_ptr_nonnull(pipe_find_command("run", &owner));
    ck_assert_str_eq(owner, "core");
    ck_assert_ptr_null(pipe_find_command("nope", NULL));
}
END_TEST

START_TEST(test_load_errors)
{
    char err[512] = "";
    ck_assert_int_eq(pipe_plugin_load("/nonexistent/x.so", err, sizeof err),
                     -1);
    ck_assert_str_eq(err, "cannot load: /nonexistent/x.so: cannot open shared "
                          "object file: No such file or directory");
    /* a name without a slash is a file here, not a library search */
    ck_assert_int_eq(pipe_plugin_load("libm.so.6", err, sizeof err), -1);
    ck_assert_str_eq(err, "cannot load: ./libm.so.6: cannot open shared "
                          "object file: No such file or directory");
    /* a shared object that is not a pipe plugin: Lua's own library */
    Dl_info info;
    lua_State *(*fn)(void) = luaL_newstate;
    void *addr;
    memcpy(&addr, &fn, sizeof addr);   /* POSIX: a function's address */
    ck_assert_int_ne(dladdr(addr, &info), 0);
    ck_assert_int_eq(pipe_plugin_load(info.dli_fname, err, sizeof err), -1);
    ck_assert_str_eq(err, "not a pipe plugin (no symbol pipe_plugin_entry)");
}
END_TEST

Suite *registry_suite(void)
{
    Suite *s = suite_create("registry");
    TCase *tc = tcase_create("registry");
    tcase_set_timeout(tc, 10);
    tcase_add_loop_test(tc, test_check, 0,
                        (int)(sizeof check_cases / sizeof check_cases[0]));
    tcase_add_test(tc, test_builtins);
    tcase_add_test(tc, test_load_errors);
    suite_add_tcase(s, tc);
    return s;
}
