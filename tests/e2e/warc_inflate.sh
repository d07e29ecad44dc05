#!/bin/bash
# The WARC reader inflates gzip members whole with libdeflate and streams
# with zlib what libdeflate cannot take (core/warc.c "Inflating"): both
# must give the same bytes.  Every archive of the WARC tests (wget's, a
# Common-Crawl-style one with a corrupt member, the same cut short, all
# the fixture pages, one page bigger than the raw window) is run through
# `pipe run` with libdeflate and with PIPE_WARC_INFLATE=zlib, from a
# file, from stdin and from a FIFO, at -j 1 and -j 2: records, messages
# and exit codes byte-identical.  Then a writer that pauses inside a
# member on stdin.
. "$(dirname "$0")/lib.sh"

bash "$SRCDIR/tests/warc/make_fixtures.sh" "$PAGES" "$TMP/fx" 2>"$TMP/mk.err"
rc=$?
if [ "$rc" = 77 ]; then echo "SKIP: $(cat "$TMP/mk.err") (CI installs it: .ci/run)"; exit 77; fi
[ "$rc" = 0 ] || fail "make_fixtures: $(cat "$TMP/mk.err")"
fx=$TMP/fx
size=$(wc -c <"$fx/cc.warc.gz")
last=$(tail -1 "$fx/cc.manifest" | cut -d' ' -f1)
head -c $(( last + (size - last) / 2 )) "$fx/cc.warc.gz" >"$fx/cut.warc.gz"

# Common Crawl's layout (request, response, metadata, a member each) over
# every fixture page; and the seed page with 1.2 MB of archive teasers
# after its article (words of the fixture pages in random order: ~400 KB
# compressed, more than the 256 KiB raw window) between small ones
python3 - "$fx" "$PAGES"/*.html <<'PY'
import gzip, os, random, re, sys
out, pages = sys.argv[1], sys.argv[2:]
def rec(kind, uri, block, n):
    head = ("WARC/1.0\r\nWARC-Type: %s\r\nWARC-Target-URI: %s\r\n"
            "WARC-Date: 2024-05-18T02:00:00Z\r\n"
            "WARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-%012d>\r\n"
            "Content-Length: %d\r\n\r\n" % (kind, uri, n, len(block)))
    return gzip.compress(head.encode() + block + b"\r\n\r\n", 6, mtime=0)
def page(uri, body, n):
    return (rec("request", uri, b"GET / HTTP/1.1\r\n\r\n", n) +
            rec("response", uri, b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                b"Content-Length: %d\r\n\r\n" % len(body) + body, n + 1) +
            rec("metadata", uri, b"fetchTimeMs: 100\r\n", n + 2))
with open(os.path.join(out, "pages.warc.gz"), "wb") as f:
    for i, p in enumerate(pages):
        f.write(page("https://news.example/" + os.path.basename(p),
                     open(p, "rb").read(), 3 * i))
words = sorted(set(re.findall(rb"[A-Za-z]{3,}", b" ".join(open(p, "rb").read() for p in pages))))
rnd = random.Random(9)
teasers = b"".join(b"<li><a href=\"/news/%d.html\">%s</a></li>\n" % (
    k, b" ".join(rnd.choice(words) for _ in range(12))) for k in range(14000))
paris = open([p for p in pages if p.endswith("paris-declaration.html")][0], "rb").read()
at = paris.index(b"</body>")
big = paris[:at] + b"<ul class=\"archive\">\n" + teasers + b"</ul>\n" + paris[at:]
member = rec("response", "x", big, 0)
assert len(member) > 300000, len(member)
with open(os.path.join(out, "big.warc.gz"), "wb") as f:
    f.write(page("https://news.example/small-1.html", open(pages[0], "rb").read(), 0))
    f.write(page("https://newsukraine.rbc.ua/news/the-paris-declaration-and-the-road-to-the-eu-1768650300.html", big, 3))
    f.write(page("https://news.example/small-2.html", open(pages[1], "rb").read(), 6))
PY
[ "$(gzip -dc "$fx/big.warc.gz" | wc -c)" -gt 1200000 ] || fail "big.warc.gz is not big"

# run NAME FILE HOW J: pipe run over FILE read as HOW (file, stdin,
# fifo), libdeflate then zlib; the two must agree byte for byte
run() {
  local name=$1 f=$2 how=$3 j=$4 mode
  for mode in fast zlib; do
    local env=()
    [ "$mode" = zlib ] && env=(PIPE_WARC_INFLATE=zlib)
    case $how in
      file) env "${env[@]}" "$PIPE" run -j "$j" scripts/site.lua "$f" ;;
      stdin) env "${env[@]}" "$PIPE" run -j "$j" scripts/site.lua - <"$f" ;;
      fifo)
        rm -f "$TMP/fifo"; mkfifo "$TMP/fifo"
        cat "$f" >"$TMP/fifo" &
        env "${env[@]}" "$PIPE" run -j "$j" scripts/site.lua "$TMP/fifo"
        st=$?; wait; (exit $st) ;;
    esac >"$TMP/$mode.out" 2>"$TMP/$mode.err"
    echo "exit $?" >>"$TMP/$mode.err"
  done
  if ! { cmp -s "$TMP/fast.out" "$TMP/zlib.out" && cmp -s "$TMP/fast.err" "$TMP/zlib.err"; }; then
    fail "$name ($how, -j $j): libdeflate and zlib differ: $(diff "$TMP/zlib.err" "$TMP/fast.err" | head -5; diff "$TMP/zlib.out" "$TMP/fast.out" | head -c 600)"
  fi
}
for a in wget.warc.gz wget-whole.warc.gz cc.warc.gz cut.warc.gz pages.warc.gz big.warc.gz; do
  for how in file stdin fifo; do
    for j in 1 2; do run "$a" "$fx/$a" "$how" "$j"; done
  done
  pass "$a: libdeflate = zlib from a file, stdin and a FIFO, -j 1 and -j 2 ($(wc -l <"$TMP/fast.out") records, $(tail -1 "$TMP/fast.err"))"
done

# the last runs were not vacuous: what each archive gives
"$PIPE" run scripts/site.lua "$fx/cut.warc.gz" >"$TMP/out" 2>"$TMP/err"
expect_eq "cut.warc.gz: the corrupt and the cut member reported, exit 1" \
  "2 messages|$last: truncated gzip data (unexpected end of file)|exit 1" \
  "$(wc -l <"$TMP/err") messages|$(tail -1 "$TMP/err" | sed 's/^pipe: .*#//')|exit $("$PIPE" run scripts/site.lua "$fx/cut.warc.gz" >/dev/null 2>&1; echo $?)"
expect_eq "pages.warc.gz: a record per fixture page" \
  "$(find "$PAGES" -maxdepth 1 -name '*.html' | wc -l)" "$("$PIPE" run scripts/site.lua "$fx/pages.warc.gz" | wc -l)"
expect_eq "big.warc.gz: its three pages, the big one extracted as the seed page" \
  "3|$(jq -r .title "$PAGES/paris-declaration.expected.json")" \
  "$("$PIPE" run scripts/site.lua "$fx/big.warc.gz" | wc -l)|$("$PIPE" run scripts/site.lua "$fx/big.warc.gz" | jq -r 'select(.url | test("paris")) | .title')"

# a writer that stops in the middle of the big member for a second: the
# reader goes on with zlib instead of waiting for the whole member; the
# same records as from the file (but for the source's name)
n=$(( $(wc -c <"$fx/big.warc.gz") / 2 ))
"$PIPE" run -j 2 scripts/site.lua - <"$fx/big.warc.gz" >"$TMP/whole.out" 2>&1
{ head -c "$n" "$fx/big.warc.gz"; sleep 1; tail -c +$(( n + 1 )) "$fx/big.warc.gz"; } |
  "$PIPE" run -j 2 scripts/site.lua - >"$TMP/slow.out" 2>&1
expect_eq "a pausing writer on stdin: the same records" \
  "$(cat "$TMP/whole.out")" "$(cat "$TMP/slow.out")"
expect_eq "a pausing writer on stdin: three records" "3" "$(wc -l <"$TMP/slow.out")"
