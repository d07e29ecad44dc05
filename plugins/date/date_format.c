/*
 * date plugin, `format`: strftime-like patterns matched against folded
 * text.
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

/*
 * format = "%d.%m.%Y %H:%M"
 */

/* compile; returns item count, -1 with msg */
int pipe_date_compile_format(const char *f, fitem *it, char *msg, size_t mn)
{
    int n = 0;
    size_t len = strlen(f);
    if (len == 0) {
        snprintf(msg, mn, "format must be a non-empty string");
        return -1;
    }
    for (size_t i = 0; i < len;) {
        if (n >= MAXFMT) {
            snprintf(msg, mn, "format '%s' is too long", f);
            return -1;
        }
        if (f[i] == '%') {
            char c = i + 1 < len ? f[i + 1] : '\0';
            if (!c || !strchr("deHImMSYypbBhaAzZ%", c)) {
                snprintf(msg, mn, "unknown directive '%%%c' in format '%s'",
                         c ? c : ' ', f);
                return -1;
            }
            it[n].d = c == '%' ? 0 : c;
            it[n++].lit = '%';
            i += 2;
            continue;
        }
        UChar32 c;
        int32_t ii = (int32_t)i;
        U8_NEXT((const uint8_t *)f, ii, (int32_t)len, c);
        i = (size_t)ii;
        if (c < 0)
            c = 0xFFFD;
        if (u_isUWhiteSpace(c)) {
            if (n == 0 || it[n - 1].d != ' ') {
                it[n].d = ' ';
                it[n++].lit = ' ';
            }
            continue;
        }
        it[n].d = 0;
        it[n++].lit = u_foldCase(c, U_FOLD_CASE_DEFAULT);
    }
    return n;
}

static int digits(const folded *f, int *p, int lo, int hi, int *v)
{
    int i = *p, n = 0, x = 0;
    while (i < f->n && n < hi && u_isdigit(f->c[i])) {
        x = x * 10 + u_charDigitValue(f->c[i]);
        i++;
        n++;
    }
    if (n < lo)
        return 0;
    *p = i;
    *v = x;
    return 1;
}

static int letters(const folded *f, int *p, int *from, int dots)
{
    int i = *p;
    *from = i;
    while (i < f->n && (pipe_date_is_letter(f->c[i]) ||
                        (dots && f->c[i] == '.' && i > *from)))
        i++;
    if (i == *from)
        return 0;
    *p = i;
    return 1;
}

static int match_format(ctx *x, const fitem *it, int ni, const folded *f, int p,
                        dt *r)
{
    memset(r, 0, sizeof *r);
    r->pm = -1;
    int have_y = 0;
    for (int k = 0; k < ni; k++) {
        const fitem *e = &it[k];
        int v, from;
        char w[WORDMAX];
        int wl;
        switch (e->d) {
        case 0:
            if (p >= f->n || f->c[p] != e->lit)
                return 0;
            p++;
            break;
        case ' ':
            while (p < f->n && f->c[p] == ' ')
                p++;
            break;
        case 'd':
        case 'e':
            if (!digits(f, &p, 1, 2, &r->d))
                return 0;
            break;
        case 'm':
            if (!digits(f, &p, 1, 2, &r->m))
                return 0;
            break;
        case 'Y':
            if (!digits(f, &p, 4, 4, &r->y))
                return 0;
            have_y = 1;
            break;
        case 'y':
            if (!digits(f, &p, 2, 2, &v))
                return 0;
            r->y = pipe_date_two_digit_year(x, v);
            have_y = 1;
            break;
        case 'H':
        case 'I':
            if (!digits(f, &p, 1, 2, &r->H))
                return 0;
            r->has_time = 1;
            break;
        case 'M':
            if (!digits(f, &p, 2, 2, &r->M))
                return 0;
            break;
        case 'S':
            if (!digits(f, &p, 2, 2, &r->S))
                return 0;
            break;
        case 'b':
        case 'B':
        case 'h':
        case 'a':
        case 'A':
        case 'p':
        case 'Z':
            if (!letters(f, &p, &from, e->d == 'p'))
                return 0;
            /* "p.m." -> "pm" */
            wl = 0;
            for (int i = from; i < p && wl >= 0; i++) {
                if (f->c[i] == '.')
                    continue;
                UBool err = 0;
                if (wl + 4 >= WORDMAX)
                    wl = -1;
                else
                    U8_APPEND((uint8_t *)w, wl, WORDMAX, f->c[i], err);
                if (err)
                    wl = -1;
            }
            if (wl <= 0)
                return 0;
            w[wl] = '\0';
            if (e->d == 'Z') {
                int z = pipe_date_zone_lookup(x, w, &r->off);
                if (z < 0)
                    return 0;
                if (z == 0) {
                    pipe_date_generic_zone(x, w, wl, r->zone,
                                           sizeof r->zone);
                    if (!r->zone[0])
                        return 0;
                } else {
                    r->has_off = 1;
                }
                break;
            }
            {
                unsigned en = pipe_date_entry_of(x, w, wl);
                if (e->d == 'p') {
                    if (!(en & (E_AM | E_PM)))
                        return 0;
                    r->pm = (en & E_PM) != 0;
                } else if (e->d == 'a' || e->d == 'A') {
                    if (!(en & E_WDAY))
                        return 0;
                } else {
                    if (!(en & E_MONTH))
                        return 0;
                    r->m = (int)(en & E_MONTH);
                }
            }
            if (e->d != 'p' && p < f->n && f->c[p] == '.')
                p++; /* "janv.", "Dez." */
            break;
        case 'z': {
            if (p < f->n && f->c[p] == 'z') {
                r->off = 0;
                r->has_off = 1;
                p++;
                break;
            }
            if (p >= f->n || (f->c[p] != '+' && f->c[p] != '-'))
                return 0;
            int sign = f->c[p] == '-' ? -1 : 1, h, m = 0, q = p + 1;
            int start = q;
            if (!digits(f, &q, 1, 4, &h))
                return 0;
            int nd = q - start;
            if (nd <= 2 && q < f->n && f->c[q] == ':') {
                q++;
                if (!digits(f, &q, 2, 2, &m))
                    return 0;
            } else if (nd > 2) {
                m = h % 100;
                h /= 100;
            }
            if (h > 14 || m > 59)
                return 0;
            r->off = sign * (h * 60 + m);
            r->has_off = 1;
            p = q;
            break;
        }
        }
    }
    if (!r->d || !r->m)
        return 0;
    if (!have_y) {
        if (!x->has_now)
            return -2;
        r->y = x->now.y;
        if (r->m > x->now.m || (r->m == x->now.m && r->d > x->now.d + 1))
            r->y--;
    }
    if (r->pm >= 0 && r->H >= 1 && r->H <= 12)
        r->H = r->H % 12 + (r->pm ? 12 : 0);
    if (r->H > 23 || r->M > 59 || r->S > 60)
        return 0;
    if (r->S == 60)
        r->S = 59;
    r->has_date = 1;
    return 1;
}

int pipe_date_parse_format(ctx *x, const char *fmt, const char *s, size_t len,
                           dt *r, char *why, size_t wn)
{
    fitem it[MAXFMT];
    char msg[200];
    int ni = pipe_date_compile_format(fmt, it, msg, sizeof msg);
    if (ni < 0)
        return luaL_error(x->L, "%s", msg);
    char q[80]; /* the text quoted, made when it is rejected */
    folded *f = malloc(sizeof *f);
    if (!f || pipe_date_fold_utf8(s, len, f) != 0) {
        free(f);
        pipe_date_quote(q, sizeof q, s, len);
        snprintf(why, wn, "cannot read %s", q);
        return 0;
    }
    int rc = 0;
    for (int p = 0; p <= f->n && rc <= 0; p++) {
        /* a match starts at a word's start, not inside it */
        if (p > 0 && p < f->n && pipe_date_is_letter(f->c[p]) &&
            pipe_date_is_letter(f->c[p - 1]))
            continue;
        rc = match_format(x, it, ni, f, p, r);
        if (rc == -2)
            break;
    }
    free(f);
    if (rc == -2) {
        pipe_date_quote(q, sizeof q, s, len);
        snprintf(why, wn,
                 "no year in %s (a reference time, --now, supplies it)", q);
        return 0;
    }
    if (rc <= 0) {
        pipe_date_quote(q, sizeof q, s, len);
        snprintf(why, wn, "%s does not match format '%s'", q, fmt);
        return 0;
    }
    if (!pipe_date_valid_date(r)) {
        pipe_date_quote(q, sizeof q, s, len);
        snprintf(why, wn, "invalid date %s", q);
        return 0;
    }
    return 1;
}
