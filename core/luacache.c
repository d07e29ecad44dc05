/*
 * The compiled-script cache: pipe's own loaders (the entry script,
 * `require`, site rules) keep each Lua file they compile as Lua bytecode
 * in a per-user directory, so the next process loads it instead of
 * compiling it again.  Compiling the scripts a site rule needs is about a
 * third of a one-page run.
 *
 * Where: $PIPE_CACHE_DIR, else $XDG_CACHE_HOME/pipe, else
 * $HOME/.cache/pipe; in it, lua54/<hash>.luac.  PIPE_CACHE_DIR=off (or an
 * empty value) turns the cache off.  The directory is made with mode 0700
 * and used only when it belongs to this user and no one else may write in
 * it (bytecode is not checked by Lua when it is loaded, so only pipe may
 * have written it).
 *
 * An entry holds a header, the whole source text and the chunk name it was
 * compiled from, and the bytecode (lua_dump, debug information kept: error
 * messages and tracebacks name the same lines).  It is used only when the
 * source text and the chunk name are byte-for-byte those being loaded; the
 * file name is a hash of the script's absolute path, so each script has
 * one entry: when it is edited, the next run compiles it and its new entry
 * replaces the old one (the directory never grows past one entry per
 * script file; two checkouts of one script at different paths have one
 * each).  Entries are written under a temporary name and renamed, so
 * concurrent runs never see half an entry.  Any failure (no directory, a
 * short or foreign entry, a write error, a full disk) falls back to
 * compiling, silently.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>

#include "core.h"

#define MAGIC "pipe-luac 2 " LUA_RELEASE "\n"
#define MAGIC_LEN (sizeof MAGIC - 1)

/* header: MAGIC, then the source length, the chunk name length and a hash
 * of the bytecode (8 bytes each, little-endian), then the source, the
 * chunk name, the bytecode */
#define HEAD_LEN (MAGIC_LEN + 24)

static char *cache_dir;   /* NULL: not settled yet */
static int cache_off;     /* settled: no cache */

static int make_dir(const char *path)
{
    if (mkdir(path, 0700) == 0 || errno == EEXIST)
        return 0;
    return -1;
}

/* mkdir -p (new directories get mode 0700) */
static int make_dirs(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int rc = make_dir(path);
        *p = '/';
        if (rc != 0)
            return -1;
    }
    return make_dir(path);
}

static int private_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode) &&
           st.st_uid == geteuid() && (st.st_mode & 022) == 0;
}

static const char *settle_dir(void)
{
    if (cache_dir != NULL || cache_off)
        return cache_dir;
    const char *base = getenv("PIPE_CACHE_DIR");
    const char *suffix = "/lua54";
    if (base != NULL) {
        if (*base == '\0' || strcmp(base, "off") == 0) {
            cache_off = 1;
            return NULL;
        }
    } else if ((base = getenv("XDG_CACHE_HOME")) != NULL && *base == '/') {
        suffix = "/pipe/lua54";
    } else if ((base = getenv("HOME")) != NULL && *base == '/') {
        suffix = "/.cache/pipe/lua54";
    } else {
        cache_off = 1;
        return NULL;
    }
    size_t n = strlen(base) + strlen(suffix) + 1;
    char *dir = malloc(n);
    if (dir == NULL) {
        cache_off = 1;
        return NULL;
    }
    snprintf(dir, n, "%s%s", base, suffix);
    if (make_dirs(dir) != 0 || !private_dir(dir)) {
        free(dir);
        cache_off = 1;
        return NULL;
    }
    cache_dir = dir;
    return cache_dir;
}

/* FNV-1a, 64 bits */
static uint64_t fnv(uint64_t h, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

/* A hash of the bytecode, eight bytes a step: Lua does not check a binary
 * chunk, so a damaged entry (a bad disk, a copy cut short and padded) must
 * not reach lua_load. */
static uint64_t body_hash(const char *s, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdULL;
        h ^= h >> 29;
    }
    for (; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h ^ (h >> 31);
}

/* The entry's file name: a hash of the script's absolute path (the chunk
 * name "@PATH" resolved), else of the chunk name.  One entry per script:
 * an edited script's new entry replaces the old one, so the directory
 * holds at most one entry per script file ever loaded. */
static char *entry_path(const char *dir, const char *chunkname)
{
    char *real = chunkname[0] == '@' ? realpath(chunkname + 1, NULL) : NULL;
    const char *key = real ? real : chunkname;
    uint64_t h = fnv(14695981039346656037ULL, key, strlen(key) + 1);
    free(real);
    size_t len = strlen(dir) + 32;
    char *p = malloc(len);
    if (p != NULL)
        snprintf(p, len, "%s/%016llx.luac", dir, (unsigned long long)h);
    return p;
}

static void put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

int pipe_luac_load(lua_State *L, const char *src, size_t n,
                   const char *chunkname)
{
    const char *dir = settle_dir();
    if (dir == NULL)
        return -1;
    char *path = entry_path(dir, chunkname);
    if (path == NULL)
        return -1;
    char *data = NULL, *err = NULL;
    size_t len = 0;
    int rc = pipe_read_file(path, (size_t)256 << 20, &data, &len, &err);
    free(path);
    free(err);
    if (rc != 0)
        return -1;
    size_t cn = strlen(chunkname);
    const unsigned char *u = (const unsigned char *)data;
    int ok = len >= HEAD_LEN && memcmp(data, MAGIC, MAGIC_LEN) == 0 &&
             get64(u + MAGIC_LEN) == n && get64(u + MAGIC_LEN + 8) == cn &&
             len - HEAD_LEN > n + cn &&
             memcmp(data + HEAD_LEN, src, n) == 0 &&
             memcmp(data + HEAD_LEN + n, chunkname, cn) == 0;
    size_t off = HEAD_LEN + n + cn;
    if (ok && body_hash(data + off, len - off) == get64(u + MAGIC_LEN + 16)) {
        if (luaL_loadbufferx(L, data + off, len - off, chunkname, "b") ==
            LUA_OK) {
            free(data);
            return LUA_OK;
        }
        lua_pop(L, 1); /* a foreign or damaged entry: compile instead */
    }
    free(data);
    return -1;
}

typedef struct dump_buf {
    char *p;
    size_t len, cap;
    int failed;
} dump_buf;

static int dump_writer(lua_State *L, const void *p, size_t sz, void *ud)
{
    (void)L;
    dump_buf *b = ud;
    if (b->failed)
        return 1;
    if (b->len + sz > b->cap) {
        size_t cap = b->cap ? b->cap : 16384;
        while (cap < b->len + sz)
            cap *= 2;
        char *q = realloc(b->p, cap);
        if (q == NULL) {
            b->failed = 1;
            return 1;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, sz);
    b->len += sz;
    return 0;
}

void pipe_luac_store(lua_State *L, const char *src, size_t n,
                     const char *chunkname)
{
    const char *dir = settle_dir();
    if (dir == NULL || !lua_isfunction(L, -1))
        return;
    dump_buf b = {NULL, 0, 0, 0};
    if (lua_dump(L, dump_writer, &b, 0) != 0 || b.failed) {
        free(b.p);
        return;
    }
    char *path = entry_path(dir, chunkname);
    size_t tl = path ? strlen(path) + 8 : 0;
    char *tmp = path ? malloc(tl) : NULL;
    if (tmp == NULL) {
        free(path);
        free(b.p);
        return;
    }
    snprintf(tmp, tl, "%s.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd >= 0) {
        unsigned char head[HEAD_LEN];
        size_t cn = strlen(chunkname);
        memcpy(head, MAGIC, MAGIC_LEN);
        put64(head + MAGIC_LEN, n);
        put64(head + MAGIC_LEN + 8, cn);
        put64(head + MAGIC_LEN + 16, body_hash(b.p, b.len));
        int bad = pipe_write_all(fd, head, sizeof head) != 0 ||
                  pipe_write_all(fd, src, n) != 0 ||
                  pipe_write_all(fd, chunkname, cn) != 0 ||
                  pipe_write_all(fd, b.p, b.len) != 0;
        if (close(fd) != 0)
            bad = 1;
        if (bad || rename(tmp, path) != 0)
            unlink(tmp);
    }
    free(tmp);
    free(path);
    free(b.p);
}
