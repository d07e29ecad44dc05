# shellcheck shell=bash
# Three "hosts" on this machine for the multi-host tests: network
# namespaces, each running Debian's openssh-server on its own address with
# its own /root (so files sent to a host really travel), reached from a
# controller namespace through one veth pair per host, key-based ssh as
# root.  All traffic stays inside these namespaces.  Source it:
#
#   . tests/hosts/hosts.sh
#   hosts_up DIR || skip          # 77 + $HOSTS_WHY when it cannot be done
#   on_ctl CMD...                 # run CMD in the controller namespace
#   on_host 2 CMD...              # run CMD on host 2 (its own /root)
#   ssh -F "$HOSTS_SSH_CONFIG" h1 CMD      (from on_ctl)
#   host_kill 2                   # every process of host 2 killed, link down
#   hosts_down                    # everything removed (also on EXIT)
#
# Addresses: host K is 10.251.K.2, the controller's end 10.251.K.1 (a /30
# per host, nothing routed).  Names carry the shell's PID, so concurrent
# runs do not collide.
#
# Caveats: the hosts share this machine's filesystem except /root, which
# is bind-mounted per host inside sshd's mount namespace; a command run on
# a host sees the build tree at the same path.

HOSTS_N=3

# shellcheck disable=SC2034 # read by the sourcing test
hosts_why() { HOSTS_WHY=$*; return 77; }

hosts_up() {
  HOSTS_DIR=$1
  HOSTS_TAG=pt$$
  HOSTS_SSH_CONFIG=$HOSTS_DIR/ssh_config
  [ "$(id -u)" = 0 ] || { hosts_why "needs root (network namespaces)"; return; }
  for tool in ip sshd ssh ssh-keygen; do
    command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] ||
      { hosts_why "$tool not installed (openssh-server, openssh-client, iproute2)"; return; }
  done
  mkdir -p "$HOSTS_DIR" /run/sshd || { hosts_why "cannot create $HOSTS_DIR or /run/sshd"; return; }
  chmod 755 /run/sshd
  if ! ip netns add "${HOSTS_TAG}c" 2>"$HOSTS_DIR/netns.err"; then
    hosts_why "cannot create a network namespace: $(cat "$HOSTS_DIR/netns.err")"
    return
  fi
  trap hosts_down EXIT
  ip -n "${HOSTS_TAG}c" link set lo up
  ssh-keygen -q -t ed25519 -N '' -f "$HOSTS_DIR/id_ed25519" -C pipe-test || return 1
  : >"$HOSTS_SSH_CONFIG"
  local k ns d
  for k in $(seq "$HOSTS_N"); do
    ns=${HOSTS_TAG}h$k d=$HOSTS_DIR/h$k
    mkdir -p "$d/root/.ssh" || return 1
    ip netns add "$ns" || return 1
    ip -n "$ns" link set lo up
    ip link add "${HOSTS_TAG}a$k" netns "${HOSTS_TAG}c" type veth \
      peer name "${HOSTS_TAG}b$k" netns "$ns" || return 1
    ip -n "${HOSTS_TAG}c" addr add "10.251.$k.1/30" dev "${HOSTS_TAG}a$k"
    ip -n "$ns" addr add "10.251.$k.2/30" dev "${HOSTS_TAG}b$k"
    ip -n "${HOSTS_TAG}c" link set "${HOSTS_TAG}a$k" up
    ip -n "$ns" link set "${HOSTS_TAG}b$k" up
    ssh-keygen -q -t ed25519 -N '' -f "$d/host_key" -C "h$k" || return 1
    cp "$HOSTS_DIR/id_ed25519.pub" "$d/root/.ssh/authorized_keys"
    chmod 700 "$d/root" "$d/root/.ssh"
    cat >"$d/sshd_config" <<CONF
ListenAddress 10.251.$k.2
Port 22
HostKey $d/host_key
PidFile $d/sshd.pid
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
AuthorizedKeysFile $d/root/.ssh/authorized_keys
StrictModes no
MaxStartups 100
MaxSessions 100
AcceptEnv LANG LC_*
Subsystem sftp internal-sftp
CONF
    # its own /root, in the mount namespace ip netns exec gives sshd
    ip netns exec "$ns" sh -c 'mount --bind "$1/root" /root && exec /usr/sbin/sshd -f "$1/sshd_config" -E "$1/sshd.log"' \
      sh "$d" || return 1
    cat >>"$HOSTS_SSH_CONFIG" <<CONF
Host h$k
  HostName 10.251.$k.2
  User root
  IdentityFile $HOSTS_DIR/id_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $HOSTS_DIR/known_hosts
  StrictHostKeyChecking accept-new
  BatchMode yes
  ConnectTimeout 5
  ServerAliveInterval 2
  ServerAliveCountMax 2
CONF
  done
  # wait until each sshd answers
  for k in $(seq "$HOSTS_N"); do
    local ok=
    for _ in $(seq 50); do
      if on_ctl ssh -F "$HOSTS_SSH_CONFIG" "h$k" true 2>/dev/null; then ok=1; break; fi
      sleep 0.2
    done
    [ -n "$ok" ] || { hosts_why "sshd on h$k does not answer: $(tail -3 "$HOSTS_DIR/h$k/sshd.log" 2>/dev/null)"; return; }
  done
  return 0
}

on_ctl() { ip netns exec "${HOSTS_TAG}c" "$@"; }

on_host() {
  local k=$1; shift
  ip netns exec "${HOSTS_TAG}h$k" sh -c 'mount --bind "$0/root" /root && exec "$@"' \
    "$HOSTS_DIR/h$k" "$@"
}

# Kill every process of host K (its sshd and whatever runs under it) by
# PID, and take its link down: what a host that dies looks like.
host_kill() {
  local ns=${HOSTS_TAG}h$1 pid
  ip -n "$ns" link set "${HOSTS_TAG}b$1" down 2>/dev/null
  for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
}

hosts_down() {
  [ -n "${HOSTS_TAG:-}" ] || return 0
  local k ns pid
  for k in $(seq "$HOSTS_N") c; do
    case $k in c) ns=${HOSTS_TAG}c ;; *) ns=${HOSTS_TAG}h$k ;; esac
    ip netns list 2>/dev/null | grep -q "^$ns\b" || continue
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null
  done
  HOSTS_TAG=
}
