/*
 * The plugin registry: one table of every plugin compiled into pipe, and
 * the lookup that dispatches `pipe NAME` to the command's owner.
 */
#include <string.h>

#include "core.h"

extern const pipe_plugin pipe_plugin_html;
extern const pipe_plugin pipe_plugin_re;
extern const pipe_plugin pipe_plugin_text;
extern const pipe_plugin pipe_plugin_json;
extern const pipe_plugin pipe_plugin_extract;
extern const pipe_plugin pipe_plugin_date;

static const pipe_plugin *const plugins[] = {
    &pipe_plugin_html, &pipe_plugin_re, &pipe_plugin_text,
    &pipe_plugin_json, &pipe_plugin_extract, &pipe_plugin_date,
};

size_t pipe_plugin_count(void)
{
    return sizeof plugins / sizeof plugins[0];
}

const pipe_plugin *pipe_plugin_at(size_t i)
{
    return i < pipe_plugin_count() ? plugins[i] : NULL;
}

const pipe_command *pipe_find_command(const char *name, const char **owner)
{
    for (const pipe_command *c = pipe_core_commands; c->name; c++)
        if (strcmp(c->name, name) == 0) {
            if (owner)
                *owner = "core";
            return c;
        }
    for (size_t i = 0; i < pipe_plugin_count(); i++) {
        const pipe_command *c = plugins[i]->commands;
        for (; c && c->name; c++)
            if (strcmp(c->name, name) == 0) {
                if (owner)
                    *owner = plugins[i]->name;
                return c;
            }
    }
    return NULL;
}

/* pipe plugins: every plugin with its Lua functions and commands */
int pipe_cmd_plugins(pipe_host *host, int argc, char **argv)
{
    (void)argv;
    if (argc > 1)
        return pipe_host_usage(host, "plugins takes no arguments");
    FILE *out = pipe_host_out(host);
    fprintf(out, "core\n  commands:");
    for (const pipe_command *c = pipe_core_commands; c->name; c++)
        fprintf(out, " %s", c->name);
    fprintf(out, "\n  lua: pipe.version pipe.options pipe.root pipe.rules "
                 "pipe.log pipe.list pipe.read pipe.files pipe.apply\n");
    for (size_t i = 0; i < pipe_plugin_count(); i++) {
        const pipe_plugin *p = plugins[i];
        fprintf(out, "%s - %s\n", p->name, p->summary);
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
    }
    pipe_host_flush(host);
    return PIPE_EXIT_OK;
}
