import request from 'supertest';
import { ApiProcess, startApi, startThrowawayRedis, stopAll, ThrowawayRedis } from '../helpers/child-processes';
import { newArticleInput, newUserInput, unique } from '../helpers/factories';
import { parseWalPosition } from '@/infra/prisma/wal-position';
import { startStreamingReplication, StreamingReplication } from '../helpers/postgres-replica';
import { sampleValue } from '../helpers/prometheus';
import { waitFor } from '../helpers/worker';

/**
 * Read replicas on a real streaming replica (test/helpers/postgres-replica.ts): a throwaway
 * primary, `pg_basebackup -R` of it as a hot standby on another port, and built api processes
 * (`node dist/src/main.js`) with DATABASE_REPLICA_URLS naming it. Whether a read reached the
 * replica is counted twice: by the api's metrics, and on the replica itself (pg_stat_statements).
 * A paused replay (`pg_wal_replay_pause()`) makes the replica observably behind: what it answers
 * is older than the primary's data.
 */

jest.setTimeout(180_000);

const CHECK_MS = 200;
const PRIMARY_REASONS = ['no-replica', 'read-your-writes', 'writer-unknown', 'cache-fill'];
const MAX_LAG_MS = 3_000;

interface User {
  username: string;
  token: string;
}

describe('PostgreSQL read replicas', () => {
  let cluster: StreamingReplication;
  /** Two api processes on the same primary, replica and Redis, as behind a load balancer. */
  let a: ApiProcess;
  let b: ApiProcess;
  /** A third, with a Redis of its own and replica checks that never come after the first. */
  let c: ApiProcess;
  let cRedis: ThrowawayRedis;
  let alice: User;
  let slug: string;

  beforeAll(async () => {
    cluster = await startStreamingReplication({ database: 'conduit_repl_test' });
    const env = {
      DATABASE_URL: cluster.primary.url,
      DATABASE_REPLICA_URLS: cluster.replica.url,
      DATABASE_REPLICA_CHECK_MS: String(CHECK_MS),
      DATABASE_REPLICA_MAX_LAG_MS: String(MAX_LAG_MS),
      DATABASE_READ_YOUR_WRITES_MS: '5000',
    };
    cRedis = await startThrowawayRedis();
    [a, b, c] = await Promise.all([
      startApi(env),
      startApi(env),
      startApi({ ...env, REDIS_URL: cRedis.url, DATABASE_REPLICA_CHECK_MS: '60000', DATABASE_READ_YOUR_WRITES_MS: '65000' }),
    ]);
    alice = await register(a, 'alice');
    slug = (await write(a, 'post', '/api/articles', alice, { article: newArticleInput({ body: 'A body about zeppelins.', tagList: ['airships'] }) })).body.article.slug;
    await write(a, 'post', `/api/articles/${slug}/comments`, alice, { comment: { body: 'First!' } });
  });

  afterAll(async () => {
    await stopAll();
    await cluster?.remove();
  });

  async function register(api: ApiProcess, prefix: string): Promise<User> {
    const response = await request(api.url).post('/api/users').send({ user: newUserInput({ username: unique(prefix) }) });
    expect(response.status).toBe(201);
    return { username: response.body.user.username, token: response.body.user.token };
  }

  function call(api: ApiProcess, method: 'get' | 'post' | 'put' | 'delete', path: string, user?: User): request.Test {
    const test = request(api.url)[method](path);
    return user ? test.set('Authorization', `Token ${user.token}`) : test;
  }

  async function write(api: ApiProcess, method: 'post' | 'put', path: string, user: User, body: object): Promise<request.Response> {
    const response = await call(api, method, path, user).send(body);
    if (response.status >= 300) throw new Error(`${method.toUpperCase()} ${path}: ${response.status} ${response.text}`);
    return response;
  }

  async function read<T = Record<string, unknown>>(api: ApiProcess, path: string, user?: User): Promise<T> {
    const response = await call(api, 'get', path, user);
    if (response.status !== 200) throw new Error(`GET ${path} on :${api.port} as ${user?.username ?? 'anonymous'}: ${response.status} ${response.text}`);
    return response.body as T;
  }

  async function metric(api: ApiProcess, name: string, labels: Record<string, string> = {}): Promise<number> {
    const response = await request(api.url).get('/metrics');
    expect(response.status).toBe(200);
    return sampleValue(response.text, name, labels) ?? 0;
  }

  const replicaReads = (api: ApiProcess): Promise<number> => metric(api, 'conduit_db_replica_reads_total');
  const primaryReads = (api: ApiProcess, reason: string): Promise<number> => metric(api, 'conduit_db_primary_reads_total', { reason });

  async function replicaState(api: ApiProcess): Promise<{ name: string; healthy: boolean; lagMs?: number; replayed?: string; reason?: string }> {
    const response = await request(api.url).get('/health/ready');
    expect(response.status).toBe(200);
    return response.body.details.database.replicas[0];
  }

  /** Hits of a full-text search, which is never cached: each one reads the database. */
  async function searchHits(api: ApiProcess, word: string, user?: User): Promise<number> {
    return (await read<{ articlesCount: number }>(api, `/api/search/articles?q=${word}`, user)).articlesCount;
  }

  /**
   * The replica has replayed everything, and the checks of the api processes that check often
   * (a and b) have seen it do so: a check that began before the replay caught up does not count.
   */
  async function replicaCurrent(): Promise<void> {
    const position = parseWalPosition(await cluster.caughtUp());
    for (const api of [a, b]) {
      await waitFor(`the replica seen current by :${api.port}`, async () => {
        const state = await replicaState(api);
        return state.healthy && state.replayed !== undefined && parseWalPosition(state.replayed) >= position;
      }, { timeoutMs: 10_000, intervalMs: 50 });
    }
  }

  it('serves anonymous article lists, article pages, comments, tags, profiles and search from the replica', async () => {
    await replicaCurrent();
    const [appBefore, serverBefore] = [await replicaReads(b), await cluster.statementCalls('%articles%')];
    const primaryBefore = Object.fromEntries(await Promise.all(PRIMARY_REASONS.map(async (reason) => [reason, await primaryReads(b, reason)]))) as Record<string, number>;
    const list = await read<{ articles: Array<{ slug: string }> }>(b, '/api/articles');
    expect(list.articles.map((article) => article.slug)).toContain(slug);
    expect(await read(b, `/api/articles/${slug}`)).toMatchObject({ article: { slug, body: 'A body about zeppelins.' } });
    expect(await read(b, `/api/articles/${slug}/comments`)).toMatchObject({ comments: [{ body: 'First!' }] });
    expect(await read(b, '/api/tags')).toEqual({ tags: ['airships'] });
    expect(await read(b, `/api/profiles/${alice.username}`)).toMatchObject({ profile: { username: alice.username, following: false } });
    expect(await searchHits(b, 'zeppelins')).toBe(1);
    // One or more reads per route, each counted by the api and run by the replica's own server;
    // the primary's reads by reason, to say why when fewer reached the replica.
    const routed = { replica: (await replicaReads(b)) - appBefore, ...Object.fromEntries(await Promise.all(PRIMARY_REASONS.map(async (reason) => [`primary:${reason}`, (await primaryReads(b, reason)) - primaryBefore[reason]]))) };
    expect(routed.replica >= 6 ? 'at least 6 on the replica' : routed).toBe('at least 6 on the replica');
    expect((await cluster.statementCalls('%articles%')) - serverBefore).toBeGreaterThanOrEqual(4);
    expect(await replicaState(b)).toMatchObject({ healthy: true, lagMs: expect.any(Number) as number });
    expect(await metric(b, 'conduit_db_replica_healthy')).toBe(1);
  });

  it('keeps writes and the writer’s next reads, on any api process, on the primary, while anonymous readers get the replica', async () => {
    await replicaCurrent();
    await cluster.pauseReplay();
    try {
      const [rywBefore, fillBefore] = [await primaryReads(b, 'read-your-writes'), await primaryReads(b, 'cache-fill')];
      const written = Date.now();
      await write(a, 'put', `/api/articles/${slug}`, alice, { article: { body: 'Now about blimps.' } });

      // The replica lacks the write (replay is paused), yet is within the bound: anonymous search still goes there.
      expect(await searchHits(b, 'blimps')).toBe(0);
      // The writer, through the other api process, reads from the primary and sees it.
      expect(await searchHits(b, 'blimps', alice)).toBe(1);
      expect(await read(b, `/api/articles/${slug}`, alice)).toMatchObject({ article: { body: 'Now about blimps.' } });
      expect((await primaryReads(b, 'read-your-writes')) - rywBefore).toBeGreaterThanOrEqual(2);
      // A cached page is filled only from data past its last invalidation: the primary here, never the stale replica.
      expect(await read(b, `/api/articles/${slug}/comments`)).toMatchObject({ comments: [{ body: 'First!' }] });
      expect((await primaryReads(b, 'cache-fill')) - fillBefore).toBeGreaterThanOrEqual(1);
      expect(Date.now() - written).toBeLessThan(MAX_LAG_MS);
    } finally {
      await cluster.resumeReplay();
    }
  });

  it('leaves out a replica that lags past DATABASE_REPLICA_MAX_LAG_MS, and takes it back once it has caught up', async () => {
    await replicaCurrent();
    await cluster.pauseReplay();
    let resumed = false;
    try {
      await write(a, 'put', `/api/articles/${slug}`, alice, { article: { body: 'Lately about dirigibles.' } });
      const out = await waitFor('the replica left out', async () => {
        const state = await replicaState(b);
        return !state.healthy && state;
      }, { timeoutMs: MAX_LAG_MS + 5_000, intervalMs: 100 });
      expect(out.reason).toMatch(/ms behind the primary \(bound 3000 ms\)/);
      expect(await metric(b, 'conduit_db_replica_healthy')).toBe(0);
      expect(await metric(b, 'conduit_db_replica_lag_seconds')).toBeGreaterThan(MAX_LAG_MS / 1000);
      // Anonymous readers now get the primary, and the write.
      const [noReplicaBefore, readsBefore] = [await primaryReads(b, 'no-replica'), await replicaReads(b)];
      expect(await searchHits(b, 'dirigibles')).toBe(1);
      expect((await primaryReads(b, 'no-replica')) - noReplicaBefore).toBeGreaterThanOrEqual(1);
      expect(await replicaReads(b)).toBe(readsBefore);

      await cluster.resumeReplay();
      resumed = true;
      await cluster.caughtUp();
      await waitFor('the replica back in', async () => (await replicaState(b)).healthy, { timeoutMs: 10_000, intervalMs: 100 });
      const serverBefore = await cluster.statementCalls('%articles%');
      expect(await searchHits(b, 'dirigibles')).toBe(1);
      expect(await replicaReads(b)).toBeGreaterThan(readsBefore);
      expect(await cluster.statementCalls('%articles%')).toBeGreaterThan(serverBefore);
    } finally {
      if (!resumed) await cluster.resumeReplay();
    }
  });

  it('sends signed-in readers to the primary while Redis cannot say whether they wrote, and anonymous ones to the replica', async () => {
    const carol = await register(c, 'carol');
    await cluster.caughtUp();
    await cRedis.kill();
    try {
      const [unknownBefore, readsBefore] = [await primaryReads(c, 'writer-unknown'), await replicaReads(c)];
      expect(await searchHits(c, 'dirigibles', carol)).toBe(1);
      expect((await primaryReads(c, 'writer-unknown')) - unknownBefore).toBeGreaterThanOrEqual(1);
      expect(await replicaReads(c)).toBe(readsBefore);
      expect(await searchHits(c, 'dirigibles')).toBe(1);
      expect(await replicaReads(c)).toBeGreaterThan(readsBefore);
    } finally {
      await cRedis.start();
    }
  });

  it('answers every read while the replica is stopped: a failed replica read is retried on the primary, and the replica left out until it is back', async () => {
    await replicaCurrent();
    await cluster.replica.stop();
    try {
      // C checks its replicas only once, at start: its first read finds the replica gone by failing on it.
      const failedBefore = await metric(c, 'conduit_db_replica_failed_reads_total');
      expect(await replicaState(c)).toMatchObject({ healthy: true });
      expect(await searchHits(c, 'dirigibles')).toBe(1);
      expect((await metric(c, 'conduit_db_replica_failed_reads_total')) - failedBefore).toBe(1);
      expect(await replicaState(c)).toMatchObject({ healthy: false, reason: expect.stringMatching(/^a read failed/) as string });

      // A and B, under reads all along: no error to any client, and the check leaves it out.
      const statuses: number[] = [];
      for (let round = 0; round < 10; round += 1) {
        for (const api of [a, b]) {
          for (const path of ['/api/search/articles?q=dirigibles', `/api/articles/${slug}`, '/api/articles', '/api/tags', `/api/profiles/${alice.username}`]) {
            statuses.push((await call(api, 'get', path)).status);
          }
        }
      }
      expect(statuses.filter((status) => status !== 200)).toEqual([]);
      for (const api of [a, b]) expect(await replicaState(api)).toMatchObject({ healthy: false, reason: expect.stringMatching(/^(unreachable|a read failed)/) as string });
    } finally {
      await cluster.replica.start();
    }
    await waitFor('the restarted replica back in', async () => (await replicaState(a)).healthy, { timeoutMs: 20_000, intervalMs: 100 });
    const readsBefore = await replicaReads(a);
    expect(await searchHits(a, 'dirigibles')).toBe(1);
    expect(await replicaReads(a)).toBeGreaterThan(readsBefore);
  });
});
