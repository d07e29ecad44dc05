#!/bin/bash
# Every command reads WARC, through the worker pool: archives made by
# wget --warc-file and a Common-Crawl-style file (tests/warc/), pages at
# FILE#OFFSET with url, warc_id, fetched and the HTTP charset as the
# encoding hint; bad records reported at their offset, the rest processed;
# -j 1, -j 4 and --no-workers byte-identical; --output DIR.
. "$(dirname "$0")/lib.sh"
: "${WARC_LIST:?WARC_LIST must name the warc_list test helper}"

bash "$SRCDIR/tests/warc/make_fixtures.sh" "$PAGES" "$TMP/fx" 2>"$TMP/mk.err"
rc=$?
if [ "$rc" = 77 ]; then echo "SKIP: $(cat "$TMP/mk.err") (CI installs it: .ci/run)"; exit 77; fi
[ "$rc" = 0 ] || fail "make_fixtures: $(cat "$TMP/mk.err")"
fx=$TMP/fx
W=$fx/wget.warc.gz
base=http://127.0.0.1:$(head -1 "$fx/port")

# what run should give for each page: offset, uri, id, date (independently
# listed by index.py, the pages picked by the reader's listing)
"$WARC_LIST" "$W" | sed -n 's/^\([0-9+]*\) response \([^ ]*\) -> page .*/\1 \2/p' >"$TMP/pages"
want=$(python3 "$SRCDIR/tests/warc/index.py" --ids "$W" | while read -r off _ uri id date; do
  grep -qx "$off $uri" "$TMP/pages" || continue
  printf '{"source":"%s#%s","url":"%s","warc_id":"%s","fetched":"%s"}\n' "$W" "$off" "$uri" "$id" "$date"
done)
[ "$(printf '%s\n' "$want" | wc -l)" = 7 ] || fail "expected 7 pages in the wget archive"
out=$("$PIPE" run scripts/site.lua "$W") || fail "pipe run on the wget archive failed"
expect_eq "run: one record per page, source FILE#OFFSET, url, warc_id, fetched" \
  "$want" "$(printf '%s\n' "$out" | jq -c '{source, url, warc_id, fetched}')"
expect_eq "run: the extraction worked (titles)" \
  "Rotterdam and Antwerp dockworkers walk out over automation plans|The Paris Declaration and the road to the EU: what Zelensky’s talks delivered — and how Russia responded" \
  "$(printf '%s\n' "$out" | jq -r 'select(.url | test("paris|port-strike")) | .title' | LC_ALL=C sort -u | paste -sd'|')"

out=$("$PIPE" run tests/scripts/warc.lua "$W")
rec() { printf '%s\n' "$out" | jq -c --arg u "$base/$1" "select(.url == \$u) | $2"; }
expect_eq "page.record carries the archive's metadata" "true" \
  "$(printf '%s\n' "$out" | jq -s 'all(.[]; .record_url == .url and .record_id == .warc_id and .record_fetched == .fetched)')"
expect_eq "charset only in the HTTP header: the hint decides" '"windows-1251"' \
  "$(rec header-charset/enc-windows-1251-nometa.html .encoding)"
expect_eq "HTTP charset before <meta> (as browsers order them)" '"windows-1251"' \
  "$(rec header-charset/enc-koi8-r.html .encoding)"
expect_eq "the same page as a file: its <meta> (koi8-r)" '"koi8-r"' \
  "$("$PIPE" run tests/scripts/warc.lua "$PAGES/enc-koi8-r.html" | jq -c .encoding)"
expect_eq "gzip Content-Encoding decoded before parsing" '"Rotterdam and Antwerp dockworkers walk out over automation plans | Meridian Wire"' \
  "$(rec gzip/wire-port-strike.html .title)"
expect_eq "chunked page decoded" "1" "$(rec chunked/legacy-vodogin.html .title | wc -l)"

# the same archive plain and as one gzip stream: the same records
for f in wget.warc wget-whole.warc.gz; do
  expect_eq "$f: the same records (but source)" \
    "$(printf '%s\n' "$out" | jq -c 'del(.source)')" \
    "$("$PIPE" run tests/scripts/warc.lua "$fx/$f" | jq -c 'del(.source)')"
done
expect_contains "whole-file gzip: FILE#MEMBER+SKIP sources" "\"$fx/wget-whole.warc.gz#0+" \
  "$("$PIPE" run tests/scripts/warc.lua "$fx/wget-whole.warc.gz")"

# strip, select, match read it too, page by page
expect_eq "select: one title per page" "7" "$("$PIPE" select --first title "$W" | wc -l)"
expect_eq "select: in archive order" "Бюджет города — Городские новости" \
  "$("$PIPE" select --first title "$W" | sed -n 2p)"
expect_contains "strip: the text of a page in the archive" "Dockworkers at Rotterdam and Antwerp walked off" \
  "$("$PIPE" strip "$W")"
expect_eq "match: the pattern in each page it is in" "Meridian Wire" \
  "$("$PIPE" match 'Meridian Wire' "$W" | sort -u)"

# a corrupt member: reported at its offset, exit 1, the rest processed
bad=$(grep ' corrupt$' "$fx/cc.manifest" | cut -d' ' -f1)
"$PIPE" run tests/scripts/warc.lua "$fx/cc.warc.gz" >"$TMP/out" 2>"$TMP/err"
expect_eq "corrupt member: exit 1" "1" "$?"
expect_eq "corrupt member: one message naming FILE#OFFSET and the cause" \
  "pipe: $fx/cc.warc.gz#$bad: corrupt gzip data" "$(sed 's/ (.*//' "$TMP/err")"
expect_eq "corrupt member: the other pages" \
  "https://news.example/paris-declaration.html https://news.example/legacy-vodogin.html https://news.example/blog-dahlia-tubers.html" \
  "$(jq -r .url "$TMP/out" | paste -sd' ')"
expect_eq "Common Crawl: charset=UTF-8 from the HTTP header" '"utf-8"' \
  "$(jq -c 'select(.url | test("paris")) | .encoding' "$TMP/out")"
expect_eq "an HTTP charset=UTF-8 over windows-1251 bytes is not believed" '"windows-1251"' \
  "$(jq -c 'select(.url | test("vodogin")) | .encoding' "$TMP/out")"

# -j 1, -j 4, --no-workers: the same bytes, errors included
mix="$W $fx/cc.warc.gz $PAGES/paris-declaration.html $fx/wget.warc"
"$PIPE" run -j 1 scripts/site.lua $mix >"$TMP/j1" 2>"$TMP/j1e"
"$PIPE" run -j 4 scripts/site.lua $mix >"$TMP/j4" 2>"$TMP/j4e"
"$PIPE" run --no-workers scripts/site.lua $mix >"$TMP/j0" 2>"$TMP/j0e"
cmp -s "$TMP/j1" "$TMP/j4" && cmp -s "$TMP/j1e" "$TMP/j4e" || fail "-j 1 and -j 4 differ"
cmp -s "$TMP/j1" "$TMP/j0" && cmp -s "$TMP/j1e" "$TMP/j0e" || fail "-j 1 and --no-workers differ"
expect_eq "-j 1 = -j 4 = --no-workers (18 records)" "18" "$(wc -l <"$TMP/j1")"

# stdin
expect_eq "an archive on stdin: sources -#OFFSET" \
  "$(jq -c '.source |= sub("^.*#"; "-#")' "$TMP/out")" \
  "$("$PIPE" run tests/scripts/warc.lua - <"$fx/cc.warc.gz" 2>/dev/null)"

# the size cap applies per record
"$PIPE" run --max-input 20K tests/scripts/warc.lua "$W" >"$TMP/out" 2>"$TMP/err"
expect_eq "--max-input per record: exit 1" "1" "$?"
paris=$(sed -n 's|^\([0-9]*\) .*/paris-declaration.html$|\1|p' "$TMP/pages" | head -1)
expect_eq "--max-input per record: the big page reported at its offset" \
  "pipe: $W#$paris: record is larger than the 20480 byte limit (--max-input): Content-Length $(python3 -c "
import sys, zlib
d = open(sys.argv[1], 'rb').read()[int(sys.argv[2]):]
h = zlib.decompressobj(31).decompress(d).split(b'\r\n\r\n')[0].decode()
print([l.split(':')[1].strip() for l in h.split('\r\n') if l.lower().startswith('content-length')][0])" "$W" "$paris")" \
  "$(head -1 "$TMP/err")"
expect_eq "--max-input per record: the smaller pages still out" "5" "$(wc -l <"$TMP/out")"

# --output DIR
O=$TMP/out.d
"$PIPE" run -j 2 --output "$O" --progress tests/scripts/warc.lua "$W" "$fx/cc.warc.gz" \
  "$PAGES/paris-declaration.html" >"$TMP/o.out" 2>"$TMP/o.err"
expect_eq "--output: exit 1 (the corrupt member)" "1" "$?"
expect_eq "--output: nothing on stdout" "" "$(cat "$TMP/o.out")"
expect_eq "--output: one file per input, named as {/.}.ndjson.gz" \
  "cc.warc.ndjson.gz paris-declaration.ndjson.gz wget.warc.ndjson.gz" "$(ls "$O" | paste -sd' ')"
expect_eq "--output: no temporary left" "" "$(find "$O" -name '.*' -type f)"
expect_eq "--output: the records of a stdout run" \
  "$("$PIPE" run tests/scripts/warc.lua "$W")" "$(gzip -dc "$O/wget.warc.ndjson.gz")"
expect_eq "--output: summaries, per input (--progress) and for the run" \
  "pipe: $W: 7 pages, 7 records, 0 failed, 17 skipped -> $O/wget.warc.ndjson.gz
pipe: $fx/cc.warc.gz#$bad: corrupt gzip data
pipe: $fx/cc.warc.gz: 3 pages, 3 records, 1 failed, 9 skipped -> $O/cc.warc.ndjson.gz
pipe: $PAGES/paris-declaration.html: 1 page, 1 records, 0 failed, 0 skipped -> $O/paris-declaration.ndjson.gz
pipe: 3 inputs, 11 pages, 11 records, 1 failed, 26 skipped" \
  "$(tr '\r' '\n' <"$TMP/o.err" | grep -v -e 'done ' -e '^$' | sed 's/corrupt gzip data (.*/corrupt gzip data/')"
"$PIPE" run --output "$O" tests/scripts/warc.lua "$W" "$fx/cc.warc.gz" >"$TMP/o.out" 2>"$TMP/o.err"
expect_eq "--output rerun: exit 0, nothing redone" "0|pipe: 2 inputs (2 done before, skipped), 0 pages, 0 records, 0 failed, 0 skipped" \
  "$?|$(cat "$TMP/o.err")"
touch -d '2001-01-01' "$O/wget.warc.ndjson.gz"
"$PIPE" run --output "$O" --force tests/scripts/warc.lua "$W" 2>"$TMP/o.err"
expect_eq "--force redoes it" "pipe: 1 input, 7 pages, 7 records, 0 failed, 17 skipped" "$(cat "$TMP/o.err")"
[ "$O/wget.warc.ndjson.gz" -nt "$TMP/pages" ] || fail "--force did not rewrite the file"
pass "--force rewrote the file"
"$PIPE" run --output "$O" --no-gzip tests/scripts/warc.lua "$W" 2>/dev/null
expect_eq "--no-gzip: DIR/NAME.ndjson, plain" "$(gzip -dc "$O/wget.warc.ndjson.gz")" "$(cat "$O/wget.warc.ndjson")"
expect_status "--force without --output" 2 "$PIPE" run --force tests/scripts/warc.lua "$W"
expect_eq "--force without --output: message" "pipe: run: --force needs --output DIR" "$(cat "$TMP/err")"
expect_status "--output with --format tsv" 2 "$PIPE" run --output "$O" --format tsv tests/scripts/warc.lua "$W"
expect_eq "--output with --format tsv: message" \
  "pipe: run: --output writes NDJSON files; --format tsv cannot go with it" "$(cat "$TMP/err")"
expect_status "two inputs, one output name" 1 "$PIPE" run --output "$TMP/o2" tests/scripts/warc.lua "$W" "$fx/../fx/wget.warc.gz"
expect_contains "two inputs, one output name: the second refused" \
  "wget.warc.ndjson.gz is already written by another input of this run" "$(cat "$TMP/err")"

# a run killed mid-way leaves no partial file under a final name; the
# rerun does what is missing
mkdir -p "$TMP/slow"
for i in 1 2 3 4; do cp "$W" "$TMP/slow/a$i.warc.gz"; done
cat >"$TMP/slow.lua" <<'LUA'
return function(page) os.execute("sleep 0.1"); return { url = page.url } end
LUA
"$PIPE" run -j 1 --unsafe --output "$TMP/o3" "$TMP/slow.lua" "$TMP"/slow/*.warc.gz 2>/dev/null &
runner=$!
for _ in $(seq 100); do [ -e "$TMP/o3/a1.warc.ndjson.gz" ] && break; sleep 0.05; done
kill -9 "$runner"; wait "$runner" 2>/dev/null
for f in "$TMP"/o3/*.ndjson.gz; do gzip -t "$f" || fail "$f is not whole"; done
n_done=$(ls "$TMP/o3" | wc -l)
[ "$n_done" -ge 1 ] && [ "$n_done" -lt 4 ] || fail "killed run: $n_done files (want 1 to 3)"
pass "a killed run: $n_done whole files, none partial under a final name"
"$PIPE" run -j 2 --unsafe --output "$TMP/o3" "$TMP/slow.lua" "$TMP"/slow/*.warc.gz 2>"$TMP/err"
expect_eq "the rerun does the rest" \
  "pipe: 4 inputs ($n_done done before, skipped), $(( (4 - n_done) * 7 )) pages, $(( (4 - n_done) * 7 )) records, 0 failed, $(( (4 - n_done) * 17 )) skipped" \
  "$(cat "$TMP/err")"
expect_eq "now every input has its file, no temporary left" "4|" \
  "$(find "$TMP/o3" -name '*.ndjson.gz' -type f | wc -l)|$(find "$TMP/o3" -name '.*' -type f)"

# the NDJSON contract of Spark's RDD.pipe() and Hadoop streaming
# (docs/scale-out.md): the archive as records, through --records, gives
# the same records as the archive itself, legacy encodings included
expect_eq "archive -> warc2ndjson.lua -> run --records = run on the archive" \
  "$("$PIPE" run scripts/site.lua "$W")" \
  "$("$PIPE" run scripts/examples/warc2ndjson.lua "$W" | "$PIPE" run -j 2 --records scripts/site.lua -)"
