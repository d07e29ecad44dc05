/*
 * Internal interface between the files of core/.
 *
 * Ownership rule: a pipe_host owns the Lua state it hands out and the
 * output stream's error state; everything returned through `char **err`
 * is malloc'd and freed by the caller.
 */
#ifndef PIPE_CORE_H
#define PIPE_CORE_H

#include <stddef.h>
#include <stdio.h>

#include <lua.h>
#include <zlib.h>

#include "pipe/plugin.h"

/* Options that shape every Lua state the host creates. */
typedef struct pipe_lua_opts {
    int unsafe;                 /* --unsafe: full standard library */
    size_t max_memory;          /* allocator cap in bytes, 0 = none */
    unsigned long max_steps;    /* VM instructions per call, 0 = none */
    const char *script;         /* main script path, or NULL */
    char *root;                 /* scripts root directory (owned) */
    const char **rules;         /* --rules DIRs in order (not owned), and */
    size_t nrules;              /* their count; PIPE_RULES dirs follow */
    FILE **err;                 /* where print and pipe.log write (NULL:
                                   stderr) */
} pipe_lua_opts;

/* How inputs are spread over worker processes (pool.c). */
typedef struct pipe_pool_opts {
    int jobs;                   /* -j: workers; 0 = run in this process */
    double timeout;             /* --timeout: seconds per unit, 0 = none */
    int unordered;              /* --unordered */
    int progress;               /* --progress 1, --quiet 0, auto -1 */
    unsigned long recycle;      /* --recycle: units per worker, 0 = no cap */
} pipe_pool_opts;

struct pipe_host {
    int failed;                 /* some input failed */
    int unit_failed;            /* the current unit failed (pool.c) */
    int closed;                 /* the reader of stdout went away */
    int write_failed;           /* a write to stdout failed (reported) */
    size_t max_input;           /* --max-input */
    size_t max_memory;          /* --max-memory, per worker process */
    FILE *out;                  /* records: stdout, or the unit's buffer */
    FILE *err;                  /* messages: stderr, or the unit's buffer */
    unsigned long long written; /* bytes written to stdout */
    pipe_lua_opts lua;
    pipe_pool_opts pool;
    lua_State *L;               /* created on demand, closed by host_close */
    /* an output stage run in order over what units write, before it goes
     * out (run's tsv and text formats, whose header and separators depend
     * on the records before) */
    void (*filter)(pipe_host *host, const char *buf, size_t len, FILE *dst,
                   void *ud);
    void *filter_ud;
    struct pipe_outdir *outdir; /* --output DIR (run), or NULL */
};

#define PIPE_DEFAULT_TIMEOUT 30.0
/* Registry key of the plugins' real module tables (for the host). */
#define PIPE_MODULES_KEY "pipe.modules"
/* Registry key of the read-only pipe.options scripts see. */
#define PIPE_OPTIONS_RO_KEY "pipe.options_ro"

#define PIPE_DEFAULT_MAX_INPUT ((size_t)64 << 20)
#define PIPE_DEFAULT_MAX_MEMORY ((size_t)1 << 30)
/* for `pipe test` and the other commands that run Lua without a worker's
 * timeout; `run` has none by default (--timeout stops a runaway page, and
 * the count hook the limit needs slows every instruction) */
#define PIPE_DEFAULT_MAX_STEPS 1000000000UL

/* Process-wide set-up, once, before anything else: plugins' init hooks,
 * SIGPIPE ignored. */
void pipe_process_init(void);
void pipe_host_init(pipe_host *host);
void pipe_host_close(pipe_host *host);
/* Flush and check stdout at exit; returns the exit code to use. */
int pipe_host_finish(pipe_host *host, int code);

/* cli.c: small option helpers */
/* Parse "64M", "1G", "4096" into bytes; returns -1 on bad input. */
int pipe_parse_size(const char *s, size_t *out);
/* strerror_r into buf, lowercased as pipe's messages are. */
void pipe_strerror(int e, char *buf, size_t n);

/* mem.c: the process's memory budget (--max-memory) */
void pipe_mem_set_limit(size_t limit);
size_t pipe_mem_limit(void);
size_t pipe_mem_used(void);
int pipe_mem_charge(size_t more);    /* 0, or -1 over the limit */
void pipe_mem_release(size_t less);
int pipe_mem_refused(void);          /* a request failed since cleared */
void pipe_mem_clear_refused(void);
void pipe_mem_note_refused(void);    /* another cap refused a request */
void pipe_mem_format(size_t n, char *buf, size_t size);   /* "1 GiB" */

/* mem.c: Lua's allocator (a lua_Alloc; ud is a pipe_lua_heap, zeroed but
 * for limit): capped at limit bytes (0: none) and charged to the budget,
 * with the small blocks Lua frees kept for reuse until
 * pipe_lua_heap_free (after lua_close).  pipe_lua_heap_kept: the bytes
 * kept (for tests). */
#define PIPE_LHEAP_CLASSES 32
typedef struct pipe_lua_heap {
    size_t used, limit;
    void *head[PIPE_LHEAP_CLASSES + 1];    /* kept blocks, per class */
    size_t kept[PIPE_LHEAP_CLASSES + 1];
} pipe_lua_heap;
void *pipe_lua_alloc(void *ud, void *ptr, size_t osize, size_t nsize);
size_t pipe_lua_heap_kept(const pipe_lua_heap *h);
void pipe_lua_heap_free(pipe_lua_heap *h);

/* pool.c: run fn on every input (lines: on every line of every input),
 * in worker processes unless host->pool.jobs is 0; returns an exit code */
int pipe_pool_run(pipe_host *host, char **paths, int n, const char *from,
                  int lines, pipe_input_fn fn, void *ud);
/* Options are parsed with pipe_host_opt (include/pipe/plugin.h). */

/* pool.c: write all n bytes to fd (EINTR retried); 0, or -1 with errno */
int pipe_write_all(int fd, const void *p, size_t n);

/* luacache.c: the compiled-script cache.  pipe_luac_load pushes the
 * cached chunk of this source and chunk name and returns LUA_OK, or pushes
 * nothing and returns -1; pipe_luac_store keeps the function on top of the
 * stack (compiled from src) for the next process.  Both fail silently. */
int pipe_luac_load(lua_State *L, const char *src, size_t n,
                   const char *chunkname);
void pipe_luac_store(lua_State *L, const char *src, size_t n,
                     const char *chunkname);

/* luacache.c: the cached listing of the real directory `real` (names ending
 * in suffix, sorted, each followed by a NUL; *len bytes in all, malloc'd)
 * while st (its stat) matches the one it was stored with, else NULL;
 * pipe_cache_list_put stores one (not when the directory changed in the
 * last seconds).  Both fail silently. */
struct stat;
char *pipe_cache_list_get(const char *real, const char *suffix,
                          const struct stat *st, size_t *len);
void pipe_cache_list_put(const char *real, const char *suffix,
                         const struct stat *st, const char *names, size_t len);

/* input.c: a malloc'd printf-formatted string, or NULL (out of memory) */
char *pipe_strf(const char *fmt, ...);

/* input.c: read a whole file ("-" = stdin; gzip decompressed), at most
 * `limit` bytes; same contract as pipe_host_read */
int pipe_read_file(const char *path, size_t limit, char **data, size_t *len,
                   char **err);
/* input.c: the same for an open regular file, read from its start whatever
 * its offset; the fd is closed */
int pipe_read_fd(int fd, size_t limit, char **data, size_t *len, char **err);

/* input.c: a byte stream over a file or stdin, gzip decompressed when it
 * starts with the gzip magic.  A read returns as soon as some bytes are
 * there (one read(2) at most), so `tail -f | pipe ...` streams. */
typedef struct pipe_reader {
    int fd;
    int gzip;                 /* the input began with 1f 8b */
    int raw_eof;              /* read(2) returned 0 */
    int done;                 /* no more output */
    z_stream zs;
    int zs_ready;
    unsigned char *in;        /* raw bytes read, not yet consumed */
    size_t in_pos, in_len;
} pipe_reader;
int pipe_reader_open(pipe_reader *r, const char *path, char **err);
/* Up to n bytes into buf: > 0 bytes, 0 at the end, -1 on error (*err). */
long pipe_reader_read(pipe_reader *r, char *buf, size_t n, char **err);
void pipe_reader_close(pipe_reader *r);

/* input.c: line streams over a reader */
typedef struct pipe_lines {
    pipe_reader r;
    char *buf;
    size_t cap, start, end;   /* unconsumed bytes are buf[start..end) */
    size_t scanned;           /* buf[start..scanned) holds no newline */
    size_t limit;             /* longest line accepted */
    int eof;
    unsigned long lineno;
} pipe_lines;
int pipe_lines_open(pipe_lines *ls, const char *path, size_t limit,
                    char **err);
/* Next line without its newline (NUL-terminated, may hold NULs); returns
 * its length, -1 at end, -2 on a read error or a line over the limit
 * (message in *err; the stream cannot go on). */
long pipe_lines_next(pipe_lines *ls, char **line, char **err);
/* The next line if one is buffered (as pipe_lines_next), -3 when more
 * bytes must be read first: pipe_lines_fill reads them (one read(2), so it
 * blocks only when the input has nothing ready; poll ls->r.fd first). */
long pipe_lines_try(pipe_lines *ls, char **line, char **err);
int pipe_lines_fill(pipe_lines *ls, char **err);
void pipe_lines_close(pipe_lines *ls);
/* Call fn(path) for each path named in FILE (one per line, "-" = stdin). */
int pipe_each_listed(const char *from, int (*fn)(const char *, void *),
                     void *ud, char **err);

/* state.c */
lua_State *pipe_lua_new(const pipe_lua_opts *o, char **err);
void pipe_lua_close(lua_State *L);
/* lua_pcall with a traceback handler and a fresh instruction budget.
 * On error leaves the message (with traceback) on the stack. */
int pipe_lua_call(lua_State *L, int nargs, int nresults);
/* Load the script file at `path` as a chunk (text only). */
int pipe_lua_loadfile(lua_State *L, const char *path);
/* The scripts root for a script path (malloc'd). */
char *pipe_script_root(const char *script);
/* The directory of pipe's own scripts into out (cap bytes): PIPE_SCRIPTS,
 * else share/pipe/scripts beside the running binary (an installed pipe),
 * else the source tree's, else the configured install directory.  0, or
 * -1 when there is none. */
int pipe_builtin_scripts(char *out, size_t cap);
/* A script named relative to pipe's own scripts (`pipe run site.lua` with
 * an installed pipe): when `script` does not exist as given and is
 * relative, but exists in the builtin directory, its path goes to out and
 * 0 is returned; else -1 (use `script` as given). */
int pipe_find_script(const char *script, char *out, size_t cap);
/* Sort the list at idx in place with the start-up table.sort. */
void pipe_lua_sort(lua_State *L, int idx);
/* Set a field of the `pipe.options` table from the value on top. */
void pipe_lua_set_option(lua_State *L, const char *name);
/* Let pipe.read read the tree of `dir` (a rules directory). */
void pipe_lua_allow_read(lua_State *L, const char *dir);

/* sandbox.c: pages isolated from each other (see the file's comment) */
void pipe_sandbox_setup(lua_State *L, const char *const *plugin_names);
void pipe_sandbox_new_env(lua_State *L);           /* pushes it */
void pipe_sandbox_seal_env(lua_State *L, int idx);
/* The script has loaded: what every page starts from.  0 or -1. */
int pipe_lua_seal(lua_State *L);
/* Put the state back to what pipe_lua_seal saw.  0 or -1. */
int pipe_lua_reset(lua_State *L);

/* registry.c: built-in plugins, then those loaded at start-up, in the
 * order they are opened (what a plugin requires comes first) */
size_t pipe_plugin_count(void);
const pipe_plugin *pipe_plugin_at(size_t i);
/* The shared object plugin i came from, NULL when built in. */
const char *pipe_plugin_origin(size_t i);
/* Would the descriptor be accepted next to the plugins there are now?
 * 0, or -1 with the reason in err. */
int pipe_plugin_check(const pipe_plugin *p, char *err, size_t n);
/* Load one shared object; 0, or -1 with the reason in err. */
int pipe_plugin_load(const char *path, char *err, size_t n);
/* Start-up: the installed plugin directory, PIPE_PLUGIN_PATH, then
 * `files` (--plugin); requirements checked, plugins ordered.  0, or -1
 * with *err (malloc'd) naming the file and the cause. */
int pipe_plugins_setup(char **files, int nfiles, char **err);
/* The installed plugin directory into buf (NULL when there is none). */
const char *pipe_plugin_dir(char *buf, size_t n);
/* The command named `name` (core or plugin), its owner's name in *owner. */
const pipe_command *pipe_find_command(const char *name, const char **owner);
int pipe_cmd_plugins(pipe_host *host, int argc, char **argv);

/* output.c */
typedef enum { PIPE_FMT_NDJSON, PIPE_FMT_JSON, PIPE_FMT_TEXT,
               PIPE_FMT_TSV } pipe_format;
typedef struct pipe_output {
    pipe_format format;
    char **fields;             /* --fields, NULL-terminated, owned */
    int header_done;
} pipe_output;
int pipe_output_init(pipe_output *o, const char *format, const char *fields,
                     char **err);
void pipe_output_free(pipe_output *o);
/* Write one record (a JSON object) to out; 0 or -1. */
struct json_t;
int pipe_output_json(pipe_output *o, FILE *out, struct json_t *rec);

/* json.c: the Lua value at idx as compact JSON appended to out, the bytes
 * pipe_json_from_lua + json_dumpf(JSON_COMPACT) give, without the tree; -1
 * (out as it was) for anything that conversion would change or refuse:
 * then take it.  Never raises. */
struct pipe_buf;
int pipe_json_write_lua(lua_State *L, int idx, struct pipe_buf *out);
/* Write the record table at stack index idx; returns 0, or -1 with *err
 * set when the record cannot be encoded. */
int pipe_output_record(pipe_host *host, pipe_output *o, lua_State *L,
                       int idx, char **err);

/* cli.c: the whole program, argv in, exit code out */
int pipe_main(int argc, char **argv);

/* The core's own commands */
extern const pipe_command pipe_core_commands[];
int pipe_cmd_run(pipe_host *host, int argc, char **argv);
int pipe_cmd_test(pipe_host *host, int argc, char **argv);
int pipe_cmd_lint(pipe_host *host, int argc, char **argv);
int pipe_cmd_import(pipe_host *host, int argc, char **argv);

#endif
