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
 * file name is a hash of the script's absolute path (made lexically, links
 * not followed), so each script has
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
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
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

/* The current directory, once per process (pipe never changes it) */
static const char *cwd_once(void)
{
    static char cwd[PATH_MAX];
    static int state; /* 0 not tried, 1 known, -1 unknown */
    if (state == 0)
        state = getcwd(cwd, sizeof cwd) ? 1 : -1;
    return state == 1 ? cwd : NULL;
}

/* The absolute form of path, made lexically: "." and empty components
 * dropped, ".." taking the previous one off.  Symbolic links are not
 * followed (realpath cost a readlink per component of every script loaded,
 * ~0.2 ms of a one-page run): a script reached through two spellings has
 * two entries, which the content check keeps correct. */
static char *absolute(const char *path)
{
    const char *cwd = path[0] == '/' ? "" : cwd_once();
    if (cwd == NULL)
        return NULL;
    size_t n = strlen(cwd) + strlen(path) + 2;
    char *out = malloc(n);
    if (out == NULL)
        return NULL;
    size_t len = 0;
    for (int part = 0; part < 2; part++) {
        const char *p = part == 0 ? cwd : path;
        while (*p) {
            while (*p == '/')
                p++;
            const char *e = strchr(p, '/');
            size_t cl = e ? (size_t)(e - p) : strlen(p);
            if (cl == 0 || (cl == 1 && p[0] == '.')) {
                /* nothing */
            } else if (cl == 2 && p[0] == '.' && p[1] == '.') {
                while (len > 0 && out[len - 1] != '/')
                    len--;
                if (len > 0)
                    len--;
            } else {
                out[len++] = '/';
                memcpy(out + len, p, cl);
                len += cl;
            }
            p += cl;
        }
    }
    if (len == 0)
        out[len++] = '/';
    out[len] = '\0';
    return out;
}

/* The entry's file name: a hash of the script's absolute path (the chunk
 * name "@PATH" made absolute), else of the chunk name.  One entry per
 * script: an edited script's new entry replaces the old one, so the
 * directory holds at most one entry per script file ever loaded. */
static char *entry_path(const char *dir, const char *chunkname)
{
    char *real = chunkname[0] == '@' ? absolute(chunkname + 1) : NULL;
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

/* Write an entry under a temporary name and rename it into place, so a
 * concurrent run never reads half of one; any failure leaves no file. */
static void write_entry(const char *path, const void *const *part,
                        const size_t *plen, int n)
{
    size_t tl = strlen(path) + 8;
    char *tmp = malloc(tl);
    if (tmp == NULL)
        return;
    snprintf(tmp, tl, "%s.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd >= 0) {
        int bad = 0;
        for (int i = 0; i < n && !bad; i++)
            bad = pipe_write_all(fd, part[i], plen[i]) != 0;
        if (close(fd) != 0)
            bad = 1;
        if (bad || rename(tmp, path) != 0)
            unlink(tmp);
    }
    free(tmp);
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
    if (path) {
        unsigned char head[HEAD_LEN];
        size_t cn = strlen(chunkname);
        memcpy(head, MAGIC, MAGIC_LEN);
        put64(head + MAGIC_LEN, n);
        put64(head + MAGIC_LEN + 8, cn);
        put64(head + MAGIC_LEN + 16, body_hash(b.p, b.len));
        const void *part[] = {head, src, chunkname, b.p};
        size_t plen[] = {sizeof head, n, cn, b.len};
        write_entry(path, part, plen, 4);
    }
    free(path);
    free(b.p);
}

/*
 * Directory listings (pipe.files): the rule index lists every rule
 * directory once per run, and a directory of 2,000 FiveFilters configs
 * costs ~0.8 ms of kernel time to read (getdents over its htree) although
 * it holds no Lua rule.  An entry "<hash>.dir" keeps the sorted names a
 * listing returned, with the directory's device, inode, mtime and ctime:
 * it serves only while all four are unchanged (adding, removing or
 * renaming a file changes the directory's mtime and ctime).  A directory
 * changed less than LIST_SETTLE seconds before it was listed is not
 * stored: a
 * change within the same tick of the file system's clock could leave its
 * mtime as it was (git's "racy" index entries; also covers file systems
 * with whole-second times).
 */
#define LIST_MAGIC "pipe-dir 1\n"
#define LIST_SETTLE 2

static char *list_path(const char *dir, const char *key, size_t kn)
{
    uint64_t h = fnv(0x6c62272e07bb0142ULL, key, kn);
    size_t len = strlen(dir) + 32;
    char *p = malloc(len);
    if (p != NULL)
        snprintf(p, len, "%s/%016llx.dir", dir, (unsigned long long)h);
    return p;
}

/* key: the real directory, NUL, the suffix */
static char *list_key(const char *real, const char *suffix, size_t *kn)
{
    size_t rn = strlen(real), sn = suffix ? strlen(suffix) : 0;
    char *k = malloc(rn + sn + 2);
    if (k == NULL)
        return NULL;
    memcpy(k, real, rn + 1);
    if (sn)
        memcpy(k + rn + 1, suffix, sn);
    k[rn + 1 + sn] = '\0';
    *kn = rn + sn + 2;
    return k;
}

static void stat_words(const struct stat *st, uint64_t w[6])
{
    w[0] = (uint64_t)st->st_dev;
    w[1] = (uint64_t)st->st_ino;
    w[2] = (uint64_t)st->st_mtim.tv_sec;
    w[3] = (uint64_t)st->st_mtim.tv_nsec;
    w[4] = (uint64_t)st->st_ctim.tv_sec;
    w[5] = (uint64_t)st->st_ctim.tv_nsec;
}

/*
 * A keyed entry (listings, derived data): `magic`, then `nw` words the
 * entry is valid for, the body's length and the key's length (8 bytes
 * each, little-endian), the key, the body, and a hash of the body.
 * entry_get returns a malloc'd copy of the body (NUL after its *len
 * bytes) when every part is whole and matches, else NULL.
 */
static char *entry_get(const char *path, const char *magic,
                       const uint64_t *w, int nw, const char *key, size_t kn,
                       size_t *len)
{
    size_t ml = strlen(magic), head = ml + 8 * ((size_t)nw + 2), dn = 0;
    char *data = NULL, *err = NULL, *out = NULL;
    if (pipe_read_file(path, (size_t)64 << 20, &data, &dn, &err) == 0) {
        const unsigned char *u = (const unsigned char *)data;
        int ok = dn >= head + 8 && memcmp(data, magic, ml) == 0;
        for (int i = 0; ok && i < nw; i++)
            ok = get64(u + ml + 8 * (size_t)i) == w[i];
        uint64_t n = ok ? get64(u + ml + 8 * (size_t)nw) : 0;
        ok = ok && get64(u + ml + 8 * (size_t)nw + 8) == kn &&
             dn - head - 8 >= kn && dn - head - 8 - kn == n &&
             memcmp(data + head, key, kn) == 0;
        const char *body = data + head + kn;
        if (ok && body_hash(body, n) == get64(u + dn - 8)) {
            out = malloc(n + 1);
            if (out) {
                memcpy(out, body, n);
                out[n] = '\0';
                *len = n;
            }
        }
    }
    free(err);
    free(data);
    return out;
}

static void entry_put(const char *path, const char *magic, const uint64_t *w,
                      int nw, const char *key, size_t kn, const void *body,
                      size_t len)
{
    size_t ml = strlen(magic), hl = ml + 8 * ((size_t)nw + 2);
    unsigned char head[128], tail[8];
    if (hl > sizeof head)
        return;
    memcpy(head, magic, ml);
    for (int i = 0; i < nw; i++)
        put64(head + ml + 8 * (size_t)i, w[i]);
    put64(head + ml + 8 * (size_t)nw, len);
    put64(head + ml + 8 * (size_t)nw + 8, kn);
    put64(tail, body_hash(body, len));
    const void *part[] = {head, key, body, tail};
    size_t plen[] = {hl, kn, len, sizeof tail};
    write_entry(path, part, plen, 4);
}

char *pipe_cache_list_get(const char *real, const char *suffix,
                          const struct stat *st, size_t *len)
{
    const char *dir = settle_dir();
    size_t kn = 0, n = 0;
    char *key = dir ? list_key(real, suffix, &kn) : NULL;
    char *path = key ? list_path(dir, key, kn) : NULL;
    uint64_t w[6];
    stat_words(st, w);
    char *out = path ? entry_get(path, LIST_MAGIC, w, 6, key, kn, &n) : NULL;
    if (out && n > 0 && out[n - 1] != '\0') {
        free(out);    /* names are NUL-terminated */
        out = NULL;
    }
    if (out)
        *len = n;
    free(path);
    free(key);
    return out;
}

void pipe_cache_list_put(const char *real, const char *suffix,
                         const struct stat *st, const char *names, size_t len)
{
    struct timespec now;
    /* ctime: set by every change of the directory, and unlike mtime not
     * settable by touch, tar or cp -p */
    if (clock_gettime(CLOCK_REALTIME, &now) != 0 ||
        st->st_ctim.tv_sec > now.tv_sec - LIST_SETTLE)
        return;
    const char *dir = settle_dir();
    size_t kn = 0;
    char *key = dir ? list_key(real, suffix, &kn) : NULL;
    char *path = key ? list_path(dir, key, kn) : NULL;
    if (path) {
        uint64_t w[6];
        stat_words(st, w);
        entry_put(path, LIST_MAGIC, w, 6, key, kn, names, len);
    }
    free(path);
    free(key);
}

/*
 * Derived data (pipe_cache_get/put, include/pipe/util.h): an entry
 * "<hash>.dat" holds a header, the key it was stored under and the data,
 * then a hash of the data.  The key is the caller's key with the identity
 * of this executable before it (device, inode, size and mtime of
 * /proc/self/exe), so a rebuilt or upgraded pipe, whose code may make the
 * data differently, never reads what an older one stored.  The file is
 * named by the caller's key alone, so a new pipe's entry replaces the old
 * one: the directory holds one entry per key.
 */
#define DATA_MAGIC "pipe-data 2\n"

static char *data_key(const char *key, size_t kn, size_t *out)
{
    static uint64_t self[4];
    static int self_state;    /* 0 not looked at, 1 known, -1 unknown */
    if (self_state == 0) {
        struct stat st;
        self_state = stat("/proc/self/exe", &st) == 0 ? 1 : -1;
        if (self_state == 1) {
            self[0] = (uint64_t)st.st_dev;
            self[1] = (uint64_t)st.st_ino;
            self[2] = (uint64_t)st.st_size;
            self[3] = (uint64_t)st.st_mtim.tv_sec * 1000000000ULL +
                      (uint64_t)st.st_mtim.tv_nsec;
        }
    }
    if (self_state != 1)
        return NULL;    /* no identity: nothing is kept */
    char *k = malloc(sizeof self + kn);
    if (k == NULL)
        return NULL;
    for (int i = 0; i < 4; i++)
        put64((unsigned char *)k + 8 * i, self[i]);
    memcpy(k + sizeof self, key, kn);
    *out = sizeof self + kn;
    return k;
}

static char *data_path(const char *dir, const char *key, size_t kn)
{
    uint64_t h = fnv(0x84222325cbf29ce4ULL, key, kn);
    size_t len = strlen(dir) + 32;
    char *p = malloc(len);
    if (p != NULL)
        snprintf(p, len, "%s/%016llx.dat", dir, (unsigned long long)h);
    return p;
}

char *pipe_cache_get(const char *key, size_t kn, size_t *len)
{
    const char *dir = settle_dir();
    size_t fk = 0;
    char *full = dir ? data_key(key, kn, &fk) : NULL;
    char *path = full ? data_path(dir, key, kn) : NULL;
    char *out = path ? entry_get(path, DATA_MAGIC, NULL, 0, full, fk, len)
                     : NULL;
    free(path);
    free(full);
    return out;
}

void pipe_cache_put(const char *key, size_t kn, const void *data, size_t len)
{
    const char *dir = settle_dir();
    size_t fk = 0;
    char *full = dir ? data_key(key, kn, &fk) : NULL;
    char *path = full ? data_path(dir, key, kn) : NULL;
    if (path)
        entry_put(path, DATA_MAGIC, NULL, 0, full, fk, data, len);
    free(path);
    free(full);
}
