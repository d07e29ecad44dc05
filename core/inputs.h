/*
 * The supervisor's side of the inputs (internal to core/, used by pool.c):
 * crawl archives cut into page units, per-input accounting, `--output DIR`
 * files and the summaries.
 *
 * Every input (a path, or "-") gets an id in the order the feeder meets
 * it.  A WARC input (told by content: pipe_warc_sniff) becomes one unit
 * per page record, "FILE#OFFSET", with its metadata packed before the page
 * bytes (pipe_unit_pack); a bad record becomes a failure unit at its
 * offset.  Other paths stay path units, read by the worker.  An input is
 * finished when every unit it gave has been written out: then its output
 * file (with --output) is renamed into place and its summary printed.
 *
 * Ownership rule: a pipe_inputs owns its open archive, its output files
 * and the per-input records; strings returned through out parameters are
 * malloc'd and belong to the caller.
 */
#ifndef PIPE_INPUTS_H
#define PIPE_INPUTS_H

#include <stddef.h>
#include <stdint.h>

#include "outdir.h"
#include "warc.h"

typedef struct pipe_host pipe_host;

/* Kinds of unit: a path the worker reads, a line (records), a page whose
 * bytes (and metadata) travel in the unit. */
enum { PIPE_UNIT_PATH = 1, PIPE_UNIT_LINE = 2, PIPE_UNIT_PAGE = 3 };

typedef struct pipe_input_state {
    int id;
    char *name;
    unsigned long made, out;      /* units given, units written out */
    int fed;                      /* no more units will come */
    int skipped_whole;            /* --output: its file exists already */
    int have_file;
    pipe_outfile of;
    unsigned long pages, records, failed, skipped;
    unsigned long fail_units;     /* failures reported by the supervisor */
    char *werr;                   /* a write error of its file, to report */
    int gone;                     /* finished: its slot waits to be freed */
} pipe_input_state;

typedef struct pipe_inputs {
    pipe_host *host;
    int next_id;
    /* inputs not finished yet: ids first_id .. first_id + nact - 1 at
     * act[head ..], one slot per id in id order (a finished input that
     * others before it still wait on, --unordered, is a slot marked
     * `gone`): an id's slot is found by subtraction, and an input that
     * finishes first in line moves `head` on instead of the array */
    pipe_input_state *act;
    size_t head, nact, capact;
    int first_id;
    pipe_warc *warc;              /* the archive being cut into units */
    int warc_id;                  /* its input id */
    char *warc_path;
    unsigned long warc_bad;       /* failure units it gave */
    int saw_archive;
    /* run totals */
    unsigned long inputs, inputs_done_before, pages, records, failed,
        skipped;
} pipe_inputs;

void pipe_inputs_init(pipe_inputs *ins, pipe_host *host);
/* Interrupted or done: remove unfinished output files, free. */
void pipe_inputs_close(pipe_inputs *ins);

/* Start input `path`: 1 a WARC archive was opened (take its units with
 * pipe_inputs_next_page), 0 an ordinary input (one path unit: *id set),
 * 2 stdin, or a path that is no regular file (a FIFO), that is not an
 * archive, read here: one page unit (*data, *len,
 * malloc'd), 3 nothing to do (its output exists), -1 it failed (*fail: one
 * failure unit for it).  `lines`: a records input (its lines are units).
 * `keep` (or NULL): for a path unit of a regular file, the file the sniff
 * opened (offset past the sniff; the caller closes it), else -1. */
int pipe_inputs_start(pipe_inputs *ins, const char *path, int lines, int *id,
                      char **data, size_t *len, char **fail, int *keep);
/* The next unit of the open archive: 1 (*src, and *data and *len a packed page
 * or *fail a failure), 0 the archive is done (closed, input fed). */
int pipe_inputs_next_page(pipe_inputs *ins, char **src, char **data,
                          size_t *len, char **fail, int *id);
/* Input `id` will give no more units. */
void pipe_inputs_fed(pipe_inputs *ins, int id);
/* One more unit given for input `id` (the feeder counts each). */
void pipe_inputs_made(pipe_inputs *ins, int id);

/* A unit of input `id` finished (failed or not). */
void pipe_inputs_result(pipe_inputs *ins, int id, int failed);
/* `units` units of input `id` are being written out, `out` their records:
 * returns 1 when they went to the input's --output file (do not write
 * them to stdout), 0 otherwise. */
int pipe_inputs_emit(pipe_inputs *ins, int id, unsigned long units,
                     const char *out, size_t olen);
/* Finish the inputs whose units are all out (in id order unless
 * `unordered`): rename their files into place, print their summaries
 * through say(). */
void pipe_inputs_settle(pipe_inputs *ins, int unordered,
                        void (*say)(void *, const char *, size_t), void *ud);
/* The run-level summary line (with --output or --progress). */
void pipe_inputs_summary(pipe_inputs *ins,
                         void (*say)(void *, const char *, size_t),
                         void *ud);

/* Page units: metadata and bytes in one buffer, and back. */
char *pipe_unit_pack(const pipe_warc_record *rec, const pipe_warc_page *page,
                     size_t *len);
/* Fills *in's url, warc_id, fetched, charset (NULL when empty), data and
 * len from a packed unit (which it points into).  A unit packed from stdin
 * (pipe_inputs_start 2) may be gzip: *owned then gets the inflated bytes
 * (free it); returns -1 with *err when they cannot be had. */
struct pipe_input;
int pipe_unit_unpack(const char *data, size_t len, size_t limit,
                     struct pipe_input *in, char **owned, char **err);

#endif
