-- The service's own role, made by a superuser when the cluster is first initialised (psql variables: role,
-- password, database). It owns its database, where the mirror creates and migrates its schemas, and nothing else:
-- no superuser, no other database (Keycloak's is closed to it), no roles, no files or programs on the server.
\set ON_ERROR_STOP on
CREATE ROLE :"role" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'password';
CREATE DATABASE :"database" OWNER :"role";
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
\connect :"database"
-- Only its owner may create objects in the public schema; the mirror works in schemas of its own.
REVOKE ALL ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO :"role";
