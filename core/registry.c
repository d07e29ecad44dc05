/*
 * The plugin registry: the plugins compiled into pipe and those loaded
 * from shared objects at start-up, the checks every descriptor passes, the
 * order plugins are opened in, the services they offer, and the lookup
 * that dispatches `pipe NAME` to a command's owner.
 *
 * A descriptor is accepted when its ABI is this pipe's, its size is one
 * this pipe knows (see PIPE_PLUGIN_ABI in plugin.h), its name is a plain
 * identifier that is no Lua library, base function or core name, and
 * neither its name, nor a command, nor a service is taken already.  After
 * loading, every plugin's `requires` must be loaded too, and plugins are
 * ordered so that what a plugin needs is opened (and initialised) before
 * it.
 *
 * Caveats: the table is process-wide: filled before any command runs
 * (cli.c), read-only after, inherited by the workers.  Shared objects are
 * opened with RTLD_NOW (a missing host symbol fails the load, naming it,
 * instead of a later crash) and RTLD_LOCAL (one plugin's symbols never
 * satisfy another's), and never closed: their code backs Lua states and
 * commands until the process exits.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core.h"

extern const pipe_plugin pipe_plugin_html;
extern const pipe_plugin pipe_plugin_re;
extern const pipe_plugin pipe_plugin_text;
extern const pipe_plugin pipe_plugin_json;
extern const pipe_plugin pipe_plugin_extract;
extern const pipe_plugin pipe_plugin_date;

static const pipe_plugin *const builtins[] = {
    &pipe_plugin_html, &pipe_plugin_re, &pipe_plugin_text,
    &pipe_plugin_json, &pipe_plugin_extract, &pipe_plugin_date,
};

#define MAX_PLUGINS 64
#define MAX_NAME 32

typedef struct entry {
    const pipe_plugin *p;
    char *origin;             /* the shared object, NULL when built in */
} entry;

static entry table[MAX_PLUGINS];
static size_t count;
static int builtins_added;

/* The smallest descriptor of this ABI: every field of ABI 2.  Fields
 * appended later (same ABI) are read only when the plugin's size covers
 * them; they are zero for plugins built against an older header. */
#define MIN_SIZE sizeof(pipe_plugin)

/* Names a plugin may not take: its module becomes a global and a require
 * name, so these would replace a Lua library, a base function, the core's
 * module or one of pipe's own script modules. */
static const struct {
    const char *name, *owner;
} reserved[] = {
    /* io, os, debug, package: with --unsafe */
    {"string", "Lua's standard library"}, {"table", "Lua's standard library"},
    {"math", "Lua's standard library"}, {"utf8", "Lua's standard library"},
    {"coroutine", "Lua's standard library"}, {"io", "Lua's standard library"},
    {"os", "Lua's standard library"}, {"debug", "Lua's standard library"},
    {"package", "Lua's standard library"}, {"bit32", "Lua's standard library"},
    {"assert", "Lua's base library"}, {"collectgarbage", "Lua's base library"},
    {"dofile", "Lua's base library"}, {"error", "Lua's base library"},
    {"getmetatable", "Lua's base library"}, {"ipairs", "Lua's base library"},
    {"load", "Lua's base library"}, {"loadfile", "Lua's base library"},
    {"next", "Lua's base library"}, {"pairs", "Lua's base library"},
    {"pcall", "Lua's base library"}, {"print", "Lua's base library"},
    {"rawequal", "Lua's base library"}, {"rawget", "Lua's base library"},
    {"rawlen", "Lua's base library"}, {"rawset", "Lua's base library"},
    {"require", "Lua's base library"}, {"select", "Lua's base library"},
    {"setmetatable", "Lua's base library"}, {"tonumber", "Lua's base library"},
    {"tostring", "Lua's base library"}, {"type", "Lua's base library"},
    {"unpack", "Lua's base library"}, {"warn", "Lua's base library"},
    {"xpcall", "Lua's base library"},
    {"pipe", "pipe's core"}, {"core", "pipe's core"},
    {"site", "pipe's own scripts"}, {"generic", "pipe's own scripts"},
    {"lib", "pipe's own scripts"}, {"sites", "pipe's own scripts"},
    {"examples", "pipe's own scripts"},
};

static void say(char *err, size_t n, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static void say(char *err, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, n, fmt, ap);
    va_end(ap);
}

/* "the built-in plugin 'html'" or "plugin 'x' (/path/x.so)" */
static void describe(const entry *e, char *buf, size_t n)
{
    if (e->origin)
        snprintf(buf, n, "plugin '%s' (%s)", e->p->name, e->origin);
    else
        snprintf(buf, n, "the built-in plugin '%s'", e->p->name);
}

static int valid_name(const char *s, int dash)
{
    if (!s || !(*s >= 'a' && *s <= 'z') || strlen(s) > MAX_NAME)
        return 0;
    for (const char *c = s; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
              *c == '_' || (dash && *c == '-')))
            return 0;
    return 1;
}

static const pipe_command *core_command(const char *name)
{
    for (const pipe_command *c = pipe_core_commands; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

/* The entry offering command `name`, or NULL. */
static const entry *command_owner(const char *name, const pipe_command **cmd)
{
    for (size_t i = 0; i < count; i++)
        for (const pipe_command *c = table[i].p->commands; c && c->name; c++)
            if (strcmp(c->name, name) == 0) {
                if (cmd)
                    *cmd = c;
                return &table[i];
            }
    return NULL;
}

int pipe_plugin_check(const pipe_plugin *p, char *err, size_t n)
{
    char who[PATH_MAX + 64];
    if (p->abi != PIPE_PLUGIN_ABI) {
        say(err, n, "built for plugin ABI %d, this pipe has ABI %d (rebuild "
                    "it against this pipe's headers)", p->abi, PIPE_PLUGIN_ABI);
        return -1;
    }
    if (p->size < MIN_SIZE || p->size > sizeof(pipe_plugin)) {
        say(err, n, "descriptor size %zu, this pipe knows %zu (built against "
                    "%s headers?)", p->size, sizeof(pipe_plugin),
            p->size > sizeof(pipe_plugin) ? "newer" : "older");
        return -1;
    }
    if (!valid_name(p->name, 0)) {
        say(err, n, "bad plugin name '%s' (lowercase letters, digits and _, "
                    "starting with a letter, at most %d bytes)",
            p->name ? p->name : "(none)", MAX_NAME);
        return -1;
    }
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (strcmp(reserved[i].name, p->name) == 0) {
            say(err, n, "plugin name '%s' is taken by %s", p->name,
                reserved[i].owner);
            return -1;
        }
    for (size_t i = 0; i < count; i++)
        if (strcmp(table[i].p->name, p->name) == 0) {
            describe(&table[i], who, sizeof who);
            say(err, n, "plugin name '%s' is taken by %s", p->name, who);
            return -1;
        }
    if (!p->open && p->lua_names && *p->lua_names) {
        say(err, n, "plugin '%s' lists Lua functions but has no open "
                    "function", p->name);
        return -1;
    }
    for (const pipe_command *c = p->commands; c && c->name; c++) {
        if (!valid_name(c->name, 1) || !c->main || !c->summary || !c->help) {
            say(err, n, "plugin '%s': bad command '%s' (a name of lowercase "
                        "letters, digits, - and _, with summary, help and "
                        "main)", p->name, c->name);
            return -1;
        }
        const entry *o;
        if (core_command(c->name)) {
            say(err, n, "command '%s' of plugin '%s' is a core command",
                c->name, p->name);
            return -1;
        }
        if ((o = command_owner(c->name, NULL)) != NULL) {
            describe(o, who, sizeof who);
            say(err, n, "command '%s' of plugin '%s' is taken by %s", c->name,
                p->name, who);
            return -1;
        }
        for (const pipe_command *d = p->commands; d != c; d++)
            if (strcmp(d->name, c->name) == 0) {
                say(err, n, "plugin '%s' has two commands '%s'", p->name,
                    c->name);
                return -1;
            }
    }
    for (const pipe_service *s = p->services; s && s->name; s++) {
        if (!s->api) {
            say(err, n, "plugin '%s': service '%s' has no table", p->name,
                s->name);
            return -1;
        }
        for (size_t i = 0; i < count; i++)
            for (const pipe_service *t = table[i].p->services; t && t->name;
                 t++)
                if (strcmp(t->name, s->name) == 0) {
                    describe(&table[i], who, sizeof who);
                    say(err, n, "service '%s' of plugin '%s' is offered by %s "
                                "already", s->name, p->name, who);
                    return -1;
                }
    }
    return 0;
}

static int add(const pipe_plugin *p, const char *origin, char *err, size_t n)
{
    if (count == MAX_PLUGINS) {
        say(err, n, "more than %d plugins", MAX_PLUGINS);
        return -1;
    }
    if (pipe_plugin_check(p, err, n) != 0)
        return -1;
    table[count].p = p;
    table[count].origin = origin ? strdup(origin) : NULL;
    count++;
    return 0;
}

static void ensure_builtins(void)
{
    if (builtins_added)
        return;
    builtins_added = 1;
    char err[512];
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
        if (add(builtins[i], NULL, err, sizeof err) != 0) {
            /* a bug in pipe itself, found by every test run */
            fprintf(stderr, "pipe: built-in plugin: %s\n", err);
            abort();
        }
}

int pipe_plugin_load(const char *path, char *err, size_t n)
{
    ensure_builtins();
    /* dlopen searches the library path for a name without a slash */
    char full[PATH_MAX];
    if (!strchr(path, '/') && snprintf(full, sizeof full, "./%s", path) <
                                  (int)sizeof full)
        path = full;
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        say(err, n, "cannot load: %s", e ? e : "unknown error");
        return -1;
    }
    dlerror();
    const pipe_plugin *p = dlsym(h, PIPE_PLUGIN_SYMBOL);
    if (!p) {
        say(err, n, "not a pipe plugin (no symbol %s)", PIPE_PLUGIN_SYMBOL);
        return -1;
    }
    /* the same file again (--plugin and PIPE_PLUGIN_PATH): once is enough */
    for (size_t i = 0; i < count; i++)
        if (table[i].origin && table[i].p->name && p->abi == PIPE_PLUGIN_ABI &&
            p->name && strcmp(table[i].p->name, p->name) == 0) {
            char a[PATH_MAX], b[PATH_MAX];
            if (realpath(table[i].origin, a) && realpath(path, b) &&
                strcmp(a, b) == 0)
                return 0;
        }
    if (p->abi != PIPE_PLUGIN_ABI) {
        say(err, n, "built for plugin ABI %d, this pipe has ABI %d (rebuild "
                    "it against this pipe's headers)", p->abi, PIPE_PLUGIN_ABI);
        return -1;
    }
    /* a copy of the size this pipe knows: fields the plugin's header did
     * not have yet are zero */
    pipe_plugin *copy = calloc(1, sizeof *copy);
    if (!copy) {
        say(err, n, "out of memory");
        return -1;
    }
    memcpy(copy, p, p->size < sizeof *copy ? p->size : sizeof *copy);
    copy->size = p->size;
    if (add(copy, path, err, n) != 0) {
        free(copy);
        return -1;
    }
    return 0;
}

static int has_suffix(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a > b && strcmp(s + a - b, suf) == 0;
}

static int so_filter(const struct dirent *e)
{
    return e->d_name[0] != '.' && has_suffix(e->d_name, ".so");
}

/* Every *.so in dir, in name order; a missing directory holds none.  On
 * failure the message names the file. */
static int load_dir(const char *dir, char *err, size_t n)
{
    struct dirent **names = NULL;
    int k = scandir(dir, &names, so_filter, alphasort);
    if (k < 0)
        return 0;
    int rc = 0;
    for (int i = 0; i < k; i++) {
        char path[PATH_MAX], m[512];
        if (rc == 0 && snprintf(path, sizeof path, "%s/%s", dir,
                                names[i]->d_name) < (int)sizeof path &&
            pipe_plugin_load(path, m, sizeof m) != 0) {
            say(err, n, "%s: %s", path, m);
            rc = -1;
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

const char *pipe_plugin_dir(char *buf, size_t n)
{
#ifdef PIPE_BIN_TO_PLUGINS
    /* beside the binary (bin/ -> lib/.../pipe/plugins), so an installed
     * tree finds its own wherever it was installed or copied, and a
     * binary in a build tree finds none */
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len > 0) {
        exe[len] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            char dir[PATH_MAX];
            if (snprintf(dir, sizeof dir, "%s/%s", exe, PIPE_BIN_TO_PLUGINS) <
                (int)sizeof dir) {
                /* the real path when it is there, for `pipe plugins` */
                if (!realpath(dir, exe))
                    snprintf(exe, sizeof exe, "%s", dir);
                if (snprintf(buf, n, "%s", exe) < (int)n)
                    return buf;
            }
        }
    }
    return NULL;
#elif defined(PIPE_INSTALLED_PLUGINS)
    snprintf(buf, n, "%s", PIPE_INSTALLED_PLUGINS);
    return buf;
#else
    (void)buf;
    (void)n;
    return NULL;
#endif
}

/* Order the table so that every plugin comes after what it requires
 * (stable: built-ins, then the others in load order, as far as needs
 * allow); check that every requirement is there. */
static int finish(char *err, size_t n)
{
    char who[PATH_MAX + 64];
    for (size_t i = 0; i < count; i++)
        for (const char *const *r = table[i].p->requires; r && *r; r++) {
            size_t j = 0;
            while (j < count && strcmp(table[j].p->name, *r) != 0)
                j++;
            if (j == count) {
                describe(&table[i], who, sizeof who);
                say(err, n, "%s needs plugin '%s', which is not loaded", who,
                    *r);
                return -1;
            }
        }
    entry sorted[MAX_PLUGINS];
    int placed[MAX_PLUGINS] = {0};
    size_t k = 0;
    while (k < count) {
        size_t before = k;
        for (size_t i = 0; i < count; i++) {
            if (placed[i])
                continue;
            int ready = 1;
            for (const char *const *r = table[i].p->requires; r && *r && ready;
                 r++) {
                ready = 0;
                for (size_t j = 0; j < k; j++)
                    if (strcmp(sorted[j].p->name, *r) == 0)
                        ready = 1;
            }
            if (ready) {
                sorted[k++] = table[i];
                placed[i] = 1;
                break;   /* rescan from the start: keeps the order stable */
            }
        }
        if (k == before) {
            for (size_t i = 0; i < count; i++)
                if (!placed[i]) {
                    describe(&table[i], who, sizeof who);
                    say(err, n, "%s and the plugins it needs require each "
                                "other", who);
                    return -1;
                }
        }
    }
    memcpy(table, sorted, count * sizeof *table);
    return 0;
}

int pipe_plugins_setup(char **files, int nfiles, char **err)
{
    ensure_builtins();
    char m[PATH_MAX + 600], dir[PATH_MAX];
    const char *sys = pipe_plugin_dir(dir, sizeof dir);
    int rc = sys ? load_dir(sys, m, sizeof m) : 0;
    const char *env = getenv("PIPE_PLUGIN_PATH");
    if (rc == 0 && env && *env) {
        char *copy = strdup(env), *save = NULL;
        if (!copy) {
            say(m, sizeof m, "out of memory");
            rc = -1;
        }
        for (char *d = copy ? strtok_r(copy, ":", &save) : NULL; d && rc == 0;
             d = strtok_r(NULL, ":", &save)) {
            struct stat st;
            if (stat(d, &st) == 0 && S_ISREG(st.st_mode)) {
                char e[512];
                if (pipe_plugin_load(d, e, sizeof e) != 0) {
                    say(m, sizeof m, "%s: %s", d, e);
                    rc = -1;
                }
            } else {
                rc = load_dir(d, m, sizeof m);
            }
        }
        free(copy);
    }
    for (int i = 0; rc == 0 && i < nfiles; i++) {
        char e[512];
        if (pipe_plugin_load(files[i], e, sizeof e) != 0) {
            say(m, sizeof m, "%s: %s", files[i], e);
            rc = -1;
        }
    }
    if (rc == 0)
        rc = finish(m, sizeof m);
    if (rc != 0)
        *err = strdup(m);
    return rc;
}

size_t pipe_plugin_count(void)
{
    ensure_builtins();
    return count;
}

const pipe_plugin *pipe_plugin_at(size_t i)
{
    ensure_builtins();
    return i < count ? table[i].p : NULL;
}

const char *pipe_plugin_origin(size_t i)
{
    ensure_builtins();
    return i < count ? table[i].origin : NULL;
}

const void *pipe_service_get(const char *name, int version)
{
    ensure_builtins();
    for (size_t i = 0; i < count; i++)
        for (const pipe_service *s = table[i].p->services; s && s->name; s++)
            if (strcmp(s->name, name) == 0)
                return s->version >= version ? s->api : NULL;
    return NULL;
}

const pipe_command *pipe_find_command(const char *name, const char **owner)
{
    ensure_builtins();
    const pipe_command *c = core_command(name);
    if (c) {
        if (owner)
            *owner = "core";
        return c;
    }
    const entry *e = command_owner(name, &c);
    if (e && owner)
        *owner = e->p->name;
    return e ? c : NULL;
}

/* pipe plugins: every plugin with its Lua functions and commands */
int pipe_cmd_plugins(pipe_host *host, int argc, char **argv)
{
    (void)argv;
    if (argc > 1)
        return pipe_host_usage(host, "plugins takes no arguments");
    ensure_builtins();
    FILE *out = pipe_host_out(host);
    fprintf(out, "core\n  commands:");
    for (const pipe_command *c = pipe_core_commands; c->name; c++)
        fprintf(out, " %s", c->name);
    fprintf(out, "\n  lua: pipe.version pipe.options pipe.root pipe.rules "
                 "pipe.log pipe.list pipe.read pipe.files pipe.apply\n");
    for (size_t i = 0; i < count; i++) {
        const pipe_plugin *p = table[i].p;
        fprintf(out, "%s - %s\n", p->name, p->summary ? p->summary : "");
        if (table[i].origin)
            fprintf(out, "  from: %s\n", table[i].origin);
        if (p->commands && p->commands->name) {
            fprintf(out, "  commands:");
            for (const pipe_command *c = p->commands; c->name; c++)
                fprintf(out, " %s", c->name);
            fputc('\n', out);
        }
        if (p->lua_names && *p->lua_names) {
            fprintf(out, "  lua:");
            for (const char *const *n = p->lua_names; *n; n++)
                fprintf(out, " %s.%s", p->name, *n);
            fputc('\n', out);
        }
        if (p->services && p->services->name) {
            fprintf(out, "  services:");
            for (const pipe_service *s = p->services; s->name; s++)
                fprintf(out, " %s/%d", s->name, s->version);
            fputc('\n', out);
        }
        if (p->requires && *p->requires) {
            fprintf(out, "  needs:");
            for (const char *const *r = p->requires; *r; r++)
                fprintf(out, " %s", *r);
            fputc('\n', out);
        }
    }
    char dir[PATH_MAX];
    const char *sys = pipe_plugin_dir(dir, sizeof dir);
    const char *env = getenv("PIPE_PLUGIN_PATH");
    struct stat st;
    fprintf(out, "plugin directory: %s%s\nPIPE_PLUGIN_PATH: %s\n",
            sys ? sys : "(none)",
            sys && (stat(sys, &st) != 0 || !S_ISDIR(st.st_mode))
                ? " (not there)" : "",
            env && *env ? env : "(not set)");
    pipe_host_flush(host);
    return PIPE_EXIT_OK;
}
