/*
 * warc_list: a test helper (not installed) that prints what the WARC
 * reader sees in a file, one line per record or report, so shell tests
 * can compare it with an independent listing:
 *
 *   OFFSET[+SKIP] TYPE URI -> page STATUS CHARSET LENGTH CRC32
 *   OFFSET[+SKIP] TYPE URI -> skip REASON
 *   OFFSET[+SKIP] TYPE URI -> error MESSAGE
 *   OFFSET[+SKIP] error: MESSAGE
 *
 * then "records N pages N bad N" and the skipped counts.  CRC32 is of the
 * decoded page body (zlib's crc32, as Python's zlib.crc32).
 * Usage: warc_list [--limit BYTES] [--body N] FILE   (--body: print the
 * body of the N-th page, from 1, instead)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "warc.h"

int main(int argc, char **argv)
{
    size_t limit = (size_t)64 << 20;
    long body = 0;
    int i = 1;
    for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
        if (strcmp(argv[i], "--limit") == 0)
            limit = strtoull(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--body") == 0)
            body = strtol(argv[i + 1], NULL, 10);
    }
    if (i + 1 != argc) {
        fprintf(stderr, "usage: warc_list [--limit N] [--body N] FILE\n");
        return 2;
    }
    char *msg = NULL;
    pipe_warc *w = pipe_warc_open(argv[i], limit, &msg);
    if (!w) {
        fprintf(stderr, "warc_list: %s: %s\n", argv[i], msg);
        free(msg);
        return 1;
    }
    long pages = 0;
    pipe_warc_stats st = {0};
    for (;;) {
        pipe_warc_record rec;
        uint64_t off, skip;
        char where[64];
        int r = pipe_warc_next(w, &rec, &off, &skip, &msg);
        if (r == 0)
            break;
        if (r < 0) {
            pipe_warc_where(where, sizeof where, "", off, skip);
            if (!body)
                printf("%s error: %s\n", where + 1, msg);
            st.bad++;
            free(msg);
            if (r == -2)
                break;
            continue;
        }
        st.records++;
        pipe_warc_where(where, sizeof where, "", rec.offset, rec.skip);
        if (!body)
            printf("%s %s %s -> ", where + 1, rec.type_name,
                   rec.target_uri ? rec.target_uri : "-");
        pipe_warc_page page;
        pipe_warc_skip why;
        r = pipe_warc_page_decode(&rec, limit, &page, &why, &msg);
        if (r == 1) {
            st.pages++;
            if (body && ++pages == body)
                fwrite(page.body, 1, page.body_len, stdout);
            if (!body)
                printf("page %d %s %zu %08lx\n", page.status,
                       page.charset[0] ? page.charset : "-", page.body_len,
                       crc32(0, (const unsigned char *)page.body,
                             (uInt)page.body_len));
            pipe_warc_page_free(&page);
        } else if (r == 0) {
            st.skipped[why]++;
            if (!body)
                printf("skip %s\n", pipe_warc_skip_name(why));
        } else {
            st.bad++;
            if (!body)
                printf("error %s\n", msg);
            free(msg);
        }
    }
    pipe_warc_close(w);
    if (!body) {
        printf("records %lu pages %lu bad %lu", st.records, st.pages, st.bad);
        for (int k = 1; k < PIPE_WARC_NSKIP; k++)
            if (st.skipped[k])
                printf(" %s %lu", pipe_warc_skip_name((pipe_warc_skip)k),
                       st.skipped[k]);
        printf("\n");
    }
    return 0;
}
