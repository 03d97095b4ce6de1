# Conduit: one image for every process (api, worker, cli, migrations).
#
#   docker build -t conduit .
#   docker run conduit                                # the api (default CMD: node dist/src/main.js)
#   docker run conduit npm run db:migrate             # apply pending migrations, then exit
#   docker run conduit node dist/src/worker.js        # the worker
#   docker run conduit cli <command>                  # one-shot commands (docker/cli runs dist/src/cli.js)
#   docker compose run --rm api cli db:check          # the same, with the compose stack's settings
#
# Stages: base -> deps (every dependency) -> build (compile) ; base -> prod-deps (production
# dependencies only, pruned) ; base -> runtime (prod-deps + build output). `npm run
# test:containers` builds this file, runs the compose stack and drives a journey through it.
#
# Layer caching: the dependency stages copy only package.json and package-lock.json, so a change
# to the sources rebuilds only the compile step and the runtime's last layers; npm's download
# cache is a BuildKit cache mount, so a lockfile change does not download everything again.
#
# Node: the image's own Node 24 runs everything. The project pins Node with the `node` npm package
# (a devDependency whose install script fetches the Node binary); `--ignore-scripts` skips that
# download, so no `node_modules/.bin/node` shadows the image's node. It also skips the other
# install scripts, none of which the image needs: argon2 ships prebuilt binaries (glibc, which
# this Debian-based image has) and Prisma's engines are not used (see scripts/prisma-*.mjs).

FROM node:24-slim AS base
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

# Every dependency, dev ones included: the build needs the Nest CLI, TypeScript and Prisma's CLI.
FROM base AS deps
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts

# Production dependencies only, for the runtime image.
# `--omit=optional` as well as `--omit=dev`: Prisma's CLI and TypeScript are optional peers of
# @prisma/client, which the lockfile marks "devOptional", and `--omit=dev` alone would ship them
# (about 250 MB). The one production optional package today is pg-cloudflare (Cloudflare Workers
# only), which this flag rightly leaves out; the container journey fails if another is missed.
# sharp's prebuilt binaries are such optional packages, one per platform: they are installed on
# their own, for the platform the image is built for, at the locked sharp version.
FROM base AS prod-deps
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --omit=optional --ignore-scripts
RUN --mount=type=cache,target=/root/.npm version=$(node -p "require('./node_modules/sharp/package.json').version") \
 && mkdir /tmp/sharp && cd /tmp/sharp \
 && npm install --no-save --no-package-lock --ignore-scripts --no-audit --no-fund "sharp@$version" \
 && cp -R node_modules/@img /app/node_modules/ \
 && rm -rf /tmp/sharp
# What nothing runs: source maps, type declarations, and Prisma's query compilers for the other
# databases (the generated client loads the PostgreSQL one only, about 60 MB of the rest).
RUN find node_modules -type f \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.tsbuildinfo' \) -delete \
 && find node_modules/@prisma/client/runtime -name 'query_compiler_*' ! -name 'query_compiler_fast_bg.postgresql.js' ! -name 'query_compiler_fast_bg.postgresql.wasm-base64.js' -delete

# Compile: `npm run build` runs `prisma:generate` (with the stub engine, offline) then `nest build`.
FROM deps AS build
COPY tsconfig.json tsconfig.build.json nest-cli.json prisma.config.ts ./
# The Nest CLI loads the collection nest-cli.json names (the link node_modules/conduit-schematics) even to build.
COPY schematics ./schematics
COPY scripts ./scripts
COPY prisma ./prisma
COPY src ./src
RUN npm run build && find dist -name '*.map' -delete

# The image that runs. Code and dependencies belong to root and are read-only for the `node` user
# that runs the processes; the root filesystem may be mounted read-only (compose does): the
# processes write only under /var/lib/conduit (volumes) and /tmp.
FROM base AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    STORAGE_LOCAL_DIR=/var/lib/conduit/storage \
    MAIL_DIR=/var/lib/conduit/mail
# The folders the processes write: uploaded images and, without MAIL_URL, mail files (volumes in
# compose, owned by `node`). The defaults of a checkout (var/...) would point under /app.
RUN mkdir -p /var/lib/conduit/storage /var/lib/conduit/mail && chown -R node:node /var/lib/conduit
COPY --from=prod-deps /app/node_modules ./node_modules
# package.json for `npm run ...`; the migration script and prisma/ (schema and migrations), which
# compose runs as a one-shot service, never at api start.
COPY package.json ./
COPY scripts/prisma-migrate.mjs ./scripts/
COPY prisma ./prisma
# `cli <command>` on the PATH (src/cli.ts without spelling out node and dist/), and the health check.
COPY --chmod=755 docker/cli /usr/local/bin/cli
COPY docker/healthcheck.mjs ./docker/
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000
# The api's readiness (/health/ready on $PORT). The same image runs the worker and one-shot
# commands, which serve no HTTP: for them the check passes (see docker/healthcheck.mjs).
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=5 CMD ["node", "/app/docker/healthcheck.mjs"]
# PID 1: node itself when run without --init (compose sets init: true). The api and the worker
# handle SIGTERM and SIGINT themselves and exit with 0 once their work in hand is done.
CMD ["node", "dist/src/main.js"]
