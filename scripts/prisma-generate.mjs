#!/usr/bin/env node
// `prisma generate` without Prisma's native schema engine, which the CLI would otherwise try to
// download (and cannot, behind a firewall). Generation does not use the engine, so a stub stands in.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const env = {
  ...process.env,
  PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? path.join(root, 'scripts/schema-engine-stub'),
  PRISMA_HIDE_UPDATE_MESSAGE: '1',
  // generate never connects; prisma.config.ts still asks for a URL.
  DATABASE_URL: process.env.DATABASE_URL ?? 'postgresql://localhost:5432/unused',
};
const result = spawnSync(process.execPath, [path.join(root, 'node_modules/prisma/build/index.js'), 'generate'], {
  cwd: root,
  env,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
