#!/usr/bin/env bash
# What each Kafka user may do; the broker refuses everything else (allow.everyone.if.no.acl.found=false), and only the
# admin is a super user. Run by setup.sh as the admin (KAFKA_CLIENT_CONFIG); adding an ACL that exists changes nothing.
#
#   the workers    their topics, under the topic prefix and under the app id (the tables' changelogs, Faust's reply
#                  and leader topics): read, write, describe, and create (Faust declares its own topics); their
#                  consumer groups: the app id (Faust) and `<app id>-mirror-<schema>` (the mirror).
#   kafka-ui       reads and describes the same topics, their groups and the cluster; writes nothing.
#
# A system integrating by commands gets a user of its own and, at most, write on a commands topic and read on what
# it needs (README, "Security").
set -euo pipefail

bootstrap=${LABOUR_TRACKER_KAFKA_BOOTSTRAP:?LABOUR_TRACKER_KAFKA_BOOTSTRAP is required}
prefix=${LABOUR_TRACKER_TOPIC_PREFIX:-labour_tracker}
app_id=${LABOUR_TRACKER_APP_ID:-labour-tracker}
worker=User:${KAFKA_WORKER_USER:?KAFKA_WORKER_USER is required}
ui=User:${KAFKA_UI_USER:?KAFKA_UI_USER is required}
kafka_acls=${KAFKA_HOME:-/opt/kafka}/bin/kafka-acls.sh

allow() {  # allow PRINCIPAL [kafka-acls.sh options: resources and operations]
  local principal=$1
  shift
  "$kafka_acls" --bootstrap-server "$bootstrap" ${KAFKA_CLIENT_CONFIG:+--command-config "$KAFKA_CLIENT_CONFIG"} \
    --add --allow-principal "$principal" "$@" >/dev/null
}

allow "$worker" --resource-pattern-type prefixed --topic "${prefix}." --topic "${app_id}-" \
  --operation Read --operation Write --operation Create --operation Describe
allow "$worker" --resource-pattern-type literal --group "$app_id" --operation Read --operation Describe
allow "$worker" --resource-pattern-type prefixed --group "${app_id}-mirror-" --operation Read --operation Describe

allow "$ui" --resource-pattern-type prefixed --topic "${prefix}." --topic "${app_id}-" \
  --operation Read --operation Describe --operation DescribeConfigs
allow "$ui" --resource-pattern-type literal --group "$app_id" --operation Describe
allow "$ui" --resource-pattern-type prefixed --group "${app_id}-mirror-" --operation Describe
allow "$ui" --cluster --operation Describe --operation DescribeConfigs

echo "create-acls: ${worker#User:} and ${ui#User:} may use the topics under ${prefix}. and ${app_id}-"
