#!/usr/bin/env bash
# Run by the SFTP image at every start (/etc/sftp.d/): serve the stack's host key, so the workers' known_hosts
# matches, and let the workers' client key in as the relay user, whose pickup folder must be theirs to write.
set -euo pipefail

keys=/keys
user=${SFTP_USER:-relay}

install -m 0600 -o root -g root "$keys/ssh_host_ed25519_key" /etc/ssh/ssh_host_ed25519_key
install -m 0644 -o root -g root "$keys/ssh_host_ed25519_key.pub" /etc/ssh/ssh_host_ed25519_key.pub
install -d -m 0755 -o root -g root "/home/$user/.ssh"
install -m 0600 -o "$user" -g root "$keys/client_ed25519.pub" "/home/$user/.ssh/authorized_keys"
chown "$user:users" "/home/$user/pickup"
