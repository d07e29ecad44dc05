#!/bin/bash
# Make the WARC test fixtures in DIR with real tools:
#   DIR/wget.warc.gz     wget --warc-file (one gzip member per record)
#   DIR/wget.warc        the same, plain
#   DIR/wget-whole.warc.gz  the same, one gzip stream over the whole file
#   DIR/cc.warc.gz       Common-Crawl style (cc_style.py), one corrupt member
#   DIR/cc.manifest      cc_style.py's list of members
# from the fixture pages served on 127.0.0.1 by server.py.  Exits 77 with a
# reason on stderr when wget or python3 is missing.
# Usage: make_fixtures.sh PAGES_DIR DIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
pages=$1 dir=$2
for tool in wget python3 gzip; do
  command -v "$tool" >/dev/null || { echo "make_fixtures: $tool not installed" >&2; exit 77; }
done
mkdir -p "$dir"
python3 "$here/server.py" "$pages" --lifetime 120 >"$dir/port" &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null' EXIT
for _ in $(seq 50); do [ -s "$dir/port" ] && break; sleep 0.1; done
port=$(head -1 "$dir/port")
[ -n "$port" ] || { echo "make_fixtures: the fixture server did not start" >&2; exit 1; }
base=http://127.0.0.1:$port
cat >"$dir/urls" <<URLS
$base/paris-declaration.html
$base/header-charset/enc-windows-1251-nometa.html
$base/header-charset/enc-koi8-r.html
$base/gzip/wire-port-strike.html
$base/chunked/legacy-vodogin.html
$base/redirect
$base/missing.html
$base/image.png
$base/spa-sodium-battery.html
URLS
# wget exits 8 when the server answered an error (the 404): expected
(cd "$dir" && wget -q --tries=1 --timeout=10 --warc-file=wget -i urls -O /dev/null)
rc=$?
[ "$rc" = 0 ] || [ "$rc" = 8 ] || { echo "make_fixtures: wget failed ($rc)" >&2; exit 1; }
[ -s "$dir/wget.warc.gz" ] || { echo "make_fixtures: wget wrote no WARC" >&2; exit 1; }
gzip -dc "$dir/wget.warc.gz" >"$dir/wget.warc"
gzip -c "$dir/wget.warc" >"$dir/wget-whole.warc.gz"
echo "$port" >/dev/null
python3 "$here/cc_style.py" "$dir/cc.warc.gz" --corrupt 2 \
  "$pages/paris-declaration.html" "$pages/wire-port-strike.html" \
  "$pages/legacy-vodogin.html" "$pages/blog-dahlia-tubers.html" >"$dir/cc.manifest"
