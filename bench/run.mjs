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
//   BENCH_AGAINST        a git commit (or ref) to measure side by side in the same run, on the same
//                        data: it is built in $TMPDIR/conduit-bench-against-<sha> (a detached worktree
//                        sharing node_modules), and the table adds its figures and this commit's ratio to them
import { execFileSync } from 'node:child_process';
import { existsSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

/**
 * The commit `ref` built beside this checkout (kept between runs: a second run reuses it): a
 * detached worktree that shares node_modules, with its own Prisma client and dist.
 */
function buildAgainst(ref) {
  const sha = execFileSync('git', ['rev-parse', '--short', ref], { cwd: root, encoding: 'utf8' }).trim();
  // Outside the checkout, so that jest and the compiler never see a second copy of the sources.
  const dir = path.join(tmpdir(), `conduit-bench-against-${sha}`);
  const entry = path.join(dir, 'dist/src/main.js');
  if (existsSync(entry)) return { label: sha, entry };
  if (!existsSync(dir)) {
    execFileSync('git', ['worktree', 'add', '--detach', dir, sha], { cwd: root, stdio: 'inherit' });
  }
  if (!existsSync(path.join(dir, 'node_modules'))) symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  execFileSync('npm', ['run', 'prisma:generate'], { cwd: dir, stdio: 'inherit' });
  execFileSync('npm', ['run', 'build'], { cwd: dir, stdio: 'inherit' });
  return { label: sha, entry };
}

/** One build's pair of api processes: with the response cache and without. */
async function startPair(entry) {
  return {
    cached: await startBenchApi(databaseUrl, { CACHE_ENABLED: 'true' }, { entry }),
    uncached: await startBenchApi(databaseUrl, { CACHE_ENABLED: 'false' }, { entry }),
  };
}

/** One scenario on one pair: the cache warmed first, so that the cached figure measures hits (and the overlay for signed-in reads). */
async function measure(pair, scenario, context) {
  await load(pair.cached.base, scenario, context, { connections, duration }).catch(() => undefined);
  const on = summary(await load(pair.cached.base, scenario, context, { connections, duration }));
  const off = summary(await load(pair.uncached.base, scenario, context, { connections, duration }));
  return { on, off };
}

async function main() {
  if (!existsSync(path.join(root, 'dist/src/main.js'))) execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  const against = process.env.BENCH_AGAINST ? buildAgainst(process.env.BENCH_AGAINST) : undefined;
  await ensureBenchDatabase(databaseUrl);
  const pairs = [await startPair(path.join(root, 'dist/src/main.js'))];
  if (against) pairs.push(await startPair(against.entry));
  try {
    const slug = await findSlug(pairs[0].cached.base);
    const tokens = [];
    for (let n = 1; n <= SIGNED_IN_USERS; n += 1) tokens.push(await login(pairs[0].cached.base, n));
    console.log(`\n${scenarios.length} scenarios, ${duration} s each per mode, ${connections} connections, signed in as ${tokens.length} users in turn${against ? `, this checkout beside ${against.label}` : ''}\n`);
    const rows = [];
    for (const scenario of scenarios) {
      const context = { tokens, slug };
      const [current, baseline] = [await measure(pairs[0], scenario, context), pairs[1] && (await measure(pairs[1], scenario, context))];
      const row = {
        scenario: scenario.name,
        'cached req/s': Math.round(current.on.rps),
        'cached p99 ms': current.on.p99,
        'uncached req/s': Math.round(current.off.rps),
        'uncached p99 ms': current.off.p99,
        'speed-up': `${(current.on.rps / Math.max(current.off.rps, 1)).toFixed(1)}x`,
        failures: current.on.failures + current.off.failures + (baseline ? baseline.on.failures + baseline.off.failures : 0),
      };
      if (baseline) {
        Object.assign(row, {
          [`${against.label} cached req/s`]: Math.round(baseline.on.rps),
          [`${against.label} uncached req/s`]: Math.round(baseline.off.rps),
          'cached ratio': (current.on.rps / Math.max(baseline.on.rps, 1)).toFixed(2),
          'uncached ratio': (current.off.rps / Math.max(baseline.off.rps, 1)).toFixed(2),
        });
      }
      rows.push(row);
      console.log(`  ${scenario.name}: ${Math.round(current.on.rps)} vs ${Math.round(current.off.rps)} req/s${baseline ? ` (${against.label}: ${Math.round(baseline.on.rps)} vs ${Math.round(baseline.off.rps)})` : ''}`);
    }
    console.log();
    console.table(rows);
  } finally {
    for (const pair of pairs) {
      pair.cached.child.kill('SIGTERM');
      pair.uncached.child.kill('SIGTERM');
    }
  }
}

main().catch((error) => {
  console.error(`bench failed: ${error.message}`);
  process.exit(1);
});
