/*
 * WARC reader: WARC 1.0 and 1.1 (and the 0.17/0.18 drafts Heritrix and
 * ClueWeb wrote), plain, one gzip member per record (as Common Crawl
 * writes them) or gzip over the whole file, told apart by content.
 *
 * Ownership rule: a pipe_warc owns every byte a record points to; a
 * record (and a page decoded from it without a copy) stays valid until the
 * next call on the same reader.  Messages returned through `char **msg`
 * are malloc'd and freed by the caller; pipe_warc_page_free releases what
 * a page decoded into memory of its own.
 *
 * Offsets: a record's `offset` is where it starts in the file as stored.
 * In a plain file that is the byte offset of its "WARC/" line; in a gzip
 * file it is the offset of the gzip member the record starts in, and
 * `skip` counts the decompressed bytes of that member before the record:
 * 0 for Common Crawl's one-member-per-record files (seek to `offset` and
 * inflate), more for a whole-file gzip.  pipe_warc_where formats both as
 * "FILE#OFFSET" or "FILE#OFFSET+SKIP".
 */
#ifndef PIPE_WARC_H
#define PIPE_WARC_H

#include <stddef.h>
#include <stdint.h>

typedef enum pipe_warc_type {
    PIPE_WARC_WARCINFO,
    PIPE_WARC_RESPONSE,
    PIPE_WARC_RESOURCE,
    PIPE_WARC_REQUEST,
    PIPE_WARC_METADATA,
    PIPE_WARC_REVISIT,
    PIPE_WARC_CONVERSION,
    PIPE_WARC_CONTINUATION,
    PIPE_WARC_UNKNOWN /* a WARC-Type this reader does not know */
} pipe_warc_type;

/* Why a record is not a page (PIPE_WARC_PAGE: it is one). */
typedef enum pipe_warc_skip {
    PIPE_WARC_PAGE,
    PIPE_WARC_SKIP_WARCINFO,
    PIPE_WARC_SKIP_REQUEST,
    PIPE_WARC_SKIP_METADATA,
    PIPE_WARC_SKIP_REVISIT,
    PIPE_WARC_SKIP_NOT_HTML, /* a response or resource of another type */
    PIPE_WARC_SKIP_STATUS,   /* an HTML response whose status is not 2xx */
    PIPE_WARC_SKIP_OTHER,    /* conversion, continuation, unknown types,
                                responses that are not HTTP */
    PIPE_WARC_NSKIP
} pipe_warc_skip;

/* "warcinfo", "request", ..., "not-html", "status", "other" */
const char *pipe_warc_skip_name(pipe_warc_skip s);

typedef struct pipe_warc_record {
    uint64_t offset; /* see "Offsets" above */
    uint64_t skip;
    pipe_warc_type type;
    const char *version;   /* "1.0", "1.1", "0.18", ... */
    const char *type_name; /* WARC-Type as written */
    /* header fields, NULL when absent; the angle brackets wget puts
     * around WARC-Target-URI are removed */
    const char *target_uri, *record_id, *date, *content_type, *truncated;
    uint64_t content_length; /* Content-Length of the block */
    const char *block;       /* the block (not NUL-terminated) */
    size_t block_len;        /* == content_length unless `oversize` */
    int oversize;            /* Content-Length over the reader's limit:
                                `block` holds only its first bytes, enough
                                for the HTTP headers */
} pipe_warc_record;

typedef struct pipe_warc_stats {
    unsigned long records; /* records read whole (pages included) */
    unsigned long pages;
    unsigned long skipped[PIPE_WARC_NSKIP]; /* [PIPE_WARC_PAGE] unused */
    unsigned long bad;                      /* errors reported */
    /* gzip members decoded whole with libdeflate, streamed with zlib
     * (see warc.c "Inflating") */
    unsigned long members_whole, members_streamed;
} pipe_warc_stats;

typedef struct pipe_warc pipe_warc;

/* Is this the start of a WARC file?  `head` is the file's first bytes
 * (a few hundred are plenty; gzip is inflated to look inside). */
int pipe_warc_sniff(const void *head, size_t n);

/* Open a reader on `fd` (which it owns from now on, closed by
 * pipe_warc_close even on failure), `head` being bytes already read from
 * it (copied; may be NULL).  `limit` caps a record's block and a page's
 * decoded body.  Returns NULL with *msg on failure. */
pipe_warc *pipe_warc_open_fd(int fd, const void *head, size_t headlen,
                             size_t limit, char **msg);
/* Open a file by path ("-" is stdin, which is dup'd). */
pipe_warc *pipe_warc_open(const char *path, size_t limit, char **msg);
void pipe_warc_close(pipe_warc *w);

/* The next record: 1 (*rec filled), 0 at the end, -1 for a bad record or
 * bad bytes between records (*msg, where at *offset and *skip), after which the
 * reader resynchronises on the next record, so calling again goes on; -2
 * for a read error the reader cannot go past (*msg). */
int pipe_warc_next(pipe_warc *w, pipe_warc_record *rec, uint64_t *offset,
                   uint64_t *skip, char **msg);

/* A response or resource record decoded for extraction. */
typedef struct pipe_warc_page {
    int status;          /* HTTP status, 0 for a resource record */
    char media_type[80]; /* lowercase, "" when not declared */
    char charset[48];    /* Content-Type's charset, lowercase, or "" */
    const char *body;    /* the payload, decoded (not NUL-terminated
                            unless it was copied: `owned`) */
    size_t body_len;
    char *owned; /* malloc'd decoded body (== body) or NULL */
} pipe_warc_page;

/* Decide whether `rec` is a page and decode its payload: 1 a page (*page
 * filled; free with pipe_warc_page_free), 0 not a page (*why says why), -1
 * a page that cannot be decoded (*msg). */
int pipe_warc_page_decode(const pipe_warc_record *rec, size_t limit,
                          pipe_warc_page *page, pipe_warc_skip *why,
                          char **msg);
void pipe_warc_page_free(pipe_warc_page *page);

/* The next page, counting what is skipped in the reader's stats: returns
 * as pipe_warc_next does (a page that cannot be decoded is a -1 at its
 * record's offset). */
int pipe_warc_next_page(pipe_warc *w, pipe_warc_record *rec,
                        pipe_warc_page *page, uint64_t *offset, uint64_t *skip,
                        char **msg);
const pipe_warc_stats *pipe_warc_get_stats(const pipe_warc *w);

/* "FILE#OFFSET" or "FILE#OFFSET+SKIP" into buf (truncated to n bytes). */
void pipe_warc_where(char *buf, size_t n, const char *file, uint64_t offset,
                     uint64_t skip);

#endif
