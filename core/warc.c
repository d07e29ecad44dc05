/*
 * The WARC reader (see warc.h): a byte stream (plain, or inflated gzip
 * members, each member's offset remembered) cut into records by their
 * Content-Length, with resynchronisation after bad bytes.
 *
 * Caveats: a corrupt gzip member is skipped by looking for the next gzip
 * magic after the start of the bad member; on a seekable file the reader
 * seeks back there, since inflate may have read past the real end of the
 * bad member before it noticed.  On a pipe it searches from where inflate
 * stopped, which can lose one more member.  Errors met while looking for
 * the next good member are not reported again.
 *
 * Caveats: lenient where real archives are broken in known ways (jwarc's
 * and warcio's issue trackers list them): bare LF line ends, whitespace
 * before the colon of a field, "<...>" around WARC-Target-URI (wget 1.19
 * to 1.21), any number of CR/LF between records.  A Content-Length that is
 * too small leaves bytes that are not a record header: reported, then the
 * reader looks for the next "WARC/" at the start of a line.
 *
 * Inflating: a gzip member is decoded whole, in one call, by libdeflate
 * (about twice zlib's speed; the supervisor of a `-j 2` run spent 65% of
 * its time in zlib) straight into the record buffer.  libdeflate needs
 * the whole member in memory and cannot say where a member ends before
 * it has decoded it, nor tell a member cut by the end of the raw window
 * from a corrupt one: fast_member() grows the window and the output
 * buffer and tries again (see there).  Whatever it cannot do goes to
 * zlib, which streams the member from its start exactly as this reader
 * always did: a corrupt or truncated member (so its messages, offsets
 * and the bytes it gave before it broke are zlib's), a member over
 * FAST_OUT_MAX, one with a header CRC (zlib checks it, libdeflate does
 * not), and on a pipe a member whose writer has not written all of it
 * yet (this reader never waits for more bytes than zlib would).
 * PIPE_WARC_INFLATE=zlib in the environment turns libdeflate
 * off; the tests compare the two.  One difference is known and kept: a
 * dynamic block whose last code-length repeat runs past the lengths it
 * needs is corrupt to zlib ("invalid bit length repeat") and fine to
 * libdeflate; when libdeflate's CRC-32 and length check pass, the bytes
 * are the ones that were compressed, and the record is read (no writer
 * makes such streams; fuzz_warc found one).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libdeflate.h>
#include <zlib.h>

#include "core.h"
#include "warc.h"

#define RAW_CHUNK ((size_t)1 << 18) /* first size of the raw window */
#define HEADER_MAX ((size_t)1 << 18)      /* longest record header accepted */
#define OVERSIZE_PREFIX ((size_t)1 << 16) /* kept of an oversized block */
#define TRAILER_MAX                                                            \
    ((size_t)1 << 16) /* read past a block to its member end                   \
                       */
/* libdeflate: a member is decoded whole when it inflates to at most
 * FAST_OUT_MAX bytes and its compressed bytes fit a raw window of
 * FAST_IN_MAX (deflate's worst case grows data by 5 bytes per 64 KiB,
 * plus the gzip header's optional fields); else zlib streams it. */
#define FAST_OUT_MAX ((size_t)16 << 20)
#define FAST_IN_MAX (FAST_OUT_MAX + FAST_OUT_MAX / 8 + ((size_t)1 << 20))
#define FAST_REFILL ((size_t)1 << 16) /* fewer raw bytes: read first */

struct member {
    uint64_t dpos; /* stream position of its first byte */
    uint64_t coff; /* file offset of its gzip header */
};

struct pipe_warc {
    int fd;
    size_t limit;
    int gzip;
    int seekable;
    pipe_warc_stats stats;

    /* raw bytes from the file */
    unsigned char *in;
    size_t in_pos, in_len, in_cap;
    uint64_t in_base; /* file offset of in[0] */
    int raw_eof;
    int regular;      /* a regular file: a read never waits */

    /* gzip */
    z_stream zs;
    int zs_ready;
    struct libdeflate_decompressor *ld; /* NULL: zlib only */
    int in_member;      /* inflate is inside a member */
    struct member *mem; /* members that started at or after the
                           member of the parse position */
    size_t nmem, memcap;
    int broken;         /* the stream cannot go on past buf end */
    int broken_corrupt; /* by bad data (not a cut or junk) */
    char *broken_msg;
    uint64_t broken_coff; /* file offset of the bad member (or junk) */
    int resyncing;        /* after a break, until the next record */

    /* the stream: bytes not yet parsed are buf[start..end) */
    char *buf;
    size_t cap, start, end;
    uint64_t base;    /* stream position of buf[0] */
    int lost;         /* look for "WARC/" at a line start */
    int bol;          /* buf[start] begins a line */
    uint64_t discard; /* bytes of an oversized block to drop */

    /* the current record's header, NUL-separated */
    char *hdr;
    size_t hdrcap;
};


static char *sys_msg(int e)
{
    char b[256];
    const char *m = strerror_r(e, b, sizeof b);
    char *s = pipe_strf("%s", m);
    if (s && s[0] >= 'A' && s[0] <= 'Z' && (s[1] < 'A' || s[1] > 'Z'))
        s[0] = (char)(s[0] - 'A' + 'a');
    return s;
}

const char *pipe_warc_skip_name(pipe_warc_skip s)
{
    static const char *const names[] = {
        "page",    "warcinfo", "request", "metadata",
        "revisit", "not-html", "status",  "other",
    };
    return (unsigned)s < PIPE_WARC_NSKIP ? names[s] : "?";
}

void pipe_warc_where(char *buf, size_t n, const char *file, uint64_t offset,
                     uint64_t skip)
{
    if (skip)
        snprintf(buf, n, "%s#%llu+%llu", file, (unsigned long long)offset,
                 (unsigned long long)skip);
    else
        snprintf(buf, n, "%s#%llu", file, (unsigned long long)offset);
}

/* A gzip member header starts 1f 8b 08 with no reserved flag bits. */
static int gzip_magic(const unsigned char *p, size_t n)
{
    return n >= 4 && p[0] == 0x1f && p[1] == 0x8b && p[2] == 8 &&
           (p[3] & 0xe0) == 0;
}

static int warc_magic(const unsigned char *p, size_t n)
{
    return n >= 6 && memcmp(p, "WARC/", 5) == 0 && p[5] >= '0' && p[5] <= '9';
}

int pipe_warc_sniff(const void *head, size_t n)
{
    const unsigned char *p = head;
    if (warc_magic(p, n))
        return 1;
    if (!gzip_magic(p, n))
        return 0;
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 15 + 16) != Z_OK)
        return 0;
    unsigned char out[16];
    zs.next_in = (unsigned char *)p;
    zs.avail_in = n > UINT_MAX ? UINT_MAX : (uInt)n;
    zs.next_out = out;
    zs.avail_out = sizeof out;
    int rc;
    do
        rc = inflate(&zs, Z_NO_FLUSH);
    while (rc == Z_OK && zs.avail_out > 0 && zs.avail_in > 0);
    size_t got = sizeof out - zs.avail_out;
    inflateEnd(&zs);
    return warc_magic(out, got);
}

/* Drop the consumed raw bytes: in[in_pos] moves to in[0]. */
static void compact_raw(pipe_warc *w)
{
    if (w->in_pos == 0)
        return;
    memmove(w->in, w->in + w->in_pos, w->in_len - w->in_pos);
    w->in_base += w->in_pos;
    w->in_len -= w->in_pos;
    w->in_pos = 0;
}

/* One read(2) into the raw buffer, after what is still unconsumed. */
static int fill_raw(pipe_warc *w, char **msg)
{
    if (w->in_pos == w->in_len) {
        w->in_base += w->in_pos;
        w->in_pos = w->in_len = 0;
    } else if (w->in_len == w->in_cap) {
        compact_raw(w);
    }
    ssize_t got;
    do
        got = read(w->fd, w->in + w->in_len, w->in_cap - w->in_len);
    while (got < 0 && errno == EINTR);
    if (got < 0) {
        *msg = sys_msg(errno);
        return -1;
    }
    if (got == 0)
        w->raw_eof = 1;
    w->in_len += (size_t)got;
    return 0;
}

pipe_warc *pipe_warc_open_fd(int fd, const void *head, size_t headlen,
                             size_t limit, char **msg)
{
    pipe_warc *w = calloc(1, sizeof *w);
    if (!w) {
        close(fd);
        *msg = pipe_strf("out of memory");
        return NULL;
    }
    w->fd = fd;
    w->limit = limit;
    w->bol = 1;
    w->cap = (size_t)1 << 18;
    w->in_cap = RAW_CHUNK;
    w->in = malloc(w->in_cap);
    w->buf = malloc(w->cap + 1);
    if (!w->in || !w->buf || headlen > RAW_CHUNK) {
        pipe_warc_close(w);
        *msg = pipe_strf(headlen > RAW_CHUNK ? "sniffed head too long"
                                       : "out of memory");
        return NULL;
    }
    if (headlen)
        memcpy(w->in, head, headlen);
    w->in_len = headlen;
    struct stat st;
    w->regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    w->seekable = w->regular && lseek(fd, 0, SEEK_CUR) == (off_t)headlen;
    while (w->in_len < 4 && !w->raw_eof)
        if (fill_raw(w, msg) != 0) {
            pipe_warc_close(w);
            return NULL;
        }
    if (w->in_len >= 2 && w->in[0] == 0x1f && w->in[1] == 0x8b) {
        w->gzip = 1;
        if (inflateInit2(&w->zs, 15 + 16) != Z_OK) {
            pipe_warc_close(w);
            *msg = pipe_strf("out of memory");
            return NULL;
        }
        w->zs_ready = 1;
        /* PIPE_WARC_INFLATE=zlib: zlib only (tests compare the two) */
        const char *how = getenv("PIPE_WARC_INFLATE");
        if (!how || strcmp(how, "zlib") != 0)
            w->ld = libdeflate_alloc_decompressor(); /* NULL: zlib */
    }
    return w;
}

pipe_warc *pipe_warc_open(const char *path, size_t limit, char **msg)
{
    int fd;
    if (strcmp(path, "-") == 0) {
        fd = dup(0);
    } else {
        fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
            close(fd);
            *msg = pipe_strf("is a directory");
            return NULL;
        }
    }
    if (fd < 0) {
        *msg = sys_msg(errno);
        return NULL;
    }
    return pipe_warc_open_fd(fd, NULL, 0, limit, msg);
}

void pipe_warc_close(pipe_warc *w)
{
    if (!w)
        return;
    if (w->zs_ready)
        inflateEnd(&w->zs);
    libdeflate_free_decompressor(w->ld);
    if (w->fd >= 0)
        close(w->fd);
    free(w->in);
    free(w->buf);
    free(w->mem);
    free(w->hdr);
    free(w->broken_msg);
    free(w);
}

const pipe_warc_stats *pipe_warc_get_stats(const pipe_warc *w)
{
    return &w->stats;
}

/* --- gzip members --------------------------------------------------- */

static int push_member(pipe_warc *w, uint64_t dpos, uint64_t coff)
{
    if (w->nmem == w->memcap) {
        size_t n = w->memcap ? w->memcap * 2 : 16;
        struct member *m = realloc(w->mem, n * sizeof *m);
        if (!m)
            return -1;
        w->mem = m;
        w->memcap = n;
    }
    w->mem[w->nmem].dpos = dpos;
    w->mem[w->nmem].coff = coff;
    w->nmem++;
    return 0;
}

/* Where stream position `pos` is in the file: see warc.h "Offsets".
 * Also forgets the members wholly before it. */
static void locate(pipe_warc *w, uint64_t pos, uint64_t *offset, uint64_t *skip)
{
    if (!w->gzip) {
        *offset = pos;
        *skip = 0;
        return;
    }
    size_t i = 0;
    while (i + 1 < w->nmem && w->mem[i + 1].dpos <= pos)
        i++;
    if (i > 0) {
        memmove(w->mem, w->mem + i, (w->nmem - i) * sizeof *w->mem);
        w->nmem -= i;
    }
    if (w->nmem == 0 || w->mem[0].dpos > pos) {
        *offset = pos; /* cannot happen: the stream starts a member */
        *skip = 0;
        return;
    }
    *offset = w->mem[0].coff;
    *skip = pos - w->mem[0].dpos;
}

static void set_broken(pipe_warc *w, uint64_t coff, int corrupt, char *msg)
{
    w->broken = 1;
    w->broken_corrupt = corrupt;
    w->broken_coff = coff;
    free(w->broken_msg);
    w->broken_msg = msg;
    w->in_member = 0;
}

/* Find the next gzip member header in the raw bytes: 1 found (at
 * in[in_pos]), 0 end of file, 2 junk (a break), -1 read error.  While the
 * reader resynchronises, junk is skipped without a word. */
static int next_member(pipe_warc *w, char **msg)
{
    for (;;) {
        while (w->in_len - w->in_pos < 4 && !w->raw_eof)
            if (fill_raw(w, msg) != 0)
                return -1;
        size_t n = w->in_len - w->in_pos;
        if (n == 0)
            return 0;
        if (gzip_magic(w->in + w->in_pos, n))
            return 1;
        if (!w->resyncing) {
            set_broken(w, w->in_base + w->in_pos, 0,
                       pipe_strf("not a gzip member (junk after the previous "
                           "one)"));
            return 2;
        }
        const unsigned char *q = memchr(w->in + w->in_pos + 1, 0x1f, n - 1);
        w->in_pos = q ? (size_t)(q - w->in) : w->in_len;
    }
}

/* Can read(2) give bytes now without waiting?  (A file always can; a
 * pipe only when its writer has written them.) */
static int readable_now(pipe_warc *w)
{
    if (w->regular)
        return 1;
    struct pollfd p = {w->fd, POLLIN, 0};
    int r;
    do
        r = poll(&p, 1, 0);
    while (r < 0 && errno == EINTR);
    return r > 0;
}

/* Read on until `want` raw bytes are unconsumed, the file ends, or (a
 * pipe) the writer has given all it has for now; the window grows as
 * needed.  0, or -1 when the window cannot grow or a read fails: then
 * zlib takes the member, and its own read meets the error where the
 * reader always met it. */
static int more_raw(pipe_warc *w, size_t want)
{
    compact_raw(w);
    if (want > w->in_cap) {
        size_t n = want; /* the callers double `want` */
        unsigned char *p = realloc(w->in, n);
        if (!p)
            return -1;
        w->in = p;
        w->in_cap = n;
    }
    while (w->in_len < want && !w->raw_eof && readable_now(w)) {
        ssize_t got;
        do
            got = read(w->fd, w->in + w->in_len, w->in_cap - w->in_len);
        while (got < 0 && errno == EINTR);
        if (got < 0)
            return -1;
        if (got == 0)
            w->raw_eof = 1;
        w->in_len += (size_t)got;
    }
    return 0;
}

/* At least `room` bytes free after buf end: the unparsed bytes moved to
 * the front, the buffer grown.  0, or -1 out of memory. */
static int make_room(pipe_warc *w, size_t room)
{
    if (w->start > 0) {
        memmove(w->buf, w->buf + w->start, w->end - w->start);
        w->base += w->start;
        w->end -= w->start;
        w->start = 0;
    }
    if (w->cap - w->end >= room)
        return 0;
    size_t ncap = w->cap;
    while (ncap - w->end < room)
        ncap *= 2;
    char *nb = realloc(w->buf, ncap + 1);
    if (!nb)
        return -1;
    w->buf = nb;
    w->cap = ncap;
    return 0;
}

/* Decode the gzip member at in[in_pos] whole with libdeflate, into
 * buf[end..]: 1 done (end and in_pos past it), or 0: left to zlib, which
 * then streams it from its start as if this had not been tried (the
 * member is corrupt or cut short, the file's writer is slower than this
 * reader, the member is over FAST_OUT_MAX, it has a header CRC, which
 * zlib checks and libdeflate does not, or the memory or a read for a
 * whole member failed).
 *
 * The member's end is only known once it is decoded: libdeflate needs
 * all of it in the raw window, and a member cut by the window's end
 * looks like bad data, so on bad data the window is filled to twice
 * what it held and the member tried again; a buffer too small for its
 * output is doubled likewise.  Each try costs at most what the last one
 * held, so the tries of one member cost at most twice the last. */
static int fast_member(pipe_warc *w)
{
    if (w->in[w->in_pos + 3] & 0x02) /* FHCRC */
        return 0;
    if (w->in_len - w->in_pos < FAST_REFILL && !w->raw_eof &&
        more_raw(w, w->in_cap) != 0)
        return 0;
    size_t room = w->cap - w->end;
    if (room < w->cap / 2 && w->start > 0 && make_room(w, 0) != 0)
        return 0;
    for (;;) {
        size_t avail = w->in_len - w->in_pos, used = 0, made = 0;
        room = w->cap - w->end;
        enum libdeflate_result rc = libdeflate_gzip_decompress_ex(
            w->ld, w->in + w->in_pos, avail, w->buf + w->end, room, &used,
            &made);
        if (rc == LIBDEFLATE_SUCCESS) {
            w->in_pos += used;
            w->end += made;
            w->stats.members_whole++;
            return 1;
        }
        if (rc == LIBDEFLATE_INSUFFICIENT_SPACE) {
            if (room >= FAST_OUT_MAX ||
                make_room(w, room * 2 < FAST_OUT_MAX ? room * 2 : FAST_OUT_MAX))
                return 0;
            continue;
        }
        if (w->raw_eof || avail >= FAST_IN_MAX)
            return 0;
        size_t want = avail * 2 < FAST_IN_MAX ? avail * 2 : FAST_IN_MAX;
        if (more_raw(w, want) != 0 ||
            (w->in_len - w->in_pos < want && !w->raw_eof))
            return 0; /* a pipe with no more for now: zlib streams it */
    }
}

/* Inflate into buf[end..cap): > 0 bytes made, 0 end of stream, -1 a
 * break (w->broken), -2 read error (*msg). */
static long fill_gzip(pipe_warc *w, char **msg)
{
    for (;;) {
        if (w->broken)
            return -1;
        if (!w->in_member) {
            int r = next_member(w, msg);
            if (r < 0)
                return -2;
            if (r == 0)
                return 0;
            if (r == 2)
                return -1;
            if (push_member(w, w->base + w->end, w->in_base + w->in_pos)) {
                *msg = pipe_strf("out of memory");
                return -2;
            }
            if (w->ld) {
                size_t before = w->end - w->start;
                if (fast_member(w)) {
                    size_t made = w->end - w->start - before;
                    if (made)
                        return (long)made;
                    continue; /* an empty member */
                }
            }
            inflateReset(&w->zs);
            w->in_member = 1;
            w->stats.members_streamed++;
        }
        if (w->in_pos == w->in_len) {
            if (w->raw_eof) {
                set_broken(w, w->mem[w->nmem - 1].coff, 0,
                           pipe_strf("truncated gzip data (unexpected end of "
                               "file)"));
                return -1;
            }
            if (fill_raw(w, msg) != 0)
                return -2;
            continue;
        }
        size_t room = w->cap - w->end;
        if (room > UINT_MAX)
            room = UINT_MAX;
        w->zs.next_in = w->in + w->in_pos;
        w->zs.avail_in = (uInt)(w->in_len - w->in_pos);
        w->zs.next_out = (unsigned char *)w->buf + w->end;
        w->zs.avail_out = (uInt)room;
        int rc = inflate(&w->zs, Z_NO_FLUSH);
        w->in_pos = w->in_len - w->zs.avail_in;
        size_t made = room - w->zs.avail_out;
        w->end += made;
        if (rc == Z_STREAM_END) {
            w->in_member = 0;
        } else if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT ||
                   rc == Z_STREAM_ERROR) {
            set_broken(w, w->mem[w->nmem - 1].coff, 1,
                       pipe_strf("corrupt gzip data (%s)",
                           w->zs.msg ? w->zs.msg : "bad stream"));
            return made ? (long)made : -1;
        } else if (rc == Z_MEM_ERROR) {
            *msg = pipe_strf("out of memory");
            return -2;
        }
        if (made)
            return (long)made;
    }
}

static long fill_plain(pipe_warc *w, char **msg)
{
    size_t room = w->cap - w->end;
    if (w->in_pos < w->in_len) {
        size_t k = w->in_len - w->in_pos;
        if (k > room)
            k = room;
        memcpy(w->buf + w->end, w->in + w->in_pos, k);
        w->in_pos += k;
        w->end += k;
        return (long)k;
    }
    if (w->raw_eof)
        return 0;
    ssize_t got;
    do
        got = read(w->fd, w->buf + w->end, room);
    while (got < 0 && errno == EINTR);
    if (got < 0) {
        *msg = sys_msg(errno);
        return -2;
    }
    if (got == 0)
        w->raw_eof = 1;
    w->end += (size_t)got;
    return (long)got;
}

/* More stream bytes after buf end, making room first (moving the unparsed
 * bytes to the front; growing the buffer up to what one record needs). */
static long fill(pipe_warc *w, char **msg)
{
    if (w->start > 0 && (w->start == w->end || w->cap - w->end < 4096)) {
        memmove(w->buf, w->buf + w->start, w->end - w->start);
        w->base += w->start;
        w->end -= w->start;
        w->start = 0;
    }
    if (w->cap - w->end < 4096) {
        size_t ncap = w->cap * 2;
        char *nb = realloc(w->buf, ncap + 1);
        if (!nb) {
            *msg = pipe_strf("out of memory");
            return -2;
        }
        w->buf = nb;
        w->cap = ncap;
    }
    return w->gzip ? fill_gzip(w, msg) : fill_plain(w, msg);
}

/* At least n unparsed bytes: 1 yes, 0 end of stream first, -1 break,
 * -2 read error. */
static int need(pipe_warc *w, size_t n, char **msg)
{
    while (w->end - w->start < n) {
        long r = fill(w, msg);
        if (r == 0)
            return 0;
        if (r < 0)
            return (int)r;
    }
    return 1;
}

/* After a gzip break: forget the buffered stream, go back to just after
 * the bad member's start when the file can seek, and look for the next
 * member and then the next record. */
static void recover(pipe_warc *w)
{
    w->base += w->end;
    w->start = w->end = 0;
    w->nmem = 0;
    w->broken = 0;
    w->in_member = 0;
    w->resyncing = 1;
    w->lost = 1;
    w->bol = 1;
    w->discard = 0;
    uint64_t to = w->broken_coff + 1;
    if (w->seekable && to < w->in_base + w->in_pos &&
        lseek(w->fd, (off_t)to, SEEK_SET) == (off_t)to) {
        w->in_base = to;
        w->in_pos = w->in_len = 0;
        w->raw_eof = 0;
    } else if (to > w->in_base + w->in_pos && to <= w->in_base + w->in_len) {
        w->in_pos = (size_t)(to - w->in_base);
    }
}

/* Report the pending break: -1 with *msg, or 0 when it is not worth a
 * report (the reader was already resynchronising). */
static int report_break(pipe_warc *w, int in_record, uint64_t rec_off,
                        uint64_t rec_skip, uint64_t *offset, uint64_t *skip,
                        char **msg)
{
    int quiet = w->resyncing && !in_record;
    if (in_record) {
        *offset = rec_off;
        *skip = rec_skip;
        if (rec_off == w->broken_coff && rec_skip == 0)
            *msg = pipe_strf("%s", w->broken_msg);
        else
            *msg = pipe_strf("%s in the gzip member at offset %llu", w->broken_msg,
                       (unsigned long long)w->broken_coff);
    } else {
        /* between records: where the stream stopped, which is in the bad
         * member, after whatever it gave before it broke */
        if (w->nmem > 0 && w->mem[w->nmem - 1].coff == w->broken_coff) {
            locate(w, w->base + w->end, offset, skip);
        } else {
            *offset = w->broken_coff;
            *skip = 0;
        }
        *msg = quiet ? NULL : pipe_strf("%s", w->broken_msg);
    }
    recover(w);
    if (quiet)
        return 0;
    w->stats.bad++;
    return -1;
}

/* Look for "WARC/<digit>" at a line start: 1 found (at buf[start]), 0 end
 * of stream, -1 break, -2 read error. */
static int find_record(pipe_warc *w, char **msg)
{
    for (;;) {
        size_t n = w->end - w->start;
        const char *p = w->buf + w->start;
        int more = 0;
        if (w->bol && n < 6) {
            more = 1;
        } else if (w->bol && warc_magic((const unsigned char *)p, n)) {
            return 1;
        } else {
            const char *nl = memchr(p, '\n', n);
            while (nl) {
                size_t i = (size_t)(nl - p) + 1;
                if (n - i < 6) {
                    w->start += i; /* decide when more is here */
                    w->bol = 1;
                    more = 1;
                    break;
                }
                if (warc_magic((const unsigned char *)p + i, n - i)) {
                    w->start += i;
                    w->bol = 1;
                    return 1;
                }
                nl = memchr(p + i, '\n', n - i);
            }
            if (!more) {
                w->start = w->end;
                w->bol = 0;
            }
        }
        long r = fill(w, msg);
        if (r <= 0)
            return r == 0 ? 0 : (int)r;
    }
}

/* Quote up to 16 bytes for a message, control bytes as '?'. */
static void quote(char *out, const char *s, size_t n)
{
    if (n > 16)
        n = 16;
    for (size_t i = 0; i < n; i++)
        out[i] = (unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f
                     ? '?'
                     : s[i];
    out[n] = '\0';
}

static int type_of(const char *t)
{
    static const struct {
        const char *name;
        pipe_warc_type type;
    } types[] = {
        {"warcinfo", PIPE_WARC_WARCINFO},
        {"response", PIPE_WARC_RESPONSE},
        {"resource", PIPE_WARC_RESOURCE},
        {"request", PIPE_WARC_REQUEST},
        {"metadata", PIPE_WARC_METADATA},
        {"revisit", PIPE_WARC_REVISIT},
        {"conversion", PIPE_WARC_CONVERSION},
        {"continuation", PIPE_WARC_CONTINUATION},
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcasecmp(t, types[i].name) == 0)
            return (int)types[i].type;
    return PIPE_WARC_UNKNOWN;
}

static char *trim(char *s, char **end)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *e = *end;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
        e--;
    *e = '\0';
    *end = e;
    return s;
}

/* Parse the header copied into w->hdr (h bytes, lines split on LF, the
 * blank line excluded).  Returns NULL or a message (malloc'd). */
static char *parse_header(pipe_warc *w, size_t h, pipe_warc_record *rec,
                          int *skippable)
{
    *skippable = 0;
    char *p = w->hdr, *lim = w->hdr + h;
    p[h] = '\0';
    char *eol = memchr(p, '\n', h);
    if (!eol)
        eol = lim;
    *eol = '\0';
    char *e = eol;
    char *ver = trim(p + 5, &e);
    const char *v = ver;
    int major = 0, dot = 0, ok = 1;
    for (; *v; v++) {
        if (*v == '.' && !dot && v > ver)
            dot = 1;
        else if (*v < '0' || *v > '9')
            ok = 0;
        else if (!dot && major < 100)
            major = major * 10 + (*v - '0');
    }
    if (!ok || !dot || v[-1] == '.' || major > 1) {
        char q[20];
        quote(q, ver, strlen(ver));
        return pipe_strf("unsupported WARC version \"%s\"", q);
    }
    rec->version = ver;
    int have_length = 0;
    char *last_value = NULL;
    p = eol < lim ? eol + 1 : lim;
    while (p < lim) {
        eol = memchr(p, '\n', (size_t)(lim - p));
        if (!eol)
            eol = lim;
        *eol = '\0';
        char *line_end = eol;
        if ((*p == ' ' || *p == '\t') && last_value) {
            /* a folded line continues the previous value: join in place
             * is not possible (the value is already terminated), so the
             * continuation is dropped for the fields we read, none of
             * which is ever folded in practice */
            p = eol + 1;
            continue;
        }
        char *colon = memchr(p, ':', (size_t)(line_end - p));
        if (!colon) {
            p = eol + 1;
            continue;
        }
        char *ne = colon;
        while (ne > p && (ne[-1] == ' ' || ne[-1] == '\t'))
            ne--;
        *ne = '\0';
        char *value = trim(colon + 1, &line_end);
        last_value = value;
        const char **slot = NULL;
        if (strcasecmp(p, "WARC-Type") == 0)
            slot = &rec->type_name;
        else if (strcasecmp(p, "WARC-Target-URI") == 0)
            slot = &rec->target_uri;
        else if (strcasecmp(p, "WARC-Record-ID") == 0)
            slot = &rec->record_id;
        else if (strcasecmp(p, "WARC-Date") == 0)
            slot = &rec->date;
        else if (strcasecmp(p, "Content-Type") == 0)
            slot = &rec->content_type;
        else if (strcasecmp(p, "WARC-Truncated") == 0)
            slot = &rec->truncated;
        else if (strcasecmp(p, "Content-Length") == 0 && !have_length) {
            uint64_t n = 0;
            const char *d = value;
            if (!*d)
                return pipe_strf("empty Content-Length");
            for (; *d; d++) {
                if (*d < '0' || *d > '9' || n > (UINT64_MAX - 9) / 10) {
                    char q[20];
                    quote(q, value, strlen(value));
                    return pipe_strf("bad Content-Length \"%s\"", q);
                }
                n = n * 10 + (uint64_t)(*d - '0');
            }
            rec->content_length = n;
            have_length = 1;
        }
        if (slot && !*slot)
            *slot = value;
        p = eol + 1;
    }
    if (!have_length)
        return pipe_strf("no Content-Length in the record header");
    if (!rec->type_name) {
        *skippable = 1; /* its Content-Length still says where it ends */
        return pipe_strf("no WARC-Type in the record header");
    }
    rec->type = (pipe_warc_type)type_of(rec->type_name);
    if (rec->target_uri) {
        size_t n = strlen(rec->target_uri);
        if (n >= 2 && rec->target_uri[0] == '<' &&
            rec->target_uri[n - 1] == '>') {
            ((char *)rec->target_uri)[n - 1] = '\0';
            rec->target_uri++;
        }
    }
    return NULL;
}

/* Drop what is left of an oversized block: 0 done, else as need(). */
static int drop_discard(pipe_warc *w, char **msg)
{
    while (w->discard > 0) {
        size_t n = w->end - w->start;
        if (n == 0) {
            long r = fill(w, msg);
            if (r == 0)
                return 0; /* a truncated last record: nothing to say */
            if (r < 0)
                return (int)r;
            continue;
        }
        if (n > w->discard)
            n = (size_t)w->discard;
        w->start += n;
        w->discard -= n;
    }
    return 0;
}

/* Where a report is: the error's offset and skip (see warc.h). */
typedef struct spot {
    uint64_t offset, skip;
} spot;

/* A bad record at `at`: -1 with *msg = m (malloc'd, owned by the caller
 * from now on).  `lose`: look for the next record from one byte on. */
static int bad_at(pipe_warc *w, spot at, spot *out, char **msg, char *m,
                  int lose)
{
    *out = at;
    *msg = m;
    w->stats.bad++;
    if (lose) {
        w->lost = 1;
        w->start++;
        w->bol = 0;
    }
    return -1;
}

/* Find the blank line ending the header that starts at buf[start]:
 * 1 (*hend: the offset of the blank line, *body: of the block), 0 end of
 * stream, -1 break, -2 read error, 3 longer than HEADER_MAX. */
static int header_end(pipe_warc *w, size_t *hend, size_t *body, char **msg)
{
    size_t scanned = w->start;
    for (;;) {
        const char *b = w->buf;
        size_t i = scanned;
        while (i < w->end) {
            const char *nl = memchr(b + i, '\n', w->end - i);
            if (!nl)
                break;
            size_t j = (size_t)(nl - b) + 1;
            if (j < w->end && b[j] == '\n') {
                *hend = j;
                *body = j + 1;
                break;
            }
            if (j + 1 < w->end && b[j] == '\r' && b[j + 1] == '\n') {
                *hend = j;
                *body = j + 2;
                break;
            }
            if (j + 1 >= w->end) {
                i = (size_t)(nl - b); /* decide when more is here */
                break;
            }
            i = j;
        }
        if (*body)
            return *hend - w->start > HEADER_MAX ? 3 : 1;
        if (w->end - w->start > HEADER_MAX)
            return 3;
        scanned = i > w->start ? i : w->start;
        size_t before = w->start;
        long f = fill(w, msg);
        scanned -= before - w->start; /* fill may move the bytes */
        if (f <= 0)
            return (int)f;
    }
}

/* In a file of one gzip member per record, a block that runs into the
 * next member, which starts a record, has a wrong Content-Length: the
 * buffer index of that record, or 0. */
static size_t next_member_record(pipe_warc *w, uint64_t pos, uint64_t end)
{
    for (size_t i = 1; i < w->nmem; i++) {
        uint64_t d = w->mem[i].dpos;
        if (d >= end)
            break;
        size_t at = (size_t)(d - w->base);
        if (d > pos && at + 6 <= w->end &&
            warc_magic((unsigned char *)w->buf + at, w->end - at))
            return at;
    }
    return 0;
}

/* Up to the start of the next record: 1 there (at buf[start]), 0 end of
 * stream, -1 a report (*msg), -2 read error. */
static int to_record(pipe_warc *w, spot *out, char **msg)
{
    for (;;) {
        int r = drop_discard(w, msg);
        if (r == -2)
            return -2;
        /* a break with bytes before it: those are parsed first */
        if (r == -1 || (w->broken && w->start == w->end)) {
            if (report_break(w, 0, 0, 0, &out->offset, &out->skip, msg) < 0)
                return -1;
            continue;
        }
        if (w->lost) {
            r = find_record(w, msg);
            if (r == -2 || r == 0)
                return r;
            if (r == -1) {
                if (report_break(w, 0, 0, 0, &out->offset, &out->skip, msg) < 0)
                    return -1;
                continue;
            }
            w->lost = 0;
        }
        /* the CR/LF between records */
        while (w->start < w->end &&
               (w->buf[w->start] == '\r' || w->buf[w->start] == '\n')) {
            w->start++;
            w->bol = 1;
        }
        if (w->start < w->end)
            return 1;
        long f = fill(w, msg);
        if (f == 0 || f == -2)
            return (int)f;
    }
}

int pipe_warc_next(pipe_warc *w, pipe_warc_record *rec, uint64_t *offset,
                   uint64_t *skip, char **msg)
{
    memset(rec, 0, sizeof *rec);
    *msg = NULL;
    spot out = {0, 0};
    int r = to_record(w, &out, msg);
    *offset = out.offset;
    *skip = out.skip;
    if (r != 1)
        return r;

    uint64_t pos = w->base + w->start;
    spot at;
    locate(w, pos, &at.offset, &at.skip);
    r = need(w, 6, msg);
    if (r == -2)
        return -2;
    if (r == 1 &&
        !warc_magic((unsigned char *)w->buf + w->start, w->end - w->start))
        r = 3;
    /* to_record left at least one byte: a break here is inside a record
     * when those bytes begin one, else they are junk (reported first) */
    if (r == -1 && w->end - w->start >= 5 &&
        memcmp(w->buf + w->start, "WARC/", 5) == 0)
        return report_break(w, 1, at.offset, at.skip, offset, skip, msg);
    if (r != 1) {
        char q[20];
        quote(q, w->buf + w->start, w->end - w->start);
        r = bad_at(w, at, &out, msg,
                   pipe_strf("expected a WARC record header (\"WARC/1.1\"), found "
                       "\"%s\"",
                       q),
                   1);
        goto report;
    }

    size_t hend = 0, body = 0;
    r = header_end(w, &hend, &body, msg);
    if (r == -2)
        return -2;
    if (r == -1)
        return report_break(w, 1, at.offset, at.skip, offset, skip, msg);
    if (r == 0) {
        r = bad_at(w, at, &out, msg,
                   pipe_strf("truncated record header (end of file)"), 0);
        w->start = w->end;
        goto report;
    }
    if (r == 3) {
        r = bad_at(w, at, &out, msg,
                   pipe_strf("record header longer than %zu bytes", HEADER_MAX), 1);
        goto report;
    }
    size_t h = hend - w->start;
    if (h + 1 > w->hdrcap) {
        size_t n = h + 1 > 4096 ? h + 1 : 4096;
        char *nh = realloc(w->hdr, n);
        if (!nh) {
            *msg = pipe_strf("out of memory");
            return -2;
        }
        w->hdr = nh;
        w->hdrcap = n;
    }
    memcpy(w->hdr, w->buf + w->start, h);
    int skippable;
    char *bad = parse_header(w, h, rec, &skippable);
    if (bad) {
        if (skippable) {
            w->discard = rec->content_length;
            w->start = body;
        }
        memset(rec, 0, sizeof *rec);
        r = bad_at(w, at, &out, msg, bad, !skippable);
        goto report;
    }

    w->resyncing = 0;
    rec->offset = at.offset;
    rec->skip = at.skip;
    size_t hdr_bytes = body - w->start;
    uint64_t len = rec->content_length;
    size_t want = (size_t)len;
    if (len > w->limit)
        want = len < OVERSIZE_PREFIX ? (size_t)len : OVERSIZE_PREFIX;
    r = need(w, hdr_bytes + want, msg);
    if (r == -2)
        return -2;
    if (r == -1) {
        memset(rec, 0, sizeof *rec);
        return report_break(w, 1, at.offset, at.skip, offset, skip, msg);
    }
    if (r == 0) {
        size_t have = w->end - w->start - hdr_bytes;
        memset(rec, 0, sizeof *rec);
        r = bad_at(w, at, &out, msg,
                   pipe_strf("truncated record: %zu of %llu bytes (end of file)",
                       have, (unsigned long long)len),
                   0);
        w->start = w->end;
        goto report;
    }
    /* A record that starts a gzip member: inflate on to that member's
     * end (CR/LF, if it is one member per record; at most TRAILER_MAX
     * bytes more) before handing the record out, so that corrupt data
     * caught by the member's CRC rejects the record the member holds.
     * A truncated member does not: what inflated before the cut is good. */
    if (w->gzip && at.skip == 0 && len <= w->limit) {
        size_t block_end = w->start + hdr_bytes + want;
        while (w->in_member && !w->broken && w->nmem > 0 &&
               w->mem[w->nmem - 1].dpos == pos &&
               w->end - block_end <= TRAILER_MAX) {
            size_t before = w->start;
            long f = fill(w, msg);
            block_end -= before - w->start;
            if (f == -2)
                return -2;
            if (f <= 0)
                break;
        }
        if (w->broken && w->broken_corrupt && w->nmem > 0 &&
            w->mem[w->nmem - 1].dpos == pos) {
            memset(rec, 0, sizeof *rec);
            return report_break(w, 1, at.offset, at.skip, offset, skip, msg);
        }
    }
    size_t next = 0;
    if (w->gzip && at.skip == 0 && len <= w->limit)
        next = next_member_record(w, pos, pos + hdr_bytes + want);
    if (next) {
        memset(rec, 0, sizeof *rec);
        r = bad_at(w, at, &out, msg,
                   pipe_strf("Content-Length %llu runs past the end of the "
                       "record's gzip member",
                       (unsigned long long)len),
                   0);
        w->start = next;
        w->bol = 1;
        goto report;
    }
    rec->block = w->buf + w->start + hdr_bytes;
    rec->block_len = want;
    if (len > w->limit) {
        rec->oversize = 1;
        w->discard = len - want;
    }
    w->start += hdr_bytes + want;
    w->bol = 0;
    w->stats.records++;
    return 1;

report:
    *offset = out.offset;
    *skip = out.skip;
    return r;
}

int pipe_warc_next_page(pipe_warc *w, pipe_warc_record *rec,
                        pipe_warc_page *page, uint64_t *offset, uint64_t *skip,
                        char **msg)
{
    for (;;) {
        int r = pipe_warc_next(w, rec, offset, skip, msg);
        if (r != 1)
            return r;
        pipe_warc_skip why = PIPE_WARC_PAGE;
        int d = pipe_warc_page_decode(rec, w->limit, page, &why, msg);
        if (d == 1) {
            w->stats.pages++;
            return 1;
        }
        if (d < 0) {
            w->stats.bad++;
            *offset = rec->offset;
            *skip = rec->skip;
            return -1;
        }
        w->stats.skipped[why]++;
    }
}
