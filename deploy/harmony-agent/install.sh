#!/bin/sh
# One command per validator server: copies the agent bundle, its token (mode 600) and a systemd unit, and starts it.
#   deploy/harmony-agent/install.sh <ssh host> <harmony-signers URL> <token file> [validator address] [node URL]
# Build the bundle first: pnpm --filter @tocsin/harmony-agent bundle. The server needs Node 20+ and sudo.
set -eu
[ $# -ge 3 ] || { sed -n '2,4p' "$0"; exit 2; }
host=$1 url=$2 token=$3 address=${4:-} node_url=${5:-http://127.0.0.1:9500}
here=$(cd "$(dirname "$0")" && pwd)
bundle="$here/../../services/harmony-agent/dist/tocsin-harmony-agent.mjs"
[ -f "$bundle" ] || { echo "no $bundle: run pnpm --filter @tocsin/harmony-agent bundle" >&2; exit 1; }
[ -f "$token" ] || { echo "no token file $token (tocsin harmony token new --owner ...)" >&2; exit 1; }
scp -q "$bundle" "$here/tocsin-harmony-agent.service" "$host:/tmp/"
# The token goes over ssh's stdin, never on a command line.
ssh "$host" "sudo sh -eu -c '
  id tocsin-agent >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin tocsin-agent
  install -d -m 755 /opt/tocsin /etc/tocsin
  install -m 644 /tmp/tocsin-harmony-agent.mjs /opt/tocsin/tocsin-harmony-agent.mjs
  install -m 600 -o tocsin-agent /dev/stdin /etc/tocsin/harmony.token
  printf \"TOCSIN_AGENT_SERVICE_URL=%s\nTOCSIN_AGENT_NODE_URL=%s\nTOCSIN_AGENT_VALIDATOR_ADDRESS=%s\n\" \"$url\" \"$node_url\" \"$address\" > /etc/tocsin/harmony-agent.env
  install -m 644 /tmp/tocsin-harmony-agent.service /etc/systemd/system/tocsin-harmony-agent.service
  rm -f /tmp/tocsin-harmony-agent.mjs /tmp/tocsin-harmony-agent.service
  systemctl daemon-reload
  systemctl enable --now tocsin-harmony-agent
  systemctl restart tocsin-harmony-agent
'" < "$token"
echo "harmony agent running on $host (journalctl -u tocsin-harmony-agent -f)"
