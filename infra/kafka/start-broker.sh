#!/usr/bin/env bash
# Runs docker-compose.yml's Kafka: one broker that is its own KRaft controller, every listener signing in with SASL,
# and the StandardAuthorizer letting each user do only what infra/kafka/create-acls.sh allows.
#
# - The broker's settings come from KAFKA_* variables, named as the apache/kafka image names them (KAFKA_LOG_DIRS is
#   log.dirs; `__` stands for `_`, `___` for `-`). The admin's password is added here from KAFKA_ADMIN_PASSWORD.
# - Client listeners sign in with SCRAM: the password never crosses the network, and the users live in the cluster's
#   metadata (infra/kafka/create-users.sh adds them). The admin's credential is written when the storage is first
#   formatted, as the broker signs in with it before any other user exists.
# - A controller listener cannot use SCRAM (its credentials are in the metadata the controller serves): it uses PLAIN,
#   with the admin as its only user, on the container's loopback only, so that password never leaves the container.
set -euo pipefail

home=${KAFKA_HOME:-/opt/kafka}
run_dir=${KAFKA_RUN_DIR:-/tmp/kafka}
cluster_id=${CLUSTER_ID:?CLUSTER_ID is required}
admin=${KAFKA_ADMIN_USER:?KAFKA_ADMIN_USER is required}
password=${KAFKA_ADMIN_PASSWORD:?KAFKA_ADMIN_PASSWORD is required}
# Passwords are written into JAAS and SCRAM settings as they are: no quotes, backslashes, commas, brackets or spaces.
if ! [[ $password =~ ^[A-Za-z0-9._~-]{16,}$ ]]; then
  echo "start-broker: KAFKA_ADMIN_PASSWORD must be 16 or more of A-Z a-z 0-9 . _ ~ -" >&2
  exit 2
fi

declare -A config
for name in $(compgen -e); do
  case $name in
    KAFKA_HOME | KAFKA_RUN_DIR | KAFKA_ADMIN_* | KAFKA_*_OPTS) continue ;;
    KAFKA_*) ;;
    *) continue ;;
  esac
  key=${name#KAFKA_}
  key=${key,,}
  key=${key//___/-}
  key=${key//__/$'\x01'}
  key=${key//_/.}
  config[${key//$'\x01'/_}]=${!name}
done
[ "${config[authorizer.class.name]:-}" = org.apache.kafka.metadata.authorizer.StandardAuthorizer ] || {
  echo "start-broker: KAFKA_AUTHORIZER_CLASS_NAME must be the StandardAuthorizer" >&2
  exit 2
}

mechanism=${config[sasl.mechanism.inter.broker.protocol]:?KAFKA_SASL_MECHANISM_INTER_BROKER_PROTOCOL is required}
controllers=",${config[controller.listener.names]:?KAFKA_CONTROLLER_LISTENER_NAMES is required},"
IFS=, read -ra listeners <<<"${config[listener.security.protocol.map]:?KAFKA_LISTENER_SECURITY_PROTOCOL_MAP is required}"
for each in "${listeners[@]}"; do
  listener=${each%%:*}
  protocol=${each#*:}
  if [[ $protocol != SASL_* ]]; then
    echo "start-broker: listener $listener is $protocol; every listener must sign in with SASL" >&2
    exit 2
  fi
  if [[ $controllers == *",$listener,"* ]]; then
    config[listener.name.${listener,,}.plain.sasl.jaas.config]="org.apache.kafka.common.security.plain.PlainLoginModule required username=\"$admin\" password=\"$password\" user_$admin=\"$password\";"
  else
    config[listener.name.${listener,,}.${mechanism,,}.sasl.jaas.config]="org.apache.kafka.common.security.scram.ScramLoginModule required username=\"$admin\" password=\"$password\";"
  fi
done

umask 077
mkdir -p "$run_dir"
for key in "${!config[@]}"; do printf '%s=%s\n' "$key" "${config[$key]}"; done | sort >"$run_dir/server.properties"
# For the admin's tools in this container (the health check): the client listener, signed in as the admin.
printf '%s\n' "security.protocol=SASL_PLAINTEXT" "sasl.mechanism=$mechanism" \
  "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"$admin\" password=\"$password\";" \
  >"$run_dir/admin.properties"

"$home/bin/kafka-storage.sh" format --ignore-formatted --cluster-id "$cluster_id" --config "$run_dir/server.properties" \
  --add-scram "$mechanism=[name=$admin,password=$password]"
exec "$home/bin/kafka-server-start.sh" "$run_dir/server.properties"
