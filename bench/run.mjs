#!/usr/bin/env node
// `npm run bench`: load scenarios with autocannon against two api processes on the same data,
// one with the response cache and one without (CACHE_ENABLED=false), measured in one run.
// Prints requests/s and p99 latency for each, and the cached/uncached ratio.
//
//   BENCH_DATABASE_URL   database to use (default: postgresql://postgres@127.0.0.1:5432/conduit_bench);
//                        created, migrated and filled with bench/generate-data.mjs when empty
//   BENCH_DURATION       seconds per scenario and mode (default 10)
//   BENCH_CONNECTIONS    concurrent connections (default 50)
//   BENCH_ONLY           comma-separated scenario names to run
//   BENCH_USERS          signed-in scenarios rotate through this many users' tokens (default 25)
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_DATABASE_URL, ensureBenchDatabase, startBenchApi } from './bench-setup.mjs';
import { findSlug, load, login, SCENARIOS } from './scenarios.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const databaseUrl = BENCH_DATABASE_URL;
const duration = Number(process.env.BENCH_DURATION ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const only = process.env.BENCH_ONLY?.split(',');

/**
 * Articles and favorites are left to bench/capacity.mjs: they are never cached, and each run here
 * would add thousands of rows to the data set that the next comparison reads.
 */
const scenarios = SCENARIOS.filter((scenario) => !['write: article', 'write: favorite'].includes(scenario.name)).filter(
  (scenario) => !only || only.includes(scenario.name),
);

/** Signed-in scenarios rotate through this many bench users, so per-viewer caching is not flattered. */
const SIGNED_IN_USERS = Number(process.env.BENCH_USERS ?? 25);

function summary(result) {
  const failures = result.non2xx + result.errors + result.timeouts;
  return { rps: result.requests.average, p99: result.latency.p99, failures };
}

async function main() {
  if (!existsSync(path.join(root, 'dist/src/main.js'))) execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  await ensureBenchDatabase(databaseUrl);
  const cached = await startBenchApi(databaseUrl, { CACHE_ENABLED: 'true' });
  const uncached = await startBenchApi(databaseUrl, { CACHE_ENABLED: 'false' });
  try {
    const slug = await findSlug(cached.base);
    const tokens = [];
    for (let n = 1; n <= SIGNED_IN_USERS; n += 1) tokens.push(await login(cached.base, n));
    console.log(`\n${scenarios.length} scenarios, ${duration} s each per mode, ${connections} connections, signed in as ${tokens.length} users in turn\n`);
    const rows = [];
    for (const scenario of scenarios) {
      // Warm the cache, so the cached figure measures hits (and the overlay for signed-in reads).
      const context = { tokens, slug };
      await load(cached.base, scenario, context, { connections, duration }).catch(() => undefined);
      const on = summary(await load(cached.base, scenario, context, { connections, duration }));
      const off = summary(await load(uncached.base, scenario, context, { connections, duration }));
      rows.push({
        scenario: scenario.name,
        'cached req/s': Math.round(on.rps),
        'cached p99 ms': on.p99,
        'uncached req/s': Math.round(off.rps),
        'uncached p99 ms': off.p99,
        'speed-up': `${(on.rps / Math.max(off.rps, 1)).toFixed(1)}x`,
        failures: on.failures + off.failures,
      });
      console.log(`  ${scenario.name}: ${Math.round(on.rps)} vs ${Math.round(off.rps)} req/s`);
    }
    console.log();
    console.table(rows);
  } finally {
    cached.child.kill('SIGTERM');
    uncached.child.kill('SIGTERM');
  }
}

main().catch((error) => {
  console.error(`bench failed: ${error.message}`);
  process.exit(1);
});
