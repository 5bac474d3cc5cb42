#!/usr/bin/env bash
# Writes .env for docker compose from .env.example, with a fresh random value for every secret left empty.
# An existing .env is kept as it is: its secrets are already in the databases and the realm.
set -euo pipefail

cd "$(dirname "$0")/.."
if [ -e .env ]; then
  echo "compose-env: .env exists; leaving it alone" >&2
  exit 0
fi
secrets="POSTGRES_ADMIN_PASSWORD POSTGRES_PASSWORD KEYCLOAK_DB_PASSWORD KEYCLOAK_ADMIN_PASSWORD API_CLIENT_SECRET SUBSCRIPTION_TOKEN_SECRET"
umask 077
while IFS= read -r line || [ -n "$line" ]; do
  name=${line%%=*}
  if [ "$line" = "$name=" ] && [[ " $secrets " == *" $name "* ]]; then
    # URL-safe characters only: the PostgreSQL password is part of the workers' database URL.
    line="$name=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"
  fi
  printf '%s\n' "$line"
done < .env.example > .env
echo "compose-env: wrote .env with new secrets"
