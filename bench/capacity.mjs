#!/usr/bin/env node
// `npm run bench:capacity`: what one api process and one worker process cost, per request and per
// job, on the benchmark data set (bench/generate-data.mjs: 10,000 users, 100,000 articles), as the
// figures of the capacity model (docs/scaling.md). Writes docs/capacity/measurements.json and
// prints a table.
//
//   node bench/capacity.mjs           measure (a few minutes)
//   node bench/capacity.mjs --model   print the capacity model computed from measurements.json
//
// Per api scenario (one api process, cache on; read scenarios again with CACHE_ENABLED=false, the
// cost of a miss): requests/s, and per request the CPU of the api process (process.cpuUsage in the
// child), of the PostgreSQL backends serving it and of Redis (/proc/<pid>/stat), the statements
// the api sent to PostgreSQL (counted at the driver, bench/instrument.cjs: pg_stat_statements is
// used as a cross-check when the server preloads it) and the Redis commands it caused (INFO
// commandstats of a redis-server of its own, so that the counts are its alone). Per queue (one
// worker process): jobs/s and the same costs per job; the outbox relay's events/s with the queues
// paused, so that relaying is measured apart from processing. EXPLAIN (ANALYZE, BUFFERS) of the
// feed and of articlesCount for users following many authors, and the tables' and indexes' sizes.
//
//   BENCH_CAPACITY_DATABASE_URL         the data set (default postgresql://postgres@127.0.0.1:5432/conduit_bench_capacity);
//                                       created, migrated and filled when empty; the writes measured are deleted afterwards
//   BENCH_CAPACITY_WORKER_DATABASE_URL  the worker's database (default .../conduit_bench_capacity_worker), emptied on every run
//   BENCH_DURATION       seconds per scenario (default 5)
//   BENCH_CONNECTIONS    concurrent connections (default 32)
//   BENCH_USERS          signed-in scenarios rotate through this many users' tokens (default 25)
//   BENCH_ONLY           comma-separated scenario names (bench/scenarios.mjs) instead of the default nine
//   BENCH_REDIS_PORT, BENCH_API_PORT, BENCH_SMTP_PORT   ports of the redis-server, api and SMTP sink started here (7401, 7410, 7420)
//   BENCH_CAPACITY_JOBS          welcome mails, and new-article mails, measured (default 2000 each; scheduled jobs: half that)
//   BENCH_CAPACITY_RELAY_EVENTS  events relayed and then processed by the search queue (default 10000)
//   BENCH_CAPACITY_IMAGES        12-megapixel images processed by the media queue (default 4)
//   BENCH_CAPACITY_OUT           where to write the measurements (default docs/capacity/measurements.json)
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import pg from 'pg';
import {
  askChild,
  createUsers,
  ensureBenchDatabase,
  freshBenchDatabase,
  processCpuMs,
  sleep,
  startBenchApi,
  startSmtpSink,
  startThrowawayRedis,
  startWorker,
  stopChild,
  twelveMegapixelJpeg,
  waitUntil,
} from './bench-setup.mjs';
import { printModel } from './capacity-model.mjs';
import { benchEmail } from './generate-data.mjs';
import { findSlug, load, login, SCENARIOS } from './scenarios.mjs';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outFile = path.resolve(root, process.env.BENCH_CAPACITY_OUT ?? 'docs/capacity/measurements.json');

const databaseUrl = process.env.BENCH_CAPACITY_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/conduit_bench_capacity';
const workerDatabaseUrl = process.env.BENCH_CAPACITY_WORKER_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/conduit_bench_capacity_worker';
const duration = Number(process.env.BENCH_DURATION ?? 5);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
const signedInUsers = Number(process.env.BENCH_USERS ?? 25);
const ports = {
  redis: Number(process.env.BENCH_REDIS_PORT ?? 7401),
  api: Number(process.env.BENCH_API_PORT ?? 7410),
  smtp: Number(process.env.BENCH_SMTP_PORT ?? 7420),
};
const mailJobs = Number(process.env.BENCH_CAPACITY_JOBS ?? 2000);
const scheduledJobs = Math.max(1, Math.round(mailJobs / 2));
const relayEvents = Number(process.env.BENCH_CAPACITY_RELAY_EVENTS ?? 10_000);
const images = Number(process.env.BENCH_CAPACITY_IMAGES ?? 4);
/** Followers of the author whose new articles are mailed: the data set's (and the model's) 20. */
const FOLLOWERS = 20;
const fanOutArticles = Math.max(1, Math.round(mailJobs / FOLLOWERS));

/** The scenarios of the capacity model: what readers and writers of the stated load do. */
const DEFAULT_SCENARIOS = ['list', 'article', 'tags', 'profile', 'feed (signed in)', 'list (signed in)', 'write: article', 'write: comment', 'write: favorite'];
const only = process.env.BENCH_ONLY?.split(',') ?? DEFAULT_SCENARIOS;
const scenarios = SCENARIOS.filter((scenario) => only.includes(scenario.name));
const isWrite = (scenario) => scenario.method === 'POST';
/** For each write scenario, the table whose new rows count the writes done. */
const WRITE_TABLES = { 'write: comment': 'comments', 'write: article': 'articles', 'write: favorite': 'favorites' };

/** The heavy followers of the EXPLAIN: the data set's user follows 20 authors; these add more, in a transaction rolled back. */
const FOLLOWING = [1_000, 5_000];

const children = new Set();
const round = (value, digits = 3) => (Number.isFinite(value) ? Number(value.toFixed(digits)) : null);
const log = (line) => console.log(line);

// ---------------------------------------------------------------------------------------------
// Observation: CPU of processes, PostgreSQL backends, Redis command counts.

/** The Redis this benchmark started: INFO sections, its pid, command counts by command. */
class RedisProbe {
  constructor(url) {
    this.client = new Redis(url, { maxRetriesPerRequest: 1 });
  }

  async info(section) {
    const text = await this.client.info(section);
    return Object.fromEntries(
      text
        .split('\r\n')
        .filter((line) => line && !line.startsWith('#'))
        .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1)]),
    );
  }

  /** Calls per command so far, without this probe's own INFO. */
  async commands() {
    const stats = await this.info('commandstats');
    const calls = {};
    for (const [key, value] of Object.entries(stats)) {
      const name = key.replace(/^cmdstat_/, '');
      if (name === 'info') continue;
      calls[name] = Number(/calls=(\d+)/.exec(value)?.[1] ?? 0);
    }
    return calls;
  }

  async pid() {
    return Number((await this.info('server')).process_id);
  }

  async usedMemory() {
    return Number((await this.info('memory')).used_memory);
  }
}

/** PostgreSQL seen from the maintenance database, so that watching never counts against the measured database. */
class PostgresProbe {
  constructor(url) {
    const admin = new URL(url);
    admin.pathname = '/postgres';
    this.client = new pg.Client({ connectionString: admin.toString() });
  }

  connect() {
    return this.client.connect();
  }

  /** CPU ms used so far by each client backend of `database`, but for `excludedPids` (the benchmark's own). */
  async backendCpu(database, excludedPids) {
    const { rows } = await this.client.query(`SELECT pid FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend'`, [database]);
    return new Map(rows.filter((row) => !excludedPids.includes(row.pid)).map((row) => [row.pid, processCpuMs(row.pid)]));
  }

  async transactions(database) {
    const { rows } = await this.client.query('SELECT (xact_commit + xact_rollback)::bigint AS n FROM pg_stat_database WHERE datname = $1', [database]);
    return Number(rows[0].n);
  }
}

/** CPU ms of backends between two `backendCpu` maps (a backend opened in between counts from 0). */
function backendCpuDelta(before, after) {
  let total = 0;
  for (const [pid, cpu] of after) total += cpu - (before.get(pid) ?? 0);
  return total;
}

function commandDelta(before, after) {
  const delta = {};
  for (const [name, calls] of Object.entries(after)) {
    const grown = calls - (before[name] ?? 0);
    if (grown > 0) delta[name] = grown;
  }
  return delta;
}

const sum = (values) => Object.values(values).reduce((total, value) => total + value, 0);

/**
 * Watches one instrumented process (api or worker) and what it talks to: `snapshot()` now, and
 * `costs(before, after, units)` per unit of work, less what the process does when idle.
 */
class CostMeter {
  constructor({ child, database, postgres, redis, redisPid, excludedPids }) {
    Object.assign(this, { child, database, postgres, redis, redisPid, excludedPids });
    this.idle = { cpuMs: 0, pgCpuMs: 0, redisCpuMs: 0, statements: 0, redisCommands: 0 };
  }

  async snapshot() {
    const [counters, backends, commands] = await Promise.all([
      askChild(this.child, { capacity: 'counters' }),
      this.postgres.backendCpu(this.database, this.excludedPids),
      this.redis.commands(),
    ]);
    return {
      at: performance.now(),
      cpuMs: counters.cpuMicros / 1000,
      statements: counters.statements,
      transactionControl: counters.transactionControl,
      implicitTransactions: counters.implicitTransactions,
      backends,
      redisCpuMs: processCpuMs(this.redisPid),
      commands,
      benchCpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
    };
  }

  /** The process's own rates while nothing is asked of it, per second: subtracted from every measurement. */
  async measureIdle(seconds) {
    const before = await this.snapshot();
    await sleep(seconds * 1000);
    const after = await this.snapshot();
    const elapsed = (after.at - before.at) / 1000;
    this.idle = {
      cpuMs: (after.cpuMs - before.cpuMs) / elapsed,
      pgCpuMs: backendCpuDelta(before.backends, after.backends) / elapsed,
      redisCpuMs: (after.redisCpuMs - before.redisCpuMs) / elapsed,
      statements: (after.statements - before.statements) / elapsed,
      redisCommands: sum(commandDelta(before.commands, after.commands)) / elapsed,
    };
    return Object.fromEntries(Object.entries(this.idle).map(([name, value]) => [`${name}PerSecond`, round(value)]));
  }

  /** Costs per unit between two snapshots, idle rates subtracted. */
  costs(before, after, units) {
    const seconds = (after.at - before.at) / 1000;
    const less = (value, idleRate) => Math.max(0, value - idleRate * seconds);
    const commands = commandDelta(before.commands, after.commands);
    const top = Object.entries(commands)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6)
      .map(([name, calls]) => [name, round(calls / units, 2)]);
    const cpuMs = less(after.cpuMs - before.cpuMs, this.idle.cpuMs);
    return {
      seconds: round(seconds, 2),
      cpuMs: round(cpuMs / units),
      /** Cores the process used while measured (1.0 is one core busy all the time). */
      coresUsed: round(cpuMs / 1000 / seconds, 2),
      pgCpuMs: round(less(backendCpuDelta(before.backends, after.backends), this.idle.pgCpuMs) / units),
      redisCpuMs: round(less(after.redisCpuMs - before.redisCpuMs, this.idle.redisCpuMs) / units),
      statements: round(less(after.statements - before.statements, this.idle.statements) / units, 2),
      explicitTransactions: round((after.transactionControl - before.transactionControl) / 2 / units, 2),
      redisCommands: round(less(sum(commands), this.idle.redisCommands) / units, 2),
      redisTopCommands: Object.fromEntries(top),
      /** The machine's 1-minute load average at the end: above its core count, everything here slowed down. */
      loadAverage: round(os.loadavg()[0], 1),
      /** The load generator (autocannon, this process) competes for the same cores. */
      loadGeneratorCpuMs: round((after.benchCpuMs - before.benchCpuMs) / units),
    };
  }
}

// ---------------------------------------------------------------------------------------------
// The api.

async function measureApi({ redisUrl, postgres, redis, redisPid, bench, benchPid }) {
  const databaseName = new URL(databaseUrl).pathname.slice(1);
  const results = {};
  const phase = {};
  const run = Date.now().toString(36);

  const cached = await startBenchApi(databaseUrl, { CACHE_ENABLED: 'true', REDIS_URL: redisUrl }, { port: ports.api, instrument: true });
  children.add(cached.child);
  const slug = await findSlug(cached.base);
  const tokens = [];
  for (let n = 1; n <= signedInUsers; n += 1) tokens.push(await login(cached.base, n));
  // Articles to favorite: the newest, none of them by the signed-in users (their own would be favorites too, but not typical).
  const { rows: slugRows } = await bench.query(
    `SELECT slug FROM articles WHERE published_at IS NOT NULL AND author_id NOT IN (SELECT id FROM users WHERE email = ANY($1)) ORDER BY id DESC LIMIT 4000`,
    [tokens.map((_, index) => benchEmail(index + 1))],
  );
  const context = { tokens, slug, slugs: slugRows.map((row) => row.slug), run };
  const maxIds = (await bench.query(`SELECT (SELECT coalesce(max(id), 0) FROM comments) AS comments, (SELECT coalesce(max(id), 0) FROM articles) AS articles,
                                            (SELECT coalesce(max(id), 0) FROM outbox_events)::text AS outbox, now() AS started`)).rows[0];

  const meter = new CostMeter({ child: cached.child, database: databaseName, postgres, redis, redisPid, excludedPids: [benchPid] });
  // Ten idle seconds: a steadier idle rate, and time for the backends to publish the counts of the
  // sign-ins above before the server's side is read (see the cross-check below).
  await sleep(1_500);
  phase.idle = await meter.measureIdle(10);
  log(`api idle: ${JSON.stringify(phase.idle)}`);

  // What the server counts, beside the driver's count: transactions (and pg_stat_statements' calls when loaded).
  let benchStatements = 0;
  const benchQuery = (text, values) => {
    benchStatements += 1;
    return bench.query(text, values);
  };
  const statementsProbe = await pgStatStatements(bench);
  const serverBefore = { transactions: await postgres.transactions(databaseName), calls: await statementsProbe.calls() };
  const driverBefore = await askChild(cached.child, { capacity: 'counters' });

  log(`\n${scenarios.length} scenarios, ${duration} s each, ${connections} connections, signed in as ${tokens.length} users in turn`);
  for (const scenario of scenarios) {
    const table = WRITE_TABLES[scenario.name];
    // A short warm-up: the cache holds the entry (a hit is what "cached" measures), the code is compiled.
    await load(cached.base, scenario, context, { connections, duration: 1 });
    // A cached read runs no statement; one that does met the cache's fallback (Redis answered too
    // late on a loaded machine, and the api served from PostgreSQL for a moment): measured again.
    const attempts = [];
    for (let attempt = 0; attempt < (table ? 1 : 3); attempt += 1) {
      if (attempt > 0) await sleep(1_500);
      const rowsBefore = table ? Number((await benchQuery(`SELECT count(*)::int AS n FROM ${table} WHERE created_at >= $1`, [maxIds.started])).rows[0].n) : 0;
      // The warm-up's writes made outbox events too: only those of the measured writes count.
      const outboxBefore = table ? (await benchQuery('SELECT coalesce(max(id), 0)::text AS id FROM outbox_events')).rows[0].id : '0';
      const before = await meter.snapshot();
      const result = await load(cached.base, scenario, context, { connections, duration });
      // Requests cut off when autocannon stopped may still be running in the api.
      await sleep(300);
      const after = await meter.snapshot();
      let writes;
      if (table) {
        const rows = Number((await benchQuery(`SELECT count(*)::int AS n FROM ${table} WHERE created_at >= $1`, [maxIds.started])).rows[0].n) - rowsBefore;
        const { rows: outbox } = await benchQuery(
          `SELECT queue || ':' || name AS job, count(*)::int AS n, max(id)::text AS last FROM outbox_events WHERE id > $1 GROUP BY 1`,
          [outboxBefore],
        );
        const events = outbox.reduce((total, row) => total + row.n, 0);
        writes = {
          rows,
          outboxEventsPerWrite: round(events / Math.max(rows, 1), 2),
          outboxEventsByJob: Object.fromEntries(outbox.map((row) => [row.job, round(row.n / Math.max(rows, 1), 2)])),
        };
      }
      // Writes are counted by the rows they made; reads by the requests the api was sent.
      const units = writes ? Math.max(writes.rows, 1) : result.requests.sent;
      attempts.push({ ...summary(result), ...meter.costs(before, after, units), ...(writes && { writes }) });
      const last = attempts[attempts.length - 1];
      if (table || last.statements <= 0.05) break;
      log(`  ${scenario.name}: ${last.statements} statements per cached read (the cache fell back to PostgreSQL): measuring again`);
    }
    const best = attempts.reduce((least, each) => (each.statements < least.statements ? each : least));
    results[scenario.name] = {
      path: scenario.path,
      method: scenario.method ?? 'GET',
      signedIn: Boolean(scenario.signedIn),
      cached: {
        ...best,
        ...(attempts.length > 1 && {
          discardedAttempts: attempts
            .filter((each) => each !== best)
            .map(({ requestsPerSecond, cpuMs, pgCpuMs, statements }) => ({ requestsPerSecond, cpuMs, pgCpuMs, statements, why: 'the cache fell back to PostgreSQL for part of the run' })),
        }),
      },
    };
    const line = results[scenario.name].cached;
    log(`  ${scenario.name}: ${line.requestsPerSecond} req/s, ${line.cpuMs} ms api CPU, ${line.statements} statements, ${line.redisCommands} Redis commands per request`);
  }

  // Backends publish their counts to pg_stat_database at most once a second, and an idle one ten
  // seconds later: wait that out before reading the server's side.
  await sleep(11_500);
  const driverAfter = await askChild(cached.child, { capacity: 'counters' });
  const serverAfter = { transactions: await postgres.transactions(databaseName), calls: await statementsProbe.calls() };
  phase.crossCheck = {
    window: 'from the first scenario to the last, cache on',
    driverStatements: driverAfter.statements - driverBefore.statements,
    pgStatStatementsCalls: serverAfter.calls === null ? null : serverAfter.calls - serverBefore.calls,
    pgStatStatements: statementsProbe.status,
    transactionsByDriver: driverAfter.implicitTransactions - driverBefore.implicitTransactions + (driverAfter.transactionControl - driverBefore.transactionControl) / 2,
    transactionsByServer: serverAfter.transactions - serverBefore.transactions,
    benchStatementsOnTheDatabase: benchStatements,
  };
  log(`cross-check: ${JSON.stringify(phase.crossCheck)}`);
  phase.redisMemory = await redisMemory(redis);
  await stopChild(cached.child);

  // The same reads with no cache: what a miss costs (the lookup and the store come on top of it).
  const uncached = await startBenchApi(databaseUrl, { CACHE_ENABLED: 'false', REDIS_URL: redisUrl }, { port: ports.api, instrument: true });
  children.add(uncached.child);
  const missMeter = new CostMeter({ child: uncached.child, database: databaseName, postgres, redis, redisPid, excludedPids: [benchPid] });
  await sleep(1_000);
  missMeter.idle = meter.idle;
  for (const scenario of scenarios.filter((each) => !isWrite(each))) {
    await load(uncached.base, scenario, context, { connections, duration: 1 });
    const before = await missMeter.snapshot();
    const result = await load(uncached.base, scenario, context, { connections, duration });
    await sleep(300);
    const after = await missMeter.snapshot();
    // One request at a time: how long building the response takes when nothing queues (the window in which a fresh entry is rebuilt).
    const alone = await load(uncached.base, scenario, context, { connections: 1, duration: 1 });
    results[scenario.name].uncached = {
      ...summary(result),
      ...missMeter.costs(before, after, result.requests.sent),
      unloadedLatencyMs: { mean: round(alone.latency.mean, 2), p50: alone.latency.p50, p99: alone.latency.p99 },
    };
    const line = results[scenario.name].uncached;
    log(`  ${scenario.name} (no cache): ${line.requestsPerSecond} req/s, ${line.cpuMs} ms api CPU, ${line.pgCpuMs} ms PostgreSQL CPU, ${line.statements} statements per request`);
  }

  const captured = await captureStatements(uncached, context);
  await stopChild(uncached.child);
  await cleanUpWrites(bench, maxIds);
  return { scenarios: results, ...phase, captured };
}

function summary(result) {
  const seconds = result.duration;
  return {
    requests: result.requests.total,
    sent: result.requests.sent,
    failures: result.non2xx + result.errors + result.timeouts,
    requestsPerSecond: round(result.requests.total / seconds, 1),
    latencyMs: { mean: round(result.latency.mean, 2), p50: result.latency.p50, p99: result.latency.p99 },
  };
}

/** pg_stat_statements, when the server preloads it; otherwise why not (CREATE EXTENSION alone is not enough). */
async function pgStatStatements(bench) {
  const databaseName = new URL(databaseUrl).pathname.slice(1);
  try {
    await bench.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await bench.query('SELECT 1 FROM pg_stat_statements LIMIT 1');
    return {
      status: 'available: its calls are the server-side count',
      calls: async () => {
        const { rows } = await bench.query(
          `SELECT coalesce(sum(calls), 0)::bigint AS n FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
           WHERE d.datname = $1 AND s.query NOT ILIKE '%pg_stat_statements%'`,
          [databaseName],
        );
        return Number(rows[0].n);
      },
    };
  } catch (error) {
    await bench.query('DROP EXTENSION IF EXISTS pg_stat_statements').catch(() => undefined);
    return { status: `unavailable (${error.message}): statements are counted at the driver`, calls: async () => null };
  }
}

/** What the api keeps in Redis after the scenarios, by kind of key (the part after the deployment's prefix). */
async function redisMemory(redis) {
  const kinds = {};
  let cursor = '0';
  do {
    const [next, keys] = await redis.client.scan(cursor, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      // BullMQ's {conduit:<database>:<tag>}:<queue>:...; the rest conduit:<database>:<tag>:<kind>:...,
      // cache entries and tag versions by what they cache (entry:articles, tag:favorites-of, ...).
      let kind;
      if (key.startsWith('{')) kind = `bullmq:${key.split('}:')[1]?.split(':')[0]}`;
      else {
        const [first, second] = key.split(':').slice(3).filter(Boolean);
        kind = ['tag', 'entry'].includes(first) ? `${first}:${second}${key.includes(':flags:') ? ':flags' : ''}` : (first ?? key);
      }
      const bytes = (await redis.client.memory('USAGE', key)) ?? 0;
      kinds[kind] ??= { keys: 0, bytes: 0 };
      kinds[kind].keys += 1;
      kinds[kind].bytes += bytes;
    }
  } while (cursor !== '0');
  for (const kind of Object.values(kinds)) kind.bytesPerKey = Math.round(kind.bytes / kind.keys);
  return { usedMemoryBytes: await redis.usedMemory(), byKind: kinds };
}

/** The statements behind a feed page and an anonymous list page, as the api sends them (for EXPLAIN). */
async function captureStatements(api, context) {
  const capture = async (urlPath, token) => {
    await askChild(api.child, { capacity: 'capture', on: true });
    const response = await fetch(`${api.base}${urlPath}`, { headers: token ? { authorization: `Token ${token}` } : {} });
    if (!response.ok) throw new Error(`${urlPath}: ${response.status}`);
    await response.arrayBuffer();
    return (await askChild(api.child, { capacity: 'capture', on: false })).captured;
  };
  return {
    feed: await capture('/api/articles/feed?limit=20', context.tokens[0]),
    list: await capture('/api/articles?limit=20'),
  };
}

/** Deletes what the write scenarios added, so that every run measures the same data set. */
async function cleanUpWrites(bench, maxIds) {
  await bench.query('BEGIN');
  const { rows: favorites } = await bench.query('DELETE FROM favorites WHERE created_at >= $1 RETURNING article_id', [maxIds.started]);
  await bench.query(
    `UPDATE articles SET favorites_count = favorites_count - f.n
     FROM (SELECT id, count(*)::int AS n FROM unnest($1::int[]) AS id GROUP BY id) AS f WHERE articles.id = f.id`,
    [favorites.map((row) => row.article_id)],
  );
  await bench.query('DELETE FROM comments WHERE id > $1', [maxIds.comments]);
  await bench.query('DELETE FROM articles WHERE id > $1', [maxIds.articles]);
  await bench.query('DELETE FROM outbox_events WHERE id > $1', [maxIds.outbox]);
  await bench.query('COMMIT');
}

// ---------------------------------------------------------------------------------------------
// EXPLAIN and sizes.

/**
 * EXPLAIN (ANALYZE, BUFFERS) of a captured statement. The execution time is the least of five
 * runs with TIMING OFF (timing every row of a large scan would double its cost; on a shared
 * machine the least is the run others disturbed least); one more run with timing gives the plan,
 * in brief.
 */
async function explain(client, statement) {
  const runs = [];
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const { rows } = await client.query(`EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, FORMAT JSON) ${statement.text}`, statement.values);
    runs.push(rows[0]['QUERY PLAN'][0]['Execution Time']);
  }
  runs.sort((a, b) => a - b);
  const { rows } = await client.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${statement.text}`, statement.values);
  const plan = rows[0]['QUERY PLAN'][0];
  const lines = [];
  const walk = (node, depth) => {
    const on = [node['Relation Name'] && `on ${node['Relation Name']}`, node['Index Name'] && `using ${node['Index Name']}`].filter(Boolean).join(' ');
    lines.push(
      `${'  '.repeat(depth)}${node['Node Type']}${on ? ` ${on}` : ''} (rows=${node['Actual Rows']} loops=${node['Actual Loops']} time=${round(node['Actual Total Time'], 2)} ms, buffers hit=${node['Shared Hit Blocks']} read=${node['Shared Read Blocks']})`,
    );
    for (const child of node.Plans ?? []) walk(child, depth + 1);
  };
  walk(plan.Plan, 0);
  return {
    executionMs: round(runs[0], 2),
    executionMsRuns: runs.map((value) => round(value, 2)),
    executionMsWithTiming: round(plan['Execution Time'], 2),
    planningMs: round(plan['Planning Time'], 2),
    rows: plan.Plan['Actual Rows'],
    sharedHitBlocks: plan.Plan['Shared Hit Blocks'],
    sharedReadBlocks: plan.Plan['Shared Read Blocks'],
    plan: lines,
  };
}

/** Which captured statement is which: the count, the page, and the others by the table they read. */
function label(statement) {
  const text = statement.text;
  if (/^\s*SELECT\s+COUNT\(/i.test(text) || /COUNT\(\*\)/i.test(text.slice(0, 200))) return 'articlesCount';
  const table = /FROM\s+"?(?:public"?\."?)?"?(\w+)"?/i.exec(text)?.[1] ?? 'statement';
  if (table === 'articles' && /ORDER BY/i.test(text)) return 'page';
  return table;
}

async function measureQueries(bench, captured) {
  const { rows } = await bench.query('SELECT id FROM users WHERE email = $1', [benchEmail(1)]);
  const viewerId = rows[0].id;
  const explainAll = async (statements) => {
    const out = {};
    for (const statement of statements.filter((each) => /^\s*SELECT/i.test(each.text))) {
      let name = label(statement);
      while (out[name]) name += "'";
      out[name] = { ...(await explain(bench, statement)), sql: statement.text.replace(/\s+/g, ' ') };
    }
    return out;
  };
  const follows = async (id) => Number((await bench.query('SELECT count(*)::int AS n FROM follows WHERE follower_id = $1', [id])).rows[0].n);
  const result = {
    note: 'The statements the api sent for GET /api/articles/feed?limit=20 (user1) and GET /api/articles?limit=20 (anonymous), cache off, run again under EXPLAIN (ANALYZE, BUFFERS) with their own parameters; executionMs is the least of five runs with TIMING OFF.',
    anonymousList: await explainAll(captured.list),
    feed: [{ following: await follows(viewerId), statements: await explainAll(captured.feed) }],
  };
  for (const count of FOLLOWING) {
    // More followed authors for the same viewer, and statistics that know it, then all rolled back.
    await bench.query('BEGIN');
    try {
      await bench.query(
        `INSERT INTO follows (follower_id, followed_id) SELECT $1, id FROM users WHERE id <> $1 ORDER BY md5(id::text) LIMIT $2 ON CONFLICT DO NOTHING`,
        [viewerId, count],
      );
      await bench.query('ANALYZE follows');
      result.feed.push({ following: await follows(viewerId), statements: await explainAll(captured.feed) });
    } finally {
      await bench.query('ROLLBACK');
    }
  }
  return result;
}

async function measureSizes(bench) {
  const { rows: tables } = await bench.query(`
    SELECT c.relname AS name, pg_relation_size(c.oid) AS heap, pg_indexes_size(c.oid) AS indexes,
           pg_total_relation_size(c.oid) AS total
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname NOT LIKE '\\_prisma%' ORDER BY pg_total_relation_size(c.oid) DESC`);
  const { rows: indexes } = await bench.query(`
    SELECT i.indexrelid::regclass::text AS name, i.indrelid::regclass::text AS "table", pg_relation_size(i.indexrelid) AS bytes
    FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' ORDER BY pg_relation_size(i.indexrelid) DESC`);
  const out = { tables: {}, indexes: {} };
  for (const table of tables) {
    const { rows } = await bench.query(`SELECT count(*)::bigint AS n FROM "${table.name}"`);
    const count = Number(rows[0].n);
    out.tables[table.name] = {
      rows: count,
      heapBytes: Number(table.heap),
      indexBytes: Number(table.indexes),
      totalBytes: Number(table.total),
      totalBytesPerRow: count ? round(Number(table.total) / count, 1) : null,
    };
  }
  for (const index of indexes) {
    const rows = out.tables[index.table]?.rows;
    out.indexes[index.name] = { table: index.table, bytes: Number(index.bytes), bytesPerRow: rows ? round(Number(index.bytes) / rows, 1) : null };
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The worker.

async function measureWorker({ redisUrl, postgres, redis, redisPid }) {
  const databaseName = new URL(workerDatabaseUrl).pathname.slice(1);
  const pool = await freshBenchDatabase(workerDatabaseUrl, {
    variable: 'BENCH_CAPACITY_WORKER_DATABASE_URL',
    tables: ['users', 'outbox_events', 'mail_deliveries', 'uploads'],
    max: 2,
  });
  const storageDir = mkdtempSync(path.join(os.tmpdir(), 'conduit-capacity-'));
  const smtp = await startSmtpSink({ port: ports.smtp });
  const queues = [];
  try {
    // Recipients of the mails; an author of the scheduled articles (no followers) and owner of the
    // uploads; an author followed by FOLLOWERS users, whose published articles are mailed to them.
    const authorId = mailJobs + 1;
    const followedId = mailJobs + 2;
    await createUsers(pool, 1, followedId);
    await pool.query(
      `INSERT INTO articles (slug, title, description, body, author_id, publish_at, updated_at)
       SELECT 'scheduled-' || i, 'Scheduled ' || i, 'Due', 'Published by the worker', $1, now() - interval '1 minute', now()
       FROM generate_series(1, $2::int) AS i`,
      [authorId, scheduledJobs],
    );
    await pool.query(`INSERT INTO follows (follower_id, followed_id) SELECT i, $1 FROM generate_series(1, $2::int) AS i`, [followedId, FOLLOWERS]);
    await pool.query(
      `INSERT INTO articles (slug, title, description, body, author_id, published_at, updated_at)
       SELECT 'mailed-' || i, 'Mailed ' || i, 'New', 'Mailed to the followers', $1, now(), now() FROM generate_series(1, $2::int) AS i`,
      [followedId, fanOutArticles],
    );
    // The articles' own search events (written by a trigger) are not what is measured.
    await pool.query('TRUNCATE outbox_events');
    const photo = await twelveMegapixelJpeg();
    const uploadIds = Array.from({ length: images }, () => randomUUID());
    mkdirSync(path.join(storageDir, 'originals'), { recursive: true });
    for (const id of uploadIds) writeFileSync(path.join(storageDir, 'originals', id), photo);
    await pool.query(
      `INSERT INTO uploads (id, owner_id, purpose, mime_type, original_key, original_bytes, stored_bytes)
       SELECT id, $2, 'cover'::upload_purpose, 'image/jpeg', id::text, $3::int, $3::bigint FROM unnest($1::uuid[]) AS id`,
      [uploadIds, authorId, photo.length],
    );

    // Every queue paused before the worker starts: the relay then hands events over and nothing
    // takes them, so that relaying and processing are measured apart.
    const { readDeploymentNamespace } = require(path.join(root, 'dist/src/infra/redis/deployment-namespace.js'));
    const namespace = await readDeploymentNamespace(async (sql) => (await pool.query(sql)).rows);
    const connection = new URL(redisUrl);
    for (const name of ['mail', 'search', 'media', 'scheduled']) {
      const queue = new Queue(name, { connection: { host: connection.hostname, port: Number(connection.port) }, prefix: namespace.queuePrefix });
      await queue.pause();
      queues.push(queue);
    }
    const queue = (name) => queues.find((each) => each.name === name);

    const bench = await pool.connect();
    const benchPid = (await bench.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    const worker = await startWorker(
      { DATABASE_URL: workerDatabaseUrl, REDIS_URL: redisUrl, MAIL_URL: smtp.url, JWT_SECRET: 'bench-secret-bench-secret-bench-secret', NODE_ENV: 'production', STORAGE_DRIVER: 'local', STORAGE_LOCAL_DIR: storageDir },
      children,
      { instrument: true },
    );
    try {
      const meter = new CostMeter({ child: worker.child, database: databaseName, postgres, redis, redisPid, excludedPids: [benchPid] });
      await sleep(2_000);
      const idle = await meter.measureIdle(3);
      log(`\nworker idle: ${JSON.stringify(idle)}`);
      const pending = async (column, queueName) =>
        Number((await bench.query(`SELECT count(*)::int AS n FROM outbox_events WHERE ${column} IS NULL AND queue = $1`, [queueName])).rows[0].n);
      
      /** Events written in one commit, then handed over by the relay into a paused queue. */
      const relay = async (queueName, insert) => {
        const memoryBefore = await redis.usedMemory();
        const before = await meter.snapshot();
        const { rows } = await bench.query(`${insert} RETURNING id`);
        const n = rows.length;
        const firstId = rows.reduce((least, row) => (BigInt(row.id) < least ? BigInt(row.id) : least), BigInt(rows[0].id));
        await waitUntil(`${n} ${queueName} events to be relayed`, 300_000, async () => (await pending('dispatched_at', queueName)) === 0);
        const after = await meter.snapshot();
        // Each batch sets dispatched_at to its transaction's start: the span from the first batch to
        // the last covers every event but the last batch's.
        const { rows: span } = await bench.query(
          `WITH relayed AS (SELECT dispatched_at FROM outbox_events WHERE queue = $1 AND id >= $2)
           SELECT extract(epoch FROM max(dispatched_at) - min(dispatched_at)) AS seconds,
                  count(*) FILTER (WHERE dispatched_at = (SELECT max(dispatched_at) FROM relayed))::int AS last
           FROM relayed`,
          [queueName, firstId.toString()],
        );
        const spanSeconds = Number(span[0].seconds);
        return {
          events: n,
          eventsPerSecond: spanSeconds > 0 ? round((n - span[0].last) / spanSeconds, 0) : null,
          ...meter.costs(before, after, n),
          redisBytesPerQueuedJob: Math.round(((await redis.usedMemory()) - memoryBefore) / n),
        };
      };

      /** The queue resumed: its jobs processed until `done` holds. */
      const processJobs = async (queueName, n, done) => {
        const memoryBefore = await redis.usedMemory();
        const before = await meter.snapshot();
        await queue(queueName).resume();
        await waitUntil(`${n} ${queueName} jobs`, 30 * 60_000, done);
        const after = await meter.snapshot();
        await queue(queueName).pause();
        const costs = meter.costs(before, after, n);
        return { jobs: n, jobsPerSecond: round(n / costs.seconds, 1), ...costs, redisBytesPerCompletedJob: Math.round(((await redis.usedMemory()) - memoryBefore) / n) };
      };
      const completed = (queueName) => async () => (await pending('completed_at', queueName)) === 0;

      const out = { idle, relay: [], queues: {} };
      out.relay.push({
        queue: 'search',
        ...(await relay('search', `INSERT INTO outbox_events (queue, name, payload) SELECT 'search', 'index-article', jsonb_build_object('articleId', i, 'version', 0) FROM generate_series(1, ${relayEvents}) AS i`)),
      });
      log(`  relay: ${JSON.stringify(out.relay[0])}`);
      out.queues.search = { job: 'index-article (PostgreSQL search engine: nothing to write)', ...(await processJobs('search', relayEvents, completed('search'))) };
      log(`  search: ${out.queues.search.jobsPerSecond} jobs/s, ${out.queues.search.cpuMs} ms CPU per job`);

      out.relay.push({
        queue: 'mail',
        ...(await relay('mail', `INSERT INTO outbox_events (queue, name, payload) SELECT 'mail', 'welcome', jsonb_build_object('userId', i) FROM generate_series(1, ${mailJobs}) AS i`)),
      });
      const mailDone = async () => smtp.arrivals.size >= mailJobs && (await completed('mail')());
      out.queues.mail = { job: 'welcome (one mail, SMTP to a local sink)', ...(await processJobs('mail', mailJobs, mailDone)), duplicates: smtp.duplicates() };
      log(`  mail: ${out.queues.mail.jobsPerSecond} jobs/s, ${out.queues.mail.cpuMs} ms CPU per job`);

      // A new article's mail: one fan-out job, then a batch job per 100 followers, one mail per follower.
      const mailed = () => [...smtp.arrivals.keys()].filter((key) => key.startsWith('article.')).length;
      out.relay.push({
        queue: 'mail',
        ...(await relay('mail', `INSERT INTO outbox_events (queue, name, payload) SELECT 'mail', 'new-article', jsonb_build_object('articleId', id) FROM articles WHERE published_at IS NOT NULL`)),
      });
      const fanOutMails = fanOutArticles * FOLLOWERS;
      out.queues.mailFanOut = {
        job: `new-article of an author with ${FOLLOWERS} followers: the fan-out job and its batch job, per mail sent (jobs = mails)`,
        ...(await processJobs('mail', fanOutMails, async () => mailed() >= fanOutMails && (await completed('mail')()))),
        duplicates: smtp.duplicates(),
      };
      log(`  mail fan-out: ${out.queues.mailFanOut.jobsPerSecond} mails/s, ${out.queues.mailFanOut.cpuMs} ms CPU per mail`);

      out.relay.push({
        queue: 'scheduled',
        ...(await relay(
          'scheduled',
          `INSERT INTO outbox_events (queue, name, payload) SELECT 'scheduled', 'publish-article', jsonb_build_object('articleId', id) FROM articles WHERE published_at IS NULL`,
        )),
      });
      out.queues.scheduled = {
        job: 'publish-article (publishes, writes its new-article mail and search events, which the relay hands over: included)',
        ...(await processJobs('scheduled', scheduledJobs, completed('scheduled'))),
      };
      log(`  scheduled: ${out.queues.scheduled.jobsPerSecond} jobs/s, ${out.queues.scheduled.cpuMs} ms CPU per job`);

      out.relay.push({
        queue: 'media',
        ...(await relay('media', `INSERT INTO outbox_events (queue, name, payload) SELECT 'media', 'process-upload', jsonb_build_object('uploadId', id) FROM uploads`)),
      });
      const mediaDone = async () => Number((await bench.query(`SELECT count(*)::int AS n FROM uploads WHERE status = 'pending'`)).rows[0].n) === 0;
      out.queues.media = { job: `process-upload (a 4000x3000 JPEG of ${(photo.length / 1024 / 1024).toFixed(1)} MB into its variants)`, ...(await processJobs('media', images, mediaDone)) };
      const failed = Number((await bench.query(`SELECT count(*)::int AS n FROM uploads WHERE status = 'failed'`)).rows[0].n);
      if (failed > 0) throw new Error(`${failed} uploads failed:\n${worker.output().slice(-3000)}`);
      log(`  media: ${out.queues.media.jobsPerSecond} jobs/s, ${out.queues.media.cpuMs} ms CPU per job`);
      // What the completed events and the delivery records take, per row (mail_deliveries keeps one
      // per mail sent), compacted: each event was updated twice (handed over, completed), and what
      // those updates leave is autovacuum's to reuse.
      await bench.query('VACUUM (FULL, ANALYZE) outbox_events, mail_deliveries');
      const { rows: sizes } = await bench.query(
        `SELECT relname AS name, pg_total_relation_size(oid) AS bytes, (SELECT count(*) FROM outbox_events) AS outbox, (SELECT count(*) FROM mail_deliveries) AS deliveries
         FROM pg_class WHERE relname IN ('outbox_events', 'mail_deliveries') AND relkind = 'r'`,
      );
      out.storage = Object.fromEntries(
        sizes.map((row) => {
          const count = Number(row.name === 'outbox_events' ? row.outbox : row.deliveries);
          return [row.name, { rows: count, totalBytes: Number(row.bytes), totalBytesPerRow: round(Number(row.bytes) / Math.max(count, 1), 1) }];
        }),
      );
      out.settings = {
        concurrency: { mail: 8, search: 200, scheduled: 2, media: 2 },
        outboxPollMs: 500,
        relayBatch: 200,
        databasePoolMax: 10,
        note: 'the application defaults (DATABASE_POOL_MAX, OUTBOX_POLL_MS) and the processors\' declared concurrency',
      };
      return out;
    } catch (error) {
      console.error(worker.output().slice(-4000));
      throw error;
    } finally {
      bench.release();
      await stopChild(worker.child);
    }
  } finally {
    for (const queue of queues) await queue.close();
    await smtp.close();
    await pool.end();
    rmSync(storageDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------

async function machine(bench, redis) {
  const { rows } = await bench.query('SHOW server_version');
  const settings = (await bench.query(`SELECT name, setting FROM pg_settings WHERE name IN ('max_connections', 'shared_buffers', 'work_mem', 'shared_preload_libraries')`)).rows;
  return {
    cores: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memoryGiB: round(os.totalmem() / 1024 ** 3, 1),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    postgres: rows[0].server_version,
    postgresSettings: Object.fromEntries(settings.map((row) => [row.name, row.setting])),
    redis: (await redis.info('server')).redis_version,
    loadAverageAtStart: os.loadavg().map((value) => round(value, 2)),
    sharedWith: 'other work on the same machine: the load generator, PostgreSQL and Redis share these cores with the api',
  };
}

function printTable(measurements) {
  const rows = Object.entries(measurements.api.scenarios).map(([name, scenario]) => ({
    scenario: name,
    'req/s': scenario.cached.requestsPerSecond,
    'api CPU ms/req': scenario.cached.cpuMs,
    'PG CPU ms/req': scenario.cached.pgCpuMs,
    'statements/req': scenario.cached.statements,
    'Redis cmds/req': scenario.cached.redisCommands,
    'miss: req/s': scenario.uncached?.requestsPerSecond ?? '',
    'miss: api CPU ms': scenario.uncached?.cpuMs ?? '',
    'miss: PG CPU ms': scenario.uncached?.pgCpuMs ?? '',
    'miss: statements': scenario.uncached?.statements ?? '',
    failures: scenario.cached.failures + (scenario.uncached?.failures ?? 0),
  }));
  console.log('\none api process, cache on (a hit for reads), and the reads again with no cache (a miss):');
  console.table(rows);
  const worker = measurements.worker;
  console.log('one worker process:');
  console.table([
    ...worker.relay.map((relay) => ({
      work: `relay -> ${relay.queue}`,
      'per second': relay.eventsPerSecond ?? '(one batch)',
      'CPU ms each': relay.cpuMs,
      'PG CPU ms each': relay.pgCpuMs,
      'statements each': relay.statements,
      'Redis cmds each': relay.redisCommands,
    })),
    ...Object.entries(worker.queues).map(([name, queue]) => ({
      work: `${name} job`,
      'per second': queue.jobsPerSecond,
      'CPU ms each': queue.cpuMs,
      'PG CPU ms each': queue.pgCpuMs,
      'statements each': queue.statements,
      'Redis cmds each': queue.redisCommands,
    })),
  ]);
  const feed = measurements.queries.feed.map((entry) => ({
    following: entry.following,
    'page ms': entry.statements.page?.executionMs,
    'articlesCount ms': entry.statements.articlesCount?.executionMs,
    'count rows': entry.statements.articlesCount?.rows,
  }));
  console.log('feed statements under EXPLAIN ANALYZE:');
  console.table(feed);
  console.log(`anonymous list articlesCount: ${measurements.queries.anonymousList.articlesCount?.executionMs} ms`);
}

async function main() {
  if (process.argv.includes('--model')) {
    printModel(JSON.parse(readFileSync(outFile, 'utf8')));
    return;
  }
  const started = performance.now();
  if (!existsSync(path.join(root, 'dist/src/main.js'))) execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  await ensureBenchDatabase(databaseUrl);
  const redisUrl = await startThrowawayRedis(children, { port: ports.redis });
  const redis = new RedisProbe(redisUrl);
  const redisPid = await redis.pid();
  const postgres = new PostgresProbe(databaseUrl);
  await postgres.connect();
  const bench = new pg.Client({ connectionString: databaseUrl });
  await bench.connect();
  try {
    const benchPid = (await bench.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    const measurements = {
      command: 'npm run bench:capacity',
      measuredAt: new Date().toISOString(),
      machine: await machine(bench, redis),
      settings: {
        durationSeconds: duration,
        connections,
        signedInUsers,
        apiProcesses: 1,
        databasePoolMax: 10,
        cacheRedisMaxBytes: 64 * 1024 * 1024,
        note: 'the application defaults; rate limits off (the load comes from one address)',
      },
      method: {
        cpu: 'api and worker: process.cpuUsage() of the child (every thread) between snapshots; PostgreSQL: utime+stime from /proc of the client backends of the measured database; Redis: /proc of its redis-server. Idle rates, measured first, are subtracted.',
        statements: 'counted at the driver (pg.Client#query, bench/instrument.cjs): every statement the process sent, BEGIN and COMMIT included; crossCheck compares the server\'s own counts',
        redis: 'INFO commandstats of a redis-server started for this run (commands run inside BullMQ\'s scripts included), less the probe\'s INFO',
        divisor: 'reads: requests sent; writes: rows the writes made',
        noise: 'a 2-core machine shared with other work and with the load generator: throughput figures are noisy; per-request costs and ratios are steadier',
      },
      storage: await measureSizes(bench),
    };
    measurements.api = await measureApi({ redisUrl, postgres, redis, redisPid, bench, benchPid });
    const { captured, ...api } = measurements.api;
    measurements.api = api;
    measurements.queries = await measureQueries(bench, captured);
    measurements.worker = await measureWorker({ redisUrl, postgres, redis, redisPid });
    measurements.machine.loadAverageAtEnd = os.loadavg().map((value) => round(value, 2));
    measurements.runSeconds = round((performance.now() - started) / 1000, 1);
    mkdirSync(path.dirname(outFile), { recursive: true });
    writeFileSync(outFile, `${JSON.stringify(measurements, null, 2)}\n`);
    printTable(measurements);
    console.log(`\nwritten to ${path.relative(root, outFile)} in ${measurements.runSeconds} s; the model: node bench/capacity.mjs --model`);
  } finally {
    await bench.end().catch(() => undefined);
    await postgres.client.end().catch(() => undefined);
    redis.client.disconnect();
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

main().catch((error) => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  console.error(`bench:capacity failed: ${error.stack ?? error.message}`);
  process.exit(1);
});
