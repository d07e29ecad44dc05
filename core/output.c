/*
 * Record output: ndjson (default, one compact object per line), json
 * (each record pretty-printed), text (chosen fields' text, records separated
 * by a blank line) and tsv (a header line, then one line per record with
 * tabs, newlines and backslashes escaped).  --fields picks and orders the
 * fields in every format.
 *
 * Caveats: in text output a blank line separates values and also the
 * paragraphs inside a body, so record boundaries are not recoverable from
 * it; use ndjson or tsv when that matters.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core.h"
#include "pipe/json.h"
#include "pipe/util.h"

static void free_fields(char **f)
{
    if (!f)
        return;
    for (char **p = f; *p; p++)
        free(*p);
    free(f);
}

int pipe_output_init(pipe_output *o, const char *format, const char *fields,
                     char **err)
{
    memset(o, 0, sizeof *o);
    if (!format || !strcmp(format, "ndjson"))
        o->format = PIPE_FMT_NDJSON;
    else if (!strcmp(format, "json"))
        o->format = PIPE_FMT_JSON;
    else if (!strcmp(format, "text"))
        o->format = PIPE_FMT_TEXT;
    else if (!strcmp(format, "tsv"))
        o->format = PIPE_FMT_TSV;
    else {
        *err = malloc(128);
        if (*err)
            snprintf(*err, 128, "unknown format '%.40s' (json, ndjson, text, "
                                "tsv)", format);
        return -1;
    }
    if (!fields && o->format == PIPE_FMT_TEXT)
        fields = "body";
    if (fields) {
        size_t n = 1;
        for (const char *c = fields; *c; c++)
            n += *c == ',';
        o->fields = calloc(n + 1, sizeof *o->fields);
        if (!o->fields)
            return -1;
        size_t i = 0;
        const char *s = fields;
        while (i < n) {
            const char *e = strchr(s, ',');
            size_t len = e ? (size_t)(e - s) : strlen(s);
            if (len > 0) {
                o->fields[i] = strndup(s, len);
                if (!o->fields[i++]) {
                    free_fields(o->fields);
                    o->fields = NULL;
                    return -1;
                }
            }
            if (!e)
                break;
            s = e + 1;
        }
    }
    return 0;
}

void pipe_output_free(pipe_output *o)
{
    free_fields(o->fields);
    o->fields = NULL;
}

/* A field value as text: strings as they are, other values as JSON. */
static char *value_text(json_t *v)
{
    if (!v || json_is_null(v))
        return strdup("");
    if (json_is_string(v))
        return strndup(json_string_value(v), json_string_length(v));
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
}

static void put_tsv(FILE *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '\t': fputs("\\t", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\\': fputs("\\\\", out); break;
        default: fputc(*s, out);
        }
    }
}

/* The record cut down to --fields, in their order (absent ones left out);
 * a new reference, or NULL on out-of-memory. */
static json_t *project(pipe_output *o, json_t *rec)
{
    if (!o->fields)
        return json_incref(rec);
    json_t *p = json_object();
    for (char **f = o->fields; p && *f; f++) {
        json_t *v = json_object_get(rec, *f);
        if (v && json_object_set(p, *f, v) != 0) {
            json_decref(p);
            return NULL;
        }
    }
    return p;
}

static int dump(pipe_output *o, FILE *out, json_t *rec, size_t flags)
{
    json_t *p = project(o, rec);
    if (!p)
        return -1;
    int rc = json_dumpf(p, out, flags | JSON_PRESERVE_ORDER);
    json_decref(p);
    if (rc != 0)
        return -1;
    fputc('\n', out);
    return 0;
}

static int write_record(pipe_output *o, FILE *out, json_t *rec)
{
    switch (o->format) {
    case PIPE_FMT_NDJSON:
        return dump(o, out, rec, JSON_COMPACT);
    case PIPE_FMT_JSON:
        return dump(o, out, rec, JSON_INDENT(2));
    case PIPE_FMT_TEXT:
        /* one block per field value; blocks separated by a blank line */
        for (char **f = o->fields; f && *f; f++) {
            json_t *v = json_object_get(rec, *f);
            if (!v || json_is_null(v))
                continue;
            char *s = value_text(v);
            if (!s)
                return -1;
            if (o->header_done)
                fputc('\n', out);
            fputs(s, out);
            fputc('\n', out);
            free(s);
            o->header_done = 1;
        }
        return 0;
    case PIPE_FMT_TSV:
        if (!o->fields) {
            size_t n = json_object_size(rec), i = 0;
            o->fields = calloc(n + 1, sizeof *o->fields);
            if (!o->fields)
                return -1;
            const char *k;
            json_t *v;
            json_object_foreach(rec, k, v) o->fields[i++] = strdup(k);
        }
        if (!o->header_done) {
            for (char **f = o->fields; *f; f++) {
                if (f != o->fields)
                    fputc('\t', out);
                put_tsv(out, *f);
            }
            fputc('\n', out);
            o->header_done = 1;
        }
        for (char **f = o->fields; *f; f++) {
            if (f != o->fields)
                fputc('\t', out);
            char *s = value_text(json_object_get(rec, *f));
            if (!s)
                return -1;
            put_tsv(out, s);
            free(s);
        }
        fputc('\n', out);
        return 0;
    }
    return -1;
}

int pipe_output_json(pipe_output *o, FILE *out, json_t *rec)
{
    return write_record(o, out, rec);
}

/* After a record was written (rc, and errno as the write left it): 0, or
 * -1 and *err.  A reader that went away (`| head -1`) stops the run
 * quietly. */
static int written(pipe_host *host, int rc, int werr, char **err)
{
    if (rc != 0 || ferror(pipe_host_out(host))) {
        if (werr == EPIPE || pipe_host_flush(host) != 0) {
            host->closed = 1;
            return 0;
        }
        char m[128];
        pipe_strerror(werr ? werr : EIO, m, sizeof m);
        *err = strdup(m);
        return -1;
    }
    pipe_host_flush(host);
    return 0;
}

/* NDJSON of the whole record: written straight from the table */
static int fast_record(pipe_host *host, lua_State *L,
                       int idx, char **err)
{
    pipe_buf b = {0};
    if (pipe_json_write_lua(L, idx, &b) != 0 || b.len == 0 || b.p[0] != '{' ||
        pipe_buf_add(&b, "\n", 1) != 0) {
        pipe_buf_free(&b);
        return 1; /* the tree's path */
    }
    errno = 0;
    int rc = fwrite(b.p, 1, b.len, pipe_host_out(host)) == b.len ? 0 : -1;
    int werr = errno;
    pipe_buf_free(&b);
    return written(host, rc, werr, err);
}

int pipe_output_record(pipe_host *host, pipe_output *o, lua_State *L,
                       int idx, char **err)
{
    static int tree = -1; /* PIPE_JSON_TREE, read once per process */
    if (tree < 0)
        tree = getenv("PIPE_JSON_TREE") != NULL;
    if (o->format == PIPE_FMT_NDJSON && !o->fields && !tree) {
        int rc = fast_record(host, L, idx, err);
        if (rc <= 0)
            return rc;
    }
    json_t *rec = pipe_json_from_lua(L, idx, err);
    if (!rec)
        return -1;
    if (!json_is_object(rec)) {
        json_decref(rec);
        *err = strdup("a record must be a table with string keys");
        return -1;
    }
    errno = 0;
    int rc = write_record(o, pipe_host_out(host), rec);
    int werr = errno;
    json_decref(rec);
    return written(host, rc, werr, err);
}
