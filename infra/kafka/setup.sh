#!/usr/bin/env bash
# Prepares Kafka for the workers before any starts, signed in as the admin: the users and their passwords
# (create-users.sh), what each may do (create-acls.sh), then the topics (create-topics.sh). Idempotent: it runs on
# every `docker compose up`, so a password changed in .env is changed in Kafka too.
set -euo pipefail

here=$(dirname "$0")
admin=${KAFKA_ADMIN_USER:?KAFKA_ADMIN_USER is required}
password=${KAFKA_ADMIN_PASSWORD:?KAFKA_ADMIN_PASSWORD is required}
mechanism=${KAFKA_SASL_MECHANISM:?KAFKA_SASL_MECHANISM is required}

umask 077
KAFKA_CLIENT_CONFIG=$(mktemp)
export KAFKA_CLIENT_CONFIG
trap 'rm -f "$KAFKA_CLIENT_CONFIG"' EXIT
printf '%s\n' "security.protocol=SASL_PLAINTEXT" "sasl.mechanism=$mechanism" \
  "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"$admin\" password=\"$password\";" \
  >"$KAFKA_CLIENT_CONFIG"

bash "$here/create-users.sh"
bash "$here/create-acls.sh"
bash "$here/create-topics.sh"
