#!/usr/bin/env node
// What the container tier cannot show about the Docker set-up (`npm run check:docker`).
//
// `npm run test:containers` builds the image from the Dockerfile and runs docker-compose.yml for
// real: stages, copied paths, .dockerignore, commands, settings, health checks and depends_on are
// proven there. What one run cannot show, because the journey may never reach the code that
// needs it, is checked here from the lockfile and the two files:
//
//   - every production optional dependency that `npm ci --omit=optional` leaves out is one the
//     image does without (a new one would be missing only on the path that loads it);
//   - every install script that `npm ci --ignore-scripts` skips is one the image does without;
//   - Redis keeps BullMQ's keys: append-only persistence and no eviction (a short run never
//     restarts Redis nor fills its memory).
//
//   node scripts/check-docker.mjs [--root <dir>]
//
// Prints one line per check (`ok ...` or `FAIL ...: why`); exits 1 if any failed.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import yaml from 'js-yaml';

const { values } = parseArgs({ options: { root: { type: 'string' } } });
const root = path.resolve(values.root ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..'));

/** Production optional packages `--omit=optional` may leave out, and why the image does without them. */
const OPTIONAL_PACKAGES_NOT_NEEDED = {
  '@emnapi/runtime': 'used by the WebAssembly build of sharp only (the image has a native one)',
  'pg-cloudflare': 'used by pg on Cloudflare Workers only',
  // BullMQ's msgpackr uses these native decoders when present and pure JavaScript otherwise.
  'msgpackr-extract': 'a speed-up for msgpackr (BullMQ); it falls back to JavaScript',
  'node-gyp-build-optional-packages': 'loader of msgpackr-extract only',
};
/** sharp's prebuilt binaries: the Dockerfile installs its own platform's into node_modules/@img. */
const SHARP_BINARIES = /^@img\/sharp-/;
/** Optional native binaries of msgpackr-extract, one per platform (see above). */
const MSGPACKR_BINARIES = /^@msgpackr-extract\/msgpackr-extract-/;

/** Packages whose install scripts `npm ci --ignore-scripts` may skip, and why that is safe. */
const INSTALL_SCRIPTS_NOT_NEEDED = {
  argon2: 'ships prebuilt binaries (linux-x64 glibc); its script only rebuilds when none fits',
  '@scarf/scarf': 'an install-time analytics ping',
  node: 'fetches the Node binary pinned for laptops and CI; the image runs its own Node 24',
  prisma: 'checks the Node version only',
  '@prisma/engines': 'downloads native engines the project does not use (scripts/prisma-*.mjs)',
  '@parcel/watcher': 'file watching for `nest start --watch`, not used by `nest build`',
  'msgpackr-extract': 'builds an optional native speed-up for msgpackr (BullMQ), which works without it',
};

const packageName = (key) => key.replace(/^.*node_modules\//, '');
const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');
const compose = yaml.load(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'));
const packages = Object.entries(lock.packages ?? {}).filter(([key]) => key);
const installs = [...dockerfile.matchAll(/npm ci\b[^\n&]*/g)].map(([command]) => command);

let failures = 0;
function check(name, problems) {
  failures += problems.length ? 1 : 0;
  console.log(problems.length ? `FAIL ${name}:\n  - ${problems.join('\n  - ')}` : `ok   ${name}`);
}

const omitsOptional = installs.some((command) => /--omit[= ]optional\b/.test(command));
check(
  'Dockerfile: the optional packages --omit=optional leaves out are not needed',
  omitsOptional
    ? packages
        .filter(([, entry]) => entry.optional && !entry.dev && !entry.devOptional)
        .map(([key]) => packageName(key))
        .filter((name) => !OPTIONAL_PACKAGES_NOT_NEEDED[name] && !SHARP_BINARIES.test(name) && !MSGPACKR_BINARIES.test(name))
        .map((name) => `${name} is a production optional dependency (drop the flag, or list it in OPTIONAL_PACKAGES_NOT_NEEDED with the reason)`)
    : [],
);

const ignoresScripts = installs.some((command) => /--ignore-scripts\b/.test(command));
check(
  'Dockerfile: the install scripts --ignore-scripts skips are not needed',
  ignoresScripts
    ? packages
        .filter(([key, entry]) => entry.hasInstallScript && !INSTALL_SCRIPTS_NOT_NEEDED[packageName(key)])
        .map(([key]) => `${packageName(key)} has an install script (check the image does without it, then list it in INSTALL_SCRIPTS_NOT_NEEDED)`)
    : [],
);

const redisCommand = [compose.services?.redis?.command ?? []].flat().join(' ');
check('docker-compose.yml: Redis keeps BullMQ keys (append-only, no eviction)', [
  ...(/--appendonly yes\b/.test(redisCommand) ? [] : ['redis must run with --appendonly yes (queued jobs survive a restart)']),
  ...(/--maxmemory-policy noeviction\b/.test(redisCommand) ? [] : ['redis must run with --maxmemory-policy noeviction (BullMQ keys are never evicted)']),
]);

console.log(failures ? `check-docker: ${failures} failed` : 'check-docker: all passed');
process.exit(failures ? 1 : 0);
