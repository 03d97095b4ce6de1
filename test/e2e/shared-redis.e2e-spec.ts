import { spawnSync } from 'node:child_process';
import type { Queue } from 'bullmq';
import type { DeploymentNamespace } from '@/infra/redis/deployment-namespace';
import { ApiProcess, startApi, startThrowawayRedis, stopAll, ThrowawayRedis } from '../helpers/child-processes';
import { createMigratedDatabase, dropDatabase } from '../helpers/databases';
import {
  Account,
  backgroundEnv,
  ConduitClient,
  inspectQueue,
  SmtpCapture,
  startSmtpCapture,
  startWorker,
  TEST_SENDER_DOMAIN,
  TestDatabase,
  waitForQuiet,
  WorkerProcess,
} from '../helpers/worker';

/**
 * Two deployments (each its own database, api and worker) on one Redis, then one of them reset
 * (its database dropped, created and migrated again) while Redis keeps everything. Both databases
 * hand out the same ids, so without a namespace of their own they would share job ids and "already
 * sent" marks: here each mail must arrive once, at the SMTP server of the deployment it belongs to.
 */

jest.setTimeout(240_000);

const BASE = decodeURIComponent(new URL(process.env.DATABASE_URL!).pathname.slice(1));

interface Deployment {
  name: string;
  database: TestDatabase;
  namespace: DeploymentNamespace;
  smtp: SmtpCapture;
  api: ApiProcess;
  worker: WorkerProcess;
  client: ConduitClient;
  mailQueue: Queue;
}

/** What each deployment does: every step sends one mail (two welcomes, a follower, a new article, a comment). */
async function scene(deployment: Deployment): Promise<{ alice: Account; bob: Account; expected: string[] }> {
  const { client, database } = deployment;
  const alice = await client.register(`${deployment.name}alice`);
  const bob = await client.register(`${deployment.name}bob`);
  await client.follow(bob, alice);
  const article = await client.createArticle(alice, { title: `News from ${deployment.name}` });
  await client.comment(bob, article.slug, 'Well said');
  // Anonymous reads fill the response cache; the writes above invalidated it over pub/sub.
  expect((await client.call('get', '/api/articles').expect(200)).body.articlesCount).toBe(1);
  const [{ articleId, commentId }] = (
    await database.pool.query<{ articleId: number; commentId: number }>(
      'SELECT a.id AS "articleId", c.id AS "commentId" FROM articles a JOIN comments c ON c.article_id = a.id',
    )
  ).rows;
  const keys = [`welcome.${alice.id}`, `welcome.${bob.id}`, `follow.${bob.id}.${alice.id}`, `article.${articleId}.${bob.id}`, `comment.${commentId}`];
  return { alice, bob, expected: keys.map((key) => deployment.namespace.messageId(key, TEST_SENDER_DOMAIN)).sort() };
}

function acceptedIds(smtp: SmtpCapture): string[] {
  return smtp.accepted.map((mail) => mail.messageId).sort();
}

describe('deployments sharing one Redis (e2e)', () => {
  let redis: ThrowawayRedis;
  const smtps: SmtpCapture[] = [];
  const deployments: Deployment[] = [];

  async function deploy(name: string, smtp: SmtpCapture): Promise<Deployment> {
    const url = await createMigratedDatabase(`${BASE}_${name}`);
    const env = {
      ...backgroundEnv(redis, smtp),
      DATABASE_URL: url,
      LOG_LEVEL: 'warn',
      // Counted in Redis under the deployment's namespace; high enough never to refuse anything here.
      RATE_LIMIT_ENABLED: 'true',
      RATE_LIMIT_MAX: '10000',
      RATE_LIMIT_AUTH_MAX: '10000',
      RATE_LIMIT_AUTH_ACCOUNT_MAX: '10000',
    };
    const database = new TestDatabase(url);
    const api = await startApi(env);
    const worker = await startWorker(env);
    const namespace = await database.namespace();
    const deployment = { name, database, namespace, smtp, api, worker, client: new ConduitClient(api.url), mailQueue: inspectQueue(redis, namespace, 'mail') };
    deployments.push(deployment);
    return deployment;
  }

  async function retire(deployment: Deployment): Promise<void> {
    await deployment.mailQueue.close();
    await Promise.all([deployment.api.stop(), deployment.worker.stop()]);
    await deployment.database.close();
    deployments.splice(deployments.indexOf(deployment), 1);
  }

  beforeAll(async () => {
    redis = await startThrowawayRedis();
    smtps.push(await startSmtpCapture(), await startSmtpCapture());
  });

  afterAll(async () => {
    for (const deployment of [...deployments]) await retire(deployment).catch(() => undefined);
    await stopAll();
    await Promise.all(smtps.map((smtp) => smtp.close()));
    await Promise.all(['east', 'west'].map((name) => dropDatabase(`${BASE}_${name}`).catch(() => undefined)));
  });

  it('keeps each deployment to its own jobs, marks, counters and channels, and mails each user once', async () => {
    const started = Date.now();
    // One after the other: four processes starting at once are slow on a small machine.
    const east = await deploy('east', smtps[0]);
    const west = await deploy('west', smtps[1]);
    expect(east.namespace.prefix).not.toBe(west.namespace.prefix);

    const [eastScene, westScene] = await Promise.all([scene(east), scene(west)]);
    // The collision this guards against: both databases gave out the same ids.
    expect([eastScene.alice.id, eastScene.bob.id]).toEqual([westScene.alice.id, westScene.bob.id]);
    await Promise.all([east, west].map((each) => waitForQuiet(each.database, [each.mailQueue], 30_000)));

    expect(acceptedIds(east.smtp)).toEqual(eastScene.expected);
    expect(acceptedIds(west.smtp)).toEqual(westScene.expected);
    expect(new Set(east.smtp.accepted.flatMap((mail) => mail.to))).toEqual(new Set([eastScene.alice.email, eastScene.bob.email]));
    expect(new Set(west.smtp.accepted.flatMap((mail) => mail.to))).toEqual(new Set([westScene.alice.email, westScene.bob.email]));

    // Every key in Redis is one deployment's: its cache (`<prefix>::`), queues (`{<prefix>}:`),
    // mail marks and rate-limit counters (`<prefix>:`, `{<prefix>:rate:...}`).
    const keys = redis.keys('*');
    const owned = (namespace: DeploymentNamespace) =>
      keys.filter((key) => key.startsWith(`${namespace.prefix}:`) || key.startsWith(`{${namespace.prefix}}:`) || key.startsWith(`{${namespace.prefix}:`));
    for (const namespace of [east.namespace, west.namespace]) {
      const mine = owned(namespace);
      expect(mine.filter((key) => key.startsWith(`{${namespace.prefix}}:mail:`)).length).toBeGreaterThan(0);
      expect(mine.filter((key) => key.startsWith(`${namespace.prefix}:mail-sent:`))).toHaveLength(5);
      expect(mine.filter((key) => key.startsWith(`${namespace.prefix}::`)).length).toBeGreaterThan(0);
      expect(mine.filter((key) => key.startsWith(`{${namespace.prefix}:rate:`)).length).toBeGreaterThan(0);
    }
    expect(keys.length).toBe(owned(east.namespace).length + owned(west.namespace).length);
    const channels = spawnSync('redis-cli', ['-p', String(redis.port), 'PUBSUB', 'CHANNELS'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
    expect(channels.sort()).toEqual([east.namespace.key('cache', 'invalidate'), west.namespace.key('cache', 'invalidate')].sort());
    console.log(`SHARED-REDIS two deployments: ${east.smtp.accepted.length} + ${west.smtp.accepted.length} mails, ${keys.length} keys, ${Date.now() - started} ms`);

    // East is reset while Redis keeps its queues and marks: the same ids come again.
    const resetAt = Date.now();
    const oldNamespace = east.namespace;
    await retire(east);
    const reborn = await deploy('east', smtps[0]);
    expect(reborn.namespace.prefix).not.toBe(oldNamespace.prefix);
    const before = east.smtp.accepted.length;
    const again = await scene(reborn);
    expect([again.alice.id, again.bob.id]).toEqual([eastScene.alice.id, eastScene.bob.id]);
    await waitForQuiet(reborn.database, [reborn.mailQueue], 30_000);

    expect(reborn.smtp.accepted.slice(before).map((mail) => mail.messageId).sort()).toEqual(again.expected);
    expect(acceptedIds(west.smtp)).toEqual(westScene.expected);
    // The predecessor's marks are still there, and matched nothing.
    expect(redis.keys(`${oldNamespace.prefix}:mail-sent:*`)).toHaveLength(5);
    console.log(`SHARED-REDIS reset with Redis kept: ${reborn.smtp.accepted.length - before} mails again, ${Date.now() - resetAt} ms`);
  });
});
