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
import autocannon from 'autocannon';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { BENCH_EMAIL, BENCH_PASSWORD, BENCH_TAG, generateBenchData } from './generate-data.mjs';
import { freePort } from './free-port.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const databaseUrl = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/conduit_bench';
const duration = Number(process.env.BENCH_DURATION ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const only = process.env.BENCH_ONLY?.split(',');

const scenarios = [
  { name: 'list', path: '/api/articles?limit=20' },
  { name: 'list ?tag=', path: `/api/articles?tag=${BENCH_TAG}&limit=20` },
  { name: 'list ?author=', path: '/api/articles?author=bench42' },
  { name: 'list ?favorited=', path: '/api/articles?favorited=bench42' },
  { name: 'article', path: '/api/articles/bench-article-123' },
  { name: 'tags', path: '/api/tags' },
  { name: 'profile', path: '/api/profiles/bench42' },
  { name: 'list (signed in)', path: '/api/articles?limit=20', signedIn: true },
  { name: 'article (signed in)', path: '/api/articles/bench-article-123', signedIn: true },
  { name: 'feed (signed in)', path: '/api/articles/feed?limit=20', signedIn: true },
  { name: 'write: comment', path: '/api/articles/bench-article-5/comments', signedIn: true, method: 'POST', body: JSON.stringify({ comment: { body: 'Benchmark comment' } }) },
].filter((scenario) => !only || only.includes(scenario.name));

async function ensureDatabase() {
  const url = new URL(databaseUrl);
  const name = url.pathname.slice(1);
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  if (!rowCount) await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  execFileSync(process.execPath, [path.join(root, 'scripts/prisma-migrate.mjs'), 'deploy'], {
    env: { ...process.env, DATABASE_URL: databaseUrl },
    stdio: 'inherit',
  });
  await generateBenchData({ databaseUrl });
  // Fresh statistics and visibility map, as autovacuum would keep them on a live database
  // (migrations that rewrite rows leave neither).
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query('VACUUM ANALYZE');
  await client.end();
}

async function startApi(cacheEnabled) {
  const port = await freePort();
  const child = spawn(process.execPath, [process.env.BENCH_API_ENTRY ?? path.join(root, 'dist/src/main.js')], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      CACHE_ENABLED: String(cacheEnabled),
      JWT_SECRET: process.env.JWT_SECRET ?? 'bench-secret-bench-secret-bench-secret',
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 100; attempt += 1) {
    try {
      if ((await fetch(`${base}/api/tags`)).ok) return { base, child };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill('SIGKILL');
  throw new Error('the api did not start');
}

async function login(base) {
  const response = await fetch(`${base}/api/users/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: { email: BENCH_EMAIL, password: BENCH_PASSWORD } }),
  });
  if (!response.ok) throw new Error(`login failed: ${response.status}`);
  return (await response.json()).user.token;
}

function load(base, scenario, token) {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: `${base}${scenario.path}`,
        method: scenario.method ?? 'GET',
        body: scenario.body,
        headers: { 'content-type': 'application/json', ...(scenario.signedIn && { authorization: `Token ${token}` }) },
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
  await ensureDatabase();
  const cached = await startApi(true);
  const uncached = await startApi(false);
  try {
    const token = await login(cached.base);
    console.log(`\n${scenarios.length} scenarios, ${duration} s each per mode, ${connections} connections\n`);
    const rows = [];
    for (const scenario of scenarios) {
      // Warm the cache, so the cached figure measures hits (and the overlay for signed-in reads).
      await load(cached.base, { ...scenario, method: scenario.method }, token).catch(() => undefined);
      const on = summary(await load(cached.base, scenario, token));
      const off = summary(await load(uncached.base, scenario, token));
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
