/*
 * Fuzz json.decode, then the encode/decode round trip: for any value that
 * decodes, encode(decode(encode(v))) must equal encode(v), and pretty
 * output must decode to the same value.  Also text.* on the raw input.
 * Input: the JSON text.
 */
#include "fuzz.h"

static const char code[] =
    "local s = ...\n"
    "local v, msg = json.decode(s)\n"
    "if v == nil and msg == nil then error('FUZZ: nil without message') end\n"
    "if v ~= nil then\n"
    "  local ok, e1 = pcall(json.encode, v)\n"
    "  if ok then\n"
    "    local v2 = json.decode(e1)\n"
    "    if v2 == nil then error('FUZZ: re-decode failed: ' .. e1) end\n"
    "    local e2 = json.encode(v2)\n"
    "    if e1 ~= e2 then error('FUZZ: round trip differs: ' .. e1 .. ' vs ' .. e2) end\n"
    "    local p = json.encode(v, {pretty = true})\n"
    "    local e3 = json.encode(json.decode(p))\n"
    "    if e3 ~= e1 then error('FUZZ: pretty round trip differs') end\n"
    "  end\n"
    "end\n"
    "text.trim(s); text.squish(s); text.decode(s); text.spaces(s); text.clean(s)\n"
    "text.lines(s); text.words(s); text.truncate(s, 7); text.truncate(s, 1)\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *args[1] = {(const char *)data};
    size_t lens[1] = {size};
    fuzz_run("=fuzz_json", code, args, lens, 1);
    return 0;
}
