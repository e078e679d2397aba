#!/bin/sh
# Prepares a checkout for `docker compose up`: ./tocsin.yaml from the example, and every secret file under
# deploy/secrets/ (deploy/secrets/README.md lists them). Safe to run again: it never overwrites a file, it only
# creates what is missing and fixes owner and mode.
#
# Owner and mode matter: compose file secrets keep the host file's owner and mode inside the container, the
# services run as the image's `node` user (uid 1000) and refuse a secret that group or others can read. So each
# secret is mode 600, owned by uid 1000 (TOCSIN_UID to change it). Run as root (sudo), or as uid 1000.
set -eu
cd "$(dirname "$0")/.."
uid="${TOCSIN_UID:-1000}"
secrets=deploy/secrets

random() { od -An -N24 -tx1 /dev/urandom | tr -d ' \n'; }

# Creates $1 with the content $2 unless it exists.
create() {
  if [ ! -e "$1" ]; then
    (umask 077 && printf '%s' "$2" >"$1")
    echo "created $1"
  fi
}

mkdir -p "$secrets"
if [ ! -e tocsin.yaml ]; then
  cp deploy/tocsin.example.yaml tocsin.yaml
  chmod 644 tocsin.yaml
  echo "created tocsin.yaml (from deploy/tocsin.example.yaml): edit it, then docker compose up"
fi

# Generated: the database password (and the .pgpass line the services read it from), the console's login token
# and the webhook HMAC key.
if [ ! -e "$secrets/postgres_password" ]; then
  create "$secrets/postgres_password" "$(random)"
  rm -f "$secrets/pgpass"
fi
create "$secrets/pgpass" "postgres:5432:tocsin:tocsin:$(cat "$secrets/postgres_password")
"
create "$secrets/console_token" "$(random)"
create "$secrets/webhook_hmac" "$(random)"
# Yours to fill in when you enable that notifier (empty until then; a service refuses an empty secret file).
for f in discord_token discord_webhook_url slack_token slack_signing_secret telegram_token; do
  create "$secrets/$f" ""
done

status=0
for f in "$secrets"/*; do
  case "$f" in *.md | */.gitignore) continue ;; esac
  chmod 600 "$f"
  if [ "$(stat -c %u "$f" 2>/dev/null || stat -f %u "$f")" != "$uid" ]; then
    if ! chown "$uid:$uid" "$f" 2>/dev/null; then
      echo "cannot make $f owned by uid $uid (the image's node user): run sudo $0" >&2
      status=1
    fi
  fi
done
[ "$status" = 0 ] && echo "secrets in $secrets: mode 600, owner uid $uid"
exit "$status"
