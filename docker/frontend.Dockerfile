# syntax=docker/dockerfile:1
# The Iris web client, served by nginx, which also proxies the API, the API docs and Socket.IO to the
# backend (docker/nginx.conf). Build from the repository root:
#   docker build -f docker/frontend.Dockerfile -t iris-frontend .
ARG NODE_IMAGE=node:22-bookworm-slim
ARG NGINX_IMAGE=nginx:1.28-alpine

# --- build: the Angular production build ---------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# The npm workspace layout (every workspace's package.json, so npm sees the workspaces the lockfile
# was made with), but only the frontend's packages are installed. No install scripts: esbuild and the other native
# packages ship prebuilt binaries as optional dependencies.
COPY package.json package-lock.json ./
COPY backend/package.json backend/
COPY frontend/package.json frontend/
RUN npm ci --workspace @iris/frontend --ignore-scripts --no-audit --no-fund
COPY frontend/ frontend/
RUN npm run build --workspace @iris/frontend

# --- runtime: nginx ------------------------------------------------------------------------------
FROM ${NGINX_IMAGE}
# docker/nginx.conf is a template: the image's entrypoint renders it into conf.d/default.conf at
# start-up (replacing the image's default site), substituting only the IRIS_* variables below;
# nginx-env.envsh computes IRIS_CLIENT_MAX_BODY_SIZE from MAX_UPLOAD_MB first.
ENV NGINX_ENVSUBST_FILTER=IRIS_ \
    IRIS_LISTEN=80 \
    IRIS_WEB_ROOT=/usr/share/nginx/html \
    IRIS_BACKEND_SERVERS="server backend:3000;" \
    MAX_UPLOAD_MB=50
COPY docker/nginx.conf /etc/nginx/templates/default.conf.template
COPY --chmod=755 docker/nginx-env.envsh /docker-entrypoint.d/19-iris-env.envsh
RUN rm -rf /usr/share/nginx/html/*
COPY --from=build /app/frontend/dist/iris/browser/ /usr/share/nginx/html/
EXPOSE 80
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
  CMD ["wget", "-q", "-O", "/dev/null", "http://127.0.0.1/"]
