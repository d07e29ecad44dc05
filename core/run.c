/*
 * `pipe run SCRIPT [INPUT...]`: load a script once, then call it for every
 * page (or, with --records, for every NDJSON record) and print the records
 * it returns.
 *
 * Caveats: a Document's tree lives on the C heap where Lua's collector
 * cannot see it, so after each page the collector is told how much was
 * allocated (an incremental step sized by the input); otherwise a long run
 * could keep many dead trees around.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <lauxlib.h>

#include "core.h"
#include "outdir.h"
#include "pipe/json.h"

const char pipe_run_help[] =
    "usage: pipe run [OPTIONS] SCRIPT [INPUT...]\n"
    "\n"
    "Run the Lua SCRIPT on each INPUT (a page: file, `-` for stdin, .gz read\n"
    "transparently) and print the records it returns: one JSON object per\n"
    "line (NDJSON), each with `source` (the input path) first.\n"
    "\n"
    "A WARC file (told by content) gives one page per HTML response:\n"
    "`source` is FILE#OFFSET, page.url the WARC-Target-URI, and records get\n"
    "`warc_id` and `fetched` (see docs/scale-out.md).\n"
    "\n"
    "SCRIPT returns a function (page) -> record | nil | {record...} (nil\n"
    "or an empty table: no record), or a\n"
    "rule table (see docs/rules.md).  scripts/site.lua picks the rule for a\n"
    "page's site.\n"
    "\n"
    "options:\n"
    "  --url URL          the page's URL (default: canonical link, og:url)\n"
    "  --now TIME         the time relative dates count from (ISO 8601;\n"
    "                     default: the record's `fetched`, else none)\n"
    "  --explain          add `explain`: which source produced each field\n"
    "  --encoding NAME    force the input encoding (default: detect)\n"
    "  --rules DIR        a directory of rule files (Lua rules, FiveFilters\n"
    "                     .txt configs) that scripts/site.lua consults before\n"
    "                     the shipped ones; repeatable, also PIPE_RULES\n"
    "                     (colon-separated), after the --rules ones\n"
    "  --set KEY=VALUE    set pipe.options.KEY for the script (true/false\n"
    "                     become booleans); e.g. --set no_generic=true makes\n"
    "                     scripts/site.lua fail on hosts without a rule\n"
    "  --records          inputs are NDJSON records, not pages: the page HTML\n"
    "                     is the record's `html` field, the whole record is\n"
    "                     page.record; returning nil drops a record, a list\n"
    "                     emits several\n"
    "  --html-field NAME  the record field holding HTML (default: html)\n"
    "  --format FMT       ndjson (default), json (pretty), text, tsv\n"
    "  --fields A,B       the fields to print, in this order (default: all;\n"
    "                     for text: body; for tsv: the first record's keys)\n"
    "  --from FILE        read input paths from FILE, one per line (- = stdin)\n"
    "  --output DIR       one whole file per input, DIR/NAME.ndjson.gz (NAME:\n"
    "                     the file name less its last extension), renamed\n"
    "                     into place when complete; inputs whose file exists\n"
    "                     are skipped; a summary at the end\n"
    "  --no-gzip          with --output: DIR/NAME.ndjson, not compressed\n"
    "  --force            with --output: redo inputs whose file exists\n"
    "  --unsafe           lift the sandbox: full Lua standard library (io, os,\n"
    "                     debug, package); only for scripts you trust\n"
    "  --max-steps N      Lua instructions per page (default: no limit; --timeout\n"
    "                     stops a runaway script)\n"
    PIPE_COMMON_HELP
    "\n"
    "A script error fails only that page: `pipe: SOURCE: FILE:LINE: message`\n"
    "with a short traceback on stderr; the other inputs are still processed\n"
    "and the exit code is 1.  A script that does not load exits with 2.\n"
    "\n"
    "examples:\n"
    "  pipe run scripts/site.lua tests/pages/paris-declaration.html\n"
    "  pipe run scripts/site.lua pages/*.html | pipe run "
    "scripts/examples/words.lua --records -\n";

typedef struct run_ctx {
    lua_State *L;
    int handler;              /* registry ref of the page function */
    const pipe_page_parser *parser; /* the "page-parser" service */
    const char *url, *encoding, *html_field;
    int records;
    pipe_output out;          /* what a worker writes: ndjson, or json */
    pipe_output final;        /* tsv, text: formatted in order (filter) */
} run_ctx;

/* Turn what the chunk returned into a page function: a function as is, a
 * rule table through lib/rules.lua (validated now, so a bad rule stops the
 * run before any page). */
static const char resolve_lua[] =
    "local main, script = ...\n"
    "if type(main) == 'function' then return main end\n"
    "if type(main) == 'table' then\n"
    "  local rules = require 'lib.rules'\n"
    "  local rule = rules.load(main, script)\n"
    "  return function(page) return rules.apply(rule, page) end\n"
    "end\n"
    "error(script .. ': a script must return a function or a rule table, got '"
    " .. type(main), 0)\n";

/* Set field `k` of the table at idx to `v` unless the script set it. */
static void default_field(lua_State *L, int idx, const char *k, const char *v)
{
    if (!v)
        return;
    if (lua_getfield(L, idx, k) == LUA_TNIL) {
        lua_pushstring(L, v);
        lua_setfield(L, idx, k);
    }
    lua_pop(L, 1);
}

static void emit_one(pipe_host *host, run_ctx *c, const char *source,
                     const pipe_input *in, int idx)
{
    lua_State *L = c->L;
    default_field(L, idx, "source", source);
    if (in) {
        /* a page of an archive: which record, fetched when */
        default_field(L, idx, "warc_id", in->warc_id);
        default_field(L, idx, "fetched", in->fetched);
    }
    char *err = NULL;
    if (pipe_output_record(host, &c->out, L, idx, &err) != 0) {
        pipe_host_fail(host, source, "cannot output the record: %s",
                       err ? err : "?");
        free(err);
    }
}

/* The script's result is on top of the stack. */
static void emit(pipe_host *host, run_ctx *c, const char *source,
                 const pipe_input *in)
{
    lua_State *L = c->L;
    int top = lua_gettop(L);
    if (lua_isnil(L, top))
        return;
    if (!lua_istable(L, top)) {
        pipe_host_fail(host, source, "the script returned a %s, expected a "
                       "record table", luaL_typename(L, top));
        return;
    }
    /* an empty table is an empty list: no record (pandoc's rule) */
    lua_pushnil(L);
    if (!lua_next(L, top))
        return;
    lua_pop(L, 2);
    lua_rawgeti(L, top, 1);
    int is_list = lua_istable(L, -1);
    lua_pop(L, 1);
    if (!is_list) {
        emit_one(host, c, source, in, top);
        return;
    }
    lua_Integer n = (lua_Integer)lua_rawlen(L, top);
    for (lua_Integer i = 1; i <= n && !host->closed; i++) {
        lua_rawgeti(L, top, i);
        if (lua_istable(L, -1))
            emit_one(host, c, source, in, lua_gettop(L));
        else
            pipe_host_fail(host, source, "record %lld of the list is a %s, "
                           "expected a table", (long long)i,
                           luaL_typename(L, -1));
        lua_pop(L, 1);
    }
}

/* One page (or record) to run: what page_protected needs. */
typedef struct page_job {
    pipe_host *host;
    run_ctx *c;
    const char *source;       /* for the page table and error reports */
    const char *html;         /* page bytes, or NULL (a record without) */
    size_t len;
    json_t *record;           /* records mode: the input record, or NULL */
    const pipe_input *in;     /* the input (archive metadata), or NULL */
} page_job;

/* Build the page table, parse, call the handler, emit its records.  Runs
 * inside lua_pcall (every push can raise when memory runs out), with the
 * job as a light userdata argument. */
static int page_protected(lua_State *L)
{
    page_job *j = lua_touserdata(L, 1);
    run_ctx *c = j->c;
    lua_pushstring(L, j->source);
    int source = lua_gettop(L);     /* made once: the registry's, page's */
    lua_pushvalue(L, source);
    lua_setfield(L, LUA_REGISTRYINDEX, "pipe.source");
    int rec = 0;
    if (j->record) {
        pipe_json_push(L, j->record);
        rec = lua_gettop(L);
    }
    /* the page URL: --url, else the record's url */
    const char *url = c->url;
    if (!url && rec && lua_getfield(L, rec, "url") == LUA_TSTRING)
        url = lua_tostring(L, -1);   /* stays on the stack: kept alive */
    const pipe_input *in = j->in;
    if (!url && in)
        url = in->url;               /* an archive's WARC-Target-URI */
    lua_rawgeti(L, LUA_REGISTRYINDEX, c->handler);
    lua_createtable(L, 0, 8);
    lua_pushvalue(L, source);
    lua_setfield(L, -2, "source");
    if (rec) {
        lua_pushvalue(L, rec);
        lua_setfield(L, -2, "record");
    } else if (in && (in->url || in->warc_id || in->fetched)) {
        /* a page of an archive looks like an NDJSON record: page.record
         * holds what the archive says of it (lib.date reads `fetched`) */
        lua_createtable(L, 0, 3);
        const char *k[3] = {"url", "warc_id", "fetched"};
        const char *v[3] = {in->url, in->warc_id, in->fetched};
        for (int i = 0; i < 3; i++)
            if (v[i]) {
                lua_pushstring(L, v[i]);
                lua_setfield(L, -2, k[i]);
            }
        lua_setfield(L, -2, "record");
    }
    if (url) {
        lua_pushstring(L, url);
        lua_setfield(L, -2, "url");
    }
    lua_getfield(L, LUA_REGISTRYINDEX, PIPE_OPTIONS_RO_KEY);
    lua_setfield(L, -2, "options");
    if (j->html) {
        lua_pushlstring(L, j->html, j->len);
        lua_setfield(L, -2, "html");
        /* page.doc, from the plugin that offers the page parser.  A
         * record's html is a JSON string: UTF-8, whatever its <meta> says
         * (a page re-serialised from another encoding).  A page of an
         * archive: its HTTP charset as the hint, when the parser takes
         * one. */
        const char *enc = c->encoding ? c->encoding : rec ? "utf-8" : NULL;
        if (!enc && in && in->charset && c->parser->push_charset)
            c->parser->push_charset(L, j->html, j->len, in->charset, url);
        else
            c->parser->push(L, j->html, j->len, enc, url);
        lua_pushvalue(L, -1);
        lua_insert(L, -4);      /* below the handler: closed after emit */
        lua_setfield(L, -2, "doc");
    }
    int doc = j->html ? lua_gettop(L) - 2 : 0;
    lua_call(L, 1, 1);
    emit(j->host, c, j->source, j->in);
    /* The page is done: its tree goes now (its arena back to the pool,
     * still in the cache, for the next page) rather than when the
     * collector finds the Document.  A Node a script kept past its page
     * then raises "document is closed". */
    if (doc && luaL_getmetafield(L, doc, "__close") != LUA_TNIL) {
        lua_pushvalue(L, doc);
        lua_call(L, 1, 0);
    }
    return 0;
}

/* Run one page or record; failures are reported against its source. */
static void call_page(page_job *j)
{
    lua_State *L = j->c->L;
    int top = lua_gettop(L);
    lua_pushcfunction(L, page_protected);
    lua_pushlightuserdata(L, j);
    if (pipe_lua_call(L, 1, 0) != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        pipe_host_fail(j->host, j->source, "%s", msg ? msg : "script error");
    }
    lua_settop(L, top);
    /* tell the collector about the tree that lived outside its heap */
    lua_gc(L, LUA_GCSTEP, (int)(j->len / 256 + 1));
}

static int run_page(pipe_host *host, const pipe_input *in, void *ud)
{
    page_job j = {host, ud, in->source, in->data, in->len, NULL, in};
    call_page(&j);
    return 0;
}

/* --records: one NDJSON line (in->source is "PATH:LINE"). */
static int run_record(pipe_host *host, const pipe_input *in, void *ud)
{
    run_ctx *c = ud;
    const char *line = in->data;
    size_t n = in->len;
    /* blank lines are skipped; a NUL is not blank (it is bad JSON) */
    size_t k = 0;
    while (k < n && (line[k] == ' ' || line[k] == '\t'))
        k++;
    if (k == n)
        return 0;
    json_error_t jerr;
    json_t *j = json_loadb(line, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (!j) {
        /* jansson quotes the input near the error: keep control bytes out
         * of the terminal */
        for (char *t = jerr.text; *t; t++)
            if ((unsigned char)*t < 0x20 || *t == 0x7f)
                *t = '?';
        pipe_host_fail(host, in->source, "bad JSON at column %d: %s",
                       jerr.column, jerr.text);
        return -1;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        pipe_host_fail(host, in->source, "a record must be a JSON object");
        return -1;
    }
    page_job job = {host, c, in->source, NULL, 0, j, NULL};
    json_t *js = json_object_get(j, "source");
    if (json_is_string(js))
        job.source = json_string_value(js);
    /* a record made from an archive keeps its warc_id and fetched on what
     * the script returns, as a page read from the archive does */
    json_t *jw = json_object_get(j, "warc_id");
    json_t *jf = json_object_get(j, "fetched");
    pipe_input meta = {
        .source = job.source,
        .warc_id = json_is_string(jw) ? json_string_value(jw) : NULL,
        .fetched = json_is_string(jf) ? json_string_value(jf) : NULL};
    if (meta.warc_id || meta.fetched)
        job.in = &meta;
    json_t *h = json_object_get(j, c->html_field);
    if (json_is_string(h)) {
        job.html = json_string_value(h);
        job.len = json_string_length(h);
    }
    call_page(&job);
    json_decref(j);
    return 0;
}

/* tsv and text output, in order over what the workers wrote as NDJSON:
 * the header and the separators depend on the records before. */
static void run_filter(pipe_host *host, const char *buf, size_t len,
                       FILE *dst, void *ud)
{
    run_ctx *c = ud;
    const char *p = buf, *end = buf + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        json_t *rec = json_loadb(p, n, 0, NULL);
        if (rec) {
            pipe_output_json(&c->final, dst, rec);
            json_decref(rec);
        }
        p += n + (nl != NULL);
    }
    (void)host;
}

static int load_script(pipe_host *host, run_ctx *c, const char *script)
{
    lua_State *L = c->L;
    if (pipe_lua_loadfile(L, script) != LUA_OK) {
        pipe_host_usage(host, "%s", lua_tostring(L, -1));
        return -1;
    }
    lua_pushstring(L, script);
    lua_setfield(L, LUA_REGISTRYINDEX, "pipe.source");
    if (pipe_lua_call(L, 0, 1) != LUA_OK) {
        pipe_host_usage(host, "%s", lua_tostring(L, -1));
        return -1;
    }
    if (luaL_loadbufferx(L, resolve_lua, sizeof resolve_lua - 1,
                         "=pipe.run", "t") != LUA_OK)
        return -1;
    lua_insert(L, -2);
    lua_pushstring(L, script);
    if (pipe_lua_call(L, 2, 1) != LUA_OK) {
        pipe_host_usage(host, "%s", lua_tostring(L, -1));
        return -1;
    }
    c->handler = luaL_ref(L, LUA_REGISTRYINDEX);
    if (pipe_lua_seal(L) != 0) {
        pipe_host_usage(host, "%s: cannot seal the Lua state (out of memory)",
                        script);
        return -1;
    }
    return 0;
}

/* --max-steps N */
static int parse_steps(const char *v, void *var)
{
    char *end;
    if (*v < '0' || *v > '9')
        return -1;
    *(unsigned long *)var = strtoul(v, &end, 10);
    return *end ? -1 : 0;
}

/* --set KEY=VALUE */
static int parse_set(const char *v, void *var)
{
    (void)var;
    const char *eq = strchr(v, '=');
    return eq && eq != v ? 0 : -1;
}

int pipe_cmd_run(pipe_host *host, int argc, char **argv)
{
    run_ctx c;
    memset(&c, 0, sizeof c);
    c.html_field = "html";
    const char *format = NULL, *fields = NULL, *from = NULL, *now = NULL;
    const char *script = NULL, *outdir = NULL;
    int explain = 0, npos = 0, no_gzip = 0, force = 0;
    pipe_outdir od;
    memset(&od, 0, sizeof od);
    host->lua.max_steps = 0; /* --timeout stops a runaway page (core.h) */
    pipe_opt_list sets = {NULL, 0}, rules = {NULL, 0};
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    if (!pos)
        return pipe_host_usage(host, "out of memory");
    const pipe_opt opts[] = {
        {"--url", NULL, PIPE_OPT_VALUE, &c.url, 0, NULL},
        {"--now", NULL, PIPE_OPT_VALUE, &now, 0, NULL},
        {"--encoding", NULL, PIPE_OPT_VALUE, &c.encoding, 0, NULL},
        {"--html-field", NULL, PIPE_OPT_VALUE, &c.html_field, 0, NULL},
        {"--format", NULL, PIPE_OPT_VALUE, &format, 0, NULL},
        {"--fields", NULL, PIPE_OPT_VALUE, &fields, 0, NULL},
        {"--from", NULL, PIPE_OPT_VALUE, &from, 0, NULL},
        {"--max-steps", NULL, PIPE_OPT_VALUE, &host->lua.max_steps, 0,
         parse_steps},
        {"--rules", NULL, PIPE_OPT_LIST, &rules, 0, NULL},
        {"--set", NULL, PIPE_OPT_LIST, &sets, 0, parse_set},
        {"--explain", NULL, PIPE_OPT_FLAG, &explain, 0, NULL},
        {"--records", NULL, PIPE_OPT_FLAG, &c.records, 0, NULL},
        {"--unsafe", NULL, PIPE_OPT_FLAG, &host->lua.unsafe, 0, NULL},
        {"--output", NULL, PIPE_OPT_VALUE, &outdir, 0, NULL},
        {"--no-gzip", NULL, PIPE_OPT_FLAG, &no_gzip, 0, NULL},
        {"--force", NULL, PIPE_OPT_FLAG, &force, 0, NULL},
        {NULL, NULL, 0, NULL, 0, NULL},
    };
    int code = pipe_host_parse(host, "run", pipe_run_help, opts, argc, argv,
                               pos, &npos);
    if (code != PIPE_OPTS_OK)
        goto done;
    code = PIPE_EXIT_OK;
    /* SCRIPT, then the inputs */
    char **inputs = pos + (npos > 0);
    int ninputs = npos > 0 ? npos - 1 : 0;
    if (npos > 0)
        script = pos[0];
    if (!script) {
        code = pipe_host_usage(host, "run: missing SCRIPT (see pipe help run)");
        goto done;
    }
    if (!outdir && (no_gzip || force)) {
        code = pipe_host_usage(host, "run: %s needs --output DIR",
                               no_gzip ? "--no-gzip" : "--force");
        goto done;
    }
    if (outdir && format && strcmp(format, "ndjson") != 0) {
        code = pipe_host_usage(host, "run: --output writes NDJSON files; "
                               "--format %s cannot go with it", format);
        goto done;
    }
    char *err = NULL;
    if (outdir) {
        if (pipe_outdir_init(&od, outdir, !no_gzip, force, &err) != 0) {
            code = pipe_host_usage(host, "run: %s", err ? err : "?");
            free(err);
            goto done;
        }
        host->outdir = &od;
    }
    if (pipe_output_init(&c.final, format, fields, &err) != 0) {
        code = pipe_host_usage(host, "run: %s", err ? err : "out of memory");
        free(err);
        goto done;
    }
    if (c.final.format == PIPE_FMT_TSV || c.final.format == PIPE_FMT_TEXT) {
        /* workers write whole records; the filter formats them in order */
        pipe_output_init(&c.out, "ndjson", NULL, &err);
        host->filter = run_filter;
        host->filter_ud = &c;
    } else if (pipe_output_init(&c.out, format, fields, &err) != 0) {
        code = pipe_host_usage(host, "run: %s", err ? err : "out of memory");
        free(err);
        goto out;
    }
    /* pages are parsed by whichever plugin offers the page parser (the
     * html plugin): the host knows no parser of its own */
    c.parser = pipe_service_get(PIPE_PAGE_PARSER, PIPE_PAGE_PARSER_VERSION);
    if (!c.parser) {
        code = pipe_host_usage(host, "run: no plugin offers the page parser "
                               "(service '%s' version %d)", PIPE_PAGE_PARSER,
                               PIPE_PAGE_PARSER_VERSION);
        goto out;
    }
    /* `pipe run site.lua`: pipe's own scripts by name, when there is no
     * such file here */
    char found[4096];
    if (pipe_find_script(script, found, sizeof found) == 0)
        script = found;
    host->lua.script = script;
    host->lua.rules = rules.v;
    host->lua.nrules = rules.n;
    c.L = pipe_host_lua(host);
    if (!c.L) {
        code = PIPE_EXIT_USAGE;
        goto out;
    }
    if (c.url) {
        lua_pushstring(c.L, c.url);
        pipe_lua_set_option(c.L, "url");
    }
    if (now) {
        lua_pushstring(c.L, now);
        pipe_lua_set_option(c.L, "now");
    }
    lua_pushboolean(c.L, explain);
    pipe_lua_set_option(c.L, "explain");
    lua_pushstring(c.L, c.html_field);
    pipe_lua_set_option(c.L, "html_field");
    for (size_t i = 0; i < sets.n; i++) {
        const char *eq = strchr(sets.v[i], '=');
        lua_pushlstring(c.L, sets.v[i], (size_t)(eq - sets.v[i]));
        const char *key = lua_tostring(c.L, -1);
        if (!strcmp(eq + 1, "true"))
            lua_pushboolean(c.L, 1);
        else if (!strcmp(eq + 1, "false"))
            lua_pushboolean(c.L, 0);
        else
            lua_pushstring(c.L, eq + 1);
        pipe_lua_set_option(c.L, key);
        lua_pop(c.L, 1);
    }
    if (load_script(host, &c, script) != 0) {
        code = PIPE_EXIT_USAGE;
        goto out;
    }
    if (c.records)
        code = pipe_host_each_line(host, inputs, ninputs, from, run_record,
                                   &c);
    else
        code = pipe_host_each_input(host, inputs, ninputs, from, run_page, &c);
out:
    host->filter = NULL;
    pipe_output_free(&c.out);
    pipe_output_free(&c.final);
done:
    host->outdir = NULL;
    pipe_outdir_free(&od);
    host->lua.rules = NULL;
    host->lua.nrules = 0;
    free(pos);
    free(sets.v);
    free(rules.v);
    return code;
}
