/*
 * Encoding detection and conversion for the html plugin: label
 * normalisation, the <meta> prescan, UTF-8 validation and cleaning, iconv
 * conversion and the uchardet fallback.
 *
 * Caveats:
 * - libxml2 2.9.14 guesses Latin-1 for non-ASCII bytes before a
 *   <meta charset>, so the encoding is settled here (option > BOM > meta
 *   prescan of the first 4 KB > UTF-8 when the bytes are valid UTF-8 >
 *   uchardet > windows-1252) and the parser is handed clean UTF-8.
 * - A page that declares UTF-8 but holds stray bytes stays UTF-8, the
 *   stray bytes becoming U+FFFD as in a browser (one per maximal invalid
 *   subpart: a cut-off sequence is one), when its valid multi-byte
 *   sequences outnumber the stray bytes; otherwise (a false declaration:
 *   a windows-1251 page, or an archive's UTF-8 wrapper around a gb2312
 *   page) uchardet decides.
 * - Labels follow the WHATWG habit of reading ISO-8859-1 and US-ASCII as
 *   windows-1252; names are checked against iconv, so a label iconv does
 *   not know counts as unknown.
 */
#include <errno.h>
#include <iconv.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include <uchardet/uchardet.h>

#include "encoding.h"
#include "pipe/util.h"

#define PRESCAN_BYTES 4096
#define DETECT_BYTES (256 * 1024)
#define DETECT_HIGH 2048 /* bytes >= 0x80 that uchardet reads */

static int lower_ascii(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int iconv_knows(const char *enc)
{
    iconv_t cd = iconv_open("UTF-8", enc);
    if (cd == (iconv_t)-1)
        return 0;
    iconv_close(cd);
    return 1;
}

/* Map a label (meta charset, option, uchardet) to the name pipe reports
 * and iconv accepts, lowercase.  Returns 0 when unknown. */
static int normalize_label(const char *label, size_t n, char *out,
                           size_t outsz)
{
    char tmp[64];
    while (n > 0 && (*label == ' ' || *label == '\t' || *label == '\n' ||
                     *label == '\r' || *label == '\f')) {
        label++;
        n--;
    }
    while (n > 0 && (label[n - 1] == ' ' || label[n - 1] == '\t' ||
                     label[n - 1] == '\n' || label[n - 1] == '\r' ||
                     label[n - 1] == '\f'))
        n--;
    if (n == 0 || n >= sizeof tmp)
        return 0;
    for (size_t i = 0; i < n; i++) {
        int c = lower_ascii((unsigned char)label[i]);
        /* labels are ASCII tokens; anything else (a NUL, above all: ""
         * means the locale's charset to iconv_open) is unknown */
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              (c != '\0' && strchr("-_.:+()", c) != NULL)))
            return 0;
        tmp[i] = (char)c;
    }
    tmp[n] = '\0';
    static const char *const map[][2] = {
        {"utf8", "utf-8"},
        {"unicode-1-1-utf-8", "utf-8"},
        {"x-unicode20utf8", "utf-8"},
        {"iso-8859-1", "windows-1252"},
        {"iso8859-1", "windows-1252"},
        {"iso_8859-1", "windows-1252"},
        {"latin1", "windows-1252"},
        {"l1", "windows-1252"},
        {"ascii", "windows-1252"},
        {"us-ascii", "windows-1252"},
        {"cp1252", "windows-1252"},
        {"x-cp1252", "windows-1252"},
        {"cp819", "windows-1252"},
        {"cp1251", "windows-1251"},
        {"x-cp1251", "windows-1251"},
        {"win-1251", "windows-1251"},
        {"cp1250", "windows-1250"},
        {"x-cp1250", "windows-1250"},
        {"iso-8859-9", "windows-1254"},
        {"latin5", "windows-1254"},
        {"gb2312", "gbk"},
        {"x-gbk", "gbk"},
        {"shift_jis", "cp932"},
        {"sjis", "cp932"},
        {"x-sjis", "cp932"},
        {"windows-31j", "cp932"},
        {"euc-kr", "cp949"},
        {"tis-620", "cp874"},
        {"windows-874", "cp874"},
        {"koi8", "koi8-r"},
        {"koi", "koi8-r"},
        {"koi8_r", "koi8-r"},
        {"ucs-2", "utf-16le"},
    };
    const char *name = tmp;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(tmp, map[i][0]) == 0)
            name = map[i][1];
    if (strlen(name) >= outsz)
        return 0;
    if (strcmp(name, "utf-8") != 0 && !iconv_knows(name))
        return 0;
    strcpy(out, name);
    return 1;
}

static int ci_prefix(const char *s, size_t n, const char *lit)
{
    size_t k = strlen(lit);
    if (n < k)
        return 0;
    for (size_t i = 0; i < k; i++)
        if (lower_ascii((unsigned char)s[i]) != lit[i])
            return 0;
    return 1;
}

static int is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* charset=LABEL inside a content attribute value */
static int charset_from_content(const char *v, size_t n, char *out,
                                size_t outsz)
{
    for (size_t i = 0; i + 7 <= n; i++) {
        if (!ci_prefix(v + i, n - i, "charset"))
            continue;
        size_t j = i + 7;
        while (j < n && is_space((unsigned char)v[j]))
            j++;
        if (j >= n || v[j] != '=')
            continue;
        j++;
        while (j < n && is_space((unsigned char)v[j]))
            j++;
        char q = 0;
        if (j < n && (v[j] == '"' || v[j] == '\''))
            q = v[j++];
        size_t k = j;
        while (k < n && v[k] != ';' && (q ? v[k] != q : !is_space((unsigned char)v[k])))
            k++;
        return normalize_label(v + j, k - j, out, outsz);
    }
    return 0;
}

/* The HTML5 prescan, simplified: the first <meta> with a usable charset. */
static int prescan_meta(const char *s, size_t n, char *out, size_t outsz)
{
    if (n > PRESCAN_BYTES)
        n = PRESCAN_BYTES;
    size_t i = 0;
    while (i < n) {
        const char *lt = memchr(s + i, '<', n - i);
        if (lt == NULL)
            return 0;
        i = (size_t)(lt - s);
        if (ci_prefix(s + i, n - i, "<!--")) {
            size_t j = i + 4;
            while (j + 3 <= n && memcmp(s + j, "-->", 3) != 0)
                j++;
            i = j + 3;
            continue;
        }
        if (!(ci_prefix(s + i, n - i, "<meta") && i + 5 < n &&
              (is_space((unsigned char)s[i + 5]) || s[i + 5] == '/'))) {
            i++;
            continue;
        }
        /* attributes of the meta tag */
        size_t j = i + 5;
        const char *cs = NULL, *ct = NULL;
        size_t csn = 0, ctn = 0;
        int http_equiv = 0;
        while (j < n && s[j] != '>') {
            while (j < n && (is_space((unsigned char)s[j]) || s[j] == '/'))
                j++;
            size_t a = j;
            while (j < n && !is_space((unsigned char)s[j]) && s[j] != '=' &&
                   s[j] != '>' && s[j] != '/')
                j++;
            size_t an = j - a;
            while (j < n && is_space((unsigned char)s[j]))
                j++;
            const char *v = NULL;
            size_t vn = 0;
            if (j < n && s[j] == '=') {
                j++;
                while (j < n && is_space((unsigned char)s[j]))
                    j++;
                if (j < n && (s[j] == '"' || s[j] == '\'')) {
                    char q = s[j++];
                    v = s + j;
                    while (j < n && s[j] != q)
                        j++;
                    vn = (size_t)(s + j - v);
                    if (j < n)
                        j++;
                } else {
                    v = s + j;
                    while (j < n && !is_space((unsigned char)s[j]) && s[j] != '>')
                        j++;
                    vn = (size_t)(s + j - v);
                }
            }
            if (an == 0 && v == NULL) {
                if (j < n && s[j] != '>')
                    j++;
                continue;
            }
            if (an == 7 && ci_prefix(s + a, an, "charset") && v) {
                cs = v;
                csn = vn;
            } else if (an == 7 && ci_prefix(s + a, an, "content") && v) {
                ct = v;
                ctn = vn;
            } else if (an == 10 && ci_prefix(s + a, an, "http-equiv") && v &&
                       vn == 12 && ci_prefix(v, vn, "content-type")) {
                http_equiv = 1;
            }
        }
        if (cs != NULL && normalize_label(cs, csn, out, outsz))
            return 1;
        if (ct != NULL && http_equiv &&
            charset_from_content(ct, ctn, out, outsz))
            return 1;
        i = j;
    }
    return 0;
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid
 * (the host's decoder, include/pipe/util.h). */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    size_t adv;
    return pipe_utf8_decode((const char *)s, n, &adv) < 0 ? 0 : adv;
}

static int utf8_valid(const char *data, size_t len)
{
    return pipe_utf8_valid(data, len) == len;
}

/* Does a page declared UTF-8 read as UTF-8 with a few stray bytes?  Valid
 * multi-byte sequences must outnumber the bytes that fit no sequence: a
 * UTF-8 page with stray Latin-1 bytes (a pasted quote, a template) has
 * hundreds of the first and a handful of the second; a page in another
 * encoding behind a false declaration has almost none of the first. */
static int utf8_mostly(const char *data, size_t len)
{
    const unsigned char *s = (const unsigned char *)data;
    size_t valid = 0, invalid = 0, i = 0;
    while (i < len) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        size_t k = utf8_seq(s + i, len - i);
        if (k) {
            valid++;
            i += k;
        } else {
            invalid++;
            i++;
        }
    }
    return valid > invalid;
}

/* Length of the prefix of s that utf8_clean copies unchanged: printable
 * ASCII, tab, LF, CR, and valid sequences other than U+FFFE/U+FFFF.  ASCII
 * is checked eight bytes at a time. */
static size_t plain_run(const unsigned char *s, size_t n)
{
    const uint64_t high = 0x8080808080808080ULL;
    const uint64_t ctl = 0x2020202020202020ULL;
    size_t i = 0;
    while (i < n) {
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            /* stop at a byte >= 0x80 or < 0x20 */
            if ((w & high) || ((w - ctl) & ~w & high))
                break;
            i += 8;
        }
        if (i >= n)
            break;
        unsigned char c = s[i];
        if (c >= 0x20 && c < 0x80) {
            i++;
            continue;
        }
        if (c == '\t' || c == '\n' || c == '\r') {
            i++;
            continue;
        }
        if (c < 0x80)
            break;
        size_t k = utf8_seq(s + i, n - i);
        if (k == 0 || (k == 3 && c == 0xEF && s[i + 1] == 0xBF &&
                       (s[i + 2] == 0xBE || s[i + 2] == 0xBF)))
            break;
        i += k;
    }
    return i;
}

/* Clean UTF-8 for the parser: invalid sequences (each maximal invalid
 * subpart), C0 controls other than tab, LF, CR, FF and U+FFFE/U+FFFF
 * become U+FFFD; FF becomes a space.  `out`
 * may be NULL to measure.  Copies whole runs of unchanged bytes. */
static size_t utf8_clean(const char *data, size_t len, char *out)
{
    static const char repl[] = "\xEF\xBF\xBD";
    const unsigned char *s = (const unsigned char *)data;
    size_t i = 0, o = 0;
    while (i < len) {
        size_t run = plain_run(s + i, len - i);
        if (out && run)
            memcpy(out + o, s + i, run);
        o += run;
        i += run;
        if (i >= len)
            break;
        if (s[i] == '\f') {
            if (out)
                out[o] = ' ';
            o++;
            i++;
            continue;
        }
        /* a control, a noncharacter, or an invalid sequence: one U+FFFD
         * for each maximal invalid subpart, as browsers decode (E2 82
         * then "A" is one U+FFFD and "A") */
        size_t adv;
        (void)pipe_utf8_decode((const char *)s + i, len - i, &adv);
        if (out)
            memcpy(out + o, repl, 3);
        o += 3;
        i += adv;
    }
    return o;
}

/* iconv `enc` -> UTF-8; undecodable input becomes U+FFFD.  Returns a
 * malloc'd buffer (not yet cleaned) or NULL on out-of-memory. */
static char *convert(const char *enc, const char *data, size_t len,
                     size_t *outlen)
{
    iconv_t cd = iconv_open("UTF-8", enc);
    if (cd == (iconv_t)-1)
        return NULL;
    size_t unit = strncmp(enc, "utf-16", 6) == 0 ? 2 : 1;
    size_t cap = len * 2 + 16, o = 0;
    char *buf = malloc(cap);
    if (buf == NULL) {
        iconv_close(cd);
        return NULL;
    }
    char *in = (char *)data;
    size_t left = len;
    while (left > 0) {
        if (cap - o < 16) {
            size_t ncap = cap * 2;
            char *nb = realloc(buf, ncap);
            if (nb == NULL) {
                free(buf);
                iconv_close(cd);
                return NULL;
            }
            buf = nb;
            cap = ncap;
        }
        char *op = buf + o;
        size_t oleft = cap - o - 4;
        size_t r = iconv(cd, &in, &left, &op, &oleft);
        o = (size_t)(op - buf);
        if (r != (size_t)-1)
            break;
        if (errno == E2BIG)
            continue;
        /* EILSEQ or EINVAL: replace one unit and go on */
        memcpy(buf + o, "\xEF\xBF\xBD", 3);
        o += 3;
        size_t skip = unit < left ? unit : left;
        in += skip;
        left -= skip;
        iconv(cd, NULL, NULL, NULL, NULL);
    }
    iconv_close(cd);
    *outlen = o;
    return buf;
}

/* How much of the page uchardet reads: at most DETECT_BYTES, and no
 * further than its first DETECT_HIGH bytes >= 0x80.  uchardet's
 * statistics count only sequences of such bytes and are settled after
 * about a thousand of them (its own "enough data" thresholds), while its
 * time grows with every one it reads: a 240 KB windows-1251 page without a
 * declaration took 10 ms in uchardet and 6 ms in the rest of its parse,
 * a 15 KB one 1.3 ms and 0.3 ms.  The cut goes after two ASCII bytes in a row, which no
 * multi-byte sequence holds (Shift_JIS, Big5 and GBK trail bytes reach
 * down to 0x40, GB18030's four-byte ones hold digits); with none in the
 * 256 bytes before, uchardet reads it all as before. */
static size_t detect_len(const char *data, size_t len)
{
    const unsigned char *u = (const unsigned char *)data;
    size_t n = len > DETECT_BYTES ? DETECT_BYTES : len, high = 0;
    for (size_t i = 0; i < n; i++) {
        if (u[i] < 0x80 || ++high <= DETECT_HIGH)
            continue;
        for (size_t j = i; j >= 2 && i - j < 256; j--)
            if (u[j - 1] < 0x80 && u[j - 2] < 0x80)
                return j;
        return n;
    }
    return n;
}

static void detect_uchardet(const char *data, size_t len, char *out,
                            size_t outsz)
{
    strcpy(out, "windows-1252");
    uchardet_t ud = uchardet_new();
    if (ud == NULL)
        return;
    uchardet_handle_data(ud, data, detect_len(data, len));
    uchardet_data_end(ud);
    const char *cs = uchardet_get_charset(ud);
    char tmp[64];
    if (cs != NULL && *cs != '\0' &&
        normalize_label(cs, strlen(cs), tmp, sizeof tmp) &&
        strlen(tmp) < outsz && strcmp(tmp, "utf-8") != 0)
        strcpy(out, tmp);
    uchardet_delete(ud);
}

/* Settle the encoding; returns the offset of the content after a BOM. */
static size_t detect_encoding(const char *data, size_t len, char *enc,
                              size_t encsz, int clean)
{
    const unsigned char *u = (const unsigned char *)data;
    if (len >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF) {
        strcpy(enc, "utf-8");
        return 3;
    }
    if (len >= 2 && u[0] == 0xFF && u[1] == 0xFE) {
        strcpy(enc, "utf-16le");
        return 2;
    }
    if (len >= 2 && u[0] == 0xFE && u[1] == 0xFF) {
        strcpy(enc, "utf-16be");
        return 2;
    }
    char meta[48];
    if (prescan_meta(data, len, meta, sizeof meta)) {
        /* a meta tag read as ASCII cannot mean UTF-16 */
        if (strncmp(meta, "utf-16", 6) == 0)
            strcpy(meta, "utf-8");
        if (strcmp(meta, "utf-8") != 0 || clean || utf8_valid(data, len)
            || utf8_mostly(data, len)) {
            strcpy(enc, meta);
            return 0;
        }
        detect_uchardet(data, len, enc, encsz);
        return 0;
    }
    if (clean || utf8_valid(data, len)) {
        strcpy(enc, "utf-8");
        return 0;
    }
    detect_uchardet(data, len, enc, encsz);
    return 0;
}

static char *strdup_msg(const char *m)
{
    char *s = malloc(strlen(m) + 1);
    if (s)
        strcpy(s, m);
    return s;
}

char *pipe_enc_to_utf8(const char *data, size_t len, const char *encoding,
                       char *used, size_t usedsz, size_t *outlen,
                       char **err)
{
    char enc[48];
    size_t skip = 0;
    *err = NULL;
    /* Most pages are valid UTF-8 with nothing to clean: one pass over the
     * bytes settles that, and the page is then copied as it is (instead of
     * a validation pass, a measuring pass and a cleaning pass). */
    int plain = plain_run((const unsigned char *)data, len) == len;
    if (encoding != NULL && *encoding != '\0') {
        if (!normalize_label(encoding, strlen(encoding), enc, sizeof enc)) {
            size_t n = strlen(encoding) + 32;
            *err = malloc(n);
            if (*err)
                snprintf(*err, n, "unknown encoding '%s'", encoding);
            return NULL;
        }
        const unsigned char *u = (const unsigned char *)data;
        if (strcmp(enc, "utf-8") == 0 && len >= 3 && u[0] == 0xEF &&
            u[1] == 0xBB && u[2] == 0xBF)
            skip = 3;
    } else {
        skip = detect_encoding(data, len, enc, sizeof enc, plain);
    }
    if (used != NULL && usedsz > 0) {
        strncpy(used, enc, usedsz - 1);
        used[usedsz - 1] = '\0';
    }
    data += skip;
    len -= skip;
    if (plain && strcmp(enc, "utf-8") == 0) {
        if (len > INT_MAX - 1) {
            *err = strdup_msg("input too large");
            return NULL;
        }
        char *copy = malloc(len + 1);
        if (copy == NULL) {
            *err = strdup_msg("out of memory");
            return NULL;
        }
        memcpy(copy, data, len);
        copy[len] = '\0';
        *outlen = len;
        return copy;
    }
    char *conv = NULL;
    size_t convlen = len;
    const char *src = data;
    if (strcmp(enc, "utf-8") != 0) {
        conv = convert(enc, data, len, &convlen);
        if (conv == NULL) {
            *err = strdup_msg("out of memory");
            return NULL;
        }
        src = conv;
    }
    size_t n = utf8_clean(src, convlen, NULL);
    if (n > INT_MAX - 1) {
        free(conv);
        *err = strdup_msg("input too large");
        return NULL;
    }
    char *clean = malloc(n + 1);
    if (clean == NULL) {
        free(conv);
        *err = strdup_msg("out of memory");
        return NULL;
    }
    utf8_clean(src, convlen, clean);
    clean[n] = '\0';
    free(conv);
    *outlen = n;
    return clean;
}

/*
 * The transport encoding hint (the charset of an HTTP Content-Type, from a
 * WARC record): browsers take it after a BOM and before the <meta>
 * prescan.  It is not taken when a BOM is there, when the label is
 * unknown, when it says UTF-16 of bytes with no NUL among the first 512
 * (ASCII-compatible text: a server default), or when it says UTF-8 of
 * bytes that are not, or names a legacy encoding for bytes that are valid
 * UTF-8 with non-ASCII in them (a server default such as ISO-8859-1 over a
 * UTF-8 page): then detection goes on as without a hint.
 */
int pipe_enc_hint(const char *data, size_t len, const char *hint, char *enc,
                  size_t encsz)
{
    const unsigned char *u = (const unsigned char *)data;
    char e[48];
    if (hint == NULL || *hint == '\0' || encsz == 0)
        return 0;
    if ((len >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF) ||
        (len >= 2 && ((u[0] == 0xFF && u[1] == 0xFE) ||
                      (u[0] == 0xFE && u[1] == 0xFF))))
        return 0;
    if (!normalize_label(hint, strlen(hint), e, sizeof e))
        return 0;
    if (strncmp(e, "utf-16", 6) == 0) {
        size_t k = len < 512 ? len : 512;
        if (memchr(data, '\0', k) == NULL)
            return 0;
    } else if (strcmp(e, "utf-8") == 0) {
        if (!utf8_valid(data, len))
            return 0;
    } else {
        size_t i = 0;
        while (i < len && u[i] < 0x80)
            i++;
        if (i < len && utf8_valid(data, len))
            return 0;
    }
    snprintf(enc, encsz, "%s", e);
    return 1;
}
