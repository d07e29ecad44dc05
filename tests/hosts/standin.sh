#!/bin/sh
# Stand-in for `pipe run --output DIR` in the multi-host tests until the
# worker pool lands: reads INPUT, waits a little (so a host can die
# mid-run), writes DIR/NAME.out (line count and checksum of the input)
# under a temporary name and renames it, so a file in DIR is always whole.
# Usage: standin.sh INPUT DIR
set -eu
in=$1 dir=$2
name=$(basename "$in")
mkdir -p "$dir"
sleep "${STANDIN_SLEEP:-2}"
{ wc -l <"$in"; cksum <"$in"; } >"$dir/.$name.out.tmp"
mv "$dir/.$name.out.tmp" "$dir/$name.out"
