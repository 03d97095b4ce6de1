import { commentScene, DrillStack, mailFigures, startDrillStack } from '../helpers/drill-stack';
import { figuresOf, startLoad } from '../helpers/load';
import { sleep, waitFor } from '../helpers/worker';

/**
 * PostgreSQL stopped (fast shutdown: sessions end with 57P01, then connections are refused) and
 * started again, under a steady load of reads and comments. While it is down the api answers 503
 * in the error shape with Retry-After, never another 5xx, never a crash; once it is back the pools
 * reconnect by themselves and every comment gives exactly one mail, although each job has only
 * two attempts (jobs that fail for want of PostgreSQL wait for it without spending them).
 */

jest.setTimeout(180_000);

/** After PostgreSQL answers again, requests started later than this must all succeed. */
const RECONNECT_GRACE_MS = 2_000;

describe('Drill: PostgreSQL restarted under load', () => {
  let stack: DrillStack;

  beforeAll(async () => {
    // Two attempts with a short backoff: jobs that fail for want of PostgreSQL must wait for it
    // without spending their attempts, or the outage would leave them in the failed set.
    stack = await startDrillStack({ JOB_ATTEMPTS: '2', JOB_BACKOFF_MS: '100' });
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('answers only 503s during the outage and none after, with no crash and no duplicate mail', async () => {
    const { article, commenters } = await commentScene(stack.client, 4);
    const load = startLoad(stack.client, article.slug, commenters);
    await sleep(3_000);
    // A backlog of mail jobs waits in Redis (the queue paused for a second) and is released once
    // PostgreSQL is gone: every one of those jobs meets the outage.
    await stack.mailQueue.pause();
    await sleep(1_000);
    const backlog = (await stack.mailQueue.getJobCounts('waiting')).waiting;
    await stack.postgres.stop();
    const stoppedAt = Date.now();
    await stack.mailQueue.resume();
    await sleep(3_000);
    await stack.postgres.start();
    const backAt = Date.now();
    await sleep(5_000);
    const samples = await load.stop();

    await stack.quiet(90_000);
    await sleep(500);
    const http = figuresOf(samples);
    const mail = await mailFigures(stack);
    const unavailable = samples.filter((sample) => sample.status === 503);
    const { failed } = await stack.mailQueue.getJobCounts('failed');
    const lateFailures = samples.filter((sample) => sample.startedAt > backAt + RECONNECT_GRACE_MS && sample.status >= 400);
    console.log(
      `DRILL postgres-restart: outage ${((backAt - stoppedAt) / 1000).toFixed(1)} s, requests ${http.requests}, 503 ${unavailable.length}, ` +
        `other 5xx ${http.otherServerErrors}, no answer ${http.noAnswer}, error window ${http.errorWindowSeconds} s, failures after recovery ${lateFailures.length}, ` +
        `comment events ${mail.events} (${backlog} queued when PostgreSQL went), mails ${mail.mails}, events lost ${mail.lost}, duplicates ${mail.duplicates}, failed jobs ${failed}`,
    );

    expect(unavailable.length).toBeGreaterThan(0);
    expect(backlog).toBeGreaterThan(0);
    for (const sample of unavailable) {
      expect({ body: JSON.parse(sample.body) as unknown, retryAfter: sample.retryAfter }).toEqual({
        body: { errors: { database: ['is unavailable, try again shortly'] } },
        retryAfter: expect.stringMatching(/^\d+$/),
      });
    }
    expect(samples.filter((sample) => (sample.status >= 500 && sample.status !== 503) || sample.status === 0).slice(0, 5)).toEqual([]);
    expect(lateFailures.slice(0, 5)).toEqual([]);
    expect(mail.events).toBeGreaterThan(0);
    expect({ lost: mail.lost, duplicates: mail.duplicates, failed }).toEqual({ lost: 0, duplicates: 0, failed: 0 });
    expect(stack.api.child.exitCode).toBeNull();
    expect(stack.worker.child.exitCode).toBeNull();
  });

  it('sends a mail once when PostgreSQL is lost between the send and its record', async () => {
    stack.smtp.setBehaviour({ kind: 'hold' });
    const user = await stack.client.register('lost');
    await waitFor('the welcome mail to be in its SMTP conversation', () => stack.smtp.held() === 1, { timeoutMs: 20_000, details: () => stack.worker.output() });

    // The worker holds the delivery lock in a transaction while the server has not answered yet:
    // the database goes away, then the server accepts the message.
    await stack.postgres.stop();
    stack.smtp.setBehaviour({ kind: 'accept' });
    stack.smtp.releaseHeld();
    await waitFor('the mail to be accepted', () => stack.smtp.to(user.email).length === 1);
    await sleep(3_000);
    await stack.postgres.start();

    await stack.quiet(60_000);
    await sleep(1_000);
    const copies = stack.smtp.to(user.email).length;
    const [recorded] = await stack.postgres.query<{ count: number }>('SELECT count(*)::int AS count FROM mail_deliveries WHERE message_id = $1', [
      stack.messageId(`welcome.${user.id}`),
    ]);
    console.log(`DRILL mail-after-postgres-loss: copies delivered ${copies}, deliveries recorded ${recorded.count}`);
    expect(copies).toBe(1);
    expect(recorded.count).toBe(1);
    expect(stack.worker.output()).toMatch(/was sent but could not be recorded/);
  });
});
