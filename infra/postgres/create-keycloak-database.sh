#!/usr/bin/env bash
# Run once by the PostgreSQL image when the cluster is first initialised: Keycloak's own database and user, which
# no other role may connect to.
set -euo pipefail

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v user="$KEYCLOAK_DB_USER" -v password="$KEYCLOAK_DB_PASSWORD" <<'SQL'
CREATE ROLE :"user" LOGIN PASSWORD :'password';
CREATE DATABASE keycloak OWNER :"user";
REVOKE ALL ON DATABASE keycloak FROM PUBLIC;
SQL
