/*
 * Fuzz the CSS selector compiler directly, then the same selector through
 * doc:select / doc:first / doc:remove / html.xpath_of on a small page;
 * doc:select (the native matcher when the selector is in its subset) must
 * return the nodes of doc:xpath(html.xpath_of(sel)).
 * Input: the selector.
 */
#include "css.h"
#include "fuzz.h"

static const char code[] =
    "local sel = ...\n"
    "local doc = html.parse([[<html><head><title>t</title></head><body>"
    "<div id=a class='x y'><p lang=en-us>one <a href='/q?x=1'>l</a></p>"
    "<ul><li>1</li><li class=x>2</li><li>3</li></ul><span></span>"
    "<input type=checkbox checked><template><p>t</p></template></div>"
    "<table><tr><td>c</td></tr></table></body></html>]])\n"
    "doc:index() -- native queries from the element index\n"
    "local ok, xp = pcall(html.xpath_of, sel)\n"
    "local ok2, r = pcall(doc.select, doc, sel)\n"
    "if ok ~= ok2 then error('FUZZ: xpath_of and select disagree: ' .. tostring(xp) .. ' / ' .. tostring(r)) end\n"
    "if ok then\n"
    "  -- the native matcher (cssmatch.c) must give the XPath's nodes, in\n"
    "  -- order, less those inside <template>\n"
    "  local function in_template(n)\n"
    "    local p = n:parent()\n"
    "    while p do if p.tag == 'template' then return true end p = p:parent() end\n"
    "    return false\n"
    "  end\n"
    "  local want = {}\n"
    "  for _, n in ipairs(doc:xpath(xp)) do\n"
    "    if type(n) == 'userdata' and not in_template(n) then want[#want + 1] = n end\n"
    "  end\n"
    "  if #want ~= #r then error('FUZZ: select gave ' .. #r .. ' nodes, its XPath ' .. #want) end\n"
    "  for i = 1, #r do if r[i] ~= want[i] then error('FUZZ: select and its XPath differ at ' .. i) end end\n"
    "  doc:first(sel)\n"
    "  local d = doc:first('div'); if d then pcall(d.select, d, sel) end\n"
    "  doc:remove(sel)\n"
    "  doc:outer()\n"
    "end\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *css = malloc(size + 1);
    if (!css)
        return 0;
    memcpy(css, data, size);
    css[size] = '\0';
    size_t off = 0;
    const char *reason = NULL;
    char *xp = pipe_css_to_xpath(css, &off, &reason);
    if (xp == NULL && (reason == NULL || off > size))
        abort();
    free(xp);
    free(css);
    const char *args[1] = {(const char *)data};
    size_t lens[1] = {size};
    fuzz_run("=fuzz_css", code, args, lens, 1);
    return 0;
}
