/*
 * A test plugin loaded from a shared object (tests/e2e/plugins.sh): one
 * source, built as a good plugin ("probe") and, with -DBROKEN_..., as the
 * broken ones the loader must refuse with a clear message.
 *
 * The good one uses the host from outside: a Lua function and a stage
 * command, the html service (parsing and text, through pipe/html.h), a
 * box and a buffer (pipe/util.h), the JSON conversion (pipe/json.h), the
 * init hook (its effect must be in every worker) and the close hook.
 *
 * Caveats: `init_ran` is the mutable C global a plugin must not keep; here
 * it is the point of the test (what init did in the supervisor is seen in
 * the forked workers), and it is written once, before any worker exists.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "pipe/html.h"
#include "pipe/json.h"
#include "pipe/plugin.h"
#include "pipe/util.h"

static int init_ran;

static void probe_init(void)
{
    init_ran = 1;
}

static void probe_close(lua_State *L)
{
    (void)L;
    fputs("probe: state closed\n", stderr);
}

/* -- probe.text(html) -> the page's text, through the html service */
static int probe_text(lua_State *L)
{
    size_t len, n = 0;
    const char *s = luaL_checklstring(L, 1, &len);
    char *err = NULL;
    xmlDocPtr doc = pipe_html_parse(s, len, NULL, &err);
    if (!doc) {
        lua_pushstring(L, err ? err : "out of memory");
        free(err);
        return lua_error(L);
    }
    pipe_box *b = pipe_box_new(L, free);
    b->p = pipe_html_strip((xmlNodePtr)doc, 0, &n);
    xmlFreeDoc(doc);
    if (!b->p)
        return luaL_error(L, "out of memory");
    lua_pushlstring(L, b->p, n);
    pipe_box_done(b);
    return 1;
}

/* -- probe.info() -> {init = did init run in this process, abi = "2"},
 * through the host's JSON conversion */
static int probe_info(lua_State *L)
{
    json_t *v = json_pack("{s:b, s:s}", "init", init_ran, "abi", "2");
    if (!v)
        return luaL_error(L, "out of memory");
    pipe_json_push(L, v);
    json_decref(v);
    return 1;
}

/* -- probe.count(node) -> number of element children (the Node API) */
static int probe_count(lua_State *L)
{
    xmlNodePtr node = pipe_html_check_node(L, 1);
    lua_Integer n = 0;
    for (xmlNodePtr c = node->children; c; c = c->next)
        n += c->type == XML_ELEMENT_NODE;
    lua_pushinteger(L, n);
    return 1;
}

/* -- probe.crash() -> never returns: the process dies from SIGABRT, as
 * when a C library finds its heap corrupted (tests/e2e/pool.sh) */
static int probe_crash(lua_State *L)
{
    (void)L;
    raise(SIGABRT);
    return 0;
}

static const luaL_Reg probe_funcs[] = {
    {"text", probe_text},
    {"crash", probe_crash},
    {"info", probe_info},
    {"count", probe_count},
    {NULL, NULL},
};

static int probe_open(lua_State *L)
{
    luaL_newlib(L, probe_funcs);
    return 1;
}

/* `pipe probe-lines [INPUT...]`: each line as "SOURCE: LEN BYTES pid=P
 * init=I", through the worker pool's line mode */
static int line_fn(pipe_host *host, const pipe_input *in, void *ud)
{
    (void)ud;
    pipe_buf b = {0};
    char tmp[64];
    snprintf(tmp, sizeof tmp, ": %zu init=%d\n", in->len, init_ran);
    pipe_buf_add(&b, in->source, strlen(in->source));
    pipe_buf_add(&b, tmp, strlen(tmp));
    if (b.oom) {
        pipe_buf_free(&b);
        pipe_host_fail(host, in->source, "out of memory");
        return -1;
    }
    if (in->len && in->data[0] == '!') {
        pipe_buf_free(&b);
        pipe_host_fail(host, in->source, "line starts with '!'");
        return -1;
    }
    fwrite(b.p, 1, b.len, pipe_host_out(host));
    pipe_buf_free(&b);
    pipe_host_flush(host);
    return 0;
}

static const char lines_help[] =
    "usage: pipe probe-lines [OPTIONS] [INPUT...]\n"
    "\n"
    "Print each input line's source and length.\n"
    "\n"
    "options:\n" PIPE_COMMON_HELP;

static int lines_main(pipe_host *host, int argc, char **argv)
{
    char *inputs[64];
    int n = 0;
    if (argc > 64)
        return pipe_host_usage(host, "probe-lines: too many arguments");
    const pipe_opt none[] = {{NULL, NULL, 0, NULL, 0, NULL}};
    int rc = pipe_host_parse(host, "probe-lines", lines_help, none, argc, argv,
                             inputs, &n);
    if (rc != PIPE_OPTS_OK)
        return rc;
    return pipe_host_each_line(host, inputs, n, NULL, line_fn, NULL);
}

static const pipe_command probe_commands[] = {
#ifdef BROKEN_COMMAND
    {"strip", "a second strip", lines_help, lines_main},
#endif
    {"probe-lines", "print each line's source and length", lines_help,
     lines_main},
    {NULL, NULL, NULL, NULL},
};

static const char *const probe_names[] = {"text", "info", "count", "crash",
                                         NULL};

#ifdef BROKEN_NEEDS
static const char *const probe_requires[] = {"html", "nosuch", NULL};
#else
static const char *const probe_requires[] = {"html", NULL};
#endif

#ifdef BROKEN_UNDEFINED
/* core-internal, not in the exported host API: the load must fail */
void *pipe_lua_new(const void *o, char **err);
static void *use_internal(void) __attribute__((used));
static void *use_internal(void)
{
    return pipe_lua_new(NULL, NULL);
}
#endif

#ifdef BROKEN_NO_ENTRY
#define ENTRY probe_entry /* exported, but not under the name pipe wants */
#else
#define ENTRY pipe_plugin_entry
#endif
PIPE_PLUGIN_EXPORT const pipe_plugin ENTRY = {
#ifdef BROKEN_ABI
    .abi = PIPE_PLUGIN_ABI + 1,
    .size = sizeof(pipe_plugin),
#else
    PIPE_PLUGIN_HEAD,
#endif
#if defined(BROKEN_NAME)
    .name = "string",
#elif defined(BROKEN_DUPLICATE)
    .name = "html",
#else
    .name = "probe",
#endif
    .summary = "a test plugin from a shared object",
    .open = probe_open,
    .lua_names = probe_names,
    .commands = probe_commands,
    .init = probe_init,
    .close = probe_close,
    .requires = probe_requires,
};
