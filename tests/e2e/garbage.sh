#!/bin/bash
# Bad input end to end: binary garbage, empty files, a truncated .gz, NULs,
# 100k nested tags, a 20 MB text node, huge attributes, invalid UTF-8, 50k
# links, through `pipe run` (site.lua, generic.lua, --records), strip,
# select and match --html.  Never a crash or hang; failures name the input
# as `pipe: SOURCE: message`; the other inputs are still processed; stdout
# is always valid UTF-8.  Inputs are generated here, never committed.
. "$(dirname "$0")/lib.sh"

G=$TMP/g
mkdir -p "$G"
# binary garbage: gzip output without its header (so not read as gzip)
seq 1 200000 | gzip -c | tail -c +11 | head -c 200000 > "$G/binary.bin"
: > "$G/empty.html"
head -c 100000 /dev/zero > "$G/nuls.html"
gzip -c "$PAGES/wire-ecb-rates.html" | head -c 300 > "$G/trunc.html.gz"
{ printf '<html><body><p>start</p>'
  yes '<div>' | head -n 100000 | tr -d '\n'
  printf '<p>THE END</p></body></html>'; } > "$G/deep.html"
{ printf '<html><body><p>start</p>'
  yes '<b>x' | head -n 300 | tr -d '\n'
  printf '<p>THE END</p></body></html>'; } > "$G/unclosed.html"
{ printf '<html><body><p>'
  head -c 20000000 /dev/zero | tr '\0' 'a'
  printf '</p></body></html>'; } > "$G/giant.html"
{ printf '<html><body><a href="'
  head -c 5000000 /dev/zero | tr '\0' 'x'
  printf '" title="'
  head -c 3000000 /dev/zero | tr '\0' "'"
  printf '">x</a><p>after</p></body></html>'; } > "$G/attr.html"
{ printf '<html\xff><head><title>\xc0\x80\xed\xa0\x80</title>'
  printf '<meta charset="\xff\xfe"></head><body \xfe="\xff"><p class="\xc3">'
  for i in $(seq 1 2000); do
    printf '\xff\xfe\xc3\x28\xe2\x82\xf0\x90\x80 ok \xed\xbf\xbf'
  done
  printf '</p><a href="/\xff">\xff</a></body></html>'; } > "$G/badutf8.html"
{ printf '<html><head><title>links</title></head><body><div class="list">'
  seq 1 50000 | sed 's|.*|<p><a href="/p/&">link &</a> text &.</p>|'
  printf '</div></body></html>'; } > "$G/links.html"
cp "$PAGES/wire-ecb-rates.html" "$G/good.html"

is_utf8() { iconv -f UTF-8 -t UTF-8 "$1" >/dev/null 2>&1; }

# check NAME WANT_STATUS CMD...: no crash, no hang, the exit status, only
# `pipe: ` lines on stderr, valid UTF-8 on stdout
check() {
  name=$1 want=$2; shift 2
  timeout 120 "$@" >"$TMP/out" 2>"$TMP/err"; got=$?
  [ "$got" -ne 124 ] || fail "$name: hung (killed after 120 s)"
  [ "$got" -lt 126 ] || fail "$name: crashed (status $got): $(head -c 500 "$TMP/err")"
  [ "$got" = "$want" ] ||
    fail "$name: exit $got, want $want; stderr: $(head -c 500 "$TMP/err")"
  if grep -av '^pipe: ' "$TMP/err" | grep -q .; then
    fail "$name: stray stderr: $(head -c 500 "$TMP/err")"
  fi
  is_utf8 "$TMP/out" || fail "$name: stdout is not valid UTF-8"
  pass "$name"
}

inputs="binary.bin empty.html nuls.html deep.html unclosed.html giant.html
attr.html badutf8.html links.html"
for f in $inputs; do
  check "strip $f" 0 "$PIPE" strip "$G/$f"
  check "select p $f" 0 "$PIPE" select p "$G/$f"
  # the big ones once per command only, to stay inside meson's timeout
  case $f in giant.html|attr.html|links.html|deep.html) big=1 ;; *) big=0 ;; esac
  if [ $big = 0 ]; then
    check "strip --links $f" 0 "$PIPE" strip --links "$G/$f"
    check "select --html --first body $f" 0 "$PIPE" select --html --first body "$G/$f"
  fi
  check "run site.lua $f" 0 "$PIPE" run scripts/site.lua "$G/$f"
  check "run generic.lua $f" 0 "$PIPE" run scripts/generic.lua "$G/$f"
  # match: 0 when something matched, 1 when nothing did
  want=0
  case $f in empty.html|nuls.html) want=1 ;; esac
  check "match --html $f" $want "$PIPE" match --html '\w+' "$G/$f"
  # records: HTML is not NDJSON (a line of NULs neither: bad JSON, not a
  # blank line); an empty file holds no records.
  case $f in
    giant.html|attr.html|links.html|deep.html) ;;
    empty.html) check "run --records $f" 0 "$PIPE" run scripts/generic.lua --records "$G/$f" ;;
    *) check "run --records $f" 1 "$PIPE" run scripts/generic.lua --records "$G/$f" ;;
  esac
done

# what survives the garbage
out=$("$PIPE" strip "$G/deep.html" | tail -n 1)
expect_eq "text after 100k nested tags" "THE END" "$out"
out=$("$PIPE" select p "$G/unclosed.html" | tail -n 1)
expect_eq "text after 300 unclosed tags" "THE END" "$out"
n=$("$PIPE" strip "$G/giant.html" | wc -c)
expect_eq "20 MB text node kept whole" 20000001 "$n"
out=$("$PIPE" select --attr href a "$G/attr.html" | wc -c)
expect_eq "5 MB attribute value kept whole" 5000001 "$out"
out=$("$PIPE" strip "$G/attr.html")
expect_eq "text next to huge attributes" "$(printf 'x\n\nafter')" "$out"
n=$("$PIPE" select --attr href a "$G/links.html" | wc -l)
expect_eq "50k links selected" 50000 "$n"
out=$("$PIPE" strip --links "$G/links.html" | tail -n 1)
expect_eq "50k links numbered" "[50000] /p/50000" "$out"
n=$("$PIPE" match --html -g 0 'ok' "$G/badutf8.html" | wc -l)
expect_eq "text between invalid UTF-8 bytes" 2000 "$n"

# failures name their input; the other inputs are still processed
want_err="pipe: $G/trunc.html.gz: truncated gzip data (unexpected end of file)
pipe: $G/missing.html: no such file or directory"
for cmd in "strip" "select --no-filename h1" "run scripts/site.lua" "run scripts/generic.lua"; do
  # shellcheck disable=SC2086
  check "$cmd: bad inputs among good ones" 1 "$PIPE" $cmd "$G/good.html" \
    "$G/trunc.html.gz" "$G/missing.html" "$G/good.html"
  expect_eq "$cmd: messages name the input" "$want_err" "$(cat "$TMP/err")"
  cp "$TMP/out" "$TMP/both"
  # shellcheck disable=SC2086
  "$PIPE" $cmd "$G/good.html" > "$TMP/one"
  expect_eq "$cmd: both good inputs processed" \
    "$(cat "$TMP/one" "$TMP/one" | sed 's/"source":"[^"]*"//')" \
    "$(sed 's/"source":"[^"]*"//' "$TMP/both")"
done
# match exits 1 when an input could not be read, still searching the rest
check "match: bad inputs among good ones" 1 "$PIPE" match --html 'ECB' \
  "$G/trunc.html.gz" "$G/missing.html" "$G/good.html"
expect_eq "match: messages name the input" "$want_err" "$(cat "$TMP/err")"
expect_eq "match: good input searched" "$("$PIPE" match -H --html ECB "$G/good.html")" \
  "$(cat "$TMP/out")"

# over the size limit
check "--max-input" 1 "$PIPE" run scripts/generic.lua --max-input 1M \
  "$G/giant.html" "$G/good.html"
expect_eq "--max-input message" \
  "pipe: $G/giant.html: input is larger than the 1048576 byte limit (--max-input)" \
  "$(cat "$TMP/err")"
expect_contains "--max-input: next input processed" '"source":"'"$G/good.html"'"' "$(cat "$TMP/out")"

# a page whose tree is over --max-memory (12 MB of markup, a ~40 MB tree
# with the parser's copies of the input): a clean failure at the limit,
# the arena's memory counted, and the next input processed
{ printf '<html><body>'
  seq 1 160000 | sed 's|.*|<p class="c&">para & <b>bold</b> <a href="/x/&">link</a></p>|'
  printf '</body></html>'; } > "$G/bigtree.html"
for cmd in "strip" "select --no-filename h1" "run scripts/generic.lua"; do
  # shellcheck disable=SC2086
  check "$cmd: tree over --max-memory" 1 "$PIPE" $cmd --timeout 20 \
    --max-memory 48M "$G/bigtree.html" "$G/good.html"
  expect_eq "$cmd: out of memory message" \
    "pipe: $G/bigtree.html: out of memory (limit 48 MiB)" "$(cat "$TMP/err")"
  # shellcheck disable=SC2086
  expect_eq "$cmd: next input processed" "$("$PIPE" $cmd "$G/good.html")" \
    "$(cat "$TMP/out")"
done

# garbage on stdin
check "strip garbage stdin" 0 sh -c "\"$PIPE\" strip < \"$G/binary.bin\""
check "records garbage stdin" 1 sh -c "\"$PIPE\" run scripts/generic.lua --records - < \"$G/binary.bin\""
