# syntax=docker/dockerfile:1
# One image per function, all from this file: pick it with --target, e.g.
#   docker build --target processor -t skytrail-processor .
# Targets: producer, processor, sweeper, dashboard (dist/<name>.mjs) and migrate (dist/migrate.mjs
# plus db/migrations, for the cluster's migration Job). Every target runs as uid 1000 and writes
# nothing to its filesystem, so it runs with readOnlyRootFilesystem.

FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# Bundles every function into dist/<name>.mjs and the migration runner into dist/migrate.mjs.
RUN npm run build

FROM node:24-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps
# The image's `node` user; numeric so Kubernetes can verify runAsNonRoot.
USER 1000:1000
EXPOSE 8080

FROM runtime AS producer
COPY --from=build /src/dist/producer.mjs /src/dist/producer.mjs.map dist/
CMD ["node", "dist/producer.mjs"]

FROM runtime AS processor
COPY --from=build /src/dist/processor.mjs /src/dist/processor.mjs.map dist/
CMD ["node", "dist/processor.mjs"]

FROM runtime AS sweeper
COPY --from=build /src/dist/sweeper.mjs /src/dist/sweeper.mjs.map dist/
CMD ["node", "dist/sweeper.mjs"]

FROM runtime AS dashboard
COPY --from=build /src/dist/dashboard.mjs /src/dist/dashboard.mjs.map dist/
CMD ["node", "dist/dashboard.mjs"]

# shared/db/migrate.ts finds db/migrations next to dist/ (or MIGRATIONS_DIR).
FROM runtime AS migrate
COPY --from=build /src/dist/migrate.mjs /src/dist/migrate.mjs.map dist/
COPY --from=build /src/db/migrations db/migrations
CMD ["node", "dist/migrate.mjs"]
