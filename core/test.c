/*
 * `pipe test` and `pipe lint`: run the test cases that rule files declare,
 * and check rules against their fixtures.  The logic lives in
 * scripts/lib/test.lua; this file collects the rule files, hands them over
 * with the two capabilities the sandbox otherwise lacks (writing stdout and,
 * for --update, golden files), and turns the verdict into an exit code.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <lauxlib.h>

#include "core.h"

const char pipe_test_help[] =
    "usage: pipe test [--update] [--url-only] [SCRIPT|DIR]...\n"
    "\n"
    "Run the test cases that rule files declare in their `tests` list\n"
    "(default: every rule in scripts/sites/).  Each case names a fixture\n"
    "page (relative to the current directory or to the rule file), an\n"
    "optional url, and expectations per field: an exact value, {contains=},\n"
    "{matches=PCRE}, {count=N}, {absent=true}; or a golden JSON file.\n"
    "Pages run through scripts/site.lua when the rule lives beside one, as\n"
    "`pipe run` would run them.\n"
    "\n"
    "Prints `PASS rule case` or `FAIL rule case` with the field, expected\n"
    "and actual values and the first differing position; ends with\n"
    "`N passed, N failed`.\n"
    "\n"
    "options:\n"
    "  --update   rewrite the golden files of cases that use one\n"
    "\n"
    "exit: 0 all passed, 3 some case failed, 2 usage or a rule that does\n"
    "not load.\n";

const char pipe_lint_help[] =
    "usage: pipe lint [SCRIPT|DIR]...\n"
    "\n"
    "Check rule files (default: scripts/sites/) without running a page\n"
    "through them, then against their own fixture pages: unknown keys, bad\n"
    "selectors or patterns, selectors that match nothing in any fixture,\n"
    "fields that only a fallback source ever fills, rules without tests.\n"
    "Prints one line per finding: `RULE: message`.\n"
    "\n"
    "exit: 0 no findings, 1 findings, 2 usage.\n";

/* write(s): to stdout (print goes to stderr in the sandbox) */
static int test_write(lua_State *L)
{
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    fwrite(s, 1, n, stdout);
    fflush(stdout);
    return 0;
}

/* set_option(name, value): pipe.options is read-only for scripts; the
 * test runner sets a case's url and --explain through this */
static int test_set_option(lua_State *L)
{
    luaL_checkstring(L, 1);
    lua_settop(L, 2);
    pipe_lua_set_option(L, lua_tostring(L, 1));
    return 0;
}

/* write_file(path, s) -> true | nil, msg   (only for --update) */
static int test_write_file(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    size_t n;
    const char *s = luaL_checklstring(L, 2, &n);
    FILE *f = fopen(path, "wb");
    if (!f)
        return luaL_fileresult(L, 0, path);
    size_t w = fwrite(s, 1, n, f);
    int bad = w != n;
    bad |= fclose(f) != 0;
    if (bad)
        return luaL_fileresult(L, 0, path);
    lua_pushboolean(L, 1);
    return 1;
}

/* Add the rule files named by `path` (a file, or the *.lua in a dir) to
 * the Lua list at the top of the stack. */
static int collect(lua_State *L, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    if (!S_ISDIR(st.st_mode)) {
        lua_pushstring(L, path);
        lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
        return 0;
    }
    DIR *d = opendir(path);
    if (!d)
        return -1;
    lua_newtable(L);
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n > 4 && e->d_name[0] != '.' && !strcmp(e->d_name + n - 4, ".lua")) {
            size_t pl = strlen(path);
            lua_pushfstring(L, "%s%s%s", path,
                            pl && path[pl - 1] == '/' ? "" : "/", e->d_name);
            lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
        }
    }
    closedir(d);
    pipe_lua_sort(L, -1);
    lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, -1, i);
        lua_rawseti(L, -3, (lua_Integer)lua_rawlen(L, -3) + 1);
    }
    lua_pop(L, 1);
    return 0;
}

static int drive(pipe_host *host, int argc, char **argv, const char *what)
{
    int update = 0, n = 0;
    char **paths = calloc((size_t)argc + 1, sizeof *paths);
    if (!paths)
        return pipe_host_usage(host, "out of memory");
    for (int i = 1; i < argc; i++) {
        if (!strcmp(what, "test") && !strcmp(argv[i], "--update"))
            update = 1;
        else if (argv[i][0] == '-' && argv[i][1]) {
            free(paths);
            return pipe_host_usage(host, "%s: unknown option '%s' (see pipe "
                                   "help %s)", what, argv[i], what);
        } else
            paths[n++] = argv[i];
    }
    if (n == 0)
        paths[n++] = "scripts/sites";
    host->lua.script = paths[0];
    struct stat st;
    if (stat(paths[0], &st) == 0 && S_ISDIR(st.st_mode)) {
        /* a directory: its root is found from a file inside it */
        size_t l = strlen(paths[0]) + 8;
        char *probe = malloc(l);
        if (probe) {
            snprintf(probe, l, "%s/x.lua", paths[0]);
            host->lua.root = pipe_script_root(probe);
            free(probe);
        }
    }
    lua_State *L = pipe_host_lua(host);
    if (!L) {
        free(paths);
        return PIPE_EXIT_USAGE;
    }
    int code = PIPE_EXIT_OK;
    lua_newtable(L);
    for (int i = 0; i < n; i++)
        if (collect(L, paths[i]) != 0) {
            code = pipe_host_usage(host, "%s: cannot read '%s'", what, paths[i]);
            break;
        }
    free(paths);
    if (code != PIPE_EXIT_OK)
        return code;
    int files = lua_gettop(L);
    lua_getglobal(L, "require");
    lua_pushliteral(L, "lib.test");
    if (pipe_lua_call(L, 1, 1) != LUA_OK)
        return pipe_host_usage(host, "%s", lua_tostring(L, -1));
    lua_getfield(L, -1, what);
    lua_pushvalue(L, files);
    lua_createtable(L, 0, 3);
    lua_pushboolean(L, update);
    lua_setfield(L, -2, "update");
    lua_pushcfunction(L, test_write);
    lua_setfield(L, -2, "write");
    lua_pushcfunction(L, test_set_option);
    lua_setfield(L, -2, "set_option");
    if (update) {
        lua_pushcfunction(L, test_write_file);
        lua_setfield(L, -2, "write_file");
    }
    if (pipe_lua_call(L, 2, 1) != LUA_OK)
        return pipe_host_usage(host, "%s", lua_tostring(L, -1));
    code = (int)lua_tointeger(L, -1);
    lua_settop(L, 0);
    return code;
}

int pipe_cmd_test(pipe_host *host, int argc, char **argv)
{
    return drive(host, argc, argv, "test");
}

int pipe_cmd_lint(pipe_host *host, int argc, char **argv)
{
    return drive(host, argc, argv, "lint");
}
