#!/usr/bin/env bash
# Run once by the PostgreSQL image when the cluster is first initialised: Keycloak's own database and user,
# beside the mirror's (POSTGRES_DB / POSTGRES_USER).
set -euo pipefail

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v user="$KEYCLOAK_DB_USER" -v password="$KEYCLOAK_DB_PASSWORD" <<'SQL'
CREATE ROLE :"user" LOGIN PASSWORD :'password';
CREATE DATABASE keycloak OWNER :"user";
SQL
