#!/bin/sh
# One command per validator server: copies the agent bundle, its token (mode 600) and a systemd unit, and starts it.
#   deploy/harmony-agent/install.sh <ssh host> <harmony-signers URL> <token file> [validator address] [node URL]
# Build the bundle first: pnpm --filter @tocsin/harmony-agent bundle. The server needs Node 20+ and sudo.
# The server side is setup-server.sh (beside this file), run there as root with the token on its stdin.
# Overrides (tests, images): TOCSIN_AGENT_BUNDLE (the bundle to copy), SSH and SCP (the commands reaching the server),
# and, passed on to setup-server.sh: TOCSIN_INSTALL_ROOT (install under another root), TOCSIN_AGENT_USER (the account
# the agent runs as, default tocsin-agent), SYSTEMCTL (the systemctl command).
set -eu
[ $# -ge 3 ] || { sed -n '2,4p' "$0" >&2; exit 2; }
host=$1 url=$2 token=$3 address=${4:-} node_url=${5:-http://127.0.0.1:9500}
here=$(cd "$(dirname "$0")" && pwd)
bundle=${TOCSIN_AGENT_BUNDLE:-"$here/../../services/harmony-agent/dist/tocsin-harmony-agent.mjs"}
ssh=${SSH:-ssh} scp=${SCP:-scp}
[ -f "$bundle" ] || { echo "no $bundle: run pnpm --filter @tocsin/harmony-agent bundle" >&2; exit 1; }
[ -s "$token" ] || { echo "no token in $token (tocsin harmony token new --owner ...)" >&2; exit 1; }
for v in "$url" "$node_url" "$address"; do
  case $v in *"
"*) echo "a value with a line break cannot go into the agent's environment file" >&2; exit 1 ;; esac
done
# Single-quoted for the server's shell.
q() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }

# A fresh staging directory on the server (not a fixed name in /tmp), removed by setup-server.sh.
stage=$($ssh "$host" 'mktemp -d')
[ -n "$stage" ] || { echo "could not make a staging directory on $host" >&2; exit 1; }
cp_bundle=$(mktemp -d)
trap 'rm -rf "$cp_bundle"' EXIT
cp "$bundle" "$cp_bundle/tocsin-harmony-agent.mjs"
$scp -q "$cp_bundle/tocsin-harmony-agent.mjs" "$here/tocsin-harmony-agent.service" "$here/setup-server.sh" "$host:$stage/"
# The token goes over ssh's stdin, never on a command line.
$ssh "$host" "sudo env TOCSIN_INSTALL_ROOT=$(q "${TOCSIN_INSTALL_ROOT:-}") TOCSIN_AGENT_USER=$(q "${TOCSIN_AGENT_USER:-tocsin-agent}") SYSTEMCTL=$(q "${SYSTEMCTL:-systemctl}") sh $(q "$stage/setup-server.sh") $(q "$url") $(q "$node_url") $(q "$address")" < "$token"
echo "harmony agent running on $host (journalctl -u tocsin-harmony-agent -f)"
