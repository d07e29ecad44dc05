/*
 * extract plugin: the generic main-content scorer behind scripts/generic.lua,
 * and the page scanner behind lib/meta.
 *
 * extract.content(doc_or_node [, params]) finds the block of a page that
 * holds the article text and returns its paragraphs.  The method follows
 * Readability: every block with enough inline text is a paragraph that
 * scores its ancestors (commas and length raise the score); candidates are
 * weighted by tag and by class/id hints and discounted by link density; the
 * best candidate's siblings join when they score well or look like prose;
 * the chosen subtree is then cleaned (link-heavy lists, image galleries,
 * forms, bylines, captions) and split into paragraphs, and a boilerplate
 * filter drops short link-heavy lines and "Read more"/"Share" prompts.
 * extract.defaults() gives every parameter's default; extract.scanner(spec)
 * compiles a one-walk collector of page elements (extract_scan.c).  With
 * whole = true the node given is taken as the content (a site rule chose
 * it): no candidate search; only the drop lists, hidden elements, the line
 * filter (which keeps a line that reads as a sentence, whatever its links)
 * and, with whole_clean (default true), the conditional cleaning apply
 * (with clean_shape = false only its link, form and gallery tests).  Rules
 * use it for their `boilerplate` and `prune` field options.
 *
 * This file holds the Lua API and the driver (attempts and retries); the
 * passes live in extract_score.c and extract_emit.c, the parameters in
 * extract_params.c (extract.h describes the split).
 *
 * Caveats: all working memory is Lua userdata in stack slots of
 * extract.content (grown by the index as it goes, and sized for emitting
 * from what the index saw: no counting walk; kept for the next call in
 * the registry, with the params) or locals of the call, so an
 * out-of-memory error raised by Lua leaks nothing; nothing is stored in
 * the libxml2 tree.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include <libxml/tree.h>

#include "pipe/html.h"
#include "pipe/plugin.h"

#include "extract.h"

#define MAX_TWINS 32

/* A chosen block, emitted whole and as a paragraph boundary. */
static void emit_block(run *r, int j)
{
    if (r->nblocks < (int)(sizeof r->blocks / sizeof r->blocks[0]))
        r->blocks[r->nblocks] = j;
    r->nblocks++;
    pipe_extract_flush(r);
    pipe_extract_emit(r, j, 0);
    pipe_extract_flush(r);
}

/* Start an attempt: reset the output, index and score the tree under
 * root.  Returns the number of elements indexed. */
static int start_attempt(run *r, xmlNodePtr root)
{
    r->root = root;
    r->in_a = 0;
    r->out_len = 0;
    r->npara = 0;
    r->cur_start = 0;
    r->cur_chars = r->cur_link = 0;
    r->pending_space = 0;
    r->in_quote = 0;
    r->in_item = 0;
    r->marker = NO_MARKER;
    r->flushes = 0;
    r->nblocks = 0;
    pipe_extract_index(r, root);
    if (r->n == 0)
        return 0;
    /* room for what emitting can write: the text below the indexed
     * elements plus a separator or line break per element, and a blank
     * line after each paragraph (2 bytes for each of at most para_cap =
     * 2 * seen_elems + 2) */
    size_t room = r->seen_bytes + 6 * r->seen_elems + 24;
    if (room > r->out_cap) {
        r->out_cap = room;
        r->out = lua_newuserdatauv(r->L, r->out_cap, 0);
        lua_replace(r->L, r->out_idx);
    }
    if (2 * r->seen_elems + 2 > (size_t)r->para_cap) {
        if (r->seen_elems > INT32_MAX / 8)
            luaL_error(r->L, "extract: page too large");
        r->para_cap = (int)(2 * r->seen_elems + 2);
        r->paras = lua_newuserdatauv(r->L,
                                     (size_t)r->para_cap * sizeof *r->paras, 0);
        lua_replace(r->L, r->paras_idx);
    }
    pipe_extract_sum_up(r);
    pipe_extract_score(r);
    return r->n;
}

/* One attempt: index, score, choose, emit.  Returns output chars. */
static long attempt(run *r, xmlNodePtr root)
{
    if (start_attempt(r, root) == 0)
        return 0;
    r->top = pipe_extract_pick_top(r);
    pipe_extract_other_posts(r, r->top);
    int base = pipe_extract_sibling_base(r, r->top);
    const nstat *t = &r->s[r->top];
    int pi = r->s[base].parent;
    /* the blocks to emit, in document order: the top (or what stands for
     * it), its joining siblings, and its twins (the same article split
     * into sibling containers) */
    int twins[MAX_TWINS];
    int ntwins = pipe_extract_twins(r, r->top, twins, MAX_TWINS);
    int k = 0;
    if (pi < 0) {
        for (; k < ntwins && twins[k] < base; k++)
            emit_block(r, twins[k]);
        emit_block(r, base);
    } else {
        double threshold = fmax(r->pp->sibling_min,
                                t->score * r->pp->sibling_ratio);
        int end = pi + r->s[pi].size;
        for (int j = pi + 1; j < end; j += r->s[j].size) {
            for (; k < ntwins && twins[k] < j; k++)
                emit_block(r, twins[k]);
            if (j == base || pipe_extract_sibling_joins(r, j, threshold)) {
                emit_block(r, j);
                /* twins inside an emitted sibling come with it */
                while (k < ntwins && pipe_extract_inside(r, twins[k], j))
                    k++;
            }
        }
    }
    for (; k < ntwins; k++)
        emit_block(r, twins[k]);
    pipe_extract_flush(r);
    long chars = 0;
    for (int k = 0; k < r->npara; k++)
        chars += (long)r->paras[k].len;
    return chars;
}

/* whole = true: the root is the content, emitted with the drop lists,
 * hidden elements skipped and the line filter; conditional cleaning only
 * with whole_clean.  No candidate search, no retries. */
static long attempt_whole(run *r, xmlNodePtr root)
{
    if (start_attempt(r, root) == 0)
        return 0;
    r->top = 0;
    r->s[0].dropped = 0;
    emit_block(r, 0);
    return r->npara;
}

static void set_mode(run *r, const int mode[3])
{
    r->strip_unlikely = mode[0];
    r->use_weights = mode[1];
    r->use_clean = mode[2];
}


/*
 * The working arrays outlive a call: the next page's call takes them back
 * instead of allocating (and the collector reclaiming) a few hundred KB
 * per page.  They are userdata in a table in the registry, moved into the
 * call's stack slots at its start (the table's entries cleared: a call
 * made meanwhile -- from a finalizer the collector runs while this one
 * reads its params or pushes its results -- finds none and makes its own)
 * and back at its end; after an error they are garbage.  Arrays larger
 * than SCRATCH_KEEP (a huge page's) are not kept.  The params (~56 KB:
 * the lists, the hint index, the tag index) are kept the same way;
 * pipe_extract_read_params writes every field before it is read, or
 * keeps the lists and indexes that still hold the defaults.
 */
#define SCRATCH_KEEP ((size_t)4 << 20)
#define SCRATCH_SLOTS 4
static const char scratch_key = 's';

static void scratch_take(run *r)
{
    lua_State *L = r->L;
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &scratch_key) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_createtable(L, SCRATCH_SLOTS, 0);
        lua_pushvalue(L, -1);
        lua_rawsetp(L, LUA_REGISTRYINDEX, &scratch_key);
    }
    int t = lua_gettop(L);
    lua_rawgeti(L, t, 1);
    r->s_idx = lua_gettop(L);
    r->s = lua_touserdata(L, -1);
    r->cap = r->s ? (int)(lua_rawlen(L, -1) / sizeof *r->s) : 0;
    lua_rawgeti(L, t, 2);
    r->out_idx = lua_gettop(L);
    r->out = lua_touserdata(L, -1);
    r->out_cap = r->out ? lua_rawlen(L, -1) : 0;
    lua_rawgeti(L, t, 3);
    r->paras_idx = lua_gettop(L);
    r->paras = lua_touserdata(L, -1);
    r->para_cap = r->paras ? (int)(lua_rawlen(L, -1) / sizeof *r->paras) : 0;
    lua_rawgeti(L, t, 4);
    if (lua_touserdata(L, -1) == NULL) {
        lua_pop(L, 1);
        params *pp = lua_newuserdatauv(L, sizeof(params), 0);
        pp->lists_default = pp->hx_default = pp->ti_default = 0;
    }
    r->params_idx = lua_gettop(L);
    r->scratch_idx = t;
    for (int k = 1; k <= SCRATCH_SLOTS; k++) {
        lua_pushnil(L);
        lua_rawseti(L, t, k);
    }
}

static void scratch_keep(run *r)
{
    lua_State *L = r->L;
    const int slots[SCRATCH_SLOTS] = {r->s_idx, r->out_idx, r->paras_idx,
                                      r->params_idx};
    for (int k = 0; k < SCRATCH_SLOTS; k++) {
        if (lua_rawlen(L, slots[k]) <= SCRATCH_KEEP)
            lua_pushvalue(L, slots[k]);
        else
            lua_pushnil(L);
        lua_rawseti(L, r->scratch_idx, k + 1);
    }
}

/* Push the paragraphs and figures of a finished run into the table on top. */
static void push_result(lua_State *L, run *r)
{
    int res = lua_gettop(L);
    if (r->pp->paragraphs) {
        lua_createtable(L, r->npara, 0);
        for (int k = 0; k < r->npara; k++) {
            lua_pushlstring(L, r->out + r->paras[k].off, r->paras[k].len);
            lua_rawseti(L, -2, k + 1);
        }
        lua_setfield(L, res, "paragraphs");
    }
    /* the paragraphs a blank line apart, as the emitter left them */
    const para *end = &r->paras[r->npara - 1];
    lua_pushlstring(L, r->out + r->paras[0].off,
                    end->off + end->len - r->paras[0].off);
    lua_setfield(L, res, "text");
    pipe_html_push_node(L, 1, r->s[r->top].node);
    lua_setfield(L, res, "node");
    lua_pushnumber(L, r->s[r->top].scored ? r->s[r->top].score : 0);
    lua_setfield(L, res, "score");
    /* the blocks emitted: the top or what stands for it, joining
     * siblings, twins (document order) */
    int nb = r->nblocks < 16 ? r->nblocks : 16;
    lua_createtable(L, nb, 0);
    for (int k = 0; k < nb; k++) {
        pipe_html_push_node(L, 1, r->s[r->blocks[k]].node);
        lua_rawseti(L, -2, k + 1);
    }
    lua_setfield(L, res, "blocks");
    /* the best candidates, best first */
    lua_newtable(L);
    int k = 0;
    double last = INFINITY;
    int last_i = -1;
    while (k < r->pp->candidates) {
        int best = -1;
        for (int i = 0; i < r->n; i++) {
            const nstat *s = &r->s[i];
            if (!s->scored)
                continue;
            if (s->score > last || (s->score == last && i <= last_i))
                continue;
            if (best < 0 || s->score > r->s[best].score)
                best = i;
        }
        if (best < 0)
            break;
        lua_createtable(L, 0, 4);
        pipe_html_push_node(L, 1, r->s[best].node);
        lua_setfield(L, -2, "node");
        lua_pushnumber(L, r->s[best].score);
        lua_setfield(L, -2, "score");
        lua_pushinteger(L, r->s[best].chars);
        lua_setfield(L, -2, "chars");
        lua_pushnumber(L, pipe_extract_link_density(&r->s[best]));
        lua_setfield(L, -2, "link_density");
        lua_rawseti(L, -2, ++k);
        last = r->s[best].score;
        last_i = best;
    }
    lua_setfield(L, res, "candidates");
}

/* extract.content(doc_or_node [, params]) -> {text=, paragraphs=, node=,
 *   score=, blocks=, candidates=} | nil, msg (no paragraphs with
 *   params.paragraphs = false) */
static int extract_content(lua_State *L)
{
    xmlNodePtr root = pipe_html_check_node(L, 1);
    int t = 0;
    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        t = 2;
    }
    lua_settop(L, 2);
    run r;
    memset(&r, 0, sizeof r);
    r.L = L;
    /* the working arrays and the params: the ones the last call left
     * (scratch_take); the arrays are grown by the first attempt's index
     * when they are too small */
    scratch_take(&r);
    params *pp = lua_touserdata(L, r.params_idx);
    pipe_extract_read_params(L, t, pp);
    r.pp = pp;
    /* again: reading params may have run Lua code (metamethods); from here
     * on the document is marked walked: a finalizer cannot close or edit it
     * under us (include/pipe/html.h) */
    void *hold = pipe_html_walk_begin(L, 1);
    root = pipe_html_check_node(L, 1);
    if (!root) {
        scratch_keep(&r);
        pipe_html_walk_end(hold);
        luaL_pushfail(L);
        lua_pushliteral(L, "no content");
        return 2;
    }
    r.tags = &pp->ti;
    hint_cache hc;
    memset(hc.v, 0, sizeof hc.v);
    hc.n = 0;
    r.hints = &hc;

    if (pp->whole) {
        const int mode[3] = {0, 1, pp->whole_clean};
        set_mode(&r, mode);
        attempt_whole(&r, root);
    } else {
        /* Readability's retries: fewer filters while the result is short;
         * a later attempt wins only when it gives retry_gain times more
         * text (a short article must not give way to its comment thread). */
        static const int modes[3][3] = {{1, 1, 1}, {0, 1, 1}, {0, 0, 0}};
        int m = 0, best_mode = 0;
        set_mode(&r, modes[0]);
        long best_len = attempt(&r, root);
        while ((double)best_len < pp->retry_length && m < 2) {
            set_mode(&r, modes[++m]);
            long len = attempt(&r, root);
            if ((double)len > (double)best_len * pp->retry_gain) {
                best_len = len;
                best_mode = m;
            }
        }
        if (m != best_mode) {
            set_mode(&r, modes[best_mode]);
            attempt(&r, root);
        }
    }
    if (r.n == 0 || r.npara == 0) {
        scratch_keep(&r);
        pipe_html_walk_end(hold);
        luaL_pushfail(L);
        lua_pushliteral(L, "no content");
        return 2;
    }
    lua_createtable(L, 0, 7);
    push_result(L, &r);
    scratch_keep(&r);
    pipe_html_walk_end(hold);
    return 1;
}

/* extract.defaults() -> table: every parameter and its default */
static int extract_defaults(lua_State *L)
{
    pipe_extract_push_defaults(L);
    return 1;
}

static const luaL_Reg extract_funcs[] = {
    {"content", extract_content},
    {"defaults", extract_defaults},
    {"scanner", pipe_extract_scanner},
    {NULL, NULL},
};

static int extract_open(lua_State *L)
{
    pipe_extract_scanner_mt(L);
    luaL_newlib(L, extract_funcs);
    return 1;
}

static const char *const extract_names[] = {"content", "defaults", "scanner",
                                             NULL};

static const char *const extract_requires[] = {"html", NULL};

const pipe_plugin pipe_plugin_extract = {
    PIPE_PLUGIN_HEAD,
    .name = "extract",
    .summary = "generic main-content extraction (article body of any page)",
    .open = extract_open,
    .lua_names = extract_names,
    .requires = extract_requires,
};
