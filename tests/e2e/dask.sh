#!/bin/bash
# The Dask recipe of docs/scale-out.md: docs/examples/dask_pipe.py on a
# LocalCluster (Debian's python3-distributed) over a batch; every input's
# output must equal a one-machine run's.  Skips with a reason without
# python3-distributed.
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3
"$py" -c 'import distributed' 2>/dev/null ||
  { echo "SKIP: Debian's python3-distributed is not installed (CI installs it: .ci/run)"; exit 77; }

mkdir -p "$TMP/in"
i=0
for f in "$PAGES"/*.html; do
  i=$((i + 1)); [ "$i" -le 8 ] || break
  cp "$f" "$TMP/in/"
done
standin=$SRCDIR/tests/hosts/standin.sh
pipe_cmd=${DASK_PIPE:-$SRCDIR/tests/hosts/fake_pipe.sh}

for f in "$TMP"/in/*; do STANDIN_SLEEP=0 sh "$standin" "$f" "$TMP/ref" || fail "one-machine run"; done
timeout 300 "$py" "$SRCDIR/docs/examples/dask_pipe.py" --workers 2 --pipe "$pipe_cmd" \
  --output "$TMP/out" scripts/site.lua "$TMP"/in/* >"$TMP/dask.out" 2>"$TMP/dask.err"
rc=$?
[ "$rc" = 0 ] || fail "dask_pipe.py exited $rc: $(tail -5 "$TMP/dask.err")"
pass "dask_pipe.py on a LocalCluster of 2 workers: exit 0"
expect_eq "one summary line per input, each exit 0" "8" \
  "$(grep -c "	exit 0	" "$TMP/dask.out")"
expect_eq "every input has its output, as in the one-machine run" \
  "$(cd "$TMP/ref" && ls)" "$(cd "$TMP/out" && ls)"
for f in "$TMP"/ref/*; do
  cmp -s "$f" "$TMP/out/$(basename "$f")" || fail "$(basename "$f") differs"
done
pass "outputs equal the one-machine run"
