#!/bin/bash
# The Dask recipe of docs/scale-out.md: docs/examples/dask_pipe.py on a
# LocalCluster (Debian's python3-distributed) running `pipe run --output`
# over a batch of WARC files; the output files must hold the records of a
# one-machine run, byte for byte.  Skips with a reason without
# python3-distributed, wget or python3.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/hosts/batch.sh"
py=/usr/bin/python3
"$py" -c 'import distributed' 2>/dev/null ||
  { echo "SKIP: Debian's python3-distributed is not installed (CI installs it: .ci/run)"; exit 77; }
bash "$SRCDIR/tests/warc/make_fixtures.sh" "$PAGES" "$TMP/fx" 2>"$TMP/mk.err"
rc=$?
if [ "$rc" = 77 ]; then echo "SKIP: $(cat "$TMP/mk.err")"; exit 77; fi
[ "$rc" = 0 ] || fail "make_fixtures: $(cat "$TMP/mk.err")"
make_batch "$TMP/fx" "$TMP/ctl" || fail "the one-machine run failed"

# the command of docs/scale-out.md, with the paths of this test
(cd "$TMP/ctl" && timeout 300 "$py" "$SRCDIR/docs/examples/dask_pipe.py" --workers 2 \
  --pipe "$PIPE" --output out "$SRCDIR/scripts/site.lua" in/*.warc.gz) \
  >"$TMP/dask.out" 2>"$TMP/dask.err"
rc=$?
[ "$rc" = 0 ] || fail "dask_pipe.py exited $rc: $(tail -5 "$TMP/dask.err")"
pass "dask_pipe.py on a LocalCluster of 2 workers: exit 0"
expect_eq "one line per input, each exit 0 with pipe's summary" "6" \
  "$(grep -c "	exit 0	pipe: 1 input, [0-9]* pages, [0-9]* records, 0 failed, [0-9]* skipped$" "$TMP/dask.out")"
summary=$(same_as_ref "$TMP/ctl") || fail "$summary"
pass "$summary"
