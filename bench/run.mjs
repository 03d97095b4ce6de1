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
import autocannon from 'autocannon';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_DATABASE_URL, ensureBenchDatabase, startBenchApi } from './bench-setup.mjs';
import { BENCH_PASSWORD, BENCH_TAG, benchEmail, benchUsername } from './generate-data.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const databaseUrl = BENCH_DATABASE_URL;
const duration = Number(process.env.BENCH_DURATION ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const only = process.env.BENCH_ONLY?.split(',');

const author = benchUsername(42);
/** `{slug}` stands for a published article of the data set, looked up when the api is up. */
const scenarios = [
  { name: 'list', path: '/api/articles?limit=20' },
  { name: 'list ?tag=', path: `/api/articles?tag=${BENCH_TAG}&limit=20` },
  { name: 'list ?author=', path: `/api/articles?author=${author}` },
  { name: 'list ?favorited=', path: `/api/articles?favorited=${author}` },
  { name: 'article', path: '/api/articles/{slug}' },
  { name: 'tags', path: '/api/tags' },
  { name: 'profile', path: `/api/profiles/${author}` },
  { name: 'list (signed in)', path: '/api/articles?limit=20', signedIn: true },
  { name: 'article (signed in)', path: '/api/articles/{slug}', signedIn: true },
  { name: 'feed (signed in)', path: '/api/articles/feed?limit=20', signedIn: true },
  { name: 'write: comment', path: '/api/articles/{slug}/comments', signedIn: true, method: 'POST', body: JSON.stringify({ comment: { body: 'Benchmark comment' } }) },
].filter((scenario) => !only || only.includes(scenario.name));

/** Signed-in scenarios rotate through this many bench users, so per-viewer caching is not flattered. */
const SIGNED_IN_USERS = Number(process.env.BENCH_USERS ?? 25);

async function login(base, n) {
  const response = await fetch(`${base}/api/users/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: { email: benchEmail(n), password: BENCH_PASSWORD } }),
  });
  if (!response.ok) throw new Error(`login failed: ${response.status}`);
  return (await response.json()).user.token;
}

function load(base, scenario, tokens, slug) {
  let next = 0;
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: `${base}${scenario.path.replace('{slug}', slug)}`,
        method: scenario.method ?? 'GET',
        body: scenario.body,
        headers: { 'content-type': 'application/json' },
        // Each signed-in request signs in as the next bench user in turn.
        requests: [
          {
            setupRequest: (request) =>
              scenario.signedIn ? { ...request, headers: { ...request.headers, authorization: `Token ${tokens[next++ % tokens.length]}` } } : request,
          },
        ],
        connections,
        duration,
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
}

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
    const listed = await (await fetch(`${cached.base}/api/articles?author=${author}&limit=1`)).json();
    const slug = listed.articles?.[0]?.slug;
    if (!slug) throw new Error(`the bench data has no published article by ${author}: drop the bench database and run again`);
    const tokens = [];
    for (let n = 1; n <= SIGNED_IN_USERS; n += 1) tokens.push(await login(cached.base, n));
    console.log(`\n${scenarios.length} scenarios, ${duration} s each per mode, ${connections} connections, signed in as ${tokens.length} users in turn\n`);
    const rows = [];
    for (const scenario of scenarios) {
      // Warm the cache, so the cached figure measures hits (and the overlay for signed-in reads).
      await load(cached.base, scenario, tokens, slug).catch(() => undefined);
      const on = summary(await load(cached.base, scenario, tokens, slug));
      const off = summary(await load(uncached.base, scenario, tokens, slug));
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
