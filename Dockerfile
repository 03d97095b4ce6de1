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
# dependencies only) ; base -> runtime (prod-deps + build output). `npm run check:docker` checks this
# file statically (stages, copied paths, .dockerignore, the commands docker-compose.yml runs).
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
RUN npm ci --ignore-scripts

# Production dependencies only, for the runtime image.
# `--omit=optional` as well as `--omit=dev`: Prisma's CLI and TypeScript are optional peers of
# @prisma/client, which the lockfile marks "devOptional", and `--omit=dev` alone would ship them
# (about 250 MB). The one production optional package today is pg-cloudflare (Cloudflare Workers
# only); check-docker fails if another one appears, as this flag would then leave it out.
# sharp's prebuilt binaries are such optional packages, one per platform: they are installed on
# their own, for the platform the image is built for, at the locked sharp version.
FROM base AS prod-deps
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --ignore-scripts
RUN version=$(node -p "require('./node_modules/sharp/package.json').version") \
 && mkdir /tmp/sharp && cd /tmp/sharp \
 && npm install --no-save --no-package-lock --ignore-scripts --no-audit --no-fund "sharp@$version" \
 && cp -R node_modules/@img /app/node_modules/ \
 && rm -rf /tmp/sharp

# Compile: `npm run build` runs `prisma:generate` (with the stub engine, offline) then `nest build`.
FROM deps AS build
COPY tsconfig.json tsconfig.build.json nest-cli.json prisma.config.ts ./
# The Nest CLI loads the collection nest-cli.json names (the link node_modules/conduit-schematics) even to build.
COPY schematics ./schematics
COPY scripts ./scripts
COPY prisma ./prisma
COPY src ./src
RUN npm run build

# The image that runs. Code and dependencies belong to root and are read-only for the `node` user
# that runs the processes.
FROM base AS runtime
ENV NODE_ENV=production \
    PORT=3000
COPY --from=prod-deps /app/node_modules ./node_modules
# package.json for `npm run ...`; scripts/ and prisma/ (schema and migrations) for the migration
# script, which compose runs as a one-shot service, never at api start.
COPY package.json ./
COPY scripts ./scripts
COPY prisma ./prisma
COPY --from=build /app/dist ./dist
# The one folder the processes write: uploaded images (a volume in compose, owned by `node`).
RUN mkdir -p /var/lib/conduit/storage && chown node:node /var/lib/conduit/storage
# `cli <command>` on the PATH: the command line (src/cli.ts) without spelling out node and dist/.
COPY --chmod=755 docker/cli /usr/local/bin/cli
USER node
EXPOSE 3000
# No HEALTHCHECK here: the same image runs the worker and one-shot commands, which serve no HTTP.
# docker-compose.yml gives the api service its health check.
CMD ["node", "dist/src/main.js"]
