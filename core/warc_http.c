/*
 * Which WARC records are pages, and their payload decoded: the HTTP status
 * line and headers of a response record, the Content-Type's media type
 * and charset, chunked transfer-coding, Content-Encoding gzip and deflate.
 *
 * A page is a response record whose HTTP status is 2xx and whose
 * Content-Type is text/html or application/xhtml+xml (without a
 * Content-Type, the payload is sniffed as browsers do: a leading HTML tag
 * or comment), or a resource record with one of those types in its WARC
 * Content-Type.
 *
 * Caveats: lenient where servers and WARC writers are known to be
 * sloppy, strict where leniency would hide damage:
 * - a body declared chunked that does not start with a chunk-size line is
 *   taken as it is (some writers de-chunk and keep the header); a chunked
 *   body that breaks off later keeps the chunks read and the rest as is;
 * - Content-Encoding gzip on a body without the gzip magic is taken as it
 *   is (the writer or the server already decoded it); a compressed body
 *   cut short gives what inflates (what a browser would show); corrupt
 *   compressed data is an error;
 * - Common Crawl stores payloads decoded and renames the headers to
 *   X-Crawler-Content-Encoding etc., which are ignored here, as they
 *   should be.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <zlib.h>

#include "core.h"
#include "warc.h"


static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Media type and charset of a Content-Type value [s, e). */
static void parse_content_type(const char *s, const char *e, pipe_warc_page *p)
{
    size_t len = e > s ? (size_t)(e - s) : 0;
    while (len > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    const char *semi = memchr(s, ';', len);
    const char *me = semi ? semi : e;
    while (me > s && (me[-1] == ' ' || me[-1] == '\t'))
        me--;
    size_t n = (size_t)(me - s);
    if (n >= sizeof p->media_type)
        n = 0;
    for (size_t i = 0; i < n; i++)
        p->media_type[i] = (char)lower((unsigned char)s[i]);
    p->media_type[n] = '\0';
    p->charset[0] = '\0';
    while (semi) {
        const char *q = semi + 1;
        semi = memchr(q, ';', (size_t)(e - q));
        const char *pe = semi ? semi : e;
        while (q < pe && (*q == ' ' || *q == '\t'))
            q++;
        if ((size_t)(pe - q) < 8 || strncasecmp(q, "charset", 7) != 0)
            continue;
        q += 7;
        while (q < pe && (*q == ' ' || *q == '\t'))
            q++;
        if (q == pe || *q != '=')
            continue;
        q++;
        while (q < pe && (*q == ' ' || *q == '\t'))
            q++;
        const char *ve = pe;
        while (ve > q && (ve[-1] == ' ' || ve[-1] == '\t'))
            ve--;
        if (ve - q >= 2 && *q == '"' && ve[-1] == '"') {
            q++;
            ve--;
        }
        size_t k = (size_t)(ve - q);
        if (k == 0 || k >= sizeof p->charset)
            continue;
        size_t i = 0;
        for (; i < k; i++) {
            int c = lower((unsigned char)q[i]);
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.' || c == ':' || c == '+'))
                break;
            p->charset[i] = (char)c;
        }
        if (i < k) {
            p->charset[0] = '\0';
            continue;
        }
        p->charset[k] = '\0';
        return;
    }
}

static int is_html_type(const char *mt)
{
    return strcmp(mt, "text/html") == 0 ||
           strcmp(mt, "application/xhtml+xml") == 0;
}

/* The WHATWG MIME sniffing "HTML" patterns: a tag name (or a comment)
 * after optional whitespace, followed by a space or '>'. */
static int sniff_html(const char *s, size_t n)
{
    static const char *const tags[] = {
        "!doctype html",
        "html",
        "head",
        "script",
        "iframe",
        "h1",
        "div",
        "font",
        "table",
        "a",
        "style",
        "title",
        "b",
        "body",
        "br",
        "p",
        "!--",
    };
    size_t i = 0;
    if (n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
        i = 3;
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
                     s[i] == '\r' || s[i] == '\f'))
        i++;
    if (i >= n || s[i] != '<')
        return 0;
    i++;
    for (size_t t = 0; t < sizeof tags / sizeof tags[0]; t++) {
        size_t k = strlen(tags[t]);
        if (n - i <= k || strncasecmp(s + i, tags[t], k) != 0)
            continue;
        char c = s[i + k];
        if (c == ' ' || c == '>' || (tags[t][0] == '!' && tags[t][1] == '-'))
            return 1;
    }
    return 0;
}

/* A growing output buffer capped at `limit` bytes. */
typedef struct obuf {
    char *p;
    size_t n, cap, limit;
} obuf;

/* Room for `more` bytes: 0, or -1 (over the limit), -2 (out of memory). */
static int obuf_room(obuf *o, size_t more)
{
    if (more > o->limit || o->n > o->limit - more)
        return -1;
    if (o->n + more + 1 <= o->cap)
        return 0;
    size_t ncap = o->cap ? o->cap : 4096;
    while (ncap < o->n + more + 1)
        ncap *= 2;
    char *np = realloc(o->p, ncap);
    if (!np)
        return -2;
    o->p = np;
    o->cap = ncap;
    return 0;
}

static char *too_large(size_t limit)
{
    return pipe_strf("decoded body is larger than the %zu byte limit "
               "(--max-input)",
               limit);
}

/* De-chunk [s, s+n) into o. */
static int dechunk(const char *s, size_t n, obuf *o, char **msg)
{
    size_t i = 0;
    int first = 1;
    while (i < n) {
        size_t j = i, size = 0;
        int digits = 0;
        while (j < n && (s[j] == ' ' || s[j] == '\t'))
            j++;
        for (; j < n; j++) {
            int c = lower((unsigned char)s[j]);
            int d = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                           : -1;
            if (d < 0)
                break;
            if (size > (SIZE_MAX >> 4)) {
                *msg = too_large(o->limit);
                return -1;
            }
            size = size * 16 + (size_t)d;
            digits++;
        }
        const char *nl = j < n ? memchr(s + j, '\n', n - j) : NULL;
        int ok_line = digits > 0 && nl &&
                      (j == (size_t)(nl - s) || s[j] == ';' || s[j] == ' ' ||
                       s[j] == '\t' || s[j] == '\r');
        if (!ok_line) {
            if (first || !nl) {
                /* not chunked after all, or cut short: the rest as is */
                int r = obuf_room(o, n - i);
                if (r) {
                    *msg = r == -1 ? too_large(o->limit) : pipe_strf("out of memory");
                    return -1;
                }
                memcpy(o->p + o->n, s + i, n - i);
                o->n += n - i;
            }
            return 0;
        }
        first = 0;
        i = (size_t)(nl - s) + 1;
        if (size == 0)
            return 0; /* the last chunk; trailers are not needed */
        size_t take = size < n - i ? size : n - i;
        int r = obuf_room(o, take);
        if (r) {
            *msg = r == -1 ? too_large(o->limit) : pipe_strf("out of memory");
            return -1;
        }
        memcpy(o->p + o->n, s + i, take);
        o->n += take;
        i += take;
        if (i < n && s[i] == '\r')
            i++;
        if (i < n && s[i] == '\n')
            i++;
    }
    return 0;
}

/* Inflate [s, s+n) into o (windowBits as for inflateInit2).  The buffer
 * grows to limit + 1 bytes at most: one byte past the limit means too
 * large, whatever the rest would have been. */
static int inflate_into(const char *s, size_t n, int wbits, obuf *o,
                        const char *name, char **msg)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, wbits) != Z_OK) {
        *msg = pipe_strf("out of memory");
        return -1;
    }
    zs.next_in = (unsigned char *)s;
    size_t left = n;
    int ret = 0;
    for (;;) {
        if (zs.avail_in == 0 && left > 0) {
            size_t k = left > UINT_MAX ? UINT_MAX : left;
            zs.avail_in = (uInt)k;
            left -= k;
        }
        if (o->n + 1 >= o->cap) {
            size_t max = o->limit + 2; /* limit, the probe byte, NUL */
            size_t ncap = o->cap ? o->cap * 2 : 16384;
            if (ncap > max || ncap < o->cap)
                ncap = max;
            char *np = ncap > o->cap ? realloc(o->p, ncap) : NULL;
            if (!np) {
                *msg =
                    ncap > o->cap ? pipe_strf("out of memory") : too_large(o->limit);
                ret = -1;
                break;
            }
            o->p = np;
            o->cap = ncap;
        }
        size_t room = o->cap - 1 - o->n;
        if (room > UINT_MAX)
            room = UINT_MAX;
        zs.next_out = (unsigned char *)o->p + o->n;
        zs.avail_out = (uInt)room;
        int rc = inflate(&zs, Z_NO_FLUSH);
        o->n += room - zs.avail_out;
        if (o->n > o->limit) {
            *msg = too_large(o->limit);
            ret = -1;
            break;
        }
        if (rc == Z_STREAM_END) {
            /* gzip members may follow one another */
            if (wbits > 15 && zs.avail_in >= 2 && zs.next_in[0] == 0x1f &&
                zs.next_in[1] == 0x8b) {
                inflateReset(&zs);
                continue;
            }
            break;
        }
        if (rc == Z_BUF_ERROR && zs.avail_in == 0 && left == 0)
            break; /* cut short: keep what inflated */
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            *msg = rc == Z_MEM_ERROR ? pipe_strf("out of memory")
                                     : pipe_strf("bad %s Content-Encoding (%s)", name,
                                           zs.msg ? zs.msg : "corrupt data");
            ret = -1;
            break;
        }
    }
    inflateEnd(&zs);
    return ret;
}

/* Undo one content-coding of [*s, *s+*n), replacing it (and `owned`). */
static int decode_coding(const char *coding, size_t clen, const char **s,
                         size_t *n, char **owned, size_t limit, char **msg)
{
    if ((clen == 8 && strncasecmp(coding, "identity", 8) == 0) || clen == 0)
        return 0;
    int gzip = (clen == 4 && strncasecmp(coding, "gzip", 4) == 0) ||
               (clen == 6 && strncasecmp(coding, "x-gzip", 6) == 0);
    int deflate = clen == 7 && strncasecmp(coding, "deflate", 7) == 0;
    if (!gzip && !deflate) {
        char q[24];
        size_t k = clen < 20 ? clen : 20;
        for (size_t i = 0; i < k; i++)
            q[i] = (unsigned char)coding[i] < 0x20 ||
                           (unsigned char)coding[i] >= 0x7f
                       ? '?'
                       : coding[i];
        q[k] = '\0';
        *msg = pipe_strf("unsupported Content-Encoding \"%s\"", q);
        return -1;
    }
    const unsigned char *u = (const unsigned char *)*s;
    if (*n == 0)
        return 0;
    int wbits;
    if (gzip) {
        if (*n < 2 || u[0] != 0x1f || u[1] != 0x8b)
            return 0; /* already decoded */
        wbits = 15 + 16;
    } else {
        /* RFC 9110 says zlib format; some servers send raw deflate */
        wbits = *n >= 2 && (u[0] & 0x0f) == 8 && (u[0] >> 4) <= 7 &&
                        ((u[0] << 8) | u[1]) % 31 == 0
                    ? 15
                    : -15;
    }
    obuf o = {NULL, 0, 0, limit};
    if (inflate_into(*s, *n, wbits, &o, gzip ? "gzip" : "deflate", msg)) {
        free(o.p);
        return -1;
    }
    if (!o.p && obuf_room(&o, 0) != 0) {
        *msg = pipe_strf("out of memory");
        return -1;
    }
    o.p[o.n] = '\0';
    free(*owned);
    *owned = o.p;
    *s = o.p;
    *n = o.n;
    return 0;
}

/* Does the comma-separated list [v, e) end with the token "chunked"? */
static int ends_chunked(const char *v, const char *e)
{
    while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    const char *t = e;
    while (t > v && t[-1] != ',')
        t--;
    while (t < e && (*t == ' ' || *t == '\t'))
        t++;
    return e - t == 7 && strncasecmp(t, "chunked", 7) == 0;
}

/* Decode the payload [s, s+n) of a page into p. */
static int decode_body(const char *s, size_t n, const char *te,
                       const char *te_end, const char *ce, const char *ce_end,
                       size_t limit, pipe_warc_page *p, char **msg)
{
    char *owned = NULL;
    if (te && ends_chunked(te, te_end)) {
        obuf o = {NULL, 0, 0, limit};
        if (dechunk(s, n, &o, msg)) {
            free(o.p);
            return -1;
        }
        if (!o.p && obuf_room(&o, 0) != 0) {
            *msg = pipe_strf("out of memory");
            return -1;
        }
        o.p[o.n] = '\0';
        owned = o.p;
        s = o.p;
        n = o.n;
    }
    if (ce) {
        /* codings are listed in the order applied: undo from the end */
        const char *codings[8][2];
        int k = 0;
        const char *c = ce;
        while (c < ce_end) {
            const char *comma = memchr(c, ',', (size_t)(ce_end - c));
            const char *ee = comma ? comma : ce_end;
            const char *b = c;
            while (b < ee && (*b == ' ' || *b == '\t'))
                b++;
            const char *t = ee;
            while (t > b && (t[-1] == ' ' || t[-1] == '\t'))
                t--;
            if (t > b) {
                if (k == 8) {
                    free(owned);
                    *msg = pipe_strf("too many Content-Encodings");
                    return -1;
                }
                codings[k][0] = b;
                codings[k][1] = t;
                k++;
            }
            c = comma ? comma + 1 : ce_end;
        }
        while (k-- > 0)
            if (decode_coding(codings[k][0],
                              (size_t)(codings[k][1] - codings[k][0]), &s, &n,
                              &owned, limit, msg)) {
                free(owned);
                return -1;
            }
    }
    if (n > limit) {
        free(owned);
        *msg = too_large(limit);
        return -1;
    }
    p->body = s;
    p->body_len = n;
    p->owned = owned;
    return 0;
}

static char *oversize(const pipe_warc_record *rec, size_t limit)
{
    return pipe_strf("record is larger than the %zu byte limit (--max-input): "
               "Content-Length %llu",
               limit, (unsigned long long)rec->content_length);
}

/* A response record's block: the HTTP message. */
static int decode_http(const pipe_warc_record *rec, size_t limit,
                       pipe_warc_page *p, pipe_warc_skip *why, char **msg)
{
    const char *s = rec->block;
    size_t n = rec->block_len;
    const char *nl = memchr(s, '\n', n);
    const char *le = nl ? nl : s + n;
    /* "HTTP/1.1 200 OK": the status is the second word */
    const char *q = s + 5;
    while (q < le && *q != ' ')
        q++;
    while (q < le && *q == ' ')
        q++;
    if (le - q < 3 || q[0] < '1' || q[0] > '9' || q[1] < '0' || q[1] > '9' ||
        q[2] < '0' || q[2] > '9' ||
        (le - q > 3 && q[3] != ' ' && q[3] != '\r')) {
        char b[24];
        size_t k = (size_t)(le - s) < 20 ? (size_t)(le - s) : 20;
        for (size_t i = 0; i < k; i++)
            b[i] = (unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f
                       ? '?'
                       : s[i];
        b[k] = '\0';
        *msg = pipe_strf("bad HTTP status line \"%s\"", b);
        return -1;
    }
    p->status = (q[0] - '0') * 100 + (q[1] - '0') * 10 + (q[2] - '0');
    const char *ct = NULL, *ct_end = NULL, *te = NULL, *te_end = NULL;
    const char *ce = NULL, *ce_end = NULL;
    const char *line = nl ? nl + 1 : s + n, *end = s + n, *body = NULL;
    while (line < end) {
        const char *e = memchr(line, '\n', (size_t)(end - line));
        const char *next = e ? e + 1 : end;
        if (!e)
            e = end;
        const char *te2 = e;
        if (te2 > line && te2[-1] == '\r')
            te2--;
        if (te2 == line) {
            body = next;
            break;
        }
        const char *colon = memchr(line, ':', (size_t)(te2 - line));
        if (colon && line[0] != ' ' && line[0] != '\t') {
            const char *ne = colon;
            while (ne > line && (ne[-1] == ' ' || ne[-1] == '\t'))
                ne--;
            size_t k = (size_t)(ne - line);
            const char *v = colon + 1;
            while (v < te2 && (*v == ' ' || *v == '\t'))
                v++;
            if (k == 12 && strncasecmp(line, "Content-Type", 12) == 0) {
                ct = v; /* the last one counts, as in browsers */
                ct_end = te2;
            } else if (k == 17 &&
                       strncasecmp(line, "Transfer-Encoding", 17) == 0) {
                te = v;
                te_end = te2;
            } else if (k == 16 &&
                       strncasecmp(line, "Content-Encoding", 16) == 0) {
                ce = v;
                ce_end = te2;
            }
        }
        line = next;
    }
    if (!body && rec->oversize) {
        *msg = oversize(rec, limit);
        return -1;
    }
    if (!body)
        body = end; /* headers only */
    if (ct)
        parse_content_type(ct, ct_end, p);
    if (ct && !is_html_type(p->media_type)) {
        *why = PIPE_WARC_SKIP_NOT_HTML;
        return 0;
    }
    if (p->status < 200 || p->status > 299) {
        *why = ct ? PIPE_WARC_SKIP_STATUS : PIPE_WARC_SKIP_NOT_HTML;
        if (!ct && sniff_html(body, (size_t)(end - body)))
            *why = PIPE_WARC_SKIP_STATUS;
        return 0;
    }
    if (rec->oversize) {
        *msg = oversize(rec, limit);
        return -1;
    }
    if (decode_body(body, (size_t)(end - body), te, te_end, ce, ce_end, limit,
                    p, msg))
        return -1;
    if (!ct && !sniff_html(p->body, p->body_len)) {
        pipe_warc_page_free(p);
        *why = PIPE_WARC_SKIP_NOT_HTML;
        return 0;
    }
    return 1;
}

int pipe_warc_page_decode(const pipe_warc_record *rec, size_t limit,
                          pipe_warc_page *page, pipe_warc_skip *why, char **msg)
{
    memset(page, 0, sizeof *page);
    *why = PIPE_WARC_PAGE;
    *msg = NULL;
    switch (rec->type) {
    case PIPE_WARC_WARCINFO:
        *why = PIPE_WARC_SKIP_WARCINFO;
        return 0;
    case PIPE_WARC_REQUEST:
        *why = PIPE_WARC_SKIP_REQUEST;
        return 0;
    case PIPE_WARC_METADATA:
        *why = PIPE_WARC_SKIP_METADATA;
        return 0;
    case PIPE_WARC_REVISIT:
        *why = PIPE_WARC_SKIP_REVISIT;
        return 0;
    case PIPE_WARC_RESPONSE:
        if (rec->block_len >= 5 && memcmp(rec->block, "HTTP/", 5) == 0)
            return decode_http(rec, limit, page, why, msg);
        /* a response that is not HTTP: a page only if the WARC header
         * says it is HTML, as for a resource */
        /* fall through */
    case PIPE_WARC_RESOURCE:
        if (rec->content_type) {
            const char *ct = rec->content_type;
            parse_content_type(ct, ct + strlen(ct), page);
        }
        if (!is_html_type(page->media_type)) {
            *why = rec->type == PIPE_WARC_RESOURCE ? PIPE_WARC_SKIP_NOT_HTML
                                                   : PIPE_WARC_SKIP_OTHER;
            return 0;
        }
        if (rec->oversize) {
            *msg = oversize(rec, limit);
            return -1;
        }
        page->body = rec->block;
        page->body_len = rec->block_len;
        return 1;
    default:
        *why = PIPE_WARC_SKIP_OTHER;
        return 0;
    }
}

void pipe_warc_page_free(pipe_warc_page *page)
{
    free(page->owned);
    page->owned = NULL;
    page->body = NULL;
    page->body_len = 0;
}
