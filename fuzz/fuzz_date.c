/*
 * Fuzz the date parser (plugins/date*.c) through date.parse, with options
 * picked by the first byte (language, tz, now, utc) and, after a NUL, a
 * format.  Input: option byte, text [NUL format].
 *
 * Unlike the other harnesses this keeps one Lua state for every input:
 * the per-language tables the plugin builds on first use (15 languages,
 * the zone names) take tens of milliseconds, which would leave the fuzzer
 * a few inputs a second.  The invariant checked: a result is nil or an ISO
 * 8601 string of one of the three shapes, and the same input parses the
 * same way twice.
 */
#include "fuzz.h"

static const char code[] =
    "local s, fmt, b = ...\n"
    "local langs = { nil, 'en', 'en-US', 'fr', 'de', 'uk', 'ru', 'tr', 'fi', 'xx' }\n"
    "local tzs = { nil, 'Europe/Kyiv', '+05:30', 'EET', 'America/New_York', 'UTC' }\n"
    "b = b:byte() or 0\n"
    "local o = { lang = langs[b % 10 + 1], tz = tzs[(b // 10) % 6 + 1],\n"
    "            utc = b >= 128, now = (b % 3 == 0) and '2026-01-17T16:30:00+02:00' or nil }\n"
    "if fmt then o.format = fmt end\n"
    "local ok, r = pcall(date.parse, s, o)\n"
    "if not ok then\n"
    "  if not fmt then error('FUZZ: date.parse raised without a format: ' .. tostring(r)) end\n"
    "  return\n"
    "end\n"
    "if r ~= nil and not (r:match('^%d%d%d%d%-%d%d%-%d%d$')\n"
    "    or r:match('^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d$')\n"
    "    or r:match('^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d[+-]%d%d:%d%d$')) then\n"
    "  error('FUZZ: not ISO 8601: ' .. r)\n"
    "end\n"
    "if select(2, pcall(date.parse, s, o)) ~= r then error('FUZZ: two answers') end\n";

static lua_State *L;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if (L == NULL)
        L = fuzz_lua();
    const char *text = (const char *)data + 1;
    size_t n = size - 1;
    const char *nul = memchr(text, '\0', n);
    size_t tn = nul ? (size_t)(nul - text) : n;
    int top = lua_gettop(L);
    if (luaL_loadbufferx(L, code, strlen(code), "fuzz_date", "t") != LUA_OK)
        abort();
    lua_pushlstring(L, text, tn);
    if (nul)
        lua_pushlstring(L, nul + 1, n - tn - 1);
    else
        lua_pushnil(L);
    lua_pushlstring(L, (const char *)data, 1);
    if (pipe_lua_call(L, 3, 0) != LUA_OK) {
        const char *m = lua_tostring(L, -1);
        if (m && strstr(m, "FUZZ:")) {
            fprintf(stderr, "%s\n", m);
            abort();
        }
    }
    lua_settop(L, top);
    return 0;
}
