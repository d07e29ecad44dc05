/*
 * Inputs: reading files, stdin and gzip (recognised by its magic bytes,
 * inflated with zlib), streams of lines, `--from` lists.
 *
 * Caveats: zlib's gzread fills its whole buffer before returning, which
 * would hold back a slow pipe (`tail -f`); so reads go through read(2)
 * once at a time and gzip input through inflate directly.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core.h"

char *pipe_strf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    return n < 0 ? NULL : s;
}

/* strerror, lowercased as pipe's messages are ("no such file or
 * directory"), malloc'd. */
static char *sys_error(int e)
{
    char m[128];
    pipe_strerror(e, m, sizeof m);
    return pipe_strf("%s", m);
}

/* Open a path (or "-") as a file descriptor; stdin is dup'd so closing
 * it leaves fd 0 alone for the next "-" input.  *st: the path's stat
 * (st_mode 0 for "-"). */
static int open_fd(const char *path, struct stat *st, char **err)
{
    int fd;
    memset(st, 0, sizeof *st);
    if (strcmp(path, "-") == 0) {
        fd = dup(0);
    } else {
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0 && fstat(fd, st) == 0 && S_ISDIR(st->st_mode)) {
            close(fd);
            *err = pipe_strf("is a directory");
            return -1;
        }
    }
    if (fd < 0)
        *err = sys_error(errno);
    return fd;
}

#define RAW_CHUNK ((size_t)1 << 16)

/* One read(2) into the raw buffer (after what is still unconsumed). */
static int fill_raw(pipe_reader *r, char **err)
{
    if (r->in_pos > 0 && r->in_pos == r->in_len)
        r->in_pos = r->in_len = 0;
    if (r->in_len == RAW_CHUNK) {
        memmove(r->in, r->in + r->in_pos, r->in_len - r->in_pos);
        r->in_len -= r->in_pos;
        r->in_pos = 0;
    }
    ssize_t got;
    do
        got = read(r->fd, r->in + r->in_len, RAW_CHUNK - r->in_len);
    while (got < 0 && errno == EINTR);
    if (got < 0) {
        *err = sys_error(errno);
        return -1;
    }
    if (got == 0)
        r->raw_eof = 1;
    r->in_len += (size_t)got;
    return 0;
}

/* A reader on an open fd (which it closes). */
static int reader_start(pipe_reader *r, int fd, char **err)
{
    memset(r, 0, sizeof *r);
    r->fd = fd;
    r->in = malloc(RAW_CHUNK);
    if (!r->in) {
        close(r->fd);
        *err = pipe_strf("out of memory");
        return -1;
    }
    /* two bytes decide between gzip and plain */
    while (r->in_len < 2 && !r->raw_eof)
        if (fill_raw(r, err) != 0) {
            pipe_reader_close(r);
            return -1;
        }
    if (r->in_len >= 2 && r->in[0] == 0x1f && r->in[1] == 0x8b) {
        r->gzip = 1;
        if (inflateInit2(&r->zs, 15 + 16) != Z_OK) {
            pipe_reader_close(r);
            *err = pipe_strf("out of memory");
            return -1;
        }
        r->zs_ready = 1;
    }
    return 0;
}

int pipe_reader_open(pipe_reader *r, const char *path, char **err)
{
    struct stat st;
    int fd = open_fd(path, &st, err);
    if (fd < 0) {
        memset(r, 0, sizeof *r);
        r->fd = -1;
        return -1;
    }
    return reader_start(r, fd, err);
}

static long read_plain(pipe_reader *r, char *buf, size_t n, char **err)
{
    if (r->in_pos < r->in_len) {
        size_t k = r->in_len - r->in_pos;
        if (k > n)
            k = n;
        memcpy(buf, r->in + r->in_pos, k);
        r->in_pos += k;
        return (long)k;
    }
    if (r->raw_eof)
        return 0;
    ssize_t got;
    do
        got = read(r->fd, buf, n);
    while (got < 0 && errno == EINTR);
    if (got < 0) {
        *err = sys_error(errno);
        return -1;
    }
    if (got == 0)
        r->raw_eof = 1;
    return (long)got;
}

static long read_gzip(pipe_reader *r, char *buf, size_t n, char **err)
{
    if (n > UINT_MAX)
        n = UINT_MAX;
    for (;;) {
        if (r->in_pos == r->in_len && !r->raw_eof && fill_raw(r, err) != 0)
            return -1;
        r->zs.next_in = r->in + r->in_pos;
        r->zs.avail_in = (uInt)(r->in_len - r->in_pos);
        r->zs.next_out = (unsigned char *)buf;
        r->zs.avail_out = (uInt)n;
        int rc = inflate(&r->zs, Z_NO_FLUSH);
        r->in_pos = r->in_len - r->zs.avail_in;
        size_t made = n - r->zs.avail_out;
        if (rc == Z_STREAM_END) {
            /* another gzip member may follow (cat a.gz b.gz) */
            while (r->in_pos == r->in_len && !r->raw_eof)
                if (fill_raw(r, err) != 0)
                    return -1;
            if (r->in_len - r->in_pos >= 2 && r->in[r->in_pos] == 0x1f &&
                r->in[r->in_pos + 1] == 0x8b)
                inflateReset(&r->zs);
            else
                r->done = 1;
            if (made > 0 || r->done)
                return (long)made;
            continue;
        }
        if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT) {
            *err = pipe_strf("bad gzip data: %s", r->zs.msg ? r->zs.msg
                                                        : "corrupt stream");
            return -1;
        }
        if (rc == Z_MEM_ERROR) {
            *err = pipe_strf("out of memory");
            return -1;
        }
        if (made > 0)
            return (long)made;
        if (r->raw_eof && r->in_pos == r->in_len) {
            *err = pipe_strf("truncated gzip data (unexpected end of file)");
            return -1;
        }
    }
}

long pipe_reader_read(pipe_reader *r, char *buf, size_t n, char **err)
{
    if (r->done || n == 0)
        return 0;
    long got = r->gzip ? read_gzip(r, buf, n, err) : read_plain(r, buf, n, err);
    if (got == 0 && !r->gzip)
        r->done = 1;
    return got;
}

void pipe_reader_close(pipe_reader *r)
{
    if (r->zs_ready)
        inflateEnd(&r->zs);
    if (r->fd >= 0)
        close(r->fd);
    free(r->in);
    memset(r, 0, sizeof *r);
    r->fd = -1;
}

int pipe_host_read(pipe_host *host, const char *path, char **data,
                   size_t *len, char **err)
{
    return pipe_read_file(path, host->max_input, data, len, err);
}

static char *too_large(size_t limit)
{
    return pipe_strf("input is larger than the %zu byte limit (--max-input)",
                     limit);
}

/* A plain regular file, read straight into a buffer of its size (the
 * reader's path reads through its 64 KiB buffer, copies, and grows a
 * buffer of its own), up to the size it had when opened: a file appended
 * to while it is read is read as it was.  1 done (*data, or -1 with
 * *err); 0 not this path (gzip, over the limit), the fd's offset as it
 * was. */
static int read_regular(int fd, const struct stat *st, size_t limit,
                        char **data, size_t *len, char **err)
{
    if (!S_ISREG(st->st_mode) || st->st_size <= 0 ||
        (unsigned long long)st->st_size > limit)
        return 0;
    size_t size = (size_t)st->st_size, n = 0;
    char *buf = malloc(size + 1);
    if (!buf) {
        *err = pipe_strf("out of memory");
        return -1;
    }
    while (n < size) {
        ssize_t got = pread(fd, buf + n, size - n, (off_t)n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            *err = sys_error(errno);
            free(buf);
            return -1;
        }
        if (got == 0)
            break;    /* truncated since: what there is */
        n += (size_t)got;
    }
    if (n >= 2 && (unsigned char)buf[0] == 0x1f &&
        (unsigned char)buf[1] == 0x8b) {
        free(buf);
        return 0;    /* pread left the offset where it was */
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return 1;
}

/* The rest of pipe_read_file, on an open fd (closed here) and its stat;
 * `rewind`: the reader starts from offset 0, not where the fd is. */
static int read_whole(int fd, const struct stat *st, int rewind,
                      size_t limit, char **data, size_t *len, char **err)
{
    int done = read_regular(fd, st, limit, data, len, err);
    if (done != 0) {
        close(fd);
        return done > 0 ? 0 : -1;
    }
    if (rewind && lseek(fd, 0, SEEK_SET) != 0) {
        *err = sys_error(errno);
        close(fd);
        return -1;
    }
    pipe_reader r;
    if (reader_start(&r, fd, err) != 0)
        return -1;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    if (!buf) {
        pipe_reader_close(&r);
        *err = pipe_strf("out of memory");
        return -1;
    }
    for (;;) {
        if (n == cap) {
            if (cap > limit) {
                free(buf);
                pipe_reader_close(&r);
                *err = too_large(limit);
                return -1;
            }
            char *nb = realloc(buf, cap * 2 + 1);
            if (!nb) {
                free(buf);
                pipe_reader_close(&r);
                *err = pipe_strf("out of memory");
                return -1;
            }
            buf = nb;
            cap *= 2;
        }
        long got = pipe_reader_read(&r, buf + n, cap - n, err);
        if (got < 0) {
            free(buf);
            pipe_reader_close(&r);
            return -1;
        }
        if (got == 0)
            break;
        n += (size_t)got;
    }
    pipe_reader_close(&r);
    if (n > limit) {
        free(buf);
        *err = too_large(limit);
        return -1;
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return 0;
}

int pipe_read_file(const char *path, size_t limit, char **data, size_t *len,
                   char **err)
{
    *data = NULL;
    *len = 0;
    struct stat st;
    int fd = open_fd(path, &st, err);
    if (fd < 0)
        return -1;
    return read_whole(fd, &st, 0, limit, data, len, err);
}

int pipe_read_fd(int fd, size_t limit, char **data, size_t *len, char **err)
{
    *data = NULL;
    *len = 0;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        *err = sys_error(errno);
        close(fd);
        return -1;
    }
    /* a file from its start, wherever the one who opened it left its
     * offset (the sniff read a little) */
    return read_whole(fd, &st, S_ISREG(st.st_mode), limit, data, len, err);
}

int pipe_lines_open(pipe_lines *ls, const char *path, size_t limit,
                    char **err)
{
    memset(ls, 0, sizeof *ls);
    ls->limit = limit;
    return pipe_reader_open(&ls->r, path, err);
}

long pipe_lines_try(pipe_lines *ls, char **line, char **err)
{
    char *nl = ls->end > ls->scanned
                   ? memchr(ls->buf + ls->scanned, '\n', ls->end - ls->scanned)
                   : NULL;
    if (nl || (ls->eof && ls->end > ls->start)) {
        size_t n = (nl ? (size_t)(nl - ls->buf) : ls->end) - ls->start;
        char *s = ls->buf + ls->start;
        ls->start += n + (nl != NULL);
        ls->scanned = ls->start;
        if (n > 0 && s[n - 1] == '\r')
            n--;
        s[n] = '\0';
        ls->lineno++;
        *line = s;
        return (long)n;
    }
    ls->scanned = ls->end;
    if (ls->eof)
        return -1;
    if (ls->end - ls->start > ls->limit) {
        *err = pipe_strf("line %lu is longer than the %zu byte limit "
                    "(--max-input)", ls->lineno + 1, ls->limit);
        return -2;
    }
    return -3;
}

int pipe_lines_fill(pipe_lines *ls, char **err)
{
    /* make room: move the partial line to the front, grow if full */
    if (ls->start > 0) {
        memmove(ls->buf, ls->buf + ls->start, ls->end - ls->start);
        ls->end -= ls->start;
        ls->scanned -= ls->start;
        ls->start = 0;
    }
    if (ls->cap - ls->end < 4096) {
        size_t ncap = ls->cap ? ls->cap * 2 : 65536;
        char *nb = realloc(ls->buf, ncap + 1);
        if (!nb) {
            *err = pipe_strf("out of memory");
            return -1;
        }
        ls->buf = nb;
        ls->cap = ncap;
    }
    long got = pipe_reader_read(&ls->r, ls->buf + ls->end, ls->cap - ls->end,
                                err);
    if (got < 0)
        return -1;
    if (got == 0)
        ls->eof = 1;
    ls->end += (size_t)got;
    return 0;
}

long pipe_lines_next(pipe_lines *ls, char **line, char **err)
{
    for (;;) {
        long n = pipe_lines_try(ls, line, err);
        if (n != -3)
            return n;
        if (pipe_lines_fill(ls, err) != 0)
            return -2;
    }
}

void pipe_lines_close(pipe_lines *ls)
{
    pipe_reader_close(&ls->r);
    free(ls->buf);
    memset(ls, 0, sizeof *ls);
}

int pipe_each_listed(const char *from, int (*fn)(const char *, void *),
                     void *ud, char **err)
{
    pipe_lines ls;
    if (pipe_lines_open(&ls, from, (size_t)1 << 20, err) != 0)
        return -1;
    char *line;
    long n;
    int rc = 0;
    while ((n = pipe_lines_next(&ls, &line, err)) >= 0) {
        if (n == 0)
            continue;
        char *path = strdup(line);
        if (!path) {
            *err = pipe_strf("out of memory");
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
