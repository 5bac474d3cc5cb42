#!/usr/bin/env bash
# Sets the SCRAM credentials of the workers' and kafka-ui's Kafka users to the passwords compose gives them; a user
# that does not exist yet is made. Run by setup.sh as the admin (KAFKA_CLIENT_CONFIG). Idempotent.
set -euo pipefail

bootstrap=${LABOUR_TRACKER_KAFKA_BOOTSTRAP:?LABOUR_TRACKER_KAFKA_BOOTSTRAP is required}
mechanism=${KAFKA_SASL_MECHANISM:?KAFKA_SASL_MECHANISM is required}
kafka_configs=${KAFKA_HOME:-/opt/kafka}/bin/kafka-configs.sh

set_password() {  # set_password USER PASSWORD
  if ! [[ $2 =~ ^[A-Za-z0-9._~-]{16,}$ ]]; then
    echo "create-users: the password of $1 must be 16 or more of A-Z a-z 0-9 . _ ~ -" >&2
    exit 2
  fi
  # On the tool's command line (it reads SCRAM credentials from nowhere else), seen only inside this container.
  "$kafka_configs" --bootstrap-server "$bootstrap" ${KAFKA_CLIENT_CONFIG:+--command-config "$KAFKA_CLIENT_CONFIG"} \
    --alter --entity-type users --entity-name "$1" --add-config "$mechanism=[password=$2]" >/dev/null
  echo "create-users: $1 signs in with $mechanism"
}

set_password "${KAFKA_WORKER_USER:?KAFKA_WORKER_USER is required}" "${KAFKA_WORKER_PASSWORD:?KAFKA_WORKER_PASSWORD is required}"
set_password "${KAFKA_UI_USER:?KAFKA_UI_USER is required}" "${KAFKA_UI_PASSWORD:?KAFKA_UI_PASSWORD is required}"
