/*
 * Inputs and the host services of include/pipe/plugin.h: reading files,
 * stdin and gzip (zlib reads plain files transparently, so every input
 * goes through gzread), `--from` lists, failure reports, and stdout with
 * quiet handling of a reader that went away.
 *
 * Caveats: SIGPIPE is ignored so a closed pipe shows up as EPIPE from
 * fflush, which pipe_host_flush turns into a quiet stop.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core.h"

static char *dupf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = malloc((size_t)n + 1);
    if (!s)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

void pipe_host_init(pipe_host *host)
{
    memset(host, 0, sizeof *host);
    host->out = stdout;
    host->max_input = PIPE_DEFAULT_MAX_INPUT;
    host->lua.max_memory = PIPE_DEFAULT_MAX_MEMORY;
    host->lua.max_steps = PIPE_DEFAULT_MAX_STEPS;
    signal(SIGPIPE, SIG_IGN);
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
    if (!host->closed && fflush(host->out) != 0 && errno != EPIPE) {
        fprintf(stderr, "pipe: write error: %s\n", strerror(errno));
        return code ? code : PIPE_EXIT_INPUT;
    }
    if (host->failed && code == PIPE_EXIT_OK)
        code = PIPE_EXIT_INPUT;
    return code;
}

void pipe_host_fail(pipe_host *host, const char *source, const char *fmt, ...)
{
    host->failed = 1;
    fflush(host->out);
    fprintf(stderr, "pipe: %s: ", source);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int pipe_host_usage(pipe_host *host, const char *fmt, ...)
{
    (void)host;
    fputs("pipe: ", stderr);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
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

/* Open a path (or "-") for gzread; stdin is dup'd so gzclose leaves fd 0
 * alone for the next "-" input. */
static gzFile open_input(const char *path, char **err)
{
    int fd;
    if (strcmp(path, "-") == 0) {
        fd = dup(0);
    } else {
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            struct stat st;
            if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
                close(fd);
                *err = dupf("is a directory");
                return NULL;
            }
        }
    }
    if (fd < 0) {
        *err = dupf("%s", strerror(errno));
        return NULL;
    }
    gzFile gz = gzdopen(fd, "rb");
    if (!gz) {
        close(fd);
        *err = dupf("out of memory");
        return NULL;
    }
    gzbuffer(gz, 1 << 16);
    return gz;
}

static char *gz_error(gzFile gz)
{
    int e;
    const char *msg = gzerror(gz, &e);
    if (e == Z_ERRNO)
        return dupf("%s", strerror(errno));
    return dupf("bad gzip data: %s", msg);
}

int pipe_host_read(pipe_host *host, const char *path, char **data,
                   size_t *len, char **err)
{
    return pipe_read_file(path, host->max_input, data, len, err);
}

int pipe_read_file(const char *path, size_t limit, char **data, size_t *len,
                   char **err)
{
    *data = NULL;
    *len = 0;
    gzFile gz = open_input(path, err);
    if (!gz)
        return -1;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    if (!buf) {
        gzclose(gz);
        *err = dupf("out of memory");
        return -1;
    }
    for (;;) {
        if (n == cap) {
            if (cap > limit) {
                free(buf);
                gzclose(gz);
                *err = dupf("input is larger than the %zu byte limit "
                            "(--max-input)", limit);
                return -1;
            }
            size_t ncap = cap * 2;
            char *nb = realloc(buf, ncap + 1);
            if (!nb) {
                free(buf);
                gzclose(gz);
                *err = dupf("out of memory");
                return -1;
            }
            buf = nb;
            cap = ncap;
        }
        size_t want = cap - n;
        if (want > (1u << 30))
            want = 1u << 30;
        int got = gzread(gz, buf + n, (unsigned)want);
        if (got < 0) {
            *err = gz_error(gz);
            free(buf);
            gzclose(gz);
            return -1;
        }
        if (got == 0)
            break;
        n += (size_t)got;
    }
    int e;
    gzerror(gz, &e);
    if (e == Z_BUF_ERROR) {
        /* zlib tolerates a stream that stops mid-way; we do not */
        free(buf);
        gzclose(gz);
        *err = dupf("truncated gzip data (unexpected end of file)");
        return -1;
    }
    gzclose(gz);
    if (n > limit) {
        free(buf);
        *err = dupf("input is larger than the %zu byte limit (--max-input)",
                    limit);
        return -1;
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return 0;
}

struct each_ctx {
    pipe_host *host;
    pipe_input_fn fn;
    void *ud;
};

static int each_one(const char *path, void *p)
{
    struct each_ctx *c = p;
    if (c->host->closed)
        return -1;
    char *data, *err = NULL;
    size_t len;
    if (pipe_host_read(c->host, path, &data, &len, &err) != 0) {
        pipe_host_fail(c->host, path, "%s", err ? err : "cannot read");
        free(err);
        return 0;
    }
    pipe_input in = {path, data, len};
    c->fn(c->host, &in, c->ud);
    free(data);
    return c->host->closed ? -1 : 0;
}

int pipe_host_each_input(pipe_host *host, char **paths, int n,
                         const char *from, pipe_input_fn fn, void *ud)
{
    struct each_ctx c = {host, fn, ud};
    for (int i = 0; i < n && !host->closed; i++)
        each_one(paths[i], &c);
    if (from && !host->closed) {
        char *err = NULL;
        if (pipe_each_listed(from, each_one, &c, &err) != 0 && err) {
            pipe_host_usage(host, "--from %s: %s", from, err);
            free(err);
            return PIPE_EXIT_USAGE;
        }
    }
    if (n == 0 && !from)
        each_one("-", &c);
    return host->failed ? PIPE_EXIT_INPUT : PIPE_EXIT_OK;
}

int pipe_lines_open(pipe_lines *ls, const char *path, char **err)
{
    memset(ls, 0, sizeof *ls);
    ls->gz = open_input(path, err);
    return ls->gz ? 0 : -1;
}

long pipe_lines_next(pipe_lines *ls, char **line, char **err)
{
    size_t n = 0;
    for (;;) {
        if (ls->cap - n < 2) {
            size_t ncap = ls->cap ? ls->cap * 2 : 4096;
            char *nb = realloc(ls->buf, ncap);
            if (!nb) {
                *err = dupf("out of memory");
                return -2;
            }
            ls->buf = nb;
            ls->cap = ncap;
        }
        if (!gzgets(ls->gz, ls->buf + n, (int)(ls->cap - n > 1u << 30
                                                  ? 1u << 30 : ls->cap - n))) {
            int e;
            gzerror(ls->gz, &e);
            if (e == Z_BUF_ERROR) {
                *err = dupf("truncated gzip data (unexpected end of file)");
                return -2;
            }
            if (e != Z_OK) {
                *err = gz_error(ls->gz);
                return -2;
            }
            if (n == 0)
                return -1;
            break;
        }
        n += strlen(ls->buf + n);
        if (n > 0 && ls->buf[n - 1] == '\n')
            break;
    }
    ls->lineno++;
    while (n > 0 && (ls->buf[n - 1] == '\n' || ls->buf[n - 1] == '\r'))
        n--;
    ls->buf[n] = '\0';
    *line = ls->buf;
    return (long)n;
}

void pipe_lines_close(pipe_lines *ls)
{
    if (ls->gz)
        gzclose(ls->gz);
    free(ls->buf);
    memset(ls, 0, sizeof *ls);
}

int pipe_each_listed(const char *from, int (*fn)(const char *, void *),
                     void *ud, char **err)
{
    pipe_lines ls;
    if (pipe_lines_open(&ls, from, err) != 0)
        return -1;
    char *line;
    long n;
    int rc = 0;
    while ((n = pipe_lines_next(&ls, &line, err)) >= 0) {
        if (n == 0)
            continue;
        char *path = strdup(line);
        if (!path) {
            *err = dupf("out of memory");
            rc = -1;
            break;
        }
        int stop = fn(path, ud);
        free(path);
        if (stop)
            break;
    }
    if (n == -2)
        rc = -1;
    pipe_lines_close(&ls);
    return rc;
}
