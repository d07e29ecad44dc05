/*
 * The supervisor's side of the inputs: see inputs.h.
 *
 * Caveats: stdin can only be read once, so "-" is sniffed here and, when
 * it is not an archive, read here whole (at most --max-input bytes) and
 * sent as a page unit; a worker inflates it if it is gzip.  So is a path
 * that is not a regular file (a FIFO, `<(...)`, a device).  A path is
 * sniffed here (its first 512 bytes) and read again by its worker, from
 * the same open file when the caller keeps it (pipe_read_fd: no second
 * open, path walk and close).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "core.h"
#include "inputs.h"

#define SNIFF_BYTES 512


void pipe_inputs_init(pipe_inputs *ins, pipe_host *host)
{
    memset(ins, 0, sizeof *ins);
    ins->host = host;
    ins->warc_id = -1;
}

static pipe_input_state *find(pipe_inputs *ins, int id)
{
    if (id < ins->first_id || (size_t)(id - ins->first_id) >= ins->nact)
        return NULL;
    pipe_input_state *st = &ins->act[ins->head + (size_t)(id - ins->first_id)];
    return st->gone ? NULL : st;
}

static void release_state(pipe_input_state *st)
{
    if (st->have_file)
        pipe_outfile_abort(&st->of);
    free(st->name);
    free(st->werr);
    st->name = st->werr = NULL;
    st->have_file = 0;
    st->gone = 1;
}

/* Input `st` is finished: its resources go now, its slot when every input
 * before it has gone too. */
static void drop_state(pipe_inputs *ins, pipe_input_state *st)
{
    release_state(st);
    while (ins->nact && ins->act[ins->head].gone) {
        ins->head++;
        ins->nact--;
        ins->first_id++;
    }
    if (ins->nact == 0)
        ins->head = 0;
}

static void close_archive(pipe_inputs *ins)
{
    if (!ins->warc)
        return;
    const pipe_warc_stats *stats = pipe_warc_get_stats(ins->warc);
    pipe_input_state *st = find(ins, ins->warc_id);
    if (st)
        for (int k = 1; k < PIPE_WARC_NSKIP; k++)
            st->skipped += stats->skipped[k];
    pipe_warc_close(ins->warc);
    ins->warc = NULL;
    free(ins->warc_path);
    ins->warc_path = NULL;
    pipe_inputs_fed(ins, ins->warc_id);
    ins->warc_id = -1;
}

void pipe_inputs_close(pipe_inputs *ins)
{
    close_archive(ins);
    for (size_t i = 0; i < ins->nact; i++)
        if (!ins->act[ins->head + i].gone)
            release_state(&ins->act[ins->head + i]);
    free(ins->act);
    memset(ins, 0, sizeof *ins);
    ins->warc_id = -1;
}

void pipe_inputs_fed(pipe_inputs *ins, int id)
{
    pipe_input_state *st = find(ins, id);
    if (st)
        st->fed = 1;
}

void pipe_inputs_made(pipe_inputs *ins, int id)
{
    pipe_input_state *st = find(ins, id);
    if (st)
        st->made++;
}

void pipe_inputs_result(pipe_inputs *ins, int id, int failed)
{
    pipe_input_state *st = find(ins, id);
    if (!st)
        return;
    if (failed)
        st->failed++;
}

/* Read up to n bytes (fewer only at the end). */
static ssize_t read_some(int fd, char *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return got ? (ssize_t)got : -1;
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

/* The rest of stdin after `head`, packed as a raw page unit. */
static int read_stdin(pipe_inputs *ins, int fd, const char *head, size_t n,
                      char **data, size_t *len, char **fail)
{
    size_t limit = ins->host->max_input, cap = n + 65536, have = n + 1;
    char *buf = malloc(cap + 1);
    if (!buf) {
        *fail = pipe_strf("out of memory");
        return -1;
    }
    buf[0] = 'R';
    memcpy(buf + 1, head, n);
    for (;;) {
        if (have == cap) {
            if (have - 1 > limit) {
                free(buf);
                *fail = pipe_strf("input is larger than the %zu byte limit "
                            "(--max-input)",
                            limit);
                return -1;
            }
            char *nb = realloc(buf, cap * 2 + 1);
            if (!nb) {
                free(buf);
                *fail = pipe_strf("out of memory");
                return -1;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + have, cap - have);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            char m[128];
            pipe_strerror(errno, m, sizeof m);
            free(buf);
            *fail = pipe_strf("%s", m);
            return -1;
        }
        if (r == 0)
            break;
        have += (size_t)r;
    }
    if (have - 1 > limit && !(n >= 2 && (unsigned char)head[0] == 0x1f &&
                              (unsigned char)head[1] == 0x8b)) {
        free(buf);
        *fail = pipe_strf("input is larger than the %zu byte limit (--max-input)",
                    limit);
        return -1;
    }
    buf[have] = '\0';
    *data = buf;
    *len = have;
    return 2;
}

int pipe_inputs_start(pipe_inputs *ins, const char *path, int lines, int *id,
                      char **data, size_t *len, char **fail, int *keep)
{
    pipe_host *host = ins->host;
    *data = *fail = NULL;
    *len = 0;
    if (keep)
        *keep = -1;
    if (ins->head + ins->nact == ins->capact && ins->head > 0) {
        /* the freed slots before head: once per capact - head inputs */
        memmove(ins->act, ins->act + ins->head, ins->nact * sizeof *ins->act);
        ins->head = 0;
    }
    if (ins->nact == ins->capact) {
        size_t cap = ins->capact ? ins->capact * 2 : 16;
        pipe_input_state *na = realloc(ins->act, cap * sizeof *na);
        if (!na) {
            *fail = pipe_strf("out of memory");
            *id = -1;
            return -1;
        }
        ins->act = na;
        ins->capact = cap;
    }
    if (ins->nact == 0)
        ins->first_id = ins->next_id;
    pipe_input_state *st = &ins->act[ins->head + ins->nact++];
    memset(st, 0, sizeof *st);
    st->id = *id = ins->next_id++;
    st->name = strdup(path);
    ins->inputs++;
    if (host->outdir) {
        char *err = NULL;
        int r = pipe_outdir_begin(host->outdir, path, &st->of, &err);
        if (r == 0) {
            st->skipped_whole = 1;
            st->fed = 1;
            return 3;
        }
        if (r < 0) {
            *fail = err;
            st->made = st->fail_units = 1;
            st->fed = 1;
            return -1;
        }
        st->have_file = 1;
    }
    if (lines)
        return 0;
    int dash = strcmp(path, "-") == 0;
    int fd = dash ? dup(0) : open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0 || S_ISDIR(sb.st_mode)) {
        if (fd >= 0)
            close(fd);
        st->made = 1; /* the worker reports it, as for any page */
        st->fed = 1;
        return 0;
    }
    char head[SNIFF_BYTES];
    ssize_t n = read_some(fd, head, sizeof head);
    if (n > 0 && pipe_warc_sniff(head, (size_t)n)) {
        char *err = NULL;
        ins->warc = pipe_warc_open_fd(fd, head, (size_t)n, host->max_input,
                                      &err);
        if (!ins->warc) {
            *fail = err;
            st->made = st->fail_units = 1;
            st->fed = 1;
            return -1;
        }
        ins->warc_id = st->id;
        ins->warc_path = strdup(path);
        ins->saw_archive = 1;
        return 1;
    }
    st->made = 1;
    st->fed = 1;
    if (!dash && S_ISREG(sb.st_mode)) {
        if (keep)
            *keep = fd;    /* the worker reads it from there */
        else
            close(fd);
        return 0;
    }
    /* stdin, or a path that is a pipe, a socket or a device (`<(curl
     * ...)`, a FIFO): what the sniff read is gone from it, so it is read
     * here, whole, and sent as a page */
    int r = read_stdin(ins, fd, head, n > 0 ? (size_t)n : 0, data, len, fail);
    close(fd);
    if (r < 0)
        st->fail_units = 1;
    return r;
}

char *pipe_unit_pack(const pipe_warc_record *rec, const pipe_warc_page *page,
                     size_t *len)
{
    const char *f[4] = {rec->target_uri, rec->record_id, rec->date,
                        page->charset};
    size_t n = 1 + page->body_len;
    for (int i = 0; i < 4; i++)
        n += (f[i] ? strlen(f[i]) : 0) + 1;
    char *buf = malloc(n + 1);
    if (!buf)
        return NULL;
    char *p = buf;
    *p++ = 'W';
    for (int i = 0; i < 4; i++) {
        size_t k = f[i] ? strlen(f[i]) : 0;
        memcpy(p, f[i] ? f[i] : "", k);
        p += k;
        *p++ = '\0';
    }
    memcpy(p, page->body, page->body_len);
    p[page->body_len] = '\0';
    *len = n;
    return buf;
}

/* Inflate a gzip'd page read from stdin, at most `limit` bytes. */
static int gunzip(const char *s, size_t n, size_t limit, char **out,
                  size_t *outlen, char **err)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 15 + 16) != Z_OK) {
        *err = pipe_strf("out of memory");
        return -1;
    }
    size_t cap = 65536, have = 0;
    char *buf = malloc(cap + 1);
    zs.next_in = (unsigned char *)s;
    zs.avail_in = n > UINT_MAX ? UINT_MAX : (uInt)n;
    int rc = Z_OK;
    while (buf) {
        if (have == cap) {
            if (have > limit)
                break;
            char *nb = realloc(buf, cap * 2 + 1);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        zs.next_out = (unsigned char *)buf + have;
        zs.avail_out = (uInt)(cap - have > UINT_MAX ? UINT_MAX : cap - have);
        size_t before = zs.avail_out;
        rc = inflate(&zs, Z_NO_FLUSH);
        have += before - zs.avail_out;
        if (rc == Z_STREAM_END && zs.avail_in >= 2 && zs.next_in[0] == 0x1f &&
            zs.next_in[1] == 0x8b) {
            inflateReset(&zs);
            continue;
        }
        if (rc != Z_OK)
            break;
    }
    inflateEnd(&zs);
    if (!buf) {
        *err = pipe_strf("out of memory");
        return -1;
    }
    if (have > limit) {
        free(buf);
        *err = pipe_strf("input is larger than the %zu byte limit (--max-input)",
                   limit);
        return -1;
    }
    if (rc != Z_STREAM_END) {
        free(buf);
        *err = rc == Z_BUF_ERROR
                   ? pipe_strf("truncated gzip data (unexpected end of file)")
                   : pipe_strf("bad gzip data: %s",
                         zs.msg ? zs.msg : "corrupt stream");
        return -1;
    }
    buf[have] = '\0';
    *out = buf;
    *outlen = have;
    return 0;
}

int pipe_unit_unpack(const char *data, size_t len, size_t limit,
                     pipe_input *in, char **owned, char **err)
{
    *owned = NULL;
    in->url = in->warc_id = in->fetched = in->charset = NULL;
    if (len == 0)
        return -1;
    if (data[0] == 'R') {
        in->data = data + 1;
        in->len = len - 1;
        const unsigned char *u = (const unsigned char *)in->data;
        if (in->len >= 2 && u[0] == 0x1f && u[1] == 0x8b) {
            if (gunzip(in->data, in->len, limit, owned, &in->len, err) != 0)
                return -1;
            in->data = *owned;
        }
        return 0;
    }
    const char *p = data + 1, *end = data + len;
    const char **f[4] = {&in->url, &in->warc_id, &in->fetched, &in->charset};
    for (int i = 0; i < 4; i++) {
        const char *z = memchr(p, '\0', (size_t)(end - p));
        if (!z)
            return -1;
        *f[i] = z > p ? p : NULL;
        p = z + 1;
    }
    in->data = p;
    in->len = (size_t)(end - p);
    return 0;
}

int pipe_inputs_next_page(pipe_inputs *ins, char **src, char **data,
                          size_t *len, char **fail, int *id)
{
    *src = *data = *fail = NULL;
    *len = 0;
    if (!ins->warc)
        return 0;
    *id = ins->warc_id;
    pipe_warc_record rec;
    pipe_warc_page page;
    uint64_t off = 0, skip = 0;
    char *msg = NULL;
    int r = pipe_warc_next_page(ins->warc, &rec, &page, &off, &skip, &msg);
    if (r == 0) {
        close_archive(ins);
        return 0;
    }
    size_t wn = strlen(ins->warc_path) + 48;
    *src = malloc(wn);
    if (!*src) {
        if (r == 1)
            pipe_warc_page_free(&page);
        free(msg);
        close_archive(ins);
        return 0;
    }
    if (r == 1) {
        pipe_warc_where(*src, wn, ins->warc_path, rec.offset, rec.skip);
        *data = pipe_unit_pack(&rec, &page, len);
        pipe_warc_page_free(&page);
        if (!*data)
            *fail = pipe_strf("out of memory");
    } else if (r == -1) {
        pipe_warc_where(*src, wn, ins->warc_path, off, skip);
        *fail = msg ? msg : pipe_strf("bad record");
    } else {
        snprintf(*src, wn, "%s", ins->warc_path);
        *fail = msg ? msg : pipe_strf("read error");
    }
    pipe_inputs_made(ins, *id);
    if (*fail) {
        pipe_input_state *st = find(ins, *id);
        if (st)
            st->fail_units++;
    }
    if (r == -2)
        close_archive(ins);
    return 1;
}

int pipe_inputs_emit(pipe_inputs *ins, int id, unsigned long units,
                     const char *out, size_t olen)
{
    pipe_input_state *st = find(ins, id);
    if (!st)
        return 0;
    st->out += units;
    st->pages += units;
    if (!st->have_file)
        return 0; /* records are counted for --output's summaries only */
    if (olen) /* a failure unit has no records (out is NULL) */
        for (const char *p = out, *e = out + olen;
             (p = memchr(p, '\n', (size_t)(e - p))) != NULL; p++)
            st->records++;
    if (olen && st->of.fd >= 0) {
        char *err = NULL;
        if (pipe_outfile_write(&st->of, out, olen, &err) != 0) {
            /* reported when the input finishes; nothing more is kept */
            pipe_outfile_abort(&st->of);
            st->werr = err ? err : pipe_strf("cannot write");
        }
    }
    return 1;
}

static void say_fmt(void (*say)(void *, const char *, size_t), void *ud,
                    const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    char line[8192];
    int n = vsnprintf(line, sizeof line, f, ap);
    va_end(ap);
    if (n > 0)
        say(ud, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

/* Input i is complete: its file into place, its summary, the totals. */
static void finish(pipe_inputs *ins, pipe_input_state *st,
                   void (*say)(void *, const char *, size_t), void *ud)
{
    pipe_host *host = ins->host;
    char *final = NULL;
    if (st->werr) {
        say_fmt(say, ud, "pipe: %s: %s\n", st->name, st->werr);
        st->failed++;
        host->failed = 1;
        st->have_file = 0;
    }
    if (st->have_file) {
        final = st->of.final ? strdup(st->of.final) : NULL;
        char *err = NULL;
        if (pipe_outfile_commit(&st->of, &err) != 0) {
            say_fmt(say, ud, "pipe: %s: %s\n", st->name, err ? err : "?");
            free(err);
            st->failed++;
            host->failed = 1;
            free(final);
            final = NULL;
        }
        st->have_file = 0;
    }
    /* pages: units written out, less those that were failure reports
     * made here (bad records, unreadable archives) */
    unsigned long pages =
        st->pages > st->fail_units ? st->pages - st->fail_units : 0;
    if (st->skipped_whole) {
        ins->inputs_done_before++;
        if (host->pool.progress > 0 && host->outdir)
            say_fmt(say, ud,
                    "pipe: %s: done before (its output exists), skipped\n",
                    st->name);
    } else {
        if (host->pool.progress > 0 && host->outdir)
            say_fmt(say, ud,
                    "pipe: %s: %lu page%s, %lu records, %lu failed, %lu "
                    "skipped%s%s\n",
                    st->name, pages, pages == 1 ? "" : "s", st->records,
                    st->failed, st->skipped,
                    final ? " -> " : "", final ? final : "");
        ins->pages += pages;
        ins->records += st->records;
        ins->failed += st->failed;
        ins->skipped += st->skipped;
    }
    free(final);
    drop_state(ins, st);
}

void pipe_inputs_settle(pipe_inputs *ins, int unordered,
                        void (*say)(void *, const char *, size_t), void *ud)
{
    /* by id: finishing the first input in line frees its slot (the next
     * is then first); a later one's slot stays, marked gone */
    for (int id = ins->first_id; (size_t)(id - ins->first_id) < ins->nact;) {
        pipe_input_state *st = find(ins, id);
        if (st && st->fed && st->out >= st->made)
            finish(ins, st, say, ud);
        else if (st && !unordered)
            return;
        id = id + 1 > ins->first_id ? id + 1 : ins->first_id;
    }
}

void pipe_inputs_summary(pipe_inputs *ins,
                         void (*say)(void *, const char *, size_t), void *ud)
{
    pipe_host *host = ins->host;
    if (host->pool.progress == 0 || !host->outdir)
        return;
    char before[64] = "";
    if (ins->inputs_done_before)
        snprintf(before, sizeof before, " (%lu done before, skipped)",
                 ins->inputs_done_before);
    say_fmt(say, ud,
            "pipe: %lu input%s%s, %lu pages, %lu records, %lu failed, %lu "
            "skipped\n",
            ins->inputs, ins->inputs == 1 ? "" : "s", before, ins->pages,
            ins->records, ins->failed, ins->skipped);
}
