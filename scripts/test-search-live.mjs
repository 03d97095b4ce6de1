#!/usr/bin/env node
// The search suites live on a real engine (`npm run test:search-live -- <engine> [jest options]`):
//
//   node scripts/test-search-live.mjs elasticsearch --json --outputFile=...
//
// One node of the engine (test/helpers/search-node.ts: the test distribution from Maven Central,
// Java 17) is started once by Jest's global setup and shared by every suite below; each suite runs
// on PostgreSQL and on that engine. Without Java or Maven, it says so in one line and stops, with
// success on a developer's machine and with failure when CI=true (nothing live is skipped in CI).
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SUITES = ['test/e2e/search.e2e-spec.ts', 'test/e2e/feature-documents.e2e-spec.ts', 'test/e2e/request-log-sink.e2e-spec.ts'];
const [engine, ...jestArgs] = process.argv.slice(2);
if (!['elasticsearch', 'opensearch'].includes(engine)) {
  console.error('usage: node scripts/test-search-live.mjs elasticsearch|opensearch [jest options]');
  process.exit(2);
}

const missing = ['java', 'mvn'].filter((tool) => spawnSync(tool, [tool === 'java' ? '-version' : '-v'], { stdio: 'ignore' }).error);
if (missing.length > 0) {
  const ci = ['true', '1'].includes((process.env.CI ?? '').toLowerCase());
  console.log(`search-live: the live ${engine} suite did NOT run: no ${missing.join(' and no ')} on this machine (install OpenJDK 17 and Maven)${ci ? '; CI=true, so this fails' : ''}`);
  process.exit(ci ? 1 : 0);
}

const child = spawn(
  'npm',
  [
    'run',
    'test:e2e',
    '--',
    '--globalSetup=<rootDir>/test/helpers/search-live.global-setup.ts',
    '--globalTeardown=<rootDir>/test/helpers/search-live.global-teardown.ts',
    ...jestArgs,
    ...SUITES,
  ],
  { cwd: root, stdio: 'inherit', env: { ...process.env, SEARCH_LIVE_ENGINE: engine } },
);
child.on('exit', (code) => process.exit(code ?? 1));
