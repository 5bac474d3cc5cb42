#!/usr/bin/env bash
# Writes .env for docker compose from .env.example, with a fresh random value for every secret left empty.
# An existing .env keeps every value it has (its secrets are already in the databases, Kafka and the realm); a
# variable it lacks, one added to .env.example since, is appended, a secret with a fresh value.
set -euo pipefail

cd "$(dirname "$0")/.."
secrets="POSTGRES_ADMIN_PASSWORD POSTGRES_PASSWORD KEYCLOAK_DB_PASSWORD KEYCLOAK_ADMIN_PASSWORD API_CLIENT_SECRET
SUBSCRIPTION_TOKEN_SECRET KAFKA_ADMIN_PASSWORD KAFKA_WORKER_PASSWORD KAFKA_UI_PASSWORD"
umask 077

with_secrets() {  # .env.example's lines, each empty secret filled
  while IFS= read -r line || [ -n "$line" ]; do
    name=${line%%=*}
    if [ "$line" = "$name=" ] && [[ " ${secrets//$'\n'/ } " == *" $name "* ]]; then
      # URL-safe characters only: the PostgreSQL password is part of the workers' database URL.
      line="$name=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"
    fi
    printf '%s\n' "$line"
  done <.env.example
}

if [ ! -e .env ]; then
  with_secrets >.env
  echo "compose-env: wrote .env with new secrets"
  exit 0
fi
[ -z "$(tail -c1 .env)" ] || echo >>.env  # a last line without its newline stays whole
added=()
while IFS= read -r line; do
  name=${line%%=*}
  if [[ $line == *=* && $line != \#* ]] && ! grep -q "^$name=" .env; then
    printf '%s\n' "$line" >>.env
    added+=("$name")
  fi
done < <(with_secrets)
if [ ${#added[@]} -eq 0 ]; then
  echo "compose-env: .env has every variable; leaving it alone" >&2
else
  echo "compose-env: added to .env: ${added[*]}"
fi
