/*
 * Fuzz the records-mode path: the input file (plain or gzip) is read with
 * pipe_lines, each line decoded as JSON, pushed to Lua with pipe_json_push,
 * its "html" field parsed and the record encoded back, as `pipe run
 * --records` does.  Input: the file's bytes.
 */
#include <sys/mman.h>
#include <unistd.h>

#include <jansson.h>

#include "fuzz.h"
#include "pipe/html.h"
#include "pipe/json.h"

static const char code[] =
    "local rec, doc = ...\n"
    "if type(rec) ~= 'table' then error('FUZZ: record is not a table') end\n"
    "if doc then doc:text(); html.strip(doc) end\n"
    "local ok, e = pcall(json.encode, rec)\n"
    "if ok and not json.decode(e) then error('FUZZ: cannot re-read ' .. e) end\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("records", 0);
    if (fd < 0)
        return 0;
    if (size > 0 && write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    lseek(fd, 0, SEEK_SET);
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    pipe_lines ls;
    char *err = NULL;
    if (pipe_lines_open(&ls, path, (size_t)1 << 20, &err) != 0) {
        free(err);
        close(fd);
        return 0;
    }
    lua_State *L = fuzz_lua();
    char *line;
    long n;
    while ((n = pipe_lines_next(&ls, &line, &err)) >= 0) {
        if (line[n] != '\0')
            abort();
        json_error_t jerr;
        json_t *j = json_loadb(line, (size_t)n, JSON_DECODE_ANY, &jerr);
        if (!j || !json_is_object(j)) {
            json_decref(j);
            continue;
        }
        int top = lua_gettop(L);
        if (luaL_loadbufferx(L, code, strlen(code), "=fuzz_records", "t") !=
            LUA_OK)
            abort();
        pipe_json_push(L, j);
        json_t *h = json_object_get(j, "html");
        if (json_is_string(h))
            pipe_html_push_document(L, json_string_value(h),
                                    json_string_length(h), NULL, NULL);
        else
            lua_pushnil(L);
        json_decref(j);
        if (pipe_lua_call(L, 2, 0) != LUA_OK) {
            const char *m = lua_tostring(L, -1);
            if (m && strstr(m, "FUZZ:")) {
                fprintf(stderr, "%s\n", m);
                abort();
            }
        }
        lua_settop(L, top);
    }
    free(err);
    pipe_lines_close(&ls);
    pipe_lua_close(L);
    close(fd);
    return 0;
}
