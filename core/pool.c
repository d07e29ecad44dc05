/*
 * The worker pool: a small supervisor and worker processes.
 *
 * A command sets itself up first (loads its script, compiles its selector),
 * then hands its inputs to pipe_pool_run().  The supervisor -- this
 * process -- forks workers, which inherit that loaded state; it reads the
 * input list (and, for line inputs such as NDJSON records, the lines
 * themselves), sends work to idle workers, and writes what they send back
 * to stdout and stderr in input order.  It never runs a script or parses a
 * page.  A worker runs one unit at a time (a page, a line, a record):
 * before each unit its Lua state is put back to the loaded state
 * (sandbox.c); the unit's records and messages are captured and sent to
 * the supervisor in one frame.
 *
 * What only an outside process can enforce is enforced here: a unit past
 * --timeout is killed with its worker (whatever C call it is stuck in), a
 * worker that dies from a signal is replaced, and the unit it held is
 * reported by name; the other units of its batch are sent again.  Memory is
 * capped per worker (mem.c, and RLIMIT_DATA as a backstop).
 *
 * Output: each unit's records leave in one write(2), so records are whole
 * even when several pipe processes append to one file.  In input order by
 * default: a unit's result waits until every earlier unit's is out; with
 * --unordered it leaves as soon as it is there.  -j 1 and -j 8 write the
 * same bytes.
 *
 * Caveats: workers are forks of a process that may hold buffered stdio
 * output, so everything is flushed before a fork and workers leave with
 * _exit().  A worker closes the supervisor's ends of the other workers'
 * sockets it inherited, or a worker told to stop (its socket closed) would
 * never see the end of its input.  Writes of more than PIPE_BUF bytes to a
 * pipe shared with other writers are whole only as far as the kernel keeps
 * one write(2) together (Linux does unless the pipe fills mid-write).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core.h"
#include "pipe/util.h"
#include "inputs.h"

/* the kinds of unit (inputs.h): all units of one job are of one kind */
enum { JOB_PATHS = PIPE_UNIT_PATH, JOB_LINES = PIPE_UNIT_LINE,
       JOB_PAGES = PIPE_UNIT_PAGE };
enum { UNIT_FAILED = 1, UNIT_RECYCLE = 2 };
enum { J_FREE, J_PENDING, J_RUNNING, J_DONE };

/* supervisor -> worker; nfds: 0, or nunits open files sent with the
 * header (SCM_RIGHTS), one per unit, in order */
typedef struct job_hdr {
    uint32_t kind, nunits;
    uint64_t len;
    uint32_t nfds, pad;
} job_hdr;

/* at most this many files go with one job (the kernel's SCM_MAX_FD) */
#define JOB_FDS 253

/* worker -> supervisor, one per unit, followed by out and err bytes */
typedef struct res_hdr {
    uint32_t flags, pad;
    uint64_t in_bytes, out_len, err_len;
} res_hdr;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ------------------------------------------------------------------ */
/* Running one unit (in a worker, or in this process with --no-workers) */

/* A unit's records and messages: bytes in the process's capture streams
 * (below), valid until the next unit runs. */
typedef struct unit_result {
    char *out, *err;
    size_t out_len, err_len;
    uint32_t flags;
    uint64_t in_bytes;
} unit_result;

/* A memory stream a unit writes to (host->out, host->err), opened once
 * and rewound for every unit: one per unit was two 8 KiB callocs, their
 * frees and a stream's setup a page.  A stream that held more than
 * CAPTURE_KEEP is replaced rather than rewound, so one huge unit does not
 * keep its buffer for the rest of the run. */
typedef struct capture {
    FILE *f;
    char *buf;
    size_t len;
} capture;

#define CAPTURE_KEEP ((size_t)1 << 20)

static void capture_close(capture *c)
{
    if (c->f)
        fclose(c->f);
    free(c->buf);
    memset(c, 0, sizeof *c);
}

/* Ready for a unit: 0, or -1 out of memory. */
static int capture_begin(capture *c)
{
    if (c->f && c->len > CAPTURE_KEEP)
        capture_close(c);
    if (!c->f) {
        c->f = open_memstream(&c->buf, &c->len);
        return c->f ? 0 : -1;
    }
    clearerr(c->f);
    return fseek(c->f, 0, SEEK_SET);
}

/* What the unit wrote (nothing if the stream could not be opened). */
static void capture_end(capture *c, char **p, size_t *n)
{
    if (c->f)
        fflush(c->f);
    *p = c->f ? c->buf : NULL;
    *n = c->f ? c->len : 0;
}

typedef struct pool {
    pipe_host *host;
    pipe_input_fn fn;
    void *ud;
    int mode;                   /* JOB_PATHS or JOB_LINES */
    capture out, err;           /* what the unit running writes */
} pool;

/* `fd`: a path unit's file, open (it is closed here), or -1: open the
 * path. */
static void exec_unit(pool *p, uint32_t kind, const char *source,
                      const char *data, size_t len, int fd, unit_result *r)
{
    pipe_host *host = p->host;
    memset(r, 0, sizeof *r);
    if (capture_begin(&p->out) != 0 || capture_begin(&p->err) != 0) {
        capture_close(&p->out);
        capture_close(&p->err);
        static char oom[] = "pipe: out of memory\n";
        r->err = oom;
        r->err_len = sizeof oom - 1;
        r->flags = UNIT_FAILED | UNIT_RECYCLE;
        if (fd >= 0)
            close(fd);
        return;
    }
    FILE *old_out = host->out, *old_err = host->err;
    host->out = p->out.f;
    host->err = p->err.f;
    host->unit_failed = 0;
    pipe_mem_clear_refused();
    if (host->L && pipe_lua_reset(host->L) != 0)
        pipe_host_fail(host, source, "cannot reset the Lua state");
    else if (kind == JOB_PATHS) {
        char *buf = NULL, *e = NULL;
        size_t n = 0;
        int rc = fd >= 0 ? pipe_read_fd(fd, host->max_input, &buf, &n, &e)
                         : pipe_host_read(host, source, &buf, &n, &e);
        fd = -1;
        if (rc != 0) {
            pipe_host_fail(host, source, "%s", e ? e : "cannot read");
            free(e);
        } else if (pipe_mem_charge(n + 1) == 0) {
            /* the page counts against the budget while it is processed */
            pipe_input in = {.source = source, .data = buf, .len = n};
            r->in_bytes = n;
            p->fn(host, &in, p->ud);
            pipe_mem_release(n + 1);
            free(buf);
        } else {
            free(buf);
        }
    } else if (kind == JOB_PAGES) {
        /* a page of an archive (or stdin), its metadata packed before it */
        pipe_input in = {.source = source};
        char *owned = NULL, *e = NULL;
        if (pipe_unit_unpack(data, len, host->max_input, &in, &owned, &e) !=
            0) {
            pipe_host_fail(host, source, "%s", e ? e : "bad page unit");
            free(e);
        } else if (pipe_mem_charge(in.len + 1) == 0) {
            r->in_bytes = in.len;
            p->fn(host, &in, p->ud);
            pipe_mem_release(in.len + 1);
        }
        free(owned);
    } else {
        pipe_input in = {.source = source, .data = data, .len = len};
        r->in_bytes = len;
        p->fn(host, &in, p->ud);
    }
    if (fd >= 0)
        close(fd);    /* not read: the reset failed */
    int oom = pipe_mem_refused();
    host->out = old_out;
    host->err = old_err;
    if (host->unit_failed)
        r->flags |= UNIT_FAILED;
    if (oom) {
        /* what a page made before it ran out is not trusted: one clear
         * line instead, and a fresh worker for what comes next */
        char lim[32];
        pipe_mem_format(pipe_mem_limit(), lim, sizeof lim);
        capture_close(&p->out);
        capture_close(&p->err);
        if (capture_begin(&p->out) == 0 && capture_begin(&p->err) == 0)
            fprintf(p->err.f, "pipe: %s: out of memory (limit %s)\n",
                    source, lim);
        r->flags |= UNIT_FAILED | UNIT_RECYCLE;
    }
    capture_end(&p->out, &r->out, &r->out_len);
    capture_end(&p->err, &r->err, &r->err_len);
}

/* ------------------------------------------------------------------ */
/* Output: one write(2) per unit, in order                              */

int pipe_write_all(int fd, const void *p, size_t n)
{
    const char *s = p;
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

typedef struct progress {
    int on;
    double start, last;
    unsigned long long done, failed, total;   /* total 0: unknown */
    unsigned long long bytes;
    int shown;
} progress;

static void progress_clear(progress *pg)
{
    if (pg->on && pg->shown) {
        pipe_write_all(2, "\r\033[K", 4);
        pg->shown = 0;
    }
}

static void progress_show(progress *pg, int force)
{
    if (!pg->on)
        return;
    double t = now_s();
    if (!force && t - pg->last < 0.25)
        return;
    pg->last = t;
    double el = t - pg->start;
    double rate = el > 0 ? (double)pg->done / el : 0;
    char line[256], eta[32] = "";
    if (pg->total && rate > 0 && pg->done < pg->total) {
        double left = (double)(pg->total - pg->done) / rate;
        snprintf(eta, sizeof eta, "  ETA %dm%02ds", (int)(left / 60),
                 (int)left % 60);
    }
    char total[32] = "";
    if (pg->total)
        snprintf(total, sizeof total, "/%llu", pg->total);
    int n = snprintf(line, sizeof line,
                     "\r\033[Kpipe: %llu%s done  %.1f/s  %.1f MB/s  %llu "
                     "failed%s",
                     pg->done, total, rate,
                     el > 0 ? (double)pg->bytes / 1e6 / el : 0.0, pg->failed,
                     eta);
    if (n > 0)
        pipe_write_all(2, line, (size_t)n < sizeof line ? (size_t)n
                                                    : sizeof line - 1);
    pg->shown = 1;
}

typedef struct emitter {
    pipe_host *host;
    progress pg;
    int stop;                   /* stdout closed or failed: stop everything */
    int out_pipe;               /* stdout is a pipe or socket: 1, else 0 */
} emitter;

static int stdout_is_pipe(void)
{
    struct stat st;
    return fstat(1, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
}

/* Has the reader of a piped stdout gone away?  Then stop quietly, before
 * reporting (and counting) anything more. */
static int out_closed(emitter *em)
{
    if (em->stop || !em->out_pipe)
        return em->stop;
    struct pollfd pf = {1, 0, 0};
    if (poll(&pf, 1, 0) == 1 && (pf.revents & (POLLERR | POLLHUP))) {
        em->host->closed = 1;
        em->stop = 1;
    }
    return em->stop;
}

/* Write one unit's output now. */
static void emit_now(emitter *em, const char *out, size_t olen,
                     const char *err, size_t elen)
{
    pipe_host *host = em->host;
    if (out_closed(em))
        return;
    if (olen && !em->stop) {
        char *fbuf = NULL;
        size_t flen = 0;
        if (host->filter) {
            FILE *f = open_memstream(&fbuf, &flen);
            if (f) {
                host->filter(host, out, olen, f, host->filter_ud);
                fclose(f);
                out = fbuf;
                olen = flen;
            }
        }
        if (olen && pipe_write_all(1, out, olen) != 0) {
            if (errno == EPIPE) {
                host->closed = 1;
            } else {
                char m[128];
                pipe_strerror(errno, m, sizeof m);
                progress_clear(&em->pg);
                dprintf(2, "pipe: write error: %s\n", m);
                host->failed = 1;
                host->write_failed = 1;
            }
            em->stop = 1;
        } else {
            host->written += olen;
        }
        free(fbuf);
    }
    if (elen && !em->stop) {
        progress_clear(&em->pg);
        pipe_write_all(2, err, elen);
    }
}

/* Write out `units` units of input `id`: their records to the input's
 * --output file, or stdout; their messages to stderr. */
static void emit_units(emitter *em, pipe_inputs *ins, int id,
                       unsigned long units, const char *out, size_t olen,
                       const char *err, size_t elen)
{
    if (pipe_inputs_emit(ins, id, units, out, olen)) {
        out = NULL;
        olen = 0;
    }
    emit_now(em, out, olen, err, elen);
}

/* A summary line, as a message. */
static void say_line(void *ud, const char *line, size_t n)
{
    emit_now(ud, NULL, 0, line, n);
}

/* ------------------------------------------------------------------ */
/* The inputs: paths (argv, then --from) and, for line jobs, their lines */

typedef struct feeder {
    pipe_host *host;
    int mode;
    char **paths;
    int n, i;
    const char *from;
    pipe_lines fl;              /* the --from list */
    int from_state;             /* 0 not opened, 1 open, 2 done */
    pipe_lines ls;              /* line jobs: the current input */
    int ls_open;
    char *ls_path;
    int dash_done;              /* n == 0 and no --from: "-" given */
    int usage_error;            /* --from cannot be read */
    int exhausted;
    pipe_inputs ins;            /* archives, per-input accounting */
    int ls_id;                  /* line jobs: the current input's id */
    /* a unit make_job gave back (of another kind or input) */
    int back;
    char *back_src, *back_data, *back_fail;
    size_t back_len;
    int back_kind, back_id, back_fd;
    int fds;                    /* open files handed out with path units */
    int fds_max;
} feeder;

/* A path unit comes with the file the supervisor's sniff opened (its
 * worker reads it from there, with no second open, path walk and close),
 * while fewer than fds_max are out at once: a quarter of the descriptor
 * limit, at most FEED_FDS (jobs are made ahead of the workers; this keeps
 * the supervisor far from its limit).  The others are opened again by
 * path, as every unit was before. */
#define FEED_FDS 4096

static int feeder_fds_max(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return FEED_FDS;
    return rl.rlim_cur / 4 < FEED_FDS ? (int)(rl.rlim_cur / 4) : FEED_FDS;
}

/* Close a unit's open file (-1: none). */
static void feeder_drop_fd(feeder *f, int fd)
{
    if (fd >= 0) {
        close(fd);
        f->fds--;
    }
}

enum { FEED_GOT = 1, FEED_WAIT = 0, FEED_END = -1 };

/* Would a fill of ls block?  (A regular file never does.) */
static int would_block(pipe_lines *ls)
{
    if (ls->r.in_pos < ls->r.in_len || ls->r.raw_eof)
        return 0;
    struct pollfd pf = {ls->r.fd, POLLIN, 0};
    return poll(&pf, 1, 0) == 0;
}

/* The next path to process, or FEED_WAIT / FEED_END. */
static int next_path(feeder *f, char **path, int block)
{
    if (f->i < f->n) {
        *path = strdup(f->paths[f->i++]);
        return *path ? FEED_GOT : FEED_END;
    }
    if (f->n == 0 && !f->from) {
        if (f->dash_done)
            return FEED_END;
        f->dash_done = 1;
        *path = strdup("-");
        return *path ? FEED_GOT : FEED_END;
    }
    if (!f->from || f->from_state == 2)
        return FEED_END;
    char *err = NULL;
    if (f->from_state == 0) {
        if (pipe_lines_open(&f->fl, f->from, (size_t)1 << 20, &err) != 0) {
            pipe_host_usage(f->host, "--from %s: %s", f->from,
                            err ? err : "cannot read");
            free(err);
            f->usage_error = 1;
            f->from_state = 2;
            return FEED_END;
        }
        f->from_state = 1;
    }
    for (;;) {
        char *line;
        long n = pipe_lines_try(&f->fl, &line, &err);
        if (n > 0) {
            *path = strdup(line);
            return *path ? FEED_GOT : FEED_END;
        }
        if (n == 0)
            continue;
        if (n == -3) {
            if (!block && would_block(&f->fl))
                return FEED_WAIT;
            if (pipe_lines_fill(&f->fl, &err) == 0)
                continue;
        }
        if (n == -2 || n == -3) {
            pipe_host_usage(f->host, "--from %s: %s", f->from,
                            err ? err : "read error");
            free(err);
            f->usage_error = 1;
        }
        pipe_lines_close(&f->fl);
        f->from_state = 2;
        return FEED_END;
    }
}

/* The fd a FEED_WAIT waits on. */
static int feeder_fd(feeder *f)
{
    if (f->ls_open)
        return f->ls.r.fd;
    if (f->from_state == 1)
        return f->fl.r.fd;
    return -1;
}

/*
 * The next unit: for path jobs a path (*src, no data) or a page of an
 * archive (*src = "FILE#OFFSET", *data packed, *kind JOB_PAGES), for line
 * jobs one line (*src = "PATH:LINE", *data).  Failures of an input (cannot
 * open, read error, a line over the limit, a bad archive record) come back
 * as a unit with *fail set: the message, to report against *src.  *id is
 * the unit's input (inputs.h).
 */
static int feeder_next(feeder *f, char **src, char **data, size_t *len,
                       char **fail, int *kind, int *id, int *fd, int block)
{
    *src = *data = *fail = NULL;
    *len = 0;
    *kind = f->mode;
    *id = -1;
    *fd = -1;
    if (f->back) {
        f->back = 0;
        *src = f->back_src;
        *data = f->back_data;
        *fail = f->back_fail;
        *len = f->back_len;
        *kind = f->back_kind;
        *id = f->back_id;
        *fd = f->back_fd;
        return FEED_GOT;
    }
    if (f->exhausted || f->host->closed)
        return FEED_END;
    if (f->mode == JOB_PATHS) {
        for (;;) {
            if (pipe_inputs_next_page(&f->ins, src, data, len, fail, id)) {
                *kind = JOB_PAGES;
                return FEED_GOT;
            }
            char *path = NULL;
            int rc = next_path(f, &path, block);
            if (rc != FEED_GOT) {
                if (rc == FEED_END)
                    f->exhausted = 1;
                return rc;
            }
            int r = pipe_inputs_start(&f->ins, path, 0, id, data, len, fail,
                                      f->fds < f->fds_max ? fd : NULL);
            if (r == 1 || r == 3) {
                free(path);
                continue;     /* an archive: its pages; or nothing to do */
            }
            if (*fd >= 0)
                f->fds++;
            *src = path;
            *kind = r == 2 ? JOB_PAGES : JOB_PATHS;
            return FEED_GOT;
        }
    }
    for (;;) {
        if (!f->ls_open) {
            char *path = NULL;
            int rc = next_path(f, &path, block);
            if (rc != FEED_GOT) {
                if (rc == FEED_END)
                    f->exhausted = 1;
                return rc;
            }
            char *err = NULL, *d = NULL;
            size_t dl = 0;
            int r = pipe_inputs_start(&f->ins, path, 1, &f->ls_id, &d, &dl,
                                      &err, NULL);
            if (r == 3) {
                free(path);
                continue;
            }
            if (r < 0) {
                *src = path;
                *fail = err;
                *id = f->ls_id;
                return FEED_GOT;
            }
            if (pipe_lines_open(&f->ls, path, pipe_host_max_input(f->host),
                                &err) != 0) {
                *src = path;
                *fail = err ? err : strdup("cannot read");
                *id = f->ls_id;
                pipe_inputs_made(&f->ins, f->ls_id);
                pipe_inputs_fed(&f->ins, f->ls_id);
                return FEED_GOT;
            }
            f->ls_open = 1;
            f->ls_path = path;
        }
        char *line, *err = NULL;
        long n = pipe_lines_try(&f->ls, &line, &err);
        if (n >= 0) {
            size_t sn = strlen(f->ls_path) + 24;
            *src = malloc(sn);
            *data = malloc((size_t)n + 1);
            if (!*src || !*data) {
                free(*src);
                free(*data);
                *src = *data = NULL;
                f->exhausted = 1;
                return FEED_END;
            }
            snprintf(*src, sn, "%s:%lu", f->ls_path, f->ls.lineno);
            memcpy(*data, line, (size_t)n + 1);
            *len = (size_t)n;
            *id = f->ls_id;
            pipe_inputs_made(&f->ins, f->ls_id);
            return FEED_GOT;
        }
        if (n == -3) {
            if (!block && would_block(&f->ls))
                return FEED_WAIT;
            if (pipe_lines_fill(&f->ls, &err) == 0)
                continue;
            n = -2;
        }
        if (n == -2) {
            *src = f->ls_path;
            *fail = err ? err : strdup("read error");
            *id = f->ls_id;
            pipe_inputs_made(&f->ins, f->ls_id);
        } else {
            free(f->ls_path);
        }
        f->ls_path = NULL;
        pipe_lines_close(&f->ls);
        f->ls_open = 0;
        pipe_inputs_fed(&f->ins, f->ls_id);
        if (*fail)
            return FEED_GOT;
    }
}

/* Give a unit back: the next feeder_next returns it. */
static void feeder_unget(feeder *f, char *src, char *data, size_t len,
                         char *fail, int kind, int id, int fd)
{
    f->back_fd = fd;
    f->back = 1;
    f->back_src = src;
    f->back_data = data;
    f->back_len = len;
    f->back_fail = fail;
    f->back_kind = kind;
    f->back_id = id;
}

static void feeder_close(feeder *f)
{
    if (f->back) {
        free(f->back_src);
        free(f->back_data);
        free(f->back_fail);
        feeder_drop_fd(f, f->back_fd);
        f->back = 0;
    }
    if (f->ls_open)
        pipe_lines_close(&f->ls);
    free(f->ls_path);
    if (f->from_state == 1)
        pipe_lines_close(&f->fl);
}

/* ------------------------------------------------------------------ */
/* A guard for one unit run in this process (run_single): what the
 * supervisor does to a worker, done by the process to itself.  Past the
 * deadline SIGALRM ends the process, and a crash signal does too, each
 * after writing the message the supervisor would have written for a
 * worker, so a one-page run says and returns what a batch does.  Messages
 * are made before the unit starts: a signal handler may only write(2) and
 * _exit(2). */

static void signame(int sig, char *buf, size_t n);

static const int guard_sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT,
                                 SIGSYS, SIGTRAP};
/* the first three are ASan's own (it reports the crash, as in a worker) */
#if defined(__SANITIZE_ADDRESS__)
#define GUARD_FIRST 3
#else
#define GUARD_FIRST 0
#endif
#define NGUARD (sizeof guard_sigs / sizeof guard_sigs[0])
static char *guard_msg[NGUARD + 1];   /* [NGUARD]: the timeout's */
static size_t guard_len[NGUARD + 1];
#if !defined(__SANITIZE_ADDRESS__)
static char guard_stack[65536];
#endif

static void guard_fire(int sig)
{
    size_t k = NGUARD;
    for (size_t i = 0; i < NGUARD; i++)
        if (guard_sigs[i] == sig)
            k = i;
    if (guard_msg[k]) {
        size_t off = 0;
        while (off < guard_len[k]) {
            ssize_t w = write(2, guard_msg[k] + off, guard_len[k] - off);
            if (w <= 0)
                break;
            off += (size_t)w;
        }
    }
    _exit(PIPE_EXIT_INPUT);
}

static void guard_end(void)
{
    struct itimerval off;
    memset(&off, 0, sizeof off);
    setitimer(ITIMER_REAL, &off, NULL);
    signal(SIGALRM, SIG_DFL);
    for (size_t i = GUARD_FIRST; i < NGUARD; i++)
        signal(guard_sigs[i], SIG_DFL);
    for (size_t i = 0; i <= NGUARD; i++) {
        free(guard_msg[i]);
        guard_msg[i] = NULL;
    }
}

/* 0, or -1 when the guard could not be set up (then the unit goes to a
 * worker as usual) */
static int guard_begin(pipe_host *host, const char *src)
{
    double t = host->pool.timeout;
    guard_msg[NGUARD] = pipe_strf("pipe: %s: timed out after %g s\n", src, t);
    int bad = guard_msg[NGUARD] == NULL;
    for (size_t i = 0; i < NGUARD && !bad; i++) {
        char nm[32];
        signame(guard_sigs[i], nm, sizeof nm);
        guard_msg[i] = pipe_strf("pipe: %s: worker killed by signal %d%s\n",
                                 src, guard_sigs[i], nm);
        bad = guard_msg[i] == NULL;
    }
    for (size_t i = 0; i <= NGUARD; i++)
        guard_len[i] = guard_msg[i] ? strlen(guard_msg[i]) : 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = guard_fire;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_ONSTACK | SA_RESETHAND;
#if !defined(__SANITIZE_ADDRESS__)
    /* a C stack overflow is a SIGSEGV with no stack left to run on */
    stack_t ss;
    memset(&ss, 0, sizeof ss);
    ss.ss_sp = guard_stack;
    ss.ss_size = sizeof guard_stack;
    bad = bad || sigaltstack(&ss, NULL) != 0;
#endif
    for (size_t i = GUARD_FIRST; i < NGUARD && !bad; i++)
        bad = sigaction(guard_sigs[i], &sa, NULL) != 0;
    if (!bad && t > 0)
        bad = sigaction(SIGALRM, &sa, NULL) != 0;
    if (bad) {
        guard_end();
        return -1;
    }
    return 0;
}

/* the deadline, from now (only around the unit itself: writing its
 * records to a slow reader is not the unit's time) */
static void guard_arm(pipe_host *host)
{
    double t = host->pool.timeout;
    if (t <= 0)
        return;
    struct itimerval it;
    memset(&it, 0, sizeof it);
    it.it_value.tv_sec = (time_t)t;
    it.it_value.tv_usec = (suseconds_t)((t - (double)(time_t)t) * 1e6);
    if (it.it_value.tv_sec == 0 && it.it_value.tv_usec == 0)
        it.it_value.tv_usec = 1;
    setitimer(ITIMER_REAL, &it, NULL);
}

/* ------------------------------------------------------------------ */
/* Inline: --no-workers                                                 */

static int run_inline(pool *p, feeder *f, int guarded)
{
    emitter em = {p->host, {0}, 0, stdout_is_pipe()};
    for (;;) {
        char *src, *data, *fail;
        size_t len;
        int kind, id, fd;
        if (feeder_next(f, &src, &data, &len, &fail, &kind, &id, &fd, 1) !=
            FEED_GOT)
            break;
        if (fd >= 0)
            f->fds--;    /* exec_unit closes it */
        if (fail) {
            char *m = NULL;
            size_t mn = 0;
            FILE *mf = open_memstream(&m, &mn);
            if (mf) {
                fprintf(mf, "pipe: %s: %s\n", src, fail);
                fclose(mf);
            }
            pipe_inputs_result(&f->ins, id, 1);
            emit_units(&em, &f->ins, id, 1, NULL, 0, m, m ? mn : 0);
            free(m);
            p->host->failed = 1;
        } else {
            unit_result r;
            if (guarded)
                guard_arm(p->host);
            exec_unit(p, (uint32_t)kind, src, data, len, fd, &r);
            if (guarded) {
                guard_end();
                guarded = 0;
            }
            if (r.flags & UNIT_FAILED)
                p->host->failed = 1;
            pipe_inputs_result(&f->ins, id, (r.flags & UNIT_FAILED) != 0);
            emit_units(&em, &f->ins, id, 1, r.out, r.out_len, r.err,
                       r.err_len);
        }
        free(src);
        free(data);
        free(fail);
        pipe_inputs_settle(&f->ins, 0, say_line, &em);
        if (em.stop)
            break;
    }
    if (!em.stop) {
        pipe_inputs_settle(&f->ins, 0, say_line, &em);
        pipe_inputs_summary(&f->ins, say_line, &em);
    }
    return 0;
}

/* One input that is one page, run in this process under a guard: the
 * everyday `pipe run site.lua page.html`.  A worker would cost a fork, the
 * copy-on-write faults of both processes and the worker's exit, ~1 ms of a
 * 9 ms run.  The guard gives what the supervisor gives a worker: the same
 * message and exit code for a page past --timeout or a crash; --max-memory
 * is the same budget with the same backstop (worker_limits).  Not for
 * --unsafe scripts (they may fork, exit or signal themselves: a worker
 * keeps that away from the output), nor for output that an outside process
 * shapes (--output DIR, tsv/text formats), nor with --progress.  Returns 1
 * when it ran the input, 0 when the feeder is as it was and the pool
 * should. */
static void worker_limits(pipe_host *host);

static int run_single(pool *p, feeder *f)
{
    pipe_host *host = p->host;
    if (p->mode != JOB_PATHS || f->from || f->n > 1 || host->lua.unsafe ||
        host->outdir || host->filter || host->pool.progress > 0 ||
        getenv("PIPE_FORK_ONE"))
        return 0;
    char *src, *data, *fail;
    size_t len;
    int kind, id, fd;
    if (feeder_next(f, &src, &data, &len, &fail, &kind, &id, &fd, 1) !=
        FEED_GOT)
        return 0;
    /* a plain file (an archive's pages come as JOB_PAGES units) and the
     * list's only entry: nothing follows it */
    int single = kind == JOB_PATHS && !fail;
    int ok = single && guard_begin(host, src) == 0;
    feeder_unget(f, src, data, len, fail, kind, id, fd);
    if (!ok)
        return 0;
    worker_limits(host);
    run_inline(p, f, 1);
    return 1;
}

/* ------------------------------------------------------------------ */
/* Workers                                                              */

typedef struct job {
    int state;
    unsigned long long seq;     /* input order */
    char *payload;              /* packed units: [u32 srclen][u64 len][src][data] */
    size_t payload_len;
    size_t nunits;
    size_t *offs;               /* offset of each unit in payload */
    size_t next;                /* units finished */
    int worker;                 /* when running */
    uint32_t last_flags;        /* of the last unit result */
    int kind;                   /* JOB_PATHS, JOB_LINES or JOB_PAGES */
    int input;                  /* the input its units come from */
    int *ids;                   /* or, a batch of paths: each unit's input */
    int *fds;                   /* path units: each one's open file, until
                                   the job is first sent; or NULL */
    size_t emitted;             /* units whose output is written */
    pipe_buf out, err;          /* results not written yet */
    size_t *held;               /* with ids: out and err length of each
                                   unit held in out, err (2 per unit) */
    int failed;                 /* among them, a failure */
} job;

static void job_drop_fds(feeder *f, job *jb);

typedef struct worker {
    pid_t pid;
    int fd;                     /* -1: slot free */
    int job;                    /* index of its job, or -1: idle */
    double unit_start;
    int timed_out;
    int leaving;                /* said it exits after its last unit */
    int queued;                 /* a job sent behind the current one, or -1:
                                   the worker finds it waiting when it is
                                   done, no round trip to the supervisor */
    pipe_buf rx;
} worker;

typedef struct sup {
    pool *p;
    pipe_host *host;
    feeder *f;
    emitter em;
    worker *w;
    int nw, maxw;
    job *jobs;                  /* slots of the jobs in flight */
    size_t nslots, count;
    unsigned long long next_seq, emit_seq;
    char *held_src, *held_fail; /* an input failure met inside a batch */
    int held_id;
    size_t batch_units;         /* line jobs: units per batch (adaptive) */
    double unit_time;           /* running mean of seconds per unit */
    double unit_bytes;          /* running mean of result bytes per unit */
    struct pollfd *pf;
    int *who;
} sup;

static job *job_by_seq(sup *s, unsigned long long seq)
{
    for (size_t k = 0; k < s->nslots; k++)
        if (s->jobs[k].state != J_FREE && s->jobs[k].seq == seq)
            return &s->jobs[k];
    return NULL;
}

static job *new_job(sup *s)
{
    for (size_t k = 0; k < s->nslots; k++)
        if (s->jobs[k].state == J_FREE) {
            job *jb = &s->jobs[k];
            memset(jb, 0, sizeof *jb);
            jb->seq = s->next_seq++;
            jb->worker = -1;
            s->count++;
            return jb;
        }
    return NULL;
}

static void worker_limits(pipe_host *host)
{
#if !defined(__SANITIZE_ADDRESS__) && !defined(PIPE_NO_RLIMIT)
    /* the backstop for what the memory budget does not count: the worker's
     * data may grow by the budget and a quarter more */
    size_t lim = pipe_mem_limit();
    if (lim) {
        struct rlimit rl;
        size_t base = 0;
        FILE *f = fopen("/proc/self/statm", "r");
        if (f) {
            unsigned long sz, res, shr, text, lib, data;
            if (fscanf(f, "%lu %lu %lu %lu %lu %lu", &sz, &res, &shr, &text,
                       &lib, &data) == 6)
                base = (size_t)data * (size_t)sysconf(_SC_PAGESIZE);
            fclose(f);
        }
        rl.rlim_cur = rl.rlim_max = base + lim + lim / 4 + ((size_t)64 << 20);
        setrlimit(RLIMIT_DATA, &rl);
    }
#endif
    (void)host;
}

/* A unit's result in one writev(2) (header, records, messages): a write
 * per piece was two or three system calls a page. */
static void send_result(int fd, const unit_result *r)
{
    res_hdr h = {r->flags, 0, r->in_bytes, r->out_len, r->err_len};
    struct iovec v[3] = {{&h, sizeof h},
                         {r->out, r->out ? r->out_len : 0},
                         {r->err, r->err ? r->err_len : 0}};
    struct iovec *at = v;
    int left = 3;
    while (left > 0) {
        ssize_t w = writev(fd, at, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            _exit(0);    /* the supervisor is gone */
        size_t done = (size_t)w;
        while (left > 0 && done >= at->iov_len) {
            done -= at->iov_len;
            at++;
            left--;
        }
        if (left > 0) {
            at->iov_base = (char *)at->iov_base + done;
            at->iov_len -= done;
        }
    }
}

/* The worker's side of its socket, read ahead: a job's header and its
 * payload (and often the job queued behind it) come in one read instead
 * of two.  Files sent with a job (SCM_RIGHTS) wait in `fds`, in the
 * order they came: a job's come at the latest with its header's first
 * byte, and every job before it has taken its own.  If that ever could
 * not hold (files cut off: MSG_CTRUNC, too many), `broken`: every file
 * is closed and units are opened by path from then on. */
#define RX_FDS (2 * JOB_FDS + 2)
typedef struct rx_ahead {
    char buf[16384];
    size_t off, len;
    int fds[RX_FDS];
    size_t nfds;
    int broken;
} rx_ahead;

static void rx_break(rx_ahead *rx)
{
    for (size_t i = 0; i < rx->nfds; i++)
        close(rx->fds[i]);
    rx->nfds = 0;
    rx->broken = 1;
}

/* One recvmsg(2) into dst: bytes (0 at the end, -1 an error), files to
 * the queue. */
static ssize_t rx_recv(rx_ahead *rx, int sock, void *dst, size_t n)
{
    union {
        struct cmsghdr c;
        char b[CMSG_SPACE(RX_FDS * sizeof(int))];
    } ctl;
    struct iovec v = {dst, n};
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = &v;
    m.msg_iovlen = 1;
    m.msg_control = ctl.b;
    m.msg_controllen = sizeof ctl.b;
    ssize_t r;
    do
        r = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        const unsigned char *d = CMSG_DATA(c);
        for (size_t i = 0; i < k; i++) {
            int fd;
            memcpy(&fd, d + i * sizeof fd, sizeof fd);
            if (rx->broken || rx->nfds == RX_FDS) {
                close(fd);
                rx->broken = 1;
            } else {
                rx->fds[rx->nfds++] = fd;
            }
        }
    }
    if (m.msg_flags & MSG_CTRUNC)
        rx_break(rx);
    return r;
}

static int rx_read(rx_ahead *rx, int fd, void *dst, size_t n)
{
    char *d = dst;
    while (n > 0) {
        if (rx->off == rx->len) {
            if (n >= sizeof rx->buf) {
                /* a large payload: directly */
                ssize_t r = rx_recv(rx, fd, d, n);
                if (r <= 0)
                    return -1;
                d += r;
                n -= (size_t)r;
                continue;
            }
            ssize_t r = rx_recv(rx, fd, rx->buf, sizeof rx->buf);
            if (r <= 0)
                return -1;
            rx->off = 0;
            rx->len = (size_t)r;
        }
        size_t k = rx->len - rx->off < n ? rx->len - rx->off : n;
        memcpy(d, rx->buf + rx->off, k);
        rx->off += k;
        d += k;
        n -= k;
    }
    return 0;
}

/* The `n` files of the job whose header was just read, into fds (or all
 * -1: open by path). */
static void rx_take_fds(rx_ahead *rx, size_t n, int *fds)
{
    for (size_t i = 0; i < n; i++)
        fds[i] = -1;
    if (n == 0 || rx->broken)
        return;
    if (rx->nfds < n) {
        rx_break(rx);
        return;
    }
    memcpy(fds, rx->fds, n * sizeof *fds);
    memmove(rx->fds, rx->fds + n, (rx->nfds - n) * sizeof *rx->fds);
    rx->nfds -= n;
}

static void worker_main(sup *s, int fd)
{
    pipe_host *host = s->host;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() == 1)
        _exit(0);
    worker_limits(host);
    unsigned long done = 0;
    static rx_ahead rx;
    for (;;) {
        job_hdr h;
        if (rx_read(&rx, fd, &h, sizeof h) != 0)
            _exit(0);
        int ufds[JOB_FDS];
        if (h.nfds > JOB_FDS || (h.nfds && h.nfds != h.nunits))
            _exit(0);    /* not from this supervisor */
        rx_take_fds(&rx, h.nfds, ufds);
        char *buf = malloc(h.len + 1);
        if (!buf || rx_read(&rx, fd, buf, h.len) != 0)
            _exit(0);
        size_t off = 0;
        for (uint32_t u = 0; u < h.nunits; u++) {
            uint32_t sl;
            uint64_t dl;
            memcpy(&sl, buf + off, sizeof sl);
            memcpy(&dl, buf + off + 4, sizeof dl);
            char *src = buf + off + 12;
            char *data = src + sl + 1;
            off += 12 + sl + 1 + dl + 1;
            unit_result r;
            exec_unit(s->p, h.kind, src, h.kind != JOB_PATHS ? data : NULL,
                      (size_t)dl, h.nfds ? ufds[u] : -1, &r);
            done++;
            if (host->pool.recycle && done >= host->pool.recycle &&
                u + 1 == h.nunits)
                r.flags |= UNIT_RECYCLE;
            send_result(fd, &r);
            if (r.flags & UNIT_RECYCLE)
                _exit(0);
        }
        free(buf);
    }
}

static int spawn(sup *s)
{
    int slot = -1;
    for (int i = 0; i < s->maxw; i++)
        if (s->w[i].fd < 0) {
            slot = i;
            break;
        }
    if (slot < 0)
        return -1;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(sv[0]);
        close(sv[1]);
        return -1;
    }
    if (pid == 0) {
        close(sv[0]);
        for (int i = 0; i < s->maxw; i++)
            if (s->w[i].fd >= 0)
                close(s->w[i].fd);
        /* the files of jobs not sent yet are the supervisor's */
        for (size_t k = 0; k < s->nslots; k++)
            for (size_t u = 0; s->jobs[k].fds && u < s->jobs[k].nunits; u++)
                if (s->jobs[k].fds[u] >= 0)
                    close(s->jobs[k].fds[u]);
        if (s->f->back && s->f->back_fd >= 0)
            close(s->f->back_fd);
        worker_main(s, sv[1]);
        _exit(0);
    }
    close(sv[1]);
    worker *w = &s->w[slot];
    memset(w, 0, sizeof *w);
    w->pid = pid;
    w->fd = sv[0];
    w->job = -1;
    w->queued = -1;
    s->nw++;
    return slot;
}

/* A job's header and payload in one sendmsg(2), with its units' open
 * files; what a signal cut short, written after (the files went with the
 * first byte).  0 sent, -1 the worker is gone, 1 nothing sent: the files
 * cannot go (too many in flight, ETOOMANYREFS): send the job without. */
static int send_with_fds(int sock, const job_hdr *h, const char *payload,
                         size_t len, const int *fds, size_t nfds)
{
    union {
        struct cmsghdr c;
        char b[CMSG_SPACE(JOB_FDS * sizeof(int))];
    } ctl;
    memset(&ctl, 0, sizeof ctl);
    struct iovec v[2] = {{(void *)h, sizeof *h}, {(void *)payload, len}};
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = v;
    m.msg_iovlen = 2;
    m.msg_control = ctl.b;
    m.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
    memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
    ssize_t w;
    do
        w = sendmsg(sock, &m, MSG_NOSIGNAL);
    while (w < 0 && errno == EINTR);
    if (w < 0)
        return errno == EPIPE || errno == ECONNRESET ? -1 : 1;
    size_t done = (size_t)w;
    if (done < sizeof *h &&
        pipe_write_all(sock, (const char *)h + done, sizeof *h - done) != 0)
        return -1;
    done = done > sizeof *h ? done - sizeof *h : 0;
    return pipe_write_all(sock, payload + done, len - done);
}

/* Send job jb (from its first unfinished unit) to worker wi. */
static int dispatch(sup *s, job *jb, int wi)
{
    worker *w = &s->w[wi];
    size_t from = jb->offs[jb->next];
    job_hdr h = {(uint32_t)jb->kind, (uint32_t)(jb->nunits - jb->next),
                 jb->payload_len - from, 0, 0};
    if (jb->fds && jb->next == 0) {
        /* the units' files go with the header, once: a job sent again
         * (its worker died) has its units opened by path */
        h.nfds = (uint32_t)jb->nunits;
        int rc = send_with_fds(w->fd, &h, jb->payload, jb->payload_len,
                               jb->fds, jb->nunits);
        job_drop_fds(s->f, jb);
        if (rc < 0)
            return -1;    /* it died: its EOF is handled in the loop */
        if (rc > 0)
            h.nfds = 0;
    } else if (jb->fds) {
        job_drop_fds(s->f, jb);
    }
    /* a small job leaves in one write (most are: a path, a few lines) */
    char one[4096];
    if (h.nfds) {
        /* sent */
    } else if (h.len <= sizeof one - sizeof h) {
        memcpy(one, &h, sizeof h);
        memcpy(one + sizeof h, jb->payload + from, h.len);
        if (pipe_write_all(w->fd, one, sizeof h + h.len) != 0)
            return -1;    /* it died: its EOF is handled in the loop */
    } else if (pipe_write_all(w->fd, (const char *)&h, sizeof h) != 0 ||
               pipe_write_all(w->fd, jb->payload + from, h.len) != 0) {
        return -1;
    }
    jb->state = J_RUNNING;
    jb->worker = wi;
    if (w->job >= 0) {
        w->queued = (int)(jb - s->jobs);
        return 0;
    }
    w->job = (int)(jb - s->jobs);
    w->unit_start = now_s();
    w->timed_out = 0;
    return 0;
}

static const char *unit_source(job *jb, size_t u)
{
    return jb->payload + jb->offs[u] + 12;
}

/* The input unit u of job jb comes from. */
static int unit_input(const job *jb, size_t u)
{
    return jb->ids ? jb->ids[u] : jb->input;
}

/* Write out the units of jb done but not written yet.  A batch of paths
 * holds units of several inputs: each input's units go out apart, so
 * each is counted against its own input (and its --output file). */
static void emit_held(sup *s, job *jb)
{
    if (!jb->ids) {
        emit_units(&s->em, &s->f->ins, jb->input, jb->next - jb->emitted,
                   jb->out.p, jb->out.len, jb->err.p, jb->err.len);
    } else {
        size_t oo = 0, eo = 0, u = jb->emitted;
        while (u < jb->next) {
            size_t v = u, ol = 0, el = 0;
            while (v < jb->next && jb->ids[v] == jb->ids[u]) {
                ol += jb->held[2 * (v - jb->emitted)];
                el += jb->held[2 * (v - jb->emitted) + 1];
                v++;
            }
            emit_units(&s->em, &s->f->ins, jb->ids[u], v - u, jb->out.p + oo,
                       ol, jb->err.p + eo, el);
            oo += ol;
            eo += el;
            u = v;
        }
    }
    jb->out.len = jb->err.len = 0;
    jb->emitted = jb->next;
}

/* A unit's result arrived (or was made up for a killed worker). */
static void unit_done(sup *s, job *jb, uint32_t flags, uint64_t in_bytes,
                      const char *out, size_t olen, const char *err,
                      size_t elen)
{
    int id = unit_input(jb, jb->next);
    jb->next++;
    jb->last_flags = flags;
    pipe_inputs_result(&s->f->ins, id, (flags & UNIT_FAILED) != 0);
    s->em.pg.done++;
    s->em.pg.bytes += in_bytes;
    if (flags & UNIT_FAILED)
        s->em.pg.failed++;
    int now_ok = s->host->pool.unordered || jb->seq == s->emit_seq;
    if (now_ok && jb->emitted + 1 == jb->next) {
        /* a failure counts once it is reported: not after the reader went
         * away (`| head -1` ends quietly, exit 0) */
        emit_units(&s->em, &s->f->ins, id, 1, out, olen, err, elen);
        jb->emitted = jb->next;
        if ((flags & UNIT_FAILED) && !s->em.stop)
            s->host->failed = 1;
    } else {
        jb->failed |= (flags & UNIT_FAILED) != 0;
        if (jb->ids) {
            size_t k = 2 * (jb->next - 1 - jb->emitted);
            jb->held[k] = olen;
            jb->held[k + 1] = elen;
        }
        if (pipe_buf_add(&jb->out, out, olen) != 0 ||
            pipe_buf_add(&jb->err, err, elen) != 0)
            s->host->failed = 1;
    }
    if (jb->next == jb->nunits)
        jb->state = J_DONE;
}

/* The job's open files, closed (sent, or never to be). */
static void job_drop_fds(feeder *f, job *jb)
{
    if (!jb->fds)
        return;
    for (size_t u = 0; u < jb->nunits; u++)
        feeder_drop_fd(f, jb->fds[u]);
    free(jb->fds);
    jb->fds = NULL;
}

static void job_free(feeder *f, job *jb)
{
    job_drop_fds(f, jb);
    free(jb->payload);
    free(jb->offs);
    free(jb->ids);
    free(jb->held);
    pipe_buf_free(&jb->out);
    pipe_buf_free(&jb->err);
    memset(jb, 0, sizeof *jb);
}

/* Write what the next jobs in order have, free the finished ones (with
 * --unordered every finished job). */
static void advance(sup *s)
{
    if (s->host->pool.unordered) {
        for (size_t k = 0; k < s->nslots; k++)
            if (s->jobs[k].state == J_DONE) {
                job *jb = &s->jobs[k];
                emit_held(s, jb);
                if (jb->failed && !s->em.stop)
                    s->host->failed = 1;
                job_free(s->f, jb);
                s->count--;
            }
        return;
    }
    job *jb;
    while ((jb = job_by_seq(s, s->emit_seq)) != NULL) {
        if (jb->out.len || jb->err.len || jb->next > jb->emitted)
            emit_held(s, jb);
        if (jb->failed && !s->em.stop)
            s->host->failed = 1;
        jb->failed = 0;
        if (jb->state != J_DONE)
            break;
        job_free(s->f, jb);
        s->count--;
        s->emit_seq++;
        /* an input whose last unit just went out: its summary before the
         * next input's first message */
        pipe_inputs_settle(&s->f->ins, 0, say_line, &s->em);
    }
}

static void signame(int sig, char *buf, size_t n)
{
    const char *a = sigabbrev_np(sig);
    if (a != NULL)
        snprintf(buf, n, " (SIG%s)", a);
    else if (n > 0)
        buf[0] = '\0';
}

/* Worker wi's socket reached its end: it exited or was killed. */
static void worker_gone(sup *s, int wi)
{
    worker *w = &s->w[wi];
    int st = 0;
    while (waitpid(w->pid, &st, 0) < 0 && errno == EINTR)
        ;
    close(w->fd);
    w->fd = -1;
    s->nw--;
    pipe_buf_free(&w->rx);
    if (w->queued >= 0) {
        /* never started: it waits for another worker */
        job *q = &s->jobs[w->queued];
        q->state = J_PENDING;
        q->worker = -1;
        w->queued = -1;
    }
    if (w->job < 0)
        return;
    job *jb = &s->jobs[w->job];
    w->job = -1;
    if (jb->next >= jb->nunits)
        return;
    char why[160];
    if (w->timed_out) {
        snprintf(why, sizeof why, "timed out after %g s",
                 s->host->pool.timeout);
    } else if (WIFSIGNALED(st)) {
        char nm[32];
        signame(WTERMSIG(st), nm, sizeof nm);
        snprintf(why, sizeof why, "worker killed by signal %d%s",
                 WTERMSIG(st), nm);
    } else if (WIFEXITED(st) && WEXITSTATUS(st) == 0 &&
               (jb->last_flags & UNIT_RECYCLE) && jb->next > 0) {
        why[0] = '\0';    /* it left after a unit, as asked: not a failure */
    } else {
        snprintf(why, sizeof why, "worker exited with status %d",
                 WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    }
    if (why[0]) {
        char *m = NULL;
        size_t mn = 0;
        FILE *f = open_memstream(&m, &mn);
        if (f) {
            fprintf(f, "pipe: %s: %s\n", unit_source(jb, jb->next), why);
            fclose(f);
        }
        unit_done(s, jb, UNIT_FAILED, 0, NULL, 0, m, m ? mn : 0);
        free(m);
    }
    jb->last_flags = 0;
    if (jb->next < jb->nunits)
        jb->state = J_PENDING;    /* the rest goes to another worker */
}

/* Read what worker wi sent; handle every whole frame. */
static void worker_input(sup *s, int wi)
{
    worker *w = &s->w[wi];
    char buf[65536];
    for (;;) {
        ssize_t r = recv(w->fd, buf, sizeof buf, MSG_DONTWAIT);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (r <= 0) {
            worker_gone(s, wi);
            return;
        }
        if (pipe_buf_add(&w->rx, buf, (size_t)r) != 0) {
            kill(w->pid, SIGKILL);
            break;
        }
        if ((size_t)r < sizeof buf)
            break;
    }
    size_t off = 0;
    while (w->rx.len - off >= sizeof(res_hdr)) {
        res_hdr h;
        memcpy(&h, w->rx.p + off, sizeof h);
        size_t need = sizeof h + h.out_len + h.err_len;
        if (w->rx.len - off < need)
            break;
        const char *out = w->rx.p + off + sizeof h;
        if ((h.flags & UNIT_RECYCLE) && w->queued >= 0) {
            /* it leaves after this unit: what was queued behind never
             * runs there */
            job *q = &s->jobs[w->queued];
            q->state = J_PENDING;
            q->worker = -1;
            w->queued = -1;
        }
        if (w->job >= 0) {
            double t = now_s();
            double d = t - w->unit_start;
            s->unit_time = s->unit_time == 0 ? d : 0.9 * s->unit_time + 0.1 * d;
            double b = (double)(sizeof h + h.out_len + h.err_len);
            s->unit_bytes = s->unit_bytes == 0 ? b : 0.9 * s->unit_bytes + 0.1 * b;
            w->unit_start = t;
            job *jb = &s->jobs[w->job];
            unit_done(s, jb, h.flags, h.in_bytes, out, h.out_len,
                      out + h.out_len, h.err_len);
            if (jb->state == J_DONE) {
                /* the queued job is the one the worker runs now */
                w->job = w->queued;
                w->queued = -1;
            }
        }
        if (h.flags & UNIT_RECYCLE)
            w->leaving = 1;
        off += need;
    }
    if (off) {
        memmove(w->rx.p, w->rx.p + off, w->rx.len - off);
        w->rx.len -= off;
    }
}

/* A finished job that only reports an input that cannot be read. */
static void fail_job(sup *s, char *src, char *fail, int id)
{
    job *jb = new_job(s);
    jb->input = id;
    jb->nunits = jb->next = 1;    /* one unit: the report */
    pipe_inputs_result(&s->f->ins, id, 1);
    char *m = NULL;
    size_t mn = 0;
    FILE *f = open_memstream(&m, &mn);
    if (f) {
        fprintf(f, "pipe: %s: %s\n", src, fail);
        fclose(f);
    }
    jb->state = J_DONE;
    pipe_buf_add(&jb->err, m, m ? mn : 0);
    free(m);
    free(src);
    free(fail);
    jb->failed = 1;
    s->em.pg.failed++;
}

/* Make a job from the feeder; returns 0 when none could be made now. */
static int make_job(sup *s, int block)
{
    if (s->count == s->nslots)
        return 0;
    if (s->held_src) {
        fail_job(s, s->held_src, s->held_fail, s->held_id);
        s->held_src = s->held_fail = NULL;
        return 1;
    }
    pipe_buf pl = {0};
    size_t nunits = 0, cap_units = 1;
    size_t *offs = NULL, offcap = 0;
    int *ids = NULL, *fds = NULL;
    int oom = 0, jkind = 0, jid = -1, mixed = 0, all_fds = 1;
    while (nunits < cap_units && pl.len < ((size_t)1 << 20)) {
        char *src, *data, *fail;
        size_t len;
        int kind, id, fd;
        int rc = feeder_next(s->f, &src, &data, &len, &fail, &kind, &id, &fd,
                             block && nunits == 0);
        if (rc != FEED_GOT)
            break;
        if (fail) {
            /* reported in order: now, or right after this batch */
            if (nunits == 0) {
                fail_job(s, src, fail, id);
                return 1;
            }
            s->held_src = src;
            s->held_fail = fail;
            s->held_id = id;
            break;
        }
        if (nunits == 0) {
            /* one kind per job, and one input, except that paths (each
             * its own input) are batched when no input has its own
             * --output file */
            jkind = kind;
            jid = id;
            cap_units = s->batch_units;
        } else if (kind != jkind ||
                   (id != jid && (kind != JOB_PATHS || s->host->outdir))) {
            feeder_unget(s->f, src, data, len, NULL, kind, id, fd);
            break;
        }
        if (nunits + 1 >= offcap) {
            offcap = offcap ? offcap * 2 : 16;
            size_t *no = realloc(offs, offcap * sizeof *no);
            int *ni = no ? realloc(ids, offcap * sizeof *ni) : NULL;
            int *nf = ni ? realloc(fds, offcap * sizeof *nf) : NULL;
            if (no)
                offs = no;
            if (ni)
                ids = ni;
            if (nf)
                fds = nf;
            else
                oom = 1;
        }
        uint32_t sl = (uint32_t)strlen(src);
        uint64_t dl = len;
        if (!oom) {
            ids[nunits] = id;
            mixed |= id != jid;
            offs[nunits] = pl.len;
            oom = pipe_buf_add(&pl, &sl, sizeof sl) || pipe_buf_add(&pl, &dl, sizeof dl) ||
                  pipe_buf_add(&pl, src, (size_t)sl + 1) ||
                  pipe_buf_add(&pl, data ? data : "", (size_t)dl + 1);
        }
        free(src);
        free(data);
        if (oom) {
            /* the host is out of memory: what was read is lost, say so */
            pipe_host_usage(s->host, "out of memory reading the inputs");
            s->host->failed = 1;
            s->em.stop = 1;
            for (size_t u = 0; u < nunits && fds; u++)
                feeder_drop_fd(s->f, fds[u]);
            feeder_drop_fd(s->f, fd);
            free(offs);
            free(ids);
            free(fds);
            pipe_buf_free(&pl);
            return 0;
        }
        /* a job's units all come with their files, or none does */
        fds[nunits] = fd;
        all_fds &= fd >= 0 && nunits < JOB_FDS;
        nunits++;
    }
    size_t *held = NULL;
    if (mixed && (held = calloc(2 * nunits, sizeof *held)) == NULL) {
        pipe_host_usage(s->host, "out of memory reading the inputs");
        s->host->failed = 1;
        s->em.stop = 1;
        all_fds = 0;
    }
    if (fds && !all_fds) {
        for (size_t u = 0; u < nunits; u++)
            feeder_drop_fd(s->f, fds[u]);
        free(fds);
        fds = NULL;
    }
    if (mixed && !held)
        nunits = 0;
    if (nunits == 0) {
        free(offs);
        free(ids);
        free(fds);
        pipe_buf_free(&pl);
        return 0;
    }
    if (!mixed) {
        free(ids);
        ids = NULL;
    }
    offs[nunits] = pl.len;
    job *jb = new_job(s);
    jb->state = J_PENDING;
    jb->kind = jkind;
    jb->input = jid;
    jb->ids = ids;
    jb->held = held;
    jb->payload = pl.p;
    jb->payload_len = pl.len;
    jb->nunits = nunits;
    jb->offs = offs;
    jb->fds = fds;
    return 1;
}

static int idle_worker(sup *s)
{
    for (int i = 0; i < s->maxw; i++)
        if (s->w[i].fd >= 0 && s->w[i].job < 0 && !s->w[i].leaving)
            return i;
    return -1;
}

/* A busy worker that can take a small job behind its current one: the
 * write must fit the socket's buffer (a worker busy writing its results
 * and a supervisor blocked writing a job would wait for each other). */
#define QUEUE_MAX_BYTES ((size_t)32 << 10)
static int queue_worker(sup *s, const job *jb)
{
    if (jb->payload_len - jb->offs[jb->next] > QUEUE_MAX_BYTES)
        return -1;
    for (int i = 0; i < s->maxw; i++)
        if (s->w[i].fd >= 0 && s->w[i].job >= 0 && s->w[i].queued < 0 &&
            !s->w[i].leaving && !s->w[i].timed_out)
            return i;
    return -1;
}

/* Give pending jobs, earliest first, to idle (or new) workers. */
static void dispatch_pending(sup *s)
{
    for (;;) {
        job *best = NULL;
        for (size_t k = 0; k < s->nslots; k++)
            if (s->jobs[k].state == J_PENDING &&
                (!best || s->jobs[k].seq < best->seq))
                best = &s->jobs[k];
        if (!best)
            return;
        int wi = idle_worker(s);
        if (wi < 0 && s->nw < s->maxw)
            wi = spawn(s);
        if (wi < 0)
            wi = queue_worker(s, best);
        if (wi < 0)
            return;
        if (dispatch(s, best, wi) != 0) {
            /* it died before taking the job: its end is handled by the
             * loop; the job waits for another worker */
            s->w[wi].leaving = 1;
            kill(s->w[wi].pid, SIGKILL);
        }
    }
}

static void adapt_batch(sup *s)
{
    if (s->p->mode != JOB_LINES && !s->f->ins.saw_archive && s->host->outdir)
        return;
    if (s->unit_time <= 0)
        return;
    /* about 20 ms of work per batch: IPC is a small share, the work
     * still spreads over every worker */
    double want = 0.02 / s->unit_time;
    s->batch_units = want < 1 ? 1 : want > 4096 ? 4096 : (size_t)want;
}

/*
 * How long to wait before looking at the workers again.  Short units
 * (a small page is a millisecond) would wake the supervisor once per
 * result, a context switch and a few system calls each; while every worker
 * has work in hand for longer than the nap, their results are taken a few
 * at a time instead.  The nap stays short (a timeout or a closed reader
 * is seen at most NAP_MAX late) and its results fit well within a
 * socket's buffer, so no worker waits on a full one.
 */
#define NAP_MAX 0.008
#define NAP_BYTES (64.0 * 1024)
static double nap_time(sup *s)
{
    if (s->unit_time <= 0 || s->unit_time * 2 > NAP_MAX)
        return 0;
    double nap = NAP_MAX;
    if (s->unit_bytes > 0 && nap / s->unit_time * s->unit_bytes > NAP_BYTES)
        nap = NAP_BYTES / s->unit_bytes * s->unit_time;
    int busy = 0;
    for (int i = 0; i < s->maxw; i++) {
        worker *w = &s->w[i];
        if (w->fd < 0)
            continue;
        if (w->job < 0 || w->timed_out || w->leaving)
            return 0;
        const job *jb = &s->jobs[w->job];
        double left = (double)(jb->nunits - jb->next) * s->unit_time;
        if (w->queued >= 0)
            left += (double)(s->jobs[w->queued].nunits -
                             s->jobs[w->queued].next) * s->unit_time;
        if (left < nap * 2)
            return 0;    /* it could run dry while we nap */
        busy++;
    }
    return busy ? nap : 0;
}

static int run_pool(pool *p, feeder *f)
{
    pipe_host *host = p->host;
    sup s;
    memset(&s, 0, sizeof s);
    s.p = p;
    s.host = host;
    s.f = f;
    s.em.host = host;
    s.em.out_pipe = stdout_is_pipe();
    s.maxw = host->pool.jobs;
    s.w = calloc((size_t)s.maxw, sizeof *s.w);
    s.nslots = (size_t)(s.maxw * 4 < 16 ? 16 : s.maxw * 4);
    s.jobs = calloc(s.nslots, sizeof *s.jobs);
    s.pf = calloc((size_t)s.maxw + 2, sizeof *s.pf);
    s.who = calloc((size_t)s.maxw + 2, sizeof *s.who);
    s.batch_units = 1;
    if (!s.w || !s.jobs || !s.pf || !s.who) {
        free(s.w);
        free(s.jobs);
        free(s.pf);
        free(s.who);
        return pipe_host_usage(host, "out of memory");
    }
    for (int i = 0; i < s.maxw; i++)
        s.w[i].fd = -1;
    progress *pg = &s.em.pg;
    pg->on = host->pool.progress > 0 ||
             (host->pool.progress < 0 && isatty(2) &&
              (f->n > 1 || f->from || p->mode == JOB_LINES));
    pg->start = pg->last = now_s();
    if (!f->from && p->mode == JOB_PATHS)
        pg->total = (unsigned long long)(f->n ? f->n : 1);

    for (;;) {
        while (!s.em.stop && make_job(&s, s.count == 0))
            ;
        if (!s.em.stop)
            dispatch_pending(&s);
        size_t held = s.count;
        advance(&s);
        pipe_inputs_settle(&f->ins, host->pool.unordered, say_line, &s.em);
        /* slots freed while every one was taken: make the next jobs now,
         * or the poll below could wait with no worker busy */
        if (s.count < held && held == s.nslots && !f->exhausted &&
            !s.em.stop && !host->closed)
            continue;
        if (f->ins.saw_archive)
            pg->total = 0;    /* pages, not inputs, are counted */
        if (host->closed || s.em.stop)
            break;
        if (s.count == 0 && f->exhausted && !s.held_src)
            break;
        struct pollfd *pf = s.pf;
        int *who = s.who;
        int np = 0;
        double t = now_s(), wake = pg->on ? 0.25 : 3600;
        for (int i = 0; i < s.maxw; i++) {
            worker *w = &s.w[i];
            if (w->fd < 0)
                continue;
            pf[np].fd = w->fd;
            pf[np].events = POLLIN;
            who[np++] = i;
            if (w->job >= 0 && host->pool.timeout > 0 && !w->timed_out) {
                double left = w->unit_start + host->pool.timeout - t;
                if (left < wake)
                    wake = left < 0 ? 0 : left;
            }
        }
        if (s.em.out_pipe) {
            /* no events asked: poll still says when the reader is gone */
            pf[np].fd = 1;
            pf[np].events = 0;
            who[np++] = -2;
        }
        int ffd = feeder_fd(f);
        if (!f->exhausted && s.count < s.nslots && ffd >= 0) {
            pf[np].fd = ffd;
            pf[np].events = POLLIN;
            who[np++] = -1;
        }
        double nap = nap_time(&s);
        if (nap > 0 && nap < wake) {
            struct timespec ts = {0, (long)(nap * 1e9)};
            nanosleep(&ts, NULL);
        }
        int rc = poll(pf, (nfds_t)np, (int)(wake * 1000) + 1);
        if (rc > 0)
            for (int k = 0; k < np; k++) {
                if (who[k] >= 0 && (pf[k].revents & (POLLIN | POLLHUP | POLLERR)))
                    worker_input(&s, who[k]);
                if (who[k] == -2 && pf[k].revents)
                    out_closed(&s.em);
            }
        if (s.em.stop)
            break;
        adapt_batch(&s);
        t = now_s();
        for (int i = 0; i < s.maxw; i++) {
            worker *w = &s.w[i];
            if (w->fd >= 0 && w->job >= 0 && host->pool.timeout > 0 &&
                !w->timed_out && t - w->unit_start >= host->pool.timeout) {
                w->timed_out = 1;
                kill(w->pid, SIGKILL);
            }
        }
        progress_show(pg, 0);
    }
    /* done, or the reader went away: stop the workers */
    int stopping = host->closed || s.em.stop;
    for (int i = 0; i < s.maxw; i++) {
        worker *w = &s.w[i];
        if (w->fd < 0)
            continue;
        if (stopping)
            kill(w->pid, SIGKILL);
        close(w->fd);
        w->fd = -1;
        while (waitpid(w->pid, NULL, 0) < 0 && errno == EINTR)
            ;
        pipe_buf_free(&w->rx);
    }
    for (size_t k = 0; k < s.nslots; k++)
        job_free(f, &s.jobs[k]);
    free(s.held_src);
    free(s.held_fail);
    if (pg->on) {
        progress_show(pg, 1);
        pipe_write_all(2, "\n", 1);
        pg->shown = 0;
    }
    if (!stopping) {
        pipe_inputs_settle(&f->ins, host->pool.unordered, say_line, &s.em);
        pipe_inputs_summary(&f->ins, say_line, &s.em);
    }
    free(s.w);
    free(s.jobs);
    free(s.pf);
    free(s.who);
    return 0;
}

int pipe_pool_run(pipe_host *host, char **paths, int n, const char *from,
                  int lines, pipe_input_fn fn, void *ud)
{
    pool p = {host, fn, ud, lines ? JOB_LINES : JOB_PATHS, {0}, {0}};
    feeder f;
    memset(&f, 0, sizeof f);
    f.host = host;
    f.mode = p.mode;
    f.paths = paths;
    f.n = n;
    f.from = from;
    f.fds_max = feeder_fds_max();
    pipe_inputs_init(&f.ins, host);
    fflush(host->out);
    if (host->pool.jobs <= 0)
        run_inline(&p, &f, 0);
    else if (!run_single(&p, &f))
        run_pool(&p, &f);
    capture_close(&p.out);
    capture_close(&p.err);
    feeder_close(&f);
    pipe_inputs_close(&f.ins);
    if (f.usage_error)
        return PIPE_EXIT_USAGE;
    return host->failed ? PIPE_EXIT_INPUT : PIPE_EXIT_OK;
}
