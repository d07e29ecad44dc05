/*
 * parse-bench: time libxml2 parsing alone, for bench/articles.
 *
 * Usage: parse-bench FILE...   (gzip or plain HTML)
 * Reads every file into memory first, then parses each one with
 * pipe_html_parse (the parse `pipe run` does, encoding detection included)
 * and, apart, with a bare htmlReadMemory (libxml2 alone, told the input is
 * UTF-8), and prints "pages N parse_seconds S raw_seconds R" on stdout:
 * the time spent inside the parsers only, reading and freeing excluded.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <zlib.h>

#include "pipe/html.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Whole file, gunzipped when needed; NULL on error. */
static char *slurp(const char *path, size_t *len)
{
    gzFile f = gzopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            gzclose(f);
            return NULL;
        }
        int got = gzread(f, buf + n, (unsigned)(cap - n));
        if (got < 0) {
            free(buf);
            gzclose(f);
            return NULL;
        }
        n += (size_t)got;
        if (got == 0)
            break;
        if (n == cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb)
                free(buf);
            buf = nb;
        }
    }
    gzclose(f);
    *len = n;
    return buf;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs("usage: parse-bench FILE...\n", stderr);
        return 2;
    }
    /* the malloc settings pipe_main uses (core/cli.c, tune_malloc) */
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    mallopt(M_TOP_PAD, 1 << 20);
    double total = 0, raw = 0;
    int pages = 0, status = 0;
    for (int i = 1; i < argc; i++) {
        size_t len;
        char *data = slurp(argv[i], &len);
        if (!data) {
            fprintf(stderr, "parse-bench: %s: cannot read\n", argv[i]);
            status = 1;
            continue;
        }
        char *err = NULL;
        double t0 = now();
        xmlDocPtr doc = pipe_html_parse(data, len, NULL, &err);
        total += now() - t0;
        if (!doc) {
            fprintf(stderr, "parse-bench: %s: %s\n", argv[i],
                    err ? err : "parse failed");
            status = 1;
        } else {
            pages++;
        }
        free(err);
        xmlFreeDoc(doc);
        t0 = now();
        doc = htmlReadMemory(data, (int)len, NULL, "utf-8",
                             HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
                                 HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
        raw += now() - t0;
        xmlFreeDoc(doc);
        free(data);
    }
    printf("pages %d parse_seconds %.6f raw_seconds %.6f\n", pages, total,
           raw);
    return status;
}
