/*
 * Fuzz the re plugin: compile a pattern, then match/find/gmatch/exec/gsub/
 * split on a subject, with a fuzzed replacement string.
 * Input: byte 0 = flags (bits: i m s x), then pattern NUL subject NUL repl.
 */
#include "fuzz.h"

static const char code[] =
    "local pat, s, repl, flags = ...\n"
    "local ok, r = pcall(re.compile, pat, flags)\n"
    "if not ok then\n"
    "  if type(r) ~= 'string' then error('FUZZ: non-string error') end\n"
    "  return\n"
    "end\n"
    "r:match(s); r:match(s, 2); r:match(s, -1)\n"
    "local a, b = r:find(s)\n"
    "if a and (a < 1 or b < a - 1 or b > #s) then error('FUZZ: find out of range') end\n"
    "r:exec(s)\n"
    "local n = 0\n"
    "for m in r:gmatch(s) do n = n + 1; if n > 200 then break end end\n"
    "pcall(r.gsub, r, s, repl)\n"
    "r:gsub(s, '[$0]', 50)\n"
    "r:gsub(s, function(...) return nil end, 50)\n"
    "r:gsub(s, {}, 50)\n"
    "local parts = r:split(s, 50)\n"
    "if type(parts) ~= 'table' then error('FUZZ: split') end\n"
    "re.match(s, pat, 1, flags); re.split(s, pat, nil, flags)\n"
    "pcall(re.gsub, s, pat, repl, nil, flags)\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    char flags[5];
    size_t nf = 0;
    const char *fl = "imsx";
    for (int i = 0; i < 4; i++)
        if (data[0] & (1 << i))
            flags[nf++] = fl[i];
    flags[nf] = '\0';
    const char *p = (const char *)data + 1;
    size_t left = size - 1;
    const char *parts[3] = {"", "", ""};
    size_t lens[4] = {0, 0, 0, nf};
    for (int k = 0; k < 3; k++) {
        const char *z = k < 2 ? memchr(p, '\0', left) : NULL;
        size_t n = z ? (size_t)(z - p) : left;
        parts[k] = p;
        lens[k] = n;
        if (!z) {
            p += n;
            left = 0;
            for (int j = k + 1; j < 3; j++) {
                parts[j] = "";
                lens[j] = 0;
            }
            break;
        }
        p = z + 1;
        left -= n + 1;
    }
    const char *args[4] = {parts[0], parts[1], parts[2], flags};
    fuzz_run("=fuzz_re", code, args, lens, 4);
    return 0;
}
