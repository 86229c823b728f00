# syntax=docker/dockerfile:1.7
# One image recipe for every service:  docker build --build-arg SERVICE=catalog -t catalog .
# Stage 1 bundles the service with esbuild (npm run build); stage 2 is a distroless Node 24
# runtime holding only what `dist/` has for it: the bundle and its migrations, the protos
# grpc-js reads at run time, and the native packages a bundle cannot contain.

ARG NODE_VERSION=24.21.0

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
ARG SERVICE
RUN test -n "${SERVICE}" || (echo "pass --build-arg SERVICE=<name>" >&2 && exit 1)
RUN npm run build -- "${SERVICE}" \
 && mkdir -p /out/app/services \
 && cp -r "dist/services/${SERVICE}" /out/app/services/current \
 && cp -r dist/proto dist/node_modules /out/app/

FROM gcr.io/distroless/nodejs24-debian12:nonroot AS runtime
WORKDIR /app
COPY --from=build /out/app /app
# Aurora's certificates chain to the RDS CAs, which Node does not carry: the services
# connect with sslmode=verify-full, so the image trusts AWS's published bundle as well.
ADD --chmod=444 https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem /app/certs/rds-global-bundle.pem
# The non-root uid the pod's securityContext runs as. Nothing is written at run time: the
# pod mounts the root filesystem read-only with an emptyDir on /tmp.
USER 10001:10001
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    NODE_EXTRA_CA_CERTS=/app/certs/rds-global-bundle.pem \
    NODE_OPTIONS="--enable-source-maps --max-semi-space-size=8"
# V8 flags NODE_OPTIONS refuses go on the command line (local/processes.ts says why each).
ENTRYPOINT ["/nodejs/bin/node", "--single-threaded-gc", "/app/services/current/main.mjs"]
