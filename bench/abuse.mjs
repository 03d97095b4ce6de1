#!/usr/bin/env node
// `npm run bench:abuse [scenario...]`: what one hostile client costs the api, on the benchmark data
// set (see generate-data.mjs), with production settings and the default limits. Scenarios:
//
//   body     four parallel 1 MB JSON bodies of ~90,000 keys: the longest /health/live wait meanwhile
//   cache    2,000 anonymous GETs of one article with ?x=<i>, then 3,000 of /api/articles?offset=<i>:
//            Redis used_memory and api resident memory before and after (a Redis of its own)
//   answers  an article with 3,000 comments of 10,000 characters and 40,000 tags in use: size and
//            time of GET .../comments and GET /api/tags, api memory, longest /health/live wait
//            (the rows are added for the run and removed after it)
//   search   ten clients each sending 91 searches a minute (`-cache` and `cache`) for 30 s: their
//            statuses and latency, and p50/p99 of GET /api/user and /health/live meanwhile
//
//   BENCH_DATABASE_URL   database to use (default: postgresql://postgres@127.0.0.1:5432/conduit_bench)
//   BENCH_API_ENTRY      the api to start (default dist/src/main.js; another build to compare)
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { BENCH_DATABASE_URL, ensureBenchDatabase, sleep, startBenchApi, startThrowawayRedis } from './bench-setup.mjs';

const databaseUrl = BENCH_DATABASE_URL;
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const ms = (value) => `${Math.round(value)} ms`;

function residentBytes(pid) {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
}

function redisUsedMemory(url) {
  const port = new URL(url).port;
  const info = spawnSync('redis-cli', ['-p', port, 'INFO', 'memory'], { encoding: 'utf8' }).stdout;
  return Number(/used_memory:(\d+)/.exec(info)[1]);
}

function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Requests `url` every `everyMs` until stopped; resolves to the latencies (ms) and statuses. */
function poll(url, everyMs, init = {}) {
  const latencies = [];
  const statuses = {};
  let running = true;
  const done = (async () => {
    while (running) {
      const started = performance.now();
      try {
        const response = await fetch(url, init);
        await response.arrayBuffer();
        statuses[response.status] = (statuses[response.status] ?? 0) + 1;
      } catch {
        statuses.failed = (statuses.failed ?? 0) + 1;
      }
      latencies.push(performance.now() - started);
      await sleep(Math.max(0, everyMs - (performance.now() - started)));
    }
  })();
  return { stop: async () => ((running = false), await done, { latencies, statuses }) };
}

/** Keeps the highest resident memory of `pid` until stopped. */
function watchMemory(pid) {
  let peak = residentBytes(pid);
  const timer = setInterval(() => (peak = Math.max(peak, residentBytes(pid))), 50);
  return () => (clearInterval(timer), peak);
}

async function login(base, email) {
  const response = await fetch(`${base}/api/users/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ user: { email, password: 'conduit-seed' } }),
  });
  return (await response.json()).user.token;
}

async function bodyScenario() {
  const api = await startBenchApi(databaseUrl, { RATE_LIMIT_ENABLED: 'true' });
  try {
    const members = [];
    for (let index = 0, size = 2; size < 1_000_000 - 40; index += 1) {
      const member = `"k${index}":1`;
      members.push(member);
      size += member.length + 1;
    }
    const body = `{"user":{${members.join(',')}}}`;
    const health = poll(`${api.base}/health/live`, 20);
    await sleep(500);
    const statuses = await Promise.all(
      Array.from({ length: 4 }, async () => (await fetch(`${api.base}/api/users/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body })).status),
    );
    await sleep(500);
    const { latencies } = await health.stop();
    console.log(`body: 4 parallel bodies of ${mb(body.length)} with ${members.length} keys answered ${statuses.join(', ')}; longest /health/live wait ${ms(Math.max(...latencies))}`);
  } finally {
    api.child.kill('SIGTERM');
  }
}

async function flood(paths, concurrency = 16) {
  let next = 0;
  const statuses = {};
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < paths.length) {
        const response = await fetch(paths[next++]);
        await response.arrayBuffer();
        statuses[response.status] = (statuses[response.status] ?? 0) + 1;
      }
    }),
  );
  return statuses;
}

async function cacheScenario() {
  const children = new Set();
  const redisUrl = await startThrowawayRedis(children);
  const api = await startBenchApi(databaseUrl, { REDIS_URL: redisUrl });
  try {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    const { rows } = await client.query('SELECT slug FROM articles WHERE published_at IS NOT NULL ORDER BY id LIMIT 1');
    await client.end();
    const before = { redis: redisUsedMemory(redisUrl), api: residentBytes(api.child.pid) };
    const statuses = await flood(Array.from({ length: 2_000 }, (_, index) => `${api.base}/api/articles/${rows[0].slug}?x=${index}`));
    const middle = { redis: redisUsedMemory(redisUrl), api: residentBytes(api.child.pid) };
    console.log(`cache: 2,000 GETs of one article with ?x=i (${JSON.stringify(statuses)}): Redis ${mb(before.redis)} -> ${mb(middle.redis)}, api ${mb(before.api)} -> ${mb(middle.api)}`);
    const listStatuses = await flood(Array.from({ length: 3_000 }, (_, index) => `${api.base}/api/articles?offset=${index}`));
    console.log(
      `cache: 3,000 GETs of /api/articles?offset=i (${JSON.stringify(listStatuses)}): Redis ${mb(middle.redis)} -> ${mb(redisUsedMemory(redisUrl))}, ` +
        `api ${mb(middle.api)} -> ${mb(residentBytes(api.child.pid))}`,
    );
  } finally {
    api.child.kill('SIGTERM');
    for (const child of children) child.kill('SIGKILL');
  }
}

async function answersScenario() {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const { rows } = await client.query('SELECT id, slug, author_id FROM articles WHERE published_at IS NOT NULL ORDER BY id DESC LIMIT 1');
  const article = rows[0];
  await client.query(
    `INSERT INTO comments (body, article_id, author_id, created_at, updated_at)
     SELECT 'bench-abuse ' || repeat('x', 9988), $1, $2, now() - make_interval(secs => n), now() FROM generate_series(1, 3000) AS n`,
    [article.id, article.author_id],
  );
  await client.query(`INSERT INTO tags (name) SELECT 'bench-abuse-' || n FROM generate_series(1, 40000) AS n`);
  await client.query(`INSERT INTO article_tags (article_id, tag_id) SELECT $1, id FROM tags WHERE name LIKE 'bench-abuse-%'`, [article.id]);
  const api = await startBenchApi(databaseUrl, { CACHE_ENABLED: 'false' });
  try {
    const peak = watchMemory(api.child.pid);
    const before = residentBytes(api.child.pid);
    const health = poll(`${api.base}/health/live`, 20);
    const started = performance.now();
    const sizes = await Promise.all(
      Array.from({ length: 4 }, async () => (await (await fetch(`${api.base}/api/articles/${article.slug}/comments`)).arrayBuffer()).byteLength),
    );
    const commentsMs = performance.now() - started;
    const { latencies } = await health.stop();
    console.log(
      `answers: 4 parallel GETs of the comments of an article with 3,000 comments: ${mb(sizes[0])} each, ${ms(commentsMs)}, ` +
        `api ${mb(before)} -> peak ${mb(peak())}, longest /health/live wait ${ms(Math.max(...latencies))}`,
    );
    const tagsStarted = performance.now();
    const tags = await fetch(`${api.base}/api/tags`);
    const tagsBody = await tags.arrayBuffer();
    console.log(`answers: GET /api/tags with 40,050 tags in use: ${tags.status}, ${(tagsBody.byteLength / 1024).toFixed(0)} kB in ${ms(performance.now() - tagsStarted)}`);
  } finally {
    api.child.kill('SIGTERM');
    await client.query(`DELETE FROM comments WHERE article_id = $1 AND body LIKE 'bench-abuse %'`, [article.id]);
    await client.query(`DELETE FROM tags WHERE name LIKE 'bench-abuse-%'`);
    await client.end();
  }
}

async function searchScenario() {
  const children = new Set();
  const redisUrl = await startThrowawayRedis(children);
  // Production limits, with each flooding client at an address of its own (X-Forwarded-For).
  const api = await startBenchApi(databaseUrl, { REDIS_URL: redisUrl, RATE_LIMIT_ENABLED: 'true', TRUST_PROXY: 'loopback' });
  try {
    const token = await login(api.base, 'user1@seed.example');
    const user = poll(`${api.base}/api/user`, 100, { headers: { Authorization: `Token ${token}`, 'X-Forwarded-For': '192.0.2.200' } });
    const health = poll(`${api.base}/health/live`, 100);
    await sleep(3_000);
    const quiet = await user.stop();
    const userDuring = poll(`${api.base}/api/user`, 100, { headers: { Authorization: `Token ${token}`, 'X-Forwarded-For': '192.0.2.200' } });
    const searches = { latencies: [], statuses: {} };
    const pending = [];
    const end = Date.now() + 30_000;
    for (let clientIndex = 0; clientIndex < 10; clientIndex += 1) {
      pending.push(
        (async () => {
          for (let request = 0; Date.now() < end; request += 1) {
            const q = request % 2 === 0 ? '-cache' : 'cache';
            const started = performance.now();
            pending.push(
              fetch(`${api.base}/api/search/articles?q=${encodeURIComponent(q)}`, { headers: { 'X-Forwarded-For': `192.0.2.${clientIndex + 1}` } })
                .then(async (response) => {
                  await response.arrayBuffer();
                  searches.statuses[response.status] = (searches.statuses[response.status] ?? 0) + 1;
                })
                .catch(() => (searches.statuses.failed = (searches.statuses.failed ?? 0) + 1))
                .finally(() => searches.latencies.push(performance.now() - started)),
            );
            await sleep(60_000 / 91);
          }
        })(),
      );
    }
    while (Date.now() < end) await sleep(500);
    await Promise.allSettled(pending);
    const during = await userDuring.stop();
    const live = await health.stop();
    console.log(
      `search: 10 clients x 91 searches/min for 30 s: ${JSON.stringify(searches.statuses)}, search p50 ${ms(percentile(searches.latencies, 50))} p99 ${ms(percentile(searches.latencies, 99))}`,
    );
    console.log(`search: GET /api/user before the flood p50 ${ms(percentile(quiet.latencies, 50))} p99 ${ms(percentile(quiet.latencies, 99))} ${JSON.stringify(quiet.statuses)}`);
    console.log(`search: GET /api/user during the flood p50 ${ms(percentile(during.latencies, 50))} p99 ${ms(percentile(during.latencies, 99))} ${JSON.stringify(during.statuses)}`);
    console.log(`search: /health/live over the run p99 ${ms(percentile(live.latencies, 99))}, longest ${ms(Math.max(...live.latencies))}`);
  } finally {
    api.child.kill('SIGTERM');
    for (const child of children) child.kill('SIGKILL');
  }
}

const scenarios = { body: bodyScenario, cache: cacheScenario, answers: answersScenario, search: searchScenario };
const chosen = process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(scenarios);
await ensureBenchDatabase(databaseUrl);
for (const name of chosen) {
  if (!scenarios[name]) throw new Error(`unknown scenario ${name}: one of ${Object.keys(scenarios).join(', ')}`);
  await scenarios[name]();
}
