#!/usr/bin/env bash
# Creates Labour Tracker's topics before any worker starts, with the partitions and replication the workers are
# configured with (the same LABOUR_TRACKER_* variables). Idempotent: it runs on every `docker compose up`, from
# setup.sh, signed in as the admin (KAFKA_CLIENT_CONFIG).
# A topic that already exists with another partition count stops it: keys would move to other partitions and
# tables would no longer match their command topics (see docs/operations.md, "Partitions").
set -euo pipefail

bootstrap=${LABOUR_TRACKER_KAFKA_BOOTSTRAP:?LABOUR_TRACKER_KAFKA_BOOTSTRAP is required}
prefix=${LABOUR_TRACKER_TOPIC_PREFIX:-labour_tracker}
app_id=${LABOUR_TRACKER_APP_ID:-labour-tracker}
partitions=${LABOUR_TRACKER_TOPIC_PARTITIONS:-4}
replication=${LABOUR_TRACKER_TOPIC_REPLICATION_FACTOR:-1}
kafka_topics=${KAFKA_HOME:-/opt/kafka}/bin/kafka-topics.sh
signed_in=(${KAFKA_CLIENT_CONFIG:+--command-config "$KAFKA_CLIENT_CONFIG"})

names=()
create() {  # create NAME [CONFIG=VALUE ...]
  local name=$1
  shift
  local configs=()
  for config in "$@"; do configs+=(--config "$config"); done
  "$kafka_topics" --bootstrap-server "$bootstrap" "${signed_in[@]}" --create --if-not-exists --topic "$name" \
    --partitions "$partitions" --replication-factor "$replication" "${configs[@]}"
  names+=("$name")
}

# What bounds how long Kafka keeps an erased person's data (labour_tracker/messages/retention.py): events and dead
# letters are kept forever (personal events sealed under a key erasure deletes); work in flight a day, in hourly
# segments; the changelogs compacted within a day of a tombstone, which is itself kept a day.
forever=(retention.ms=-1)
in_flight=(retention.ms=86400000 segment.ms=3600000)
live=(retention.ms=3000000 segment.ms=600000)  # live messages, in clear: an hour at most
compacted=(cleanup.policy=compact max.compaction.lag.ms=86400000 delete.retention.ms=86400000)
# Commands, events and outcomes per aggregate, keyed by aggregate id.
create "${prefix}.birthing_person.commands" "${in_flight[@]}"
create "${prefix}.birthing_person.events" "${forever[@]}"
create "${prefix}.birthing_person.outcomes" "${in_flight[@]}"
create "${prefix}.subscriber.commands" "${in_flight[@]}"
create "${prefix}.subscriber.events" "${forever[@]}"
create "${prefix}.subscriber.outcomes" "${in_flight[@]}"
create "${prefix}.dead_letters" "${forever[@]}"
# Notifications: requests per subscriber, deliveries per destination (counted against its cap) and then per
# notification id, and what became of each.
create "${prefix}.notifications.requests" "${in_flight[@]}"
create "${prefix}.notifications.destinations" "${in_flight[@]}"
create "${prefix}.notifications.deliveries" "${in_flight[@]}"
create "${prefix}.notifications.reports" "${in_flight[@]}"
create "${prefix}.notifications.resends" "${in_flight[@]}"
create "${prefix}.notification.events" "${forever[@]}"
# What each command changed of a labour, for the live streams (every worker reads it all).
create "${prefix}.birthing_person.live" "${live[@]}"
# The changelogs of the Faust tables (compacted: the latest record per key is the state).
create "${app_id}-birthing_persons-changelog" "${compacted[@]}"
create "${app_id}-subscribers-changelog" "${compacted[@]}"
create "${app_id}-notifications-changelog" "${compacted[@]}"
create "${app_id}-destinations-changelog" "${compacted[@]}"

described=$("$kafka_topics" --bootstrap-server "$bootstrap" "${signed_in[@]}" --describe --topic "${prefix}\..*|${app_id}-.*-changelog")
status=0
for name in "${names[@]}"; do
  actual=$(printf '%s\n' "$described" | sed -nE "s/^Topic: ${name//./\\.}[[:space:]].*PartitionCount: ([0-9]+).*/\1/p")
  if [ "$actual" != "$partitions" ]; then
    echo "create-topics: ${name} has ${actual:-no} partitions, the workers are configured with ${partitions}" >&2
    status=1
  fi
done
[ "$status" -eq 0 ] && echo "create-topics: ${#names[@]} topics with ${partitions} partitions each"
exit "$status"
