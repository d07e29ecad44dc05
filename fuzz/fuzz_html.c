/*
 * Fuzz html.parse (detected or forced encodings), :text(), html.strip,
 * selects, edits and serialisation, and extract.content on the result.
 * Input: byte 0 picks the encoding option, the rest is the page.
 */
#include "fuzz.h"

static const char code[] =
    "local s, enc = ...\n"
    "local doc = html.parse(s, enc and {encoding = enc, url = 'http://x.test/a/'})\n"
    "local e = doc:encoding()\n"
    "if type(e) ~= 'string' or e == '' then error('FUZZ: no encoding') end\n"
    "local t = doc:text()\n"
    "if not utf8.len(t) then error('FUZZ: text() is not UTF-8') end\n"
    "local st = html.strip(doc)\n"
    "if not utf8.len(st) then error('FUZZ: strip is not UTF-8') end\n"
    "html.strip(s, {links = true})\n"
    "for _, n in ipairs(doc:select('p, a[href], div > span, li:first-child')) do\n"
    "  n:attrs(); n:text(); n:html(); n:outer(); n:parent(); n:children()\n"
    "  local h = n:attr('href'); if h then html.absolute(h, 'http://x.test/a/b') end\n"
    "end\n"
    "doc:first('title'); doc:url(); doc:root()\n"
    "doc:xpath('count(//*)'); doc:xpath('//@*'); doc:xpath('//text()')\n"
    "extract.content(doc, {})\n"
    "doc:remove('script, style')\n"
    "for _, n in ipairs(doc:select('font, b')) do n:unwrap() end\n"
    "for _, n in ipairs(doc:select('div')) do n:rename('section'); n:set_attr('x', 'y') end\n"
    "local first = doc:first('*'); if first then first:remove() end\n"
    "local o = doc:outer()\n"
    "html.parse(o):text()\n"
    "doc:text(); html.strip(doc, {links = true})\n"
    "doc:close()\n";

static const char *const encodings[] = {
    NULL, NULL, NULL, NULL, "utf-8", "windows-1251", "utf-16le",
    "utf-16be", "shift_jis", "gbk", "iso-8859-1", "euc-jp", "big5",
    "koi8-r", "bogus-enc",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *enc = encodings[data[0] % (sizeof encodings / sizeof encodings[0])];
    const char *args[2] = {(const char *)data + 1, enc};
    size_t lens[2] = {size - 1, enc ? strlen(enc) : 0};
    fuzz_run("=fuzz_html", code, args, lens, 2);
    return 0;
}
