#!/bin/sh
# pipe run and the CLI as a user drives them: help, exit codes, inputs,
# failures that name their input, records mode, output formats, pipes.
. "$(dirname "$0")/lib.sh"

page() { # page FILE TITLE
  printf '<!DOCTYPE html><html><head><title>%s</title></head><body><p>one two three</p></body></html>\n' "$2" > "$1"
}
page "$TMP/a.html" "Alpha"
page "$TMP/b.html" "Beta"
page "$TMP/crash.html" "crash"
page "$TMP/none.html" "none"
page "$TMP/bad.html" "bad"

expect_eq "version" "pipe 0.1.0" "$("$PIPE" --version)"
expect_contains "help lists run" "  run       run a Lua script" "$("$PIPE" --help)"
expect_contains "help lists exit codes" "2  usage error, or a script that does not load" "$("$PIPE" --help)"
expect_contains "help run" "usage: pipe run [OPTIONS] SCRIPT [INPUT...]" "$("$PIPE" help run)"
expect_contains "run --help" "--records" "$("$PIPE" run --help)"
expect_status "no command" 2 "$PIPE"
expect_status "unknown command" 2 "$PIPE" frobnicate
expect_eq "unknown command message" "pipe: unknown command 'frobnicate' (see pipe --help)" "$(cat "$TMP/err")"
expect_status "run without script" 2 "$PIPE" run
expect_status "unknown option" 2 "$PIPE" run --bogus tests/scripts/title.lua
expect_eq "unknown option message" "pipe: run: unknown option '--bogus' (see pipe help run)" "$(cat "$TMP/err")"
expect_status "bad format" 2 "$PIPE" run --format xml tests/scripts/title.lua "$TMP/a.html"

# one input -> one object; several -> NDJSON with source
expect_eq "one input" "{\"source\":\"$TMP/a.html\",\"n\":1,\"title\":\"Alpha\"}" \
  "$("$PIPE" run tests/scripts/title.lua "$TMP/a.html")"
out=$("$PIPE" run tests/scripts/title.lua "$TMP/a.html" "$TMP/b.html")
expect_eq "two inputs" "2" "$(printf '%s\n' "$out" | wc -l | tr -d ' ')"
expect_contains "second source" "\"source\":\"$TMP/b.html\"" "$out"

# stdin and gzip
expect_eq "stdin" '{"source":"-","n":1,"title":"Alpha"}' "$("$PIPE" run tests/scripts/title.lua - < "$TMP/a.html")"
expect_eq "stdin default" '{"source":"-","n":1,"title":"Alpha"}' "$("$PIPE" run tests/scripts/title.lua < "$TMP/a.html")"
gzip -c "$TMP/b.html" > "$TMP/b.html.gz"
expect_contains "gzip input" '"title":"Beta"' "$("$PIPE" run tests/scripts/title.lua "$TMP/b.html.gz")"
printf 'not gzip at all' | gzip -c | head -c 20 > "$TMP/trunc.gz"
expect_status "truncated gzip" 1 "$PIPE" run tests/scripts/title.lua "$TMP/trunc.gz" "$TMP/a.html"
expect_contains "truncated gzip names input" "pipe: $TMP/trunc.gz: " "$(cat "$TMP/err")"
expect_contains "truncated gzip: others processed" '"title":"Alpha"' "$(cat "$TMP/out")"

# a path that is a FIFO (what `<(curl ...)` names): read once and whole,
# by the supervisor, as stdin is; its first bytes were once lost to the
# archive sniff (the page's <html lang> with them)
feed() { timeout 30 sh -c 'cat "$1" > "$2"' sh "$1" "$2" & }
mkfifo "$TMP/fifo1" "$TMP/fifo2"
feed "$PAGES/paris-declaration.html" "$TMP/fifo1"
expect_eq "strip of a FIFO: the whole page" \
  "$("$PIPE" strip "$PAGES/paris-declaration.html")" "$("$PIPE" strip "$TMP/fifo1")"
gzip -c "$PAGES/wire-ecb-rates.html" > "$TMP/ecb.html.gz"
feed "$PAGES/paris-declaration.html" "$TMP/fifo1"
feed "$TMP/ecb.html.gz" "$TMP/fifo2"
expect_eq "run -j 2 over two FIFOs, one gzip: the records of the files" \
  "$("$PIPE" run scripts/site.lua "$PAGES/paris-declaration.html" "$PAGES/wire-ecb-rates.html" | sed 's/^{"source":"[^"]*",//')" \
  "$("$PIPE" run -j 2 scripts/site.lua "$TMP/fifo1" "$TMP/fifo2" | sed 's/^{"source":"[^"]*",//')"

# a missing input fails alone, exit 1
expect_status "missing input" 1 "$PIPE" run tests/scripts/title.lua "$TMP/a.html" "$TMP/nosuch.html" "$TMP/b.html"
expect_eq "missing input message" "pipe: $TMP/nosuch.html: no such file or directory" "$(cat "$TMP/err")"
expect_eq "others still printed" "2" "$(wc -l < "$TMP/out" | tr -d ' ')"
expect_status "directory input" 1 "$PIPE" run tests/scripts/title.lua "$TMP"
expect_eq "directory message" "pipe: $TMP: is a directory" "$(cat "$TMP/err")"

# a script error fails only that page and names file:line
expect_status "script error" 1 "$PIPE" run tests/scripts/title.lua "$TMP/a.html" "$TMP/crash.html" "$TMP/b.html"
expect_contains "error names file and line" "pipe: $TMP/crash.html: tests/scripts/title.lua:7: attempt to index a nil value (local 'broken')" "$(cat "$TMP/err")"
expect_contains "error has a traceback" "stack traceback:" "$(cat "$TMP/err")"
expect_eq "other pages printed" "2" "$(wc -l < "$TMP/out" | tr -d ' ')"

# a script that does not load: exit 2, file:line
expect_status "syntax error" 2 "$PIPE" run tests/scripts/syntax.lua "$TMP/a.html"
expect_contains "syntax error names line" "pipe: tests/scripts/syntax.lua:2: unexpected symbol near '='" "$(cat "$TMP/err")"
expect_status "missing script" 2 "$PIPE" run tests/scripts/nosuch.lua "$TMP/a.html"
expect_eq "missing script message" "pipe: cannot read tests/scripts/nosuch.lua: no such file or directory" "$(cat "$TMP/err")"

# lists, nil, bad return values
expect_eq "list of records" "{\"source\":\"$TMP/a.html\",\"k\":\"a\"}
{\"source\":\"$TMP/a.html\",\"k\":\"b\"}" "$("$PIPE" run tests/scripts/multi.lua "$TMP/a.html")"
expect_status "nil: no record" 0 "$PIPE" run tests/scripts/multi.lua "$TMP/none.html"
expect_eq "nil prints nothing" "" "$(cat "$TMP/out")"
expect_status "bad return" 1 "$PIPE" run tests/scripts/multi.lua "$TMP/bad.html"
expect_eq "bad return message" "pipe: $TMP/bad.html: the script returned a number, expected a record table" "$(cat "$TMP/err")"

# runaway script: the instruction limit stops it, the next page still runs
expect_status "step limit" 1 "$PIPE" run --max-steps 1000000 tests/scripts/loop.lua "$TMP/a.html"
expect_contains "step limit message" "exceeded the instruction limit" "$(cat "$TMP/err")"

# --max-input
expect_status "max input" 1 "$PIPE" run --max-input 10 tests/scripts/title.lua "$TMP/a.html"
expect_eq "max input message" "pipe: $TMP/a.html: input is larger than the 10 byte limit (--max-input)" "$(cat "$TMP/err")"

# --from
printf '%s\n%s\n' "$TMP/a.html" "$TMP/b.html" > "$TMP/list"
expect_eq "--from" "2" "$("$PIPE" run tests/scripts/title.lua --from "$TMP/list" | wc -l | tr -d ' ')"
expect_eq "--from stdin" "2" "$("$PIPE" run tests/scripts/title.lua --from - < "$TMP/list" | wc -l | tr -d ' ')"

# output formats
expect_eq "text format" "Alpha

Beta" "$("$PIPE" run --format text --fields title tests/scripts/title.lua "$TMP/a.html" "$TMP/b.html")"
expect_eq "tsv format" "title	n
Alpha	1
Beta	1" "$("$PIPE" run --format tsv --fields title,n tests/scripts/title.lua "$TMP/a.html" "$TMP/b.html")"
expect_eq "json format" "{
  \"source\": \"-\",
  \"n\": 1,
  \"title\": \"Alpha\"
}" "$("$PIPE" run --format json tests/scripts/title.lua < "$TMP/a.html")"

# records mode: html field, drop, malformed lines named by line number
cat > "$TMP/in.ndjson" <<'JSON'
{"n": 1}
{"n": 2, "html": "<title>Inner</title>"}
{"n": 3, "drop": true}
this is not json

[1, 2]
{"n": 4, "source": "mine"}
JSON
expect_status "records" 1 "$PIPE" run --records tests/scripts/records.lua "$TMP/in.ndjson"
expect_eq "records output" "{\"source\":\"$TMP/in.ndjson:1\",\"has_doc\":false,\"n\":2}
{\"source\":\"$TMP/in.ndjson:2\",\"has_doc\":true,\"n\":4,\"title\":\"Inner\"}
{\"source\":\"mine\",\"has_doc\":false,\"n\":8}" "$(cat "$TMP/out")"
expect_eq "records errors" "pipe: $TMP/in.ndjson:4: bad JSON at column 4: invalid token near 'this'
pipe: $TMP/in.ndjson:6: a record must be a JSON object" "$(cat "$TMP/err")"
expect_eq "records --html-field" '{"source":"-:1","has_doc":true,"n":2,"title":"X"}' \
  "$(echo '{"n":1,"page":"<title>X</title>"}' | "$PIPE" run --records --html-field page tests/scripts/records.lua -)"

# closed pipe: quiet, exit 0 (output far larger than a pipe buffer)
i=0; while [ $i -lt 20000 ]; do echo '{"n": 1}'; i=$((i + 1)); done > "$TMP/many.ndjson"
status=$("$SRCDIR/tests/e2e/pipestatus.sh" "$PIPE" run --records tests/scripts/records.lua "$TMP/many.ndjson" 2>"$TMP/err")
expect_eq "closed pipe exit status" "0" "$status"
expect_eq "closed pipe is quiet" "" "$(cat "$TMP/err")"

# --set passes options to the script; --url and --explain show up too
expect_eq "--set" "{\"source\":\"$TMP/a.html\",\"explain\":false,\"flag\":true,\"mode\":\"fast=1\",\"url\":\"https://x.example/\"}" \
  "$("$PIPE" run --set mode=fast=1 --set flag=true --url https://x.example/ tests/scripts/options.lua "$TMP/a.html")"
expect_status "--set without =" 2 "$PIPE" run --set novalue tests/scripts/options.lua "$TMP/a.html"
expect_eq "--set message" "pipe: run: bad value 'novalue' for --set" "$(cat "$TMP/err")"
# site.lua without the generic fallback names the host
printf '<html><head><link rel=canonical href="https://nowhere.example/x"></head><body><p>hi</p></body></html>' > "$TMP/nw.html"
expect_status "no rule for host" 1 "$PIPE" run --set no_generic=true scripts/site.lua "$TMP/nw.html"
expect_eq "no rule message" "pipe: $TMP/nw.html: no site rule for host 'nowhere.example'" "$(cat "$TMP/err")"
expect_contains "generic fallback" '"rule":"generic.lua"' "$("$PIPE" run scripts/site.lua "$TMP/nw.html")"

# error(msg, 0) is an expected failure: message only, no traceback
printf 'return function(p) error("line 3:4: not an article", 0) end\n' > "$TMP/e0.lua"
expect_status "message-only error" 1 "$PIPE" run "$TMP/e0.lua" "$TMP/a.html"
expect_eq "message-only error text" "pipe: $TMP/a.html: line 3:4: not an article" "$(cat "$TMP/err")"

# records carrying a page through site.lua: crawl fields flow through, the
# HTML does not; a record without HTML fails by name
python3 - "$SRCDIR/tests/pages/paris-declaration.html" > "$TMP/crawl.ndjson" <<'PY'
import json, sys
print(json.dumps({"id": 7, "fetched": "2026-01-17T12:00:00Z", "html": open(sys.argv[1], encoding="utf-8").read()}))
print(json.dumps({"id": 8, "note": "no page"}))
PY
expect_status "records through site.lua" 1 "$PIPE" run --records scripts/site.lua "$TMP/crawl.ndjson"
expect_eq "crawl fields kept, html dropped" '{"fetched":"2026-01-17T12:00:00Z","html":null,"id":7,"rule":"sites/rbc_ua.lua","source":"'"$TMP"'/crawl.ndjson:1"}' \
  "$(jq -cS '{source, id, fetched, rule, html}' "$TMP/out")"
expect_eq "record without html" "pipe: $TMP/crawl.ndjson:2: the record has no HTML (no string field 'html')" "$(cat "$TMP/err")"
expect_status "records through generic.lua" 1 "$PIPE" run --records scripts/generic.lua "$TMP/crawl.ndjson"
expect_eq "generic keeps crawl fields" '{"id":7,"rule":"generic.lua"}' "$(jq -cS '{id, rule}' "$TMP/out")"

# match --lines: grep-like, each line alone; sources name the line
printf 'a 1 b\nc 2\n\nd 33\n' > "$TMP/nums.txt"
expect_eq "match --lines" "1
2
33" "$("$PIPE" match --lines '\d+' "$TMP/nums.txt")"
expect_eq "match whole input spans lines" "b
c" "$("$PIPE" match -s 'b\s+c' "$TMP/nums.txt" | tr -s '\n' | head -2)"
expect_status "--lines with --html" 2 "$PIPE" match --lines --html x "$TMP/nums.txt"

# --fields picks and orders fields in ndjson and json too
expect_eq "--fields ndjson" '{"title":"Alpha","source":"'"$TMP"'/a.html"}' \
  "$("$PIPE" run --fields title,source,nosuch tests/scripts/title.lua "$TMP/a.html")"
# NUL characters in records survive (JSON \u0000)
expect_eq "records with NUL" '{"source":"-:1","a":"x\u0000y","words":0}' \
  "$(echo '{"a":"x\u0000y"}' | "$PIPE" run --records scripts/examples/words.lua -)"

# records: a line of NULs is bad JSON, not blank; control bytes in the
# quoted input do not reach the terminal
head -c 100 /dev/zero > "$TMP/nul.ndjson"
expect_status "NUL line" 1 "$PIPE" run --records scripts/examples/words.lua "$TMP/nul.ndjson"
expect_eq "NUL line message" "pipe: $TMP/nul.ndjson:1: bad JSON at column 1: invalid token near end of file" "$(cat "$TMP/err")"
printf '{"a":\001\002}\n' > "$TMP/ctl.ndjson"
expect_status "control bytes" 1 "$PIPE" run --records scripts/examples/words.lua "$TMP/ctl.ndjson"
expect_eq "control bytes replaced" "pipe: $TMP/ctl.ndjson:1: bad JSON at column 6: invalid token near '?'" "$(cat "$TMP/err")"

# a script that exhausts its memory cap and keeps it: every page after
# fails cleanly too (the host's own pushes run protected), no crash; in
# the pool each page starts from the loaded state in a fresh worker
for j in --no-workers -j1 -j2; do
  expect_status "memory exhausted $j" 1 "$PIPE" run $j --max-memory 32M tests/scripts/hog.lua "$TMP/a.html" "$TMP/b.html"
  expect_eq "memory exhausted messages $j" "pipe: $TMP/a.html: out of memory (limit 32 MiB)
pipe: $TMP/b.html: out of memory (limit 32 MiB)" "$(cat "$TMP/err")"
done

# the man page is built with the binary and covers every command
man_page="$(dirname "$PIPE")/docs/pipe.1"
[ -f "$man_page" ] || fail "man page not built at $man_page"
for cmd in run test lint strip select match plugins; do
  expect_contains "man page: $cmd" "\\fBpipe\\fR \\fB$cmd\\fR" "$(cat "$man_page")"
done

# usage errors read the same in every command
expect_status "select unknown option" 2 "$PIPE" select --bogus p
expect_eq "select unknown option message" "pipe: select: unknown option '--bogus' (see pipe help select)" "$(cat "$TMP/err")"
expect_status "strip unknown option" 2 "$PIPE" strip --bogus
expect_eq "strip unknown option message" "pipe: strip: unknown option '--bogus' (see pipe help strip)" "$(cat "$TMP/err")"
expect_status "select --attr without value" 2 "$PIPE" select --attr
expect_eq "select --attr message" "pipe: select: option '--attr' needs a value" "$(cat "$TMP/err")"

# ./bootstrap prints nothing on stdout (its build log goes to stderr), so
# `./bootstrap && build/pipe run ...` gives only the records; run here with
# stand-in meson/dpkg-query/apt-get that say what they were asked
mkdir -p "$TMP/bs/bin" "$TMP/bs/tree"
cp bootstrap "$TMP/bs/tree/bootstrap"
for tool in meson apt-get; do
  printf '#!/bin/sh\necho "%s $*"\n' "$tool" > "$TMP/bs/bin/$tool"
done
printf '#!/bin/sh\necho "install ok installed"\n' > "$TMP/bs/bin/dpkg-query"
chmod +x "$TMP/bs/bin/"*
PATH="$TMP/bs/bin:$PATH" sh "$TMP/bs/tree/bootstrap" >"$TMP/bs/out" 2>"$TMP/bs/err"
expect_eq "bootstrap: exit 0" 0 "$?"
expect_eq "bootstrap: nothing on stdout" "" "$(cat "$TMP/bs/out")"
expect_eq "bootstrap: the build log on stderr" "meson setup build
meson compile -C build" "$(cat "$TMP/bs/err")"

# help says what the commands do: every option `pipe help test` shows is
# accepted; `pipe --help` and `pipe help lint` agree that lint runs the
# rules on their fixture pages
usage=$("$PIPE" help test | head -1)
expect_eq "help test: usage" "usage: pipe test [--update] [--rules DIR]... [SCRIPT|DIR]..." "$usage"
for opt in $(printf '%s\n' "$usage" | grep -o -- '--[a-z-]*'); do
  "$PIPE" test "$opt" "$TMP/no-such-rule.lua" >/dev/null 2>"$TMP/err"
  case $(cat "$TMP/err") in *"unknown option"*) fail "help test shows $opt, which test rejects" ;; esac
done
pass "help test: every option shown is accepted"
expect_contains "pipe --help: lint runs fixture pages" "lint      check site rules as they load and on their own fixture pages" "$("$PIPE" --help)"
expect_contains "pipe help lint: the same" "then on the rule's own fixture pages" "$("$PIPE" help lint | tr '\n' ' ' | tr -s ' ')"

# NDJSON records are written straight from the Lua table (core/json.c
# pipe_json_write_lua): the same bytes as through a jansson tree
# (PIPE_JSON_TREE=1), fallbacks and their messages included
expect_status "json values: direct" 1 "$PIPE" run tests/scripts/json_values.lua "$PAGES/paris-declaration.html"
cp "$TMP/out" "$TMP/direct.out"; cp "$TMP/err" "$TMP/direct.err"
PIPE_JSON_TREE=1 "$PIPE" run tests/scripts/json_values.lua "$PAGES/paris-declaration.html" > "$TMP/tree.out" 2> "$TMP/tree.err"
cmp -s "$TMP/direct.out" "$TMP/tree.out" || fail "direct and tree NDJSON differ: $(diff "$TMP/direct.out" "$TMP/tree.out" | head -4)"
pass "json values: direct = tree"
expect_eq "json values: messages" "$(cat "$TMP/tree.err")" "$(cat "$TMP/direct.err")"
expect_eq "json values: reals as jansson writes them" '{"source":"f1","v":0.10000000000000001}
{"source":"f3","v":-0.0}
{"source":"f6","v":1e21}
{"source":"f10","v":-9.9999999999999995e-8}
{"source":"f11","v":100.0}' "$(grep -E '^\{"source":"f(1|3|6|10|11)"' "$TMP/direct.out")"
expect_eq "json values: escapes (DEL shown as ~), markers, key order" '{"source":"s","e":"","s":"a\"b\\c\n\t\r\b\f\u0001\u001F~/é€😀"}
{"source":"n","a":[],"arr":[],"null":null,"o":{}}
{"source":"nest","":4,"Z":2,"_":3,"x":[[1,2,{"a":{"b":{"c":[true,false]}}}],"z"],"zz":1}
{"source":"sparse","t":{"1":"a","3":"c"}}
{"source":"badutf","s":"a��b"}' "$(grep -E '^\{"source":"(s|n|nest|sparse|badutf)"' "$TMP/direct.out" | tr '\177' '~')"
expect_eq "json values: a number that is not finite" "pipe: $PAGES/paris-declaration.html: cannot output the record: cannot encode number 'inf' at .v" "$(cat "$TMP/direct.err")"
for p in "$PAGES"/*.html; do "$PIPE" run --explain scripts/site.lua "$p"; done > "$TMP/site.direct" 2>&1
for p in "$PAGES"/*.html; do PIPE_JSON_TREE=1 "$PIPE" run --explain scripts/site.lua "$p"; done > "$TMP/site.tree" 2>&1
cmp -s "$TMP/site.direct" "$TMP/site.tree" || fail "site.lua records differ direct/tree"
pass "site.lua --explain on every fixture page: direct = tree"

# json.decode decodes common JSON directly (plugins/json.c), jansson the
# rest: the same values, metatables, number types and messages
"$PIPE" run tests/scripts/json_decode.lua "$PAGES/paris-declaration.html" > "$TMP/dd.out" 2>&1
PIPE_JSON_TREE=1 "$PIPE" run tests/scripts/json_decode.lua "$PAGES/paris-declaration.html" > "$TMP/dt.out" 2>&1
cmp -s "$TMP/dd.out" "$TMP/dt.out" || fail "json.decode direct and jansson differ: $(diff "$TMP/dd.out" "$TMP/dt.out" | head -4)"
expect_eq "json.decode: 62 cases" 62 "$(wc -l < "$TMP/dd.out" | tr -d ' ')"
expect_eq "json.decode: a sample" '{"source":"c8","enc":"-0.0","err":null,"mt":"number","mtype":"float"}
{"source":"c14","enc":"nil","err":"1:19: too big integer near '"'"'9223372036854775808'"'"'","mt":"nil","mtype":null}
{"source":"c26","enc":"\"é€😀\"","err":null,"mt":"string","mtype":null}
{"source":"c29","enc":"nil","err":"1:14: invalid Unicode '"'"'\\uD800\\u0041'"'"' near '"'"'\"\\ud800\\u0041\"'"'"'","mt":"nil","mtype":null}
{"source":"c31","enc":"nil","err":"1:9: NUL byte in object key not supported near '"'"'\"\\u0000\"'"'"'","mt":"nil","mtype":null}
{"source":"c54","enc":"{\"a\":2}","err":null,"mt":"object","mtype":null}' "$(grep -E '^\{"source":"c(8|14|26|29|31|54)"' "$TMP/dd.out")"
