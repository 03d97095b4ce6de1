#!/usr/bin/env node
// `npm run bench:search`: latency of the search API on the benchmark data set (10,000 users,
// 100,000 articles, see generate-data.mjs) with the configured engine (PostgreSQL full-text search
// unless ELASTICSEARCH_NODE is set). Search answers are never cached, so one api process serves.
// Prints p50/p99 latency and requests/s per scenario, with one client and with several.
//
//   BENCH_DATABASE_URL   database to use (default: postgresql://postgres@127.0.0.1:5432/conduit_bench);
//                        created, migrated and filled when empty
//   BENCH_DURATION       seconds per scenario and concurrency (default 10)
//   BENCH_CONNECTIONS    comma-separated concurrencies (default 1,10)
import autocannon from 'autocannon';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { BENCH_DATABASE_URL, ensureBenchDatabase, startBenchApi } from './bench-setup.mjs';
import { BENCH_TAG, benchUsername } from './generate-data.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const databaseUrl = BENCH_DATABASE_URL;
const duration = Number(process.env.BENCH_DURATION ?? 10);
const concurrencies = (process.env.BENCH_CONNECTIONS ?? '1,10').split(',').map(Number);

// The generated articles draw their words from one vocabulary (src/cli/seed/data-generator.ts):
// a word of it is in most articles; a title's number is in one.
const scenarios = [
  { name: 'common word', path: '/api/search/articles?q=cache' },
  { name: 'rare word', path: '/api/search/articles?q=54321' },
  { name: 'phrase', path: `/api/search/articles?q=${encodeURIComponent('"robust cache"')}` },
  { name: 'word + tag', path: `/api/search/articles?q=latency&tag=${BENCH_TAG}` },
  { name: 'word + author', path: `/api/search/articles?q=cache&author=${benchUsername(42)}` },
  { name: 'trending tags (7 days)', path: '/api/search/tags/trending?days=7' },
];

async function countPublished() {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const { rows } = await client.query('SELECT count(*)::int AS published FROM articles WHERE published_at IS NOT NULL');
  await client.end();
  return rows[0].published;
}

function load(url, connections) {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections, duration }, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

async function main() {
  if (!existsSync(path.join(root, 'dist/src/main.js'))) execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  await ensureBenchDatabase(databaseUrl);
  const published = await countPublished();
  if (published === 0) throw new Error('the bench data has no published article: drop the bench database and run again');
  console.log(`${published} published articles`);
  const api = await startBenchApi(databaseUrl);
  try {
    const rows = [];
    for (const scenario of scenarios) {
      // One request first: what it finds, so the figures are about real answers.
      const body = await (await fetch(`${api.base}${scenario.path}`)).json();
      const found = body.articlesCount !== undefined ? `${body.articlesCount} articles` : `${body.tags?.length} tags`;
      for (const connections of concurrencies) {
        const result = await load(`${api.base}${scenario.path}`, connections);
        rows.push({
          scenario: scenario.name,
          finds: found,
          clients: connections,
          'p50 ms': result.latency.p50,
          'p99 ms': result.latency.p99,
          'req/s': Math.round(result.requests.average),
          failures: result.non2xx + result.errors + result.timeouts,
        });
        console.log(`  ${scenario.name} (${found}), ${connections} client(s): p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms`);
      }
    }
    console.log();
    console.table(rows);
  } finally {
    api.child.kill('SIGTERM');
  }
}

main().catch((error) => {
  console.error(`search bench failed: ${error.message}`);
  process.exit(1);
});
