/*
 * The parts of the date plugin (plugins/date.c has the Lua functions and
 * the overview): date_text.c folds text, cuts it into tokens and does
 * calendar arithmetic, date_data.c builds what ICU knows about languages
 * and zones into Lua tables, date_parse.c finds a date among the tokens,
 * date_format.c matches `format` patterns.  Internal to the plugin.
 *
 * Ownership: nothing here keeps C-heap memory across a call that can
 * raise; ICU objects are held by an icu_box userdata while Lua tables are
 * filled (pipe_date_new_box); the Lua tables live in the module's upvalue
 * cache, one per Lua state.
 */
#ifndef PIPE_DATE_H
#define PIPE_DATE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <unicode/ucal.h>
#include <unicode/udat.h>
#include <unicode/udatpg.h>
#include <unicode/uenum.h>
#include <unicode/ureldatefmt.h>
#include <unicode/ures.h>
#include <unicode/utypes.h>

#include <lua.h>

#define MAXBYTES 1024        /* bytes of a text examined */
#define MAXCP (MAXBYTES * 3) /* folded code points */
#define MAXTOK 256
#define WORDMAX 64 /* longest word (bytes) looked up */

/* What a folded word can be, as bits of a dictionary entry. */
#define E_MONTH 0x000Fu /* 1..12 */
#define E_WDAY 0x0070u  /* 1..7 (Sunday = 1), >> 4 */
#define E_AM 0x0080u
#define E_PM 0x0100u
#define E_HOUR 0x0200u /* an hour word: "uhr" */
#define E_MAMB 0x0400u /* a month in two languages, not the same */
#define E_WAMB 0x0800u

/* relative units */
enum { U_SEC = 1, U_MIN, U_HOUR, U_DAY, U_WEEK, U_MONTH, U_YEAR };

typedef struct icu_box {
    UDateFormat *df;
    UDateTimePatternGenerator *pg;
    URelativeDateTimeFormatter *rf[3];
    UCalendar *cal;
    UEnumeration *en;
} icu_box;

typedef struct folded {
    UChar32 c[MAXCP];
    int n;
} folded;

enum { T_NUM, T_WORD, T_PUNCT };

typedef struct tok {
    int kind;
    int sp;        /* whitespace before */
    int used;      /* taken by a date, time or zone */
    int glued;     /* T_NUM: a letter follows at once ("29th") */
    long long num; /* T_NUM */
    int ndig;
    UChar32 ch; /* T_PUNCT */
    int w, wl;  /* T_WORD: UTF-8 at words + w, wl bytes */
    unsigned e; /* T_WORD: dictionary entry */
} tok;

typedef struct toks {
    tok t[MAXTOK];
    int n;
    char words[MAXCP * 2];
    int wlen;
} toks;

typedef struct dt {
    int y, m, d;
    int H, M, S;
    int has_date, has_time, has_off;
    int off;       /* minutes east of UTC */
    int pm;        /* -1 none, 0 am, 1 pm */
    char zone[64]; /* an IANA zone the text named ("ET"), or "" */
} dt;

typedef struct ctx {
    lua_State *L;
    int cache; /* stack index of the cache table */
    /* where words are looked up, in order: the text's language, English,
     * the union of the default languages (stack indexes, 0: not used);
     * with a known language, union words count only from 4 letters on, so
     * "ago" (Spanish August) stays an English word on an English page */
    int prim, en, uni;
    int uni_which; /* the union to build when first needed (uni 0) */
    int uni_lazy;
    int uni_min;
    int order;
    int tz_kind; /* 0 none, 1 fixed offset, 2 IANA zone */
    int tz_off;
    char tz_id[64];
    int utc;
    int has_now;
    dt now;
    int no_rel; /* parsing `now` itself */
    const char *src; /* the text as given (not folded), or NULL */
    size_t srclen;
} ctx;

typedef struct fitem {
    char d;  /* directive letter, or 0: literal, ' ': spaces */
    int lit; /* literal code point */
} fitem;

#define MAXFMT 64

static inline const char *word(const toks *T, int i)
{
    return T->words + T->t[i].w;
}

static inline int word_is(const toks *T, int i, const char *w)
{
    if (i < 0 || i >= T->n || T->t[i].kind != T_WORD)
        return 0;
    size_t n = strlen(w);
    return (size_t)T->t[i].wl == n && memcmp(word(T, i), w, n) == 0;
}

static inline int punct_is(const toks *T, int i, UChar32 c)
{
    return i >= 0 && i < T->n && T->t[i].kind == T_PUNCT && T->t[i].ch == c;
}

static inline int num_at(const toks *T, int i)
{
    return i >= 0 && i < T->n && T->t[i].kind == T_NUM && !T->t[i].used;
}

/* the bytes of the first character of a UTF-8 word */
static inline int first_char(const char *w, int wl)
{
    unsigned char c = (unsigned char)w[0];
    int n = c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    return n > wl ? wl : n;
}

/* date_text.c: folding, tokens, calendar arithmetic */
int pipe_date_fold_u16(const UChar *u, int32_t un, folded *f);
int pipe_date_fold_utf8(const char *s, size_t len, folded *f);
int pipe_date_to_utf8(const folded *f, int i, int j, char *out, int cap);
int pipe_date_is_letter(UChar32 c);
void pipe_date_tokenize(const folded *f, toks *T);
long long pipe_date_days_from_civil(long long y, int m, int d);
void pipe_date_civil_from_days(long long z, int *y, int *m, int *d);
int pipe_date_days_in(int y, int m);
long long pipe_date_wall_secs(const dt *t);
void pipe_date_set_wall(dt *t, long long secs);
int pipe_date_valid_date(const dt *t);

/* date_data.c: ICU objects, zones, per-language tables */
void pipe_date_box_close(icu_box *b);
icu_box *pipe_date_new_box(lua_State *L);
int pipe_date_zone_id(const char *id, UChar *z, int cap);
int pipe_date_wall_offset(const char *id, const dt *t, int *off);
int pipe_date_instant_offset(const char *id, long long epoch, int *off);
int pipe_date_fixed_offset(const char *s, int *off);
void pipe_date_push_zones(lua_State *L, int cache);
void pipe_date_generic_zone(const ctx *x, const char *w, int wl,
                            char *out, size_t cap);
void pipe_date_push_locale(lua_State *L, int cache, const char *tag);
/* date_store.c: the table of ICU locale `loc` as an earlier run built it
 * (pushed: 1; nothing pushed: 0), and keeping the one at idx for later
 * runs */
int pipe_date_store_load(lua_State *L, const char *loc);
void pipe_date_store_save(lua_State *L, int idx, const char *loc);
/* the same for a table of zone abbreviations ("base", or a locale's) */
int pipe_date_store_load_zones(lua_State *L, const char *name);
void pipe_date_store_save_zones(lua_State *L, int idx, const char *name);
/* the IANA id (or "": none) generic zone name w named for an earlier run
 * (1; 0: not known), and keeping one for later runs */
int pipe_date_store_load_gzone(const char *w, char *out, size_t cap);
void pipe_date_store_save_gzone(const char *w, const char *id);
/* which languages a text needs in the union (pipe_date_push_union) */
enum { PIPE_DATE_UNION_ALL, PIPE_DATE_UNION_CYRILLIC, PIPE_DATE_UNION_NONE };
void pipe_date_push_union(lua_State *L, int cache, int which);
/* x->uni, the union pushed on first use (0: none) */
int pipe_date_uni(ctx *x);
/* 1: w is a zone abbreviation (*off set), -1: one that names two offsets
 * ("IST"), 0: not one */
int pipe_date_zone_lookup(ctx *x, const char *w, int *off);
/* Does s parse without any language's data (ISO 8601, Unix time)? */
int pipe_date_is_fast(const char *s, size_t len);

/* date_parse.c: the parser */
unsigned pipe_date_entry_of(ctx *x, const char *w, int wl);
int pipe_date_two_digit_year(const ctx *x, int yy);
void pipe_date_apply_zone(const ctx *x, dt *r);
void pipe_date_quote(char *out, size_t cap, const char *s, size_t len);
int pipe_date_parse_text(ctx *x, const char *s, size_t len, dt *r, char *why,
                         size_t wn);

/* date_format.c: format = "%d.%m.%Y" */
int pipe_date_compile_format(const char *f, fitem *it, char *msg, size_t mn);
int pipe_date_parse_format(ctx *x, const char *fmt, const char *s, size_t len,
                           dt *r, char *why, size_t wn);

#endif
