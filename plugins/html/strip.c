/*
 * Readable text from an HTML tree: node:text(), html.strip(), `pipe strip`.
 *
 * The rules, in both modes:
 * - entities are already decoded by the parser; runs of ASCII whitespace
 *   (space, tab, CR, LF, FF) collapse to one space, and U+00A0 (nbsp)
 *   counts as whitespace too: it becomes a plain space and collapses with
 *   its neighbours (text.spaces() handles the other typographic spaces);
 * - block elements (p, div, h1-h6, li, blockquote, section, ...) are
 *   separated by `block_sep` ("\n\n" for node:text() and strip), <br> is a
 *   newline; leading and trailing whitespace is dropped;
 * - the content of head, title, script, style, template, noscript, svg and
 *   iframe never appears, unless the walk starts at such an element (so
 *   doc:first("title"):text() works);
 * - <pre> keeps its whitespace.
 * Strip mode adds: list items on their own lines as "- item" (indented two
 * spaces per nesting level), table rows on their own lines with cells
 * separated by tabs, and with `links`, "[N]" after each link's text and a
 * "[N] url" list at the end (the same url keeps its number; "#..." and
 * "javascript:" links are not numbered).
 *
 * Caveats: the walk is iterative (parent/next pointers), because libxml2's
 * HTML parser builds arbitrarily deep trees from junk like 200k unclosed
 * <div>s.  libxml2 2.9.14 does not know HTML5 parsing: <section> inside
 * <p> nests, <template> content is live (skipped here), <source> is not
 * void (its "content" is rendered like any other).
 */
#include "strip.h"
#include "xpath.h"

#include "pipe/html.h"
#include "encoding.h"
#include "pipe/plugin.h"
#include "pipe/util.h"
#include "service.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/uri.h>

/*
 * What the walk needs to know of an element's name, found in one lookup
 * (a switch on the first letter, then a few comparisons) instead of
 * searching the lists with strcmp on every element entered and left.
 *   skipped: head, iframe, noscript, script, style, svg, template, title
 *   blocks:  address, article, aside, blockquote, body, caption, center,
 *            dd, details, dialog, dir, div, dl, dt, fieldset, figcaption,
 *            figure, footer, form, h1-h6, header, hgroup, hr, html,
 *            legend, li, main, menu, nav, ol, p, pre, section, summary,
 *            table, tbody, tfoot, thead, tr, ul
 * plus the names with rules of their own (a, br, pre, ul, ol, li, tr, td,
 * th).  Names compare exactly (libxml2's HTML parser lowercases them).
 */
enum {
    TAG_SKIPPED = 1 << 0,
    TAG_BLOCK = 1 << 1,
    TAG_A = 1 << 2,
    TAG_BR = 1 << 3,
    TAG_PRE = 1 << 4,
    TAG_LIST = 1 << 5, /* ul, ol */
    TAG_LI = 1 << 6,
    TAG_TR = 1 << 7,
    TAG_CELL = 1 << 8, /* td, th */
};

static int same(const char *a, const char *b)
{
    while (*a != '\0' && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

static unsigned tag_class(const char *n)
{
    enum { B = TAG_BLOCK, S = TAG_SKIPPED };
    const char *r = n + 1; /* the rest after the first letter */
    switch (n[0]) {
    case 'a':
        if (*r == '\0')
            return TAG_A;
        return same(r, "ddress") || same(r, "rticle") || same(r, "side") ? B : 0;
    case 'b':
        if (same(r, "r"))
            return TAG_BR;
        return same(r, "lockquote") || same(r, "ody") ? B : 0;
    case 'c':
        return same(r, "aption") || same(r, "enter") ? B : 0;
    case 'd':
        return same(r, "d") || same(r, "etails") || same(r, "ialog") ||
                       same(r, "ir") || same(r, "iv") || same(r, "l") ||
                       same(r, "t")
                   ? B : 0;
    case 'f':
        return same(r, "ieldset") || same(r, "igcaption") || same(r, "igure") ||
                       same(r, "ooter") || same(r, "orm")
                   ? B : 0;
    case 'h':
        if (r[0] >= '1' && r[0] <= '6' && r[1] == '\0')
            return B;
        if (same(r, "ead"))
            return S;
        return same(r, "eader") || same(r, "group") || same(r, "r") ||
                       same(r, "tml")
                   ? B : 0;
    case 'i':
        return same(r, "frame") ? S : 0;
    case 'l':
        if (same(r, "i"))
            return B | TAG_LI;
        return same(r, "egend") ? B : 0;
    case 'm':
        return same(r, "ain") || same(r, "enu") ? B : 0;
    case 'n':
        if (same(r, "oscript"))
            return S;
        return same(r, "av") ? B : 0;
    case 'o':
        return same(r, "l") ? B | TAG_LIST : 0;
    case 'p':
        if (*r == '\0')
            return B;
        return same(r, "re") ? B | TAG_PRE : 0;
    case 's':
        if (same(r, "cript") || same(r, "tyle") || same(r, "vg"))
            return S;
        return same(r, "ection") || same(r, "ummary") ? B : 0;
    case 't':
        if (same(r, "d") || same(r, "h"))
            return TAG_CELL;
        if (same(r, "r"))
            return B | TAG_TR;
        if (same(r, "emplate") || same(r, "itle"))
            return S;
        return same(r, "able") || same(r, "body") || same(r, "foot") ||
                       same(r, "head")
                   ? B : 0;
    case 'u':
        return same(r, "l") ? B | TAG_LIST : 0;
    default:
        return 0;
    }
}

int pipe_render_skipped(const char *name)
{
    return (tag_class(name) & TAG_SKIPPED) != 0;
}

int pipe_render_block(const char *name)
{
    return (tag_class(name) & TAG_BLOCK) != 0;
}

typedef struct render {
    int mode, links, nbsp;
    const char *base;  /* links: resolve against this (refs then owned) */
    const char *block_sep;
    pipe_sink_fn sink;
    void *ud;
    int started;       /* something was written */
    int line_start;    /* the last thing written was a newline */
    int pend_space;    /* whitespace seen since the last text */
    int pend_break;    /* 0, 1 = newline, 2 = block separator */
    int pend_tabs;     /* table cell separators owed */
    int pend_item;     /* a list marker owed */
    int list_depth;    /* strip: nesting of ul/ol */
    int item_depth;    /* list depth of the owed marker */
    int pre;           /* inside <pre> */
    int cell;          /* cells seen in the current row */
    int pre_nl;        /* newlines owed inside <pre> */
    char **refs;       /* links: distinct urls, numbered from 1 */
    size_t nrefs, caprefs;
    size_t *slots;     /* open-addressing index of refs: i + 1, 0 = free */
    size_t nslots;     /* a power of two, at least twice nrefs */
    int oom;
    /* pipe_render_spans: the targets and their spans, and a table of
     * them by node (open addressing: span number + 1, 0 = free) */
    pipe_span *spans;
    size_t nspans;
    size_t *span_slots;
    size_t span_mask; /* its size - 1 */
    size_t out;        /* bytes written so far */
    size_t *waiting;   /* targets entered, before their first content */
    size_t nwaiting;
} render;

static void put(render *r, const char *s, size_t n)
{
    if (n > 0) {
        r->sink(r->ud, s, n);
        r->out += n;
    }
}

/* Settle what is owed before visible content. `space` says whether
 * pending whitespace is emitted (not for link markers). */
static void settle(render *r, int space)
{
    if (r->started && (r->pend_break || r->pre_nl)) {
        if (r->pend_break >= 2)
            put(r, r->block_sep, strlen(r->block_sep));
        else
            for (int i = 0; i < (r->pre_nl > 1 ? r->pre_nl : 1); i++)
                put(r, "\n", 1);
        r->line_start = 1;
        r->pend_space = 0;
    }
    r->pend_break = 0;
    r->pre_nl = 0;
    if (r->pend_item) {
        for (int i = 1; i < r->item_depth; i++)
            put(r, "  ", 2);
        put(r, "- ", 2);
        r->pend_item = 0;
        r->line_start = 0;
        r->pend_space = 0;
        r->started = 1;
    }
    if (r->pend_tabs && r->started) {
        for (int i = 0; i < r->pend_tabs; i++)
            put(r, "\t", 1);
        r->line_start = 0;
        r->pend_space = 0;
    }
    r->pend_tabs = 0;
    if (space && r->pend_space && r->started && !r->line_start)
        put(r, " ", 1);
    if (space)
        r->pend_space = 0;
}

static void content(render *r, const char *s, size_t n)
{
    settle(r, 1);
    /* the targets waiting for their first content start here (after
     * what settle wrote: the separators before them are not theirs) */
    for (size_t i = 0; i < r->nwaiting; i++)
        r->spans[r->waiting[i]].start = r->out;
    r->nwaiting = 0;
    put(r, s, n);
    r->started = 1;
    r->line_start = 0;
}

static void want_break(render *r, int level)
{
    if (level > r->pend_break)
        r->pend_break = level;
}

/* Does white space (ASCII, or a no-break space read as one) start at p? */
static inline int space_byte(const render *r, const unsigned char *p)
{
    unsigned char c = p[0];
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
           (c == 0xC2 && p[1] == 0xA0 && !r->nbsp);
}

/* The bytes where a word may end: NUL, ASCII white space, and 0xC2 (the
 * first byte of a no-break space, which space_byte tells apart) */
static const unsigned char word_stop[256] = {
    [0] = 1, [' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1, ['\f'] = 1,
    [0xC2] = 1,
};

static void text_node(render *r, const char *s)
{
    if (r->pre) {
        size_t i = 0;
        while (s[i] != '\0') {
            size_t j = i;
            while (s[j] != '\0' && s[j] != '\n' && s[j] != '\r')
                j++;
            if (j > i)
                content(r, s + i, j - i);
            if (s[j] == '\n' && r->started)
                r->pre_nl++;
            i = s[j] == '\0' ? j : j + 1;
        }
        return;
    }
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (p[i] != '\0') {
        unsigned char c = p[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
            r->pend_space = 1;
            i++;
            continue;
        }
        if (c == 0xC2 && p[i + 1] == 0xA0 && !r->nbsp) {
            r->pend_space = 1;
            i += 2;
            continue;
        }
        /* words with one ASCII space between them go out as one piece
         * (what the space would have settled to) */
        size_t j = i;
        for (;;) {
            /* to the NUL or the white space after the word */
            for (;;) {
                while (!word_stop[p[j]])
                    j++;
                if (p[j] == 0xC2 && !space_byte(r, p + j)) {
                    j++;
                    continue;
                }
                break;
            }
            if (p[j] == ' ' && p[j + 1] != '\0' && !space_byte(r, p + j + 1)) {
                j++;
                continue;
            }
            break;
        }
        content(r, s + i, j - i);
        i = j;
    }
}

static const char *attr_value(xmlNodePtr node, const char *name)
{
    xmlAttrPtr a = xmlHasProp(node, (const xmlChar *)name);
    if (a == NULL || a->type != XML_ATTRIBUTE_NODE)
        return NULL;
    if (a->children == NULL)
        return "";
    if (a->children->next == NULL && a->children->type == XML_TEXT_NODE)
        return a->children->content ? (const char *)a->children->content : "";
    return NULL;
}

static const char *link_href(xmlNodePtr node)
{
    const char *h = attr_value(node, "href");
    if (h == NULL)
        return NULL;
    while (*h == ' ' || *h == '\t' || *h == '\n' || *h == '\r')
        h++;
    if (*h == '\0' || *h == '#' || strncmp(h, "javascript:", 11) == 0)
        return NULL;
    return h;
}

static size_t url_hash(const char *s)
{
    size_t h = 1469598103934665603u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

/* Index refs[0..nrefs) in a table of n slots; -1 on out-of-memory. */
static int reindex(render *r, size_t n)
{
    size_t *t = calloc(n, sizeof *t);
    if (t == NULL)
        return -1;
    for (size_t i = 0; i < r->nrefs; i++) {
        size_t k = url_hash(r->refs[i]) & (n - 1);
        while (t[k] != 0)
            k = (k + 1) & (n - 1);
        t[k] = i + 1;
    }
    free(r->slots);
    r->slots = t;
    r->nslots = n;
    return 0;
}

/* The 1-based number of url (resolved against the base, when there is
 * one), adding it; 0 on out-of-memory.  A page with 50,000 distinct links
 * must not take 50,000 string scans per link. */
static size_t ref_number(render *r, const char *href)
{
    if (r->nslots < 2 * (r->nrefs + 1) &&
        reindex(r, r->nslots ? r->nslots * 2 : 64) != 0) {
        r->oom = 1;
        return 0;
    }
    char *url = NULL;
    if (r->base != NULL) {
        xmlChar *u = xmlBuildURI((const xmlChar *)href, (const xmlChar *)r->base);
        if (u != NULL) {
            url = strdup((const char *)u);
            xmlFree(u);
        }
    }
    if (url == NULL)
        url = strdup(href);
    if (url == NULL) {
        r->oom = 1;
        return 0;
    }
    size_t k = url_hash(url) & (r->nslots - 1);
    for (; r->slots[k] != 0; k = (k + 1) & (r->nslots - 1))
        if (strcmp(r->refs[r->slots[k] - 1], url) == 0) {
            free(url);
            return r->slots[k];
        }
    if (r->nrefs == r->caprefs) {
        size_t cap = r->caprefs ? r->caprefs * 2 : 16;
        char **p = realloc(r->refs, cap * sizeof *p);
        if (p == NULL) {
            free(url);
            r->oom = 1;
            return 0;
        }
        r->refs = p;
        r->caprefs = cap;
    }
    r->refs[r->nrefs++] = url;
    r->slots[k] = r->nrefs;
    return r->nrefs;
}

static size_t node_hash(xmlNodePtr node)
{
    uint64_t h = (uint64_t)(uintptr_t)node;
    h ^= h >> 29;
    h *= 0x9E3779B97F4A7C15u;
    return (size_t)(h >> 32);
}

/* The span of target `node`, or NULL (every element the walk enters and
 * leaves is looked up: one probe or two, not a binary search). */
static pipe_span *span_of(render *r, xmlNodePtr node)
{
    for (size_t i = node_hash(node) & r->span_mask;;
         i = (i + 1) & r->span_mask) {
        size_t k = r->span_slots[i];
        if (k == 0)
            return NULL;
        if (r->spans[k - 1].node == node)
            return &r->spans[k - 1];
    }
}

/* A target entered where its text comes out as it would alone: not
 * inside a <pre> (whose white space a walk started at the target would
 * collapse).  Its text starts with the next content. */
static void span_enter(render *r, xmlNodePtr node)
{
    pipe_span *sp = span_of(r, node);
    if (sp == NULL || sp->state != PIPE_SPAN_UNSEEN || r->pre > 0)
        return;
    sp->state = PIPE_SPAN_OPEN;
    sp->start = sp->end = 0;
    r->waiting[r->nwaiting++] = (size_t)(sp - r->spans);
}

/* Its text ends with the last content before its end (in text mode
 * nothing is written between them). */
static void span_leave(render *r, xmlNodePtr node)
{
    pipe_span *sp = span_of(r, node);
    if (sp == NULL || sp->state != PIPE_SPAN_OPEN)
        return;
    size_t k = (size_t)(sp - r->spans);
    if (r->nwaiting > 0 && r->waiting[r->nwaiting - 1] == k) {
        r->nwaiting--; /* no content: empty */
        sp->start = sp->end = r->out;
    } else {
        sp->end = r->out;
    }
    sp->state = PIPE_SPAN_DONE;
}

/* Returns 1 when the walk should descend into node's children. */
static int enter(render *r, xmlNodePtr node, int is_root)
{
    if (node->type == XML_TEXT_NODE || node->type == XML_CDATA_SECTION_NODE) {
        if (node->content != NULL)
            text_node(r, (const char *)node->content);
        return 0;
    }
    if (node->type == XML_DOCUMENT_NODE ||
        node->type == XML_HTML_DOCUMENT_NODE)
        return 1;
    if (node->type != XML_ELEMENT_NODE || node->name == NULL)
        return 0;
    unsigned t = tag_class((const char *)node->name);
    if (!is_root && (t & TAG_SKIPPED))
        return 0;
    if (r->spans != NULL)
        span_enter(r, node);
    if (t & TAG_BR) {
        want_break(r, 1);
        return 0;
    }
    if (t & TAG_PRE)
        r->pre++;
    if (r->mode == PIPE_RENDER_STRIP) {
        if (t & TAG_LIST) {
            want_break(r, r->list_depth > 0 ? 1 : 2);
            r->list_depth++;
            return 1;
        }
        if (t & TAG_LI) {
            want_break(r, r->list_depth > 0 ? 1 : 2);
            r->pend_item = 1;
            r->item_depth = r->list_depth > 0 ? r->list_depth : 1;
            return 1;
        }
        if (t & TAG_TR) {
            want_break(r, 1);
            r->cell = 0;
            return 1;
        }
        if (t & TAG_CELL) {
            if (r->cell++ > 0)
                r->pend_tabs++;
            return 1;
        }
    } else if (t & TAG_CELL) {
        r->pend_space = 1;
        return 1;
    } else if (t & TAG_TR) {
        want_break(r, 1);
        return 1;
    }
    if (t & TAG_BLOCK)
        want_break(r, 2);
    return 1;
}

static void leave(render *r, xmlNodePtr node)
{
    if (node->type != XML_ELEMENT_NODE || node->name == NULL)
        return;
    if (r->spans != NULL)
        span_leave(r, node);
    unsigned t = tag_class((const char *)node->name);
    if ((t & TAG_PRE) && r->pre > 0)
        r->pre--;
    if (r->mode == PIPE_RENDER_STRIP) {
        if (t & TAG_LIST) {
            if (r->list_depth > 0)
                r->list_depth--;
            want_break(r, r->list_depth > 0 ? 1 : 2);
            r->pend_item = 0;
            return;
        }
        if (t & TAG_LI) {
            want_break(r, r->list_depth > 0 ? 1 : 2);
            r->pend_item = 0;
            return;
        }
        if (t & TAG_TR) {
            want_break(r, 1);
            r->pend_tabs = 0;
            return;
        }
        if (t & TAG_CELL) {
            r->pend_space = 0;
            return;
        }
        if (r->links && (t & TAG_A)) {
            const char *h = link_href(node);
            size_t k = h ? ref_number(r, h) : 0;
            if (k > 0) {
                char tmp[32];
                int len = snprintf(tmp, sizeof tmp, "[%zu]", k);
                settle(r, 0);
                put(r, tmp, (size_t)len);
                r->started = 1;
                r->line_start = 0;
            }
            return;
        }
    } else if (t & TAG_CELL) {
        r->pend_space = 1;
        return;
    }
    if (t & TAG_TR) {
        want_break(r, 1);
        return;
    }
    /* (h1-h6 are blocks) */
    if (t & TAG_BLOCK)
        want_break(r, 2);
}

static void walk(render *r, xmlNodePtr root)
{
    xmlNodePtr node = root;
    for (;;) {
        if (enter(r, node, node == root) && node->children != NULL) {
            node = node->children;
            continue;
        }
        for (;;) {
            leave(r, node);
            if (node == root)
                return;
            if (node->next != NULL) {
                node = node->next;
                break;
            }
            node = node->parent;
            if (node == NULL)
                return;
        }
    }
}

size_t pipe_span_slots(size_t n)
{
    size_t k = 8;
    while (k < 2 * n)
        k *= 2;
    return k;
}

void pipe_render_spans(xmlNodePtr root, int flags, pipe_span *spans,
                       size_t n, size_t *waiting, size_t *slots,
                       pipe_sink_fn sink, void *ud)
{
    render r;
    memset(&r, 0, sizeof r);
    r.mode = PIPE_RENDER_TEXT;
    r.nbsp = (flags & PIPE_RENDER_NBSP) != 0;
    r.block_sep = "\n\n";
    r.sink = sink;
    r.ud = ud;
    size_t nslots = pipe_span_slots(n);
    memset(slots, 0, nslots * sizeof *slots);
    r.spans = spans;
    r.nspans = n;
    r.span_slots = slots;
    r.span_mask = nslots - 1;
    for (size_t i = 0; i < n; i++) {
        spans[i].state = PIPE_SPAN_UNSEEN;
        /* (a node listed twice: its first span; the others stay unseen
         * and are rendered alone) */
        if (span_of(&r, spans[i].node) != NULL)
            continue;
        size_t k = node_hash(spans[i].node) & r.span_mask;
        while (slots[k] != 0)
            k = (k + 1) & r.span_mask;
        slots[k] = i + 1;
    }
    r.waiting = waiting;
    if (root != NULL && n > 0)
        walk(&r, root);
    /* (a target still open: the walk ended inside it; never, as every
     * entered element is left) */
}

int pipe_render(xmlNodePtr root, int mode, const char *block_sep, int flags,
                const char *base, pipe_sink_fn sink, void *ud)
{
    render r;
    memset(&r, 0, sizeof r);
    r.mode = mode;
    r.links = mode == PIPE_RENDER_STRIP && (flags & PIPE_RENDER_LINKS);
    r.nbsp = (flags & PIPE_RENDER_NBSP) != 0;
    r.base = base;
    r.block_sep = block_sep ? block_sep : "\n\n";
    r.sink = sink;
    r.ud = ud;
    if (root == NULL)
        return 0;
    walk(&r, root);
    if (r.links && r.nrefs > 0) {
        for (size_t i = 0; i < r.nrefs; i++) {
            char tmp[40];
            int len = snprintf(tmp, sizeof tmp, "%s[%zu] ",
                               i == 0 ? (r.started ? "\n\n" : "") : "\n",
                               i + 1);
            put(&r, tmp, (size_t)len);
            put(&r, r.refs[i], strlen(r.refs[i]));
        }
    }
    for (size_t i = 0; i < r.nrefs; i++)
        free(r.refs[i]);
    free(r.refs);
    free(r.slots);
    return r.oom ? -1 : 0;
}

/* pipe_buf_add as a pipe_sink_fn: `ud` is the pipe_buf */
static void buf_sink(void *ud, const char *s, size_t n)
{
    pipe_buf_add(ud, s, n);
}

char *pipe_html_text_alloc(xmlNodePtr node, const char *block_sep,
                           size_t *len)
{
    pipe_buf b = {0};
    pipe_render(node, PIPE_RENDER_TEXT, block_sep, 0, NULL, buf_sink, &b);
    return pipe_buf_take(&b, len);
}

char *pipe_strip_alloc(xmlNodePtr node, int flags, const char *base,
                       size_t *len)
{
    pipe_buf b = {0};
    if (pipe_render(node, PIPE_RENDER_STRIP, "\n\n", flags, base,
                    buf_sink, &b) < 0) {
        free(b.p);
        return NULL;
    }
    return pipe_buf_take(&b, len);
}

char *pipe_html_strip(xmlNodePtr node, int links, size_t *len)
{
    return pipe_strip_alloc(node, links ? PIPE_RENDER_LINKS : 0, NULL, len);
}

/* the first element `name` below `root` with attribute `attr` whose value
 * (space-separated words, case-insensitive) holds `word` (NULL: any),
 * returning attribute `want` */
static const char *find_attr(xmlNodePtr root, const char *name,
                             const char *attr, const char *word,
                             const char *want)
{
    for (xmlNodePtr node = root; node != NULL;
         node = pipe_xpath_walk_next(node, root)) {
        if (node->type == XML_ELEMENT_NODE && node->name != NULL &&
            strcmp((const char *)node->name, name) == 0) {
            const char *v = attr_value(node, attr);
            const char *w = attr_value(node, want);
            int hit = v != NULL && w != NULL;
            if (hit && word != NULL) {
                size_t n = strlen(word);
                hit = 0;
                for (const char *p = v; *p && !hit;) {
                    while (*p == ' ' || *p == '\t' || *p == '\n')
                        p++;
                    const char *e = p;
                    while (*e && *e != ' ' && *e != '\t' && *e != '\n')
                        e++;
                    hit = (size_t)(e - p) == n && strncasecmp(p, word, n) == 0;
                    p = e;
                }
            }
            if (hit)
                return w;
        }
    }
    return NULL;
}

static int absolute_url(const char *u)
{
    const char *p = u;
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
        return 0;
    while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
           (*p >= '0' && *p <= '9') || *p == '+' || *p == '-' || *p == '.')
        p++;
    return p[0] == ':' && p[1] == '/' && p[2] == '/';
}

/* href resolved against base (either may be NULL); malloc'd when the
 * result is absolute, else NULL */
static char *absolute_of(const char *href, const char *base)
{
    if (href == NULL)
        return NULL;
    while (*href == ' ' || *href == '\t' || *href == '\n' || *href == '\r')
        href++;
    if (*href == '\0')
        return NULL;
    xmlChar *u = base ? xmlBuildURI((const xmlChar *)href, (const xmlChar *)base)
                      : xmlStrdup((const xmlChar *)href);
    char *out = u != NULL && absolute_url((const char *)u)
                    ? strdup((const char *)u) : NULL;
    xmlFree(u);
    return out;
}

char *pipe_link_base(xmlDocPtr doc, const char *given)
{
    xmlNodePtr root = (xmlNodePtr)doc;
    const char *base = find_attr(root, "base", "href", NULL, "href");
    /* the page: --url, else what the page says it is */
    char *page = given ? strdup(given) : NULL;
    char *abase = absolute_of(base, NULL);
    if (page == NULL)
        page = absolute_of(find_attr(root, "link", "rel", "canonical", "href"), abase);
    if (page == NULL)
        page = absolute_of(find_attr(root, "meta", "property", "og:url", "content"), abase);
    free(abase);
    /* links resolve against <base href> (itself against the page), as a
     * browser does */
    char *b = absolute_of(base, page);
    if (b != NULL) {
        free(page);
        return b;
    }
    return page;
}

int pipe_html_is_hidden(const char *tag)
{
    return pipe_render_skipped(tag);
}

int pipe_html_is_block(const char *tag)
{
    return pipe_render_block(tag);
}

/* ------------------------------------------------------------------ */
/* `pipe strip`                                                        */

const char pipe_strip_help[] =
    "usage: pipe strip [--links] [--url URL] [--from FILE] [INPUT...]\n"
    "\n"
    "Print each page as readable plain text: paragraphs and other blocks\n"
    "separated by a blank line, headings on their own lines, <br> as a line\n"
    "break, list items as \"- item\", table cells separated by tabs; head,\n"
    "script, style, noscript, template, svg and iframe content dropped;\n"
    "entities decoded and whitespace collapsed (a no-break space counts as\n"
    "a space).  With no INPUT, or when INPUT is -, read standard input;\n"
    ".gz inputs are decompressed.  Several inputs print one after another.\n"
    "\n"
    "options:\n"
    "  --links        mark each link's text with [N] and list the targets\n"
    "                 as \"[N] url\" lines at the end, made absolute against\n"
    "                 the page URL\n"
    "  --url URL      the page URL for --links (default: <base href>, the\n"
    "                 canonical link, og:url)\n"
    "  --from FILE    also read input paths from FILE, one per line (- for\n"
    "                 standard input)\n"
    PIPE_COMMON_HELP
    "  -h, --help     show this help\n"
    "\n"
    "exit status: 0 ok, 1 some input failed, 2 usage error\n"
    "\n"
    "examples:\n"
    "  pipe strip page.html\n"
    "  pipe strip --links page.html.gz | less\n";

typedef struct strip_opts {
    int links;
    const char *url;
} strip_opts;

static int strip_input(pipe_host *host, const pipe_input *in, void *ud)
{
    const strip_opts *o = ud;
    xmlDocPtr doc = pipe_html_parse_input(host, in);
    if (doc == NULL)
        return -1;
    size_t len = 0;
    char *base =
        o->links ? pipe_link_base(doc, o->url ? o->url : in->url) : NULL;
    char *text = pipe_strip_alloc((xmlNodePtr)doc,
                                  o->links ? PIPE_RENDER_LINKS : 0, base, &len);
    free(base);
    pipe_html_free_doc(doc, 0);
    if (text == NULL) {
        pipe_host_fail(host, in->source, "out of memory");
        return -1;
    }
    FILE *out = pipe_host_out(host);
    if (len > 0) {
        fwrite(text, 1, len, out);
        fputc('\n', out);
    }
    free(text);
    pipe_host_flush(host);
    return 0;
}

int pipe_strip_main(pipe_host *host, int argc, char **argv)
{
    strip_opts o = {0, NULL};
    const char *from = NULL;
    char **inputs = malloc(sizeof(char *) * (size_t)(argc + 1));
    if (inputs == NULL)
        return pipe_host_usage(host, "out of memory");
    int n = 0;
    const pipe_opt table[] = {
        {"--links", NULL, PIPE_OPT_FLAG, &o.links, 0, NULL},
        {"--url", NULL, PIPE_OPT_VALUE, &o.url, 0, NULL},
        {"--from", NULL, PIPE_OPT_VALUE, &from, 0, NULL},
        {NULL, NULL, 0, NULL, 0, NULL},
    };
    int rc = pipe_host_parse(host, "strip", pipe_strip_help, table, argc, argv,
                             inputs, &n);
    if (rc == PIPE_OPTS_OK)
        rc = pipe_host_each_input(host, inputs, n, from, strip_input, &o);
    free(inputs);
    return rc;
}
