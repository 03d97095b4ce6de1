import { DelayedError, type Job } from 'bullmq';
import { currentJobContext } from '@/infra/logging/request-context';
import { DATABASE_OUTAGE_RETRY_MS } from './database-outage';
import { defineJobs, type JobData, JobHandler } from './job-handler';
import { JobRegistry } from './job-registry';
import { type FinishedJob, QueueRuntime } from './queue-runtime';
import { QUEUES } from './queues';

interface Jobs {
  send: { to: string };
}
const JOBS = defineJobs<Jobs>(QUEUES.mail, { send: true });

/** A PostgreSQL that refuses connections, as Node reports it. */
const databaseDown = (): Error => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED', syscall: 'connect' });

class Sender {
  fail?: () => Error;
  readonly contexts: unknown[] = [];

  @JobHandler(JOBS, 'send')
  send({ to }: JobData<Jobs, 'send'>): Promise<void> {
    this.contexts.push({ to, ...currentJobContext() });
    return this.fail ? Promise.reject(this.fail()) : Promise.resolve();
  }
}

/** What the runtime did to the job, the outbox and the metrics. */
function harness({ completeFails }: { completeFails?: () => Error } = {}) {
  const sender = new Sender();
  const completed: string[] = [];
  const finished: FinishedJob[] = [];
  const delayed: Array<{ until: number; token: string }> = [];
  const outbox = {
    complete: (eventId: string) => (completeFails ? Promise.reject(completeFails()) : Promise.resolve(void completed.push(eventId))),
  };
  const runtime = new QueueRuntime(QUEUES.mail, JobRegistry.of([sender]), outbox, { jobFinished: (job) => void finished.push(job) });
  const job = (name: string, data: Record<string, unknown>): Job =>
    ({
      name,
      id: 'event-1',
      data,
      moveToDelayed: (until: number, token: string) => Promise.resolve(void delayed.push({ until, token })),
    }) as unknown as Job;
  return { sender, runtime, job, completed, finished, delayed };
}

describe('QueueRuntime', () => {
  it('runs the handler in the job context (queue, name, id, and the request id the job carries)', async () => {
    const { sender, runtime, job } = harness();

    await runtime.process(job('send', { to: 'a@example.test', requestId: 'req-1' }));

    expect(sender.contexts).toEqual([{ to: 'a@example.test', requestId: 'req-1', job: { queue: 'mail', name: 'send', id: 'event-1' } }]);
  });

  it('marks the outbox event done after the handler succeeded, and only then', async () => {
    const { sender, runtime, job, completed } = harness();

    await runtime.process(job('send', { to: 'a@example.test', eventId: '41' }));
    await runtime.process(job('send', { to: 'b@example.test' }));
    sender.fail = () => new Error('mail server said no');
    await expect(runtime.process(job('send', { to: 'c@example.test', eventId: '42' }))).rejects.toThrow('mail server said no');

    expect(completed).toEqual(['41']);
  });

  it('puts a job back in the delayed set without spending an attempt while PostgreSQL is down', async () => {
    const { sender, runtime, job, completed, delayed, finished } = harness();
    sender.fail = databaseDown;
    const before = Date.now();

    await expect(runtime.process(job('send', { to: 'a@example.test', eventId: '43' }), 'lock-token')).rejects.toBeInstanceOf(DelayedError);

    expect(delayed).toHaveLength(1);
    expect(delayed[0].token).toBe('lock-token');
    expect(delayed[0].until).toBeGreaterThanOrEqual(before + DATABASE_OUTAGE_RETRY_MS);
    expect(completed).toEqual([]);
    expect(finished.map((each) => each.outcome)).toEqual(['delayed']);
  });

  it('delays the job too when the outbox completion finds PostgreSQL down', async () => {
    const { runtime, job, delayed } = harness({ completeFails: databaseDown });

    await expect(runtime.process(job('send', { to: 'a@example.test', eventId: '44' }), 'lock-token')).rejects.toBeInstanceOf(DelayedError);
    expect(delayed).toHaveLength(1);
  });

  it('fails an ordinary error as it is (attempts and backoff apply), and a database error without a lock token', async () => {
    const { sender, runtime, job, delayed } = harness();
    sender.fail = () => new Error('boom');
    await expect(runtime.process(job('send', { to: 'a@example.test' }), 'lock-token')).rejects.toThrow('boom');
    sender.fail = databaseDown;
    await expect(runtime.process(job('send', { to: 'a@example.test' }))).rejects.toThrow('ECONNREFUSED');

    expect(delayed).toEqual([]);
  });

  it('fails a job no handler claims, and counts it under a name of its own', async () => {
    const { runtime, job, finished, completed } = harness();

    await expect(runtime.process(job('no-such-job', { eventId: '45' }))).rejects.toThrow('mail queue has no handler for job "no-such-job"');

    expect(completed).toEqual([]);
    expect(finished).toEqual([{ queue: 'mail', name: 'unknown', outcome: 'failed', seconds: expect.any(Number) }]);
  });

  it('reports every job with its outcome and time', async () => {
    const { sender, runtime, job, finished } = harness();
    await runtime.process(job('send', { to: 'a@example.test' }));
    sender.fail = () => new Error('boom');
    await runtime.process(job('send', { to: 'b@example.test' })).catch(() => undefined);

    expect(finished.map(({ name, outcome }) => `${name}:${outcome}`)).toEqual(['send:completed', 'send:failed']);
    for (const { seconds } of finished) expect(seconds).toBeGreaterThanOrEqual(0);
  });
});
