#!/bin/bash
# GNU parallel over three hosts (network namespaces with sshd, see
# tests/hosts/hosts.sh): a batch sent with --transferfile/--return/--retries,
# one host killed mid-run; every input's output must exist and equal a
# one-machine run's, nothing missing, nothing extra.  Skips with a reason
# without root, namespaces, sshd, parallel or rsync.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/hosts/hosts.sh"

for tool in parallel rsync; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed (CI installs it: .ci/run)"; exit 77; }
done
hosts_up "$TMP/hosts"
rc=$?
if [ "$rc" = 77 ]; then echo "SKIP: $HOSTS_WHY"; exit 77; fi
[ "$rc" = 0 ] || fail "hosts_up failed"
pass "three hosts up (sshd in network namespaces)"

# each host has its own /root
on_host 1 sh -c 'echo one >/root/mark'
expect_eq "h1 and h2 have separate /root" "one|absent" \
  "$(on_ctl ssh -F "$HOSTS_SSH_CONFIG" h1 cat /root/mark)|$(on_ctl ssh -F "$HOSTS_SSH_CONFIG" h2 'cat /root/mark 2>/dev/null || echo absent')"

# the batch: 12 inputs
mkdir -p "$TMP/ctl/in"
i=0
for f in "$PAGES"/*.html; do
  i=$((i + 1)); [ "$i" -le 12 ] || break
  cp "$f" "$TMP/ctl/in/"
done
standin=$SRCDIR/tests/hosts/standin.sh
# each job first leaves a mark in its host's own /root
job="sh $standin {} out"
[ -n "${MULTIHOST_CMD:-}" ] && job=$MULTIHOST_CMD
cmd="touch /root/started-{/}; $job"

# one machine
(cd "$TMP/ctl" && for f in in/*; do STANDIN_SLEEP=0 sh "$standin" "$f" ref || exit 1; done) ||
  fail "one-machine run failed"

# three hosts; h2 killed while its first job runs (the job has left its
# mark and is in the stand-in's sleep, or in pipe)
(for _ in $(seq 600); do
   ls "$TMP/hosts/h2/root"/started-* >/dev/null 2>&1 && break
   sleep 0.1
 done
 host_kill 2) &
killer=$!
(cd "$TMP/ctl" && on_ctl parallel --will-cite -j1 -S 1/h1,1/h2,1/h3 \
  --ssh "ssh -F $HOSTS_SSH_CONFIG" --transferfile {} --return 'out/{/}.out' \
  --cleanup --retries 3 --workdir ... --joblog "$TMP/joblog" \
  "$cmd" ::: in/*) >"$TMP/par.out" 2>"$TMP/par.err"
prc=$?
wait "$killer"
[ "$prc" = 0 ] || fail "parallel exited $prc: $(tail -5 "$TMP/par.err")"
pass "parallel finished (exit 0) with h2 killed"
expect_eq "every input has its output, as in the one-machine run" \
  "$(cd "$TMP/ctl/ref" && ls)" "$(cd "$TMP/ctl/out" && ls)"
for f in "$TMP"/ctl/ref/*; do
  cmp -s "$f" "$TMP/ctl/out/$(basename "$f")" || fail "$(basename "$f") differs from the one-machine run"
done
pass "outputs equal the one-machine run"
# the kill landed mid-run: jobs started on h2, and were done elsewhere
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
pass "those jobs finished on h1 or h3"
expect_eq "every input succeeded once in the end" "12" \
  "$(awk -F'\t' 'NR > 1 && $7 == 0 { print $9 }' "$TMP/joblog" | sort -u | wc -l)"
ran_on=$(awk -F'\t' 'NR > 1 && $7 == 0 { print $2 }' "$TMP/joblog" | sort -u | tr '\n' ' ')
expect_contains "h1 and h3 did the work" "h1 h3" "$ran_on"
