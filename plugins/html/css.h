/*
 * CSS selector to XPath 1.0 compiler (internal to the html plugin).
 *
 * Ownership rule: pipe_css_to_xpath returns a malloc'd string the caller
 * frees; error reasons are static strings; a native matcher from
 * pipe_css_compile is the caller's (pipe_cssm_free).
 */
#ifndef PIPE_CSS_H
#define PIPE_CSS_H

#include <stddef.h>

/*
 * Compile a CSS selector list into an XPath 1.0 expression that, evaluated
 * with a context node, selects the matching descendants of that node in
 * document order.  Returns NULL on a syntax error, setting *err_off (byte
 * offset into `css`, 0-based) and *err_reason; on out-of-memory, returns
 * NULL with *err_reason "out of memory".
 */
char *pipe_css_to_xpath(const char *css, size_t *err_off,
                        const char **err_reason);

/*
 * The same, and when `native` is not NULL, *native is also set: to a
 * matcher for cssmatch.c when the whole list lies in its subset (types,
 * `*`, classes, ids, attribute tests, combinators; at most PIPE_CSSM_MAX
 * compounds), else to NULL.  The caller frees it with pipe_cssm_free.
 */
struct pipe_cssm;
char *pipe_css_compile(const char *css, size_t *err_off,
                       const char **err_reason, struct pipe_cssm **native);

#endif
