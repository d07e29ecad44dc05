/*
 * Host tests: the sandbox, require confinement, limits, traceback messages,
 * option helpers.  Also provides pipe_test_lua()/pipe_test_dostring() for
 * the other suites.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <unistd.h>
#include <zlib.h>

#include "core.h"
#include "suites.h"

lua_State *pipe_test_lua(void)
{
    pipe_lua_opts o = {0};
    o.max_memory = (size_t)256 << 20;
    o.max_steps = 100000000UL;
    o.root = (char *)PIPE_SOURCE_SCRIPTS;
    char *err = NULL;
    lua_State *L = pipe_lua_new(&o, &err);
    if (!L) {
        fprintf(stderr, "pipe_lua_new: %s\n", err ? err : "?");
        free(err);
        abort();
    }
    return L;
}

const char *pipe_test_dostring(lua_State *L, const char *code)
{
    static char msg[2048];
    if (luaL_loadbufferx(L, code, strlen(code), "=test", "t") != LUA_OK ||
        pipe_lua_call(L, 0, LUA_MULTRET) != LUA_OK) {
        snprintf(msg, sizeof msg, "%s", lua_tostring(L, -1));
        lua_pop(L, 1);
        return msg;
    }
    return NULL;
}

/* show(...) joins its arguments' tostring() with "|". */
static const char show_lua[] =
    "local function show(...)\n"
    "  local t = {}\n"
    "  for i = 1, select('#', ...) do t[i] = tostring((select(i, ...))) end\n"
    "  return table.concat(t, '|')\n"
    "end\n"
    "return ";

void pipe_test_case(const lua_case *c)
{
    lua_State *L = pipe_test_lua();
    size_t n = strlen(show_lua) + strlen(c->code) + 1;
    char *code = malloc(n);
    ck_assert_ptr_nonnull(code);
    snprintf(code, n, "%s%s", show_lua, c->code);
    const char *err = pipe_test_dostring(L, code);
    free(code);
    ck_assert_msg(err == NULL, "%s: raised %s", c->code, err);
    const char *got = lua_tostring(L, -1);
    ck_assert_msg(got && strcmp(got, c->want) == 0,
                  "%s\n  want: %s\n  got:  %s", c->code, c->want,
                  got ? got : "(not a string)");
    pipe_lua_close(L);
}

/* Run code that must return one string; compare it. */
static void expect_lua(lua_State *L, const char *code, const char *want)
{
    int top = lua_gettop(L);
    const char *err = pipe_test_dostring(L, code);
    ck_assert_msg(err == NULL, "%s: %s", code, err);
    ck_assert_int_eq(lua_gettop(L), top + 1);
    const char *got = lua_tostring(L, -1);
    ck_assert_msg(got && strcmp(got, want) == 0, "%s: got '%s', want '%s'",
                  code, got ? got : "(not a string)", want);
    lua_settop(L, top);
}

static void expect_error(lua_State *L, const char *code, const char *needle)
{
    const char *err = pipe_test_dostring(L, code);
    ck_assert_msg(err != NULL, "%s: expected an error", code);
    ck_assert_msg(strstr(err, needle) != NULL, "%s: error '%s' lacks '%s'",
                  code, err, needle);
}

START_TEST(sandbox_denies)
{
    lua_State *L = pipe_test_lua();
    expect_lua(L, "return type(os)", "nil");
    expect_lua(L, "return type(io)", "nil");
    expect_lua(L, "return type(debug)", "nil");
    expect_lua(L, "return type(package)", "nil");
    expect_lua(L, "return type(dofile) .. type(loadfile)", "nilnil");
    expect_error(L, "os.execute('true')", "attempt to index a nil value");
    expect_error(L, "io.open('/tmp/x', 'w')", "attempt to index a nil value");
    /* load: text only */
    expect_lua(L, "local f = load('return 1 + 1'); return tostring(f())", "2");
    expect_lua(L, "return select(2, load(string.dump(function() end)))",
               "attempt to load a binary chunk (mode is 't')");
    expect_lua(L, "return type(string) .. type(table) .. type(math) .. "
                  "type(utf8) .. type(coroutine)",
               "tabletabletabletabletable");
    expect_lua(L, "return type(html) .. type(re) .. type(text) .. type(json) "
                  ".. type(pipe)",
               "tabletabletabletabletable");
    pipe_lua_close(L);
}
END_TEST

START_TEST(require_confined)
{
    lua_State *L = pipe_test_lua();
    expect_error(L, "require('../etc/passwd')", "bad module name");
    expect_error(L, "require('no.such.module')", "module 'no.such.module' not found");
    expect_error(L, "require('/etc/passwd')", "bad module name");
    expect_lua(L, "return tostring(require('html') == html)", "true");
    pipe_lua_close(L);
}
END_TEST

START_TEST(step_limit)
{
    pipe_lua_opts o = {0};
    o.max_steps = 100000;
    o.root = (char *)".";
    char *err = NULL;
    lua_State *L = pipe_lua_new(&o, &err);
    ck_assert_ptr_nonnull(L);
    /* pcall inside the script cannot swallow the kill */
    expect_error(L, "while true do pcall(function() while true do end end) end",
                 "exceeded the instruction limit");
    /* the budget is renewed per call */
    expect_lua(L, "return 'ok'", "ok");
    pipe_lua_close(L);
}
END_TEST

START_TEST(memory_limit)
{
    pipe_lua_opts o = {0};
    o.max_memory = (size_t)8 << 20;
    o.root = (char *)".";
    char *err = NULL;
    lua_State *L = pipe_lua_new(&o, &err);
    ck_assert_ptr_nonnull(L);
    expect_error(L, "local t = {} for i = 1, 1e8 do t[i] = ('x'):rep(100) .. i end",
                 "not enough memory");
    expect_lua(L, "collectgarbage() return 'alive'", "alive");
    pipe_lua_close(L);
}
END_TEST

START_TEST(traceback_names_line)
{
    lua_State *L = pipe_test_lua();
    expect_error(L, "local x = nil\nlocal function f() return x.y end\nreturn f()",
                 "test:2: attempt to index a nil value (upvalue 'x')");
    expect_error(L, "error('boom')", "stack traceback:");
    pipe_lua_close(L);
}
END_TEST

static const struct {
    const char *in;
    int ok;
    size_t want;
} sizes[] = {
    {"4096", 0, 4096},    {"64M", 0, (size_t)64 << 20}, {"1G", 0, (size_t)1 << 30},
    {"2k", 0, 2048},      {"10MB", 0, (size_t)10 << 20}, {"", -1, 0},
    {"-5", -1, 0},        {"12X", -1, 0},               {"M", -1, 0},
};

START_TEST(parse_size)
{
    size_t got = 0;
    int rc = pipe_parse_size(sizes[_i].in, &got);
    ck_assert_msg(rc == sizes[_i].ok, "'%s': rc %d", sizes[_i].in, rc);
    if (rc == 0)
        ck_assert_uint_eq(got, sizes[_i].want);
}
END_TEST

/* pipe_host_opt: argv (NULL-terminated), option, takes a value?, want
 * return, want value, want index after */
static const struct {
    const char *argv[4];
    const char *opt;
    int takes, rc;
    const char *val;
    int next;
} opts[] = {
    {{"--url", "http://x/", NULL}, "--url", 1, 1, "http://x/", 1},
    {{"--url=http://x/", NULL}, "--url", 1, 1, "http://x/", 0},
    {{"--url=", NULL}, "--url", 1, 1, "", 0},
    {{"--url", NULL}, "--url", 1, -1, NULL, 0},
    {{"--urlx", NULL}, "--url", 1, 0, NULL, 0},
    {{"--explain", NULL}, "--explain", 0, 1, NULL, 0},
    {{"--explain=1", NULL}, "--explain", 0, 0, NULL, 0},
    {{"-g2", NULL}, "-g", 1, 1, "2", 0},
    {{"-g", "name", NULL}, "-g", 1, 1, "name", 1},
    {{"--from", "-", NULL}, "--from", 1, 1, "-", 1},
};

START_TEST(host_opt)
{
    int argc = 0;
    while (opts[_i].argv[argc])
        argc++;
    int i = 0;
    const char *val = NULL;
    int rc = pipe_host_opt(argc, (char **)opts[_i].argv, &i, opts[_i].opt,
                           opts[_i].takes ? &val : NULL);
    ck_assert_int_eq(rc, opts[_i].rc);
    ck_assert_int_eq(i, opts[_i].next);
    if (opts[_i].val)
        ck_assert_str_eq(val, opts[_i].val);
}
END_TEST

/* pipe_host_parse: argv, want return, want the parsed state (see
 * parse_dump), want the message on stderr */
static int parse_even(const char *v, void *var)
{
    char *end;
    long n = strtol(v, &end, 10);
    if (*end || end == v || n % 2)
        return -1;
    *(long *)var = n;
    return 0;
}

static int parse_kv(const char *v, void *var)
{
    (void)var;
    return strchr(v, '=') ? 0 : -1;
}

static const struct {
    const char *argv[9];
    int rc;
    const char *state, *err;
} parses[] = {
    {{"cmd", "a", "b", NULL}, PIPE_OPTS_OK,
     "json=0 names=-1 bits=0 from=- even=0 pos=a,b set= jobs=4", ""},
    {{"cmd", "--json", "x", "-H", "--from", "F", "y", NULL}, PIPE_OPTS_OK,
     "json=1 names=1 bits=0 from=F even=0 pos=x,y set= jobs=4", ""},
    {{"cmd", "-H", "--no-filename", "-i", "--dotall", "--from=G", NULL},
     PIPE_OPTS_OK, "json=0 names=0 bits=5 from=G even=0 pos= set= jobs=4",
     ""},
    {{"cmd", "--even", "42", "--set", "a=1", "--set=b=2", "-j", "2", NULL},
     PIPE_OPTS_OK, "json=0 names=-1 bits=0 from=- even=42 pos= set=a=1|b=2 "
     "jobs=2", ""},
    {{"cmd", "-", "--", "--json", "-H", NULL}, PIPE_OPTS_OK,
     "json=0 names=-1 bits=0 from=- even=0 pos=-,--json,-H set= jobs=4", ""},
    {{"cmd", "-gx", NULL}, PIPE_OPTS_OK,
     "json=0 names=-1 bits=0 from=x even=0 pos= set= jobs=4", ""},
    {{"cmd", "--bogus", NULL}, PIPE_EXIT_USAGE, NULL,
     "pipe: cmd: unknown option '--bogus' (see pipe help cmd)\n"},
    {{"cmd", "--jsonx", NULL}, PIPE_EXIT_USAGE, NULL,
     "pipe: cmd: unknown option '--jsonx' (see pipe help cmd)\n"},
    {{"cmd", "x", "--from", NULL}, PIPE_EXIT_USAGE, NULL,
     "pipe: cmd: option '--from' needs a value\n"},
    {{"cmd", "--even=3", NULL}, PIPE_EXIT_USAGE, NULL,
     "pipe: cmd: bad value '3' for --even=3\n"},
    {{"cmd", "--set", "novalue", NULL}, PIPE_EXIT_USAGE, NULL,
     "pipe: cmd: bad value 'novalue' for --set\n"},
    {{"cmd", "-j", "zero", NULL}, PIPE_EXIT_USAGE, NULL,
     "pipe: cmd: bad value 'zero' for -j\n"},
    {{"cmd", "a", "--help", "--bogus", NULL}, PIPE_EXIT_OK, NULL, ""},
    {{"cmd", "--plugin", "x.so", NULL}, PIPE_EXIT_USAGE, NULL,
     "pipe: cmd: --plugin is a global option: put it before the command "
     "(pipe --plugin FILE cmd ...)\n"},
};

START_TEST(host_parse)
{
    pipe_host host;
    pipe_host_init(&host);
    host.pool.jobs = 4;
    char *err = NULL, *out = NULL;
    size_t errn = 0, outn = 0;
    host.err = open_memstream(&err, &errn);
    host.out = open_memstream(&out, &outn);
    int argc = 0;
    while (parses[_i].argv[argc])
        argc++;
    int json = 0, names = -1, npos = 0;
    unsigned bits = 0;
    long even = 0;
    const char *from = "-";
    pipe_opt_list set = {NULL, 0};
    const pipe_opt table[] = {
        {"--json", NULL, PIPE_OPT_FLAG, &json, 0, NULL},
        {"--with-filename", "-H", PIPE_OPT_SET, &names, 1, NULL},
        {"--no-filename", NULL, PIPE_OPT_SET, &names, 0, NULL},
        {"--ignore-case", "-i", PIPE_OPT_BITS, &bits, 1, NULL},
        {"--dotall", "-s", PIPE_OPT_BITS, &bits, 4, NULL},
        {"--from", "-g", PIPE_OPT_VALUE, &from, 0, NULL},
        {"--even", NULL, PIPE_OPT_VALUE, &even, 0, parse_even},
        {"--set", NULL, PIPE_OPT_LIST, &set, 0, parse_kv},
        {NULL, NULL, 0, NULL, 0, NULL},
    };
    char *pos[9];
    int rc = pipe_host_parse(&host, "cmd", "usage: cmd\n", table, argc,
                             (char **)parses[_i].argv, pos, &npos);
    fclose(host.err);
    fclose(host.out);
    ck_assert_int_eq(rc, parses[_i].rc);
    ck_assert_str_eq(err, parses[_i].err);
    if (parses[_i].rc == PIPE_EXIT_OK)
        ck_assert_str_eq(out, "usage: cmd\n");
    if (parses[_i].state) {
        char got[512], list[128] = "", p[128] = "";
        for (int k = 0; k < npos; k++)
            snprintf(p + strlen(p), sizeof p - strlen(p), "%s%s",
                     k ? "," : "", pos[k]);
        for (size_t k = 0; k < set.n; k++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                     k ? "|" : "", set.v[k]);
        snprintf(got, sizeof got, "json=%d names=%d bits=%u from=%s even=%ld "
                 "pos=%s set=%s jobs=%d", json, names, bits, from, even, p,
                 list, host.pool.jobs);
        ck_assert_str_eq(got, parses[_i].state);
    }
    free(set.v);
    free(err);
    free(out);
}
END_TEST

static const struct {
    const char *script, *root;
} roots[] = {
    {"scripts/site.lua", "scripts"},
    {"scripts/sites/rbc_ua.lua", "scripts"},
    {"/opt/x/scripts/lib/a.lua", "/opt/x/scripts"},
    {"my.lua", "."},
    {"/tmp/foo/bar.lua", "/tmp/foo"},
};

START_TEST(script_root)
{
    char *r = pipe_script_root(roots[_i].script);
    ck_assert_str_eq(r, roots[_i].root);
    free(r);
}
END_TEST

/* pipe_read_file: a regular file read at its size, a gzip one inflated
 * (the direct read gives way to the reader), the --max-input limit at
 * its edge, an empty file, a directory. */
static void write_bytes(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(p, 1, n, f), n);
    fclose(f);
}

START_TEST(read_file)
{
    char dir[] = "/tmp/pipe-read-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char plain[64], gz[64], empty[64];
    snprintf(plain, sizeof plain, "%s/a.html", dir);
    snprintf(gz, sizeof gz, "%s/b.html.gz", dir);
    snprintf(empty, sizeof empty, "%s/c.html", dir);
    static const char page[] = "<p>one\0two</p>\n";   /* a NUL inside */
    write_bytes(plain, page, sizeof page - 1);
    write_bytes(empty, "", 0);
    gzFile g = gzopen(gz, "wb");
    ck_assert_ptr_nonnull(g);
    for (int i = 0; i < 3000; i++)
        gzprintf(g, "<p>line %d</p>\n", i);
    gzclose(g);
    char *data = NULL, *err = NULL;
    size_t len = 0;
    ck_assert_int_eq(pipe_read_file(plain, 1000, &data, &len, &err), 0);
    ck_assert_uint_eq(len, sizeof page - 1);
    ck_assert_mem_eq(data, page, sizeof page);   /* and the NUL after */
    free(data);
    /* exactly at the limit, and one byte over */
    ck_assert_int_eq(pipe_read_file(plain, sizeof page - 1, &data, &len,
                                    &err), 0);
    free(data);
    ck_assert_int_eq(pipe_read_file(plain, sizeof page - 2, &data, &len,
                                    &err), -1);
    ck_assert_str_eq(err, "input is larger than the 14 byte limit "
                          "(--max-input)");
    free(err);
    err = NULL;
    ck_assert_int_eq(pipe_read_file(gz, 1 << 20, &data, &len, &err), 0);
    ck_assert_uint_eq(len, 3000 * 13 + 10 * 1 + 90 * 2 + 900 * 3 + 2000 * 4);
    ck_assert_mem_eq(data, "<p>line 0</p>\n<p>line 1</p>\n", 28);
    ck_assert_str_eq(data + len - 17, "<p>line 2999</p>\n");
    free(data);
    ck_assert_int_eq(pipe_read_file(empty, 1000, &data, &len, &err), 0);
    ck_assert_uint_eq(len, 0);
    ck_assert_str_eq(data, "");
    free(data);
    ck_assert_int_eq(pipe_read_file(dir, 1000, &data, &len, &err), -1);
    ck_assert_str_eq(err, "is a directory");
    free(err);
    err = NULL;
    /* pipe_read_fd: from the start of the file whatever its offset (the
     * supervisor's sniff read some of it), the gzip reader too */
    const char *fd_paths[] = {plain, gz, empty};
    for (int k = 0; k < 3; k++) {
        int fd = open(fd_paths[k], O_RDONLY);
        ck_assert_int_ge(fd, 0);
        char head[5];
        ck_assert_int_eq(read(fd, head, sizeof head), k == 2 ? 0 : 5);
        ck_assert_int_eq(pipe_read_fd(fd, 1 << 20, &data, &len, &err), 0);
        char *want = NULL;
        size_t wlen = 0;
        ck_assert_int_eq(pipe_read_file(fd_paths[k], 1 << 20, &want, &wlen,
                                        &err), 0);
        ck_assert_uint_eq(len, wlen);
        ck_assert_mem_eq(data, want, wlen + 1);
        free(data);
        free(want);
    }
    int fd = open(plain, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(pipe_read_fd(fd, sizeof page - 2, &data, &len, &err), -1);
    ck_assert_str_eq(err, "input is larger than the 14 byte limit "
                          "(--max-input)");
    free(err);
    unlink(plain);
    unlink(gz);
    unlink(empty);
    rmdir(dir);
}
END_TEST

Suite *host_suite(void)
{
    Suite *s = suite_create("host");
    TCase *tc = tcase_create("sandbox");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, sandbox_denies);
    tcase_add_test(tc, require_confined);
    tcase_add_test(tc, step_limit);
    tcase_add_test(tc, memory_limit);
    tcase_add_test(tc, traceback_names_line);
    suite_add_tcase(s, tc);
    tc = tcase_create("cli");
    tcase_set_timeout(tc, 5);
    tcase_add_loop_test(tc, parse_size, 0, sizeof sizes / sizeof sizes[0]);
    tcase_add_loop_test(tc, script_root, 0, sizeof roots / sizeof roots[0]);
    tcase_add_loop_test(tc, host_opt, 0, sizeof opts / sizeof opts[0]);
    tcase_add_loop_test(tc, host_parse, 0, sizeof parses / sizeof parses[0]);
    tcase_add_test(tc, read_file);
    suite_add_tcase(s, tc);
    return s;
}
