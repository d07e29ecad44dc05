/*
 * `--output DIR`: one output file per input, DIR/NAME.ndjson.gz (or
 * .ndjson with --no-gzip), NAME being the input's file name without its
 * last extension (GNU parallel's {/.}: "CC-MAIN-1.warc.gz" gives
 * "CC-MAIN-1.warc.ndjson.gz", "page.html" gives "page.ndjson.gz").
 *
 * A file is written under a temporary name in DIR (".NAME.ndjson.gz.tmp-PID",
 * hidden from a `DIR/NAME*` glob), synced, and renamed when its input is
 * complete, so a file in DIR with the final name is always whole, even
 * after a crash or a host that dies.  An input whose output already exists
 * is skipped (a rerun does only what is missing) unless `force`.
 *
 * Caveats: two inputs of one run with the same NAME (a/x.html, b/x.html)
 * would write the same file: the second is refused.  Temporary files left
 * by a run that died (its PID no longer running on this host) are removed
 * when their NAME is written again; those of a live run are left alone, so
 * two runs racing on one input both finish and the last rename wins, each
 * file whole.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "core.h"
#include "outdir.h"


static char *sys_msg(const char *what, const char *path, int e)
{
    char b[256];
    const char *m = strerror_r(e, b, sizeof b);
    char *s = pipe_strf("%s %s: %s", what, path, m);
    if (s) {
        char *c = s + strlen(what) + strlen(path) + 3;
        if (*c >= 'A' && *c <= 'Z' && (c[1] < 'A' || c[1] > 'Z'))
            *c = (char)(*c - 'A' + 'a');
    }
    return s;
}

void pipe_outdir_name(const char *input, int gzip, char *buf, size_t n)
{
    const char *base = strrchr(input, '/');
    base = base ? base + 1 : input;
    if (strcmp(input, "-") == 0 || *base == '\0')
        base = "stdin";
    size_t len = strlen(base);
    const char *dot = strrchr(base, '.');
    if (dot && dot > base)
        len = (size_t)(dot - base);
    snprintf(buf, n, "%.*s%s", (int)len, base, gzip ? ".ndjson.gz" : ".ndjson");
}

/* mkdir -p */
static int make_dirs(const char *dir, char **err)
{
    char *p = strdup(dir);
    if (!p) {
        *err = pipe_strf("out of memory");
        return -1;
    }
    for (char *s = p + 1;; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, 0777) != 0 && errno != EEXIST) {
                *err = sys_msg("cannot create", p, errno);
                free(p);
                return -1;
            }
            *s = c;
            if (c == '\0')
                break;
        }
    }
    free(p);
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        *err = pipe_strf("--output %s: not a directory", dir);
        return -1;
    }
    return 0;
}

int pipe_outdir_init(pipe_outdir *od, const char *dir, int gzip, int force,
                     char **err)
{
    memset(od, 0, sizeof *od);
    od->gzip = gzip;
    od->force = force;
    if (make_dirs(dir, err) != 0)
        return -1;
    od->dir = strdup(dir);
    if (!od->dir) {
        *err = pipe_strf("out of memory");
        return -1;
    }
    return 0;
}

void pipe_outdir_free(pipe_outdir *od)
{
    for (size_t i = 0; i < od->n; i++)
        free(od->names[i]);
    free(od->names);
    free(od->dir);
    memset(od, 0, sizeof *od);
}

/* Remove DIR/.NAME.tmp-PID files whose PID is not running here. */
static void remove_stale(const char *dir, const char *name)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    size_t nl = strlen(name);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *s = e->d_name;
        if (s[0] != '.' || strncmp(s + 1, name, nl) != 0 ||
            strncmp(s + 1 + nl, ".tmp-", 5) != 0)
            continue;
        char *end;
        long pid = strtol(s + 1 + nl + 5, &end, 10);
        if (*end != '\0' || pid <= 0)
            continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        char *path = pipe_strf("%s/%s", dir, s);
        if (path)
            unlink(path);
        free(path);
    }
    closedir(d);
}

int pipe_outdir_begin(pipe_outdir *od, const char *input, pipe_outfile *of,
                      char **err)
{
    memset(of, 0, sizeof *of);
    of->fd = -1;
    char name[4096];
    pipe_outdir_name(input, od->gzip, name, sizeof name);
    for (size_t i = 0; i < od->n; i++)
        if (strcmp(od->names[i], name) == 0) {
            *err = pipe_strf("output %s/%s is already written by another input "
                       "of this run (same file name)",
                       od->dir, name);
            return -1;
        }
    if (od->n == od->cap) {
        size_t cap = od->cap ? od->cap * 2 : 16;
        char **nn = realloc(od->names, cap * sizeof *nn);
        if (!nn) {
            *err = pipe_strf("out of memory");
            return -1;
        }
        od->names = nn;
        od->cap = cap;
    }
    od->names[od->n] = strdup(name);
    if (!od->names[od->n]) {
        *err = pipe_strf("out of memory");
        return -1;
    }
    od->n++;
    of->final = pipe_strf("%s/%s", od->dir, name);
    of->tmp = pipe_strf("%s/.%s.tmp-%ld", od->dir, name, (long)getpid());
    if (!of->final || !of->tmp) {
        pipe_outfile_abort(of);
        *err = pipe_strf("out of memory");
        return -1;
    }
    struct stat st;
    if (!od->force && stat(of->final, &st) == 0) {
        free(of->final);
        free(of->tmp);
        memset(of, 0, sizeof *of);
        of->fd = -1;
        return 0;
    }
    remove_stale(od->dir, name);
    of->fd = open(of->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (of->fd < 0) {
        *err = sys_msg("cannot create", of->tmp, errno);
        pipe_outfile_abort(of);
        return -1;
    }
    if (od->gzip) {
        z_stream *zs = calloc(1, sizeof *zs);
        if (!zs || deflateInit2(zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 31, 8,
                                Z_DEFAULT_STRATEGY) != Z_OK) {
            free(zs);
            *err = pipe_strf("out of memory");
            pipe_outfile_abort(of);
            return -1;
        }
        of->zs = zs;
    }
    return 1;
}

static int write_all(pipe_outfile *of, const void *p, size_t n, char **err)
{
    const char *s = p;
    while (n > 0) {
        ssize_t w = write(of->fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            *err = sys_msg("cannot write", of->tmp, errno);
            return -1;
        }
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Deflate [p, p+n) with `flush`, writing what comes out. */
static int deflate_out(pipe_outfile *of, const char *p, size_t n, int flush,
                       char **err)
{
    z_stream *zs = of->zs;
    unsigned char out[1 << 16];
    zs->next_in = (unsigned char *)p;
    for (;;) {
        size_t k = n > (1u << 30) ? (1u << 30) : n;
        zs->avail_in = (uInt)k;
        n -= k;
        int f = n ? Z_NO_FLUSH : flush;
        do {
            zs->next_out = out;
            zs->avail_out = sizeof out;
            int rc = deflate(zs, f);
            if (rc == Z_STREAM_ERROR) {
                *err = pipe_strf("cannot compress %s", of->tmp);
                return -1;
            }
            if (write_all(of, out, sizeof out - zs->avail_out, err) != 0)
                return -1;
        } while (zs->avail_out == 0);
        if (n == 0)
            return 0;
    }
}

int pipe_outfile_write(pipe_outfile *of, const char *data, size_t len,
                       char **err)
{
    for (size_t i = 0; i < len; i++)
        if (data[i] == '\n')
            of->records++;
    of->bytes += len;
    if (of->zs)
        return deflate_out(of, data, len, Z_NO_FLUSH, err);
    return write_all(of, data, len, err);
}

int pipe_outfile_commit(pipe_outfile *of, char **err)
{
    if (of->zs && deflate_out(of, "", 0, Z_FINISH, err) != 0) {
        pipe_outfile_abort(of);
        return -1;
    }
    if (fsync(of->fd) != 0 && errno != EINVAL) {
        *err = sys_msg("cannot sync", of->tmp, errno);
        pipe_outfile_abort(of);
        return -1;
    }
    int fd = of->fd;
    of->fd = -1;
    if (close(fd) != 0) {
        *err = sys_msg("cannot write", of->tmp, errno);
        pipe_outfile_abort(of);
        return -1;
    }
    if (rename(of->tmp, of->final) != 0) {
        *err = sys_msg("cannot rename to", of->final, errno);
        pipe_outfile_abort(of);
        return -1;
    }
    free(of->tmp);
    of->tmp = NULL;
    pipe_outfile_abort(of); /* frees the rest */
    return 0;
}

void pipe_outfile_abort(pipe_outfile *of)
{
    if (of->fd >= 0)
        close(of->fd);
    if (of->tmp)
        unlink(of->tmp);
    if (of->zs) {
        deflateEnd(of->zs);
        free(of->zs);
    }
    free(of->tmp);
    free(of->final);
    of->zs = NULL;
    of->tmp = of->final = NULL;
    of->fd = -1;
}
