import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import request from 'supertest';
import { ApiProcess, startApi, startThrowawayRedis, stopAll, ThrowawayRedis } from '../helpers/child-processes';
import { unique } from '../helpers/factories';

jest.setTimeout(180_000);

/** The response cache's share of Redis in this suite: small, so that a few thousand requests exceed it. */
const REDIS_BUDGET = 256 * 1024;

/** Runs `redis-cli` against the suite's Redis and answers its output. */
function redisCli(redis: ThrowawayRedis, ...args: string[]): string {
  const result = spawnSync('redis-cli', ['-p', String(redis.port), '--raw', ...args], { encoding: 'utf8', timeout: 10_000 });
  if (result.status !== 0) throw new Error(`redis-cli ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout.trim();
}

/** Bytes held by the cached responses (values only) under keys matching `pattern`. */
function entryBytes(redis: ThrowawayRedis, pattern = '*::entry:*'): number {
  const script = "local total = 0 for _, key in ipairs(redis.call('KEYS', ARGV[1])) do total = total + redis.call('STRLEN', key) end return total";
  return Number(redisCli(redis, 'EVAL', script, '0', pattern));
}

function usedMemory(redis: ThrowawayRedis): number {
  return Number(/used_memory:(\d+)/.exec(redisCli(redis, 'INFO', 'memory'))![1]);
}

/** Resident memory of a process, from /proc (Linux). */
function residentBytes(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
}

/** Sends `paths` with `concurrency` requests at a time; answers their statuses. */
async function flood(url: string, paths: string[], concurrency = 16): Promise<number[]> {
  const statuses: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < paths.length) {
        const path = paths[next++];
        statuses.push((await request(url).get(path)).status);
      }
    }),
  );
  return statuses;
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/**
 * Anonymous GETs with junk or distinct query strings, against an api process on a Redis of its
 * own: the cache keeps one entry per answer a route can give (only the parameters it reads), and
 * its entries stay within CACHE_REDIS_MAX_BYTES however many distinct URLs arrive.
 */
describe('Abuse: a flood of distinct URLs against the response cache', () => {
  let redis: ThrowawayRedis;
  let server: ApiProcess;
  let slug: string;
  const figures: string[] = [];

  beforeAll(async () => {
    redis = await startThrowawayRedis();
    server = await startApi({ REDIS_URL: redis.url, CACHE_REDIS_MAX_BYTES: String(REDIS_BUDGET) });
    const name = unique('flood');
    const registered = await request(server.url).post('/api/users').send({ user: { username: name, email: `${name}@example.test`, password: 'a-long-password' } });
    const token = (registered.body as { user: { token: string } }).user.token;
    for (let index = 0; index < 5; index += 1) {
      const created = await request(server.url)
        .post('/api/articles')
        .set('Authorization', `Token ${token}`)
        .send({ article: { title: unique('Flooded article'), description: 'd', body: 'word '.repeat(200), tagList: ['flood'] } });
      expect(created.status).toBe(201);
      slug = (created.body as { article: { slug: string } }).article.slug;
    }
  });

  afterAll(async () => {
    console.log(figures.join('\n'));
    await stopAll();
  });

  it('keeps one entry for an article however many junk parameters its URL carries', async () => {
    const memoryBefore = usedMemory(redis);
    const rssBefore = residentBytes(server.child.pid!);

    const statuses = await flood(server.url, Array.from({ length: 2_000 }, (_, index) => `/api/articles/${slug}?x=${index}`));

    expect(statuses.every((status) => status === 200)).toBe(true);
    const entries = redis.keys(`*::entry:article:*${slug}*`);
    figures.push(
      `2,000 GETs of one article with ?x=i: ${entries.length} entries, Redis used_memory ${mb(memoryBefore)} -> ${mb(usedMemory(redis))}, ` +
        `api RSS ${mb(rssBefore)} -> ${mb(residentBytes(server.child.pid!))}`,
    );
    expect(entries).toHaveLength(1);
  });

  it('keeps the cached entries within CACHE_REDIS_MAX_BYTES under a flood of distinct valid URLs', async () => {
    const memoryBefore = usedMemory(redis);
    const rssBefore = residentBytes(server.child.pid!);

    const statuses = await flood(server.url, Array.from({ length: 3_000 }, (_, index) => `/api/articles?limit=1&offset=${index}`));

    expect(statuses.every((status) => status === 200)).toBe(true);
    const bytes = entryBytes(redis);
    figures.push(
      `3,000 GETs of /api/articles?limit=1&offset=i: ${redis.keys('*::entry:*').length} entries of ${mb(bytes)} (budget ${mb(REDIS_BUDGET)}), ` +
        `Redis used_memory ${mb(memoryBefore)} -> ${mb(usedMemory(redis))}, api RSS ${mb(rssBefore)} -> ${mb(residentBytes(server.child.pid!))}`,
    );
    expect(bytes).toBeLessThanOrEqual(REDIS_BUDGET);
    // The latest answers are still cached and served.
    expect(redis.keys('*::entry:articles:*offset=2999*')).toHaveLength(1);
  });

  it('still tells apart the parameters a route reads, in any order, and ignores the rest', async () => {
    const one = await request(server.url).get('/api/articles?limit=1&offset=1');
    const same = await request(server.url).get('/api/articles?utm_source=x&offset=1&limit=1');
    const two = await request(server.url).get('/api/articles?limit=2&offset=1');
    const tagged = await request(server.url).get('/api/articles?tag=no-such-tag&limit=1&offset=1');

    expect(same.body).toEqual(one.body);
    expect(two.body.articles).toHaveLength(2);
    expect(one.body.articles).toHaveLength(1);
    expect(tagged.body.articles).toEqual([]);
  });
});
