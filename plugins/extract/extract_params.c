/*
 * extract plugin, parameters (see extract.h): every weight, threshold and
 * hint list of the scorer, written once, here, in one table: name, kind,
 * default, allowed range.  extract.content(doc, params) reads a params
 * table against it (omitted keys take the default, unknown keys and wrong
 * types raise); extract.defaults() gives the whole table back to Lua, so
 * scripts/generic.lua, docs/lua-api.md and the tests all see these values.
 *
 * Caveats: list entries and tag_weights keys stay strings of the params
 * table, which the caller keeps on the Lua stack while the params are in
 * use; defaults are static const strings.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "extract.h"

static const char *const def_positive[] = {
    "article", "body", "content", "entry", "hentry", "main", "page", "post",
    "text", "blog", "story", NULL};
static const char *const def_negative[] = {
    "ad", "banner", "combx", "comment", "contact", "cookie", "copyright",
    "foot", "footer",
    "footnote", "masthead", "media", "meta", "menu", "nav", "navbar",
    "outbrain", "promo", "related", "scroll", "share", "shoutbox", "sidebar",
    "similar", "skyscraper", "social", "sponsor", "shopping", "subscribe",
    "tags", "tool", "widget", "video", NULL};
static const char *const def_unlikely[] = {
    "ad", "ads", "advert", "banner", "breadcrumb", "combx", "comment",
    "community", "cookie", "copyright", "disqus", "footer", "gdpr", "menu", "modal", "nav",
    "navbar", "navigation", "newsletter", "pagination", "popup", "promo",
    "related", "remark", "replies", "rss", "share", "shoutbox", "sidebar",
    "skyscraper", "social", "sponsor", "subscribe", "similar",
    /* ARIA roles */
    "complementary", "menubar", "alert", "alertdialog", "dialog", NULL};
static const char *const def_maybe[] = {
    "and", "article", "body", "column", "content", "main", "shadow", NULL};
static const char *const def_drop[] = {
    "byline", "author", "caption", "credit", "dateline", "submitted", NULL};
static const char *const def_never[] = {
    "comment", "comments", "commentlist", "disqus", "respond", NULL};
static const char *const def_drop_tags[] = {"h1", "figcaption", "caption",
                                            NULL};
static const char *const def_tag_lines[] = {
    "related:", "tags:", "tagged:", "tagged with:", "filed under:",
    "see also:", "schlagwörter:", "schlagworte:", "themen:", "mehr zum thema",
    "lesen sie auch", "auch interessant:", "étiquettes:", "mots-clés:",
    "etiquetas:", "temas:", "comments are moderated", "comments are closed",
    "kommentare werden moderiert", "die kommentarfunktion",
    "les commentaires sont modérés", NULL};
static const char *const def_date_labels[] = {
    "updated", "last updated", "published", "first published", "posted",
    "aktualisiert", "zuletzt aktualisiert", "veröffentlicht", "stand:",
    "publié", "mis à jour", "publicado", "actualizado", "pubblicato",
    "aggiornato", "julkaistu", "päivitetty", NULL};
static const char *const def_prompts[] = {
    "read more", "share", "subscribe", "sign up", "advertisement",
    "click here", "follow us", "follow him", "follow her", "follow me",
    "watch:", "don't miss", "don’t miss", "also read", "read also",
    "more great", "get the latest",
    /* photo credits */
    "photo:", "photos:", "photo by", "image:", "credit:", "Фото:", NULL};

static const tagweight def_tagw[] = {
    {"div", 5},      {"pre", 3},  {"td", 3},  {"blockquote", 3},
    {"address", -3}, {"ol", -3},  {"ul", -3}, {"dl", -3},
    {"dd", -3},      {"dt", -3},  {"li", -3}, {"form", -3},
    {"h1", -5},      {"h2", -5},  {"h3", -5}, {"h4", -5},
    {"h5", -5},      {"h6", -5},  {"th", -5}, {NULL, 0}};

enum { K_NUM, K_INT, K_BOOL, K_LIST, K_TAGW };

typedef struct pdesc {
    const char *name;
    int kind;
    size_t off;                 /* offsetof(params, ...) */
    double def, min, max;       /* K_NUM, K_INT, K_BOOL */
    const char *const *list;    /* K_LIST default */
} pdesc;

#define NUM(n, d, lo, hi) {#n, K_NUM, offsetof(params, n), d, lo, hi, NULL}
#define INT(n, d, lo, hi) {#n, K_INT, offsetof(params, n), d, lo, hi, NULL}
#define LIST(n, l) {#n, K_LIST, offsetof(params, n), 0, 0, 0, l}

/*
 * The table.  What each parameter means is documented with the scorer in
 * docs/lua-api.md (extract.defaults); tests/unit/test_extract.c checks
 * that page against this table.
 */
static const pdesc descs[] = {
    /* class/id hints */
    INT(hint_prefix, 4, 1, 64),
    NUM(class_weight, 25, -1e6, 1e6),
    LIST(positive, def_positive),
    LIST(negative, def_negative),
    LIST(unlikely, def_unlikely),
    LIST(maybe, def_maybe),
    LIST(drop, def_drop),
    LIST(never, def_never),
    LIST(drop_tags, def_drop_tags),
    {"tag_weights", K_TAGW, 0, 0, 0, 0, NULL},
    /* paragraph scoring */
    NUM(min_paragraph, 25, 0, 1e9),
    NUM(comma_weight, 1, -1e6, 1e6),
    NUM(length_step, 100, 1e-9, 1e9),
    NUM(length_cap, 3, 0, 1e9),
    INT(ancestor_levels, 5, 0, 64),
    /* climbing to a common ancestor */
    NUM(alt_ratio, 0.75, 0, 1e9),
    INT(alt_min, 3, 0, 16),
    /* siblings */
    NUM(sibling_ratio, 0.2, 0, 1e9),
    NUM(sibling_min, 10, -1e9, 1e9),
    NUM(sibling_same_class, 0.2, 0, 1e9),
    NUM(sibling_text, 80, 0, 1e9),
    NUM(sibling_link, 0.25, 0, 1),
    /* conditional cleaning */
    NUM(clean_commas, 10, 0, 1e9),
    NUM(clean_link, 0.2, 0, 1),
    NUM(clean_link_pos, 0.5, 0, 1),
    NUM(clean_min_text, 25, 0, 1e9),
    {"clean_shape", K_BOOL, offsetof(params, clean_shape), 1, 0, 1, NULL},
    /* the boilerplate line filter */
    NUM(line_link, 0.5, 0, 1),
    NUM(line_link_len, 200, 0, 1e9),
    NUM(line_link_long, 0.8, 0, 1),
    NUM(prompt_len, 60, 0, 1e9),
    LIST(prompts, def_prompts),
    NUM(tag_line_len, 200, 0, 1e9),
    LIST(tag_lines, def_tag_lines),
    NUM(date_line_len, 80, 0, 1e9),
    LIST(date_labels, def_date_labels),
    /* an article split into sibling containers; other posts inside it */
    NUM(twin_ratio, 0.2, 0, 1e9),
    INT(twin_levels, 3, 0, 16),
    NUM(other_post_ratio, 0.5, 0, 1),
    /* retries */
    NUM(retry_length, 500, 0, 1e12),
    NUM(retry_gain, 3, 0, 1e9),
    {"skip_hidden", K_BOOL, offsetof(params, skip_hidden), 1, 0, 1, NULL},
    INT(candidates, 5, 0, 100),
    {"paragraphs", K_BOOL, offsetof(params, paragraphs), 1, 0, 1, NULL},
    /* the node given is the content (a site rule chose it) */
    {"whole", K_BOOL, offsetof(params, whole), 0, 0, 1, NULL},
    {"whole_clean", K_BOOL, offsetof(params, whole_clean), 1, 0, 1, NULL},
};

#define NDESCS (sizeof descs / sizeof descs[0])

static void read_list(lua_State *L, const char *k, strlist *l)
{
    if (!lua_istable(L, -1))
        luaL_error(L, "extract params: '%s' must be a list", k);
    lua_Integer len = luaL_len(L, -1);
    if (len > MAX_LIST)
        luaL_error(L, "extract params: '%s' has more than %d entries", k,
                   MAX_LIST);
    l->n = 0;
    for (lua_Integer i = 1; i <= len; i++) {
        lua_rawgeti(L, -1, i);
        const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1)
                                                       : NULL;
        if (!s)
            luaL_error(L, "extract params: '%s' entry %d is not a string", k,
                       (int)i);
        /* the string stays referenced by the params table */
        l->len[l->n] = strlen(s);
        l->v[l->n++] = s;
        lua_pop(L, 1);
    }
}

static void default_list(strlist *l, const char *const *def)
{
    l->n = 0;
    for (size_t i = 0; def[i] && i < MAX_LIST; i++) {
        l->len[l->n] = strlen(def[i]);
        l->v[l->n++] = def[i];
    }
}

static void read_tagw(lua_State *L, params *pp)
{
    if (!lua_istable(L, -1))
        luaL_error(L, "extract params: 'tag_weights' must be a table");
    pp->ntagw = 0;
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        if (lua_type(L, -2) != LUA_TSTRING || !lua_isnumber(L, -1))
            luaL_error(L, "extract params: 'tag_weights' maps tag names to "
                          "numbers");
        if (pp->ntagw >= MAX_TAGW)
            luaL_error(L, "extract params: 'tag_weights' has more than %d "
                          "entries", MAX_TAGW);
        pp->tagw[pp->ntagw].tag = lua_tostring(L, -2);
        pp->tagw[pp->ntagw].w = lua_tonumber(L, -1);
        pp->ntagw++;
        lua_pop(L, 1);
    }
}

static void set_default(params *pp, const pdesc *d)
{
    char *base = (char *)pp;
    switch (d->kind) {
    case K_NUM:
        *(double *)(base + d->off) = d->def;
        break;
    case K_INT:
    case K_BOOL:
        *(int *)(base + d->off) = (int)d->def;
        break;
    case K_LIST:
        default_list((strlist *)(base + d->off), d->list);
        break;
    case K_TAGW:
        pp->ntagw = 0;
        for (size_t i = 0; def_tagw[i].tag; i++)
            pp->tagw[pp->ntagw++] = def_tagw[i];
        break;
    }
}

static const pdesc *find_desc(const char *name)
{
    /* (the first byte first: a strcmp per parameter and key was ~40 K
     * instructions a call) */
    for (size_t i = 0; i < NDESCS; i++)
        if (descs[i].name[0] == name[0] && strcmp(descs[i].name, name) == 0)
            return &descs[i];
    return NULL;
}

/* Read the value on top of the stack into pp (and leave it there). */
static void read_value(lua_State *L, params *pp, const pdesc *d)
{
    char *base = (char *)pp;
    if (d->kind == K_LIST) {
        read_list(L, d->name, (strlist *)(base + d->off));
        return;
    }
    if (d->kind == K_TAGW) {
        read_tagw(L, pp);
        return;
    }
    double v;
    if (d->kind == K_BOOL && lua_isboolean(L, -1)) {
        v = lua_toboolean(L, -1);
    } else {
        int ok;
        v = lua_tonumberx(L, -1, &ok);
        if (!ok)
            luaL_error(L, "extract params: '%s' must be a number", d->name);
    }
    if (!(v >= d->min && v <= d->max)) {
        char msg[160];
        snprintf(msg, sizeof msg, "extract params: '%s' must be between %g "
                 "and %g, got %g", d->name, d->min, d->max, v);
        luaL_error(L, "%s", msg);
    }
    if (d->kind == K_NUM)
        *(double *)(base + d->off) = v;
    else if (d->kind == K_BOOL)
        *(int *)(base + d->off) = v != 0;
    else
        *(int *)(base + d->off) = (int)floor(v);
}

/* The bucket of a hint (extract.h), -1 when it can match no token
 * (tokens are lowercase ASCII letters and digits). */
static int hint_bucket(const char *h, size_t len)
{
    int b1 = len ? pipe_extract_bucket((unsigned char)h[0]) : -1;
    if (b1 < 0)
        return -1;
    if (len == 1)
        return b1 * HINT_B2 + 36;
    int b2 = pipe_extract_bucket((unsigned char)h[1]);
    return b2 < 0 ? -1 : b1 * HINT_B2 + b2;
}

/* The bucketed hint index of pp's six hint lists. */
static void index_hints(params *pp)
{
    const strlist *lists[6] = {&pp->positive, &pp->negative, &pp->unlikely,
                               &pp->maybe, &pp->drop, &pp->never};
    static const unsigned bits[6] = {H_POS, H_NEG, H_UNLIKELY, H_MAYBE,
                                     H_DROP, H_NEVER};
    int count[HINT_BUCKETS] = {0};
    for (int l = 0; l < 6; l++)
        for (size_t i = 0; i < lists[l]->n; i++) {
            int b = hint_bucket(lists[l]->v[i], lists[l]->len[i]);
            if (b >= 0)
                count[b]++;
        }
    int at[HINT_BUCKETS];
    pp->hx_start[0] = 0;
    for (int b = 0; b < HINT_BUCKETS; b++) {
        at[b] = pp->hx_start[b];
        pp->hx_start[b + 1] = pp->hx_start[b] + count[b];
    }
    for (int l = 0; l < 6; l++)
        for (size_t i = 0; i < lists[l]->n; i++) {
            int b = hint_bucket(lists[l]->v[i], lists[l]->len[i]);
            if (b < 0)
                continue;   /* such a hint never matches */
            hintx *x = &pp->hx[at[b]++];
            x->h = lists[l]->v[i];
            x->len = lists[l]->len[i];
            x->bits = bits[l];
        }
}

/* Is d one of the six lists index_hints indexes? */
static int is_hint_list(const pdesc *d)
{
    size_t o = d->off;
    return d->kind == K_LIST
           && (o == offsetof(params, positive) || o == offsetof(params, negative)
               || o == offsetof(params, unlikely) || o == offsetof(params, maybe)
               || o == offsetof(params, drop) || o == offsetof(params, never));
}

/* Is d a list or the tag_weights map? */
static int is_list(const pdesc *d)
{
    return d->kind == K_LIST || d->kind == K_TAGW;
}

/* Is d drop_tags or tag_weights (what the tag index is built from)? */
static int is_tag_param(const pdesc *d)
{
    return d->kind == K_TAGW
           || (d->kind == K_LIST && d->off == offsetof(params, drop_tags));
}

/* Fill pp from the params table at stack index t (0: none).  pp may hold
 * an earlier call's params (extract.c keeps the userdata): every field is
 * written again, except the lists when they hold the defaults
 * (pp->lists_default); the hint index and the tag index of the default
 * lists are built once (pp->hx_default, pp->ti_default say they are
 * there).  The flags are cleared first: an error raised while reading
 * leaves them unset. */
void pipe_extract_read_params(lua_State *L, int t, params *pp)
{
    int was_lists = pp->lists_default, was_hx = pp->hx_default,
        was_ti = pp->ti_default;
    pp->lists_default = pp->hx_default = pp->ti_default = 0;
    for (size_t i = 0; i < NDESCS; i++)
        if (!(was_lists && is_list(&descs[i])))
            set_default(pp, &descs[i]);
    int lists_read = 0, hints_read = 0, tags_read = 0;
    if (t != 0) {
        lua_pushnil(L);
        while (lua_next(L, t)) {
            const pdesc *d = lua_type(L, -2) == LUA_TSTRING
                                 ? find_desc(lua_tostring(L, -2))
                                 : NULL;
            if (!d) {
                if (lua_type(L, -2) == LUA_TSTRING)
                    luaL_error(L, "extract params: unknown key '%s'",
                               lua_tostring(L, -2));
                luaL_error(L, "extract params: keys are parameter names");
            }
            read_value(L, pp, d);
            lists_read |= is_list(d);
            hints_read |= is_hint_list(d);
            tags_read |= is_tag_param(d);
            lua_pop(L, 1);
        }
    }
    if (!was_hx || hints_read)
        index_hints(pp);
    if (!was_ti || tags_read)
        pipe_extract_tags_build(&pp->ti, pp);
    pp->hx_default = !hints_read;
    pp->ti_default = !tags_read;
    pp->lists_default = !lists_read;
}

/* extract.defaults() -> {name = value...}: a fresh table of every
 * parameter's default (lists as arrays, tag_weights as a map). */
void pipe_extract_push_defaults(lua_State *L)
{
    lua_createtable(L, 0, (int)NDESCS);
    for (size_t i = 0; i < NDESCS; i++) {
        const pdesc *d = &descs[i];
        switch (d->kind) {
        case K_NUM:
            lua_pushnumber(L, d->def);
            break;
        case K_INT:
            lua_pushinteger(L, (lua_Integer)d->def);
            break;
        case K_BOOL:
            lua_pushboolean(L, d->def != 0);
            break;
        case K_LIST: {
            lua_newtable(L);
            for (int k = 0; d->list[k]; k++) {
                lua_pushstring(L, d->list[k]);
                lua_rawseti(L, -2, k + 1);
            }
            break;
        }
        case K_TAGW:
            lua_newtable(L);
            for (size_t k = 0; def_tagw[k].tag; k++) {
                lua_pushnumber(L, def_tagw[k].w);
                lua_setfield(L, -2, def_tagw[k].tag);
            }
            break;
        }
        lua_setfield(L, -2, d->name);
    }
}
