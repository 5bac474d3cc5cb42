#!/usr/bin/env bash
# Runs once per stack (the keys live in a named volume): the SFTP server's host key, the workers' client key,
# and the known_hosts line the workers check the server against. Nothing secret is ever in the repository.
set -euo pipefail

keys=${1:-/keys}
host=${SFTP_HOST_NAME:-sftp}
worker_uid=${WORKER_UID:-10001}

if [ ! -f "$keys/ssh_host_ed25519_key" ]; then
  ssh-keygen -q -t ed25519 -N '' -C "$host" -f "$keys/ssh_host_ed25519_key"
fi
if [ ! -f "$keys/client_ed25519" ]; then
  ssh-keygen -q -t ed25519 -N '' -C labour-tracker-worker -f "$keys/client_ed25519"
fi
printf '%s %s\n' "$host" "$(cut -d' ' -f1,2 "$keys/ssh_host_ed25519_key.pub")" > "$keys/known_hosts"
# The workers run as an unprivileged user; only they read the client key.
chown "$worker_uid:$worker_uid" "$keys/client_ed25519"
chmod 0400 "$keys/client_ed25519"
chmod 0444 "$keys/client_ed25519.pub" "$keys/known_hosts"
chmod 0400 "$keys/ssh_host_ed25519_key"
echo "make-keys: host key $(ssh-keygen -l -f "$keys/ssh_host_ed25519_key.pub" | cut -d' ' -f2)"
