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
 * prefix); the reader ends.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "warc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t limit = (size_t)64 << (data[0] & 15);
    int use_pipe = (data[0] & 16) && size < 60000;
    data++;
    size--;
    (void)pipe_warc_sniff(data, size < 512 ? size : 512);
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
    uint64_t last_off = 0, last_skip = 0;
    size_t steps = 0;
    for (;;) {
        pipe_warc_record rec;
        pipe_warc_page page;
        uint64_t off, skip;
        int r = pipe_warc_next_page(w, &rec, &page, &off, &skip, &msg);
        if (r == 0 || r == -2) {
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
            volatile unsigned char sum = 0;
            for (size_t i = 0; i < page.body_len; i++)
                sum ^= (unsigned char)page.body[i];
            (void)sum;
            pipe_warc_page_free(&page);
        } else {
            if (!msg)
                abort();
            free(msg);
        }
        msg = NULL;
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
    pipe_warc_close(w);
    return 0;
}
