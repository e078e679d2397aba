#!/bin/sh
# The server side of install.sh, run as root on the validator server from the staging directory install.sh copied:
#   setup-server.sh <harmony-signers URL> <node URL> [validator address]      (the token on stdin)
# Installs the bundle (/opt/tocsin), the token (/etc/tocsin/harmony.token, mode 600, owned by the agent's account),
# the agent's environment file and the systemd unit, then (re)starts the unit. Running it again upgrades in place.
# TOCSIN_INSTALL_ROOT installs under another root (a test, an image); TOCSIN_AGENT_USER names the account
# (tocsin-agent, created when missing); SYSTEMCTL is the systemctl command.
set -eu
[ $# -ge 2 ] || { sed -n '3p' "$0" >&2; exit 2; }
url=$1 node_url=$2 address=${3:-}
stage=$(cd "$(dirname "$0")" && pwd)
root=${TOCSIN_INSTALL_ROOT:-}
user=${TOCSIN_AGENT_USER:-tocsin-agent}
systemctl=${SYSTEMCTL:-systemctl}
unit=tocsin-harmony-agent

id "$user" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
umask 022
install -d -m 755 "$root/opt/tocsin" "$root/etc/tocsin" "$root/etc/systemd/system"
install -m 644 "$stage/tocsin-harmony-agent.mjs" "$root/opt/tocsin/tocsin-harmony-agent.mjs"
# Readable by the agent's account only (the agent refuses a token file that group or others can read).
install -m 600 -o "$user" /dev/stdin "$root/etc/tocsin/harmony.token"
[ -s "$root/etc/tocsin/harmony.token" ] || { echo "no token on stdin" >&2; exit 1; }
printf 'TOCSIN_AGENT_SERVICE_URL=%s\nTOCSIN_AGENT_NODE_URL=%s\nTOCSIN_AGENT_VALIDATOR_ADDRESS=%s\n' \
  "$url" "$node_url" "$address" > "$root/etc/tocsin/harmony-agent.env"
sed "s/^User=.*/User=$user/" "$stage/$unit.service" > "$root/etc/systemd/system/$unit.service"
chmod 644 "$root/etc/tocsin/harmony-agent.env" "$root/etc/systemd/system/$unit.service"
rm -f "$stage/tocsin-harmony-agent.mjs" "$stage/$unit.service" "$stage/setup-server.sh"
rmdir "$stage" 2>/dev/null || true
$systemctl daemon-reload
$systemctl enable "$unit"
# restart, not start: a second install (an upgrade) runs the new bundle.
$systemctl restart "$unit"
