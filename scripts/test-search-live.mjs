#!/usr/bin/env node
// The search suites live on a real engine (`npm run test:search-live -- <engine> [jest options]`):
//
//   node scripts/test-search-live.mjs elasticsearch --json --outputFile=...
//
//   node scripts/test-search-live.mjs opensearch test/e2e/request-log-sink    (one of the suites)
//
// One node of the engine (test/helpers/search-node.ts: the test distribution from Maven Central,
// Java 17) is started once by Jest's global setup and shared by every suite below; each suite runs
// on PostgreSQL and on that engine. Without Java or Maven, it says so in one line and stops, with
// success on a developer's machine and with failure when CI=true (nothing live is skipped in CI).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { missingSearchNodeTools } from '../test/helpers/search-node-launcher.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SUITES = ['test/e2e/search.e2e-spec.ts', 'test/e2e/feature-documents.e2e-spec.ts', 'test/e2e/request-log-sink.e2e-spec.ts'];
const [engine, ...args] = process.argv.slice(2);
// A word that names some of the suites runs those alone (Jest would run every suite given and every one it matches).
const isSelector = (arg) => !arg.startsWith('-') && SUITES.some((suite) => suite.includes(arg));
const selected = args.filter(isSelector);
const jestArgs = args.filter((arg) => !isSelector(arg));
const suites = selected.length > 0 ? SUITES.filter((suite) => selected.some((arg) => suite.includes(arg))) : SUITES;
if (!['elasticsearch', 'opensearch'].includes(engine)) {
  console.error('usage: node scripts/test-search-live.mjs elasticsearch|opensearch [suite ...] [jest options]');
  process.exit(2);
}

const missing = missingSearchNodeTools();
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
    ...suites,
  ],
  { cwd: root, stdio: 'inherit', env: { ...process.env, SEARCH_LIVE_ENGINE: engine } },
);
child.on('exit', (code) => process.exit(code ?? 1));
