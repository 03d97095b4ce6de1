import type { Queue } from 'bullmq';
import { ThrowawayRedis } from '../helpers/child-processes';
import {
  Account,
  BackgroundStack,
  ConduitClient,
  flushRedis,
  OutboxRow,
  sleep,
  SmtpCapture,
  startBackgroundStack,
  startWorker,
  TestDatabase,
  waitFor,
  waitForQuiet,
  WorkerProcess,
} from '../helpers/worker';

/**
 * The background side when things go wrong, with real processes: an SMTP server that refuses
 * every message, a worker killed with SIGKILL in the middle of sending a mail, and Redis losing
 * every key (FLUSHALL) before a job is taken, while it is being processed, and with the repeatable
 * jobs in it. Each case uses a new user, so its welcome mail is the one job under test; the SMTP
 * server, the Redis and the worker are this suite's own (OUTBOX_POLL_MS=100,
 * OUTBOX_REDISPATCH_SECONDS=2, JOB_ATTEMPTS=3, JOB_BACKOFF_MS=100).
 *
 * The SIGKILL case waits for BullMQ's stalled-job recovery: see the comment in it.
 */

jest.setTimeout(90_000);

describe('Worker faults: SIGKILL, a flushed Redis, a mail server that refuses', () => {
  const database = new TestDatabase();
  let stack: BackgroundStack;
  let redis: ThrowawayRedis;
  let smtp: SmtpCapture;
  let env: Record<string, string>;
  let worker: WorkerProcess;
  let client: ConduitClient;
  let mailQueue: Queue;
  let scheduledQueue: Queue;

  beforeAll(async () => {
    stack = await startBackgroundStack(database, { queues: ['mail', 'scheduled'] });
    ({ redis, smtp, env, client } = stack);
    worker = stack.worker!;
    [mailQueue, scheduledQueue] = stack.queues;
  });

  afterAll(async () => {
    await stack?.close();
  });

  beforeEach(() => smtp.setBehaviour({ kind: 'accept' }));

  async function welcomeEvent(user: Account): Promise<OutboxRow> {
    const [event] = await database.outbox(`name = 'welcome' AND (payload->>'userId')::int = $1`, [user.id]);
    if (!event) throw new Error(`no welcome event for user ${user.id}`);
    return event;
  }

  async function delivered(messageId: string): Promise<number> {
    const { rows } = await database.pool.query<{ count: number }>('SELECT count(*)::int AS count FROM mail_deliveries WHERE message_id = $1', [messageId]);
    return rows[0].count;
  }

  it('puts a job that keeps failing in the failed set after JOB_ATTEMPTS attempts, and delivers nothing', async () => {
    smtp.setBehaviour({ kind: 'reject', code: 550, message: 'Mailbox unavailable' });
    const user = await client.register('refused');
    const event = await waitFor('the welcome event to be handed over', async () => {
      const row = await welcomeEvent(user);
      return row.dispatchedAt !== null && row;
    });

    const job = await waitFor(
      'the job to fail',
      async () => {
        const found = await mailQueue.getJob(`event-${event.id}`);
        return found && (await found.getState()) === 'failed' && found;
      },
      { details: () => `rejected so far: ${smtp.rejected.length}\n${worker.output()}` },
    );
    expect(job.attemptsMade).toBe(3);
    expect(job.failedReason).toMatch(/550/);
    expect((await mailQueue.getFailed()).map((failed) => failed.id)).toContain(`event-${event.id}`);
    expect(smtp.rejected.filter((mail) => mail.to.includes(user.email))).toHaveLength(3);

    // Past OUTBOX_REDISPATCH_SECONDS the relay hands the event over again, but the failed job
    // keeps its id: no new attempt, no mail, and the event stays pending for an operator.
    await sleep(2_600);
    expect(smtp.rejected.filter((mail) => mail.to.includes(user.email))).toHaveLength(3);
    expect(smtp.to(user.email)).toEqual([]);
    expect(await delivered(stack.messageId(`welcome.${user.id}`))).toBe(0);
    const after = await welcomeEvent(user);
    expect(after.completedAt).toBeNull();
    expect(after.dispatches).toBeGreaterThan(1);
    expect(await mailQueue.getJobCounts('failed')).toEqual({ failed: 1 });
  });

  it('delivers exactly one copy when the worker is SIGKILLed in the middle of sending', async () => {
    smtp.setBehaviour({ kind: 'hold' });
    const user = await client.register('killed');
    await waitFor('the welcome mail to reach the SMTP server', () => smtp.held() === 1, { details: () => worker.output() });

    const event = await welcomeEvent(user);
    await worker.kill();
    await waitFor('the SMTP server to see the client go', () => smtp.heldAbandoned() === 1);
    expect(await (await mailQueue.getJob(`event-${event.id}`))?.getState()).toBe('active');
    smtp.setBehaviour({ kind: 'accept' });
    smtp.releaseHeld();
    // The server never answered 250: nothing was delivered, and nothing was recorded as sent.
    expect(smtp.dropped.map((mail) => mail.to)).toEqual([[user.email]]);
    expect(smtp.to(user.email)).toEqual([]);
    expect(await delivered(stack.messageId(`welcome.${user.id}`))).toBe(0);
    expect((await welcomeEvent(user)).completedAt).toBeNull();

    // Nothing can take the job over before BullMQ declares it stalled: it is still in Redis,
    // active, under the dead worker's lock, so the relay's hand-overs after
    // OUTBOX_REDISPATCH_SECONDS re-add an existing job id and change nothing. The stalled-job
    // check of the new worker moves it back to waiting once the lock has expired and two checks
    // have seen it: one to two JOB_LOCK_MS (6 s here, 30 s by default; much shorter makes a busy
    // machine miss lock renewals and fail healthy jobs as stalled).
    const restartedAt = Date.now();
    worker = await startWorker(env);
    const [mail] = await smtp.waitForMail(user.email, { timeoutMs: 30_000 });
    const recoveredAfter = Date.now() - restartedAt;
    console.log(`SIGKILL: the killed job was delivered ${(recoveredAfter / 1000).toFixed(1)} s after the new worker started`);

    expect(mail.messageId).toBe(stack.messageId(`welcome.${user.id}`));
    await waitForQuiet(database, [mailQueue]);
    await sleep(300);
    expect(smtp.to(user.email)).toHaveLength(1);
    expect(await delivered(mail.messageId)).toBe(1);
    const after = await welcomeEvent(user);
    expect(after.completedAt).not.toBeNull();
    expect(after.dispatches).toBeGreaterThan(1);
  });

  it('registers the repeatable jobs (digest, outbox purge, media garbage collection) again after Redis lost them', async () => {
    // The worker (restarted by the previous test) registered them when it started.
    const schedulers = async (): Promise<string[]> => (await scheduledQueue.getJobSchedulers()).map((scheduler) => scheduler.key).sort();
    expect(await schedulers()).toEqual(['digest', 'media-gc', 'outbox-purge']);

    flushRedis(redis);
    expect(await schedulers()).toEqual([]);

    // Events lost with Redis come back from the outbox; the daily digest, the outbox purge and the
    // media garbage collection have no such record, so the running worker must put them back itself.
    const names = await waitFor(
      'the job schedulers to be registered again',
      async () => {
        const keys = await schedulers();
        return keys.length === 3 && keys;
      },
      { timeoutMs: 4_000, details: () => 'the worker registers them only when it starts (JobSchedulers.onApplicationBootstrap)' },
    );
    expect(names).toEqual(['digest', 'media-gc', 'outbox-purge']);
  });

  it('hands an event over again when Redis lost its job before a worker took it, and processes it once', async () => {
    // A paused queue keeps the handed-over job waiting in Redis, so the flush is sure to hit it there.
    await mailQueue.pause();
    const user = await client.register('flushed');
    const event = await waitFor('the relay to hand the welcome event over', async () => {
      const row = await welcomeEvent(user);
      return row.dispatchedAt !== null && (await mailQueue.getJob(`event-${row.id}`)) !== undefined && row;
    });
    expect(event.dispatches).toBe(1);

    flushRedis(redis);
    expect(await mailQueue.getJob(`event-${event.id}`)).toBeUndefined();
    expect(await mailQueue.isPaused()).toBe(false);

    const [mail] = await smtp.waitForMail(user.email, { timeoutMs: 10_000 });
    expect(mail.messageId).toBe(stack.messageId(`welcome.${user.id}`));
    await waitForQuiet(database, [mailQueue]);
    await sleep(300);
    expect(smtp.to(user.email)).toHaveLength(1);
    const after = await welcomeEvent(user);
    expect(after.completedAt).not.toBeNull();
    expect(after.dispatches).toBe(2);
    expect(await delivered(mail.messageId)).toBe(1);
  });

  it('delivers once when Redis is flushed while the mail is being sent and the relay hands the event over again', async () => {
    // The send takes longer than OUTBOX_REDISPATCH_SECONDS (2 s): the event is still not completed
    // when its job vanishes with the flush, so the relay hands it over again while the first send
    // is in progress. The processor's idempotency (mail_deliveries by message id) must still let
    // only one copy out.
    smtp.setBehaviour({ kind: 'delay', ms: 3_000 });
    const user = await client.register('inflight');
    await waitFor('the welcome mail to be in the middle of its SMTP conversation', () => smtp.held() === 1);

    flushRedis(redis);
    await waitFor('the relay to hand the event over again', async () => (await welcomeEvent(user)).dispatches === 2);

    await waitForQuiet(database, [mailQueue]);
    await sleep(300);
    expect(smtp.to(user.email).map((mail) => mail.messageId)).toEqual([stack.messageId(`welcome.${user.id}`)]);
    expect(await delivered(stack.messageId(`welcome.${user.id}`))).toBe(1);
    expect((await welcomeEvent(user)).completedAt).not.toBeNull();
  });
});
