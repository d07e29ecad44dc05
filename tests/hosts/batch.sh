# shellcheck shell=bash
# A batch of WARC inputs for the multi-host and Dask tests, in DIR/in/:
# made from the fixtures of tests/warc/make_fixtures.sh (FX), each input
# several archives end to end (concatenated gzip members are a valid
# .warc.gz), so one job runs for a while.  Then a one-machine run of
# `pipe run --output DIR/ref` over it, from DIR, as the reference.
# Usage: make_batch FX DIR  (returns non-zero on failure)
make_batch() {
  local fx=$1 dir=$2 i k
  mkdir -p "$dir/in" || return 1
  python3 "$SRCDIR/tests/warc/cc_style.py" "$fx/cc-clean.warc.gz" --corrupt 0 \
    "$PAGES"/*.html >/dev/null || return 1
  for i in 1 2 3 4 5 6; do
    for k in 1 2 3 4 5 6 7 8 9 10 11 12; do
      case $(( (i + k) % 3 )) in
        0) cat "$fx/wget.warc.gz" ;;
        1) cat "$fx/cc-clean.warc.gz" ;;
        2) cat "$fx/wget-whole.warc.gz" ;;
      esac
    done >"$dir/in/crawl-$i.warc.gz"
  done
  (cd "$dir" && watched 120 "$PIPE" run -j 2 --output ref "$SRCDIR/scripts/site.lua" in/*.warc.gz 2>ref.err) ||
    { cat "$dir/ref.err" >&2; return 1; }
}

# Run CMD, but past S seconds print the state and stack of it and its
# children (a hang seen once under load, not reproduced since), kill them
# and return 124.  Usage: watched S CMD...
watched() {
  local s=$1 p q; shift
  "$@" &
  p=$!
  for _ in $(seq $(( s * 10 ))); do
    kill -0 "$p" 2>/dev/null || { wait "$p"; return; }
    sleep 0.1
  done
  echo "watched: $* still running after $s s:" >&2
  for q in $p $(pgrep -P "$p"); do
    echo "== pid $q state $(awk '{print $3}' "/proc/$q/stat" 2>/dev/null) wchan $(cat "/proc/$q/wchan" 2>/dev/null)" >&2
    command -v gdb >/dev/null && gdb -batch -p "$q" -ex bt 2>/dev/null | grep '^#' >&2
  done
  for q in $(pgrep -P "$p") $p; do kill -9 "$q" 2>/dev/null; done
  wait "$p" 2>/dev/null
  return 124
}

# Compare DIR/out with DIR/ref: the same files, the same records; every
# record's source (FILE#OFFSET) once.  Prints a one-line summary.
same_as_ref() {
  local dir=$1 f
  [ "$(cd "$dir/ref" && ls)" = "$(cd "$dir/out" && ls)" ] ||
    { echo "files differ: $(cd "$dir/out" && ls | paste -sd' ')"; return 1; }
  for f in "$dir"/ref/*; do
    cmp -s <(gzip -dc "$f") <(gzip -dc "$dir/out/${f##*/}") ||
      { echo "${f##*/}: records differ"; return 1; }
  done
  local n u
  n=$(gzip -dc "$dir"/out/* | wc -l)
  u=$(gzip -dc "$dir"/out/* | jq -r '.source' | sort -u | wc -l)
  [ "$n" = "$u" ] || { echo "$n records but $u distinct sources"; return 1; }
  echo "$(ls "$dir/out" | wc -l) files, $n records, $(gzip -dc "$dir"/out/* | jq -r .warc_id | sort -u | wc -l) distinct warc_ids, as in the one-machine run"
}
