# syntax=docker/dockerfile:1
# The Iris backend (NestJS API + Socket.IO). Build from the repository root:
#   docker build -f docker/backend.Dockerfile -t iris-backend .
#
# Debian (glibc) rather than Alpine: the lockfile carries the prebuilt glibc binaries of every native
# dependency (sharp's libvips, argon2, swc), and the build stage then matches the CI machines.
ARG NODE_IMAGE=node:22-bookworm-slim

# --- build: compile TypeScript to backend/dist --------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# The npm workspace layout: the root manifest and lockfile, and every workspace's package.json (so
# npm sees the workspaces the lockfile was made with), but only the backend's packages are installed.
COPY package.json package-lock.json ./
COPY backend/package.json backend/
COPY frontend/package.json frontend/
# No install scripts: the native packages ship prebuilt binaries as optional dependencies, and the
# only script left would be a telemetry ping (@scarf/scarf).
RUN npm ci --workspace @iris/backend --ignore-scripts --no-audit --no-fund
COPY backend/ backend/
RUN npm run build --workspace @iris/backend

# --- runtime: production dependencies and the compiled code -------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
COPY package.json package-lock.json ./
COPY backend/package.json backend/
COPY frontend/package.json frontend/
# The image has no TypeScript toolchain, so its npm scripts run the compiled code: that way
# `docker compose exec backend npm run seed` and `… npm run admin:create` work as they do outside.
# ./data is where the embedded database and local uploads go when the image runs without
# PostgreSQL or S3 (mount a volume there); the compose stack uses neither.
RUN npm ci --workspace @iris/backend --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force \
 && npm pkg delete scripts \
 && npm pkg set scripts.start="node backend/dist/main.js" \
                scripts.seed="node backend/dist/cli/seed.js" \
                "scripts.admin:create=node backend/dist/cli/admin-create.js" \
 && mkdir -p data \
 && chown node:node data
COPY --from=build /app/backend/dist backend/dist
USER node
EXPOSE 3000
# Pending migrations run at every start, before the server listens (one instance at a time, under a
# PostgreSQL advisory lock). /api/health answers 200 once the database answers.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/api/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node itself, not npm: SIGTERM reaches the server, which closes sockets and connections cleanly.
CMD ["node", "backend/dist/main.js"]
