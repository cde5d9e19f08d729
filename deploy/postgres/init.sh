#!/usr/bin/env bash
# Creates the warehouse database and its roles. The PostgreSQL container runs it once, when it first creates
# its data directory (/docker-entrypoint-initdb.d); on a server of your own run it once as a superuser with
# POSTGRES_USER, POSTGRES_DB and the PG* connection variables set.
#   enforcement_publisher  owns database `warehouse`; the publish asset logs in as it (ENFORCEMENT_PUBLISH_URL)
#   enforcement_reader     cannot log in; the publish asset grants it read access to each publication
#   reporting              logs in (BI tools), member of enforcement_reader, read-only by default
set -euo pipefail
: "${ENFORCEMENT_PUBLISHER_PASSWORD:?}" "${ENFORCEMENT_REPORTING_PASSWORD:?}"
psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v publisher_password="$ENFORCEMENT_PUBLISHER_PASSWORD" \
    -v reporting_password="$ENFORCEMENT_REPORTING_PASSWORD" <<'SQL'
CREATE ROLE enforcement_publisher LOGIN PASSWORD :'publisher_password';
CREATE ROLE enforcement_reader NOLOGIN;
CREATE ROLE reporting LOGIN PASSWORD :'reporting_password' IN ROLE enforcement_reader;
ALTER ROLE reporting SET default_transaction_read_only = on;
ALTER ROLE reporting SET idle_in_transaction_session_timeout = '10min';
CREATE DATABASE warehouse OWNER enforcement_publisher;
REVOKE ALL ON DATABASE warehouse FROM PUBLIC;
GRANT CONNECT ON DATABASE warehouse TO enforcement_reader;
\connect warehouse
REVOKE ALL ON SCHEMA public FROM PUBLIC;
SQL
