/*
 * extract plugin, emitting (pass 3; see extract.h): the chosen blocks as
 * paragraphs.  Block elements end a paragraph, <br> is a line break, list
 * items are "- " lines as `pipe strip` renders them; Readability's
 * conditional cleaning drops link lists, galleries, forms and short
 * image-less blocks inside the chosen content; every finished paragraph
 * (and list item) passes the boilerplate filter: link-heavy lines and
 * short "Read more"/"Share" prompts go.
 *
 * Caveats: the output buffer is sized before emitting for all the text
 * below the indexed elements plus separators and a blank line after
 * each paragraph (start_attempt in extract.c), so out_byte never grows
 * it (and silently stops at its end, which the sizing makes
 * unreachable).
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include <libxml/tree.h>

#include "extract.h"

static void out_byte(run *r, char c)
{
    if (r->out_len < r->out_cap)
        r->out[r->out_len++] = c;
}

/* (The run's fields are read into locals and written back at the end:
 * through r, every byte stored into the output would make the compiler
 * read them again.) */
static void append_text(run *r, const unsigned char *c)
{
    char *out = r->out;
    size_t len = r->out_len;
    const size_t cap = r->out_cap, start = r->cur_start;
    int pending = r->pending_space;
    long chars = 0;
    int adv;
    while (*c) {
        int ascii = *c > ' ' && *c < 0x80;
        if (!ascii && pipe_extract_space_at(c, &adv)) {
            pending = 1;
            c += adv;
            continue;
        }
        /* a character after white space: one space first */
        if (pending && len > start && out[len - 1] != '\n') {
            if (len < cap)
                out[len++] = ' ';
            chars++;
        }
        pending = 0;
        size_t room = cap - len;
        if (ascii) {
            /* a run of printable ASCII: no space, no continuation byte */
            const unsigned char *run = c;
            do {
                if (room) {
                    out[len++] = (char)*c;
                    room--;
                }
                c++;
            } while (*c > ' ' && *c < 0x80);
            chars += c - run;
        } else if (pipe_extract_plain_utf8(*c)) {
            /* a run of other UTF-8 bytes: a character per lead byte */
            do {
                chars += *c >= 0xC0;   /* (a lead byte) */
                if (room) {
                    out[len++] = (char)*c;
                    room--;
                }
                c++;
            } while (pipe_extract_plain_utf8(*c));
        } else {
            /* a control byte, or a lead byte looked at: a character */
            chars++;
            if (room)
                out[len++] = (char)*c;
            c++;
        }
    }
    r->out_len = len;
    r->pending_space = pending;
    r->cur_chars += chars;
    if (r->in_a)
        r->cur_link += chars;
}

static int has_digit(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] >= '0' && s[i] <= '9')
            return 1;
    return 0;
}

/* Do the first bytes agree, ASCII letters in either case (as
 * strncasecmp compares them in the C locale)?  Most entries differ
 * there: a call of strncasecmp per entry and line added up. */
static int same_first(const char *s, const char *entry)
{
    return pipe_extract_lower((unsigned char)s[0])
           == pipe_extract_lower((unsigned char)entry[0]);
}

static int starts_with_prompt(const params *pp, const char *s, size_t len)
{
    for (size_t i = 0; i < pp->prompts.n; i++) {
        const char *p = pp->prompts.v[i];
        size_t pl = pp->prompts.len[i];
        if (pl > len || (pl > 0 && !same_first(s, p))
            || strncasecmp(s, p, pl) != 0)
            continue;
        if (pl == len || !isalnum((unsigned char)s[pl]))
            return 1;
    }
    return 0;
}

/* Is this line boilerplate: link-heavy, or a short prompt? */
/* Does the line start with an entry of l, as a whole word? */
static int starts_with(const strlist *l, const char *s, size_t len)
{
    for (size_t i = 0; i < l->n; i++) {
        size_t pl = l->len[i];
        if (pl > len || (pl > 0 && !same_first(s, l->v[i]))
            || strncasecmp(s, l->v[i], pl) != 0)
            continue;
        /* (an empty entry has no last byte: it matches before a
         * non-alphanumeric, as an empty prompt does) */
        if (pl == len || !isalnum((unsigned char)s[pl])
            || (pl > 0 && !isalnum((unsigned char)l->v[i][pl - 1])))
            return 1;
    }
    return 0;
}

/* Does the line read as a sentence: several words, ending with . ! or ?
 * (before closing quotes or brackets)?  In a node a site rule chose, such
 * a line is article text however many links it carries (citations);
 * the link-heavy lines the filter is for (menus, tag lists, teaser
 * headlines) are not sentences. */
static int sentence(const char *s, size_t len)
{
    size_t end = len;
    while (end > 0 && (memchr("\"')]", s[end - 1], 4)
                       || (end >= 3 && (unsigned char)s[end - 3] == 0xE2
                           && (unsigned char)s[end - 2] == 0x80
                           && ((unsigned char)s[end - 1] == 0x9D
                               || (unsigned char)s[end - 1] == 0x99))))
        end -= (unsigned char)s[end - 1] >= 0x80 ? 3 : 1;
    if (end == 0 || !memchr(".!?", s[end - 1], 3))
        return 0;
    int words = 1;
    for (size_t i = 0; i < end; i++)
        if (s[i] == ' ')
            words++;
    return words >= 8;
}

/* Is this line boilerplate: link-heavy (not in a quote: a tweet's
 * attribution is its text), a short prompt, a bare URL, a tag line
 * ("Related: ..."), a notice ("Comments are moderated"), a date line
 * ("Updated 10:01 pm")? */
static int boilerplate(const params *pp, const char *s, size_t len,
                       long chars, long link, int quoted)
{
    if (chars > 0 && !quoted && !(pp->whole && sentence(s, len))) {
        double ld = (double)link / (double)chars;
        if (ld > pp->line_link_long
            || (ld > pp->line_link && (double)chars < pp->line_link_len))
            return 1;
    }
    if ((double)chars <= pp->prompt_len && starts_with_prompt(pp, s, len))
        return 1;
    /* a bare URL (a share or permalink line) */
    if ((strncasecmp(s, "http://", 7) == 0 || strncasecmp(s, "https://", 8) == 0)
        && !memchr(s, ' ', len))
        return 1;
    if ((double)chars <= pp->tag_line_len && starts_with(&pp->tag_lines, s, len))
        return 1;
    return (double)chars <= pp->date_line_len && has_digit(s, len)
           && starts_with(&pp->date_labels, s, len);
}

/* End the paragraph being built: keep it unless it is boilerplate. */
void pipe_extract_flush(run *r)
{
    const params *pp = r->pp;
    while (r->out_len > r->cur_start
           && (r->out[r->out_len - 1] == '\n' || r->out[r->out_len - 1] == ' '))
        r->out_len--;
    /* a list item's marker with nothing after it yet (the item's text
     * starts with a block: <li><p>...) is no line of this paragraph */
    if (r->marker != NO_MARKER && r->marker >= r->cur_start
        && r->out_len == r->marker + 1 && r->out[r->marker] == '-') {
        r->out_len = r->marker;
        r->marker = NO_MARKER;
        while (r->out_len > r->cur_start && r->out[r->out_len - 1] == '\n')
            r->out_len--;
    }
    r->flushes++;
    size_t len = r->out_len - r->cur_start;
    /* list markers whose items all went (their text was in blocks the
     * filter dropped) are no paragraph */
    int marks_only = 1;
    for (size_t k = r->cur_start; k < r->out_len && marks_only; k++)
        marks_only = r->out[k] == '-' || r->out[k] == ' ' || r->out[k] == '\n';
    int keep = len > 0 && !marks_only
               && !boilerplate(pp, r->out + r->cur_start, len, r->cur_chars,
                               r->cur_link, r->in_quote > 0);
    if (keep && r->npara < r->para_cap) {
        r->paras[r->npara].off = r->cur_start;
        r->paras[r->npara].len = len;
        r->npara++;
        /* the blank line before the next paragraph: the result's text is
         * the output from the first paragraph to the end of the last */
        out_byte(r, '\n');
        out_byte(r, '\n');
    } else {
        r->out_len = r->cur_start;
    }
    r->cur_start = r->out_len;
    r->cur_chars = r->cur_link = 0;
    r->pending_space = 0;
}

/* Readability's conditional cleaning of a block inside the content. */
static int clean_drops(const run *r, const nstat *s)
{
    const params *pp = r->pp;
    if (!r->use_clean || !(s->flags & T_CLEAN))
        return 0;
    /* what is left of a block after the other posts in it went: a
     * heading ("More from City Post") */
    if (s->dropped_chars > 0
        && (double)(s->chars - s->dropped_chars) < pp->sibling_text)
        return 1;
    /* an embedded tweet or quote and its wrapper */
    if (s->quote_chars > 0 && (double)s->quote_chars >= 0.8 * (double)s->chars)
        return 0;
    double ld = pipe_extract_link_density(s);
    /* a box of prose inside the text (a product, a callout), not a
     * teaser of another story (its headline and "read more" are links) */
    if (s->prose > 0 && ld <= pp->clean_link)
        return 0;
    double w = s->weight;
    if (w + (s->scored ? s->score : 0) < 0)
        return 1;
    if ((double)s->commas >= pp->clean_commas)
        return 0;
    int is_list = (s->flags & T_LIST)
                  || (s->chars > 0 && (double)s->li_chars > 0.9 * (double)s->chars);
    int p = s->p, img = s->img, li = s->li - 100;
    if (s->input > 0 && (double)s->input > p / 3.0)
        return 1;
    if (!is_list && w < pp->class_weight && ld > pp->clean_link)
        return 1;
    if (w >= pp->class_weight && ld > pp->clean_link_pos)
        return 1;
    if (img > 1 && (double)p / img < 0.5 && !s->in_figure)
        return 1;
    if (!pp->clean_shape)
        return 0;
    if (!is_list && li > p)
        return 1;
    if (!is_list && (double)s->chars < pp->clean_min_text
        && (img == 0 || img > 2) && !s->in_figure)
        return 1;
    if ((s->embed == 1 && s->chars < 75) || s->embed > 1)
        return 1;
    return 0;
}



/* <br>: a line break; a second one in a row ends the paragraph (text
 * written in <br><br>-separated runs has no <p>s) */
static void line_break(run *r)
{
    if (r->out_len > r->cur_start) {
        if (r->out[r->out_len - 1] != '\n')
            out_byte(r, '\n');
        else if (!r->in_item)   /* in an item: one line break */
            pipe_extract_flush(r);
    }
    r->pending_space = 0;
}

static void emit_children(run *r, int i, int depth)
{
    int end = i + r->s[i].size;
    int cur = i + 1;
    for (xmlNodePtr c = r->s[i].node->children; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE) {
            if (cur >= end || r->s[cur].node != c) {
                /* excluded in pass 1 */
                if (pipe_extract_tag_flags(r, c) & T_BR)
                    line_break(r);
                continue;
            }
            int ci = cur;
            cur += r->s[ci].size;
            if (depth < MAX_DEPTH)
                pipe_extract_emit(r, ci, depth + 1);
        } else if ((c->type == XML_TEXT_NODE
                    || c->type == XML_CDATA_SECTION_NODE) && c->content) {
            append_text(r, c->content);
        }
    }
}

/* A list item: a "- " line of the list's paragraph, as `pipe strip`
 * renders lists. */
static void emit_item(run *r, int i, int depth)
{
    size_t mark = r->out_len;
    if (r->out_len > r->cur_start)
        out_byte(r, '\n');
    size_t saved_marker = r->marker;
    r->marker = r->out_len;
    out_byte(r, '-');
    out_byte(r, ' ');
    size_t text = r->out_len;
    unsigned long flushes = r->flushes;
    long chars = r->cur_chars, link = r->cur_link;
    r->pending_space = 0;
    int saved_a = r->in_a;
    r->in_a = 0;
    r->in_item++;
    emit_children(r, i, depth);
    r->in_item--;
    r->in_a = saved_a;
    r->marker = saved_marker;
    /* a paragraph ended inside the item (a <p> in the <li>): it took the
     * item's text so far (or dropped its bare marker), and what follows
     * is a paragraph of its own, judged when it ends */
    if (r->flushes != flushes || r->out_len < text) {
        r->pending_space = 0;
        return;
    }
    while (r->out_len > text && r->out[r->out_len - 1] == ' ')
        r->out_len--;
    /* each item passes the line filter on its own */
    if (r->out_len == text
        || boilerplate(r->pp, r->out + text, r->out_len - text,
                       r->cur_chars - chars, r->cur_link - link,
                       r->in_quote > 0)) {
        r->out_len = mark;
        r->cur_chars = chars;
        r->cur_link = link;
    }
    r->pending_space = 0;
}

void pipe_extract_emit(run *r, int i, int depth)
{
    const nstat *s = &r->s[i];
    /* the chosen block (and what holds it) is judged by its score, not
     * cleaned */
    if (s->dropped
        || (i != r->top && !pipe_extract_inside(r, r->top, i) && clean_drops(r, s)))
        return;
    if (s->flags & T_BR) {
        line_break(r);
        return;
    }
    if ((s->flags & T_LI) && s->parent >= 0
        && (r->s[s->parent].flags & T_LIST)) {
        emit_item(r, i, depth);
        return;
    }
    int block = (s->flags & T_BLOCK) != 0;
    if (block)
        pipe_extract_flush(r);
    int saved_a = r->in_a;
    if ((s->flags & T_A) && s->href)
        r->in_a = 1;
    else if (block)
        r->in_a = 0;
    int quote = (s->flags & T_QUOTE) != 0;
    r->in_quote += quote;
    emit_children(r, i, depth);
    r->in_a = saved_a;
    if (block)
        pipe_extract_flush(r);
    r->in_quote -= quote;
}

