/*
 * Per-input output files for `--output DIR` (see outdir.c).
 *
 * Ownership rule: a pipe_outdir owns its directory name and the names it
 * has handed out; a pipe_outfile owns its paths, descriptor and compressor
 * until pipe_outfile_commit or pipe_outfile_abort, which release them
 * (either one, once).  Messages through `char **err` are malloc'd and
 * freed by the caller.
 */
#ifndef PIPE_OUTDIR_H
#define PIPE_OUTDIR_H

#include <stddef.h>
#include <stdint.h>

typedef struct pipe_outdir {
    char *dir;
    int gzip;     /* .ndjson.gz (default), else .ndjson */
    int force;    /* redo inputs whose output exists */
    char **names; /* output names used in this run */
    size_t n, cap;
} pipe_outdir;

typedef struct pipe_outfile {
    char *final, *tmp; /* DIR/NAME.ndjson.gz and its temporary */
    int fd;
    void *zs;              /* z_stream when gzip */
    unsigned long records; /* lines written */
    uint64_t bytes;        /* uncompressed bytes written */
} pipe_outfile;

/* The output file name for an input path ("-" is "stdin"). */
void pipe_outdir_name(const char *input, int gzip, char *buf, size_t n);

/* Create DIR (and its parents) if needed. */
int pipe_outdir_init(pipe_outdir *od, const char *dir, int gzip, int force,
                     char **err);
void pipe_outdir_free(pipe_outdir *od);

/* Start the output of `input`: 1 (write to *of, then commit or abort), 0
 * (its output exists and `force` is off: skip the input), -1 (*err). */
int pipe_outdir_begin(pipe_outdir *od, const char *input, pipe_outfile *of,
                      char **err);
int pipe_outfile_write(pipe_outfile *of, const char *data, size_t len,
                       char **err);
/* Finish, sync and rename to the final name; on failure the temporary
 * file is removed. */
int pipe_outfile_commit(pipe_outfile *of, char **err);
/* Remove the temporary file (an input that could not be completed). */
void pipe_outfile_abort(pipe_outfile *of);

#endif
