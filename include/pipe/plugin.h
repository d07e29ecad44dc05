/*
 * pipe plugin interface: what a plugin is, and the host services it may
 * use.  Everything an outside plugin may use is in include/pipe/ (this
 * header, util.h, json.h, html.h); nothing else of pipe is visible to it.
 *
 * A plugin is one `const pipe_plugin` descriptor.  It offers Lua functions
 * (a module table, opened into every Lua state the host creates, as a
 * global and for require), optionally command-line stages (`pipe NAME
 * ...`) and services (versioned tables of C functions other plugins and
 * the host look up by name: the html plugin offers "page-parser", which
 * `pipe run` parses every page with, and "html", the Document/Node API
 * extract uses).  Built-in plugins are listed in core/registry.c; outside
 * plugins are shared objects that export their descriptor as
 * `pipe_plugin_entry` (PIPE_PLUGIN_EXPORT) and are loaded at start-up with
 * `pipe --plugin FILE.so`, from PIPE_PLUGIN_PATH and from the installed
 * plugin directory (docs/plugins.md).
 *
 * Ownership rule, for everything in this header: the host owns what it
 * passes in (argv, input buffers, source names) and keeps it valid only for
 * the duration of the call; a plugin copies what it wants to keep.  Strings
 * a host function returns through an out parameter are malloc'd and belong
 * to the caller, who frees them with free().  Descriptors, command tables,
 * name lists and service tables a plugin hands the host must stay valid
 * for the life of the process (static const data).
 *
 * Caveats: a plugin keeps no mutable C globals.  Per-state data (caches,
 * configuration) lives in the Lua registry or in upvalues: the host makes
 * one Lua state per process, and inputs run in worker processes forked
 * from the one that loaded the plugins (so what `init` set up is in every
 * worker, and nothing one worker does reaches another).
 */
#ifndef PIPE_PLUGIN_H
#define PIPE_PLUGIN_H

#include <stddef.h>
#include <stdio.h>

#include <lua.h>

/*
 * The plugin ABI.  It changes whenever a plugin built against an older
 * header could misbehave with this host: a field of an existing structure
 * or the meaning or signature of a host function changes.  Fields appended
 * at the end of pipe_plugin do not change it (`size` tells the host which
 * ones a plugin knows); new host functions do not either (a plugin that
 * needs one fails to load on an older pipe, naming the symbol).
 */
#define PIPE_PLUGIN_ABI 2

/* Exit codes, shared by every command (documented in `pipe --help`). */
enum {
    PIPE_EXIT_OK = 0,      /* every input processed */
    PIPE_EXIT_INPUT = 1,   /* some input failed; the others were processed */
    PIPE_EXIT_USAGE = 2,   /* bad arguments, or a script that does not load */
    PIPE_EXIT_TESTS = 3    /* `pipe test`: some test case failed */
};

/* One input, read whole into memory (decompressed when it was gzip). */
typedef struct pipe_input {
    const char *source;    /* path as the user gave it; "-" for stdin;
                              "FILE#OFFSET" for a page of a WARC file */
    const char *data;      /* bytes, NUL-terminated for convenience */
    size_t len;            /* length without the terminating NUL */
    /* A page from a crawl archive (WARC): its WARC-Target-URI,
     * WARC-Record-ID, WARC-Date and the charset of its HTTP Content-Type
     * (the transport encoding hint); NULL otherwise, or when absent. */
    const char *url, *warc_id, *fetched, *charset;
} pipe_input;

/* Host services a command may use.  Passed to every command's main. */
typedef struct pipe_host pipe_host;

/*
 * Called once per input.  Return 0 on success; on failure report through
 * pipe_host_fail() and return -1: the host goes on with the next input and
 * the command exits with PIPE_EXIT_INPUT.
 */
typedef int (*pipe_input_fn)(pipe_host *host, const pipe_input *in, void *ud);

typedef struct pipe_command {
    const char *name;      /* "strip": run as `pipe strip` */
    const char *summary;   /* one line for `pipe --help` and `pipe plugins` */
    const char *help;      /* full text for `pipe help NAME` (usage + options) */
    /* argv[0] is the command name; returns a PIPE_EXIT_* code */
    int (*main)(pipe_host *host, int argc, char **argv);
} pipe_command;

/*
 * A service: a versioned table of C functions that one plugin offers the
 * host and other plugins, found by name with pipe_service_get().  The
 * table's layout belongs to its header (PIPE_PAGE_PARSER below,
 * include/pipe/html.h).  A table only grows, at its end, and `version`
 * goes up with each addition, so a table at version N also serves callers
 * built for an older one; a change that is not an addition takes a new
 * service name.
 */
typedef struct pipe_service {
    const char *name;              /* "page-parser", "html" */
    int version;                   /* of the table `api` points to */
    const void *api;               /* the table (static const) */
} pipe_service;

typedef struct pipe_plugin {
    int abi;                       /* PIPE_PLUGIN_ABI */
    size_t size;                   /* sizeof(pipe_plugin) when built */
    const char *name;              /* Lua global / module name: "html";
                                      [a-z][a-z0-9_]*, at most 32 bytes, no
                                      Lua library or core name */
    const char *summary;           /* one line for `pipe plugins` */
    /* lua_CFunction that pushes the module table (like luaopen_*); called
     * once for each Lua state, before the sandbox seals it */
    lua_CFunction open;
    /* NULL-terminated list of the Lua functions, for `pipe plugins` */
    const char *const *lua_names;
    /* commands this plugin owns, terminated by an entry with name NULL;
     * may be NULL */
    const pipe_command *commands;
    /* called once per process, after every plugin is loaded and before any
     * Lua state exists (library initialisation, allocator hooks); workers
     * inherit what it did; may be NULL */
    void (*init)(void);
    /* called when the host closes a Lua state, before lua_close (in
     * reverse order of opening); workers leave with _exit and close
     * nothing; may be NULL */
    void (*close)(lua_State *L);
    /* NULL-terminated names of the plugins this one needs (opened before
     * it, their services there); may be NULL */
    const char *const *requires;
    /* services this plugin offers, terminated by an entry with name NULL;
     * may be NULL */
    const pipe_service *services;
} pipe_plugin;

/* The first fields of every descriptor, for designated initialisers:
 *     const pipe_plugin pipe_plugin_entry = {PIPE_PLUGIN_HEAD, .name = ...}; */
#define PIPE_PLUGIN_HEAD .abi = PIPE_PLUGIN_ABI, .size = sizeof(pipe_plugin)

/* What an outside plugin (a shared object) exports: its descriptor, under
 * this name, and nothing else (build with -fvisibility=hidden):
 *     PIPE_PLUGIN_EXPORT const pipe_plugin pipe_plugin_entry = {...}; */
#define PIPE_PLUGIN_SYMBOL "pipe_plugin_entry"
#if defined(__GNUC__)
#define PIPE_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define PIPE_PLUGIN_EXPORT
#endif

/*
 * The page parser: what `pipe run` parses every page with (the html
 * plugin offers it).  `push` parses data[0..len) (`encoding` forces the
 * input encoding, NULL: detect; `url` is the page's URL or NULL) and
 * pushes the value scripts get as page.doc; it may raise (out of memory, an
 * unknown forced encoding), never on junk input.
 */
#define PIPE_PAGE_PARSER "page-parser"
#define PIPE_PAGE_PARSER_VERSION 1
typedef struct pipe_page_parser {
    void (*push)(lua_State *L, const char *data, size_t len,
                 const char *encoding, const char *url);
    /* The same, with the encoding the transport declared (an HTTP charset,
     * from a WARC record) as a hint between a BOM and <meta>; may be NULL
     * in a parser that takes no hint. */
    void (*push_charset)(lua_State *L, const char *data, size_t len,
                         const char *charset, const char *url);
} pipe_page_parser;

/*
 * Host services.
 */

/* Report a failure of one input: prints `pipe: SOURCE: message` on stderr
 * and remembers that the command must exit with PIPE_EXIT_INPUT. */
void pipe_host_fail(pipe_host *host, const char *source, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Print `pipe: message` (a usage error) on stderr; returns PIPE_EXIT_USAGE. */
int pipe_host_usage(pipe_host *host, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/*
 * Read every input named in `paths` (count `n`; none means stdin; "-" is
 * stdin; `from` names a file with one path per line, "-" for stdin, or NULL),
 * calling `fn` for each, in order.  Unreadable inputs are reported and
 * skipped.  Returns PIPE_EXIT_OK, PIPE_EXIT_INPUT when any input failed, or
 * PIPE_EXIT_USAGE when `from` cannot be read.
 */
int pipe_host_each_input(pipe_host *host, char **paths, int n,
                         const char *from, pipe_input_fn fn, void *ud);

/* Like pipe_host_each_input, but calls `fn` once per line of each input
 * (without its newline; in->source is "PATH:LINE"), as the lines arrive:
 * for stages that stream (`tail -f | pipe match --lines`).  A line longer
 * than pipe_host_max_input() fails its input. */
int pipe_host_each_line(pipe_host *host, char **paths, int n,
                        const char *from, pipe_input_fn fn, void *ud);

/* Read one input whole (file, "-" for stdin, gzip transparently
 * decompressed).  On success returns 0 and sets *data (malloc'd,
 * NUL-terminated) and *len.  On failure returns -1 and sets *err (malloc'd
 * message without the source). */
int pipe_host_read(pipe_host *host, const char *path, char **data,
                   size_t *len, char **err);

/*
 * Match the option `opt` at argv[*i], for a command's option loop.  A flag
 * (val NULL) matches only `opt` itself.  An option that takes a value
 * (val not NULL) matches "opt=VALUE", "opt VALUE" (taking argv[*i + 1] and
 * advancing *i) and, for a one-letter option such as "-g", "-gVALUE" too.
 * Returns 1 when matched (and sets *val), 0 when argv[*i] is not this
 * option (as "--fromx" is not "--from"), -1 when the value is missing.
 * *val points into argv (an exception to the malloc rule above): valid as
 * long as argv is, nothing to free.
 */
int pipe_host_opt(int argc, char **argv, int *i, const char *opt,
                  const char **val);

/*
 * A command's options as a table, parsed in one call (pipe_host_parse):
 *
 *     int json = 0, names = -1;
 *     const char *from = NULL;
 *     const pipe_opt opts[] = {
 *         {"--json", NULL, PIPE_OPT_FLAG, &json},
 *         {"--with-filename", "-H", PIPE_OPT_SET, &names, 1},
 *         {"--no-filename", NULL, PIPE_OPT_SET, &names, 0},
 *         {"--from", NULL, PIPE_OPT_VALUE, &from},
 *         {NULL},
 *     };
 *     int rc = pipe_host_parse(host, "mycmd", help, opts, argc, argv,
 *                              pos, &npos);
 *     if (rc != PIPE_OPTS_OK)
 *         return rc;
 *
 * Every entry is matched as pipe_host_opt does ("--from F", "--from=F";
 * "-gN" for a one-letter value option); the options of PIPE_COMMON_HELP
 * are taken too; -h and --help print `help`; "--" ends the options; "-"
 * and every other argument are positional, wherever they are.
 */
enum {
    PIPE_OPT_FLAG,   /* *(int *)var = 1 */
    PIPE_OPT_SET,    /* *(int *)var = set */
    PIPE_OPT_BITS,   /* *(unsigned *)var |= set */
    PIPE_OPT_VALUE,  /* *(const char **)var = the value, or parse(value, var) */
    PIPE_OPT_LIST    /* the value appended to *(pipe_opt_list *)var (after
                        parse(value, NULL), when there is one): repeatable */
};

/* The values of a repeatable option, in order.  `v` is malloc'd by
 * pipe_host_parse (free it, also after an error); its entries point into
 * argv. */
typedef struct pipe_opt_list {
    const char **v;
    size_t n;
} pipe_opt_list;

typedef struct pipe_opt {
    const char *name;      /* "--url" */
    const char *alias;     /* another spelling ("-u"), or NULL */
    int kind;              /* PIPE_OPT_* */
    void *var;
    unsigned set;          /* PIPE_OPT_SET, PIPE_OPT_BITS: what is stored */
    /* PIPE_OPT_VALUE, PIPE_OPT_LIST, optional: check (and convert) the
     * value; 0, or -1 for "bad value" */
    int (*parse)(const char *value, void *var);
} pipe_opt;

/* What pipe_host_parse returns when the command goes on. */
#define PIPE_OPTS_OK (-1)

/*
 * Parse argv[1..argc) against `opts` (terminated by a NULL name).
 * Positional arguments go to pos[0..*npos) (room for argc entries; they
 * point into argv).  Returns PIPE_OPTS_OK, or an exit code for the command
 * to return: PIPE_EXIT_OK after printing `help`, PIPE_EXIT_USAGE after
 * reporting "CMD: unknown option 'X' (see pipe help CMD)", "CMD: option
 * 'X' needs a value" or "CMD: bad value 'V' for X".
 */
int pipe_host_parse(pipe_host *host, const char *cmd, const char *help,
                    const pipe_opt *opts, int argc, char **argv, char **pos,
                    int *npos);

/*
 * Memory charged to the worker's budget (`--max-memory`), which Lua's heap
 * and the libraries' allocations share: malloc/realloc/free/strdup that
 * return NULL past the limit.  A block from pipe_mem_malloc must be freed
 * with pipe_mem_free (or given to a library hooked to these functions).
 */
void *pipe_mem_malloc(size_t n);
void *pipe_mem_realloc(void *p, size_t n);
void pipe_mem_free(void *p);
char *pipe_mem_strdup(const char *s);

/*
 * A per-document arena (core/mem.c): between pipe_arena_begin() and
 * pipe_arena_end(), blocks of up to 4 KiB that pipe_mem_malloc hands out
 * come from the arena, and freeing them is a no-op; larger ones are heap
 * blocks the arena lists.  pipe_arena_free() drops them all at once (what
 * was not freed yet included), so a tree built in the window can go
 * without a walk when nothing outside the window was linked into it.
 * Blocks stay valid (and may be freed or reallocated as usual) until
 * then.  pipe_arena_begin returns NULL when arenas are off (PIPE_ARENA=0)
 * or on no memory: allocations then come from the heap as usual, and
 * NULL is a valid argument to the other two.
 */
typedef struct pipe_arena pipe_arena;
pipe_arena *pipe_arena_begin(void);
void pipe_arena_end(pipe_arena *a);
void pipe_arena_free(pipe_arena *a);

/*
 * A parse that must not meet a refused allocation: libxml2 2.9.14's HTML
 * parser can loop for ever after one (it skips the rest of an attribute
 * it failed to store with a step that does nothing once the parser is
 * stopped).  Between pipe_mem_grace_begin() and pipe_mem_grace_end(),
 * pipe_mem_malloc/realloc grant requests past `--max-memory` by up to an
 * eighth of it more, and pipe_mem_over() turns 1 as soon as a request
 * went past the limit; the parser's callbacks then stop the parse
 * (xmlStopParser) and the caller fails with "out of memory".  The page
 * counts as out of memory exactly as if the request had been refused.
 */
void pipe_mem_grace_begin(void);
void pipe_mem_grace_end(void);
int pipe_mem_over(void);

/* Largest input the host accepts, in bytes (`--max-input`). */
size_t pipe_host_max_input(const pipe_host *host);

/*
 * The options every command that reads inputs takes (the worker pool and
 * the limits: -j/--jobs, --timeout, --max-input, --max-memory,
 * --unordered, --progress, --quiet, --recycle, --no-workers), matched at
 * argv[*i] like pipe_host_opt: 1 matched and applied, 0 not one of them,
 * -1 a bad or missing value (already reported as "CMD: ..."; return
 * PIPE_EXIT_USAGE).  PIPE_COMMON_HELP is their help text (a string
 * literal, for a command's help).
 */
int pipe_host_common_opt(pipe_host *host, const char *cmd, int argc,
                         char **argv, int *i);
#define PIPE_COMMON_HELP \
    "  -j, --jobs N       worker processes (default: the number of CPUs)\n" \
    "  --timeout SECONDS  a page still running after this long is killed and\n" \
    "                     reported, whatever it is stuck in (default 30;\n" \
    "                     0 = none)\n" \
    "  --max-input SIZE   largest input accepted (default 64M)\n" \
    "  --max-memory SIZE  memory per worker, libraries included (default 1G)\n" \
    "  --unordered        write results as they finish, not in input order\n" \
    "  --progress         show the progress line on stderr (default: on a\n" \
    "                     terminal, with more than one input)\n" \
    "  --quiet            never show the progress line\n" \
    "  --recycle N        replace a worker after N pages (default 1000; 1:\n" \
    "                     every page in a fresh process; 0: never)\n" \
    "  --no-workers       run in this process: no timeout (run --max-steps\n" \
    "                     stops a looping script), a crash ends the run\n" \
    "                     (for debuggers)\n"


/* Bytes written to stdout so far (after pipe_host_each_input returns: the
 * whole output; e.g. `match` exits 1 when nothing was printed). */
unsigned long long pipe_host_written(const pipe_host *host);

/* The stream commands write results to (stdout).  Write with the usual stdio
 * calls, then call pipe_host_flush() after each record: it flushes, and
 * returns -1 once the reader has gone away (closed pipe), after which the
 * command should stop quietly and return PIPE_EXIT_OK. */
FILE *pipe_host_out(pipe_host *host);
int pipe_host_flush(pipe_host *host);

/* A fresh Lua state with every plugin opened and the sandbox in place, for
 * commands that want to run Lua.  Owned by the host; closed when the
 * command returns. */
lua_State *pipe_host_lua(pipe_host *host);

/* The table of service `name` that a loaded plugin offers at `version` or
 * a later one, or NULL (none, or only an older one).  The pointer stays valid for the
 * life of the process.  A plugin that cannot work without a service
 * lists its owner in `requires`. */
const void *pipe_service_get(const char *name, int version);

#endif
