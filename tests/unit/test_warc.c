/*
 * WARC reader tests: records cut from plain, per-record gzip and
 * whole-file gzip streams, offsets, resynchronisation after bad bytes,
 * the size cap; which records are pages and how their payload is decoded.
 * Table-driven: each case is the input and the exact transcript the reader
 * must produce.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <zlib.h>

#include "suites.h"
#include "warc.h"

/* A growing byte buffer for building inputs and transcripts. */
typedef struct bytes {
    char *p;
    size_t n, cap;
} bytes;

static void put(bytes *b, const void *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        ck_assert_ptr_nonnull(b->p);
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void puts_(bytes *b, const char *s)
{
    put(b, s, strlen(s));
}

static void putf(bytes *b, const char *f, ...)
    __attribute__((format(printf, 2, 3)));
static void putf(bytes *b, const char *f, ...)
{
    char tmp[4096];
    va_list ap;
    va_start(ap, f);
    vsnprintf(tmp, sizeof tmp, f, ap);
    va_end(ap);
    puts_(b, tmp);
}

/* One gzip member holding [s, s+n). */
static void put_gzip(bytes *b, const char *s, size_t n)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    ck_assert_int_eq(
        deflateInit2(&zs, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&zs, (uLong)n) + 32;
    unsigned char *out = malloc(cap);
    zs.next_in = (unsigned char *)s;
    zs.avail_in = (uInt)n;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    ck_assert_int_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
    put(b, out, cap - zs.avail_out);
    deflateEnd(&zs);
    free(out);
}

/* A WARC record: the header lines (CRLF added), then the block. */
static void put_record(bytes *b, const char *fields, const char *block)
{
    putf(b, "WARC/1.1\r\n%sContent-Length: %zu\r\n\r\n", fields, strlen(block));
    puts_(b, block);
    puts_(b, "\r\n\r\n");
}

/* A file descriptor reading `b`: a memfd, or a pipe (not seekable). */
static int fd_of(const bytes *b, int use_pipe)
{
    if (use_pipe) {
        int p[2];
        ck_assert_int_eq(pipe(p), 0);
        ck_assert_msg(b->n < 60000, "pipe input too large");
        ck_assert_int_eq(write(p[1], b->p, b->n), (ssize_t)b->n);
        close(p[1]);
        return p[0];
    }
    int fd = memfd_create("warc", 0);
    ck_assert_int_ge(fd, 0);
    if (b->n)
        ck_assert_int_eq(write(fd, b->p, b->n), (ssize_t)b->n);
    lseek(fd, 0, SEEK_SET);
    return fd;
}

static void where(bytes *t, uint64_t off, uint64_t skip)
{
    if (skip)
        putf(t, "%llu+%llu", (unsigned long long)off, (unsigned long long)skip);
    else
        putf(t, "%llu", (unsigned long long)off);
}

/* Every record and error of the reader on `fd`, one line each: "OFF
 * type uri len" or "OFF error: msg"; then the reader's counts (and its
 * stats in *stats when not NULL). */
static char *listing(int fd, size_t limit, int pages, pipe_warc_stats *stats)
{
    char *msg = NULL;
    pipe_warc *w = pipe_warc_open_fd(fd, NULL, 0, limit, &msg);
    ck_assert_msg(w != NULL, "open: %s", msg ? msg : "?");
    bytes t = {0};
    for (int guard = 0; guard < 1000; guard++) {
        pipe_warc_record rec;
        pipe_warc_page page;
        uint64_t off, skip;
        int r = pages ? pipe_warc_next_page(w, &rec, &page, &off, &skip, &msg)
                      : pipe_warc_next(w, &rec, &off, &skip, &msg);
        if (r == 0)
            break;
        if (r < 0) {
            where(&t, off, skip);
            putf(&t, " error: %s\n", msg ? msg : "(null)");
            free(msg);
            if (r == -2)
                break;
            continue;
        }
        where(&t, rec.offset, rec.skip);
        putf(&t, " %s %s %zu", rec.type_name,
             rec.target_uri ? rec.target_uri : "-", rec.block_len);
        if (pages) {
            putf(&t, " %d %s [%.*s]", page.status, page.charset,
                 (int)page.body_len, page.body);
            pipe_warc_page_free(&page);
        }
        puts_(&t, "\n");
    }
    const pipe_warc_stats *st = pipe_warc_get_stats(w);
    putf(&t, "records %lu pages %lu bad %lu", st->records, st->pages, st->bad);
    for (int i = 1; i < PIPE_WARC_NSKIP; i++)
        if (st->skipped[i])
            putf(&t, " %s %lu", pipe_warc_skip_name((pipe_warc_skip)i),
                 st->skipped[i]);
    if (stats)
        *stats = *st;
    pipe_warc_close(w);
    return t.p;
}

/* The reader inflating with libdeflate (the default) or with zlib only
 * (PIPE_WARC_INFLATE=zlib, as the reader always did). */
static void zlib_only(int on)
{
    if (on)
        setenv("PIPE_WARC_INFLATE", "zlib", 1);
    else
        unsetenv("PIPE_WARC_INFLATE");
}

/* The listing of `in` (through a pipe or a memfd), which must be the
 * same whether members are inflated whole by libdeflate or streamed by
 * zlib. */
static char *transcript(const bytes *in, size_t limit, int use_pipe, int pages)
{
    zlib_only(1);
    char *slow = listing(fd_of(in, use_pipe), limit, pages, NULL);
    zlib_only(0);
    char *fast = listing(fd_of(in, use_pipe), limit, pages, NULL);
    ck_assert_msg(strcmp(slow, fast) == 0,
                  "libdeflate and zlib differ\n--- zlib:\n%s\n--- libdeflate:\n%s",
                  slow, fast);
    free(slow);
    return fast;
}

static void expect(const char *name, char *got, const char *want)
{
    ck_assert_msg(strcmp(got, want) == 0, "%s\n--- want:\n%s\n--- got:\n%s",
                  name, want, got);
    free(got);
}

#define RESP(uri) "WARC-Type: response\r\nWARC-Target-URI: " uri "\r\n"
#define HTML200 "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n"

/* --- plain files ---------------------------------------------------- */

START_TEST(plain_records)
{
    bytes b = {0};
    put_record(&b, "WARC-Type: warcinfo\r\n", "software: test\r\n");
    size_t second = b.n;
    /* WARC/1.0, wget's <...> around the URI, a folded field */
    putf(&b,
         "WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: "
         "<http://a.example/>\r\nWARC-Record-ID: <urn:uuid:1>\r\n"
         "X-Folded: one\r\n  two\r\nWARC-Date: 2024-01-02T03:04:05Z\r\n"
         "Content-Length: %zu\r\n\r\n%s\r\n\r\n",
         strlen(HTML200 "<p>a"), HTML200 "<p>a");
    char want[512];
    snprintf(want, sizeof want,
             "0 warcinfo - 16\n"
             "%zu response http://a.example/ 48\n"
             "records 2 pages 0 bad 0",
             second);
    expect("plain", transcript(&b, 1 << 20, 0, 0), want);

    /* the record fields themselves */
    char *msg;
    pipe_warc *w = pipe_warc_open_fd(fd_of(&b, 0), NULL, 0, 1 << 20, &msg);
    pipe_warc_record rec;
    uint64_t off, skip;
    ck_assert_int_eq(pipe_warc_next(w, &rec, &off, &skip, &msg), 1);
    ck_assert_str_eq(rec.version, "1.1");
    ck_assert_int_eq(rec.type, PIPE_WARC_WARCINFO);
    ck_assert_int_eq(pipe_warc_next(w, &rec, &off, &skip, &msg), 1);
    ck_assert_str_eq(rec.version, "1.0");
    ck_assert_int_eq(rec.type, PIPE_WARC_RESPONSE);
    ck_assert_str_eq(rec.record_id, "<urn:uuid:1>");
    ck_assert_str_eq(rec.date, "2024-01-02T03:04:05Z");
    ck_assert_ptr_null(rec.content_type);
    ck_assert_int_eq(rec.content_length, 48);
    ck_assert_int_eq(memcmp(rec.block, HTML200 "<p>a", 48), 0);
    ck_assert_int_eq(pipe_warc_next(w, &rec, &off, &skip, &msg), 0);
    pipe_warc_close(w);
    free(b.p);
}
END_TEST

typedef struct reader_case {
    const char *name;
    const char *input; /* '|' stands for nothing: inputs are text */
    size_t limit;
    const char *want;
} reader_case;

static const reader_case reader_cases[] = {
    {"empty file", "", 1 << 20, "records 0 pages 0 bad 0"},
    {"only blank lines", "\r\n\r\n\n", 1 << 20, "records 0 pages 0 bad 0"},
    {"bare LF line ends",
     "WARC/1.0\nWARC-Type: request\nContent-Length: 3\n\nabc\n\n"
     "WARC/1.0\nWARC-Type: metadata\nContent-Length: 0\n\n\n\n",
     1 << 20, "0 request - 3\n52 metadata - 0\nrecords 2 pages 0 bad 0"},
    {"space before the colon, any case",
     "WARC/1.1\r\nwarc-type : revisit\r\ncontent-length : 2\r\n\r\nab", 1 << 20,
     "0 revisit - 2\nrecords 1 pages 0 bad 0"},
    {"junk before the first record",
     "hello\r\nWARC/1.1\r\nWARC-Type: request\r\nContent-Length: 0\r\n\r\n",
     1 << 20,
     "0 error: expected a WARC record header (\"WARC/1.1\"), found "
     "\"hello??WARC/1.1?\"\n"
     "7 request - 0\nrecords 1 pages 0 bad 1"},
    {"Content-Length too small",
     "WARC/1.1\r\nWARC-Type: request\r\nContent-Length: 2\r\n\r\nabcd\r\n"
     "\r\nWARC/1.1\r\nWARC-Type: request\r\nContent-Length: 1\r\n\r\nx",
     1 << 20,
     "0 request - 2\n"
     "53 error: expected a WARC record header (\"WARC/1.1\"), found "
     "\"cd????WARC/1.1??\"\n"
     "59 request - 1\nrecords 2 pages 0 bad 1"},
    {"Content-Length too large at the end",
     "WARC/1.1\r\nWARC-Type: request\r\nContent-Length: 99\r\n\r\nabcd",
     1 << 20,
     "0 error: truncated record: 4 of 99 bytes (end of file)\n"
     "records 0 pages 0 bad 1"},
    {"no Content-Length",
     "WARC/1.1\r\nWARC-Type: request\r\n\r\nabcd\r\n\r\n"
     "WARC/1.1\r\nWARC-Type: request\r\nContent-Length: 1\r\n\r\nx",
     1 << 20,
     "0 error: no Content-Length in the record header\n"
     "40 request - 1\nrecords 1 pages 0 bad 1"},
    {"bad Content-Length",
     "WARC/1.1\r\nWARC-Type: request\r\nContent-Length: 12x\r\n\r\nab\r\n"
     "\r\nWARC/1.1\r\nWARC-Type: request\r\nContent-Length: 1\r\n\r\nx",
     1 << 20,
     "0 error: bad Content-Length \"12x\"\n"
     "59 request - 1\nrecords 1 pages 0 bad 1"},
    {"Content-Length overflow",
     "WARC/1.1\r\nWARC-Type: request\r\nContent-Length: "
     "99999999999999999999999\r\n\r\n",
     1 << 20,
     "0 error: bad Content-Length \"9999999999999999\"\n"
     "records 0 pages 0 bad 1"},
    {"no WARC-Type: skipped by its length",
     "WARC/1.1\r\nContent-Length: 12\r\n\r\nWARC/1.1\r\nxx\r\n\r\n"
     "WARC/1.1\r\nWARC-Type: request\r\nContent-Length: 1\r\n\r\nx",
     1 << 20,
     "0 error: no WARC-Type in the record header\n"
     "48 request - 1\nrecords 1 pages 0 bad 1"},
    {"unsupported version",
     "WARC/2.0\r\nWARC-Type: request\r\nContent-Length: 1\r\n\r\nx\r\n\r\n"
     "WARC/0.18\r\nWARC-Type: request\r\nContent-Length: 1\r\n\r\ny",
     1 << 20,
     "0 error: unsupported WARC version \"2.0\"\n"
     "56 request - 1\nrecords 1 pages 0 bad 1"},
    {"truncated header", "WARC/1.1\r\nWARC-Type: request\r\nContent-Len",
     1 << 20,
     "0 error: truncated record header (end of file)\n"
     "records 0 pages 0 bad 1"},
    {"junk at the end",
     "WARC/1.1\r\nWARC-Type: request\r\nContent-Length: "
     "1\r\n\r\nx\r\n\r\n\x01zz",
     1 << 20,
     "0 request - 1\n"
     "56 error: expected a WARC record header (\"WARC/1.1\"), found "
     "\"?zz\"\n"
     "records 1 pages 0 bad 1"},
    {"oversized record that is not a page: skipped",
     "WARC/1.1\r\nWARC-Type: resource\r\nContent-Type: image/png\r\n"
     "Content-Length: 20\r\n\r\n01234567890123456789\r\n\r\n"
     "WARC/1.1\r\nWARC-Type: resource\r\nContent-Type: text/html\r\n"
     "Content-Length: 20\r\n\r\n<p>45678901234567890",
     10,
     "102 error: record is larger than the 10 byte limit (--max-input): "
     "Content-Length 20\n"
     "records 2 pages 0 bad 1 not-html 1"},
};

START_TEST(reader_table)
{
    const reader_case *c = &reader_cases[_i];
    bytes b = {0};
    put(&b, c->input, strlen(c->input));
    int pages = strstr(c->name, "oversized") != NULL;
    expect(c->name, transcript(&b, c->limit, 0, pages), c->want);
    free(b.p);
}
END_TEST

START_TEST(oversized_page)
{
    /* a page over the limit is an error at its offset; the next goes on */
    bytes b = {0};
    put_record(&b, RESP("http://big/"), HTML200 "0123456789012345678901");
    size_t second = b.n;
    put_record(&b, RESP("http://small/"), HTML200 "ok");
    char want[512];
    snprintf(want, sizeof want,
             "0 error: record is larger than the 60 byte limit "
             "(--max-input): Content-Length 66\n"
             "%zu response http://small/ 46 200  [ok]\n"
             "records 2 pages 1 bad 1",
             second);
    expect("oversized page", transcript(&b, 60, 0, 1), want);
    free(b.p);
}
END_TEST

START_TEST(long_header)
{
    bytes b = {0};
    puts_(&b, "WARC/1.1\r\nWARC-Type: request\r\nX-Long: ");
    for (int i = 0; i < 300000 / 10; i++)
        puts_(&b, "0123456789");
    puts_(&b, "\r\nContent-Length: 0\r\n\r\n\r\n\r\n");
    size_t second = b.n;
    put_record(&b, "WARC-Type: request\r\n", "x");
    char want[256];
    snprintf(want, sizeof want,
             "0 error: record header longer than 262144 bytes\n"
             "%zu request - 1\nrecords 1 pages 0 bad 1",
             second);
    expect("long header", transcript(&b, 1 << 20, 0, 0), want);
    free(b.p);
}
END_TEST

/* --- gzip ------------------------------------------------------------ */

/* Three records, each its own gzip member; member `corrupt` (0..2, or -1
 * for none) damaged: its deflate data (how 0) or only its CRC (how 1). */
static void cc_file2(bytes *b, size_t off[4], int corrupt, int how)
{
    const char *uris[3] = {"http://a/", "http://b/", "http://c/"};
    for (int i = 0; i < 3; i++) {
        bytes r = {0};
        char f[128];
        snprintf(f, sizeof f, RESP("%s"), uris[i]);
        put_record(&r, f, HTML200 "<p>page</p>");
        off[i] = b->n;
        size_t at = b->n;
        put_gzip(b, r.p, r.n);
        if (i == corrupt && how == 0) /* flip bits in the deflate data */
            for (size_t k = at + 20; k < at + 30 && k < b->n; k++)
                b->p[k] ^= 0x55;
        if (i == corrupt && how == 1) /* the CRC-32 before ISIZE */
            b->p[b->n - 8] ^= 0x01;
        free(r.p);
    }
    off[3] = b->n;
}

static void cc_file(bytes *b, size_t off[4], int corrupt)
{
    cc_file2(b, off, corrupt, 0);
}

START_TEST(gzip_bad_crc)
{
    /* the member inflates whole but its CRC is wrong: its record is
     * rejected (not handed out and then reported), the next one read */
    bytes b = {0};
    size_t off[4];
    cc_file2(&b, off, 1, 1);
    char want[512];
    snprintf(want, sizeof want,
             "0 response http://a/ 55\n"
             "%zu error: corrupt gzip data (incorrect data check)\n"
             "%zu response http://c/ 55\nrecords 2 pages 0 bad 1",
             off[1], off[2]);
    expect("bad crc", transcript(&b, 1 << 20, 0, 0), want);
    expect("bad crc through a pipe", transcript(&b, 1 << 20, 1, 0), want);
    free(b.p);
}
END_TEST

START_TEST(gzip_per_record)
{
    bytes b = {0};
    size_t off[4];
    cc_file(&b, off, -1);
    char want[512];
    snprintf(want, sizeof want,
             "0 response http://a/ 55\n%zu response http://b/ 55\n"
             "%zu response http://c/ 55\nrecords 3 pages 0 bad 0",
             off[1], off[2]);
    expect("per-record gzip", transcript(&b, 1 << 20, 0, 0), want);
    expect("per-record gzip through a pipe", transcript(&b, 1 << 20, 1, 0),
           want);
    free(b.p);
}
END_TEST

START_TEST(gzip_corrupt_member)
{
    for (int use_pipe = 0; use_pipe < 2; use_pipe++) {
        bytes b = {0};
        size_t off[4];
        cc_file(&b, off, 1);
        char *got = transcript(&b, 1 << 20, use_pipe, 0);
        /* the bad member is reported at its offset, the next is read */
        char head[128], tail[128];
        snprintf(head, sizeof head,
                 "0 response http://a/ 55\n%zu error: "
                 "corrupt gzip data (",
                 off[1]);
        snprintf(tail, sizeof tail,
                 "\n%zu response http://c/ 55\nrecords 2 pages 0 bad 1",
                 off[2]);
        ck_assert_msg(strncmp(got, head, strlen(head)) == 0 &&
                          strlen(got) > strlen(tail) &&
                          strcmp(got + strlen(got) - strlen(tail), tail) == 0,
                      "pipe=%d got:\n%s", use_pipe, got);
        free(got);
        free(b.p);
    }
}
END_TEST

START_TEST(gzip_whole_file)
{
    bytes plain = {0};
    put_record(&plain, "WARC-Type: warcinfo\r\n", "a: b\r\n");
    size_t second = plain.n;
    put_record(&plain, RESP("http://a/"), HTML200 "x");
    bytes b = {0};
    put_gzip(&b, plain.p, plain.n);
    char want[256];
    snprintf(want, sizeof want,
             "0 warcinfo - 6\n0+%zu response http://a/ 45\n"
             "records 2 pages 0 bad 0",
             second);
    expect("whole-file gzip", transcript(&b, 1 << 20, 0, 0), want);
    /* the same stream split across two members mid-record */
    bytes two = {0};
    put_gzip(&two, plain.p, second + 10);
    size_t m2 = two.n;
    put_gzip(&two, plain.p + second + 10, plain.n - second - 10);
    (void)m2;
    expect("two members", transcript(&two, 1 << 20, 0, 0), want);
    free(plain.p);
    free(b.p);
    free(two.p);
}
END_TEST

START_TEST(gzip_break_after_records)
{
    /* a whole-file gzip cut short after its first records: the break is
     * reported where the stream stopped, after them, not at the member's
     * start (found by fuzz_warc) */
    bytes plain = {0};
    unsigned x = 12345;
    for (int i = 0; i < 40; i++) {
        char body[41];
        for (int k = 0; k < 40; k++) {
            x = x * 1103515245u + 12345u;
            body[k] = (char)('a' + (x >> 16) % 26);
        }
        body[40] = '\0';
        put_record(&plain, "WARC-Type: request\r\n", body);
    }
    bytes b = {0};
    put_gzip(&b, plain.p, plain.n);
    b.n = b.n * 2 / 3;
    char *got = transcript(&b, 1 << 20, 0, 0);
    const char *head = "0 request - 40\n0+96 request - 40\n";
    ck_assert_msg(strncmp(got, head, strlen(head)) == 0, "%s", got);
    const char *e = strstr(got, " error: truncated gzip data");
    ck_assert_msg(e != NULL, "%s", got);
    const char *line = e;
    while (line > got && line[-1] != '\n')
        line--;
    unsigned long long skip = 0;
    ck_assert_int_eq(sscanf(line, "0+%llu", &skip), 1);
    ck_assert_msg(skip > 96 * 20, "%s", got);
    free(got);
    free(plain.p);
    free(b.p);
}
END_TEST

START_TEST(gzip_truncated_and_junk)
{
    bytes b = {0};
    size_t off[4];
    cc_file(&b, off, -1);
    bytes cut = {0};
    put(&cut, b.p, off[2] + (off[3] - off[2]) / 2);
    char want[256];
    snprintf(want, sizeof want,
             "0 response http://a/ 55\n%zu response http://b/ 55\n"
             "%zu error: truncated gzip data (unexpected end of file)\n"
             "records 2 pages 0 bad 1",
             off[1], off[2]);
    expect("truncated gzip", transcript(&cut, 1 << 20, 0, 0), want);

    bytes junk = {0};
    put(&junk, b.p, off[1]);
    puts_(&junk, "garbage!");
    put(&junk, b.p + off[1], b.n - off[1]);
    snprintf(want, sizeof want,
             "0 response http://a/ 55\n%zu error: not a gzip member (junk "
             "after the previous one)\n%zu response http://b/ 55\n"
             "%zu response http://c/ 55\nrecords 3 pages 0 bad 1",
             off[1], off[1] + 8, off[2] + 8);
    expect("junk between members", transcript(&junk, 1 << 20, 0, 0), want);
    free(b.p);
    free(cut.p);
    free(junk.p);
}
END_TEST

START_TEST(gzip_length_past_member)
{
    /* member 1 claims 40 more bytes than it has: reported, and record 2
     * (the next member) is still read */
    bytes b = {0}, r = {0};
    put_record(&r, "WARC-Type: request\r\n", "x");
    put_gzip(&b, r.p, r.n);
    size_t m1 = b.n;
    free(r.p);
    r = (bytes){0};
    putf(&r, "WARC/1.1\r\nWARC-Type: request\r\nContent-Length: 40\r\n\r\n"
             "abc\r\n\r\n");
    put_gzip(&b, r.p, r.n);
    size_t m2 = b.n;
    free(r.p);
    r = (bytes){0};
    put_record(&r, "WARC-Type: request\r\n",
               "0123456789012345678901234567"
               "890123456789");
    put_gzip(&b, r.p, r.n);
    free(r.p);
    char want[256];
    snprintf(want, sizeof want,
             "0 request - 1\n%zu error: Content-Length 40 runs past the end "
             "of the record's gzip member\n%zu request - 40\n"
             "records 2 pages 0 bad 1",
             m1, m2);
    expect("length past member", transcript(&b, 1 << 20, 0, 0), want);
    free(b.p);
}
END_TEST

/* --- inflating: libdeflate's whole members, zlib where it cannot ---- */

/* n bytes of text that compresses about as well as prose: pseudo-random
 * lowercase words */
static void put_words(bytes *b, size_t n, unsigned *x)
{
    char chunk[4096];
    while (n > 0) {
        size_t k = n < sizeof chunk ? n : sizeof chunk;
        for (size_t i = 0; i < k; i++) {
            *x = *x * 1103515245u + 12345u;
            unsigned r = (*x >> 16) % 32;
            chunk[i] = r < 26 ? (char)('a' + r) : ' ';
        }
        put(b, chunk, k);
        n -= k;
    }
}

/* A request record of `n` bytes of words (or of one repeated line) as
 * one gzip member; returns its member's offset. */
static size_t put_big_member(bytes *b, size_t n, int repeat, unsigned *x)
{
    bytes body = {0}, rec = {0};
    if (repeat) {
        bytes line = {0};
        put_words(&line, 1000, x);
        while (body.n + line.n <= n)
            put(&body, line.p, line.n);
        put(&body, line.p, n - body.n);
        free(line.p);
    } else {
        put_words(&body, n, x);
    }
    putf(&rec, "WARC/1.1\r\nWARC-Type: request\r\nContent-Length: %zu\r\n\r\n",
         body.n);
    put(&rec, body.p, body.n);
    puts_(&rec, "\r\n\r\n");
    size_t at = b->n;
    put_gzip(b, rec.p, rec.n);
    free(body.p);
    free(rec.p);
    return at;
}

/* The listing of `in` read from a pipe that a child process writes, all
 * at once, or (pause_at > 0) the first pause_at bytes, then after a
 * pause the rest: a writer slower than the reader. */
static char *listing_from_writer(const bytes *in, size_t pause_at,
                                 pipe_warc_stats *st)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(p[0]);
        size_t first = pause_at ? pause_at : in->n;
        int ok = write(p[1], in->p, first) == (ssize_t)first;
        if (ok && first < in->n) {
            usleep(1500 * 1000);
            ok = write(p[1], in->p + first, in->n - first) ==
                 (ssize_t)(in->n - first);
        }
        _exit(ok ? 0 : 1);
    }
    close(p[1]);
    char *got = listing(p[0], 1 << 20, 0, st);
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "the writer failed");
    return got;
}

START_TEST(inflate_output_growth)
{
    /* a member that inflates to 3 MB from a few KB: the output buffer
     * (256 KiB at first) doubles until it fits, the member decoded whole */
    bytes b = {0};
    unsigned x = 7;
    put_big_member(&b, 3000000, 1, &x);
    size_t second = b.n;
    put_big_member(&b, 10, 0, &x);
    ck_assert_int_lt(b.n, 100000);
    char want[256];
    snprintf(want, sizeof want,
             "0 request - 3000000\n%zu request - 10\nrecords 2 pages 0 bad 0",
             second);
    pipe_warc_stats st;
    expect("output growth", listing(fd_of(&b, 0), 4 << 20, 0, &st), want);
    ck_assert_int_eq(st.members_whole, 2);
    ck_assert_int_eq(st.members_streamed, 0);
    zlib_only(1);
    expect("output growth, zlib", listing(fd_of(&b, 0), 4 << 20, 0, &st), want);
    zlib_only(0);
    ck_assert_int_eq(st.members_whole, 0);
    ck_assert_int_eq(st.members_streamed, 2);
    free(b.p);
}
END_TEST

START_TEST(inflate_across_windows)
{
    /* members of ~150, ~300 and ~150 KB compressed: the second starts
     * with 100 KB of it in the 256 KiB raw window, so libdeflate sees it
     * cut (bad data before the end of the file); the window is filled to
     * twice that, still short, then grows to 512 KiB and the member is
     * decoded whole */
    bytes b = {0};
    unsigned x = 11;
    size_t off[4], words[3] = {240000, 480000, 240000};
    for (int i = 0; i < 3; i++)
        off[i] = put_big_member(&b, words[i], 0, &x);
    off[3] = b.n;
    ck_assert_int_lt(off[1], (size_t)1 << 18);
    ck_assert_int_lt(off[1] + ((size_t)1 << 16), (size_t)1 << 18);
    ck_assert_int_gt(off[2] - off[1], (size_t)1 << 18);
    char want[256];
    snprintf(want, sizeof want,
             "0 request - 240000\n%zu request - 480000\n%zu request - 240000\n"
             "records 3 pages 0 bad 0",
             off[1], off[2]);
    pipe_warc_stats st;
    expect("across windows", listing(fd_of(&b, 0), 1 << 20, 0, &st), want);
    ck_assert_int_eq(st.members_whole, 3);
    ck_assert_int_eq(st.members_streamed, 0);
    /* through a pipe whose writer keeps up: the same records, each
     * member whole or (when the reader found the pipe empty mid-member)
     * streamed */
    expect("across windows, a pipe", listing_from_writer(&b, 0, &st), want);
    ck_assert_int_eq(st.members_whole + st.members_streamed, 3);
    free(b.p);
}
END_TEST

START_TEST(inflate_slow_writer)
{
    /* the writer stops in the middle of the third member: the reader
     * does not wait for all of it but streams it with zlib, as it comes */
    bytes b = {0};
    unsigned x = 13;
    size_t off[4];
    for (int i = 0; i < 4; i++)
        off[i] = put_big_member(&b, 12000, 0, &x);
    char want[256];
    snprintf(want, sizeof want,
             "0 request - 12000\n%zu request - 12000\n%zu request - 12000\n"
             "%zu request - 12000\nrecords 4 pages 0 bad 0",
             off[1], off[2], off[3]);
    pipe_warc_stats st;
    expect("slow writer",
           listing_from_writer(&b, off[2] + (off[3] - off[2]) / 2, &st), want);
    ck_assert_int_eq(st.members_whole, 3);
    ck_assert_int_eq(st.members_streamed, 1);
    free(b.p);
}
END_TEST

START_TEST(inflate_over_the_cap)
{
    /* a member that inflates past 16 MiB is not held whole: zlib streams
     * it; the member after it is decoded whole again */
    size_t n = (size_t)17 << 20;
    char *zeros = calloc(1, n);
    ck_assert_ptr_nonnull(zeros);
    bytes rec = {0}, b = {0};
    putf(&rec, "WARC/1.1\r\nWARC-Type: resource\r\nContent-Length: %zu\r\n\r\n",
         n);
    put(&rec, zeros, n);
    puts_(&rec, "\r\n\r\n");
    free(zeros);
    put_gzip(&b, rec.p, rec.n);
    free(rec.p);
    size_t second = b.n;
    unsigned x = 17;
    put_big_member(&b, 10, 0, &x);
    char want[256];
    snprintf(want, sizeof want,
             "0 resource - %zu\n%zu request - 10\nrecords 2 pages 0 bad 0", n,
             second);
    pipe_warc_stats st;
    expect("over the cap", listing(fd_of(&b, 0), 32 << 20, 0, &st), want);
    ck_assert_int_eq(st.members_whole, 1);
    ck_assert_int_eq(st.members_streamed, 1);
    free(b.p);
}
END_TEST

START_TEST(inflate_header_crc)
{
    /* a member with a header CRC (FHCRC) goes to zlib, which checks it:
     * a right one reads, a wrong one is corrupt data at its offset */
    bytes r = {0}, one = {0};
    put_record(&r, RESP("http://a/"), HTML200 "<p>page</p>");
    put_gzip(&one, r.p, r.n);
    free(r.p);
    unsigned char head[12];
    memcpy(head, one.p, 10);
    head[3] |= 0x02;
    unsigned crc = (unsigned)crc32(0, head, 10) & 0xffff;
    head[10] = (unsigned char)(crc & 0xff);
    head[11] = (unsigned char)(crc >> 8);
    bytes b = {0};
    put(&b, head, 12);
    put(&b, one.p + 10, one.n - 10);
    size_t second = b.n;
    head[10] ^= 1;
    put(&b, head, 12);
    put(&b, one.p + 10, one.n - 10);
    size_t third = b.n;
    put(&b, one.p, one.n);
    char want[512];
    snprintf(want, sizeof want,
             "0 response http://a/ 55\n"
             "%zu error: corrupt gzip data (header crc mismatch)\n"
             "%zu response http://a/ 55\nrecords 2 pages 0 bad 1",
             second, third);
    pipe_warc_stats st;
    expect("header crc", listing(fd_of(&b, 0), 1 << 20, 0, &st), want);
    ck_assert_int_eq(st.members_whole, 1);
    ck_assert_int_eq(st.members_streamed, 2);
    expect("header crc, both ways", transcript(&b, 1 << 20, 0, 0), want);
    free(one.p);
    free(b.p);
}
END_TEST

START_TEST(inflate_lenient_member)
{
    /* The one known difference (found by fuzz_warc): a member whose
     * dynamic block's last code-length repeat runs past the lengths it
     * needs.  zlib rejects it; libdeflate decodes it, and its CRC-32 and
     * length are right, so the bytes are the ones that were compressed:
     * the record is read. */
    static const unsigned char member[] = {
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0x45, 0x4d,
    0x4b, 0x0a, 0xc2, 0x30, 0x14, 0xdc, 0x07, 0x72, 0x87, 0x5e, 0x20, 0x36,
    0x29, 0xe2, 0x22, 0x88, 0x20, 0xed, 0x46, 0x70, 0x55, 0x0a, 0x05, 0x77,
    0x21, 0x79, 0xd1, 0x40, 0x79, 0x09, 0xf9, 0x20, 0xde, 0xde, 0x54, 0x02,
    0xc2, 0x2c, 0x86, 0xf9, 0xaf, 0xd7, 0x79, 0xec, 0xc5, 0x41, 0x50, 0xb2,
    0x56, 0xc6, 0x96, 0x4f, 0x00, 0xd9, 0xbd, 0x55, 0xd4, 0x0e, 0xad, 0x6f,
    0xe2, 0x0c, 0xda, 0x47, 0xc3, 0x6e, 0x93, 0xec, 0xce, 0x25, 0xa2, 0x2c,
    0xc5, 0x19, 0x29, 0x2e, 0xcd, 0x9d, 0x54, 0xae, 0x95, 0x81, 0x0f, 0x47,
    0xc6, 0x45, 0xc5, 0xc2, 0xb9, 0xfc, 0xe1, 0x41, 0xc9, 0xe8, 0x31, 0x03,
    0xe6, 0x36, 0xab, 0x42, 0xd8, 0x9c, 0x56, 0xd9, 0x79, 0xec, 0xf7, 0x0b,
    0x66, 0x1d, 0x6c, 0x26, 0xfd, 0x63, 0x77, 0xc0, 0x67, 0x7e, 0xc9, 0x4e,
    0x9c, 0x28, 0xa1, 0x24, 0x79, 0x9b, 0x6b, 0xac, 0x16, 0x13, 0x80, 0xd9,
    0x15, 0x4a, 0xbe, 0xda, 0xb0, 0x81, 0x8e, 0xaf, 0x00, 0x00, 0x00,
    };
    bytes b = {0};
    put(&b, member, sizeof member);
    expect("lenient member, libdeflate", listing(fd_of(&b, 0), 512, 0, NULL),
           "0 warcinfo - 16\nrecords 1 pages 0 bad 0");
    zlib_only(1);
    expect("lenient member, zlib", listing(fd_of(&b, 0), 512, 0, NULL),
           "0 error: corrupt gzip data (invalid bit length repeat)\n"
           "records 0 pages 0 bad 1");
    zlib_only(0);
    free(b.p);
}
END_TEST

START_TEST(sniff)
{
    ck_assert(pipe_warc_sniff("WARC/1.0\r\n", 10));
    ck_assert(pipe_warc_sniff("WARC/1", 6));
    ck_assert(!pipe_warc_sniff("WARC/", 5));
    ck_assert(!pipe_warc_sniff("<html>", 6));
    ck_assert(!pipe_warc_sniff("", 0));
    bytes b = {0};
    put_gzip(&b, "WARC/1.1\r\nWARC-Type: x\r\n", 24);
    ck_assert(pipe_warc_sniff(b.p, b.n));
    ck_assert(pipe_warc_sniff(b.p, 18)); /* a partial member will do */
    free(b.p);
    b = (bytes){0};
    put_gzip(&b, "<html><p>x</p>", 14);
    ck_assert(!pipe_warc_sniff(b.p, b.n));
    free(b.p);
    char where[64];
    pipe_warc_where(where, sizeof where, "a.warc.gz", 123, 0);
    ck_assert_str_eq(where, "a.warc.gz#123");
    pipe_warc_where(where, sizeof where, "a.warc.gz", 0, 77);
    ck_assert_str_eq(where, "a.warc.gz#0+77");
}
END_TEST

/* --- pages ----------------------------------------------------------- */

typedef struct page_case {
    const char *name;
    pipe_warc_type type;
    const char *content_type; /* WARC header */
    const char *block;
    size_t block_len;
    const char *want; /* "page STATUS TYPE CHARSET [BODY]",
                         "skip REASON" or "error MSG" */
} page_case;

/* "<hello>" gzip'd, zlib'd and raw-deflated (by Python's zlib) */
#define GZ_HELLO                                                               \
    "\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03\xb3\xc9\x48\xcd"                 \
    "\xc9\xc9\xb7\x03\x00\x6e\x75\xe3\x54\x07\x00\x00\x00"
#define ZLIB_HELLO                                                             \
    "\x78\x9c\xb3\xc9\x48\xcd\xc9\xc9\xb7\x03\x00\x0a\x24"                     \
    "\x02\x8f"
#define GZ_HELLO_CUT "\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03\xb3\xc9\x48\xcd"
#define RAW_HELLO "\xb3\xc9\x48\xcd\xc9\xc9\xb7\x03\x00"

/* An entry whose block is a string literal (which may hold NULs). */
#define P(name, type, ct, block, want)                                         \
    {                                                                          \
        name, type, ct, block, sizeof(block) - 1, want                         \
    }

static const page_case page_cases[] = {
    P("html 200", PIPE_WARC_RESPONSE, NULL, HTML200 "<p>hi",
      "page 200 text/html  [<p>hi]"),
    P("charset in the header", PIPE_WARC_RESPONSE, NULL,
      "HTTP/1.0 200 OK\r\nContent-Type: text/html; Charset=ISO-8859-1\r\n"
      "\r\nx",
      "page 200 text/html iso-8859-1 [x]"),
    P("quoted charset, bare LF", PIPE_WARC_RESPONSE, NULL,
      "HTTP/1.1 200 OK\nContent-Type: TEXT/HTML;foo=bar; charset=\"utf-8\"\n"
      "\nx",
      "page 200 text/html utf-8 [x]"),
    P("bad charset ignored", PIPE_WARC_RESPONSE, NULL,
      "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=a<b\r\n\r\nx",
      "page 200 text/html  [x]"),
    P("xhtml", PIPE_WARC_RESPONSE, NULL,
      "HTTP/1.1 203 Non-Authoritative\r\nContent-Type: "
      "application/xhtml+xml\r\n\r\n<html/>",
      "page 203 application/xhtml+xml  [<html/>]"),
    P("the last Content-Type counts", PIPE_WARC_RESPONSE, NULL,
      "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\ncontent-type : "
      "text/html\r\n\r\nx",
      "page 200 text/html  [x]"),
    P("image", PIPE_WARC_RESPONSE, NULL,
      "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n\r\n\x89PNG",
      "skip not-html"),
    P("404 page", PIPE_WARC_RESPONSE, NULL,
      "HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\n\r\n<p>gone",
      "skip status"),
    P("redirect", PIPE_WARC_RESPONSE, NULL,
      "HTTP/1.1 301 Moved\r\nLocation: /x\r\nContent-Type: text/html\r\n\r\n",
      "skip status"),
    P("no Content-Type, sniffed html", PIPE_WARC_RESPONSE, NULL,
      "HTTP/1.1 200 OK\r\n\r\n\xef\xbb\xbf\n  <!DOCTYPE html><p>x",
      "page 200   [\xef\xbb\xbf\n  <!DOCTYPE html><p>x]"),
    P("no Content-Type, sniffed comment", PIPE_WARC_RESPONSE, NULL,
      "HTTP/1.1 200 OK\r\n\r\n<!-- x --><b>y", "page 200   [<!-- x --><b>y]"),
    P("no Content-Type, not html", PIPE_WARC_RESPONSE, NULL,
      "HTTP/1.1 200 OK\r\n\r\n%PDF-1.4", "skip not-html"),
    P("no Content-Type, <bx is not <b", PIPE_WARC_RESPONSE, NULL,
      "HTTP/1.1 200 OK\r\n\r\n<bx>", "skip not-html"),
    P("headers only", PIPE_WARC_RESPONSE, NULL,
      "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n",
      "page 200 text/html  []"),
    P("bad status line", PIPE_WARC_RESPONSE, NULL, "HTTP/1.1 OK\r\n\r\n",
      "error bad HTTP status line \"HTTP/1.1 OK?\""),
    P("HTTP/2 status line", PIPE_WARC_RESPONSE, NULL,
      "HTTP/2 200\r\ncontent-type: text/html\r\n\r\nx",
      "page 200 text/html  [x]"),
    P("not HTTP, html by its WARC type", PIPE_WARC_RESPONSE, "text/html",
      "<p>x", "page 0 text/html  [<p>x]"),
    P("not HTTP", PIPE_WARC_RESPONSE, "text/dns", "a.example. 1 IN A 1.2.3.4",
      "skip other"),
    P("chunked", PIPE_WARC_RESPONSE, NULL,
      "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: "
      "chunked\r\n\r\n4;ext=1\r\n<p>h\r\nA\r\nello world\r\n0\r\nX: y\r\n\r\n",
      "page 200 text/html  [<p>hello world]"),
    P("chunked, cut short", PIPE_WARC_RESPONSE, NULL,
      "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: "
      "chunked\r\n\r\n4\r\n<p>h\r\n10\r\nello",
      "page 200 text/html  [<p>hello]"),
    P("chunked header, body not chunked", PIPE_WARC_RESPONSE, NULL,
      "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: "
      "chunked\r\n\r\n<p>already decoded",
      "page 200 text/html  [<p>already decoded]"),
    P("gzip", PIPE_WARC_RESPONSE, NULL,
      "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: "
      "gzip\r\n\r\n" GZ_HELLO,
      "page 200 text/html  [<hello>]"),
    P("gzip, then chunked", PIPE_WARC_RESPONSE, NULL,
      "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: "
      "x-gzip\r\nTransfer-Encoding: chunked\r\n\r\n1d\r\n" GZ_HELLO
      "\r\n0\r\n\r\n",
      "page 200 text/html  [<hello>]"),
    P("gzip header, plain body", PIPE_WARC_RESPONSE, NULL,
      "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: "
      "gzip\r\n\r\n<p>plain",
      "page 200 text/html  [<p>plain]"),
    P("gzip, corrupt", PIPE_WARC_RESPONSE, NULL,
      "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: "
      "gzip\r\n\r\n\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xff\xff\xff\xff",
      "error bad gzip Content-Encoding (invalid block type)"),
    P("gzip, cut short", PIPE_WARC_RESPONSE, NULL,
      "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: "
      "gzip\r\n\r\n" GZ_HELLO_CUT,
      "page 200 text/html  [<he]"),
    P("deflate (zlib)", PIPE_WARC_RESPONSE, NULL,
      "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: "
      "deflate\r\n\r\n" ZLIB_HELLO,
      "page 200 text/html  [<hello>]"),
    P("deflate (raw)", PIPE_WARC_RESPONSE, NULL,
      "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: "
      "deflate\r\n\r\n" RAW_HELLO,
      "page 200 text/html  [<hello>]"),
    P("brotli", PIPE_WARC_RESPONSE, NULL,
      "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: "
      "br\r\n\r\n\x0b\x02",
      "error unsupported Content-Encoding \"br\""),
    P("Common Crawl's renamed headers", PIPE_WARC_RESPONSE, NULL,
      "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
      "X-Crawler-Content-Encoding: gzip\r\nX-Crawler-Transfer-Encoding: "
      "chunked\r\n\r\n<p>x",
      "page 200 text/html  [<p>x]"),
    P("resource html", PIPE_WARC_RESOURCE, "text/html; charset=windows-1251",
      "<p>x", "page 0 text/html windows-1251 [<p>x]"),
    P("resource text", PIPE_WARC_RESOURCE, "text/plain", "x", "skip not-html"),
    P("resource without a type", PIPE_WARC_RESOURCE, NULL, "<html>",
      "skip not-html"),
    P("request", PIPE_WARC_REQUEST, NULL, "GET / HTTP/1.1\r\n\r\n",
      "skip request"),
    P("metadata", PIPE_WARC_METADATA, NULL, "a: b", "skip metadata"),
    P("warcinfo", PIPE_WARC_WARCINFO, NULL, "a: b", "skip warcinfo"),
    P("revisit", PIPE_WARC_REVISIT, NULL, HTML200, "skip revisit"),
    P("conversion", PIPE_WARC_CONVERSION, "text/html", "x", "skip other"),
    P("unknown type", PIPE_WARC_UNKNOWN, "text/html", "x", "skip other"),
};

START_TEST(page_table)
{
    const page_case *c = &page_cases[_i];
    pipe_warc_record rec = {0};
    rec.type = c->type;
    rec.content_type = c->content_type;
    rec.block = c->block;
    rec.block_len = c->block_len;
    rec.content_length = rec.block_len;
    pipe_warc_page page;
    pipe_warc_skip why;
    char *msg;
    int r = pipe_warc_page_decode(&rec, 1 << 20, &page, &why, &msg);
    bytes t = {0};
    if (r == 1) {
        putf(&t, "page %d %s %s [", page.status, page.media_type, page.charset);
        put(&t, page.body, page.body_len);
        puts_(&t, "]");
        if (page.owned)
            ck_assert_int_eq(page.owned[page.body_len], '\0');
        pipe_warc_page_free(&page);
    } else if (r == 0) {
        putf(&t, "skip %s", pipe_warc_skip_name(why));
    } else {
        putf(&t, "error %s", msg);
        free(msg);
    }
    expect(c->name, t.p, c->want);
}
END_TEST

START_TEST(decode_limit)
{
    /* a gzip body that inflates past the limit fails, however small the
     * compressed bytes; at the limit exactly it passes */
    size_t n = 100000;
    char *zeros = calloc(1, n);
    bytes gz = {0};
    put_gzip(&gz, zeros, n);
    free(zeros);
    bytes blk = {0};
    puts_(&blk, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                "Content-Encoding: gzip\r\n\r\n");
    put(&blk, gz.p, gz.n);
    pipe_warc_record rec = {0};
    rec.type = PIPE_WARC_RESPONSE;
    rec.block = blk.p;
    rec.block_len = rec.content_length = blk.n;
    pipe_warc_page page;
    pipe_warc_skip why;
    char *msg = NULL;
    ck_assert_int_eq(pipe_warc_page_decode(&rec, n - 1, &page, &why, &msg), -1);
    ck_assert_str_eq(msg, "decoded body is larger than the 99999 byte limit "
                          "(--max-input)");
    free(msg);
    ck_assert_int_eq(pipe_warc_page_decode(&rec, n, &page, &why, &msg), 1);
    ck_assert_int_eq(page.body_len, n);
    pipe_warc_page_free(&page);
    free(gz.p);
    free(blk.p);
}
END_TEST

START_TEST(pages_of_a_file)
{
    /* next_page: pages only, everything else counted */
    bytes b = {0};
    put_record(&b, "WARC-Type: warcinfo\r\n", "a: b\r\n");
    put_record(&b, "WARC-Type: request\r\n", "GET / HTTP/1.1\r\n\r\n");
    size_t p1 = b.n;
    put_record(&b, RESP("http://a/"),
               "HTTP/1.1 200 OK\r\nContent-Type: text/html; "
               "charset=koi8-r\r\n\r\n<p>a");
    put_record(&b, RESP("http://a/i.png"),
               "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n\r\nPNG");
    put_record(&b, RESP("http://a/gone"),
               "HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\n\r\nno");
    put_record(&b, "WARC-Type: metadata\r\n", "x: y");
    put_record(&b, "WARC-Type: revisit\r\n", "");
    size_t p2 = b.n;
    put_record(&b,
               "WARC-Type: resource\r\nWARC-Target-URI: file:///x\r\n"
               "Content-Type: text/html\r\n",
               "<p>r");
    char want[512];
    snprintf(want, sizeof want,
             "%zu response http://a/ 64 200 koi8-r [<p>a]\n"
             "%zu resource file:///x 4 0  [<p>r]\n"
             "records 8 pages 2 bad 0 warcinfo 1 request 1 metadata 1 "
             "revisit 1 not-html 1 status 1",
             p1, p2);
    expect("pages", transcript(&b, 1 << 20, 0, 1), want);
    free(b.p);
}
END_TEST

Suite *warc_suite(void)
{
    Suite *s = suite_create("warc");
    TCase *tc = tcase_create("reader");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, plain_records);
    tcase_add_loop_test(tc, reader_table, 0,
                        sizeof reader_cases / sizeof reader_cases[0]);
    tcase_add_test(tc, oversized_page);
    tcase_add_test(tc, long_header);
    tcase_add_test(tc, gzip_per_record);
    tcase_add_test(tc, gzip_corrupt_member);
    tcase_add_test(tc, gzip_bad_crc);
    tcase_add_test(tc, gzip_whole_file);
    tcase_add_test(tc, gzip_truncated_and_junk);
    tcase_add_test(tc, gzip_break_after_records);
    tcase_add_test(tc, gzip_length_past_member);
    tcase_add_test(tc, sniff);
    suite_add_tcase(s, tc);
    tc = tcase_create("inflate");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, inflate_output_growth);
    tcase_add_test(tc, inflate_across_windows);
    tcase_add_test(tc, inflate_slow_writer);
    tcase_add_test(tc, inflate_over_the_cap);
    tcase_add_test(tc, inflate_header_crc);
    tcase_add_test(tc, inflate_lenient_member);
    suite_add_tcase(s, tc);
    tc = tcase_create("pages");
    tcase_set_timeout(tc, 20);
    tcase_add_loop_test(tc, page_table, 0,
                        sizeof page_cases / sizeof page_cases[0]);
    tcase_add_test(tc, decode_limit);
    tcase_add_test(tc, pages_of_a_file);
    suite_add_tcase(s, tc);
    return s;
}
