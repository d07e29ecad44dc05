/*
 * --output DIR tests: output names, the temporary-then-rename protocol,
 * skip-existing and --force, a name used twice, stale temporaries.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <zlib.h>

#include "outdir.h"
#include "suites.h"

static const struct {
    const char *input;
    int gzip;
    const char *want;
} names[] = {
    {"crawl/CC-MAIN-1.warc.gz", 1, "CC-MAIN-1.warc.ndjson.gz"},
    {"page.html", 1, "page.ndjson.gz"},
    {"a/b/noext", 1, "noext.ndjson.gz"},
    {".hidden", 1, ".hidden.ndjson.gz"},
    {"x.tar.gz", 0, "x.tar.ndjson"},
    {"-", 1, "stdin.ndjson.gz"},
    {"dir/", 0, "stdin.ndjson"},
};

START_TEST(name_table)
{
    char buf[256];
    pipe_outdir_name(names[_i].input, names[_i].gzip, buf, sizeof buf);
    ck_assert_str_eq(buf, names[_i].want);
}
END_TEST

static char *tmpdir(void)
{
    char *d = strdup("/tmp/pipe-outdir-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(d));
    return d;
}

static void rm_rf(const char *d)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
    ck_assert_int_eq(system(cmd), 0);
}

static int exists(const char *dir, const char *name)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    struct stat st;
    return stat(p, &st) == 0;
}

/* Files in dir whose name starts with `prefix`. */
static int count_prefix(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    closedir(d);
    return n;
}

START_TEST(write_commit)
{
    char *d = tmpdir();
    char sub[256];
    snprintf(sub, sizeof sub, "%s/new/out", d);
    pipe_outdir od;
    char *err = NULL;
    ck_assert_int_eq(pipe_outdir_init(&od, sub, 1, 0, &err), 0);
    pipe_outfile of;
    ck_assert_int_eq(pipe_outdir_begin(&od, "in/a.warc.gz", &of, &err), 1);
    ck_assert_int_eq(pipe_outfile_write(&of, "{\"a\":1}\n", 8, &err), 0);
    ck_assert_int_eq(
        pipe_outfile_write(&of, "{\"b\":2}\n{\"c\":3}\n", 16, &err), 0);
    /* while it is written: only the hidden temporary */
    ck_assert(!exists(sub, "a.warc.ndjson.gz"));
    ck_assert_int_eq(count_prefix(sub, ".a.warc.ndjson.gz.tmp-"), 1);
    ck_assert_int_eq(of.records, 3);
    ck_assert_int_eq(pipe_outfile_commit(&of, &err), 0);
    ck_assert(exists(sub, "a.warc.ndjson.gz"));
    ck_assert_int_eq(count_prefix(sub, ".a.warc"), 0);
    char p[600], buf[64];
    snprintf(p, sizeof p, "%s/a.warc.ndjson.gz", sub);
    gzFile g = gzopen(p, "rb");
    ck_assert_ptr_nonnull(g);
    int n = gzread(g, buf, sizeof buf - 1);
    gzclose(g);
    ck_assert_int_eq(n, 24);
    buf[n] = '\0';
    ck_assert_str_eq(buf, "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n");

    /* the same name again in this run: refused */
    ck_assert_int_eq(pipe_outdir_begin(&od, "other/a.warc.gz", &of, &err), -1);
    ck_assert_msg(strstr(err, "a.warc.ndjson.gz is already written by another "
                              "input of this run") != NULL,
                  "%s", err);
    free(err);
    err = NULL;
    pipe_outdir_free(&od);

    /* a rerun skips it; --force redoes it; --no-gzip is another name */
    ck_assert_int_eq(pipe_outdir_init(&od, sub, 1, 0, &err), 0);
    ck_assert_int_eq(pipe_outdir_begin(&od, "in/a.warc.gz", &of, &err), 0);
    pipe_outdir_free(&od);
    ck_assert_int_eq(pipe_outdir_init(&od, sub, 1, 1, &err), 0);
    ck_assert_int_eq(pipe_outdir_begin(&od, "in/a.warc.gz", &of, &err), 1);
    pipe_outfile_abort(&of);
    /* aborted: the old file stays, no temporary left */
    ck_assert(exists(sub, "a.warc.ndjson.gz"));
    ck_assert_int_eq(count_prefix(sub, ".a.warc"), 0);
    pipe_outdir_free(&od);
    ck_assert_int_eq(pipe_outdir_init(&od, sub, 0, 0, &err), 0);
    ck_assert_int_eq(pipe_outdir_begin(&od, "in/a.warc.gz", &of, &err), 1);
    ck_assert_int_eq(pipe_outfile_write(&of, "x\n", 2, &err), 0);
    ck_assert_int_eq(pipe_outfile_commit(&of, &err), 0);
    snprintf(p, sizeof p, "%s/a.warc.ndjson", sub);
    FILE *f = fopen(p, "rb");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fread(buf, 1, sizeof buf, f), 2);
    fclose(f);
    pipe_outdir_free(&od);
    rm_rf(d);
    free(d);
}
END_TEST

START_TEST(stale_temporaries)
{
    char *d = tmpdir();
    /* a PID that surely ended: a child we waited for */
    pid_t dead = fork();
    if (dead == 0)
        _exit(0);
    waitpid(dead, NULL, 0);
    char p[512];
    snprintf(p, sizeof p, "%s/.x.ndjson.gz.tmp-%ld", d, (long)dead);
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    snprintf(p, sizeof p, "%s/.x.ndjson.gz.tmp-%ld", d, (long)getppid());
    f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    pipe_outdir od;
    pipe_outfile of;
    char *err = NULL;
    ck_assert_int_eq(pipe_outdir_init(&od, d, 1, 0, &err), 0);
    ck_assert_int_eq(pipe_outdir_begin(&od, "x.html", &of, &err), 1);
    /* the dead run's file is gone; the live one's and ours remain */
    char name[64];
    snprintf(name, sizeof name, ".x.ndjson.gz.tmp-%ld", (long)dead);
    ck_assert(!exists(d, name));
    snprintf(name, sizeof name, ".x.ndjson.gz.tmp-%ld", (long)getppid());
    ck_assert(exists(d, name));
    ck_assert_int_eq(count_prefix(d, ".x.ndjson.gz.tmp-"), 2);
    pipe_outfile_abort(&of);
    pipe_outdir_free(&od);
    rm_rf(d);
    free(d);
}
END_TEST

START_TEST(bad_dir)
{
    pipe_outdir od;
    char *err = NULL;
    ck_assert_int_eq(pipe_outdir_init(&od, "/dev/null", 1, 0, &err), -1);
    ck_assert_str_eq(err, "--output /dev/null: not a directory");
    free(err);
    err = NULL;
    ck_assert_int_eq(pipe_outdir_init(&od, "/proc/nope/x", 1, 0, &err), -1);
    ck_assert_msg(strncmp(err, "cannot create /proc/nope: ", 26) == 0, "%s",
                  err);
    free(err);
}
END_TEST

Suite *outdir_suite(void)
{
    Suite *s = suite_create("outdir");
    TCase *tc = tcase_create("outdir");
    tcase_set_timeout(tc, 20);
    tcase_add_loop_test(tc, name_table, 0, sizeof names / sizeof names[0]);
    tcase_add_test(tc, write_commit);
    tcase_add_test(tc, stale_temporaries);
    tcase_add_test(tc, bad_dir);
    suite_add_tcase(s, tc);
    return s;
}
