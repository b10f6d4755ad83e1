#!/usr/bin/env bash
# Validates docker-compose.yml the way a newcomer starts: with .env.example copied to .env. Compose must
# refuse it while the secrets are empty (naming one), and accept it once they are set, with the six
# services and the backend wired to PostgreSQL, Redis and MinIO. Needs no Docker engine: uses
# `docker compose` (the plugin) when there is one, else `docker-compose` (Debian's package).
set -uo pipefail
cd "$(dirname "$0")/../.."

if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
elif command -v docker-compose >/dev/null; then
  compose=(docker-compose)
else
  echo "check-compose: neither \`docker compose\` nor docker-compose is installed" >&2
  exit 1
fi

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
config() { "${compose[@]}" --project-directory "$dir" -f docker-compose.yml config "$@" 2>&1; }
problems=0
problem() {
  echo "check-compose: $*"
  problems=$((problems + 1))
}

cp .env.example "$dir/.env"
if out=$(config); then
  problem "compose accepted .env.example with its secrets still empty"
elif ! grep -q 'POSTGRES_PASSWORD\|JWT_SECRET\|MINIO_ROOT_PASSWORD' <<<"$out"; then
  problem "compose refused .env.example without naming a missing secret: $out"
fi

jwt=$(openssl rand -base64 48)
postgres=$(openssl rand -hex 24)
minio=$(openssl rand -hex 24)
sed -i -e "s|^JWT_SECRET=.*|JWT_SECRET=$jwt|" -e "s|^POSTGRES_PASSWORD=.*|POSTGRES_PASSWORD=$postgres|" \
  -e "s|^MINIO_ROOT_PASSWORD=.*|MINIO_ROOT_PASSWORD=$minio|" "$dir/.env"
if ! out=$(config); then
  problem "compose refused .env.example with the secrets set: $out"
else
  services=$(config --services | sort | tr '\n' ' ')
  [ "$services" = "backend frontend minio minio-init postgres redis " ] || problem "unexpected services: $services"
  for expected in "DATABASE_URL: postgres://iris:$postgres@postgres:5432/iris" "REDIS_URL: redis://redis:6379" \
    "S3_ENDPOINT: http://minio:9000" "S3_SECRET_KEY: $minio" "JWT_SECRET: $jwt" "MINIO_ROOT_PASSWORD: $minio" \
    "NODE_ENV: production" "TRUST_PROXY:" "MAX_UPLOAD_MB:" "published:.*8080" "condition: service_healthy" \
    "condition: service_completed_successfully" "IRIS_BACKEND_SERVERS: server backend:3000;"; do
    grep -q -- "$expected" <<<"$out" || problem "the rendered configuration has no \"$expected\""
  done
fi
# Nothing secret is written into the file itself.
if grep -nE '(PASSWORD|SECRET|_KEY)[^$]*: *[^$ ]+$' docker-compose.yml | grep -v '\${'; then
  problem "docker-compose.yml holds a literal secret (above)"
fi

[ "$problems" -eq 0 ] && echo "check-compose: docker-compose.yml is valid with .env.example (${compose[*]})"
[ "$problems" -eq 0 ]
