import { Queue } from 'bullmq';
import { commentScene, DrillStack, mailFigures, startDrillStack } from '../helpers/drill-stack';
import { figuresOf, startLoad } from '../helpers/load';
import { redisCli, RedisSentinelProcesses, startRedisSentinels } from '../helpers/redis-topologies';
import { sleep, waitFor, waitForQuiet } from '../helpers/worker';

/**
 * Redis behind Sentinel (REDIS_SENTINELS): a primary, its replica and three sentinels. Under a
 * steady load of reads and comments the primary is killed (SIGKILL); the sentinels promote the
 * replica. The api must keep answering without a 5xx (the cache falls back to PostgreSQL while no
 * primary answers), the worker must carry on against the promoted primary, and every comment's
 * outbox event must end in exactly one mail: none lost, none twice.
 */

jest.setTimeout(240_000);

describe('Drill: Redis primary killed behind Sentinel under load', () => {
  let sentinels: RedisSentinelProcesses;
  let stack: DrillStack;
  let mailQueue: Queue;
  let cachePrefix: string;

  beforeAll(async () => {
    sentinels = await startRedisSentinels();
    // REDIS_URL names nothing that listens: every connection must find Redis through the sentinels.
    stack = await startDrillStack({ REDIS_URL: 'redis://127.0.0.1:1', REDIS_SENTINELS: sentinels.addresses, REDIS_SENTINEL_MASTER: sentinels.master });
    const namespace = await stack.database.namespace();
    cachePrefix = namespace.prefix;
    mailQueue = new Queue('mail', {
      connection: {
        sentinels: sentinels.sentinels.map((sentinel) => ({ host: '127.0.0.1', port: sentinel.port })),
        name: sentinels.master,
        maxRetriesPerRequest: null,
      },
      prefix: namespace.queuePrefix,
    });
    mailQueue.on('error', () => undefined);
  });

  afterAll(async () => {
    await mailQueue?.close().catch(() => undefined);
    await stack?.close();
    await sentinels?.stop();
  });

  it('answers every request without a 5xx, resumes on the promoted primary, and mails each event once', async () => {
    const { article, commenters } = await commentScene(stack.client, 4);
    const load = startLoad(stack.client, article.slug, commenters);
    await sleep(3_000);
    await sentinels.primary.kill();
    const killedAt = Date.now();
    await waitFor('the replica to be promoted', () => sentinels.currentPrimaryPort() === sentinels.replica.port, { timeoutMs: 60_000, intervalMs: 100 });
    const promotedAt = Date.now();
    const mailsAtPromotion = stack.smtp.accepted.length;
    await sleep(5_000);
    const samples = await load.stop();

    await waitForQuiet(stack.database, [mailQueue], 90_000);
    await sleep(500);
    const http = figuresOf(samples);
    const mail = await mailFigures(stack);
    const duringFailover = samples.filter((sample) => sample.startedAt >= killedAt && sample.startedAt < promotedAt).length;
    console.log(
      `DRILL redis-sentinel-failover: failover ${((promotedAt - killedAt) / 1000).toFixed(1)} s, requests ${http.requests} (${duringFailover} during the failover), ` +
        `5xx ${http.serverErrors}, no answer ${http.noAnswer}, error window ${http.errorWindowSeconds} s, ` +
        `comment events ${mail.events}, mails ${mail.mails} (${mail.mails - mailsAtPromotion} after the promotion), events lost ${mail.lost}, duplicates ${mail.duplicates}`,
    );

    const failures = samples.filter((sample) => sample.status >= 500 || sample.status === 0);
    expect(failures.slice(0, 5)).toEqual([]);
    expect(duringFailover).toBeGreaterThan(0);
    expect(mail.events).toBeGreaterThan(0);
    // The worker went on against the new primary: mails kept coming after the promotion.
    expect(mail.mails).toBeGreaterThan(mailsAtPromotion);
    expect({ lost: mail.lost, duplicates: mail.duplicates }).toEqual({ lost: 0, duplicates: 0 });
    // The cache is used again, on the promoted primary.
    await stack.client.call('get', `/api/articles/${article.slug}`).expect(200);
    expect(redisCli(sentinels.replica.port, '--scan', '--pattern', `${cachePrefix}::*`).split('\n').filter(Boolean).length).toBeGreaterThan(0);
    expect(stack.worker.child.exitCode).toBeNull();
    expect(stack.api.child.exitCode).toBeNull();
  });
});
