#!/bin/sh
# pipe match: every option, exit codes, inputs (files, stdin, .gz, --from),
# --html, invalid UTF-8, a closed pipe.
. "$(dirname "$0")/lib.sh"

printf 'foo 12 bar 345\nПривет мир\nkey=val\n' > "$TMP/a.txt"
printf 'x 7\nlast 8' > "$TMP/b.txt"
printf 'begin\nmiddle\nend\n' > "$TMP/lines.txt"
printf 'bad \377\376 byte 42 \300\n' > "$TMP/bad.txt"
gzip -c "$TMP/b.txt" > "$TMP/b.txt.gz"
printf '%s\n' "$TMP/b.txt" "$TMP/a.txt" > "$TMP/list"
cat > "$TMP/page.html" <<'EOF'
<!DOCTYPE html><html><head><title>Prices</title>
<script>var price = "99 EUR";</script></head>
<body><p>Coffee costs 3 EUR &amp; tea 2 EUR.</p><p>Cake: 5 EUR</p></body></html>
EOF

# whole matches, in input order
expect_eq "whole match" "12
345" "$("$PIPE" match '\d+' "$TMP/a.txt")"
# several inputs: each match names its input, as grep does (-H forces it,
# --no-filename drops it)
expect_eq "several inputs name the input" "$TMP/a.txt:12
$TMP/a.txt:345
$TMP/b.txt:7
$TMP/b.txt:8" "$("$PIPE" match '\d+' "$TMP/a.txt" "$TMP/b.txt")"
expect_eq "--no-filename" "12
345
7
8" "$("$PIPE" match --no-filename '\d+' "$TMP/a.txt" "$TMP/b.txt")"
expect_eq "-H with one input" "$TMP/b.txt:7
$TMP/b.txt:8" "$("$PIPE" match -H '\d+' "$TMP/b.txt")"
expect_eq "-H with -g" "$TMP/a.txt:foo
$TMP/a.txt:bar" "$("$PIPE" match -H -g 1 '(\w+) (\d+)' "$TMP/a.txt")"
printf '%s\n%s\n' "$TMP/a.txt" "$TMP/b.txt" > "$TMP/list2"
expect_eq "--from names the inputs" "$TMP/b.txt:7" "$("$PIPE" match --from "$TMP/list2" '\d+' | sed -n 3p)"
expect_eq "--lines -H: name and line" "$TMP/a.txt:1:12" "$("$PIPE" match --lines -H '1\d' "$TMP/a.txt")"
expect_eq "stdin" "7
8" "$("$PIPE" match '\d+' < "$TMP/b.txt")"
expect_eq "dash is stdin, named -" "-:7
-:8
$TMP/a.txt:12
$TMP/a.txt:345" "$("$PIPE" match '\d+' - "$TMP/a.txt" < "$TMP/b.txt")"
expect_eq ".gz input" "7
8" "$("$PIPE" match '\d+' "$TMP/b.txt.gz")"
expect_eq "--from" "7
8
12
345" "$("$PIPE" match --no-filename --from "$TMP/list" '\d+')"
expect_eq "--from=FILE" "$TMP/b.txt:7
$TMP/b.txt:8
$TMP/a.txt:12
$TMP/a.txt:345" "$("$PIPE" match --from="$TMP/list" '\d+')"
expect_eq "-- ends options" "-5" "$(printf 'a -5\n' | "$PIPE" match -- '-\d')"

# groups
expect_eq "-g N" "foo
bar" "$("$PIPE" match -g 1 '(\w+) (\d+)' "$TMP/a.txt")"
expect_eq "-gN" "12
345" "$("$PIPE" match -g2 '(\w+) (\d+)' "$TMP/a.txt")"
expect_eq "-g NAME" "val" "$("$PIPE" match -g v '(?<k>\w+)=(?<v>\w+)' "$TMP/a.txt")"
expect_eq "--group=NAME" "key" "$("$PIPE" match --group=k '(?<k>\w+)=(?<v>\w+)' "$TMP/a.txt")"
expect_eq "-g 0 is the whole match" "key=val" "$("$PIPE" match -g 0 '(\w+)=\w+' "$TMP/a.txt")"
expect_eq "unset group skipped" "b" "$(printf 'a b\n' | "$PIPE" match -g 1 '(b)|a')"
expect_status "unknown group name" 2 "$PIPE" match -g nope '(?<k>\w+)' "$TMP/a.txt"
expect_eq "unknown group message" "pipe: match: no group 'nope' in pattern '(?<k>\w+)'" "$(cat "$TMP/err")"
expect_status "group number too big" 2 "$PIPE" match -g 2 '(\w+)' "$TMP/a.txt"
expect_status "-g without value" 2 "$PIPE" match '\w' -g
expect_eq "-g without value message" "pipe: match: option '-g' needs a value" "$(cat "$TMP/err")"

# --json
expect_eq "--json named groups" '{"source":"'"$TMP"'/a.txt","k":"key","v":"val"}' \
  "$("$PIPE" match --json '(?<k>\w+)=(?<v>\w+)' "$TMP/a.txt")"
expect_eq "--json numbered groups" '{"source":"'"$TMP"'/a.txt","1":"foo","2":"12"}
{"source":"'"$TMP"'/a.txt","1":"bar","2":"345"}' "$("$PIPE" match --json '(\w+) (\d+)' "$TMP/a.txt")"
expect_eq "--json no groups" '{"source":"'"$TMP"'/a.txt","0":"Привет"}' "$("$PIPE" match --json 'Пр\w+' "$TMP/a.txt")"
expect_eq "--json unset group is null" '{"source":"-","a":null,"b":"b"}' \
  "$(printf 'b\n' | "$PIPE" match --json '(?<a>a)?(?<b>b)')"
expect_eq "--json newline escaped" '{"source":"'"$TMP"'/lines.txt","0":"begin\nmiddle"}' \
  "$("$PIPE" match --json --dotall 'begin.middle' "$TMP/lines.txt")"
expect_eq "--json --lines: source and line" '{"source":"'"$TMP"'/a.txt","line":1,"0":"12"}' \
  "$("$PIPE" match --json --lines '1\d' "$TMP/a.txt")"
expect_status "-g with --json" 2 "$PIPE" match --json -g 1 '(a)' "$TMP/a.txt"

# flags
expect_eq "-i Cyrillic" "Привет" "$("$PIPE" match -i 'ПРИВЕТ' "$TMP/a.txt")"
expect_eq "--ignore-case" "FOO" "$(printf 'FOO\n' | "$PIPE" match --ignore-case 'foo')"
expect_status "case-sensitive by default" 1 "$PIPE" match 'ПРИВЕТ' "$TMP/a.txt"
expect_eq "^ without --multiline" "begin" "$("$PIPE" match '^\w+' "$TMP/lines.txt")"
expect_eq "--multiline" "begin
middle
end" "$("$PIPE" match --multiline '^\w+$' "$TMP/lines.txt")"
expect_eq "-m" "end" "$("$PIPE" match -m '^e\w+$' "$TMP/lines.txt")"
expect_status "dot stops at newline" 1 "$PIPE" match 'begin.middle' "$TMP/lines.txt"
expect_eq "--dotall prints the match as is" "begin
middle" "$("$PIPE" match --dotall 'begin.middle' "$TMP/lines.txt")"
expect_eq "-s" "middle
end" "$("$PIPE" match -s 'middle.end' "$TMP/lines.txt")"
expect_eq "Unicode \\w" "Привет
мир" "$("$PIPE" match '[^\W\d_a-z]+' "$TMP/a.txt")"

# --html: the page's readable text, not its markup or scripts
expect_eq "--html" "3 EUR
2 EUR
5 EUR" "$("$PIPE" match --html '\d+ EUR' "$TMP/page.html")"
expect_eq "without --html the raw bytes" "99 EUR
3 EUR
2 EUR
5 EUR" "$("$PIPE" match '\d+ EUR' "$TMP/page.html")"
expect_eq "--html decodes entities" "&" "$("$PIPE" match --html '&' "$TMP/page.html")"

# invalid UTF-8 input neither crashes nor matches as text
expect_eq "invalid UTF-8 input" "bad
byte
42" "$("$PIPE" match '\w+' "$TMP/bad.txt")"

# empty matches are not printed
expect_status "only empty matches" 1 "$PIPE" match 'x*' "$TMP/a.txt"
expect_eq "empty match output" "" "$(cat "$TMP/out")"

# exit status: 0 something printed, 1 nothing or a failed input, 2 usage
expect_status "match found" 0 "$PIPE" match 'foo' "$TMP/a.txt"
expect_status "no match" 1 "$PIPE" match 'zzz' "$TMP/a.txt"
expect_status "unreadable input" 1 "$PIPE" match 'foo' "$TMP/missing.txt" "$TMP/a.txt"
expect_eq "unreadable input: others still searched" "$TMP/a.txt:foo" "$(cat "$TMP/out")"
expect_contains "unreadable input named" "pipe: $TMP/missing.txt: " "$(cat "$TMP/err")"
expect_status "bad pattern" 2 "$PIPE" match 'a(' "$TMP/a.txt"
expect_eq "bad pattern message" "pipe: match: bad pattern 'a(' at offset 2: missing closing parenthesis" "$(cat "$TMP/err")"
expect_status "missing pattern" 2 "$PIPE" match
expect_status "unknown option" 2 "$PIPE" match --bogus 'x' "$TMP/a.txt"
expect_eq "unknown option message" "pipe: match: unknown option '--bogus' (see pipe help match)" "$(cat "$TMP/err")"
expect_status "unreadable --from" 2 "$PIPE" match --from "$TMP/nolist" 'x'
expect_status "match limit" 1 sh -c "printf '%s!' aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa | \"\$0\" match '(a+)+\$'" "$PIPE"
expect_eq "match limit message" "pipe: -: pattern '(a+)+\$' hit the match limit" "$(cat "$TMP/err")"

# help
expect_contains "help match" "usage: pipe match [OPTIONS] PATTERN [INPUT...]" "$("$PIPE" help match)"
expect_contains "help documents exit status" "exit status: 0 when something was printed" "$("$PIPE" help match)"
expect_contains "match --help" "--json" "$("$PIPE" match --help)"

# a closed pipe stops quietly with status 0
seq 1 200000 > "$TMP/many.txt"
( "$PIPE" match '\d+' "$TMP/many.txt" "$TMP/many.txt" 2>"$TMP/pipe-err"; echo $? > "$TMP/pipe-rc" ) | head -1 > "$TMP/pipe-out"
expect_eq "closed pipe output" "$TMP/many.txt:1" "$(cat "$TMP/pipe-out")"
expect_eq "closed pipe status" "0" "$(cat "$TMP/pipe-rc")"
expect_eq "closed pipe is quiet" "" "$(cat "$TMP/pipe-err")"
