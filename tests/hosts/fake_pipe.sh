#!/bin/sh
# Stand-in for the pipe binary in the Dask test until the worker pool
# lands: accepts `run [-j N] --output DIR SCRIPT FILE` and runs
# standin.sh FILE DIR; prints a summary line on stderr as pipe will.
set -eu
[ "$1" = run ] || { echo "fake_pipe: only run" >&2; exit 2; }
shift
out=
while [ $# -gt 2 ]; do
  case $1 in
    -j) shift 2 ;;
    --output) out=$2; shift 2 ;;
    *) shift ;;
  esac
done
[ -n "$out" ] || { echo "fake_pipe: --output needed" >&2; exit 2; }
STANDIN_SLEEP=${STANDIN_SLEEP:-0} sh "$(dirname "$0")/standin.sh" "$2" "$out"
echo "pipe: 1 input done" >&2
