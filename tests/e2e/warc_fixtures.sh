#!/bin/bash
# The WARC reader on archives made by real tools: Debian's wget --warc-file
# against the fixture server (tests/warc/server.py on 127.0.0.1), plain,
# per-record gzip and whole-file gzip, and a Common-Crawl-style file with a
# corrupt member (tests/warc/cc_style.py).  Offsets are checked against an
# independent listing (tests/warc/index.py), page bodies against the
# fixture files' CRC-32.
. "$(dirname "$0")/lib.sh"
: "${WARC_LIST:?WARC_LIST must name the warc_list test helper}"

bash "$SRCDIR/tests/warc/make_fixtures.sh" "$PAGES" "$TMP/fx" 2>"$TMP/mk.err"
rc=$?
if [ "$rc" = 77 ]; then
  echo "SKIP: $(cat "$TMP/mk.err") (CI installs it: .ci/run)"
  exit 77
fi
[ "$rc" = 0 ] || fail "make_fixtures: $(cat "$TMP/mk.err")"
fx=$TMP/fx
port=$(head -1 "$fx/port")
base=http://127.0.0.1:$port
crc() { python3 -c 'import sys, zlib; print("%08x" % zlib.crc32(open(sys.argv[1], "rb").read()))' "$1"; }

for f in wget.warc wget.warc.gz wget-whole.warc.gz; do
  "$WARC_LIST" "$fx/$f" >"$TMP/$f.list" || fail "$f: warc_list failed"
  expect_eq "$f: records and offsets as index.py lists them" \
    "$(python3 "$SRCDIR/tests/warc/index.py" "$fx/$f")" \
    "$(grep -v '^records ' "$TMP/$f.list" | sed 's/ -> .*//')"
  expect_eq "$f: counts" \
    "records 24 pages 7 bad 0 warcinfo 1 request 10 metadata 1 not-html 3 status 2" \
    "$(tail -1 "$TMP/$f.list")"
  page() { grep " response $base/$1 -> " "$TMP/$f.list" | sed 's/.* -> //' | head -1; }
  expect_eq "$f: plain page, body as served" \
    "page 200 - $(wc -c <"$PAGES/paris-declaration.html") $(crc "$PAGES/paris-declaration.html")" \
    "$(page paris-declaration.html)"
  expect_eq "$f: charset only in the HTTP header" \
    "page 200 windows-1251 $(wc -c <"$PAGES/enc-windows-1251-nometa.html") $(crc "$PAGES/enc-windows-1251-nometa.html")" \
    "$(page header-charset/enc-windows-1251-nometa.html)"
  expect_eq "$f: Content-Encoding gzip decoded" \
    "page 200 - $(wc -c <"$PAGES/wire-port-strike.html") $(crc "$PAGES/wire-port-strike.html")" \
    "$(page gzip/wire-port-strike.html)"
  expect_eq "$f: chunked transfer-coding decoded" \
    "page 200 - $(wc -c <"$PAGES/legacy-vodogin.html") $(crc "$PAGES/legacy-vodogin.html")" \
    "$(page chunked/legacy-vodogin.html)"
  expect_eq "$f: redirect skipped" "skip status" "$(page redirect)"
  expect_eq "$f: 404 skipped" "skip status" "$(page missing.html)"
  expect_eq "$f: image skipped" "skip not-html" "$(page image.png)"
done
"$WARC_LIST" --body 4 "$fx/wget.warc.gz" >"$TMP/body3"
cmp -s "$TMP/body3" "$PAGES/wire-port-strike.html" || fail "gzip page body differs from the served file"
pass "gzip page body byte for byte"
grep -q "^WARC-Target-URI: <http" "$fx/wget.warc" ||
  fail "wget no longer writes <...> around WARC-Target-URI: update this test"
pass "wget writes <...> around WARC-Target-URI, the reader drops them"

# Common Crawl style: one member per record, the 2nd response corrupt
"$WARC_LIST" "$fx/cc.warc.gz" >"$TMP/cc.list"
want=$(while read -r off kind uri tag; do
  if [ "${tag:-}" = corrupt ]; then echo "$off error"
  else echo "$off $kind $uri"; fi
done <"$fx/cc.manifest")
got=$(grep -v '^records ' "$TMP/cc.list" | sed 's/ -> .*//; s/ error: .*/ error/')
expect_eq "cc.warc.gz: every member at its offset, the corrupt one reported" "$want" "$got"
expect_contains "cc.warc.gz: the cause" \
  "$(grep ' corrupt$' "$fx/cc.manifest" | cut -d' ' -f1) error: corrupt gzip data (" "$(cat "$TMP/cc.list")"
expect_eq "cc.warc.gz: counts" \
  "records 12 pages 3 bad 1 warcinfo 1 request 4 metadata 4" "$(tail -1 "$TMP/cc.list")"
expect_eq "cc.warc.gz: charset from the HTTP header" "3" \
  "$(grep -c -- '-> page 200 utf-8 ' "$TMP/cc.list")"
expect_eq "cc.warc.gz from a pipe (no seeking back): the same" \
  "$(cat "$TMP/cc.list")" "$("$WARC_LIST" - <"$fx/cc.warc.gz")"

# cut in the middle of the last member
size=$(wc -c <"$fx/cc.warc.gz")
last=$(tail -1 "$fx/cc.manifest" | cut -d' ' -f1)
head -c $(( last + (size - last) / 2 )) "$fx/cc.warc.gz" >"$TMP/cut.warc.gz"
expect_eq "truncated cc.warc.gz: the cut member reported, the rest read" \
  "$last error: truncated gzip data (unexpected end of file)
records 11 pages 3 bad 2 warcinfo 1 request 4 metadata 3" \
  "$("$WARC_LIST" "$TMP/cut.warc.gz" | tail -2)"
