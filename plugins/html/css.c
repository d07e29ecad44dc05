/*
 * CSS selectors compiled to XPath 1.0, for the html plugin.
 *
 * A selector list becomes a union of location paths relative to the
 * context node: `div.a > p` -> `descendant::div[...]/p`.  The html plugin
 * compiles the XPath once per selector and caches it per Lua state.
 * pipe_css_compile also records each compound's tests for the native
 * matcher (cssmatch.c) and hands it over when every selector of the list
 * is in its subset (no pseudo-class, at most 64 compounds): each native
 * test is written next to the XPath predicate it must equal, so the two
 * stay in step (an empty `[a^=]` is false() in both, say).
 *
 * Supported: type, `*`, `.class`, `#id`, `[a]`, `[a=v]`, `[a~=v]`,
 * `[a^=v]`, `[a$=v]`, `[a*=v]`, `[a|=v]` (quoted or bare values; a
 * trailing ` i` compares the value ASCII case-insensitively, ` s` as is),
 * combinators (descendant, `>`, `+`, `~`), lists with `,`, and the
 * pseudo-classes :first-child :last-child :only-child :first-of-type
 * :last-of-type :only-of-type :nth-child() :nth-last-child() :nth-of-type()
 * :nth-last-of-type() (an+b, odd, even) :empty :root :contains(text), and
 * with selector lists :is() :where() (the same here: XPath has no
 * specificity) :not() :has() (relative: descendant, or `>`, `+`, `~`
 * first).
 *
 * :is/:not of a complex selector test the subject's ancestors and earlier
 * siblings (`p:is(div > p)` is `self::p and parent::*[self::div]`);
 * :has is a path from the node that must find something.
 *
 * Caveats: type and attribute names are lowercased, because libxml2's HTML
 * parser lowercases them; class and id values stay case-sensitive.  The
 * *-of-type pseudo-classes need an element type in their compound (XPath
 * 1.0 has no `current()` outside XSLT).  CSS escapes (`\`) are not
 * supported in names; quoted values accept `\` before any character.
 * Type and attribute names must be ASCII (libxml2's XPath rejects many
 * non-ASCII name characters); class and id values need not be.
 */
#include "css.h"

#include "cssmatch.h"
#include "pipe/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void sb_puts(pipe_buf *b, const char *s)
{
    pipe_buf_add(b, s, strlen(s));
}

static void sb_long(pipe_buf *b, long v)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%ld", v);
    pipe_buf_add(b, tmp, (size_t)n);
}

/* An XPath 1.0 string literal for v (no escapes exist in XPath 1.0). */
static void sb_literal(pipe_buf *b, const char *v, size_t n)
{
    if (memchr(v, '\'', n) == NULL) {
        sb_puts(b, "'");
        pipe_buf_add(b, v, n);
        sb_puts(b, "'");
        return;
    }
    if (memchr(v, '"', n) == NULL) {
        sb_puts(b, "\"");
        pipe_buf_add(b, v, n);
        sb_puts(b, "\"");
        return;
    }
    sb_puts(b, "concat(''");
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || v[i] == '\'') {
            if (i > start) {
                sb_puts(b, ", '");
                pipe_buf_add(b, v + start, i - start);
                sb_puts(b, "'");
            }
            if (i < n)
                sb_puts(b, ", \"'\"");
            start = i + 1;
        }
    }
    sb_puts(b, ")");
}

typedef struct parser {
    const char *s;
    size_t pos;
    size_t err_off;
    const char *err;
    int depth;
    pipe_cssm *nat; /* the native matcher being built, or NULL */
    int nat_ok;     /* every selector so far lies in its subset */
} parser;

static int fail(parser *P, size_t off, const char *reason)
{
    if (P->err == NULL) {
        P->err = reason;
        P->err_off = off;
    }
    return -1;
}

static int is_ws(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static int is_name_char(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '-' || c >= 0x80;
}

static int is_name_start(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           c >= 0x80;
}

static int cur(const parser *P)
{
    return (unsigned char)P->s[P->pos];
}

static int skip_ws(parser *P)
{
    size_t start = P->pos;
    while (is_ws(cur(P)))
        P->pos++;
    return P->pos > start;
}

/* Read a name; `lower` folds ASCII letters.  `strict` wants a valid XPath
 * name start (types, attribute names). */
static int read_name(parser *P, pipe_buf *out, int lower, int strict)
{
    size_t start = P->pos;
    if (cur(P) == '\\')
        return fail(P, P->pos, "escapes are not supported");
    if (strict ? !is_name_start(cur(P)) : !is_name_char(cur(P)))
        return fail(P, P->pos, "expected a name");
    while (is_name_char(cur(P))) {
        /* libxml2's XPath names follow XML 1.0 4th edition, which lacks
         * much of Unicode, and its HTML parser never makes a non-ASCII
         * element name */
        if (strict && cur(P) >= 0x80)
            return fail(P, P->pos, "non-ASCII names are not supported");
        char c = P->s[P->pos++];
        if (lower && c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        pipe_buf_add(out, &c, 1);
    }
    if (cur(P) == '\\')
        return fail(P, P->pos, "escapes are not supported");
    (void)start;
    return 0;
}

/* A quoted string ('..' or ".." with \ escaping the next byte) or a bare
 * value running to whitespace, `]` or `)`. */
static int read_value(parser *P, pipe_buf *out)
{
    int q = cur(P);
    if (q == '"' || q == '\'') {
        size_t start = P->pos++;
        for (;;) {
            int c = cur(P);
            if (c == '\0')
                return fail(P, start, "unterminated string");
            P->pos++;
            if (c == q)
                return 0;
            if (c == '\\' && cur(P) != '\0')
                c = (unsigned char)P->s[P->pos++];
            char ch = (char)c;
            pipe_buf_add(out, &ch, 1);
        }
    }
    size_t start = P->pos;
    while (cur(P) != '\0' && !is_ws(cur(P)) && cur(P) != ']' &&
           cur(P) != ')' && cur(P) != '"' && cur(P) != '\'')
        P->pos++;
    if (P->pos == start)
        return fail(P, start, "expected a value");
    pipe_buf_add(out, P->s + start, P->pos - start);
    return 0;
}

/* One predicate: appended as `[e]` to steps and as `e` to conj. */
typedef struct compound {
    pipe_buf tag;   /* lowercased type, empty for `*` or none */
    pipe_buf steps; /* [e1][e2] */
    pipe_buf conj;  /* e1 and e2 */
    int n;          /* predicates so far */
    /* the same tests for the native matcher (cssmatch.h) */
    pipe_cssm_test *nt;
    int nnt, ncap;
    int other;      /* holds a test the native matcher lacks (or OOM) */
} compound;

static void comp_free(compound *c)
{
    free(c->tag.p);
    free(c->steps.p);
    free(c->conj.p);
    for (int i = 0; i < c->nnt; i++) {
        free(c->nt[i].name);
        free(c->nt[i].value);
    }
    free(c->nt);
}

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d != NULL) {
        if (n)
            memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* Record a native test: attribute `name`, value v[0..n) (NULL: none). */
static void add_native(compound *c, int op, int icase, const char *name,
                       const char *v, size_t n, long chars)
{
    if (c->other)
        return;
    if (c->nnt == c->ncap) {
        int cap = c->ncap ? c->ncap * 2 : 4;
        pipe_cssm_test *t = realloc(c->nt, (size_t)cap * sizeof *t);
        if (t == NULL) {
            c->other = 1;
            return;
        }
        c->nt = t;
        c->ncap = cap;
    }
    pipe_cssm_test *t = &c->nt[c->nnt];
    t->op = op;
    t->icase = icase;
    t->name = dup_n(name, strlen(name));
    t->value = dup_n(v ? v : "", v ? n : 0);
    t->vlen = v ? n : 0;
    t->vchars = chars;
    if (t->name == NULL || t->value == NULL) {
        free(t->name);
        free(t->value);
        c->other = 1;
        return;
    }
    c->nnt++;
}

static void add_pred(compound *c, const pipe_buf *e)
{
    if (e->oom) {
        c->steps.oom = 1;
        return;
    }
    sb_puts(&c->steps, "[");
    pipe_buf_add(&c->steps, e->p ? e->p : "", e->len);
    sb_puts(&c->steps, "]");
    if (c->n++ > 0)
        sb_puts(&c->conj, " and ");
    sb_puts(&c->conj, "(");
    pipe_buf_add(&c->conj, e->p ? e->p : "", e->len);
    sb_puts(&c->conj, ")");
}

/* One complex selector as a chain of compounds, each with the combinator
 * before it (0 for the first, unless a relative selector of :has starts
 * with one). */
#define MAXCHAIN 32
typedef struct chain {
    compound c[MAXCHAIN];
    char comb[MAXCHAIN];
    int n;
} chain;

static void chain_free(chain *ch)
{
    for (int i = 0; i < ch->n; i++)
        comp_free(&ch->c[i]);
    ch->n = 0;
}

/* Can v be a word of a space-normalized attribute at all? */
static int word_ok(const char *v, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (is_ws((unsigned char)v[i]))
            return 0;
    return 1;
}

/* ' v ' inside the space-normalized attribute: class and ~= matching.
 * `attr` is the attribute as an XPath expression ("@class"). */
static void word_pred(pipe_buf *e, const char *attr, const char *v, size_t n)
{
    if (!word_ok(v, n)) {
        sb_puts(e, "false()");
        return;
    }
    /* a plain substring test first: XPath's `and` stops there for almost
     * every element, sparing the string building of the exact test */
    sb_puts(e, "(contains(");
    sb_puts(e, attr);
    sb_puts(e, ", ");
    sb_literal(e, v, n);
    sb_puts(e, ") and contains(concat(' ', normalize-space(");
    sb_puts(e, attr);
    sb_puts(e, "), ' '), ");
    pipe_buf w = {0};
    sb_puts(&w, " ");
    pipe_buf_add(&w, v, n);
    sb_puts(&w, " ");
    sb_literal(e, w.p ? w.p : "", w.len);
    if (w.oom)
        e->oom = 1;
    free(w.p);
    sb_puts(e, "))");
}

/* XPath counts characters, not bytes */
static long utf8_chars(const char *v, size_t n)
{
    long k = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)v[i] & 0xC0) != 0x80)
            k++;
    return k;
}

static int parse_attr(parser *P, compound *c)
{
    /* at '[' */
    P->pos++;
    skip_ws(P);
    pipe_buf name = {0}, val = {0}, e = {0};
    int rc = -1;
    if (read_name(P, &name, 1, 1) < 0)
        goto done;
    skip_ws(P);
    char op = 0;
    if (cur(P) == ']') {
        P->pos++;
        sb_puts(&e, "@");
        pipe_buf_add(&e, name.p, name.len);
        add_pred(c, &e);
        add_native(c, PIPE_CSSM_HAS, 0, name.p, NULL, 0, 0);
        rc = 0;
        goto done;
    }
    if (cur(P) == '=') {
        op = '=';
        P->pos++;
    } else if (strchr("~^$*|", cur(P)) != NULL && cur(P) != '\0' &&
               P->s[P->pos + 1] == '=') {
        op = P->s[P->pos];
        P->pos += 2;
    } else {
        fail(P, P->pos, "expected an attribute operator or ']'");
        goto done;
    }
    skip_ws(P);
    if (read_value(P, &val) < 0)
        goto done;
    int ws = skip_ws(P);
    /* [a=v i]: ASCII case-insensitive value; [a=v s]: sensitive (the
     * default) */
    int icase = 0;
    if (ws && (cur(P) == 'i' || cur(P) == 'I' || cur(P) == 's' ||
               cur(P) == 'S')) {
        int c0 = cur(P);
        P->pos++;
        skip_ws(P);
        if (cur(P) != ']') {
            fail(P, P->pos, "expected ']' (the only flags are i and s)");
            goto done;
        }
        icase = c0 == 'i' || c0 == 'I';
    }
    if (cur(P) != ']') {
        fail(P, P->pos, "expected ']'");
        goto done;
    }
    P->pos++;
    if (icase)
        for (size_t i = 0; i < val.len; i++)
            if (val.p[i] >= 'A' && val.p[i] <= 'Z')
                val.p[i] = (char)(val.p[i] - 'A' + 'a');
    const char *v = val.p ? val.p : "";
    size_t n = val.len;
    /* the attribute as an expression: @a, or folded to lowercase */
    pipe_buf ab = {0};
    if (icase) {
        sb_puts(&ab, "translate(@");
        pipe_buf_add(&ab, name.p, name.len);
        sb_puts(&ab, ", 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', "
                     "'abcdefghijklmnopqrstuvwxyz')");
    } else {
        sb_puts(&ab, "@");
        pipe_buf_add(&ab, name.p, name.len);
    }
    if (ab.oom) {
        free(ab.p);
        fail(P, P->pos, "out of memory");
        goto done;
    }
    const char *a = ab.p;
    int nop = PIPE_CSSM_FALSE;
    /* translate() of a missing attribute is "": the attribute must be
     * there first ([a="" i] matches only elements that have a) */
    if (icase) {
        sb_puts(&e, "@");
        pipe_buf_add(&e, name.p, name.len);
        sb_puts(&e, " and (");
    }
    switch (op) {
    case '=':
        sb_puts(&e, a);
        sb_puts(&e, " = ");
        sb_literal(&e, v, n);
        nop = PIPE_CSSM_EQ;
        break;
    case '~':
        word_pred(&e, a, v, n);
        nop = word_ok(v, n) ? PIPE_CSSM_WORD : PIPE_CSSM_FALSE;
        break;
    case '^':
    case '*':
        if (n == 0) {
            sb_puts(&e, "false()");
            break;
        }
        nop = op == '^' ? PIPE_CSSM_PREFIX : PIPE_CSSM_SUBSTR;
        sb_puts(&e, op == '^' ? "starts-with(" : "contains(");
        sb_puts(&e, a);
        sb_puts(&e, ", ");
        sb_literal(&e, v, n);
        sb_puts(&e, ")");
        break;
    case '$':
        if (n == 0) {
            sb_puts(&e, "false()");
            break;
        }
        nop = PIPE_CSSM_SUFFIX;
        sb_puts(&e, "substring(");
        sb_puts(&e, a);
        sb_puts(&e, ", string-length(");
        sb_puts(&e, a);
        sb_puts(&e, ") - ");
        sb_long(&e, utf8_chars(v, n) - 1);
        sb_puts(&e, ") = ");
        sb_literal(&e, v, n);
        break;
    case '|': {
        nop = PIPE_CSSM_DASH;
        sb_puts(&e, a);
        sb_puts(&e, " = ");
        sb_literal(&e, v, n);
        sb_puts(&e, " or starts-with(");
        sb_puts(&e, a);
        sb_puts(&e, ", ");
        pipe_buf d = {0};
        pipe_buf_add(&d, v, n);
        sb_puts(&d, "-");
        sb_literal(&e, d.p ? d.p : "", d.len);
        if (d.oom)
            e.oom = 1;
        free(d.p);
        sb_puts(&e, ")");
        break;
    }
    }
    if (icase)
        sb_puts(&e, ")");
    free(ab.p);
    add_pred(c, &e);
    add_native(c, nop, icase, name.p, v, n, utf8_chars(v, n));
    rc = 0;
done:
    free(name.p);
    free(val.p);
    free(e.p);
    return rc;
}

static int read_int(parser *P, long *out)
{
    if (!(cur(P) >= '0' && cur(P) <= '9'))
        return fail(P, P->pos, "expected a number");
    long v = 0;
    while (cur(P) >= '0' && cur(P) <= '9') {
        if (v < 100000000)
            v = v * 10 + (cur(P) - '0');
        P->pos++;
    }
    *out = v;
    return 0;
}

/* an+b | odd | even | b, up to the closing ')' */
static int parse_nth(parser *P, long *a, long *b)
{
    skip_ws(P);
    if (strncmp(P->s + P->pos, "odd", 3) == 0 && !is_name_char((unsigned char)P->s[P->pos + 3])) {
        P->pos += 3;
        *a = 2;
        *b = 1;
    } else if (strncmp(P->s + P->pos, "even", 4) == 0 && !is_name_char((unsigned char)P->s[P->pos + 4])) {
        P->pos += 4;
        *a = 2;
        *b = 0;
    } else {
        long sign = 1, n = 1;
        if (cur(P) == '+' || cur(P) == '-') {
            sign = cur(P) == '-' ? -1 : 1;
            P->pos++;
        }
        int has_digits = cur(P) >= '0' && cur(P) <= '9';
        if (has_digits && read_int(P, &n) < 0)
            return -1;
        if (cur(P) == 'n' || cur(P) == 'N') {
            P->pos++;
            *a = sign * n;
            *b = 0;
            skip_ws(P);
            if (cur(P) == '+' || cur(P) == '-') {
                long s2 = cur(P) == '-' ? -1 : 1;
                P->pos++;
                skip_ws(P);
                if (read_int(P, b) < 0)
                    return -1;
                *b *= s2;
            }
        } else {
            if (!has_digits)
                return fail(P, P->pos, "expected an+b, odd or even");
            *a = 0;
            *b = sign * n;
        }
    }
    skip_ws(P);
    if (cur(P) != ')')
        return fail(P, P->pos, "expected ')'");
    P->pos++;
    return 0;
}

/* position test: count(axis) + 1 = a*n + b for some n >= 0 */
static void nth_pred(pipe_buf *e, const char *axis, long a, long b)
{
    pipe_buf c = {0};
    sb_puts(&c, "count(");
    sb_puts(&c, axis);
    sb_puts(&c, ")");
    const char *cs = c.p ? c.p : "0";
    long k = b - 1;
    if (a == 0) {
        if (k < 0) {
            sb_puts(e, "false()");
        } else {
            sb_puts(e, cs);
            sb_puts(e, " = ");
            sb_long(e, k);
        }
    } else if (a > 0) {
        if (k >= 0) {
            sb_puts(e, cs);
            sb_puts(e, " >= ");
            sb_long(e, k);
            sb_puts(e, " and (");
            sb_puts(e, cs);
            sb_puts(e, " - ");
            sb_long(e, k);
        } else {
            sb_puts(e, "(");
            sb_puts(e, cs);
            sb_puts(e, " + ");
            sb_long(e, -k);
        }
        sb_puts(e, ") mod ");
        sb_long(e, a);
        sb_puts(e, " = 0");
    } else {
        if (k < 0) {
            sb_puts(e, "false()");
        } else {
            sb_puts(e, cs);
            sb_puts(e, " <= ");
            sb_long(e, k);
            sb_puts(e, " and (");
            sb_long(e, k);
            sb_puts(e, " - ");
            sb_puts(e, cs);
            sb_puts(e, ") mod ");
            sb_long(e, -a);
            sb_puts(e, " = 0");
        }
    }
    if (c.oom)
        e->oom = 1;
    free(c.p);
}

static int parse_compound(parser *P, compound *c, int in_not);
static int parse_selector_arg(parser *P, pipe_buf *e, int has, int *simple,
                              compound *first);

static int parse_pseudo(parser *P, compound *c)
{
    size_t at = P->pos;
    P->pos++; /* ':' */
    if (cur(P) == ':')
        return fail(P, at, "pseudo-elements are not supported");
    pipe_buf name = {0}, e = {0}, arg = {0};
    int rc = -1;
    if (read_name(P, &name, 1, 1) < 0)
        goto done;
    const char *nm = name.p;
    int paren = cur(P) == '(';
    const char *tag = c->tag.len ? c->tag.p : NULL;
    int typed = strstr(nm, "of-type") != NULL;
    if (typed && tag == NULL) {
        fail(P, at, "*-of-type pseudo-classes need an element type");
        goto done;
    }
    pipe_buf pre = {0}, fol = {0};
    sb_puts(&pre, "preceding-sibling::");
    sb_puts(&pre, typed ? tag : "*");
    sb_puts(&fol, "following-sibling::");
    sb_puts(&fol, typed ? tag : "*");
    int nopar = !paren;
    if ((strcmp(nm, "first-child") == 0 || strcmp(nm, "first-of-type") == 0) && nopar) {
        sb_puts(&e, "not(");
        sb_puts(&e, pre.p);
        sb_puts(&e, ")");
    } else if ((strcmp(nm, "last-child") == 0 || strcmp(nm, "last-of-type") == 0) && nopar) {
        sb_puts(&e, "not(");
        sb_puts(&e, fol.p);
        sb_puts(&e, ")");
    } else if ((strcmp(nm, "only-child") == 0 || strcmp(nm, "only-of-type") == 0) && nopar) {
        sb_puts(&e, "not(");
        sb_puts(&e, pre.p);
        sb_puts(&e, ") and not(");
        sb_puts(&e, fol.p);
        sb_puts(&e, ")");
    } else if (strcmp(nm, "empty") == 0 && nopar) {
        sb_puts(&e, "not(*) and not(text())");
    } else if (strcmp(nm, "root") == 0 && nopar) {
        sb_puts(&e, "not(parent::*)");
    } else if (paren && (strcmp(nm, "nth-child") == 0 ||
                         strcmp(nm, "nth-of-type") == 0 ||
                         strcmp(nm, "nth-last-child") == 0 ||
                         strcmp(nm, "nth-last-of-type") == 0)) {
        long a, b;
        P->pos++;
        if (parse_nth(P, &a, &b) < 0)
            goto done2;
        nth_pred(&e, strstr(nm, "last") ? fol.p : pre.p, a, b);
    } else if (paren && (strcmp(nm, "not") == 0 || strcmp(nm, "is") == 0 ||
                         strcmp(nm, "where") == 0 || strcmp(nm, "matches") == 0 ||
                         strcmp(nm, "has") == 0)) {
        P->pos++;
        if (P->depth >= 16) {
            fail(P, P->pos, "too deeply nested");
            goto done2;
        }
        int has = strcmp(nm, "has") == 0, is_not = strcmp(nm, "not") == 0;
        pipe_buf list = {0};
        compound inner = {0};
        int simple = 0;
        P->depth++;
        int r = parse_selector_arg(P, &list, has, &simple, is_not ? &inner : NULL);
        P->depth--;
        if (r == 0 && is_not && simple) {
            /* :not(compound), as before: not(self::t and tests) */
            sb_puts(&e, "not(");
            if (inner.tag.len) {
                sb_puts(&e, "self::");
                sb_puts(&e, inner.tag.p);
                if (inner.n)
                    sb_puts(&e, " and ");
            }
            if (inner.n)
                pipe_buf_add(&e, inner.conj.p, inner.conj.len);
            if (!inner.tag.len && !inner.n)
                sb_puts(&e, "true()");
            sb_puts(&e, ")");
            if (inner.conj.oom || inner.tag.oom)
                e.oom = 1;
        } else if (r == 0) {
            if (is_not)
                sb_puts(&e, "not(");
            pipe_buf_add(&e, list.p ? list.p : "", list.len);
            if (is_not)
                sb_puts(&e, ")");
            if (list.oom)
                e.oom = 1;
        }
        if (simple)
            comp_free(&inner);
        free(list.p);
        if (r < 0)
            goto done2;
    } else if (paren && strcmp(nm, "contains") == 0) {
        P->pos++;
        skip_ws(P);
        if (read_value(P, &arg) < 0)
            goto done2;
        skip_ws(P);
        if (cur(P) != ')') {
            fail(P, P->pos, "expected ')'");
            goto done2;
        }
        P->pos++;
        sb_puts(&e, "contains(., ");
        sb_literal(&e, arg.p ? arg.p : "", arg.len);
        sb_puts(&e, ")");
    } else {
        fail(P, at, paren ? "unknown functional pseudo-class"
                          : "unknown pseudo-class");
        goto done2;
    }
    add_pred(c, &e);
    c->other = 1; /* pseudo-classes stay XPath's */
    rc = 0;
done2:
    free(pre.p);
    free(fol.p);
done:
    free(name.p);
    free(e.p);
    free(arg.p);
    return rc;
}

static int parse_compound(parser *P, compound *c, int in_not)
{
    size_t start = P->pos;
    if (cur(P) == '*') {
        P->pos++;
    } else if (is_name_start(cur(P)) || cur(P) == '\\') {
        if (read_name(P, &c->tag, 1, 1) < 0)
            return -1;
    }
    for (;;) {
        int ch = cur(P);
        if (ch == '#' || ch == '.') {
            P->pos++;
            pipe_buf v = {0}, e = {0};
            if (read_name(P, &v, 0, 0) < 0) {
                free(v.p);
                return -1;
            }
            if (ch == '#') {
                sb_puts(&e, "@id = ");
                sb_literal(&e, v.p, v.len);
                add_native(c, PIPE_CSSM_EQ, 0, "id", v.p, v.len, 0);
            } else {
                word_pred(&e, "@class", v.p, v.len);
                add_native(c,
                           word_ok(v.p, v.len) ? PIPE_CSSM_WORD
                                               : PIPE_CSSM_FALSE,
                           0, "class", v.p, v.len, 0);
            }
            add_pred(c, &e);
            free(v.p);
            free(e.p);
        } else if (ch == '[') {
            if (parse_attr(P, c) < 0)
                return -1;
        } else if (ch == ':') {
            if (parse_pseudo(P, c) < 0)
                return -1;
        } else {
            break;
        }
    }
    if (P->pos == start)
        return fail(P, P->pos,
                    cur(P) == '\0' || (cur(P) == ')' && P->depth > 0)
                        ? "expected a selector"
                        : "unexpected character");
    (void)in_not;
    return 0;
}

/* One step of a forward path.  `first`: the step starts the path at the
 * context node (a :has argument may begin with >, + or ~). */
static void emit_step(pipe_buf *out, char comb, const compound *c, int first)
{
    const char *tag = c->tag.len ? c->tag.p : "*";
    const char *sep = first ? "" : "/";
    switch (comb) {
    case 0:
        sb_puts(out, "descendant::");
        sb_puts(out, tag);
        break;
    case ' ':
        sb_puts(out, "/descendant::");
        sb_puts(out, tag);
        break;
    case '>':
        sb_puts(out, first ? "child::" : "/");
        sb_puts(out, tag);
        break;
    case '~':
        sb_puts(out, sep);
        sb_puts(out, "following-sibling::");
        sb_puts(out, tag);
        break;
    case '+':
        sb_puts(out, sep);
        sb_puts(out, "following-sibling::*[1]");
        if (c->tag.len) {
            sb_puts(out, "[self::");
            sb_puts(out, tag);
            sb_puts(out, "]");
        }
        break;
    }
    if (c->steps.len)
        pipe_buf_add(out, c->steps.p, c->steps.len);
    if (c->tag.oom || c->steps.oom)
        out->oom = 1;
}

/* Parse one complex selector into ch; `rel`: it may begin with a
 * combinator (a :has argument).  Inside a functional pseudo-class (depth
 * > 0) it ends at ')' too. */
static int parse_chain(parser *P, chain *ch, int rel)
{
    char comb = 0;
    if (rel && (cur(P) == '>' || cur(P) == '+' || cur(P) == '~')) {
        comb = (char)cur(P);
        P->pos++;
        skip_ws(P);
    }
    for (;;) {
        if (ch->n >= MAXCHAIN)
            return fail(P, P->pos, "too many compound selectors");
        compound *c = &ch->c[ch->n];
        memset(c, 0, sizeof *c);
        ch->comb[ch->n++] = comb;
        if (parse_compound(P, c, 0) < 0)
            return -1;
        int ws = skip_ws(P);
        int chr = cur(P);
        if (chr == '>' || chr == '+' || chr == '~') {
            comb = (char)chr;
            P->pos++;
            skip_ws(P);
        } else if (chr == ',' || chr == '\0' || (P->depth > 0 && chr == ')')) {
            return 0;
        } else if (ws) {
            comb = ' ';
        } else {
            return fail(P, P->pos, "unexpected character");
        }
    }
}

/* Move a parsed top-level selector into the native matcher, or give the
 * matcher up when the selector is outside its subset. */
static void native_add(parser *P, chain *ch)
{
    pipe_cssm *m = P->nat;
    if (!P->nat_ok || m == NULL)
        return;
    if (m->n + ch->n > PIPE_CSSM_MAX) {
        P->nat_ok = 0;
        return;
    }
    for (int i = 0; i < ch->n; i++)
        if (ch->c[i].other || ch->c[i].tag.oom) {
            P->nat_ok = 0;
            return;
        }
    for (int i = 0; i < ch->n; i++) {
        compound *c = &ch->c[i];
        int k = m->n++;
        uint64_t bit = (uint64_t)1 << k;
        pipe_cssm_compound *d = &m->c[k];
        d->tag = c->tag.len ? c->tag.p : NULL;
        if (c->tag.len)
            c->tag = (pipe_buf){0};
        d->tests = c->nt;
        d->ntests = c->nnt;
        c->nt = NULL;
        c->nnt = c->ncap = 0;
        if (i == 0)
            m->first |= bit;
        if (i == ch->n - 1)
            m->last |= bit;
        switch (ch->comb[i]) {
        case ' ':
            m->desc |= bit;
            break;
        case '>':
            m->child |= bit;
            break;
        case '+':
            m->adj |= bit;
            break;
        case '~':
            m->sib |= bit;
            break;
        }
    }
}

static int parse_complex(parser *P, pipe_buf *out)
{
    chain ch;
    ch.n = 0;
    int r = parse_chain(P, &ch, 0);
    if (r == 0) {
        for (int i = 0; i < ch.n; i++)
            emit_step(out, ch.comb[i], &ch.c[i], i == 0);
        native_add(P, &ch);
    }
    chain_free(&ch);
    return r;
}

/* the tests of one compound on the context node itself */
static void compound_test(pipe_buf *e, const compound *c)
{
    if (c->tag.len) {
        sb_puts(e, "self::");
        pipe_buf_add(e, c->tag.p, c->tag.len);
    }
    if (c->n) {
        if (c->tag.len)
            sb_puts(e, " and ");
        pipe_buf_add(e, c->conj.p, c->conj.len);
    }
    if (!c->tag.len && !c->n)
        sb_puts(e, "true()");
    if (c->tag.oom || c->conj.oom)
        e->oom = 1;
}

/* A complex selector as a predicate on its subject (:is, :not): the last
 * compound tests the node, the ones before it its ancestors and earlier
 * siblings, from the inside out. */
static void chain_pred(pipe_buf *e, const chain *ch)
{
    pipe_buf acc = {0};
    compound_test(&acc, &ch->c[0]);
    for (int j = 1; j < ch->n; j++) {
        pipe_buf nx = {0};
        compound_test(&nx, &ch->c[j]);
        switch (ch->comb[j]) {
        case ' ':
            sb_puts(&nx, " and ancestor::*[");
            break;
        case '>':
            sb_puts(&nx, " and parent::*[");
            break;
        case '~':
            sb_puts(&nx, " and preceding-sibling::*[");
            break;
        default: /* '+' */
            sb_puts(&nx, " and preceding-sibling::*[1][");
            break;
        }
        pipe_buf_add(&nx, acc.p ? acc.p : "", acc.len);
        sb_puts(&nx, "]");
        if (acc.oom)
            nx.oom = 1;
        free(acc.p);
        acc = nx;
    }
    sb_puts(e, "(");
    pipe_buf_add(e, acc.p ? acc.p : "", acc.len);
    sb_puts(e, ")");
    if (acc.oom)
        e->oom = 1;
    free(acc.p);
}

/* The argument list of :is(), :not() or :has() up to its ')', as one
 * predicate: `has` makes each selector relative to the node (a path that
 * must find something), the others test the node itself. */
static int parse_selector_arg(parser *P, pipe_buf *e, int has, int *simple,
                              compound *first)
{
    int count = 0;
    *simple = 0;
    for (;;) {
        skip_ws(P);
        chain ch;
        ch.n = 0;
        int r = parse_chain(P, &ch, has);
        if (r == 0) {
            if (count++ > 0)
                sb_puts(e, " or ");
            if (has) {
                sb_puts(e, "(");
                for (int i = 0; i < ch.n; i++)
                    emit_step(e, ch.comb[i], &ch.c[i], i == 0);
                sb_puts(e, ")");
            } else {
                chain_pred(e, &ch);
            }
            if (count == 1 && ch.n == 1 && ch.comb[0] == 0 && first) {
                /* one compound: the caller may write it the short way */
                *first = ch.c[0];
                memset(&ch.c[0], 0, sizeof ch.c[0]);
                *simple = 1;
            } else {
                *simple = 0;
            }
        }
        chain_free(&ch);
        if (r < 0)
            return -1;
        if (cur(P) == ',') {
            P->pos++;
            if (first && *simple) {
                comp_free(first);
                *simple = 0;
            }
            continue;
        }
        if (cur(P) != ')')
            return fail(P, P->pos, "expected ')'");
        P->pos++;
        if (count > 1 && *simple) {
            comp_free(first);
            *simple = 0;
        }
        return 0;
    }
}

char *pipe_css_to_xpath(const char *css, size_t *err_off,
                        const char **err_reason)
{
    return pipe_css_compile(css, err_off, err_reason, NULL);
}

char *pipe_css_compile(const char *css, size_t *err_off,
                       const char **err_reason, pipe_cssm **native)
{
    if (native != NULL)
        *native = NULL;
    size_t len = strlen(css), ok = pipe_utf8_valid(css, len);
    /* A form feed is CSS whitespace but not an XML character, so no XPath
     * literal may hold one; pages never hold one either (encoding.c turns
     * it into a space), so read it as a space everywhere.  Same length,
     * so error offsets still point into `css`. */
    char *copy = NULL;
    if (strchr(css, '\f') != NULL) {
        copy = malloc(len + 1);
        if (copy == NULL) {
            *err_off = 0;
            *err_reason = "out of memory";
            return NULL;
        }
        for (size_t i = 0; i <= len; i++)
            copy[i] = css[i] == '\f' ? ' ' : css[i];
    }
    parser P = {copy ? copy : css, 0, 0, NULL, 0, NULL, 0};
    if (native != NULL) {
        P.nat = calloc(1, sizeof *P.nat);
        P.nat_ok = P.nat != NULL;
    }
    pipe_buf out = {0};
    skip_ws(&P);
    size_t ctl = 0;
    while (ctl < len && ((unsigned char)P.s[ctl] >= 0x20 ||
                         is_ws((unsigned char)P.s[ctl])))
        ctl++;
    if (ok < len) {
        /* libxml2 would reject the XPath with a bare "encoding error" */
        fail(&P, ok, "invalid UTF-8");
    } else if (ctl < len) {
        /* not an XML character: no XPath literal can hold it */
        fail(&P, ctl, "control character");
    } else if (cur(&P) == '\0') {
        fail(&P, P.pos, "empty selector");
    } else {
        for (;;) {
            if (parse_complex(&P, &out) < 0)
                break;
            if (cur(&P) == '\0')
                break;
            /* at ',' */
            P.pos++;
            skip_ws(&P);
            sb_puts(&out, " | ");
        }
    }
    free(copy);
    if (P.err != NULL || out.oom || !P.nat_ok) {
        pipe_cssm_free(P.nat);
        P.nat = NULL;
    }
    if (P.err != NULL || out.oom) {
        free(out.p);
        *err_off = P.err ? P.err_off : 0;
        *err_reason = P.err ? P.err : "out of memory";
        return NULL;
    }
    if (native != NULL)
        *native = P.nat;
    return out.p;
}
