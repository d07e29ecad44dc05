/*
 * date plugin, text and calendar primitives: folding (case, accents,
 * compatibility forms), tokens, proleptic Gregorian arithmetic.
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
 * Folding
 */

/* UTF-16 text -> folded code points (see the top of the file) */
int pipe_date_fold_u16(const UChar *u, int32_t un, folded *f)
{
    UChar a[MAXCP], b[MAXCP * 2];
    UErrorCode st = U_ZERO_ERROR;
    int32_t an = u_strFoldCase(a, MAXCP, u, un, U_FOLD_CASE_DEFAULT, &st);
    if (U_FAILURE(st) || an >= MAXCP)
        return -1;
    const UNormalizer2 *nfkd = unorm2_getNFKDInstance(&st);
    int32_t bn =
        U_SUCCESS(st) ? unorm2_normalize(nfkd, a, an, b, MAXCP * 2, &st) : 0;
    if (U_FAILURE(st))
        return -1;
    f->n = 0;
    for (int32_t i = 0; i < bn && f->n < MAXCP;) {
        UChar32 c;
        U16_NEXT(b, i, bn, c);
        int8_t t = u_charType(c);
        if (t == U_NON_SPACING_MARK || t == U_ENCLOSING_MARK ||
            t == U_FORMAT_CHAR)
            continue;
        if (c == 0x131) /* dotless i */
            c = 'i';
        else if (c == 0x2019 || c == 0x2018 || c == 0x02BC || c == 0x60)
            c = '\'';
        else if (c == 0x2212 || t == U_DASH_PUNCTUATION)
            c = '-';
        else if (u_isUWhiteSpace(c) || c < 0x20)
            c = ' ';
        if (c == ' ' && f->n > 0 && f->c[f->n - 1] == ' ')
            continue;
        f->c[f->n++] = c;
    }
    return 0;
}

/* UTF-8 -> folded; only the first MAXBYTES bytes (cut at a character) */
int pipe_date_fold_utf8(const char *s, size_t len, folded *f)
{
    if (len > MAXBYTES) {
        len = MAXBYTES;
        while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
            len--;
    }
    UChar u[MAXBYTES + 1];
    int32_t un = 0;
    UErrorCode st = U_ZERO_ERROR;
    u_strFromUTF8WithSub(u, MAXBYTES + 1, &un, s, (int32_t)len, 0xFFFD, NULL,
                         &st);
    if (U_FAILURE(st))
        return -1;
    return pipe_date_fold_u16(u, un, f);
}

/* folded code points [i, j) -> UTF-8 in out (cap bytes); returns length
 * or -1 when it does not fit */
int pipe_date_to_utf8(const folded *f, int i, int j, char *out, int cap)
{
    int n = 0;
    for (int k = i; k < j; k++) {
        if (n + 4 > cap)
            return -1;
        UBool err = 0;
        U8_APPEND((uint8_t *)out, n, cap, f->c[k], err);
        if (err)
            return -1;
    }
    return n;
}

int pipe_date_is_letter(UChar32 c)
{
    return u_isalpha(c) != 0;
}

/*
 * Tokens
 */

void pipe_date_tokenize(const folded *f, toks *T)
{
    T->n = 0;
    T->wlen = 0;
    int sp = 1;
    for (int i = 0; i < f->n && T->n < MAXTOK;) {
        UChar32 c = f->c[i];
        if (c == ' ') {
            sp = 1;
            i++;
            continue;
        }
        tok *t = &T->t[T->n];
        memset(t, 0, sizeof *t);
        t->sp = sp;
        sp = 0;
        if (u_isdigit(c)) {
            t->kind = T_NUM;
            while (i < f->n && u_isdigit(f->c[i])) {
                if (t->ndig < 18)
                    t->num = t->num * 10 + u_charDigitValue(f->c[i]);
                t->ndig++;
                i++;
            }
            t->glued = i < f->n && pipe_date_is_letter(f->c[i]);
        } else if (pipe_date_is_letter(c)) {
            t->kind = T_WORD;
            t->w = T->wlen;
            int j = i;
            while (j < f->n && (pipe_date_is_letter(f->c[j]) ||
                                (f->c[j] == '\'' && j + 1 < f->n &&
                                 pipe_date_is_letter(f->c[j + 1]))))
                j++;
            for (int k = i; k < j; k++) {
                if (f->c[k] == '\'')
                    continue;
                if (T->wlen + 4 >= (int)sizeof T->words)
                    break;
                UBool err = 0;
                U8_APPEND((uint8_t *)T->words, T->wlen, (int)sizeof T->words,
                          f->c[k], err);
                (void)err;
            }
            t->wl = T->wlen - t->w;
            i = j;
        } else {
            t->kind = T_PUNCT;
            t->ch = c;
            i++;
        }
        T->n++;
    }
}

/*
 * Calendar arithmetic (proleptic Gregorian, days since 1970-01-01; Howard
 * Hinnant's algorithms)
 */

long long pipe_date_days_from_civil(long long y, int m, int d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void pipe_date_civil_from_days(long long z, int *y, int *m, int *d)
{
    z += 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    long long doe = z - era * 146097;
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long long mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

int pipe_date_days_in(int y, int m)
{
    static const int n[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return n[m - 1];
}

/* the wall time of t as seconds since the epoch, as if it were UTC */
long long pipe_date_wall_secs(const dt *t)
{
    return pipe_date_days_from_civil(t->y, t->m, t->d) * 86400 +
           (long long)t->H * 3600 + t->M * 60 + t->S;
}

void pipe_date_set_wall(dt *t, long long secs)
{
    long long days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    long long rem = secs - days * 86400;
    pipe_date_civil_from_days(days, &t->y, &t->m, &t->d);
    t->H = (int)(rem / 3600);
    t->M = (int)(rem % 3600 / 60);
    t->S = (int)(rem % 60);
}

int pipe_date_valid_date(const dt *t)
{
    return t->y >= 1583 && t->y <= 9999 && t->m >= 1 && t->m <= 12 &&
           t->d >= 1 && t->d <= pipe_date_days_in(t->y, t->m);
}
