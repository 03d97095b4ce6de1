import { commentScene, DrillStack, mailFigures, startDrillStack } from '../helpers/drill-stack';
import { figuresOf, startLoad } from '../helpers/load';
import { sleep } from '../helpers/worker';

/**
 * Redis killed (SIGKILL, no persistence: every queued job and cached entry is gone) and started
 * again, empty, under a steady load of reads and comments, with the api and the worker running.
 * The api must keep answering without a 5xx (the cache is bypassed, writes go to PostgreSQL and
 * the outbox), and once Redis is back every comment's outbox event must be processed exactly once:
 * one mail per comment, none lost, none twice.
 */

jest.setTimeout(180_000);

describe('Drill: Redis killed and restarted under load', () => {
  let stack: DrillStack;

  beforeAll(async () => {
    stack = await startDrillStack();
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('answers every request without a 5xx and processes every outbox event exactly once', async () => {
    const { article, commenters } = await commentScene(stack.client, 4);
    const load = startLoad(stack.client, article.slug, commenters);
    await sleep(3_000);
    await stack.redis.kill();
    const killedAt = Date.now();
    await sleep(3_000);
    await stack.redis.start();
    const restartedAt = Date.now();
    await sleep(4_000);
    const samples = await load.stop();

    await stack.quiet(90_000);
    await sleep(500);
    const http = figuresOf(samples);
    const mail = await mailFigures(stack);
    const duringOutage = samples.filter((sample) => sample.startedAt >= killedAt && sample.startedAt < restartedAt).length;
    console.log(
      `DRILL redis-restart: outage ${((restartedAt - killedAt) / 1000).toFixed(1)} s, requests ${http.requests} (${duringOutage} during the outage), ` +
        `5xx ${http.serverErrors}, no answer ${http.noAnswer}, error window ${http.errorWindowSeconds} s, ` +
        `comment events ${mail.events}, mails ${mail.mails}, events lost ${mail.lost}, duplicates ${mail.duplicates}`,
    );

    const failures = samples.filter((sample) => sample.status >= 500 || sample.status === 0);
    expect(failures.slice(0, 5)).toEqual([]);
    expect(duringOutage).toBeGreaterThan(0);
    expect(mail.events).toBeGreaterThan(0);
    expect({ lost: mail.lost, duplicates: mail.duplicates }).toEqual({ lost: 0, duplicates: 0 });
    expect(stack.worker.child.exitCode).toBeNull();
    expect(stack.api.child.exitCode).toBeNull();
  });
});
