/*
 * Encoding detection and conversion for the html plugin (internal).
 *
 * Ownership rule: pipe_enc_to_utf8 returns a malloc'd, NUL-terminated
 * buffer the caller frees; on failure it returns NULL and sets *err to a
 * malloc'd message the caller frees (NULL only on out-of-memory while
 * building the message).
 */
#ifndef PIPE_ENCODING_H
#define PIPE_ENCODING_H

#include <stddef.h>

/*
 * Settle the encoding of `data` (the option `encoding` when not NULL or
 * empty, else BOM > meta prescan (a UTF-8 declaration holds when valid
 * multi-byte sequences outnumber stray bytes) > UTF-8 when valid > uchardet >
 * windows-1252), copy its name into `used` (lowercase, at most usedsz-1
 * bytes; `used` may be NULL) and return the page as clean UTF-8: invalid
 * sequences and C0 controls other than tab, LF and CR become U+FFFD, form
 * feeds become spaces.  *outlen gets the length without the final NUL,
 * which is always at most INT_MAX - 1.
 */
char *pipe_enc_to_utf8(const char *data, size_t len, const char *encoding,
                       char *used, size_t usedsz, size_t *outlen,
                       char **err);

/* Should the transport encoding hint `hint` (an HTTP charset) decide the
 * encoding of `data`?  1 with its normalised name in `enc`, else 0 (see
 * encoding.c for when it is not believed). */
int pipe_enc_hint(const char *data, size_t len, const char *hint, char *enc,
                  size_t encsz);

#endif
