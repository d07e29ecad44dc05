/*
 * The re plugin's service "re": its compiled regular expressions (the
 * Regex userdata of re.compile) for other plugins, so that one can run a
 * Regex a script hands it over text of its own without a Lua string per
 * subject (the html plugin's doc:remove(css, regex) matches every
 * block's stretch of one rendered buffer).  Like include/pipe/html.h it
 * goes through the host (pipe_service_get): no plugin links against
 * another one.
 *
 * Caveat: the re plugin needs the html plugin (`pipe match --html`), so
 * the html plugin cannot list "re" in its `requires`; a caller checks
 * pipe_re_api_get() for NULL (a host without the re plugin) instead.
 */
#ifndef PIPE_RE_H
#define PIPE_RE_H

#include <stddef.h>

#include <lua.h>

#include "pipe/plugin.h"

#define PIPE_RE_SERVICE "re"
#define PIPE_RE_VERSION 1

/* The service table (what pipe_service_get(PIPE_RE_SERVICE,
 * PIPE_RE_VERSION) returns); call it through the functions below. */
typedef struct pipe_re_api {
    const void *(*check)(lua_State *L, int idx);
    int (*find)(lua_State *L, int idx, const void *re, const char *s,
                size_t len);
} pipe_re_api;

/* (looked up once per translation unit; NULL without the re plugin) */
static inline const pipe_re_api *pipe_re_api_get(void)
{
    static const pipe_re_api *api;
    if (api == NULL)
        api = (const pipe_re_api *)pipe_service_get(PIPE_RE_SERVICE,
                                                    PIPE_RE_VERSION);
    return api;
}

/* The Regex (re.compile's userdata) at stack index `idx`, as the handle
 * pipe_re_find takes; raises a type error when the value is not one.
 * The handle is good while that value stays at `idx`.  Only call these
 * when pipe_re_api_get() is not NULL. */
static inline const void *pipe_re_check(lua_State *L, int idx)
{
    return pipe_re_api_get()->check(L, idx);
}

/* Does the Regex `re` (pipe_re_check of the value at `idx`) match
 * somewhere in s[0 .. len)?  1 or 0, as `regex:find(s) ~= nil` would say
 * of a Lua string of those bytes (the subject is exactly them: `^` and
 * `$` anchor at its ends, a lookbehind sees nothing before it).  Raises
 * regex:find's errors (the match limit); runs no Lua code and allocates
 * no Lua value otherwise. */
static inline int pipe_re_find(lua_State *L, int idx, const void *re,
                               const char *s, size_t len)
{
    return pipe_re_api_get()->find(L, idx, re, s, len);
}

#endif
