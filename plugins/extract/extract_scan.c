/*
 * extract plugin, the page scanner (see extract.h): one walk over a tree
 * that collects the elements lib/meta looks at, instead of one XPath scan
 * (with its string conversions) per question.
 *
 *   extract.scanner(spec) -> Scanner
 *     spec.tags      {"h1", "time", ...}   elements by (lowercase) tag name
 *     spec.attrs     {"itemprop", ...}     elements carrying the attribute
 *     spec.words     {rel = {"author"}, ...}: of the elements carrying an
 *                    attribute of spec.attrs named here, only those whose
 *                    value has one of the words (split at ASCII white
 *                    space, ASCII case ignored)
 *     spec.classes   {group = {"date", "datum", ...}, ...}: elements whose
 *                    class or id contains one of the words (ASCII case
 *                    ignored)
 *     spec.prefixes  {"By ", "Von ", ...}  elements whose own text starts
 *                    with one (a prefix's trailing space may also be the
 *                    end of the text: "<span>By</span> <a>...</a>")
 *     spec.digits    N: elements whose own text holds a digit within its
 *                    first N bytes
 *     spec.script_types {"ld+json", ...}: <script>s are collected by tag
 *                    only when their type attribute contains one of these
 *                    (case ignored); without it, all of them
 *     spec.away      {"comment", "sidebar", ...}: facts.away[name][i] is
 *                    true when element i of list name lies in a comment
 *                    thread, a sidebar and the like: an ancestor (or
 *                    itself) whose class or id names that, by the first
 *                    part of a name ("comment-author", "sidebar-left") or
 *                    the second of two ("primary-sidebar", not
 *                    "has-sidebar"), and which does not hold the page's
 *                    first <h1> (a page may call its content column
 *                    "sidebar"); a <nav>; an <aside> outside any
 *                    <article>; an itemscope of a Comment
 *     spec.values    {"class", "datetime", ...}: facts.values[name][i] is a
 *                    table of those attributes of element i of list name
 *                    (the ones it has), read in the walk: no attribute
 *                    call per element afterwards
 *     spec.meta_index true: facts.meta_index = {key = {content...}}, the
 *                    content of every <meta> by each whitespace-separated,
 *                    lowercased word of its property, name, itemprop and
 *                    http-equiv, in document order
 *     spec.index     true: a spec of tags, script_types and meta_tags
 *                    only is answered from the Document's element index
 *                    when it has one (pipe_html_each_tag) instead of a
 *                    walk: the same lists, but no facts.pos; "only": and
 *                    without the index scan returns nil (no walk)
 *     spec.meta_tags true: facts.meta_tags, the same lists as meta_index
 *                    but made only for the keys read: an object indexed
 *                    like the table (meta_tags[key] -> {content...} | nil;
 *                    the same list for each read of a key), whose strings
 *                    are copied in the scan (an edit of the page after it
 *                    changes nothing); no pairs, no length
 *   scanner:scan(doc_or_node) -> facts
 *     facts[tag], facts[attr], facts[group], facts.prefixed, facts.digits:
 *     lists of Nodes in document order; facts.pos[name]: the elements'
 *     document positions (pre-order element counts), so a caller can tell
 *     what stands before or after what.
 *
 * "Own text": the element's direct text children, whitespace runs
 * collapsed, trimmed.  The walk does not enter script, style, template
 * and svg (their elements are still collected by tag).
 *
 * Caveats: the compiled spec is one userdata holding its strings, so a
 * Scanner needs no finaliser and can live in a module upvalue; a scan
 * keeps nothing between calls.
 */
#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include <libxml/tree.h>

#include "pipe/html.h"
#include "pipe/util.h"

#include "extract.h"

#define SCANNER_MT "pipe.Scanner"
#define META_TAGS_MT "pipe.MetaTags"
#define MAX_NAMES 32      /* tags, attrs, prefixes */
#define MAX_GROUPS 8
#define MAX_WORDS 128
#define OWN_TEXT 256      /* bytes of own text looked at */

typedef struct group {
    const char *name;
    int first, n;         /* its words: words[first .. first+n) */
} group;

typedef struct scanner {
    int ntags, nattrs, ngroups, nwords, nprefixes, digits, meta_index;
    int meta_tags, index;
    int nstypes;
    size_t textcap;       /* bytes of own text a scan needs, + 1 */
    const char *stypes[MAX_NAMES];
    int naway;
    const char *away[MAX_NAMES];
    int nvalues;
    /* spec.words: attrs[i]'s words are awords[aw_first[i] .. + aw_n[i]) */
    int naw_total;
    int aw_first[MAX_NAMES], aw_n[MAX_NAMES];
    const char *awords[MAX_WORDS];
    const char *values[MAX_NAMES];
    const char *tags[MAX_NAMES];
    const char *attrs[MAX_NAMES];
    group groups[MAX_GROUPS];
    const char *words[MAX_WORDS];
    const char *prefixes[MAX_NAMES];
    size_t plen[MAX_NAMES];
    /* the prefixes by first byte: porder[pstart[b] .. pstart[b + 1]) (an
     * empty prefix, which every text has, in bucket 0: pempty) */
    unsigned char porder[MAX_NAMES];
    unsigned char pstart[257];
    int pempty;
    /* the words bucketed by first letter (see groups_in) */
    const char *wsorted[MAX_WORDS];
    unsigned wgroup[MAX_WORDS];
    int wstart[37];
    signed char wbucket[256];   /* a byte's bucket (ASCII case ignored),
                                 * -1 when no word starts with it */
    uint64_t wpair[36][4];      /* bucket b: the (lowercase) second bytes
                                 * its words have; all for a 1-byte word */
    char *next;           /* string space left */
    char strings[];
} scanner;

/* Strings of the list on top of the stack (named `key` in messages):
 * adds to *bytes and *count, checks them. */
static void measure_top(lua_State *L, const char *key, int max,
                        size_t *bytes, int *count)
{
    if (!lua_istable(L, -1))
        luaL_error(L, "extract.scanner: '%s' must be a list", key);
    lua_Integer n = luaL_len(L, -1);
    if (n > max)
        luaL_error(L, "extract.scanner: '%s' has more than %d entries", key,
                   max);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, -1, i);
        if (lua_type(L, -1) != LUA_TSTRING)
            luaL_error(L, "extract.scanner: '%s' entry %d is not a string",
                       key, (int)i);
        *bytes += lua_rawlen(L, -1) + 1;
        (*count)++;
        lua_pop(L, 1);
    }
}

static void measure_list(lua_State *L, int t, const char *key, int max,
                         size_t *bytes, int *count)
{
    lua_getfield(L, t, key);
    if (!lua_isnil(L, -1))
        measure_top(L, key, max, bytes, count);
    lua_pop(L, 1);
}

static const char *copy(scanner *s, const char *v, int lower)
{
    size_t n = strlen(v);
    char *d = s->next;
    for (size_t i = 0; i < n; i++)
        d[i] = lower ? (char)tolower((unsigned char)v[i]) : v[i];
    d[n] = '\0';
    s->next += n + 1;
    return d;
}

/* Copy the list spec[key] into out (count in *n). */
static void copy_list(lua_State *L, int t, const char *key, scanner *s,
                      const char **out, int *n, int lower)
{
    *n = 0;
    lua_getfield(L, t, key);
    if (lua_istable(L, -1)) {
        lua_Integer len = luaL_len(L, -1);
        for (lua_Integer i = 1; i <= len; i++) {
            lua_rawgeti(L, -1, i);
            out[(*n)++] = copy(s, lua_tostring(L, -1), lower);
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 1);
}

static void index_words(scanner *s)
{
    int count[37] = {0}, at[37];
    for (int g = 0; g < s->ngroups; g++)
        for (int i = 0; i < s->groups[g].n; i++) {
            int b = pipe_extract_bucket(
                (unsigned char)s->words[s->groups[g].first + i][0]);
            if (b >= 0)
                count[b]++;
        }
    s->wstart[0] = 0;
    for (int b = 0; b < 36; b++) {
        at[b] = s->wstart[b];
        s->wstart[b + 1] = s->wstart[b] + count[b];
    }
    for (int g = 0; g < s->ngroups; g++)
        for (int i = 0; i < s->groups[g].n; i++) {
            const char *w = s->words[s->groups[g].first + i];
            int b = pipe_extract_bucket((unsigned char)w[0]);
            if (b < 0)
                continue;   /* words start with a letter or digit */
            s->wsorted[at[b]] = w;
            s->wgroup[at[b]++] = 1u << g;
            unsigned char c1 = (unsigned char)w[1];
            if (c1 == '\0')
                memset(s->wpair[b], 0xff, sizeof s->wpair[b]);
            else
                s->wpair[b][c1 >> 6] |= (uint64_t)1 << (c1 & 63);
        }
    for (int c = 0; c < 256; c++) {
        int b = pipe_extract_bucket((unsigned char)tolower(c));
        s->wbucket[c] = (signed char)(b >= 0 && s->wstart[b + 1] > s->wstart[b]
                                      ? b : -1);
    }
}

/* extract.scanner(spec) -> Scanner */
int pipe_extract_scanner(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    size_t bytes = 0;
    int count = 0, ngroups = 0, nwords = 0;
    measure_list(L, 1, "tags", MAX_NAMES, &bytes, &count);
    measure_list(L, 1, "attrs", MAX_NAMES, &bytes, &count);
    measure_list(L, 1, "prefixes", MAX_NAMES, &bytes, &count);
    measure_list(L, 1, "script_types", MAX_NAMES, &bytes, &count);
    measure_list(L, 1, "away", MAX_NAMES, &bytes, &count);
    measure_list(L, 1, "values", MAX_NAMES, &bytes, &count);
    int nawords = 0;
    lua_getfield(L, 1, "words");
    if (!lua_isnil(L, -1)) {
        if (!lua_istable(L, -1))
            luaL_error(L, "extract.scanner: 'words' must be a table of lists");
        lua_pushnil(L);
        while (lua_next(L, 2)) {
            if (lua_type(L, -2) != LUA_TSTRING)
                luaL_error(L, "extract.scanner: 'words' keys are attribute "
                              "names");
            int before = count;
            measure_top(L, lua_tostring(L, -2), MAX_WORDS, &bytes, &count);
            nawords += count - before;
            lua_pop(L, 1);
        }
        if (nawords > MAX_WORDS)
            luaL_error(L, "extract.scanner: more than %d attribute words",
                       MAX_WORDS);
    }
    lua_pop(L, 1);
    lua_getfield(L, 1, "classes");
    if (!lua_isnil(L, -1)) {
        if (!lua_istable(L, -1))
            luaL_error(L, "extract.scanner: 'classes' must be a table of "
                          "lists");
        lua_pushnil(L);
        while (lua_next(L, 2)) {
            if (lua_type(L, -2) != LUA_TSTRING)
                luaL_error(L, "extract.scanner: 'classes' keys are group "
                              "names");
            if (++ngroups > MAX_GROUPS)
                luaL_error(L, "extract.scanner: more than %d class groups",
                           MAX_GROUPS);
            bytes += lua_rawlen(L, -2) + 1;
            int before = count;
            measure_top(L, lua_tostring(L, -2), MAX_WORDS, &bytes, &count);
            nwords += count - before;
            lua_pop(L, 1);
        }
        if (nwords > MAX_WORDS)
            luaL_error(L, "extract.scanner: more than %d class words",
                       MAX_WORDS);
    }
    lua_pop(L, 1);
    int digits = 0;
    lua_getfield(L, 1, "digits");
    if (!lua_isnil(L, -1)) {
        int ok;
        lua_Integer d = lua_tointegerx(L, -1, &ok);
        if (!ok || d < 0 || d > OWN_TEXT)
            luaL_error(L, "extract.scanner: 'digits' must be an integer "
                          "0..%d", OWN_TEXT);
        digits = (int)d;
    }
    lua_pop(L, 1);
    lua_getfield(L, 1, "meta_index");
    int meta_index = lua_toboolean(L, -1);
    lua_pop(L, 1);
    lua_getfield(L, 1, "meta_tags");
    int meta_tags = lua_toboolean(L, -1);
    lua_pop(L, 1);
    lua_getfield(L, 1, "index");
    int use_index = lua_toboolean(L, -1);
    if (lua_type(L, -1) == LUA_TSTRING) {
        if (strcmp(lua_tostring(L, -1), "only") != 0)
            luaL_error(L, "extract.scanner: 'index' must be true or \"only\"");
        use_index = 2;
    }
    lua_pop(L, 1);

    /* the userdata gets its metatable before anything is copied in */
    scanner *s = lua_newuserdatauv(L, sizeof *s + bytes, 0);
    memset(s, 0, sizeof *s);
    s->next = s->strings;
    luaL_setmetatable(L, SCANNER_MT);
    copy_list(L, 1, "tags", s, s->tags, &s->ntags, 1);
    copy_list(L, 1, "attrs", s, s->attrs, &s->nattrs, 1);
    copy_list(L, 1, "prefixes", s, s->prefixes, &s->nprefixes, 0);
    copy_list(L, 1, "script_types", s, s->stypes, &s->nstypes, 1);
    copy_list(L, 1, "away", s, s->away, &s->naway, 1);
    copy_list(L, 1, "values", s, s->values, &s->nvalues, 1);
    lua_getfield(L, 1, "words");
    if (lua_istable(L, -1)) {
        for (int i = 0; i < s->nattrs; i++) {
            s->aw_first[i] = s->naw_total;
            lua_getfield(L, -1, s->attrs[i]);
            if (lua_istable(L, -1)) {
                lua_Integer len = luaL_len(L, -1);
                for (lua_Integer k = 1; k <= len; k++) {
                    lua_rawgeti(L, -1, k);
                    s->awords[s->naw_total++] = copy(s, lua_tostring(L, -1), 1);
                    lua_pop(L, 1);
                }
            }
            s->aw_n[i] = s->naw_total - s->aw_first[i];
            lua_pop(L, 1);
        }
        /* a key that names no attribute of spec.attrs is a mistake */
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            const char *k = lua_tostring(L, -2);
            int known = 0;
            for (int i = 0; i < s->nattrs; i++)
                known |= strcmp(k, s->attrs[i]) == 0;
            if (!known)
                luaL_error(L, "extract.scanner: 'words' key '%s' is not one "
                              "of 'attrs'", k);
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 1);
    /* own text is read only as far as a prefix or the digit window
     * reaches: a text cut there starts, and holds a digit early, exactly
     * when the whole one does */
    size_t need = (size_t)digits;
    for (int i = 0; i < s->nprefixes; i++) {
        s->plen[i] = strlen(s->prefixes[i]);
        if (s->plen[i] > need)
            need = s->plen[i];
        if (s->plen[i] == 0)
            s->pempty = 1;
    }
    /* (a counting sort of the prefixes by first byte) */
    unsigned char pcount[256] = {0};
    for (int i = 0; i < s->nprefixes; i++)
        pcount[(unsigned char)s->prefixes[i][0]]++;
    s->pstart[0] = 0;
    for (int b = 0; b < 256; b++)
        s->pstart[b + 1] = (unsigned char)(s->pstart[b] + pcount[b]);
    unsigned char fill[256];
    memcpy(fill, s->pstart, sizeof fill);
    for (int i = 0; i < s->nprefixes; i++)
        s->porder[fill[(unsigned char)s->prefixes[i][0]]++] = (unsigned char)i;
    s->textcap = (need < OWN_TEXT ? need : OWN_TEXT) + 1;
    s->digits = digits;
    s->meta_index = meta_index;
    s->meta_tags = meta_tags;
    s->index = use_index;
    lua_getfield(L, 1, "classes");
    if (lua_istable(L, -1)) {
        int t = lua_gettop(L);
        lua_pushnil(L);
        while (lua_next(L, t)) {
            group *g = &s->groups[s->ngroups++];
            g->name = copy(s, lua_tostring(L, -2), 0);
            g->first = s->nwords;
            int n = 0;
            lua_Integer len = luaL_len(L, -1);
            for (lua_Integer i = 1; i <= len; i++) {
                lua_rawgeti(L, -1, i);
                s->words[s->nwords + n++] = copy(s, lua_tostring(L, -1), 1);
                lua_pop(L, 1);
            }
            g->n = n;
            s->nwords += n;
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 1);
    index_words(s);
    return 1;
}

/* One scan's state: the stack indexes of the result lists. */
typedef struct scan {
    lua_State *L;
    const scanner *s;
    int owner;                 /* stack index of the doc or node */
    int tag_lists, attr_lists, group_lists, prefixed, digits;
    int base;                  /* first list's stack index */
    int meta_index;            /* stack index of the meta index, or 0 */
    int vbase;                 /* first values list's stack index, or 0 */
    int nlists;
    int counts[2 * MAX_NAMES + MAX_GROUPS + 2];
    /* what the walk collected, in order: the lists are made after it,
     * each at its size (found: a userdata at stack index found_idx,
     * grown as E) */
    struct found *found;
    int nfound, found_cap, found_idx;
    int vnames;                /* stack index of spec.values' first name */
    int pos;                   /* pre-order element count */
    /* with spec.away: every element's parent, subtree end and kind, by
     * position (grown as the walk goes: no counting walk first) */
    struct elem *E;
    int cap;
    int E_idx;                 /* stack index of E's userdata */
    int h1pos;                 /* the first <h1>, 0 when none */
    /* with spec.meta_tags: the <meta>s with a content attribute, in
     * document order (a userdata at stack index metas_idx, grown as E) */
    struct mt_meta *metas;
    int nmetas, metas_cap, metas_idx;
    int from_index;            /* answered from the element index: no
                                * positions */
    const pipe_html_api *html; /* looked up once a scan, not per node */
    xmlNodePtr root;
    int list;                  /* from the index: the tag list filled */
} scan;

enum { E_AWAY = 1, E_NAV = 2, E_ASIDE = 4, E_ARTICLE = 8, E_STOP = 16 };

typedef struct elem {
    int parent, end;           /* positions; end is past the subtree */
    const xmlNode *node;
    unsigned char flags, known; /* flags computed on first use */
} elem;

typedef struct found {
    xmlNodePtr node;
    int pos, k;
} found;

/* A growing array boxed in the userdata at stack slot idx (so a raise
 * frees it): a box twice the size in the same slot, the n elements of
 * `size` bytes copied over; *cap doubled. */
static void *grow_boxed(lua_State *L, int idx, const void *old, int n,
                        int *cap, size_t size)
{
    int nc = *cap * 2;
    void *v = lua_newuserdatauv(L, (size_t)nc * size, 0);
    memcpy(v, old, (size_t)n * size);
    lua_replace(L, idx);
    *cap = nc;
    return v;
}

/* Note the node for list k (at its position): fill_lists puts it there. */
static void add(scan *sc, int k, xmlNodePtr n)
{
    sc->counts[k]++;
    if (sc->nfound == sc->found_cap)
        sc->found = grow_boxed(sc->L, sc->found_idx, sc->found, sc->nfound,
                               &sc->found_cap, sizeof *sc->found);
    sc->found[sc->nfound++] = (found){n, sc->pos, k};
}

/* Push the table of spec.values attributes of n (each as
 * pipe_extract_attr reads it: the first of its name). */
static void push_values(scan *sc, const xmlNode *n)
{
    lua_State *L = sc->L;
    const scanner *s = sc->s;
    const char *v[MAX_NAMES];
    int nv = 0;
    uint64_t seen = 0;
    memset(v, 0, sizeof v);
    for (const xmlAttr *a = n->properties; a; a = a->next) {
        if (a->ns != NULL)
            continue;
        const char *name = (const char *)a->name;
        for (int i = 0; i < s->nvalues; i++) {
            if ((seen & ((uint64_t)1 << i)) || name[0] != s->values[i][0]
                || strcmp(name, s->values[i]) != 0)
                continue;
            seen |= (uint64_t)1 << i;
            const xmlNode *t = a->children;
            if (t == NULL)
                v[i] = "";
            else if (t->type == XML_TEXT_NODE && t->next == NULL && t->content)
                v[i] = (const char *)t->content;
            nv += v[i] != NULL;
            break;
        }
    }
    lua_createtable(L, 0, nv);
    for (int i = 0; nv > 0 && i < s->nvalues; i++)
        if (v[i]) {
            lua_pushvalue(L, sc->vnames + i);
            lua_pushstring(L, v[i]);
            lua_rawset(L, -3);
        }
}

/* The result lists, each made at its size, filled with what add noted
 * (Nodes, positions, values), from stack index sc->base on. */
static void fill_lists(scan *sc)
{
    lua_State *L = sc->L;
    luaL_checkstack(L, 3 * sc->nlists + 8, "extract: scan");
    sc->base = lua_gettop(L) + 1;
    for (int k = 0; k < sc->nlists; k++) {
        lua_createtable(L, sc->counts[k], 0);
        lua_createtable(L, sc->from_index ? 0 : sc->counts[k], 0);
    }
    if (sc->s->nvalues > 0) {
        sc->vbase = lua_gettop(L) + 1;
        for (int k = 0; k < sc->nlists; k++)
            lua_createtable(L, sc->counts[k], 0);
    }
    int filled[2 * MAX_NAMES + MAX_GROUPS + 2] = {0};
    for (int i = 0; i < sc->nfound; i++) {
        const found *f = &sc->found[i];
        int k = f->k, c = ++filled[k];
        sc->html->push_node(L, sc->owner, f->node);
        lua_rawseti(L, sc->base + 2 * k, c);
        if (!sc->from_index) {
            lua_pushinteger(L, f->pos);
            lua_rawseti(L, sc->base + 2 * k + 1, c);
        }
        if (sc->vbase) {
            push_values(sc, f->node);
            lua_rawseti(L, sc->vbase + k, c);
        }
    }
}

/* The groups (bit g for group g) with a word inside v, ASCII case
 * ignored: each position of v is compared only with the words that start
 * with its letter, and only when one of them goes on with the next. */
static unsigned groups_in(const scanner *s, const char *v)
{
    unsigned hits = 0, all = (1u << s->ngroups) - 1;
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        int b = s->wbucket[*p];
        if (b < 0)
            continue;
        unsigned char c1 = (unsigned char)pipe_extract_lower(p[1]);
        if (!(s->wpair[b][c1 >> 6] & ((uint64_t)1 << (c1 & 63))))
            continue;
        for (int i = s->wstart[b]; i < s->wstart[b + 1]; i++) {
            const char *w = s->wsorted[i];
            size_t k = 1;
            while (w[k] && p[k] && pipe_extract_lower(p[k]) == (unsigned char)w[k])
                k++;
            if (!w[k])
                hits |= s->wgroup[i];
        }
        if (hits == all)
            break;
    }
    return hits;
}

/* the element's own text, collapsed and trimmed, into buf (at most cap-1
 * bytes); returns its length */
/* own_text's spaces (1) and the string's end (2) */
static const unsigned char OWN_STOP[256] = {
    [0] = 2, [' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1, ['\f'] = 1,
};

static size_t own_text(xmlNodePtr n, char *buf, size_t cap)
{
    size_t k = 0;
    int space = 0;
    for (xmlNodePtr c = n->children; c && k < cap - 1; c = c->next) {
        if (c->type != XML_TEXT_NODE || !c->content)
            continue;
        const xmlChar *p = c->content;
        /* the spaces before any text: indentation between elements is
         * most text nodes */
        if (k == 0) {
            while (OWN_STOP[*p] == 1)
                p++;
        }
        for (; *p && k < cap - 1; p++) {
            if (OWN_STOP[*p] == 1) {
                space = k > 0;
                continue;
            }
            if (space) {
                buf[k++] = ' ';
                space = 0;
                if (k >= cap - 1)
                    break;
            }
            buf[k++] = (char)*p;
        }
        /* text children are separated by elements: a boundary is a space */
        space = k > 0;
    }
    buf[k] = '\0';
    return k;
}

static int prefix_hit(const scanner *s, const char *t, size_t len)
{
    if (s->pempty)
        return 1;
    /* only the prefixes that start with t's first byte */
    unsigned char b = (unsigned char)t[0];
    for (int j = s->pstart[b]; j < s->pstart[b + 1]; j++) {
        int i = s->porder[j];
        size_t pl = s->plen[i];
        if (len >= pl && memcmp(t, s->prefixes[i], pl) == 0)
            return 1;
        /* "By " matches the whole text "By" */
        if (pl > 1 && s->prefixes[i][pl - 1] == ' ' && len == pl - 1
            && memcmp(t, s->prefixes[i], len) == 0)
            return 1;
    }
    return 0;
}

/* <meta>: its content under each lowercased word of its key attributes */
static void index_meta(scan *sc, const xmlNode *n)
{
    static const char *const keys[] = {"property", "name", "itemprop",
                                       "http-equiv"};
    const char *content = pipe_extract_attr(n, "content");
    if (!content)
        return;
    lua_State *L = sc->L;
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        const char *v = pipe_extract_attr(n, keys[k]);
        if (!v)
            continue;
        while (*v) {
            while (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r'
                   || *v == '\f')
                v++;
            if (!*v)
                break;
            char word[128];
            size_t w = 0;
            while (*v && !(*v == ' ' || *v == '\t' || *v == '\n'
                           || *v == '\r' || *v == '\f')) {
                if (w < sizeof word - 1)
                    word[w++] = (char)tolower((unsigned char)*v);
                v++;
            }
            word[w] = '\0';
            if (lua_getfield(L, sc->meta_index, word) != LUA_TTABLE) {
                lua_pop(L, 1);
                lua_newtable(L);
                lua_pushvalue(L, -1);
                lua_setfield(L, sc->meta_index, word);
            }
            lua_pushstring(L, content);
            lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
            lua_pop(L, 1);
        }
    }
}

/* ------------------------------------------------------------------ */
/* spec.meta_tags: the <meta> index made per key when read             */

/* The object: a hash table of the keys, each with its contents chained
 * in document order, and the strings, in one userdata (no finaliser);
 * its user value is the table of the lists made so far. */
typedef struct mt_key {
    uint32_t off, len;    /* the key's bytes in strings */
    uint32_t hash;
    uint32_t first, last; /* its chain of pairs */
    uint32_t n;
} mt_key;

typedef struct mt_pair {
    uint32_t off, len;    /* the content's bytes in strings */
    uint32_t next;        /* the key's next pair + 1, 0: none */
} mt_pair;

typedef struct meta_tags {
    uint32_t nslots;      /* a power of two; slot: key index + 1, 0: empty */
    uint32_t nkeys;
    uint32_t *slots;
    mt_key *keys;
    mt_pair *pairs;
    char *strings;
} meta_tags;

/* A <meta>'s content and key attributes (property, name, itemprop,
 * http-equiv), as pipe_extract_attr reads each: the first of its name, NULL
 * when absent or not one text node. */
enum { MT_CONTENT, MT_NKEYS = 4 };
typedef struct mt_meta {
    const char *v[1 + MT_NKEYS]; /* content, then the keys */
} mt_meta;

static const char *const META_ATTRS[] = {"content", "property", "name",
                                         "itemprop", "http-equiv"};
#define META_KEY_MAX 127  /* bytes of a key word kept (as meta_index) */

static void meta_attrs(const xmlNode *n, mt_meta *out)
{
    unsigned seen = 0;
    memset(out, 0, sizeof *out);
    for (const xmlAttr *a = n->properties; a; a = a->next) {
        if (a->ns != NULL)
            continue;
        const char *name = (const char *)a->name;
        for (unsigned k = 0; k <= MT_NKEYS; k++) {
            if ((seen & (1u << k)) || name[0] != META_ATTRS[k][0]
                || strcmp(name, META_ATTRS[k]) != 0)
                continue;
            seen |= 1u << k;
            const xmlNode *v = a->children;
            if (v == NULL)
                out->v[k] = "";
            else if (v->type == XML_TEXT_NODE && v->next == NULL && v->content)
                out->v[k] = (const char *)v->content;
            break;
        }
    }
}

static int meta_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* the slot of key k (its index + 1 there), or the empty one it would take */
static uint32_t *mt_slot(const meta_tags *m, const char *k, size_t len,
                         uint32_t h)
{
    uint32_t mask = m->nslots - 1;
    for (uint32_t i = h & mask;; i = (i + 1) & mask) {
        uint32_t *sl = &m->slots[i];
        if (*sl == 0)
            return sl;
        const mt_key *e = &m->keys[*sl - 1];
        if (e->hash == h && e->len == len
            && memcmp(m->strings + e->off, k, len) == 0)
            return sl;
    }
}

/* Pair content (coff, clen) with key word w under its key. */
static void mt_add(meta_tags *m, uint32_t *npairs, uint32_t *at,
                   const char *w, size_t len, uint32_t coff, uint32_t clen)
{
    uint32_t h = pipe_hash_bytes(PIPE_HASH_SEED, w, len);
    uint32_t *sl = mt_slot(m, w, len, h);
    uint32_t p = (*npairs)++;
    m->pairs[p] = (mt_pair){coff, clen, 0};
    if (*sl == 0) {
        memcpy(m->strings + *at, w, len);
        m->keys[m->nkeys] = (mt_key){*at, (uint32_t)len, h, p, p, 0};
        *at += (uint32_t)len;
        *sl = ++m->nkeys;
    } else {
        mt_key *e = &m->keys[*sl - 1];
        m->pairs[e->last].next = p + 1;
        e->last = p;
    }
    m->keys[*sl - 1].n++;
}

/* Push the MetaTags object of the scan's <meta>s. */
static void push_meta_tags(lua_State *L, const scan *sc)
{
    /* room: every key word (cut as the words are) and every content */
    size_t npairs = 0, bytes = 0;
    for (int i = 0; i < sc->nmetas; i++) {
        const mt_meta *mm = &sc->metas[i];
        bytes += strlen(mm->v[MT_CONTENT]);
        for (int k = 1; k <= MT_NKEYS; k++) {
            size_t w = 0;
            for (const char *v = mm->v[k]; v && *v; v++) {
                if (!meta_space((unsigned char)*v)) {
                    npairs += w == 0;
                    bytes += w++ < META_KEY_MAX;
                } else {
                    w = 0;
                }
            }
        }
    }
    if (bytes > UINT32_MAX / 2 || npairs > UINT32_MAX / 64)
        luaL_error(L, "extract: scan: the page's <meta>s are too large");
    uint32_t nslots = 8;
    while (nslots < 2 * npairs)
        nslots *= 2;
    size_t head = (sizeof(meta_tags) + 7) & ~(size_t)7;
    size_t size = head + npairs * (sizeof(mt_key) + sizeof(mt_pair))
                  + nslots * sizeof(uint32_t) + bytes;
    char *mem = lua_newuserdatauv(L, size, 1);
    meta_tags *m = (meta_tags *)mem;
    m->nslots = nslots;
    m->nkeys = 0;
    m->keys = (mt_key *)(mem + head);
    m->pairs = (mt_pair *)(m->keys + npairs);
    m->slots = (uint32_t *)(m->pairs + npairs);
    m->strings = (char *)(m->slots + nslots);
    memset(m->slots, 0, nslots * sizeof(uint32_t));
    uint32_t np = 0, at = 0;
    for (int i = 0; i < sc->nmetas; i++) {
        const mt_meta *mm = &sc->metas[i];
        size_t clen = strlen(mm->v[MT_CONTENT]);
        uint32_t coff = at;
        memcpy(m->strings + at, mm->v[MT_CONTENT], clen);
        at += (uint32_t)clen;
        for (int k = 1; k <= MT_NKEYS; k++) {
            const char *v = mm->v[k];
            while (v && *v) {
                while (meta_space((unsigned char)*v))
                    v++;
                if (!*v)
                    break;
                char word[META_KEY_MAX];
                size_t w = 0;
                for (; *v && !meta_space((unsigned char)*v); v++)
                    if (w < META_KEY_MAX)
                        word[w++] = (char)pipe_extract_lower((unsigned char)*v);
                mt_add(m, &np, &at, word, w, coff, (uint32_t)clen);
            }
        }
    }
    luaL_setmetatable(L, META_TAGS_MT);
}

/* meta_tags[key] -> {content...} | nil.  Only indexing a MetaTags object
 * calls it: the sandbox hides the plugins' metatables (getmetatable gives
 * false), so argument 1 needs no check. */
static int meta_tags_index(lua_State *L)
{
    const meta_tags *m = lua_touserdata(L, 1);
    size_t len;
    const char *k = lua_type(L, 2) == LUA_TSTRING ? lua_tolstring(L, 2, &len)
                                                  : NULL;
    if (k == NULL)
        return 0;
    uint32_t sl = *mt_slot(m, k, len, pipe_hash_bytes(PIPE_HASH_SEED, k, len));
    if (sl == 0)
        return 0;
    /* the list made at an earlier read */
    if (lua_getiuservalue(L, 1, 1) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_createtable(L, 0, 4);
        lua_pushvalue(L, -1);
        lua_setiuservalue(L, 1, 1);
    } else {
        lua_pushvalue(L, 2);
        if (lua_rawget(L, -2) == LUA_TTABLE)
            return 1;
        lua_pop(L, 1);
    }
    const mt_key *e = &m->keys[sl - 1];
    lua_createtable(L, (int)e->n, 0);
    lua_Integer i = 0;
    for (uint32_t p = e->first + 1; p != 0; p = m->pairs[p - 1].next) {
        const mt_pair *q = &m->pairs[p - 1];
        lua_pushlstring(L, m->strings + q->off, q->len);
        lua_rawseti(L, -2, ++i);
    }
    lua_pushvalue(L, 2);
    lua_pushvalue(L, -2);
    lua_rawset(L, -4);
    return 1;
}

/* Note <meta> n, when it has a content, for the MetaTags object (the
 * array grown as grow_elems grows E). */
static void note_meta(scan *sc, const xmlNode *n)
{
    mt_meta mm;
    meta_attrs(n, &mm);
    if (!mm.v[MT_CONTENT])
        return;
    if (sc->nmetas == sc->metas_cap)
        sc->metas = grow_boxed(sc->L, sc->metas_idx, sc->metas, sc->nmetas,
                               &sc->metas_cap, sizeof *sc->metas);
    sc->metas[sc->nmetas++] = mm;
}

/* a <script> whose type contains one of spec.script_types */
static int script_wanted(const scanner *s, const xmlNode *n)
{
    const char *t = pipe_extract_attr(n, "type");
    if (!t)
        return 0;
    char buf[64];
    size_t k = 0;
    for (; t[k] && k < sizeof buf - 1; k++)
        buf[k] = (char)tolower((unsigned char)t[k]);
    buf[k] = '\0';
    for (int i = 0; i < s->nstypes; i++)
        if (strstr(buf, s->stypes[i]))
            return 1;
    return 0;
}

static int has_digit(const char *t, size_t len, size_t within)
{
    for (size_t i = 0; i < len && i < within; i++)
        if (t[i] >= '0' && t[i] <= '9')
            return 1;
    return 0;
}

static int opaque(const xmlNode *n)
{
    const char *t = (const char *)n->name;
    if (t[0] == 's')
        return strcmp(t, "script") == 0 || strcmp(t, "style") == 0
               || strcmp(t, "svg") == 0;
    return t[0] == 't' && strcmp(t, "template") == 0;
}

static const char *const MODIFIERS[] = {"has", "with", "no", "without",
                                        "show", "hide", "is", NULL};

static int word_in(const char *const *l, int n, const char *w, size_t len)
{
    for (int i = 0; n < 0 ? l[i] != NULL : i < n; i++)
        if (len == 0 ? l[i][0] == '\0'
                     : l[i][0] == w[0] && strncmp(l[i], w, len) == 0
                           && l[i][len] == '\0')
            return 1;
    return 0;
}

/* Does a class or id value name a place away from the article?  Each
 * name's parts are its runs of letters. */
static int names_away(const scanner *s, const char *v)
{
    const unsigned char *p = (const unsigned char *)v;
    while (*p) {
        while (*p && pipe_extract_isspace(*p))
            p++;
        if (!*p)
            break;
        /* one name: its first two parts and how many there are */
        char part[2][32];
        size_t plen[2] = {0, 0};
        int parts = 0, in = 0;
        for (; *p && !pipe_extract_isspace(*p); p++) {
            int letter = pipe_extract_isalpha(*p);
            if (letter && !in) {
                parts++;
                in = 1;
            } else if (!letter) {
                in = 0;
            }
            if (letter && parts <= 2 && plen[parts - 1] < sizeof part[0])
                part[parts - 1][plen[parts - 1]++] = (char)pipe_extract_lower(*p);
        }
        if (parts >= 1 && word_in(s->away, s->naway, part[0], plen[0]))
            return 1;
        if (parts == 2 && word_in(s->away, s->naway, part[1], plen[1])
            && !word_in(MODIFIERS, -1, part[0], plen[0]))
            return 1;
    }
    return 0;
}

static unsigned char elem_flags(const scanner *s, const xmlNode *c)
{
    const char *tag = (const char *)c->name;
    unsigned char f = 0;
    if (strcmp(tag, "body") == 0 || strcmp(tag, "html") == 0)
        return E_STOP;
    if (strcmp(tag, "nav") == 0)
        f |= E_NAV;
    else if (strcmp(tag, "aside") == 0)
        f |= E_ASIDE;
    else if (strcmp(tag, "article") == 0)
        f |= E_ARTICLE;
    if (c->properties) {
        const char *cls = pipe_extract_attr(c, "class");
        const char *id = pipe_extract_attr(c, "id");
        const char *it = pipe_extract_attr(c, "itemtype");
        if ((cls && names_away(s, cls)) || (id && names_away(s, id))
            || (it && strstr(it, "Comment")))
            f |= E_AWAY;
    }
    return f;
}

static unsigned char flags_of(const scan *sc, int a)
{
    elem *e = &sc->E[a];
    if (!e->known) {
        e->flags = elem_flags(sc->s, e->node);
        e->known = 1;
    }
    return e->flags;
}

/* Is element p away (see spec.away)? */
static int is_away(const scan *sc, int p)
{
    for (int a = p; a > 0 && a < sc->cap; a = sc->E[a].parent) {
        unsigned char f = flags_of(sc, a);
        if (f & E_STOP)
            return 0;
        if (f & E_NAV)
            return 1;
        if (f & E_ASIDE) {
            int art = 0;
            for (int b = sc->E[a].parent; b > 0 && !(flags_of(sc, b) & E_STOP);
                 b = sc->E[b].parent)
                if (flags_of(sc, b) & E_ARTICLE) {
                    art = 1;
                    break;
                }
            if (!art)
                return 1;
        }
        if ((f & E_AWAY)
            && !(sc->h1pos >= a && sc->h1pos < sc->E[a].end))
            return 1;
    }
    return 0;
}

/* E outlives a scan: kept in the registry under this key between scans
 * (at most ELEMS_KEEP bytes of it), so a page's scan does not allocate
 * (and the collector reclaim) tens of KB.  Only the positions a scan
 * writes are read, each written (known = 0) before. */
static const char elems_key = 'e';
#define ELEMS_KEEP ((size_t)4 << 20)

/* Make room in E for position pos: a userdata twice the size in the old
 * one's stack slot (the old one is garbage). */
static void grow_elems(scan *sc, int pos)
{
    int cap = sc->cap * 2 > pos ? sc->cap * 2 : pos + 1;
    elem *E = lua_newuserdatauv(sc->L, (size_t)cap * sizeof *E, 0);
    memcpy(E, sc->E, (size_t)sc->cap * sizeof *E);
    lua_replace(sc->L, sc->E_idx);
    sc->E = E;
    sc->cap = cap;
}

/* Does v hold one of words[0 .. n) (lowercase) as a white-space-separated
 * word, ASCII case ignored? */
static int has_word(const char *v, const char *const *words, int n)
{
    const unsigned char *p = (const unsigned char *)v;
    for (;;) {
        while (*p && pipe_extract_isspace(*p))
            p++;
        if (!*p)
            return 0;
        const unsigned char *w = p;
        while (*p && !pipe_extract_isspace(*p))
            p++;
        size_t len = (size_t)(p - w);
        for (int i = 0; i < n; i++) {
            size_t k = 0;
            while (k < len && words[i][k]
                   && pipe_extract_lower(w[k]) == (unsigned char)words[i][k])
                k++;
            if (k == len && words[i][k] == '\0')
                return 1;
        }
    }
}

static void walk(scan *sc, xmlNodePtr n, int depth)
{
    const scanner *s = sc->s;
    int ppos = sc->pos;   /* n's own position (walk is called right after
                             n was counted) */
    for (xmlNodePtr c = n->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        sc->pos++;
        int mypos = sc->pos;
        if (sc->E) {
            if (mypos >= sc->cap)
                grow_elems(sc, mypos);
            sc->E[mypos].parent = ppos;
            sc->E[mypos].node = c;
            sc->E[mypos].known = 0;
        }
        if (!sc->h1pos && c->name[0] == 'h' && strcmp((const char *)c->name, "h1") == 0)
            sc->h1pos = mypos;
        const char *tag = (const char *)c->name;
        for (int i = 0; i < s->ntags; i++)
            if (tag[0] == s->tags[i][0] && strcmp(tag, s->tags[i]) == 0
                && (s->nstypes == 0 || strcmp(tag, "script") != 0
                    || script_wanted(s, c)))
                add(sc, sc->tag_lists + i, c);
        if (tag[0] == 'm' && (sc->meta_index || sc->metas) && c->properties
            && strcmp(tag, "meta") == 0) {
            if (sc->meta_index)
                index_meta(sc, c);
            if (sc->metas)
                note_meta(sc, c);
        }
        if (c->properties) {
            for (int i = 0; i < s->nattrs; i++) {
                const char *v = pipe_extract_attr(c, s->attrs[i]);
                if (v && (s->aw_n[i] == 0
                          || has_word(v, s->awords + s->aw_first[i], s->aw_n[i])))
                    add(sc, sc->attr_lists + i, c);
            }
            if (s->ngroups > 0) {
                const char *cls = pipe_extract_attr(c, "class");
                const char *id = pipe_extract_attr(c, "id");
                unsigned hits = (cls ? groups_in(s, cls) : 0)
                                | (id ? groups_in(s, id) : 0);
                for (int g = 0; hits && g < s->ngroups; g++)
                    if (hits & (1u << g))
                        add(sc, sc->group_lists + g, c);
            }
        }
        if (s->nprefixes > 0 || s->digits > 0) {
            char buf[OWN_TEXT + 1];
            size_t len = own_text(c, buf, s->textcap);
            if (len > 0) {
                if (s->nprefixes > 0 && prefix_hit(s, buf, len))
                    add(sc, sc->prefixed, c);
                if (s->digits > 0 && has_digit(buf, len, (size_t)s->digits))
                    add(sc, sc->digits, c);
            }
        }
        if (depth < MAX_DEPTH && !opaque(c))
            walk(sc, c, depth + 1);
        if (sc->E)
            sc->E[mypos].end = sc->pos + 1;
    }
}

/* Would walk() from root reach element n?  Not when an ancestor below
 * root is opaque, nor deeper than MAX_DEPTH + 1 levels, nor outside
 * root's subtree (root itself: by tag only, as scanner_scan adds it). */
static int walk_reaches(const xmlNode *root, const xmlNode *n)
{
    if (opaque(root))
        return 0;
    int level = 1;
    for (const xmlNode *a = n->parent; a != NULL; a = a->parent, level++) {
        if (a == root)
            return level <= MAX_DEPTH + 1;
        if (a->type != XML_ELEMENT_NODE || opaque(a))
            return 0;
    }
    return 0;
}

/* pipe_html_each_tag's callbacks: an element of tag list sc->list, a
 * <meta> */
static int index_tag(void *ud, xmlNodePtr n)
{
    scan *sc = ud;
    const scanner *s = sc->s;
    if (n == sc->root
        || (walk_reaches(sc->root, n)
            && (s->nstypes == 0 || strcmp((const char *)n->name, "script") != 0
                || script_wanted(s, n))))
        add(sc, sc->tag_lists + sc->list, n);
    return 0;
}

static int index_meta_tag(void *ud, xmlNodePtr n)
{
    scan *sc = ud;
    if (n->properties && walk_reaches(sc->root, n))
        note_meta(sc, n);
    return 0;
}

/* spec.index: the lists from the Document at stack index 2's element
 * index; 0 when it has none (nothing done: the caller walks). */
static int scan_index(scan *sc)
{
    const scanner *s = sc->s;
    if (!s->index || s->nattrs || s->ngroups || s->nprefixes || s->digits
        || s->naway || s->nvalues || s->meta_index
        || (s->ntags == 0 && !sc->metas))
        return 0;
    /* the first call tells whether there is an index (the scan holds the
     * document, so the later ones find it too) */
    sc->from_index = 1;
    for (int i = sc->metas ? -1 : 0; i < s->ntags; i++) {
        sc->list = i;
        int r = i < 0 ? pipe_html_each_tag(sc->L, sc->owner, "meta",
                                           index_meta_tag, sc)
                      : pipe_html_each_tag(sc->L, sc->owner, s->tags[i],
                                           index_tag, sc);
        if (r < 0) {
            sc->from_index = 0;
            return 0;
        }
    }
    return 1;
}

/* The name of result list k. */
static const char *list_name(const scanner *s, const scan *sc, int k)
{
    if (k < sc->attr_lists)
        return s->tags[k];
    if (k < sc->group_lists)
        return s->attrs[k - sc->attr_lists];
    if (k < sc->prefixed)
        return s->groups[k - sc->group_lists].name;
    return k == sc->prefixed ? "prefixed" : "digits";
}

/* scanner:scan(doc_or_node) -> facts */
static int scanner_scan(lua_State *L)
{
    const scanner *s = luaL_checkudata(L, 1, SCANNER_MT);
    xmlNodePtr root = pipe_html_check_node(L, 2);
    lua_settop(L, 2);
    /* from here on a finalizer cannot close or edit the document under
     * the scan (include/pipe/html.h) */
    void *hold = pipe_html_walk_begin(L, 2);
    scan sc;
    memset(&sc, 0, sizeof sc);
    sc.L = L;
    sc.s = s;
    sc.html = pipe_html_api_get();
    sc.owner = 2;
    sc.tag_lists = 0;
    sc.attr_lists = s->ntags;
    sc.group_lists = sc.attr_lists + s->nattrs;
    sc.prefixed = sc.group_lists + s->ngroups;
    sc.digits = sc.prefixed + 1;
    sc.nlists = sc.digits + 1;
    luaL_checkstack(L, 2 * sc.nlists + 12, "extract: scan");
    if (s->meta_index) {
        lua_newtable(L);
        sc.meta_index = lua_gettop(L);
    }
    luaL_checkstack(L, s->nvalues + 8, "extract: scan");
    if (s->nvalues > 0) {
        sc.vnames = lua_gettop(L) + 1;
        for (int i = 0; i < s->nvalues; i++)
            lua_pushstring(L, s->values[i]);
    }
    sc.found_cap = 64;
    sc.found = lua_newuserdatauv(L, (size_t)sc.found_cap * sizeof *sc.found, 0);
    sc.found_idx = lua_gettop(L);
    if (root && s->naway > 0) {
        /* the array the last scan left (taken out of the registry: a
         * scan a finalizer makes meanwhile makes its own), else a new one */
        if (lua_rawgetp(L, LUA_REGISTRYINDEX, &elems_key) == LUA_TUSERDATA) {
            sc.E = lua_touserdata(L, -1);
            sc.cap = (int)(lua_rawlen(L, -1) / sizeof *sc.E);
            lua_pushnil(L);
            lua_rawsetp(L, LUA_REGISTRYINDEX, &elems_key);
        } else {
            lua_pop(L, 1);
            sc.cap = 1024;
            sc.E = lua_newuserdatauv(L, (size_t)sc.cap * sizeof *sc.E, 0);
        }
        /* (stays on the stack, below the result, until the scan ends) */
        sc.E_idx = lua_gettop(L);
    }
    if (s->meta_tags) {
        sc.metas_cap = 32;
        sc.metas = lua_newuserdatauv(L, (size_t)sc.metas_cap * sizeof *sc.metas,
                                     0);
        sc.metas_idx = lua_gettop(L);
    }
    /* what the walk pushes for a while: a meta_index list and string, a
     * grown E, metas or found */
    luaL_checkstack(L, 8, "extract: scan");
    sc.root = root;
    if (root && scan_index(&sc)) {
        /* (the lists are filled) */
    } else if (s->index == 2) {
        /* "only": no walk */
        pipe_html_walk_end(hold);
        lua_pushnil(L);
        return 1;
    } else if (root) {
        /* the root itself is position 1, collected by tag only */
        sc.pos = 1;
        if (sc.E) {
            sc.E[1].parent = 0;
            sc.E[1].node = root;
            sc.E[1].known = 0;
        }
        for (int i = 0; i < s->ntags; i++)
            if (strcmp((const char *)root->name, s->tags[i]) == 0)
                add(&sc, sc.tag_lists + i, root);
        if (!opaque(root))
            walk(&sc, root, 0);
        if (sc.E)
            sc.E[1].end = sc.pos + 1;
    }
    fill_lists(&sc);
    /* facts: {name = list, pos = {name = positions}} */
    lua_createtable(L, 0, sc.nlists + 1);
    int facts = lua_gettop(L);
    lua_createtable(L, 0, sc.nlists);
    int pos = lua_gettop(L);
    for (int k = 0; k < sc.nlists; k++) {
        const char *name = list_name(s, &sc, k);
        lua_pushvalue(L, sc.base + 2 * k);
        lua_setfield(L, facts, name);
        lua_pushvalue(L, sc.base + 2 * k + 1);
        lua_setfield(L, pos, name);
    }
    if (sc.from_index)
        lua_pop(L, 1);
    else
        lua_setfield(L, facts, "pos");
    if (sc.E) {
        /* facts.away[name][i] for every list */
        lua_createtable(L, 0, sc.nlists);
        for (int k = 0; k < sc.nlists; k++) {
            int c = sc.counts[k];
            lua_createtable(L, c, 0);
            for (int i = 1; i <= c; i++) {
                lua_rawgeti(L, sc.base + 2 * k + 1, i);
                int p = (int)lua_tointeger(L, -1);
                lua_pop(L, 1);
                lua_pushboolean(L, is_away(&sc, p));
                lua_rawseti(L, -2, i);
            }
            lua_setfield(L, -2, list_name(s, &sc, k));
        }
        lua_setfield(L, facts, "away");
    }
    if (sc.meta_index) {
        lua_pushvalue(L, sc.meta_index);
        lua_setfield(L, facts, "meta_index");
    }
    if (sc.metas) {
        push_meta_tags(L, &sc);
        lua_setfield(L, facts, "meta_tags");
    }
    if (sc.vbase) {
        lua_createtable(L, 0, sc.nlists);
        for (int k = 0; k < sc.nlists; k++) {
            lua_pushvalue(L, sc.vbase + k);
            lua_setfield(L, -2, list_name(s, &sc, k));
        }
        lua_setfield(L, facts, "values");
    }
    if (sc.E && lua_rawlen(L, sc.E_idx) <= ELEMS_KEEP) {
        lua_pushvalue(L, sc.E_idx);
        lua_rawsetp(L, LUA_REGISTRYINDEX, &elems_key);
    }
    pipe_html_walk_end(hold);
    return 1;
}

static const luaL_Reg scanner_methods[] = {
    {"scan", scanner_scan},
    {NULL, NULL},
};

/* Register the Scanner metatable (extract_open calls this). */
void pipe_extract_scanner_mt(lua_State *L)
{
    if (luaL_newmetatable(L, SCANNER_MT)) {
        luaL_newlib(L, scanner_methods);
        lua_setfield(L, -2, "__index");
    }
    lua_pop(L, 1);
    if (luaL_newmetatable(L, META_TAGS_MT)) {
        lua_pushcfunction(L, meta_tags_index);
        lua_setfield(L, -2, "__index");
    }
    lua_pop(L, 1);
}
