/*
 * The html plugin's `select` command: print the elements of each page that
 * match a CSS selector or an XPath expression, one record per match (its
 * text, an attribute or its outer HTML).  Not a plugin: html.c registers
 * the command in its table.
 *
 * Caveats: the selector is compiled once for all inputs; each input gets
 * its own XPath context (no Lua state is involved, so nothing is cached
 * across pages).  A scalar XPath result prints as one record.
 */
#include "select.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libxml/HTMLtree.h>
#include <libxml/xpath.h>

#include "css.h"
#include "cssmatch.h"
#include "encoding.h"
#include "pipe/html.h"
#include "service.h"
#include "xpath.h"

typedef struct select_opts {
    int xpath, html, first, nul, json;
    int names;          /* print the input's name: -H, --no-filename, auto */
    const char *attr;
    const char *expr;
    const char *source; /* the current input */
    xmlXPathCompExprPtr comp;
    struct pipe_cssm *nat; /* a CSS selector in cssmatch.c's subset */
} select_opts;

/* --json: {"source": ..., KEY: value}, KEY "text", "html", the attribute
 * name, or "value" for a scalar XPath result */
static int write_json(pipe_host *host, const select_opts *o, const char *key,
                      const char *s, size_t n)
{
    json_t *obj = json_object();
    json_t *src = json_string(o->source);
    json_t *v = json_stringn(s, n);
    if (v == NULL) {
        /* not valid UTF-8 (an attribute of a page in a broken encoding) */
        char *fixed = malloc(3 * n + 1);
        size_t k = 0;
        for (size_t i = 0; fixed && i < n; i++) {
            unsigned char c = (unsigned char)s[i];
            if (c < 0x80) {
                fixed[k++] = (char)c;
            } else {
                memcpy(fixed + k, "\xEF\xBF\xBD", 3);
                k += 3;
            }
        }
        v = fixed ? json_stringn(fixed, k) : NULL;
        free(fixed);
    }
    int rc = -1;
    if (obj && src && v && json_object_set_new(obj, "source", src) == 0) {
        src = NULL;
        if (json_object_set_new(obj, key, v) == 0) {
            v = NULL;
            rc = json_dumpf(obj, pipe_host_out(host),
                            JSON_COMPACT | JSON_PRESERVE_ORDER);
            if (rc == 0)
                fputc('\n', pipe_host_out(host));
        }
    }
    json_decref(src);
    json_decref(v);
    json_decref(obj);
    return rc;
}

static void write_record(pipe_host *host, const select_opts *o, const char *s,
                         size_t n)
{
    FILE *out = pipe_host_out(host);
    int nul = o->nul;
    if (o->names) {
        /* "SOURCE:" as grep -H prints it; with -0 the name ends in NUL */
        fputs(o->source, out);
        fputc(nul ? '\0' : ':', out);
    }
    if (nul) {
        fwrite(s, 1, n, out);
        fputc('\0', out);
        return;
    }
    /* newlines inside a record become single spaces */
    size_t i = 0;
    while (i < n) {
        if (s[i] == '\n' || s[i] == '\r') {
            while (i < n && (s[i] == '\n' || s[i] == '\r'))
                i++;
            fputc(' ', out);
            continue;
        }
        fputc(s[i], out);
        i++;
    }
    fputc('\n', out);
}

static void emit(pipe_host *host, const select_opts *o, const char *key,
                 const char *s, size_t n)
{
    if (o->json)
        write_json(host, o, key, s, n);
    else
        write_record(host, o, s, n);
}



/* One match: its text, an attribute, or its outer HTML. */
static int select_emit(pipe_host *host, const select_opts *o, xmlDocPtr doc,
                       xmlNodePtr node)
{
    if (o->attr != NULL) {
        if (node->type != XML_ELEMENT_NODE)
            return 0;
        xmlChar *v = xmlGetProp(node, (const xmlChar *)o->attr);
        if (v == NULL)
            return 0;
        emit(host, o, o->attr, (const char *)v, strlen((const char *)v));
        xmlFree(v);
        return 1;
    }
    if (o->html) {
        xmlOutputBufferPtr out = xmlAllocOutputBuffer(NULL);
        if (out == NULL)
            return -1;
        htmlNodeDumpFormatOutput(out, doc, node, "UTF-8", 0);
        xmlOutputBufferFlush(out);
        const xmlChar *c = xmlOutputBufferGetContent(out);
        emit(host, o, "html", c ? (const char *)c : "",
             xmlOutputBufferGetSize(out));
        xmlOutputBufferClose(out);
        return 1;
    }
    if (node->type == XML_ATTRIBUTE_NODE || node->type == XML_TEXT_NODE) {
        xmlChar *v = xmlNodeGetContent(node);
        const char *s = v ? (const char *)v : "";
        emit(host, o, "text", s, strlen(s));
        xmlFree(v);
        return 1;
    }
    size_t len = 0;
    char *t = pipe_html_text_alloc(node, o->nul || o->json ? "\n\n" : "\n",
                                   &len);
    if (t == NULL)
        return -1;
    emit(host, o, "text", t, len);
    free(t);
    return 1;
}

/* The native matcher's walk over one page (as doc:select runs it): each
 * match printed as the XPath path prints it, in document order. */
typedef struct native_run {
    pipe_host *host;
    const select_opts *o;
    xmlDocPtr doc;
    int rc;
} native_run;

static int native_match(void *ud, xmlNodePtr node)
{
    native_run *nr = ud;
    int r = select_emit(nr->host, nr->o, nr->doc, node);
    if (r < 0) {
        pipe_host_fail(nr->host, nr->o->source, "out of memory");
        nr->rc = -1;
        return 1;
    }
    if (r > 0 && pipe_host_flush(nr->host) < 0)
        return 1;
    return r > 0 && nr->o->first;
}

static int select_native(pipe_host *host, const select_opts *o,
                         const pipe_input *in, xmlDocPtr doc)
{
    native_run nr = {host, o, doc, 0};
    pipe_cssm_stack *st = pipe_cssm_stack_new();
    if (st == NULL ||
        pipe_cssm_walk(o->nat, (xmlNodePtr)doc,
                       pipe_xpath_any_template((xmlNodePtr)doc), st,
                       native_match, &nr) < 0) {
        pipe_host_fail(host, in->source, "out of memory");
        nr.rc = -1;
    }
    pipe_cssm_stack_free(st);
    pipe_html_free_doc(doc, 0);
    return nr.rc;
}

static int select_input(pipe_host *host, const pipe_input *in, void *ud)
{
    select_opts *o = ud;
    o->source = in->source;
    xmlDocPtr doc = pipe_html_parse_input(host, in);
    if (doc == NULL)
        return -1;
    if (o->nat != NULL)
        return select_native(host, o, in, doc);
    pipe_xerr xe = {{0}, 0};
    xmlXPathContextPtr ctx = pipe_xpath_context(doc);
    if (ctx == NULL) {
        pipe_html_free_doc(doc, 0);
        pipe_host_fail(host, in->source, "out of memory");
        return -1;
    }
    xmlXPathObjectPtr res = pipe_xpath_eval(ctx, o->comp, (xmlNodePtr)doc,
                                            &xe);
    xmlXPathFreeContext(ctx);
    int rc = 0;
    if (res == NULL) {
        pipe_host_fail(host, in->source, "xpath '%s' failed: %s", o->expr,
                       xe.set ? xe.msg : "evaluation error");
        rc = -1;
    } else if (res->type != XPATH_NODESET) {
        /* a scalar XPath result (count(), string()) prints as itself */
        xmlChar *s = xmlXPathCastToString(res);
        if (s != NULL) {
            emit(host, o, "value", (const char *)s, strlen((const char *)s));
            xmlFree(s);
        }
        pipe_host_flush(host);
    } else {
        int n = pipe_xpath_count(res);
        int tpl = !o->xpath && n > 0 && pipe_xpath_any_template((xmlNodePtr)doc);
        for (int i = 0; i < n; i++) {
            xmlNodePtr node = res->nodesetval->nodeTab[i];
            if (pipe_xpath_in_template(tpl, node))
                continue;
            int r = select_emit(host, o, doc, node);
            if (r < 0) {
                pipe_host_fail(host, in->source, "out of memory");
                rc = -1;
                break;
            }
            if (r > 0 && pipe_host_flush(host) < 0)
                break;
            if (r > 0 && o->first)
                break;
        }
    }
    xmlXPathFreeObject(res);
    pipe_html_free_doc(doc, 0);
    return rc;
}

const char pipe_select_help[] =
    "usage: pipe select [OPTIONS] SELECTOR [INPUT...]\n"
    "\n"
    "Print the elements of each page that match a CSS selector, one line\n"
    "per match with its text (newlines inside a match become spaces).\n"
    "With no INPUT, or when INPUT is -, read standard input; .gz inputs are\n"
    "decompressed.\n"
    "\n"
    "options:\n"
    "  --xpath        SELECTOR is an XPath 1.0 expression; a scalar result\n"
    "                 (count(...), string(...)) is printed as is\n"
    "  --attr NAME    print the attribute NAME of each match (matches\n"
    "                 without it print nothing)\n"
    "  --html         print each match's outer HTML\n"
    "  --first        only the first match of each input\n"
    "  -H, --with-filename\n"
    "                 print the input's name before each match, \"NAME:\"\n"
    "                 (the default when there are several inputs, as grep)\n"
    "  --no-filename  never print it\n"
    "  --json         one JSON object per match: {\"source\": NAME, \"text\":\n"
    "                 ...} (\"html\" with --html, the attribute's name with\n"
    "                 --attr, \"value\" for a scalar XPath result)\n"
    "  -0             end each record with NUL instead of newline and keep\n"
    "                 newlines inside the text (with a name: NAME, NUL, the\n"
    "                 record, NUL)\n"
    "  --from FILE    also read input paths from FILE, one per line (- for\n"
    "                 standard input)\n"
    PIPE_COMMON_HELP
    "  -h, --help     show this help\n"
    "\n"
    "CSS: type, *, .class, #id, [a], [a=v], [a~=v], [a^=v], [a$=v], [a*=v],\n"
    "[a|=v], [a=v i] (ASCII case-insensitive value), descendant, >, +, ~,\n"
    "lists with ',', :first-child, :last-child, :only-child,\n"
    ":nth-child(an+b|odd|even), :nth-last-child(), :first-of-type,\n"
    ":last-of-type, :nth-of-type(), :empty, :root, :not(...), :is(...),\n"
    ":has(...) (a descendant, or > child, + next, ~ later sibling),\n"
    ":contains(text).\n"
    "\n"
    "exit status: 0 ok, 1 some input failed, 2 usage error or bad selector\n"
    "\n"
    "examples:\n"
    "  pipe select 'h1' page.html\n"
    "  pipe select --attr href 'a[href^=\"http\"]' page.html\n"
    "  pipe select --xpath 'count(//p)' page.html\n";

int pipe_select_main(pipe_host *host, int argc, char **argv)
{
    select_opts o;
    memset(&o, 0, sizeof o);
    const char *from = NULL;
    char **pos = malloc(sizeof(char *) * (size_t)(argc + 1));
    if (pos == NULL)
        return pipe_host_usage(host, "out of memory");
    int npos = 0, rc;
    o.names = -1;
    const pipe_opt table[] = {
        {"--xpath", NULL, PIPE_OPT_FLAG, &o.xpath, 0, NULL},
        {"--html", NULL, PIPE_OPT_FLAG, &o.html, 0, NULL},
        {"--first", NULL, PIPE_OPT_FLAG, &o.first, 0, NULL},
        {"--null", "-0", PIPE_OPT_FLAG, &o.nul, 0, NULL},
        {"--with-filename", "-H", PIPE_OPT_SET, &o.names, 1, NULL},
        {"--no-filename", NULL, PIPE_OPT_SET, &o.names, 0, NULL},
        {"--json", NULL, PIPE_OPT_FLAG, &o.json, 0, NULL},
        {"--attr", NULL, PIPE_OPT_VALUE, &o.attr, 0, NULL},
        {"--from", NULL, PIPE_OPT_VALUE, &from, 0, NULL},
        {NULL, NULL, 0, NULL, 0, NULL},
    };
    rc = pipe_host_parse(host, "select", pipe_select_help, table, argc, argv,
                         pos, &npos);
    /* SELECTOR, then the inputs */
    char **inputs = pos + (npos > 0);
    int ninputs = npos > 0 ? npos - 1 : 0;
    if (npos > 0)
        o.expr = pos[0];
    if (rc == PIPE_OPTS_OK && o.expr == NULL)
        rc = pipe_host_usage(
            host, "select: missing SELECTOR (see pipe help select)");
    else if (rc == PIPE_OPTS_OK && o.attr != NULL && o.html)
        rc = pipe_host_usage(
            host, "select: --attr and --html exclude each other");
    else if (rc == PIPE_OPTS_OK && o.json && o.nul)
        rc = pipe_host_usage(host, "select: --json and -0 exclude each other");
    /* names by default when there are several inputs, as grep */
    if (o.names < 0)
        o.names = ninputs > 1 || from != NULL;
    if (o.json)
        o.names = 0;
    if (rc != PIPE_OPTS_OK) {
        free(pos);
        return rc;
    }
    pipe_xerr xe = {{0}, 0};
    if (o.xpath) {
        o.comp = pipe_xpath_compile(o.expr, &xe);
        if (o.comp == NULL) {
            free(pos);
            return pipe_host_usage(host, "bad xpath '%s': %s", o.expr, xe.msg);
        }
    } else {
        size_t off = 0;
        const char *reason = NULL;
        /* as doc:select: the native matcher when the selector lies in its
         * subset (PIPE_CSS_XPATH=1 turns it off, a test knob) */
        const char *knob = getenv("PIPE_CSS_XPATH");
        int native = knob == NULL || strcmp(knob, "1") != 0;
        char *xp = pipe_css_compile(o.expr, &off, &reason,
                                    native ? &o.nat : NULL);
        if (xp == NULL) {
            free(pos);
            return pipe_host_usage(host, "bad selector '%s' at offset %d: %s",
                                   o.expr, (int)off, reason);
        }
        o.comp = pipe_xpath_compile(xp, &xe);
        free(xp);
        if (o.comp == NULL) {
            pipe_cssm_free(o.nat);
            free(pos);
            return pipe_host_usage(host, "bad selector '%s': %s", o.expr,
                                   xe.msg);
        }
    }
    rc = pipe_host_each_input(host, inputs, ninputs, from, select_input, &o);
    pipe_cssm_free(o.nat);
    xmlXPathFreeCompExpr(o.comp);
    free(pos);
    return rc;
}
