/*
 * Small command-line helpers shared by the core's commands and plugins.
 */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

int pipe_parse_size(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *s == '-')
        return -1;
    unsigned long long mul = 1;
    switch (*end) {
    case '\0': break;
    case 'k': case 'K': mul = 1ULL << 10; end++; break;
    case 'm': case 'M': mul = 1ULL << 20; end++; break;
    case 'g': case 'G': mul = 1ULL << 30; end++; break;
    default: return -1;
    }
    if (*end == 'B' || *end == 'b')
        end++;
    if (*end || v > (unsigned long long)SIZE_MAX / mul)
        return -1;
    *out = (size_t)(v * mul);
    return 0;
}

int pipe_host_opt(int argc, char **argv, int *i, const char *opt,
                  const char **val)
{
    const char *a = argv[*i];
    size_t n = strlen(opt);
    if (strncmp(a, opt, n) != 0)
        return 0;
    if (a[n] == '\0') {
        if (!val)
            return 1;
        if (*i + 1 >= argc)
            return -1;
        *val = argv[++*i];
        return 1;
    }
    if (!val)
        return 0;
    if (a[n] == '=')
        *val = a + n + 1;
    else if (n == 2 && opt[0] == '-' && opt[1] != '-')
        *val = a + n; /* "-gVALUE" */
    else
        return 0;
    return 1;
}

int pipe_host_common_opt(pipe_host *host, const char *cmd, int argc,
                         char **argv, int *i)
{
    const char *a = argv[*i], *v = NULL, *bad = NULL;
    int m;
    char *end;
    if ((m = pipe_host_opt(argc, argv, i, "-j", &v)) != 0 ||
        (m = pipe_host_opt(argc, argv, i, "--jobs", &v)) != 0) {
        if (m > 0) {
            long n = strtol(v, &end, 10);
            if (*end || end == v || n < 1 || n > 1024)
                bad = v;
            else
                host->pool.jobs = (int)n;
        }
    } else if ((m = pipe_host_opt(argc, argv, i, "--timeout", &v)) != 0) {
        if (m > 0) {
            double t = strtod(v, &end);
            if (*end || end == v || !(t >= 0) || t > 1e6)
                bad = v;
            else
                host->pool.timeout = t;
        }
    } else if ((m = pipe_host_opt(argc, argv, i, "--max-input", &v)) != 0) {
        if (m > 0 && pipe_parse_size(v, &host->max_input) != 0)
            bad = v;
    } else if ((m = pipe_host_opt(argc, argv, i, "--max-memory", &v)) != 0) {
        size_t n = 0;
        if (m > 0 && pipe_parse_size(v, &n) != 0)
            bad = v;
        else if (m > 0) {
            host->max_memory = host->lua.max_memory = n;
            pipe_mem_set_limit(n);
        }
    } else if ((m = pipe_host_opt(argc, argv, i, "--recycle", &v)) != 0) {
        if (m > 0) {
            unsigned long n = strtoul(v, &end, 10);
            if (*end || end == v || *v == '-')
                bad = v;
            else
                host->pool.recycle = n;
        }
    } else if (pipe_host_opt(argc, argv, i, "--unordered", NULL) == 1) {
        host->pool.unordered = 1;
        m = 1;
    } else if (pipe_host_opt(argc, argv, i, "--progress", NULL) == 1) {
        host->pool.progress = 1;
        m = 1;
    } else if (pipe_host_opt(argc, argv, i, "--quiet", NULL) == 1) {
        host->pool.progress = 0;
        m = 1;
    } else if (pipe_host_opt(argc, argv, i, "--no-workers", NULL) == 1) {
        host->pool.jobs = 0;
        m = 1;
    }
    if (m < 0) {
        pipe_host_usage(host, "%s: option '%s' needs a value", cmd, a);
        return -1;
    }
    if (bad) {
        pipe_host_usage(host, "%s: bad value '%s' for %s", cmd, bad, a);
        return -1;
    }
    return m;
}

/* Apply the matched option o with value v (NULL for flags); -1 on a bad
 * value, -2 out of memory. */
static int apply_opt(const pipe_opt *o, const char *v, int argc)
{
    switch (o->kind) {
    case PIPE_OPT_FLAG:
        *(int *)o->var = 1;
        return 0;
    case PIPE_OPT_SET:
        *(int *)o->var = (int)o->set;
        return 0;
    case PIPE_OPT_BITS:
        *(unsigned *)o->var |= o->set;
        return 0;
    case PIPE_OPT_VALUE:
        if (o->parse)
            return o->parse(v, o->var);
        *(const char **)o->var = v;
        return 0;
    case PIPE_OPT_LIST: {
        pipe_opt_list *l = o->var;
        if (o->parse && o->parse(v, NULL) != 0)
            return -1;
        if (!l->v) {
            /* never more values than arguments */
            l->v = calloc((size_t)argc + 1, sizeof *l->v);
            if (!l->v)
                return -2;
        }
        l->v[l->n++] = v;
        return 0;
    }
    }
    return -1;
}

int pipe_host_parse(pipe_host *host, const char *cmd, const char *help,
                    const pipe_opt *opts, int argc, char **argv, char **pos,
                    int *npos)
{
    int done = 0;
    *npos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (done || a[0] != '-' || a[1] == '\0') {
            pos[(*npos)++] = argv[i];
            continue;
        }
        if (!strcmp(a, "--")) {
            done = 1;
            continue;
        }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(help, pipe_host_out(host));
            pipe_host_flush(host);
            return PIPE_EXIT_OK;
        }
        const pipe_opt *o = opts;
        const char *v = NULL;
        int m = 0;
        for (; o && o->name; o++) {
            int takes = o->kind == PIPE_OPT_VALUE || o->kind == PIPE_OPT_LIST;
            m = pipe_host_opt(argc, argv, &i, o->name, takes ? &v : NULL);
            if (m == 0 && o->alias)
                m = pipe_host_opt(argc, argv, &i, o->alias, takes ? &v : NULL);
            if (m != 0)
                break;
        }
        if (m < 0)
            return pipe_host_usage(host, "%s: option '%s' needs a value", cmd,
                                   a);
        if (m > 0) {
            int rc = apply_opt(o, v, argc);
            if (rc == -2)
                return pipe_host_usage(host, "%s: out of memory", cmd);
            if (rc != 0)
                return pipe_host_usage(host, "%s: bad value '%s' for %s", cmd,
                                       v ? v : "", a);
            continue;
        }
        m = pipe_host_common_opt(host, cmd, argc, argv, &i);
        if (m < 0)
            return PIPE_EXIT_USAGE;
        if (m == 0 && !strncmp(a, "--plugin", 8) && (!a[8] || a[8] == '='))
            return pipe_host_usage(host, "%s: --plugin is a global option: "
                                   "put it before the command (pipe "
                                   "--plugin FILE %s ...)", cmd, cmd);
        if (m == 0)
            return pipe_host_usage(host, "%s: unknown option '%s' (see pipe "
                                   "help %s)", cmd, a, cmd);
    }
    return PIPE_OPTS_OK;
}

static const char usage_text[] =
    "usage: pipe [--plugin FILE]... COMMAND [OPTIONS] [ARGS...]\n"
    "\n"
    "pipe turns web pages into clean, structured records: Lua rule scripts\n"
    "say what to keep, C does the parsing, selecting and matching.\n"
    "\n"
    "commands:\n";

static const char exit_text[] =
    "\n"
    "global options (before the command):\n"
    "  -h, --help       this help; `pipe help COMMAND` for one command\n"
    "  -V, --version    print the version\n"
    "  --plugin FILE    load the plugin FILE.so (repeatable); plugins in\n"
    "                   PIPE_PLUGIN_PATH and the installed plugin directory\n"
    "                   load too (`pipe plugins` lists them)\n"
    "\n"
    "exit codes:\n"
    "  0  every input processed\n"
    "  1  some input failed (each failure is reported on stderr as\n"
    "     `pipe: SOURCE: message`; the other inputs were still processed)\n"
    "  2  usage error, or a script that does not load\n"
    "  3  pipe test: some test case failed\n"
    "\n"
    "environment:\n"
    "  PIPE_RULES        rule directories (colon-separated), after --rules\n"
    "  PIPE_SCRIPTS      pipe's own scripts directory\n"
    "  PIPE_PLUGIN_PATH  plugin directories or files (colon-separated)\n"
    "  PIPE_CACHE_DIR    where compiled scripts, rule listings and date\n"
    "                    tables are kept (default ~/.cache/pipe; `off`:\n"
    "                    no cache)\n"
    "\n"
    "Inputs are files, `-` for stdin (the default), gzip files are read\n"
    "transparently; `--from FILE` reads input paths one per line.\n"
    "See pipe(1), README.md and docs/ for the Lua API and rule format.\n";

static void print_usage(FILE *f)
{
    fputs(usage_text, f);
    for (const pipe_command *c = pipe_core_commands; c->name; c++)
        fprintf(f, "  %-9s %s\n", c->name, c->summary);
    for (size_t i = 0; i < pipe_plugin_count(); i++) {
        const pipe_command *c = pipe_plugin_at(i)->commands;
        for (; c && c->name; c++)
            fprintf(f, "  %-9s %s\n", c->name, c->summary);
    }
    fputs(exit_text, f);
}

/* pipe help [COMMAND] */
static int cmd_help(pipe_host *host, int argc, char **argv)
{
    FILE *out = pipe_host_out(host);
    if (argc < 2) {
        print_usage(out);
        return PIPE_EXIT_OK;
    }
    const pipe_command *c = pipe_find_command(argv[1], NULL);
    if (!c)
        return pipe_host_usage(host, "unknown command '%s' (see pipe --help)",
                               argv[1]);
    fputs(c->help, out);
    return PIPE_EXIT_OK;
}

extern const char pipe_run_help[];
extern const char pipe_test_help[];
extern const char pipe_lint_help[];
extern const char pipe_import_help[];

const pipe_command pipe_core_commands[] = {
    {"run", "run a Lua script on pages or NDJSON records", pipe_run_help,
     pipe_cmd_run},
    {"test", "run the test cases that site rules declare", pipe_test_help,
     pipe_cmd_test},
    {"lint", "check site rules as they load and on their own fixture pages",
     pipe_lint_help, pipe_cmd_lint},
    {"import", "print a FiveFilters site config as a Lua rule",
     pipe_import_help, pipe_cmd_import},
    {"plugins", "list plugins with their Lua functions and commands",
     "usage: pipe plugins\n\nLists every plugin, built in or loaded (with "
     "the file it came from),\nwith its Lua functions, the commands it owns, "
     "the services it offers\nand the plugins it needs; then the plugin "
     "directory and PIPE_PLUGIN_PATH.\n",
     pipe_cmd_plugins},
    {"help", "show help for a command",
     "usage: pipe help [COMMAND]\n", cmd_help},
    {NULL, NULL, NULL, NULL},
};

/*
 * glibc's malloc gives the top of its heap back to the kernel when a free
 * leaves more than 128 KiB there, and maps blocks over 128 KiB on their
 * own: a page's work grows the heap again and unmaps its big buffers,
 * every page, and each growth is page faults (7 a page, 14,000 over 2,000
 * seed pages).  Kept instead: up to 64 MiB of free top, blocks under
 * 32 MiB from the heap, which pages reuse.  CPU -4.7% for site.lua
 * --no-workers, peak RSS +3% (bench/README.md).  bench/parse.c sets the
 * same, so the parse-only figures are measured alike.
 */
static void tune_malloc(void)
{
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    mallopt(M_TOP_PAD, 1 << 20);
}

int pipe_main(int argc, char **argv)
{
    tune_malloc();
    pipe_host host;
    pipe_host_init(&host);
    pipe_mem_set_limit(host.max_memory);
    /* global options before the command: plugins first, so that their
     * commands, Lua functions and init hooks are there for everything
     * after (and in every worker, forked later) */
    char **files = calloc((size_t)argc + 1, sizeof *files);
    int nfiles = 0, i = 1, code = -1;
    if (!files) {
        fprintf(stderr, "pipe: out of memory\n");
        return PIPE_EXIT_USAGE;
    }
    while (i < argc && code < 0) {
        const char *v = NULL;
        int m = pipe_host_opt(argc, argv, &i, "--plugin", &v);
        if (m == 0)
            break;
        if (m < 0 || !*v)
            code = pipe_host_usage(&host, "option '--plugin' needs a file "
                                   "(see pipe --help)");
        else
            files[nfiles++] = (char *)v;
        i++;
    }
    char *err = NULL;
    if (code < 0 && pipe_plugins_setup(files, nfiles, &err) != 0) {
        code = pipe_host_usage(&host, "%s", err ? err : "out of memory");
        free(err);
    }
    free(files);
    if (code >= 0) {
        pipe_host_close(&host);
        return code;
    }
    pipe_process_init();
    argc -= i - 1;
    argv += i - 1;
    if (argc < 2) {
        print_usage(stderr);
        code = PIPE_EXIT_USAGE;
    } else if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        print_usage(pipe_host_out(&host));
        code = PIPE_EXIT_OK;
    } else if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
        fprintf(pipe_host_out(&host), "pipe %s\n", PIPE_VERSION);
        code = PIPE_EXIT_OK;
    } else {
        const pipe_command *c = pipe_find_command(argv[1], NULL);
        if (!c) {
            code = pipe_host_usage(&host, "unknown command '%s' (see pipe --help)",
                                   argv[1]);
        } else if (argc > 2 && (!strcmp(argv[2], "-h") ||
                                !strcmp(argv[2], "--help"))) {
            fputs(c->help, pipe_host_out(&host));
            code = PIPE_EXIT_OK;
        } else {
            code = c->main(&host, argc - 1, argv + 1);
        }
    }
    code = pipe_host_finish(&host, code);
    pipe_host_close(&host);
    return code;
}
