import { Queue } from 'bullmq';
import { Cluster } from 'ioredis';
import request from 'supertest';
import type { DeploymentNamespace } from '@/infra/redis/deployment-namespace';
import { ApiProcess, startApi, stopAll, ThrowawayRedis } from '../helpers/child-processes';
import { RedisClusterProcesses, redisCli, startRedisCluster } from '../helpers/redis-topologies';
import {
  backgroundEnv,
  ConduitClient,
  SmtpCapture,
  startSmtpCapture,
  startWorker,
  TEST_SENDER_DOMAIN,
  TestDatabase,
  waitForQuiet,
} from '../helpers/worker';

/**
 * The application on a real Redis Cluster of three primaries (REDIS_CLUSTER_NODES): two api
 * replicas and a worker. The cache's keys spread over the slots, BullMQ's stay on the one slot of
 * the deployment's hash tag, rate-limit scripts touch keys of one slot, and cache invalidations
 * published on one node reach subscribers on the others.
 */

jest.setTimeout(240_000);

describe('Redis Cluster (e2e)', () => {
  const database = new TestDatabase();
  let cluster: RedisClusterProcesses;
  let smtp: SmtpCapture;
  let apis: ApiProcess[];
  let namespace: DeploymentNamespace;
  let mailQueue: Queue;

  beforeAll(async () => {
    const started = Date.now();
    await database.truncateAll();
    [cluster, smtp] = await Promise.all([startRedisCluster(3), startSmtpCapture()]);
    const env = {
      // REDIS_URL names nothing that listens: everything must go through the cluster.
      ...backgroundEnv({ url: 'redis://127.0.0.1:1' } as ThrowawayRedis, smtp),
      REDIS_CLUSTER_NODES: cluster.seeds,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_ENABLED: 'true',
      RATE_LIMIT_MAX: '10000',
      RATE_LIMIT_AUTH_MAX: '10000',
      RATE_LIMIT_AUTH_ACCOUNT_MAX: '3',
    };
    apis = [await startApi(env), await startApi(env)];
    await startWorker(env);
    namespace = await database.namespace();
    mailQueue = new Queue('mail', {
      connection: new Cluster(cluster.seeds.split(',').map((seed) => ({ host: '127.0.0.1', port: Number(seed.split(':')[1]) })), {
        redisOptions: { maxRetriesPerRequest: null },
      }),
      prefix: namespace.queuePrefix,
    });
    console.log(`REDIS-CLUSTER stack of 3 primaries, 2 apis and a worker up in ${Date.now() - started} ms`);
  });

  afterAll(async () => {
    await mailQueue?.close();
    await stopAll();
    await smtp?.close();
    await cluster?.stop();
    await database.close();
  });

  it('runs the write, mail, cache and rate-limit paths across the cluster', async () => {
    const started = Date.now();
    const [a, b] = apis.map((api) => new ConduitClient(api.url));
    const alice = await a.register('alice');
    const bob = await b.register('bob');
    await b.follow(bob, alice);
    const article = await a.createArticle(alice, { title: 'Sharded' });
    await b.comment(bob, article.slug, 'Across slots');

    // B caches the article; a change behind the API stays unseen through B until a write through A.
    expect((await b.call('get', `/api/articles/${article.slug}`).expect(200)).body.article.title).toBe('Sharded');
    await database.pool.query('UPDATE articles SET title = $1 WHERE slug = $2', ['Changed behind the API', article.slug]);
    expect((await b.call('get', `/api/articles/${article.slug}`).expect(200)).body.article.title).toBe('Sharded');
    expect((await a.call('post', `/api/articles/${article.slug}/favorite`, bob)).status).toBe(200);
    expect((await b.call('get', `/api/articles/${article.slug}`).expect(200)).body.article.title).toBe('Changed behind the API');

    // Every process subscribed to the invalidation channel, on whichever node it connected to.
    const subscribers = cluster.nodes
      .map((node) => Number(redisCli(node.port, 'PUBSUB', 'NUMSUB', namespace.key('cache', 'invalidate')).split('\n')[1]))
      .reduce((sum, count) => sum + count, 0);
    expect(subscribers).toBe(3);

    // The account limit holds across both replicas: the fourth login attempt is refused.
    const login = (api: ApiProcess) => request(api.url).post('/api/users/login').send({ user: { email: alice.email, password: 'wrong-password' } });
    for (let attempt = 0; attempt < 3; attempt += 1) expect((await login(apis[attempt % 2])).status).toBe(401);
    expect((await login(apis[1])).status).toBe(429);

    await waitForQuiet(database, [mailQueue], 60_000);
    const [{ articleId, commentId }] = (
      await database.pool.query<{ articleId: number; commentId: number }>('SELECT a.id AS "articleId", c.id AS "commentId" FROM articles a JOIN comments c ON c.article_id = a.id')
    ).rows;
    const expected = [`welcome.${alice.id}`, `welcome.${bob.id}`, `follow.${bob.id}.${alice.id}`, `article.${articleId}.${bob.id}`, `comment.${commentId}`]
      .map((key) => namespace.messageId(key, TEST_SENDER_DOMAIN))
      .sort();
    expect(smtp.accepted.map((mail) => mail.messageId).sort()).toEqual(expected);

    // Cache keys spread over the primaries; the queues share the one slot of their hash tag.
    const cacheKeys = cluster.keysByNode(`${namespace.prefix}::*`);
    expect([...cacheKeys.values()].filter((keys) => keys.length > 0).length).toBeGreaterThanOrEqual(2);
    const queueKeys = cluster.keysByNode(`${namespace.queuePrefix}:*`);
    expect([...queueKeys.values()].filter((keys) => keys.length > 0)).toHaveLength(1);
    console.log(
      `REDIS-CLUSTER e2e path: ${smtp.accepted.length} mails, cache keys by node ${[...cacheKeys.values()].map((keys) => keys.length).join('/')}, ${Date.now() - started} ms`,
    );
  });
});
