#!/usr/bin/env node
// The OpenAPI contract suites (test/contract/*.e2e-spec.ts) and the RealWorld Postman collection
// (scripts/run-newman.mjs, through test/replicas/newman.replicas-spec.ts) with read replicas on:
//
//   npm run test:replicas [-- jest options]
//
// Jest's `replicas` project (jest.config.js) starts, in its global setup, a throwaway PostgreSQL
// primary and a streaming replica of it (`pg_basebackup -R`, a second `postgres`:
// test/helpers/postgres-replica.ts), and runs every suite with DATABASE_URL naming the primary and
// DATABASE_REPLICA_URLS the replica. The teardown says how many statements the replica ran. Needs
// the PostgreSQL server binaries (initdb, pg_basebackup, postgres) that the drills use; builds
// dist/ first when there is no build (newman runs the built server). Prints the time taken.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TEST_JWT_SECRET = 'test-only-jwt-secret-not-for-any-real-deployment-0123456789';

if (!existsSync(path.join(root, 'dist/src/main.js'))) {
  console.log('test-replicas: no build in dist/; running npm run build');
  if (spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' }).status !== 0) process.exit(1);
}

const started = performance.now();
const child = spawn(
  process.execPath,
  ['--experimental-vm-modules', path.join(root, 'node_modules/jest/bin/jest.js'), '--selectProjects', 'replicas', '--runInBand', '--testTimeout=30000', ...process.argv.slice(2)],
  {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, NODE_ENV: 'test', JWT_SECRET: process.env.JWT_SECRET || TEST_JWT_SECRET },
  },
);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code) => {
  console.log(`test-replicas: ${code === 0 ? 'passed' : 'FAILED'} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  process.exit(code ?? 1);
});
