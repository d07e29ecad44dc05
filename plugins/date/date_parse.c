/*
 * date plugin, the parser: a time, a date (numeric or with a month name),
 * a zone, or a relative phrase among the tokens of a folded text.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <unicode/uchar.h>
#include <unicode/uloc.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>

#include <lauxlib.h>

#include "date.h"

static const long unit_secs[] = {0, 1, 60, 3600, 86400, 604800, 0, 0};

/*
 * The parse
 */

static unsigned lookup(lua_State *L, int lt, const char *w, int wl)
{
    lua_getfield(L, lt, "words");
    lua_pushlstring(L, w, (size_t)wl);
    lua_rawget(L, -2);
    unsigned e = (unsigned)lua_tointeger(L, -1);
    lua_pop(L, 2);
    return e;
}

/* code points in a UTF-8 string, and the common prefix of two */
static int cp_count(const char *s, int n)
{
    int c = 0;
    for (int i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

static int cp_lcp(const char *a, int an, const char *b, int bn)
{
    int i = 0, l = 0;
    while (i < an && i < bn && a[i] == b[i]) {
        i++;
        if (i == an || i == bn || ((unsigned char)a[i] & 0xC0) != 0x80)
            l++;
    }
    /* a partial multi-byte character does not count */
    if (i < an && i < bn && ((unsigned char)a[i] & 0xC0) == 0x80)
        l--;
    return l;
}

/* an inflected month: the word shares all but a short ending with one
 * wide month name (and no other month's) */
static unsigned prefix_month(lua_State *L, int lt, const char *w, int wl)
{
    lua_getfield(L, lt, "inflect");
    int infl = lua_toboolean(L, -1);
    lua_pop(L, 1);
    if (!infl)
        return 0;
    int nw = cp_count(w, wl);
    if (nw < 3)
        return 0;
    unsigned found = 0;
    int amb = 0;
    lua_getfield(L, lt, "wide");
    lua_pushlstring(L, w, (size_t)first_char(w, wl));
    if (lua_rawget(L, -2) != LUA_TTABLE) {
        lua_pop(L, 2);
        return 0;
    }
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        size_t nl;
        const char *name = lua_tolstring(L, -2, &nl);
        unsigned m = (unsigned)lua_tointeger(L, -1);
        lua_pop(L, 1);
        int nn = cp_count(name, (int)nl);
        int l = cp_lcp(w, wl, name, (int)nl);
        int ok = nn <= 4
                     ? (nw == nn && l == nn - 1 && l >= 3)
                     : (l >= 4 && l >= nn - 2 && nw - l <= 3 && nw <= nn + 1);
        if (ok && m) {
            if (found && found != m)
                amb = 1;
            found = m;
        }
    }
    lua_pop(L, 2);
    return amb ? 0 : found;
}

unsigned pipe_date_entry_of(ctx *x, const char *w, int wl)
{
    if (wl <= 0 || wl >= WORDMAX)
        return 0;
    const unsigned kinds = E_MONTH | E_WDAY | E_AM | E_PM | E_MAMB;
    unsigned e = lookup(x->L, x->prim, w, wl);
    if (x->en && !(e & kinds))
        e |= lookup(x->L, x->en, w, wl);
    if (!(e & kinds) && cp_count(w, wl) >= x->uni_min && pipe_date_uni(x))
        e |= lookup(x->L, x->uni, w, wl);
    if (!(e & (E_MONTH | E_MAMB | E_WDAY))) {
        unsigned m = prefix_month(x->L, x->prim, w, wl);
        if (!m && pipe_date_uni(x) && x->uni != x->prim)
            m = prefix_month(x->L, x->uni, w, wl);
        e |= m;
    }
    return e;
}

int pipe_date_uni(ctx *x)
{
    if (x->uni_lazy) {
        x->uni_lazy = 0;
        pipe_date_push_union(x->L, x->cache, x->uni_which);
        x->uni = lua_gettop(x->L);
    }
    return x->uni;
}

static void lookup_words(ctx *x, toks *T)
{
    for (int i = 0; i < T->n; i++)
        if (T->t[i].kind == T_WORD)
            T->t[i].e = pipe_date_entry_of(x, word(T, i), T->t[i].wl);
}


/* a zone at token i ("GMT", "+02:00", "UTC+5:30", "(CET)", "ET"); sets
 * r->off / r->zone; returns the tokens it took, 0 when none */
static int zone_at(ctx *x, toks *T, int i, dt *r)
{
    int start = i;
    if (punct_is(T, i, '('))
        i++;
    if (i < T->n && T->t[i].kind == T_WORD && (T->t[i].e & E_HOUR))
        i++; /* "14:05 Uhr MEZ" */
    if (i >= T->n)
        return 0;
    tok *t = &T->t[i];
    int sign_at = -1;
    if (t->kind == T_WORD && (word_is(T, i, "utc") || word_is(T, i, "gmt") ||
                              word_is(T, i, "ut") || word_is(T, i, "z"))) {
        r->off = 0;
        r->has_off = 1;
        t->used = 1;
        i++;
        if ((punct_is(T, i, '+') || punct_is(T, i, '-')) && num_at(T, i + 1) &&
            !T->t[i + 1].sp)
            sign_at = i;
        else
            return i - start;
    } else if ((t->kind == T_PUNCT && (t->ch == '+' || t->ch == '-')) &&
               num_at(T, i + 1) && !T->t[i + 1].sp) {
        sign_at = i;
    }
    if (sign_at >= 0) {
        i = sign_at;
        tok *n = &T->t[i + 1];
        int h, m = 0, took = 2;
        if (n->ndig <= 2) {
            h = (int)n->num;
            if (punct_is(T, i + 2, ':') && num_at(T, i + 3) &&
                T->t[i + 3].ndig == 2) {
                m = (int)T->t[i + 3].num;
                took = 4;
            }
        } else if (n->ndig <= 4) {
            h = (int)(n->num / 100);
            m = (int)(n->num % 100);
        } else {
            return 0;
        }
        if (h > 14 || m > 59)
            return 0;
        r->off = (T->t[i].ch == '-' ? -1 : 1) * (h * 60 + m);
        r->has_off = 1;
        for (int k = 0; k < took; k++)
            T->t[i + k].used = 1;
        i += took;
        if (punct_is(T, i, ')'))
            i++;
        return i - start;
    }
    if (t->kind != T_WORD || t->wl > 12)
        return 0;
    char w[WORDMAX];
    memcpy(w, word(T, i), (size_t)t->wl);
    w[t->wl] = '\0';
    int off;
    int z = pipe_date_zone_lookup(x, w, &off);
    if (z < 0)
        return 0; /* known, and ambiguous: no zone (not a generic name) */
    if (z > 0) {
        r->off = off;
        r->has_off = 1;
    } else {
        pipe_date_generic_zone(x, w, t->wl, r->zone,
                               sizeof r->zone);
        if (!r->zone[0])
            return 0;
    }
    t->used = 1;
    i++;
    if (punct_is(T, i, ')'))
        i++;
    return i - start;
}

/* "a.m.", "pm", "дп" after a time at token i: 0 am, 1 pm, -1 none */
static int ampm_at(toks *T, int i, int *took)
{
    *took = 0;
    if (i >= T->n || T->t[i].kind != T_WORD)
        return -1;
    unsigned e = T->t[i].e;
    if (e & (E_AM | E_PM)) {
        *took = 1 + punct_is(T, i + 1, '.');
        return (e & E_PM) ? 1 : 0;
    }
    if ((word_is(T, i, "a") || word_is(T, i, "p")) && punct_is(T, i + 1, '.') &&
        word_is(T, i + 2, "m")) {
        *took = 3 + punct_is(T, i + 3, '.');
        return word_is(T, i, "p");
    }
    return -1;
}

/* the time at token i (H:MM[:SS[.f]], 13h59, 14 Uhr, 2 pm) */
static int time_at(ctx *x, toks *T, int i, dt *r, int dots)
{
    if (!num_at(T, i) || T->t[i].ndig > 2)
        return 0;
    /* "25:61": a time, but not a valid one */
    if (!dots && punct_is(T, i + 1, ':') && num_at(T, i + 2) &&
        T->t[i + 2].ndig == 2 && !T->t[i + 2].sp &&
        (T->t[i].num > 23 || T->t[i + 2].num > 59) &&
        !(punct_is(T, i - 1, ':') && num_at(T, i - 2)))
        return -1;
    if (T->t[i].num > 24)
        return 0;
    int H = (int)T->t[i].num, M = 0, S = 0, j;
    int took = 0;
    if ((punct_is(T, i + 1, ':') || (dots && punct_is(T, i + 1, '.'))) &&
        num_at(T, i + 2) && T->t[i + 2].ndig == 2 && !T->t[i + 2].sp) {
        if (dots && (punct_is(T, i + 3, '.') || punct_is(T, i + 3, '/')) &&
            num_at(T, i + 4))
            return 0; /* 20.11.2016: a date */
        if (dots && (punct_is(T, i - 1, '.') || punct_is(T, i - 1, '/')) &&
            num_at(T, i - 2))
            return 0;
        M = (int)T->t[i + 2].num;
        j = i + 3;
        if (punct_is(T, j, T->t[i + 1].ch) && num_at(T, j + 1) &&
            T->t[j + 1].ndig == 2) {
            S = (int)T->t[j + 1].num;
            j += 2;
            if ((punct_is(T, j, '.') || punct_is(T, j, ',')) &&
                num_at(T, j + 1) && !T->t[j + 1].sp)
                j += 2; /* fractions of a second */
        }
        took = j - i;
    } else if (word_is(T, i + 1, "h") && !dots) {
        j = i + 2;
        if (num_at(T, j) && T->t[j].ndig == 2) {
            M = (int)T->t[j].num;
            j++;
        }
        took = j - i;
    } else if (!dots && i + 1 < T->n && T->t[i + 1].kind == T_WORD &&
               (T->t[i + 1].e & E_HOUR)) {
        took = 2;
    } else if (!dots) {
        int n;
        int pm = ampm_at(T, i + 1, &n);
        if (pm < 0)
            return 0;
        took = 1;
    } else {
        return 0;
    }
    if (H > 23 || M > 59 || S > 60)
        return 0;
    for (int k = i; k < i + took; k++)
        T->t[k].used = 1;
    r->H = H;
    r->M = M;
    r->S = S == 60 ? 59 : S;
    r->has_time = 1;
    j = i + took;
    int n;
    int pm = ampm_at(T, j, &n);
    if (pm >= 0) {
        for (int k = j; k < j + n; k++)
            T->t[k].used = 1;
        j += n;
        if (r->H >= 1 && r->H <= 12) {
            r->pm = pm;
            r->H = r->H % 12 + (pm ? 12 : 0);
        }
    }
    j += zone_at(x, T, j, r);
    return 1;
}

int pipe_date_two_digit_year(const ctx *x, int yy)
{
    if (x->has_now) {
        int y = x->now.y / 100 * 100 + yy;
        if (y > x->now.y + 20)
            y -= 100;
        else if (y <= x->now.y - 80)
            y += 100;
        return y;
    }
    return yy < 50 ? 2000 + yy : 1900 + yy;
}

/* d/m/y, m/d/y, y-m-d with one separator (. / -) */
static int numeric_date(ctx *x, toks *T, dt *r)
{
    for (int i = 0; i + 4 < T->n; i++) {
        if (!num_at(T, i) || T->t[i + 1].kind != T_PUNCT)
            continue;
        UChar32 sep = T->t[i + 1].ch;
        if (sep != '.' && sep != '/' && sep != '-')
            continue;
        if (!num_at(T, i + 2) || !punct_is(T, i + 3, sep) || !num_at(T, i + 4))
            continue;
        if (sep != '.' && (T->t[i + 2].sp || T->t[i + 4].sp))
            continue;
        /* part of a longer run: 1.2.3.4, 10.0.19041 */
        if (punct_is(T, i + 5, sep) && num_at(T, i + 6))
            continue;
        if (i >= 2 && punct_is(T, i - 1, sep) && num_at(T, i - 2))
            continue;
        tok *a = &T->t[i], *b = &T->t[i + 2], *c = &T->t[i + 4];
        int y, m, d;
        if (a->ndig == 4 && b->ndig <= 2 && c->ndig <= 2) {
            y = (int)a->num;
            m = (int)b->num;
            d = (int)c->num;
        } else if (a->ndig <= 2 && b->ndig <= 2 &&
                   (c->ndig == 4 || c->ndig == 2)) {
            if (x->order == 2 && c->ndig == 2 && a->ndig == 2 && sep != '.') {
                y = pipe_date_two_digit_year(x, (int)a->num);
                m = (int)b->num;
                d = (int)c->num;
            } else {
                y = c->ndig == 4 ? (int)c->num
                                 : pipe_date_two_digit_year(x, (int)c->num);
                /* dots are day first everywhere; / and - as the language
                 * writes them */
                int mdy = sep != '.' && x->order == 1;
                m = (int)(mdy ? a->num : b->num);
                d = (int)(mdy ? b->num : a->num);
                if (m > 12 && d <= 12) {
                    int t = m;
                    m = d;
                    d = t;
                }
            }
        } else {
            continue;
        }
        r->y = y;
        r->m = m;
        r->d = d;
        r->has_date = 1;
        a->used = b->used = c->used = 1;
        T->t[i + 1].used = T->t[i + 3].used = 1;
        return 1;
    }
    return 0;
}

/* a date with a month name: the day and year are the numbers nearest to
 * it; returns 1 found, 2 found without a year (taken from now), 0 none, -1
 * a month without a day, -2 no year and no now */
static int named_date(ctx *x, toks *T, dt *r)
{
    int mi = -1;
    for (int pass = 0; pass < 2 && mi < 0; pass++)
        for (int i = 0; i < T->n; i++) {
            tok *t = &T->t[i];
            if (t->kind != T_WORD || t->used || !(t->e & E_MONTH))
                continue;
            if (pass == 0 && (t->e & E_WDAY))
                continue; /* "mar": March, or martes? another first */
            mi = i;
            break;
        }
    if (mi < 0)
        return 0;
    /* "Apr 042013": a day and a year run together (two inline elements
     * without a space between them) */
    if (num_at(T, mi + 1) && T->t[mi + 1].ndig == 6) {
        long long v = T->t[mi + 1].num;
        int d = (int)(v / 10000), y = (int)(v % 10000);
        if (d >= 1 && d <= 31 && y >= 1583 && y <= 2999) {
            r->m = (int)(T->t[mi].e & E_MONTH);
            r->d = d;
            r->y = y;
            r->has_date = 1;
            T->t[mi].used = T->t[mi + 1].used = 1;
            return 1;
        }
    }
    int day = -1, year = -1, best = 99, ybest = 99;
    for (int i = 0; i < T->n; i++) {
        if (!num_at(T, i))
            continue;
        tok *t = &T->t[i];
        /* distance in the words and numbers between, a time and
         * punctuation not counted ("Fri Feb 18 10:27:24 2022") */
        int dist = 0;
        for (int k = (i < mi ? i : mi) + 1; k < (i < mi ? mi : i); k++)
            dist += T->t[k].kind != T_PUNCT && !T->t[k].used;
        dist++;
        if (t->ndig == 4 && t->num >= 1583 && dist <= 5 && dist < ybest) {
            year = i;
            ybest = dist;
        } else if (t->ndig <= 2 && t->num >= 1 && t->num <= 31 && dist <= 3 &&
                   (dist < best || (dist == best && i < mi))) {
            day = i;
            best = dist;
        }
    }
    if (day < 0)
        return -1;
    if (year < 0) {
        /* a two-digit year: "17 Jan 26", "Jan 17 '26" */
        for (int i = 0; i < T->n; i++) {
            if (i == day || !num_at(T, i) || T->t[i].ndig != 2)
                continue;
            int dist = i < mi ? mi - i : i - mi;
            int near_day = i > day && i - day <= 2;
            if ((dist <= 2 || near_day) &&
                (i > mi || punct_is(T, i - 1, '\'')) &&
                !punct_is(T, i + 1, ':') && !punct_is(T, i + 1, '.')) {
                year = i;
                break;
            }
        }
    }
    r->m = (int)(T->t[mi].e & E_MONTH);
    r->d = (int)T->t[day].num;
    T->t[mi].used = T->t[day].used = 1;
    if (year >= 0) {
        T->t[year].used = 1;
        r->y = T->t[year].ndig == 4
                   ? (int)T->t[year].num
                   : pipe_date_two_digit_year(x, (int)T->t[year].num);
    } else if (x->has_now) {
        /* no year: the last such day up to tomorrow */
        r->y = x->now.y;
        if (r->m > x->now.m || (r->m == x->now.m && r->d > x->now.d + 1))
            r->y--;
        r->has_date = 1;
        return 2;
    } else {
        return -2;
    }
    r->has_date = 1;
    return 1;
}

/* words of the text that are not part of the date: the content tokens */
static int content(const toks *T, int *idx)
{
    int n = 0;
    for (int i = 0; i < T->n; i++)
        if (T->t[i].kind != T_PUNCT && !T->t[i].used)
            idx[n++] = i;
    return n;
}

static int tpl_word_eq(lua_State *L, int tpl, int k, const toks *T, int ti)
{
    lua_rawgeti(L, tpl, k);
    size_t n;
    const char *s = lua_tolstring(L, -1, &n);
    int eq = s && T->t[ti].kind == T_WORD && (size_t)T->t[ti].wl == n &&
             memcmp(word(T, ti), s, n) == 0;
    lua_pop(L, 1);
    return eq;
}

/* match template `tpl` (on the stack) at content position p; returns the
 * number of content tokens taken, 0 when it does not match; *num gets the
 * number (1 for a singular without one) */
static int tpl_match(lua_State *L, int tpl, const toks *T, const int *idx,
                     int n, int p, long long *num)
{
    int k = 1, len = (int)lua_rawlen(L, tpl), q = p;
    lua_getfield(L, tpl, "one");
    int one = lua_toboolean(L, -1);
    lua_pop(L, 1);
    *num = 1;
    while (k <= len) {
        lua_rawgeti(L, tpl, k);
        int hash = lua_tostring(L, -1)[0] == '#';
        lua_pop(L, 1);
        if (hash) {
            if (q < n && T->t[idx[q]].kind == T_NUM) {
                *num = T->t[idx[q]].num;
                q++;
            } else if (!one) {
                return 0;
            } else if (q < n && T->t[idx[q]].kind == T_WORD && k < len &&
                       !tpl_word_eq(L, tpl, k + 1, T, idx[q])) {
                q++; /* "an hour ago", "il y a une heure" */
            }
            k++;
            continue;
        }
        if (q >= n || !tpl_word_eq(L, tpl, k, T, idx[q]))
            return 0;
        q++;
        k++;
    }
    return q - p;
}

/* a relative date: *unit, *n (how many units back), *is_fix (a phrase
 * without a number); the content tokens it took are marked used; returns
 * 1 when one matched.  Templates are found through their last word. */
static int relative(ctx *x, toks *T, int *unit, long long *n, int *is_fix)
{
    int idx[MAXTOK];
    int nc = content(T, idx);
    lua_State *L = x->L;
    int uni = pipe_date_uni(x);
    int lts[3] = {x->prim, x->en, uni != x->prim ? uni : 0};
    for (int l = 0; l < 3; l++) {
        if (!lts[l])
            continue;
        lua_getfield(L, lts[l], "rel");
        int rel = lua_gettop(L);
        int best = 0, best_at = 0;
        for (int ci = 0; ci < nc; ci++) {
            int ti = idx[ci];
            if (T->t[ti].kind != T_WORD)
                continue;
            lua_pushlstring(L, word(T, ti), (size_t)T->t[ti].wl);
            if (lua_rawget(L, rel) != LUA_TTABLE) {
                lua_pop(L, 1);
                continue;
            }
            int list = lua_gettop(L);
            lua_Integer len = (lua_Integer)lua_rawlen(L, list);
            for (lua_Integer i = 1; i <= len; i++) {
                lua_rawgeti(L, list, i);
                int tpl = lua_gettop(L);
                int tl = (int)lua_rawlen(L, tpl);
                lua_getfield(L, tpl, "fix");
                int has_fix = lua_isinteger(L, -1);
                int fix = (int)lua_tointeger(L, -1);
                lua_pop(L, 1);
                for (int p = ci - tl < 0 ? 0 : ci - tl; p <= ci; p++) {
                    long long v;
                    int took = tpl_match(L, tpl, T, idx, nc, p, &v);
                    if (!took || p + took - 1 != ci)
                        continue;
                    /* a phrase without a number ("hier", "nu", "ora")
                     * must be most of the text, or it is just a word in
                     * a sentence */
                    if (has_fix && nc - took > 2)
                        continue;
                    if (took > best) {
                        best = took;
                        best_at = p;
                        lua_getfield(L, tpl, "u");
                        *unit = (int)lua_tointeger(L, -1);
                        lua_pop(L, 1);
                        *is_fix = has_fix;
                        *n = has_fix ? -fix : v;
                    }
                }
                lua_pop(L, 1);
            }
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
        if (best) {
            for (int k = best_at; k < best_at + best; k++)
                T->t[idx[k]].used = 1;
            return 1;
        }
    }
    return 0;
}

/* how the result's offset is decided when the text names none */
void pipe_date_apply_zone(const ctx *x, dt *r)
{
    if (!r->has_time || r->has_off)
        return;
    int off;
    if (r->zone[0] && pipe_date_wall_offset(r->zone, r, &off) == 0) {
        r->off = off;
        r->has_off = 1;
    } else if (x->tz_kind == 1) {
        r->off = x->tz_off;
        r->has_off = 1;
    } else if (x->tz_kind == 2 &&
               pipe_date_wall_offset(x->tz_id, r, &off) == 0) {
        r->off = off;
        r->has_off = 1;
    }
}

/* now as the site's clock shows it: converted to tz when both are known */
static dt local_now(const ctx *x)
{
    dt n = x->now;
    if (n.has_off && x->tz_kind) {
        long long epoch = pipe_date_wall_secs(&n) - n.off * 60;
        int off = x->tz_off;
        if (x->tz_kind == 2 &&
            pipe_date_instant_offset(x->tz_id, epoch, &off) != 0)
            return n;
        pipe_date_set_wall(&n, epoch + off * 60);
        n.off = off;
    }
    return n;
}

static int relative_result(const ctx *x, int unit, long long n, dt *time, dt *r)
{
    dt now = local_now(x);
    if (n < 0 || n > 100000)
        return 0;
    if (unit <= U_HOUR) {
        long long epoch = pipe_date_wall_secs(&now) -
                          (now.has_off ? now.off * 60 : 0) -
                          n * unit_secs[unit];
        int off = now.off;
        if (x->tz_kind == 2 && now.has_off)
            pipe_date_instant_offset(x->tz_id, epoch, &off);
        pipe_date_set_wall(r, epoch + (now.has_off ? off * 60 : 0));
        r->has_date = r->has_time = 1;
        r->has_off = now.has_off;
        r->off = off;
        return 1;
    }
    long long days = pipe_date_days_from_civil(now.y, now.m, now.d);
    if (unit == U_DAY || unit == U_WEEK) {
        pipe_date_civil_from_days(days - n * (unit == U_DAY ? 1 : 7), &r->y,
                                  &r->m, &r->d);
    } else {
        long long months =
            (long long)now.y * 12 + (now.m - 1) - n * (unit == U_YEAR ? 12 : 1);
        r->y = (int)(months / 12);
        r->m = (int)(months % 12) + 1;
        r->d = now.d > pipe_date_days_in(r->y, r->m)
                   ? pipe_date_days_in(r->y, r->m)
                   : now.d;
    }
    r->has_date = 1;
    if (unit == U_DAY && time->has_time) {
        /* "yesterday, 14:05": the time as written, in the text's zone,
         * else tz, else now's */
        r->H = time->H;
        r->M = time->M;
        r->S = time->S;
        r->has_time = 1;
        r->has_off = time->has_off;
        r->off = time->off;
        memcpy(r->zone, time->zone, sizeof r->zone);
        pipe_date_apply_zone(x, r);
        if (!r->has_off && now.has_off) {
            r->has_off = 1;
            r->off = now.off;
        }
    }
    return 1;
}

void pipe_date_quote(char *out, size_t cap, const char *s, size_t len)
{
    /* at most 60 characters, invalid UTF-8 as U+FFFD, controls as spaces */
    char tmp[256];
    int n = 0, chars = 0;
    int32_t i = 0;
    while (i < (int32_t)len && chars < 60 && n < 240) {
        UChar32 c;
        U8_NEXT((const uint8_t *)s, i, (int32_t)len, c);
        if (c < 0)
            c = 0xFFFD;
        else if (c < 0x20 || c == 0x7F)
            c = ' ';
        UBool err = 0;
        U8_APPEND((uint8_t *)tmp, n, (int32_t)sizeof tmp, c, err);
        if (err)
            break;
        chars++;
    }
    int cut = i < (int32_t)len;
    while (cut && n > 0 && tmp[n - 1] == ' ')
        n--;
    tmp[n] = '\0';
    snprintf(out, cap, "'%s%s'", tmp, cut ? "…" : "");
}

/* 2026-01-17[T14:05[:00[.123]]][Z|+02:00|+0200|+02|-500], 20260117,
 * 20260117T140500Z: returns 1 parsed, 0 not this form, -1 an invalid
 * time, -2 an invalid offset */
static int iso_fast(const char *s, size_t n, dt *r)
{
#define D(i) (s[i] >= '0' && s[i] <= '9')
#define V2(i) ((s[i] - '0') * 10 + (s[i + 1] - '0'))
    size_t i;
    if (n >= 10 && D(0) && D(1) && D(2) && D(3) && s[4] == '-' && D(5) &&
        D(6) && s[7] == '-' && D(8) && D(9)) {
        r->y = V2(0) * 100 + V2(2);
        r->m = V2(5);
        r->d = V2(8);
        i = 10;
    } else if (n >= 8 && D(0) && D(1) && D(2) && D(3) && D(4) && D(5) && D(6) &&
               D(7) && (n == 8 || s[8] == 'T')) {
        r->y = V2(0) * 100 + V2(2);
        r->m = V2(4);
        r->d = V2(6);
        i = 8;
    } else {
        return 0;
    }
    r->has_date = 1;
    if (i == n)
        return 1;
    if ((s[i] != 'T' && s[i] != ' ') || i + 3 > n)
        return 0;
    i++;
    if (!(i + 2 <= n && D(i) && D(i + 1)))
        return 0;
    r->H = V2(i);
    i += 2;
    if (i < n && s[i] == ':')
        i++;
    if (!(i + 2 <= n && D(i) && D(i + 1)))
        return 0;
    r->M = V2(i);
    i += 2;
    if (i + 1 < n && (s[i] == ':' || D(i))) {
        if (s[i] == ':')
            i++;
        if (!(i + 2 <= n && D(i) && D(i + 1)))
            return 0;
        r->S = V2(i);
        i += 2;
        if (i < n && (s[i] == '.' || s[i] == ',')) {
            i++;
            if (!(i < n && D(i)))
                return 0;
            while (i < n && D(i))
                i++;
        }
    }
    r->has_time = 1;
    if (r->H > 23 || r->M > 59 || r->S > 60)
        return -1;
    if (r->S == 60)
        r->S = 59;
    if (i < n && s[i] == ' ')
        i++;
    if (i == n)
        return 1;
    char z[16];
    if (n - i >= sizeof z)
        return 0;
    memcpy(z, s + i, n - i);
    z[n - i] = '\0';
    int zh = n - i == 6 && D(i + 1) && D(i + 2) && s[i + 3] == ':' &&
                     D(i + 4) && D(i + 5)
                 ? V2(i + 1)
                 : 99;
    if (!strcmp(z, "Z") || !strcmp(z, "z")) {
        r->off = 0;
    } else if ((z[0] == '+' || z[0] == '-') && zh <= 14 && V2(i + 4) <= 59) {
        /* "+02:00", the common one: what pipe_date_fixed_offset gives */
        r->off = (z[0] == '-' ? -1 : 1) * (zh * 60 + V2(i + 4));
    } else if (z[0] != '+' && z[0] != '-') {
        return 0;
    } else if (pipe_date_fixed_offset(z, &r->off) != 0) {
        /* digits where an offset goes, but not one: "+15:00" */
        size_t k = 1;
        while (z[k] && ((z[k] >= '0' && z[k] <= '9') || z[k] == ':'))
            k++;
        return z[k] ? 0 : -2;
    }
    r->has_off = 1;
    return 1;
#undef D
#undef V2
}

/* an absolute date (and time, zone) among the tokens: 1 a date with its
 * year, 2 a day and month with the year from now, 0 none, -1 an invalid
 * time; *named is named_date's verdict */
static int absolute(ctx *x, toks *T, dt *r, int *named)
{
    for (int i = 0; i < T->n; i++)
        T->t[i].used = 0;
    memset(r, 0, sizeof *r);
    r->pm = -1;
    *named = 0;
    /* a time first, so its numbers are not taken for a day */
    for (int i = 0; i < T->n && !r->has_time; i++)
        if (time_at(x, T, i, r, 0) < 0)
            return -1;
    int k = 0;
    if (numeric_date(x, T, r)) {
        k = 1;
    } else {
        *named = named_date(x, T, r);
        k = *named == 1 ? 1 : *named == 2 ? 2 : 0;
    }
    if (r->has_date && !r->has_time)
        for (int i = 0; i < T->n && !r->has_time; i++)
            time_at(x, T, i, r, 1); /* 20.26 after a date */
    if (!r->has_date) {
        r->has_time = r->has_off = 0;
        r->zone[0] = '\0';
    }
    return k;
}

/* why = fmt with the text quoted (pipe_date_quote) for its %s: made
 * only when the text is rejected */
static void say(char *why, size_t wn, const char *fmt, const char *s,
                size_t len)
{
    char q[80];
    pipe_date_quote(q, sizeof q, s, len);
    snprintf(why, wn, fmt, q);
}

/* the general text parser; returns 1 with r set, or 0 with why */
int pipe_date_is_fast(const char *s, size_t len)
{
    dt r;
    memset(&r, 0, sizeof r);
    if (iso_fast(s, len, &r) != 0)
        return 1;
    size_t k = 0;
    while (k < len && s[k] >= '0' && s[k] <= '9')
        k++;
    return k == len && (len == 9 || len == 10 || len == 13);
}

int pipe_date_parse_text(ctx *x, const char *s, size_t len, dt *r, char *why,
                         size_t wn)
{
    memset(r, 0, sizeof *r);
    r->pm = -1;
    int iso = iso_fast(s, len, r);
    if (iso != 0) {
        if (!pipe_date_valid_date(r))
            say(why, wn, "invalid date %s", s, len);
        else if (iso == -1)
            say(why, wn, "invalid time in %s", s, len);
        else if (iso == -2)
            say(why, wn, "invalid offset in %s", s, len);
        else
            return 1;
        return 0;
    }
    memset(r, 0, sizeof *r);
    r->pm = -1;
    /* Unix time: 9-10 digits seconds, 13 milliseconds (UTC) */
    size_t k = 0;
    while (k < len && s[k] >= '0' && s[k] <= '9')
        k++;
    if (k == len && (len == 9 || len == 10 || len == 13)) {
        long long v = strtoll(s, NULL, 10);
        if (len == 13)
            v /= 1000;
        pipe_date_set_wall(r, v);
        r->has_date = r->has_time = r->has_off = 1;
        r->off = 0;
        return 1;
    }
    folded *f = malloc(sizeof *f);
    toks *T = malloc(sizeof *T);
    if (!f || !T) {
        free(f);
        free(T);
        snprintf(why, wn, "out of memory");
        return 0;
    }
    int rc = 0;
    if (pipe_date_fold_utf8(s, len, f) != 0) {
        say(why, wn, "cannot read %s", s, len);
        goto out;
    }
    pipe_date_tokenize(f, T);
    lookup_words(x, T);
    int named = 0;
    int kind = absolute(x, T, r, &named);
    if (kind < 0) {
        say(why, wn, "invalid time in %s", s, len);
        goto out;
    }
    if (kind != 1 && !x->no_rel) {
        /* no date, or a day and month without a year: a relative date?
         * ("2 hours ago": "ago" is also Spanish for August).  On the
         * tokens afresh ("il y a 2 h" is not two o'clock), else after
         * taking a time ("hier à 14h05") */
        int unit = 0, fix = 0, matched;
        long long n = 0;
        dt time;
        memset(&time, 0, sizeof time);
        time.pm = -1;
        for (int i = 0; i < T->n; i++)
            T->t[i].used = 0;
        matched = relative(x, T, &unit, &n, &fix);
        if (!matched) {
            for (int i = 0; i < T->n; i++)
                T->t[i].used = 0;
            for (int i = 0; i < T->n && !time.has_time; i++)
                time_at(x, T, i, &time, 0);
            if (time.has_time)
                matched = relative(x, T, &unit, &n, &fix);
        } else {
            for (int i = 0; i < T->n && !time.has_time; i++)
                time_at(x, T, i, &time, 0);
        }
        if (matched) {
            if (!x->has_now) {
                say(why, wn,
                         "relative date %s needs a reference time "
                         "(--now, or the record's `fetched`)", s, len);
                goto out;
            }
            memset(r, 0, sizeof *r);
            if (!relative_result(x, unit, n, &time, r)) {
                say(why, wn, "relative date %s out of range", s, len);
                goto out;
            }
            rc = 1;
            goto out;
        }
        if (kind == 2)
            absolute(x, T, r, &named);
    }
    if (!r->has_date) {
        if (named == -2)
            say(why, wn,
                     "no year in %s (a reference time, --now, supplies it)", s, len);
        else if (named == -1)
            say(why, wn, "a month but no day in %s", s, len);
        else
            say(why, wn, "no date in %s", s, len);
        goto out;
    }
    if (!pipe_date_valid_date(r)) {
        say(why, wn, "invalid date %s", s, len);
        goto out;
    }
    rc = 1;
out:
    free(f);
    free(T);
    return rc;
}
