#!/bin/bash
# Regression: with every job slot taken (the first page slow on one worker,
# the other worker finishing the next 15), the finished jobs were freed and
# the supervisor went to poll with no worker busy and inputs left: the run
# hung for an hour after 16 records.  Now it makes the next jobs first.
. "$(dirname "$0")/lib.sh"
for i in $(seq 0 40); do cp "$PAGES/paris-declaration.html" "$TMP/p$i.html"; done
cat >"$TMP/slow.lua" <<'LUA'
return function(page)
  if page.source:find("p0.html", 1, true) then os.execute("sleep 2") end
  return { s = page.source }
end
LUA
files=("$TMP"/p0.html)
for i in $(seq 40); do files+=("$TMP/p$i.html"); done
timeout 60 "$PIPE" run -j 2 --unsafe "$TMP/slow.lua" "${files[@]}" >"$TMP/out"
expect_eq "a slow first page, 16 slots full: every record, no hang" "0|41" "$?|$(wc -l <"$TMP/out")"
