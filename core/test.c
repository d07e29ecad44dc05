/*
 * `pipe test` and `pipe lint`: run the test cases that rule files declare,
 * and check rules against their fixtures.  The logic lives in
 * scripts/lib/test.lua; this file collects the rule files, hands them over
 * with the two capabilities the sandbox otherwise lacks (writing stdout and,
 * for --update, golden files), and turns the verdict into an exit code.
 */
#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <lauxlib.h>

#include "core.h"

const char pipe_test_help[] =
    "usage: pipe test [--update] [--rules DIR]... [SCRIPT|DIR]...\n"
    "\n"
    "Run the test cases that rule files declare in their `tests` list\n"
    "(default: every rule in scripts/sites/, else in pipe's own scripts).\n"
    "Each case names a fixture page (relative to the current directory, to\n"
    "the rule file or to the scripts tree's parent), an optional url and\n"
    "now, and expectations per field: an exact value, or checks\n"
    "{contains=, not_contains=, starts_with=, ends_with=, matches=PCRE,\n"
    "count=N, absent=true, equals=TABLE}; or a golden JSON file.\n"
    "Pages run through scripts/site.lua when the rule lives beside one, as\n"
    "`pipe run` would run them.\n"
    "\n"
    "Prints `PASS rule case` or `FAIL rule case` with the field, expected\n"
    "and actual values (invisible characters escaped: \\u{00A0}) and the\n"
    "first differing position; ends with `N passed, N failed`.  An unknown\n"
    "check or case key, and a case without expectations, fail the case.\n"
    "\n"
    "A FiveFilters config (*.txt) is compiled like site.lua compiles it;\n"
    "its test_url cases need the network and are reported as SKIP.\n"
    "\n"
    "options:\n"
    "  --update     rewrite the golden files of cases that use one\n"
    "  --rules DIR  a rule directory (Lua rules, FiveFilters configs) to\n"
    "               test, ahead of the shipped ones; repeatable, also\n"
    "               PIPE_RULES; without SCRIPT|DIR: scripts/sites/ and these\n"
    "\n"
    "exit: 0 all passed, 3 some case failed, 2 usage or a rule that does\n"
    "not load.\n";

const char pipe_lint_help[] =
    "usage: pipe lint [--rules DIR]... [SCRIPT|DIR]...\n"
    "\n"
    "Check rule files (default: scripts/sites/ and every --rules DIR, else\n"
    "pipe's own): first as they load (unknown keys, bad selectors or\n"
    "patterns), then on the rule's own fixture pages (its tests' pages):\n"
    "selectors that match nothing in any of them (literal ones in the\n"
    "rule's functions too; sources marked {SEL, fallback = true} are\n"
    "exempt), fields that only a fallback source ever fills, fields under\n"
    "another name than the standard one (author for authors), rules\n"
    "without tests.  Prints one line per finding: `RULE: message`.\n"
    "\n"
    "FiveFilters configs (*.txt) get `FILE:LINE: message` findings: XPath\n"
    "that does not compile, unknown directives (Full-Text RSS ignores typos\n"
    "such as `titl:` silently), directives pipe ignores offline (login_*,\n"
    "http_header) or can only check online (test_url), and what it does not\n"
    "honour.\n"
    "\n"
    "exit: 0 no findings, 1 findings, 2 usage.\n";

const char pipe_import_help[] =
    "usage: pipe import ftr [-o DIR] FILE...\n"
    "\n"
    "Print each FiveFilters site config FILE as an equivalent Lua rule: one\n"
    "directive, one rule line, comments kept, the lines global.txt adds\n"
    "marked (global.txt beside FILE, else the shipped one).  The rule gives\n"
    "the record the config gives in scripts/site.lua; edit it from there.\n"
    "\n"
    "options:\n"
    "  -o DIR   write DIR/NAME.lua for each FILE (dots in the host become\n"
    "           underscores: theguardian.com.txt -> theguardian_com.lua)\n"
    "           instead of printing\n"
    "\n"
    "example:\n"
    "  pipe import ftr scripts/sites/ftr/theguardian.com.txt > "
    "scripts/sites/theguardian.lua\n"
    "\n"
    "exit: 0 done, 1 a FILE that does not convert (named), 2 usage.\n";

/* write(s): to stdout (print goes to stderr in the sandbox) */
static int test_write(lua_State *L)
{
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    fwrite(s, 1, n, stdout);
    fflush(stdout);
    return 0;
}

/* realpath(path) -> absolute path | nil: to tell whether a rule file lies
 * in the scripts tree however both were named (`pipe test sites/` inside
 * scripts/) */
static int test_realpath(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    char real[PATH_MAX];
    if (!realpath(path, real))
        return 0;
    lua_pushstring(L, real);
    return 1;
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

/* A rule file name: *.lua, or *.txt (a FiveFilters config) except the
 * licence and readme files FiveFilters ships beside them. */
static int rule_file(const char *name)
{
    size_t n = strlen(name);
    if (n <= 4 || (name[0] == '.' && strcmp(name + n - 4, ".txt") != 0))
        return 0;
    if (!strcmp(name + n - 4, ".lua"))
        return 1;
    return !strcmp(name + n - 4, ".txt") && strcmp(name, "LICENSE.txt") &&
           strcmp(name, "README.txt");
}

/* Add the rule files named by `path` (a file, or the rule files of a dir)
 * to the Lua list at the top of the stack. */
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
        if (rule_file(e->d_name)) {
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

/* The directory part of path ("." for a bare name), malloc'd. */
static char *dir_of(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return strdup(path);
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    char *d = malloc((size_t)(slash - path) + 1);
    if (d) {
        memcpy(d, path, (size_t)(slash - path));
        d[slash - path] = '\0';
    }
    return d;
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* pipe test / lint / import: collect the rule files, open a state whose
 * rule directories (pipe.rules) are the --rules ones and those of the
 * files (so their fixtures and global.txt are readable), and hand over to
 * lib/test.lua. */
static int drive(pipe_host *host, int argc, char **argv, const char *what)
{
    int update = 0, import = !strcmp(what, "import"), n = 0, i = 1, m;
    size_t nrules = 0, ndirs = 0;
    const char *v = NULL, *outdir = NULL;
    char **paths = calloc((size_t)argc + 2, sizeof *paths);
    const char **rules = calloc((size_t)argc * 2 + 2, sizeof *rules);
    char **dirs = calloc((size_t)argc + 2, sizeof *dirs);
    int code = PIPE_EXIT_OK;
    if (!paths || !rules || !dirs) {
        code = pipe_host_usage(host, "out of memory");
        goto done;
    }
    if (import) {
        if (argc < 2 || strcmp(argv[1], "ftr") != 0) {
            code = pipe_host_usage(host, "import: want `pipe import ftr FILE...` "
                                   "(see pipe help import)");
            goto done;
        }
        i = 2;
    }
    for (; i < argc; i++) {
        if (!strcmp(what, "test") && !strcmp(argv[i], "--update")) {
            update = 1;
            continue;
        }
        m = import ? pipe_host_opt(argc, argv, &i, "-o", &v)
                   : pipe_host_opt(argc, argv, &i, "--rules", &v);
        if (m == -1) {
            code = pipe_host_usage(host, "%s: option '%s' needs a value", what,
                                   argv[i]);
            goto done;
        }
        if (m == 1) {
            if (import)
                outdir = v;
            else
                rules[nrules++] = v;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            code = pipe_host_usage(host, "%s: unknown option '%s' (see pipe "
                                   "help %s)", what, argv[i], what);
            goto done;
        } else {
            paths[n++] = argv[i];
        }
    }
    if (import && n == 0) {
        code = pipe_host_usage(host, "import: no FILE (see pipe help import)");
        goto done;
    }
    if (outdir && !is_dir(outdir)) {
        code = pipe_host_usage(host, "import: -o '%s': not a directory", outdir);
        goto done;
    }
    /* no arguments: the rule directories given, then the rules here, else
     * pipe's own (an installed pipe run from any directory) */
    char own[PATH_MAX + 8];
    if (n == 0) {
        for (size_t k = 0; k < nrules; k++)
            paths[n++] = (char *)rules[k];
        const char *env = getenv("PIPE_RULES");
        char dir[PATH_MAX];
        if (is_dir("scripts/sites"))
            paths[n++] = "scripts/sites";
        else if (n == 0 && !(env && *env) &&
                 pipe_builtin_scripts(dir, sizeof dir) == 0) {
            snprintf(own, sizeof own, "%s/sites", dir);
            paths[n++] = own;
        } else if (n == 0)
            paths[n++] = "scripts/sites";
    }
    for (int k = 0; k < n; k++) {
        dirs[ndirs] = dir_of(paths[k]);
        if (dirs[ndirs] && is_dir(dirs[ndirs]))
            rules[nrules++] = dirs[ndirs];
        ndirs++;
    }
    host->lua.script = paths[0];
    host->lua.rules = rules;
    host->lua.nrules = nrules;
    char bdir[PATH_MAX];
    if (import && pipe_builtin_scripts(bdir, sizeof bdir) == 0) {
        /* lib/ftr and the shipped global.txt */
        host->lua.root = strdup(bdir);
    } else if (is_dir(paths[0])) {
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
        code = PIPE_EXIT_USAGE;
        goto done;
    }
    lua_newtable(L);
    for (int k = 0; k < n; k++)
        if (collect(L, paths[k]) != 0) {
            code = pipe_host_usage(host, "%s: cannot read '%s'", what, paths[k]);
            goto done;
        }
    int files = lua_gettop(L);
    lua_getglobal(L, "require");
    lua_pushliteral(L, "lib.test");
    if (pipe_lua_call(L, 1, 1) != LUA_OK) {
        code = pipe_host_usage(host, "%s", lua_tostring(L, -1));
        goto done;
    }
    lua_getfield(L, -1, what);
    lua_pushvalue(L, files);
    lua_createtable(L, 0, 4);
    lua_pushboolean(L, update);
    lua_setfield(L, -2, "update");
    lua_pushcfunction(L, test_write);
    lua_setfield(L, -2, "write");
    lua_pushcfunction(L, test_realpath);
    lua_setfield(L, -2, "realpath");
    lua_pushcfunction(L, test_set_option);
    lua_setfield(L, -2, "set_option");
    if (update || outdir) {
        lua_pushcfunction(L, test_write_file);
        lua_setfield(L, -2, "write_file");
    }
    if (outdir) {
        lua_pushstring(L, outdir);
        lua_setfield(L, -2, "outdir");
    }
    if (pipe_lua_call(L, 2, 1) != LUA_OK) {
        code = pipe_host_usage(host, "%s", lua_tostring(L, -1));
        goto done;
    }
    code = (int)lua_tointeger(L, -1);
    lua_settop(L, 0);
done:
    host->lua.rules = NULL;
    host->lua.nrules = 0;
    for (size_t k = 0; dirs && k < ndirs; k++)
        free(dirs[k]);
    free(dirs);
    free(rules);
    free(paths);
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

int pipe_cmd_import(pipe_host *host, int argc, char **argv)
{
    return drive(host, argc, argv, "import");
}
