#!/bin/sh
# The worker pool on a hostile batch: 200 inputs mixing good pages, pages
# whose script fails, unreadable inputs, pages that hang inside C calls (an
# element with a million attributes; a backtracking Lua pattern), a script
# that loops in a message handler and one that loops in a finalizer, a
# worker that crashes, a page past the memory limit.  -j 1 and -j 4 write
# the same bytes, stdout and stderr; each bad input is reported by name
# with its cause; every good record is there exactly once; exit code 1.
. "$(dirname "$0")/lib.sh"
B="$TMP/batch"
mkdir -p "$B"
page() { printf '<html><head><title>%s</title></head><body><p>%s words here</p></body></html>\n' "$2" "$2" > "$B/$1.html"; }
python3 - "$B/attrs.html" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("<html><head><title>attrs</title></head><body><div ")
    f.write(" ".join('a%d="x"' % i for i in range(1000000)))
    f.write(">x</div></body></html>")
PY
: > "$TMP/list"
bad=0
for i in $(seq 1 200); do
  case $i in
    7|77|177) page "$i" fails; bad=$((bad + 1)) ;;
    20) cp "$B/attrs.html" "$B/$i.html"; bad=$((bad + 1)) ;;
    40|140) page "$i" backtrack; bad=$((bad + 1)) ;;
    60) page "$i" handler; bad=$((bad + 1)) ;;
    80) page "$i" finalizer; bad=$((bad + 1)) ;;
    100|190) page "$i" crash; bad=$((bad + 1)) ;;
    120) page "$i" hog; bad=$((bad + 1)) ;;
    150) mkdir "$B/$i.html"; bad=$((bad + 1)) ;;
    160) bad=$((bad + 1)) ;;   # never written: no such file
    *) page "$i" "good $i" ;;
  esac
  echo "$B/$i.html" >> "$TMP/list"
done
run() {
  # shellcheck disable=SC2086 # $1 is a list of options
  "$PIPE" run $1 --timeout 2 --max-memory 256M --unsafe \
    tests/scripts/batch.lua --from "$TMP/list" > "$2.out" 2> "$2.err"
  echo $? > "$2.rc"
}
run "-j 1" "$TMP/j1"
run "-j 4" "$TMP/j4"
expect_eq "exit code -j 1" 1 "$(cat "$TMP/j1.rc")"
expect_eq "exit code -j 4" 1 "$(cat "$TMP/j4.rc")"
cmp -s "$TMP/j1.out" "$TMP/j4.out" || fail "stdout of -j 1 and -j 4 differ: $(diff "$TMP/j1.out" "$TMP/j4.out" | head -5)"
pass "stdout -j 1 = -j 4"
cmp -s "$TMP/j1.err" "$TMP/j4.err" || fail "stderr of -j 1 and -j 4 differ: $(diff "$TMP/j1.err" "$TMP/j4.err" | head -5)"
pass "stderr -j 1 = -j 4"
expect_eq "one record per good page, in input order" \
  "$(for i in $(seq 1 200); do case $i in 7|77|177|20|40|140|60|80|100|190|120|150|160) ;; *) echo "good $i" ;; esac; done)" \
  "$(jq -r .title "$TMP/j4.out")"
expect_eq "the bad inputs, by name and cause" "pipe: $B/7.html: this page is broken
pipe: $B/20.html: timed out after 2 s
pipe: $B/40.html: timed out after 2 s
pipe: $B/60.html: timed out after 2 s
pipe: $B/77.html: this page is broken
pipe: $B/80.html: timed out after 2 s
pipe: $B/100.html: worker killed by signal 6 (SIGABRT)
pipe: $B/120.html: out of memory (limit 256 MiB)
pipe: $B/140.html: timed out after 2 s
pipe: $B/150.html: is a directory
pipe: $B/160.html: no such file or directory
pipe: $B/177.html: this page is broken
pipe: $B/190.html: worker killed by signal 6 (SIGABRT)" "$(cat "$TMP/j4.err")"

# --unordered: the same records and messages, in any order
run "-j 4 --unordered" "$TMP/un"
expect_eq "unordered: same records" "$(sort "$TMP/j1.out")" "$(sort "$TMP/un.out")"
expect_eq "unordered: same messages" "$(sort "$TMP/j1.err")" "$(sort "$TMP/un.err")"

# records in NDJSON, spread over workers line by line: the same
jq -c '{title: .title}' "$TMP/j1.out" > "$TMP/recs.ndjson"
printf '{"title":"x"\n' >> "$TMP/recs.ndjson"
cat > "$TMP/upper.lua" <<'LUA'
return function(page)
  if page.record.title == "good 33" then ("a"):rep(200):find(".-.-.-.-b") end
  return { title = page.record.title:upper() }
end
LUA
for j in 1 3; do
  "$PIPE" run -j "$j" --timeout 2 --records "$TMP/upper.lua" "$TMP/recs.ndjson" > "$TMP/r$j.out" 2> "$TMP/r$j.err"
  echo $? > "$TMP/r$j.rc"
done
cmp -s "$TMP/r1.out" "$TMP/r3.out" || fail "records: -j 1 and -j 3 differ"
expect_eq "records: every good record once" "$(($(wc -l < "$TMP/recs.ndjson") - 2))" "$(wc -l < "$TMP/r3.out" | tr -d ' ')"
expect_eq "records: the hung and the bad line" "pipe: $TMP/recs.ndjson:31: timed out after 2 s
pipe: $TMP/recs.ndjson:188: bad JSON at column 12: '}' expected near end of file" "$(cat "$TMP/r3.err")"
expect_eq "records: exit 1" 1 "$(cat "$TMP/r3.rc")"

# a closed pipe is quiet, exit 0, whatever the pool is doing
out=$("$PIPE" run -j 4 --timeout 2 --unsafe tests/scripts/batch.lua --from "$TMP/list" 2>"$TMP/err" | head -1)
expect_eq "head -1: first record" "good 1" "$(printf '%s' "$out" | jq -r .title)"
"$PIPE" run -j 4 tests/scripts/title.lua "$B"/3*.html 2>"$TMP/err" | head -1 >/dev/null
expect_eq "head -1: quiet" "" "$(cat "$TMP/err")"
sh -c '"$0" run -j 4 tests/scripts/title.lua "$1"/[23]*.html 2>/dev/null; echo $? > "$2"' "$PIPE" "$B" "$TMP/st" | head -1 >/dev/null
expect_eq "head -1: exit 0" 0 "$(cat "$TMP/st")"

# every page in a fresh worker (--recycle 1), with jobs queued behind
# running ones: the same records, nothing reported, nothing lost
expect_eq "--recycle 1 -j 2 = -j 1" "$("$PIPE" run -j 1 tests/scripts/title.lua "$B"/3*.html)" \
  "$("$PIPE" run -j 2 --recycle 1 tests/scripts/title.lua "$B"/3*.html 2>"$TMP/err")"
expect_eq "--recycle 1: no messages" "" "$(cat "$TMP/err")"

# one page, -j 1 too: the timeout and crash guarantees hold
expect_status "one hanging page" 1 "$PIPE" run -j 1 --timeout 1 tests/scripts/batch.lua "$B/40.html"
expect_eq "one hanging page: message" "pipe: $B/40.html: timed out after 1 s" "$(cat "$TMP/err")"
expect_status "one crashing page" 1 "$PIPE" run --unsafe tests/scripts/batch.lua "$B/100.html"
expect_eq "one crashing page: message" "pipe: $B/100.html: worker killed by signal 6 (SIGABRT)" "$(cat "$TMP/err")"

# a lone page runs in this process, under a guard (core/pool.c run_single),
# with no worker to fork: it must say and return what a worker run does
# (PIPE_FORK_ONE=1 sends it to a worker): hangs inside C calls, a loop in a
# message handler and in a finalizer, a library crash (the probe plugin
# raises SIGABRT), memory past the limit; a good page's record is the same
cat > "$TMP/crash.lua" <<'LUA'
return function(page) probe.crash() end
LUA
for how in alone worker; do
  if [ "$how" = worker ]; then PIPE_FORK_ONE=1; export PIPE_FORK_ONE; fi
  for pg in 20 40 60 80; do
    expect_status "$how: page $pg hangs" 1 "$PIPE" run --timeout 1 tests/scripts/batch.lua "$B/$pg.html"
    expect_eq "$how: page $pg: message" "pipe: $B/$pg.html: timed out after 1 s" "$(cat "$TMP/err")"
  done
  expect_status "$how: a library crash" 1 "$PIPE" --plugin "$PROBES/probe.so" run "$TMP/crash.lua" "$B/1.html"
  expect_eq "$how: a library crash: message" "pipe: $B/1.html: worker killed by signal 6 (SIGABRT)" "$(sed '/^probe: state closed$/d' "$TMP/err")"
  expect_status "$how: memory" 1 "$PIPE" run --max-memory 256M tests/scripts/batch.lua "$B/120.html"
  expect_eq "$how: memory: message" "pipe: $B/120.html: out of memory (limit 256 MiB)" "$(cat "$TMP/err")"
  expect_status "$how: a good page" 0 "$PIPE" run tests/scripts/batch.lua "$B/5.html"
  expect_eq "$how: a good page: record" '{"source":"'"$B"'/5.html","title":"good 5","words":4}' "$(cat "$TMP/out")"
done
unset PIPE_FORK_ONE

# the other commands take the same limits and spread over workers too
expect_status "strip: 4 workers, timeout" 1 "$PIPE" strip -j 4 --timeout 2 "$B/1.html" "$B/20.html" "$B/2.html"
expect_eq "strip: the good pages, in order" "good 1 words here
good 2 words here" "$(cat "$TMP/out")"
expect_eq "strip: the hung page" "pipe: $B/20.html: timed out after 2 s" "$(cat "$TMP/err")"
expect_eq "select -j 3 = -j 1" "$("$PIPE" select -j 1 title "$B"/3*.html)" "$("$PIPE" select -j 3 title "$B"/3*.html)"
expect_eq "match -j 3 = -j 1" "$("$PIPE" match -j 1 'good \d+' "$B"/2*.html)" "$("$PIPE" match -j 3 'good \d+' "$B"/2*.html)"
expect_status "strip --max-input" 1 "$PIPE" strip --max-input 1k "$B/20.html"
expect_eq "strip --max-input message" "pipe: $B/20.html: input is larger than the 1024 byte limit (--max-input)" "$(cat "$TMP/err")"
for c in strip select match; do
  expect_status "$c: bad --timeout" 2 "$PIPE" "$c" --timeout x p "$B/1.html"
  expect_eq "$c: bad --timeout message" "pipe: $c: bad value 'x' for --timeout" "$(cat "$TMP/err")"
  expect_status "$c: bad -j" 2 "$PIPE" "$c" -j 0 p "$B/1.html"
  expect_eq "$c: bad -j message" "pipe: $c: bad value '0' for -j" "$(cat "$TMP/err")"
done

# a unit writes into two memory streams the process keeps and rewinds
# (core/pool.c, capture): after a unit of 3 MB of records and 1.5 MB of
# messages (its streams are then replaced), one out of memory (replaced
# too) and small ones, every unit has its own bytes, in every mode
cat > "$TMP/sizes.lua" <<'LUA'
return function(page)
  local t = page.doc:first("title"):text()
  if t == "good 2" then
    local recs = {}
    for i = 1, 3000 do recs[i] = { n = i, pad = ("p"):rep(1000) } end
    for i = 1, 1500 do print(("m"):rep(999)) end
    return recs
  end
  if t == "hog" then local big = ("x"):rep(300 << 20) end
  print("seen " .. t)
  return { title = t }
end
LUA
for mode in "--no-workers" "-j 1" "-j 2"; do
  # shellcheck disable=SC2086 # $mode is a list of options
  "$PIPE" run $mode --max-memory 256M "$TMP/sizes.lua" "$B/2.html" "$B/120.html" \
    "$B/3.html" "$B/2.html" "$B/4.html" > "$TMP/sz.out" 2> "$TMP/sz.err"
  expect_eq "$mode: big, out of memory, small units: the records" \
    "$(seq 1 3000; echo good 3; seq 1 3000; echo good 4)" \
    "$(jq -r '.n // .title' "$TMP/sz.out")"
  expect_eq "$mode: each big record whole" 6000 "$(jq -r 'select(.n) | .pad | length' "$TMP/sz.out" | grep -c '^1000$')"
  expect_eq "$mode: the messages" "1500 x m
pipe: $B/120.html: out of memory (limit 256 MiB)
seen good 3
1500 x m
seen good 4" "$(uniq -c "$TMP/sz.err" | sed 's/^ *//; s/^1 //; s/^\(1500\) m*$/\1 x m/')"
done

# the progress line, when asked for (it is on by default on a terminal)
"$PIPE" run -j 2 --progress tests/scripts/title.lua "$B"/3*.html > /dev/null 2> "$TMP/err"
expect_contains "progress line" "pipe: 11/11 done" "$(tr '\r' '\n' < "$TMP/err" | tail -1)"
"$PIPE" run -j 2 tests/scripts/title.lua "$B"/3*.html > /dev/null 2> "$TMP/err"
expect_eq "no progress line off a terminal" "" "$(cat "$TMP/err")"

# --unordered --output over more inputs than the supervisor's first table
# of them (16): the first input is slow, so the later ones finish (and are
# summed up) before it; every input has its summary, its file, and the
# run's totals count each once
U="$TMP/unord"
mkdir -p "$U/in"
: > "$TMP/ulist"
for i in $(seq 1 40); do
  t=$([ "$i" = 1 ] && echo slow || echo "fast $i")
  printf '<html><head><title>%s</title></head><body><p>x</p></body></html>\n' "$t" > "$U/in/p$i.html"
  echo "$U/in/p$i.html" >> "$TMP/ulist"
done
cat > "$TMP/slow.lua" <<'LUA'
return function(page)
  local t = page.doc:first("title"):text()
  if t == "slow" then local n = 0; for i = 1, 20000000 do n = n + i end end
  return { title = t }
end
LUA
"$PIPE" run -j 2 --unordered --output "$U/out" --progress "$TMP/slow.lua" \
  --from "$TMP/ulist" > /dev/null 2> "$TMP/uerr.raw"
expect_eq "--unordered --output: exit 0" 0 "$?"
# the messages, less the progress line's clearing
sed "s/$(printf '\033')\\[K//g" "$TMP/uerr.raw" > "$TMP/uerr"
expect_eq "--unordered --output: a summary per input" \
  "$(for i in $(seq 1 40); do echo "pipe: $U/in/p$i.html: 1 page, 1 records, 0 failed, 0 skipped -> $U/out/p$i.ndjson.gz"; done | sort)" \
  "$(tr '\r' '\n' < "$TMP/uerr" | grep -e '-> ' | sort)"
expect_eq "--unordered --output: the run's totals" \
  "pipe: 40 inputs, 40 pages, 40 records, 0 failed, 0 skipped" \
  "$(tr '\r' '\n' < "$TMP/uerr" | grep '^pipe: 40 inputs')"
expect_eq "--unordered --output: the slow input summed up after others" 1 \
  "$(tr '\r' '\n' < "$TMP/uerr" | grep -e '-> ' | grep -n . | grep -e '/p1.html' -e '/p2.html' | cut -d: -f2- | tail -1 | grep -c '/p1.html')"
expect_eq "--unordered --output: every file" \
  "$(for i in $(seq 1 40); do echo "{\"source\":\"$U/in/p$i.html\",\"title\":\"$([ "$i" = 1 ] && echo slow || echo "fast $i")\"}"; done | sort)" \
  "$(for f in "$U"/out/*.ndjson.gz; do gzip -dc "$f"; done | sort)"

# Path units go to their worker with the file the supervisor's sniff
# opened, while a quarter of the descriptor limit at most is held: with a
# low limit some jobs carry their files and the others are opened by
# path; the same records either way
"$PIPE" run --no-workers "$TMP/slow.lua" --from "$TMP/ulist" > "$TMP/fd.want" 2>&1
for lim in 24 64 1024; do
  (ulimit -n "$lim" && "$PIPE" run -j 2 "$TMP/slow.lua" --from "$TMP/ulist") > "$TMP/fd.got" 2>&1
  expect_eq "descriptor limit $lim: the same records" "$(cat "$TMP/fd.want")" "$(cat "$TMP/fd.got")"
done
