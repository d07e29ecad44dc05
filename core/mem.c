/*
 * The memory budget of one process (`--max-memory`): Lua's allocator,
 * libxml2's (through xmlMemSetup, installed by the html plugin), jansson's
 * and the host's input buffers all charge one counter, so a 200 MB page
 * fails cleanly at the limit instead of taking gigabytes.  Every worker is
 * its own process, so "per process" is "per worker".
 *
 * Caveats: this is the one piece of mutable C state that is global on
 * purpose: the limit is a property of the process, and libxml2's and
 * jansson's allocator hooks are process-wide anyway.  pipe runs no threads.
 * Sizes are malloc_usable_size() for the hooks that do not pass a size to
 * free (libxml2, jansson); Lua passes exact sizes and charges them through
 * pipe_mem_charge().  What other libraries allocate (PCRE2, iconv) is not
 * counted; the worker's RLIMIT_DATA (pool.c) is the backstop for those.
 */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

static size_t mem_used, mem_limit;
static int mem_refused;

void pipe_mem_set_limit(size_t limit)
{
    mem_limit = limit;
}

size_t pipe_mem_limit(void)
{
    return mem_limit;
}

size_t pipe_mem_used(void)
{
    return mem_used;
}

int pipe_mem_refused(void)
{
    return mem_refused;
}

void pipe_mem_note_refused(void)
{
    mem_refused = 1;
}

void pipe_mem_clear_refused(void)
{
    mem_refused = 0;
}

int pipe_mem_charge(size_t more)
{
    if (mem_limit && (more > mem_limit || mem_used > mem_limit - more)) {
        mem_refused = 1;
        return -1;
    }
    mem_used += more;
    return 0;
}

void pipe_mem_release(size_t less)
{
    mem_used = less > mem_used ? 0 : mem_used - less;
}

/* The hooks are on libxml2's hot path (every node, every string):
 * one comparison before, one addition after. */
static int over(size_t more)
{
    if (mem_limit && (more > mem_limit || mem_used > mem_limit - more)) {
        mem_refused = 1;
        return 1;
    }
    return 0;
}

void *pipe_mem_malloc(size_t n)
{
    if (over(n))
        return NULL;
    void *p = malloc(n);
    if (!p) {
        mem_refused = 1;
        return NULL;
    }
    mem_used += malloc_usable_size(p);
    return p;
}

void pipe_mem_free(void *p)
{
    if (!p)
        return;
    pipe_mem_release(malloc_usable_size(p));
    free(p);
}

void *pipe_mem_realloc(void *p, size_t n)
{
    if (!p)
        return pipe_mem_malloc(n);
    size_t old = malloc_usable_size(p);
    if (n > old && over(n - old))
        return NULL;
    void *np = realloc(p, n);
    if (!np) {
        mem_refused = 1;
        return NULL;
    }
    pipe_mem_release(old);
    mem_used += malloc_usable_size(np);
    return np;
}

char *pipe_mem_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = pipe_mem_malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

void pipe_mem_format(size_t n, char *buf, size_t size)
{
    static const char *const units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    double v = (double)n;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    if (u == 0 || v == (double)(unsigned long long)v)
        snprintf(buf, size, "%llu %s", (unsigned long long)v, units[u]);
    else
        snprintf(buf, size, "%.1f %s", v, units[u]);
}
