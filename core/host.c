/*
 * The host services of include/pipe/plugin.h that are not about reading:
 * process set-up, failure reports, usage errors, the output stream, the
 * Lua state, and the input iterators, which hand every input to the worker
 * pool (pool.c).
 *
 * Caveats: SIGPIPE is ignored (once per process), so a closed pipe shows up
 * as EPIPE from a write, which stops a command quietly.  Inside a worker,
 * host->out and host->err are the current unit's buffers, not stdout and
 * stderr: the supervisor writes them out in order.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "core.h"

void pipe_strerror(int e, char *buf, size_t n)
{
    if (n == 0)
        return;
    /* GNU strerror_r: returns the message, maybe not in buf */
    const char *m = strerror_r(e, buf, n);
    if (m != buf)
        snprintf(buf, n, "%s", m);
    if (buf[0] >= 'A' && buf[0] <= 'Z' && (buf[1] < 'A' || buf[1] > 'Z'))
        buf[0] = (char)(buf[0] - 'A' + 'a');
}

static void *json_malloc(size_t n)
{
    return pipe_mem_malloc(n);
}

void pipe_process_init(void)
{
    signal(SIGPIPE, SIG_IGN);
    json_set_alloc_funcs(json_malloc, pipe_mem_free);
    for (size_t i = 0; i < pipe_plugin_count(); i++) {
        const pipe_plugin *p = pipe_plugin_at(i);
        if (p->init)
            p->init();
    }
}

void pipe_host_init(pipe_host *host)
{
    memset(host, 0, sizeof *host);
    host->out = stdout;
    host->err = stderr;
    host->max_input = PIPE_DEFAULT_MAX_INPUT;
    host->max_memory = PIPE_DEFAULT_MAX_MEMORY;
    host->lua.max_memory = PIPE_DEFAULT_MAX_MEMORY;
    host->lua.max_steps = PIPE_DEFAULT_MAX_STEPS;
    host->lua.err = &host->err;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    host->pool.jobs = n > 0 ? (int)n : 1;
    host->pool.timeout = PIPE_DEFAULT_TIMEOUT;
    host->pool.progress = -1;
    host->pool.recycle = 1000;
}

void pipe_host_close(pipe_host *host)
{
    if (host->L)
        pipe_lua_close(host->L);
    host->L = NULL;
    free(host->lua.root);
    host->lua.root = NULL;
}

int pipe_host_finish(pipe_host *host, int code)
{
    /* as jq does: a failed write is an error, found at the latest when the
     * stream is flushed at exit */
    if (!host->closed && !host->write_failed &&
        (fflush(host->out) != 0 || ferror(host->out)) && errno != EPIPE) {
        char m[128];
        pipe_strerror(errno ? errno : EIO, m, sizeof m);
        fprintf(stderr, "pipe: write error: %s\n", m);
        host->write_failed = 1;
    }
    if (host->write_failed)
        return code ? code : PIPE_EXIT_INPUT;
    if (host->failed && code == PIPE_EXIT_OK)
        code = PIPE_EXIT_INPUT;
    return code;
}

void pipe_host_fail(pipe_host *host, const char *source, const char *fmt, ...)
{
    host->failed = 1;
    host->unit_failed = 1;
    fflush(host->out);
    fprintf(host->err, "pipe: %s: ", source);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(host->err, fmt, ap);
    va_end(ap);
    fputc('\n', host->err);
}

int pipe_host_usage(pipe_host *host, const char *fmt, ...)
{
    if (!fmt)   /* never; tells gcc's -Wformat-overflow under UBSan so */
        return PIPE_EXIT_USAGE;
    FILE *err = host->err ? host->err : stderr;
    fputs("pipe: ", err);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(err, fmt, ap);
    va_end(ap);
    fputc('\n', err);
    return PIPE_EXIT_USAGE;
}

size_t pipe_host_max_input(const pipe_host *host)
{
    return host->max_input;
}

FILE *pipe_host_out(pipe_host *host)
{
    return host->out;
}

int pipe_host_flush(pipe_host *host)
{
    if (host->closed)
        return -1;
    if (fflush(host->out) != 0 || ferror(host->out)) {
        if (errno == EPIPE) {
            host->closed = 1;
            return -1;
        }
    }
    return 0;
}

unsigned long long pipe_host_written(const pipe_host *host)
{
    return host->written;
}

lua_State *pipe_host_lua(pipe_host *host)
{
    if (!host->L) {
        char *err = NULL;
        host->L = pipe_lua_new(&host->lua, &err);
        if (!host->L) {
            fprintf(stderr, "pipe: %s\n", err ? err : "out of memory");
            free(err);
        }
    }
    return host->L;
}

int pipe_host_each_input(pipe_host *host, char **paths, int n,
                         const char *from, pipe_input_fn fn, void *ud)
{
    return pipe_pool_run(host, paths, n, from, 0, fn, ud);
}

int pipe_host_each_line(pipe_host *host, char **paths, int n,
                        const char *from, pipe_input_fn fn, void *ud)
{
    return pipe_pool_run(host, paths, n, from, 1, fn, ud);
}
