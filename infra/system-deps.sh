#!/usr/bin/env bash
# What the machine must have beyond PyPI: Python 3.11, Java 17+ and Maven (Kafka), PostgreSQL's server binaries,
# nginx (the tests run compose's Keycloak proxy) and Chromium (the web app's browser tests drive it).
# As root, installs what is missing from Debian's packages; otherwise says what to install.
set -euo pipefail

missing=()
command -v python3.11 >/dev/null || missing+=(python3.11)
if ! command -v java >/dev/null || [ "$(java -version 2>&1 | sed -nE 's/.*version "([0-9]+).*/\1/p' | head -1)" -lt 17 ]; then
  missing+=(openjdk-17-jre-headless)
fi
command -v mvn >/dev/null || missing+=(maven)
if ! command -v postgres >/dev/null && ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  missing+=(postgresql)
fi
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
command -v chromium >/dev/null || missing+=(chromium)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "system-deps: please install: ${missing[*]} (Debian package names)" >&2
  exit 1
fi
echo "system-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian's postgresql package starts a cluster of its own on 5432; this project runs private clusters instead.
if command -v pg_lsclusters >/dev/null; then
  pg_lsclusters -h | while read -r version name _; do pg_ctlcluster "$version" "$name" stop || true; done
fi
# Debian's nginx package starts a server of its own on port 80; the tests run theirs on free ports instead.
if [[ " ${missing[*]} " == *" nginx-light "* ]] && command -v service >/dev/null; then
  service nginx stop >/dev/null 2>&1 || true
fi
