#!/usr/bin/env bash
# Run once by the PostgreSQL image when the cluster is first initialised: the service's least-privilege role and
# its database (infra/postgres/service-role.sql). The image's own user (POSTGRES_USER) is the superuser.
set -euo pipefail

psql --username "$POSTGRES_USER" --dbname postgres \
  -v role="$SERVICE_DB_USER" -v password="$SERVICE_DB_PASSWORD" -v database="$SERVICE_DB_NAME" \
  -f /etc/labour-tracker/service-role.sql
