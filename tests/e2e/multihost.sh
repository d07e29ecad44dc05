#!/bin/bash
# GNU parallel over three hosts (network namespaces with sshd, see
# tests/hosts/hosts.sh) running `pipe run --output` on a batch of WARC
# files with --transferfile/--return/--retries, one host killed while a job
# runs on it: every input's output file must exist and hold the records of
# a one-machine run, byte for byte, nothing missing or duplicated.  This is
# the recipe of docs/scale-out.md.  Skips with a reason without root,
# network namespaces, sshd, parallel, rsync, wget or python3.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/hosts/hosts.sh"
. "$SRCDIR/tests/hosts/batch.sh"

for tool in parallel rsync; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed (CI installs it: .ci/run)"; exit 77; }
done
bash "$SRCDIR/tests/warc/make_fixtures.sh" "$PAGES" "$TMP/fx" 2>"$TMP/mk.err"
rc=$?
if [ "$rc" = 77 ]; then echo "SKIP: $(cat "$TMP/mk.err")"; exit 77; fi
[ "$rc" = 0 ] || fail "make_fixtures: $(cat "$TMP/mk.err")"
hosts_up "$TMP/hosts"
rc=$?
if [ "$rc" = 77 ]; then echo "SKIP: $HOSTS_WHY"; exit 77; fi
[ "$rc" = 0 ] || fail "hosts_up failed"
pass "three hosts up (sshd in network namespaces)"

on_host 1 sh -c 'echo one >/root/mark'
expect_eq "h1 and h2 have separate /root" "one|absent" \
  "$(on_ctl ssh -F "$HOSTS_SSH_CONFIG" h1 cat /root/mark)|$(on_ctl ssh -F "$HOSTS_SSH_CONFIG" h2 'cat /root/mark 2>/dev/null || echo absent')"

make_batch "$TMP/fx" "$TMP/ctl" || fail "the one-machine run failed"
pass "batch of $(ls "$TMP/ctl/in" | wc -l) WARC files, one-machine run done"

# h2 is killed while its first job runs (it has left its mark); a job on
# h2 waits there to be killed (/root/hold exists only on h2), so it cannot
# finish first on a fast machine
on_host 2 touch /root/hold
(for _ in $(seq 600); do
   ls "$TMP/hosts/h2/root"/started-* >/dev/null 2>&1 && break
   sleep 0.1
 done
 host_kill 2) &
killer=$!
# the command of docs/scale-out.md, with the paths of this test
(cd "$TMP/ctl" && on_ctl parallel --will-cite -j1 -S 1/h1,1/h2,1/h3 \
  --ssh "ssh -F $HOSTS_SSH_CONFIG" --transferfile {} \
  --return 'out/{/.}.ndjson.gz' --cleanup --retries 3 --workdir ... \
  --joblog "$TMP/joblog" \
  "touch /root/started-{/}; if [ -e /root/hold ]; then sleep 120; fi; $PIPE run -j 1 --output out $SRCDIR/scripts/site.lua {}" \
  ::: in/*.warc.gz) >"$TMP/par.out" 2>"$TMP/par.err"
prc=$?
wait "$killer"
[ "$prc" = 0 ] || fail "parallel exited $prc: $(tail -5 "$TMP/par.err")"
pass "parallel finished (exit 0) with h2 killed"
started_h2=
for m in "$TMP/hosts/h2/root"/started-*; do
  [ -e "$m" ] && started_h2="$started_h2 ${m##*/started-}"
done
[ -n "$started_h2" ] || fail "no job started on h2 before it was killed"
pass "jobs had started on h2 when it died:$started_h2"
for f in $started_h2; do
  host=$(awk -F'\t' -v f="in/$f" 'NR > 1 && $7 == 0 && index($9, f) { print $2 }' "$TMP/joblog")
  case $host in h1|h3) ;; *) fail "$f: started on h2, finished on '$host'" ;; esac
done
pass "those jobs were redone on h1 or h3"
summary=$(same_as_ref "$TMP/ctl") || fail "$summary"
pass "$summary"
