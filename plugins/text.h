/*
 * UTF-8 and whitespace helpers of the text plugin, shared with the re and
 * json plugins (and any other plugin that wants them).
 *
 * Ownership rule: nothing here allocates on the C heap; output goes into a
 * caller's luaL_Buffer, which may raise on out-of-memory like any Lua push.
 */
#ifndef PIPE_TEXT_H
#define PIPE_TEXT_H

#include <stddef.h>

#include <lauxlib.h>

#define PIPE_UTF8_REPLACEMENT "\xEF\xBF\xBD" /* U+FFFD */

/* Decode the UTF-8 sequence at `s` (`n` > 0 bytes available).  Returns the
 * code point and sets *adv to the sequence length; on an invalid, overlong,
 * surrogate or truncated sequence returns -1 and sets *adv to the length of
 * the maximal invalid subpart (at least 1), as the Unicode standard's
 * "substitution of maximal subparts" asks. */
long pipe_utf8_decode(const char *s, size_t n, size_t *adv);

/* Length of the longest valid UTF-8 prefix of s[0..n) (n when valid). */
size_t pipe_utf8_valid(const char *s, size_t n);

/* Append s[0..n) to `b`, each maximal invalid subpart replaced by U+FFFD. */
void pipe_utf8_fix(luaL_Buffer *b, const char *s, size_t n);

/* Append the UTF-8 encoding of code point `cp` (< 0x110000) to `b`. */
void pipe_utf8_add(luaL_Buffer *b, unsigned long cp);

/* Whether code point `cp` is white space for squish/trim: ASCII space, tab,
 * CR, LF, FF, VT, U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029,
 * U+202F, U+205F, U+3000. */
int pipe_text_is_space(long cp);

/* Append s[0..n) to `b` with every run of white space collapsed into one
 * ASCII space and leading/trailing white space dropped. */
void pipe_text_squish(luaL_Buffer *b, const char *s, size_t n);

#endif
