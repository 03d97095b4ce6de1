#!/usr/bin/env node
// `npm run bench:search`: the search API on the benchmark data set (10,000 users, 100,000
// articles, see generate-data.mjs), every engine side by side in one run: PostgreSQL full-text
// search, Elasticsearch 8.14 and OpenSearch 2.19. Each search node is started by the bench itself
// (test/helpers/search-node-launcher.mjs, as the live test suites start theirs: Maven Central's
// test distributions on Java 17) and removed afterwards. For each engine: a full
// `search:reindex` (the command line, dist/src/cli.js) timed, then p50, p99 and requests/s per
// scenario with one client and with ten. Prints one table (scenario and clients by engine) and the
// reindex times, and writes them to .tmp/bench/search.json. Search answers are never cached, so
// one api process serves. A machine without java or mvn says so in one line and skips the nodes.
//
//   BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/conduit_bench_search BENCH_DURATION=5 npm run bench:search
//
//   BENCH_DATABASE_URL   database to use (default: postgresql://postgres@127.0.0.1:5432/conduit_bench);
//                        created, migrated and filled when empty
//   BENCH_DURATION       seconds per scenario, concurrency and engine (default 10)
//   BENCH_WARMUP         seconds of load before each scenario's figures (default 2)
//   BENCH_CONNECTIONS    comma-separated concurrencies (default 1,10)
//   BENCH_ENGINES        comma-separated engines (default postgres,elasticsearch,opensearch)
//   BENCH_NODE_JAVA_OPTS the search nodes' JVM options (default -Xms1g -Xmx1g)
//   TEST_PORT_RANGE   keep every port the bench picks within a range, e.g. 7100-7199
import autocannon from 'autocannon';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { missingSearchNodeTools, startSearchNode } from '../test/helpers/search-node-launcher.mjs';
import { BENCH_DATABASE_URL, ensureBenchDatabase, startBenchApi, startThrowawayRedis } from './bench-setup.mjs';
import { BENCH_TAG, benchUsername } from './generate-data.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const databaseUrl = BENCH_DATABASE_URL;
const duration = Number(process.env.BENCH_DURATION ?? 10);
const warmup = Number(process.env.BENCH_WARMUP ?? 2);
const concurrencies = (process.env.BENCH_CONNECTIONS ?? '1,10').split(',').map(Number);
const ENGINES = {
  postgres: { title: 'PostgreSQL', node: false },
  elasticsearch: { title: 'Elasticsearch', node: true },
  opensearch: { title: 'OpenSearch', node: true },
};
const engines = (process.env.BENCH_ENGINES ?? Object.keys(ENGINES).join(',')).split(',').map((name) => name.trim());
const javaOptions = process.env.BENCH_NODE_JAVA_OPTS ?? '-Xms1g -Xmx1g';
const OUTPUT = path.join(root, '.tmp', 'bench', 'search.json');

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

function load(url, connections, seconds) {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections, duration: seconds }, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

/** `search:reindex --json` through the command line on `env`; resolves to its report and wall time. */
function reindex(env) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [path.join(root, 'dist/src/cli.js'), 'search:reindex', '--json'], {
      env: { ...process.env, ...env, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('exit', (code) => {
      const seconds = (performance.now() - started) / 1000;
      if (code !== 0) return reject(new Error(`search:reindex exited with ${code}:\n${stdout}\n${stderr}`));
      try {
        resolve({ seconds, report: JSON.parse(stdout.slice(stdout.indexOf('{'))) });
      } catch {
        reject(new Error(`search:reindex printed no JSON report:\n${stdout}\n${stderr}`));
      }
    });
  });
}

/** What one engine scores: its reindex, then every scenario at every concurrency. */
async function benchEngine(engine, baseEnv) {
  const { title } = ENGINES[engine];
  let node;
  const result = { engine, title, version: undefined, nodeStartSeconds: undefined, reindex: undefined, scenarios: [] };
  try {
    let env = { ...baseEnv, SEARCH_ENGINE: engine };
    if (ENGINES[engine].node) {
      node = await startSearchNode(engine, { javaOptions });
      console.log(`${title} ${node.version} answers on ${node.url} after ${node.startSeconds.toFixed(1)} s`);
      result.version = node.version;
      result.nodeStartSeconds = Number(node.startSeconds.toFixed(1));
      env = { ...env, ...(engine === 'opensearch' ? { OPENSEARCH_NODE: node.url } : { ELASTICSEARCH_NODE: node.url }) };
    }
    const { seconds, report } = await reindex(env);
    result.reindex = { seconds: Number(seconds.toFixed(1)), documents: report.documents, index: report.index, inSync: report.catchUp.inSync };
    console.log(`${title}: search:reindex of ${report.documents} documents in ${seconds.toFixed(1)} s (index ${report.index}, ${report.catchUp.inSync ? 'in sync' : 'DRIFT LEFT'})`);
    const api = await startBenchApi(databaseUrl, env);
    try {
      for (const scenario of scenarios) {
        // One request first: what it finds, so the figures are about real answers.
        const body = await (await fetch(`${api.base}${scenario.path}`)).json();
        const finds = body.articlesCount !== undefined ? `${body.articlesCount} articles` : `${body.tags?.length} tags`;
        if (warmup > 0) await load(`${api.base}${scenario.path}`, Math.max(...concurrencies), warmup);
        for (const clients of concurrencies) {
          const figures = await load(`${api.base}${scenario.path}`, clients, duration);
          const row = {
            scenario: scenario.name,
            clients,
            finds,
            p50: figures.latency.p50,
            p99: figures.latency.p99,
            rps: Math.round(figures.requests.average),
            failures: figures.non2xx + figures.errors + figures.timeouts,
          };
          result.scenarios.push(row);
          console.log(`  ${title}, ${scenario.name} (${finds}), ${clients} client(s): p50 ${row.p50} ms, p99 ${row.p99} ms, ${row.rps} req/s${row.failures ? `, ${row.failures} FAILED` : ''}`);
        }
      }
    } finally {
      api.child.kill('SIGTERM');
      await new Promise((resolve) => (api.child.exitCode === null ? api.child.once('exit', resolve) : resolve()));
    }
  } finally {
    await node?.remove();
  }
  return result;
}

function cell(row) {
  if (!row) return '-';
  return `${row.p50} / ${row.p99} ms, ${row.rps} req/s${row.failures ? ` (${row.failures} failed)` : ''}`;
}

/** One markdown table: a row per scenario and concurrency, a column per engine. */
function printTable(results) {
  const header = ['scenario', 'clients', ...results.map((result) => `${result.title} p50 / p99, req/s`)];
  const lines = [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`];
  for (const scenario of scenarios) {
    for (const clients of concurrencies) {
      const cells = results.map((result) => cell(result.scenarios.find((row) => row.scenario === scenario.name && row.clients === clients)));
      lines.push(`| ${scenario.name} | ${clients} | ${cells.join(' | ')} |`);
    }
  }
  lines.push('', '| engine | search:reindex | documents | node start |', '| --- | --- | --- | --- |');
  for (const result of results) {
    lines.push(`| ${result.title}${result.version ? ` ${result.version}` : ''} | ${result.reindex ? `${result.reindex.seconds} s` : '-'} | ${result.reindex?.documents ?? '-'} | ${result.nodeStartSeconds !== undefined ? `${result.nodeStartSeconds} s` : '-'} |`);
  }
  console.log(`\n${lines.join('\n')}\n`);
}

async function main() {
  const unknown = engines.filter((engine) => !ENGINES[engine]);
  if (unknown.length > 0) throw new Error(`BENCH_ENGINES names no engine ${unknown.join(', ')} (postgres, elasticsearch, opensearch)`);
  if (!existsSync(path.join(root, 'dist/src/main.js'))) execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  await ensureBenchDatabase(databaseUrl);
  const published = await countPublished();
  if (published === 0) throw new Error('the bench data has no published article: drop the bench database and run again');
  console.log(`${published} published articles`);

  const missing = missingSearchNodeTools();
  const runnable = engines.filter((engine) => {
    if (!ENGINES[engine].node || missing.length === 0) return true;
    console.log(`search bench: ${ENGINES[engine].title} skipped: no ${missing.join(' and no ')} on this machine (install OpenJDK 17 and Maven)`);
    return false;
  });

  const children = new Set();
  const redisUrl = await startThrowawayRedis(children);
  const baseEnv = { DATABASE_URL: databaseUrl, REDIS_URL: redisUrl, JWT_SECRET: process.env.JWT_SECRET ?? 'bench-secret-bench-secret-bench-secret' };
  const results = [];
  try {
    for (const engine of runnable) results.push(await benchEngine(engine, baseEnv));
  } finally {
    for (const child of children) child.kill('SIGKILL');
  }

  printTable(results);
  mkdirSync(path.dirname(OUTPUT), { recursive: true });
  writeFileSync(
    OUTPUT,
    `${JSON.stringify({ at: new Date().toISOString(), publishedArticles: published, durationSeconds: duration, warmupSeconds: warmup, concurrencies, skipped: engines.filter((engine) => !runnable.includes(engine)), engines: results }, null, 2)}\n`,
  );
  console.log(`written to ${path.relative(root, OUTPUT)}`);
}

main().catch((error) => {
  console.error(`search bench failed: ${error.message}`);
  process.exit(1);
});
