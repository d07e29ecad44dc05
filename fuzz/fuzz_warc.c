/*
 * Fuzz the WARC reader: the input is a file (plain, gzip per record or
 * whole-file gzip, or anything) read with pipe_warc_next_page, which cuts
 * records, resynchronises after bad bytes and decodes pages (HTTP headers,
 * chunked, gzip/deflate).  Byte 0 picks the record size limit (64 bytes to
 * 2 MiB, so the oversize paths run) and whether the file is read through a
 * pipe (not seekable) or a memfd; the rest is the file.
 *
 * Invariants (abort on failure): every report and record is at or after
 * the previous one; a record's block and a page's body are inside the
 * limit (a page's body is readable, an oversized block is only its
 * prefix); the reader ends; and it reports the same with gzip members
 * inflated whole by libdeflate as with zlib streaming them
 * (PIPE_WARC_INFLATE=zlib): a hash of every record, page body and
 * message is compared.  One difference is known and allowed: a member
 * whose deflate data zlib rejects but libdeflate decodes with the right
 * CRC-32 and length (libdeflate lets the last code-length repeat of a
 * dynamic block run past the lengths it needs; see core/warc.c).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <libdeflate.h>
#include <zlib.h>

#include "warc.h"

/* FNV-1a over what the reader reports */
static uint64_t mix(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211u;
    return h;
}

/* Read the whole file once; the hash of what was reported. */
static uint64_t read_all(const uint8_t *data, size_t size, size_t limit,
                         int use_pipe)
{
    int fd;
    if (use_pipe) {
        int p[2];
        if (pipe(p) != 0)
            return 0;
        if (size && write(p[1], data, size) != (ssize_t)size) {
            close(p[0]);
            close(p[1]);
            return 0;
        }
        close(p[1]);
        fd = p[0];
    } else {
        fd = memfd_create("warc", 0);
        if (fd < 0)
            return 0;
        if (size && write(fd, data, size) != (ssize_t)size) {
            close(fd);
            return 0;
        }
        lseek(fd, 0, SEEK_SET);
    }
    char *msg = NULL;
    pipe_warc *w = pipe_warc_open_fd(fd, NULL, 0, limit, &msg);
    if (!w) {
        free(msg);
        return 0;
    }
    uint64_t h = 14695981039346656037u;
    uint64_t last_off = 0, last_skip = 0;
    size_t steps = 0;
    for (;;) {
        pipe_warc_record rec;
        pipe_warc_page page;
        uint64_t off, skip;
        int r = pipe_warc_next_page(w, &rec, &page, &off, &skip, &msg);
        h = mix(h, &r, sizeof r);
        if (r == 0 || r == -2) {
            if (msg)
                h = mix(h, msg, strlen(msg));
            free(msg);
            break;
        }
        if (r == 1) {
            off = rec.offset;
            skip = rec.skip;
            if (rec.block_len > limit && !rec.oversize)
                abort();
            if (page.body_len > limit)
                abort();
            h = mix(h, page.body, page.body_len);
            h = mix(h, &rec.block_len, sizeof rec.block_len);
            pipe_warc_page_free(&page);
        } else {
            if (!msg)
                abort();
            h = mix(h, msg, strlen(msg));
            free(msg);
        }
        msg = NULL;
        h = mix(h, &off, sizeof off);
        h = mix(h, &skip, sizeof skip);
        if (off < last_off || (off == last_off && skip < last_skip)) {
            fprintf(stderr, "FUZZ: report at %llu+%llu after %llu+%llu\n",
                    (unsigned long long)off, (unsigned long long)skip,
                    (unsigned long long)last_off,
                    (unsigned long long)last_skip);
            abort();
        }
        last_off = off;
        last_skip = skip;
        if (++steps > size + 16) {
            fprintf(stderr, "FUZZ: %zu reports from %zu bytes\n", steps, size);
            abort();
        }
    }
    const pipe_warc_stats *st = pipe_warc_get_stats(w);
    h = mix(h, &st->records, sizeof st->records);
    h = mix(h, &st->pages, sizeof st->pages);
    h = mix(h, &st->bad, sizeof st->bad);
    h = mix(h, st->skipped, sizeof st->skipped);
    pipe_warc_close(w);
    return h;
}

/* A gzip member somewhere in the input that libdeflate decodes (CRC and
 * length right) and zlib rejects as corrupt: the known difference. */
static int lenient_member(const uint8_t *data, size_t size)
{
    struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
    size_t cap = (size_t)4 << 20;
    unsigned char *out = malloc(cap);
    int found = 0;
    for (size_t i = 0; d && out && !found && i + 18 <= size; i++) {
        if (data[i] != 0x1f || data[i + 1] != 0x8b || data[i + 2] != 8)
            continue;
        size_t used, made;
        if (libdeflate_gzip_decompress_ex(d, data + i, size - i, out, cap,
                                          &used, &made) != LIBDEFLATE_SUCCESS)
            continue;
        z_stream zs;
        memset(&zs, 0, sizeof zs);
        if (inflateInit2(&zs, 15 + 16) != Z_OK)
            break;
        zs.next_in = (unsigned char *)data + i;
        zs.avail_in = (uInt)used;
        zs.next_out = out;
        zs.avail_out = (uInt)cap;
        int rc = inflate(&zs, Z_FINISH);
        found = rc == Z_DATA_ERROR;
        inflateEnd(&zs);
    }
    free(out);
    libdeflate_free_decompressor(d);
    return found;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t limit = (size_t)64 << (data[0] & 15);
    int use_pipe = (data[0] & 16) && size < 60000;
    data++;
    size--;
    (void)pipe_warc_sniff(data, size < 512 ? size : 512);
    setenv("PIPE_WARC_INFLATE", "zlib", 1);
    uint64_t slow = read_all(data, size, limit, use_pipe);
    unsetenv("PIPE_WARC_INFLATE");
    uint64_t fast = read_all(data, size, limit, use_pipe);
    if (slow != fast && !lenient_member(data, size)) {
        fprintf(stderr, "FUZZ: libdeflate and zlib report differently\n");
        abort();
    }
    return 0;
}
