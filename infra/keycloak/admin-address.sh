#!/usr/bin/env bash
# Puts the master realm, which the admin console signs its administrators in with, at the admin address: its sign-in
# pages and endpoints are then served on infra/keycloak/proxy.conf's admin port, never the public one. (Keycloak's
# hostname-admin moves the console, not the master realm's sign-in; the realm's frontend URL moves that.)
# Run by compose's one-shot keycloak-admin-address once Keycloak is up; idempotent.
set -euo pipefail

kcadm=${KEYCLOAK_HOME:-/opt/keycloak}/bin/kcadm.sh
server=${KEYCLOAK_INTERNAL_URL:?KEYCLOAK_INTERNAL_URL is required}
admin_url=${KC_HOSTNAME_ADMIN:?KC_HOSTNAME_ADMIN is required}
config=$(mktemp 2>/dev/null || echo /tmp/kcadm.config)  # it holds the admin's tokens: removed on exit
trap 'rm -f "$config"' EXIT

# The password is on kcadm's command line (it reads it from nowhere else without a terminal), inside this container.
"$kcadm" config credentials --config "$config" --server "$server" --realm master \
  --user "${KC_BOOTSTRAP_ADMIN_USERNAME:?KC_BOOTSTRAP_ADMIN_USERNAME is required}" \
  --password "${KC_BOOTSTRAP_ADMIN_PASSWORD:?KC_BOOTSTRAP_ADMIN_PASSWORD is required}" >/dev/null
"$kcadm" update realms/master --config "$config" -s "attributes.frontendUrl=$admin_url"
echo "admin-address: the master realm signs in at $admin_url"
