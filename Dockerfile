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
# kafkajs trips a harmless warning on every request timer under Node 24 (tulios/kafkajs#1751).
ENV NODE_ENV=production \
    NODE_OPTIONS="--enable-source-maps --disable-warning=TimeoutNegativeWarning"
# The image's `node` user; numeric so Kubernetes can verify runAsNonRoot.
USER 1000:1000
EXPOSE 8080

FROM runtime AS producer
COPY --from=build /src/dist/producer.mjs /src/dist/producer.mjs.map dist/
CMD ["node", "dist/producer.mjs"]

FROM runtime AS processor
COPY --from=build /src/dist/processor.mjs /src/dist/processor.mjs.map dist/
# A 10,000-state delivery allocates about 10 MB that lives until its commit, so much of it is
# promoted to the old generation. V8's defaults then let the heap grow the process past 250 MB
# before collecting it; small semi-spaces and 50 % heap growth steps keep it under 140 MB without
# a hard heap limit that concurrent large deliveries could hit. Against 4 MB and 20 %, which ran a
# full mark-compact during nearly every delivery, three paired runs of 100 deliveries took
# 161-180 ms instead of 175-194 at the median and 186-199 instead of 195-241 at p99, for a peak
# RSS of 127-139 MB instead of 121-124 (bench/processor.ts starts the bundle with these flags,
# read from here).
CMD ["node", "--max-semi-space-size=8", "--heap-growing-percent=50", "dist/processor.mjs"]

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
