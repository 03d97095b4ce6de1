import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Queue } from 'bullmq';
import { AddressObject, simpleParser } from 'mailparser';
import pg from 'pg';
import { SMTPServer, SMTPServerSession } from 'smtp-server';
import request from 'supertest';
import type { QueueName } from '@/infra/queue/queues';
import { DatabaseIdentity, DeploymentNamespace, readDeploymentNamespace } from '@/infra/redis/deployment-namespace';
import { adoptChild, ApiProcess, ensureBuilt, freePort, START_TIMEOUT_MS, startApi, startThrowawayRedis, stopAll, ThrowawayRedis } from './child-processes';

/**
 * Helpers for the suites that run the background side for real: the worker as a process of its
 * own (`dist/src/worker.js`), a real SMTP server in the test process (`smtp-server`, parsing each
 * message with `mailparser`) that can accept, delay, hold or refuse, the outbox table and the
 * BullMQ queues as the worker sees them, and a small HTTP client for an api process.
 */

const ROOT = path.resolve(__dirname, '..', '..');
const WORKER = path.join(ROOT, 'dist', 'src', 'worker.js');

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `check` every `intervalMs` until it returns something other than `undefined`/`false`,
 * and returns that; fails after `timeoutMs` with `what` and, if given, `details()`.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs = 10_000, intervalMs = 50, details }: { timeoutMs?: number; intervalMs?: number; details?: () => string } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${details ? `\n${details()}` : ''}`);
    await sleep(intervalMs);
  }
}

// ---------------------------------------------------------------------------------------------
// The worker process

export interface WorkerProcess {
  pid: number;
  /** The process itself, for a signal of one's own and its exit status. */
  child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** SIGTERM (a graceful stop), then waits for the exit. */
  stop(): Promise<void>;
  /** SIGKILL: no chance to finish or clean anything up; resolves once the process is gone. */
  kill(): Promise<void>;
}

/** Starts `node dist/src/worker.js` with the test's environment plus `env`; resolves once it has started. */
export async function startWorker(env: Record<string, string>): Promise<WorkerProcess> {
  await ensureBuilt();
  const child: ChildProcess = spawn(process.execPath, [WORKER], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stop = adoptChild(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const worker: WorkerProcess = { pid: child.pid!, child, output: () => output, stop: () => stop('SIGTERM'), kill: () => stop('SIGKILL') };
  try {
    await waitFor(
      'the worker to start',
      () => {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`worker exited (${child.exitCode ?? child.signalCode}):\n${output}`);
        return output.includes('Conduit worker started');
      },
      { timeoutMs: START_TIMEOUT_MS, details: () => output },
    );
  } catch (error) {
    await stop('SIGKILL');
    throw error;
  }
  return worker;
}

/** The settings every process of a suite shares: short timings so that retries and redispatch happen within a test. */
export function backgroundEnv(redis: ThrowawayRedis, smtp: SmtpCapture, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    REDIS_URL: redis.url,
    MAIL_URL: smtp.url,
    MAIL_FROM: 'Conduit Tests <no-reply@conduit.test>',
    APP_URL: 'http://conduit.test',
    OUTBOX_POLL_MS: '100',
    OUTBOX_REDISPATCH_SECONDS: '2',
    JOB_ATTEMPTS: '3',
    JOB_BACKOFF_MS: '100',
    // A job whose worker was killed runs again after a few seconds instead of 30 to 60.
    JOB_LOCK_MS: '6000',
    ...overrides,
  };
}

// ---------------------------------------------------------------------------------------------
// A real SMTP server

export interface ReceivedMail {
  /** Envelope recipients (RCPT TO). */
  to: string[];
  /** Envelope sender (MAIL FROM). */
  envelopeFrom: string;
  /** Addresses of the To: header. */
  headerTo: string[];
  from: string;
  subject: string;
  messageId: string;
  text: string;
  /** The HTML part, or '' when the message has none. */
  html: string;
  /** When the message was accepted (250 sent), ms since the epoch. */
  acceptedAt: number;
}

export type SmtpBehaviour =
  | { kind: 'accept' }
  /** Answers each message `ms` after its DATA ended. */
  | { kind: 'delay'; ms: number }
  /** Keeps each message waiting for its answer until `releaseHeld()`. */
  | { kind: 'hold' }
  /** Refuses each message after its DATA with this reply code. */
  | { kind: 'reject'; code: number; message: string };

export interface SmtpCapture {
  port: number;
  url: string;
  /** Messages accepted with a 250 reply: delivered, as far as the sender can tell. */
  accepted: ReceivedMail[];
  /** Messages received in full whose client hung up before the answer: not delivered. */
  dropped: ReceivedMail[];
  /** Messages refused (reject mode). */
  rejected: ReceivedMail[];
  /** Messages received in full and waiting for their answer right now (hold and delay modes). */
  held(): number;
  /** Of those, the ones whose client has disconnected (it will never read the answer). */
  heldAbandoned(): number;
  setBehaviour(behaviour: SmtpBehaviour): void;
  /** Answers every held message (250, unless its client is gone). */
  releaseHeld(): void;
  /** Accepted messages sent to `address`. */
  to(address: string): ReceivedMail[];
  /** Waits until `address` has received `count` messages (optionally matching `subject`), and returns them. */
  waitForMail(address: string, options?: { count?: number; timeoutMs?: number; subject?: RegExp }): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

function addresses(field: AddressObject | AddressObject[] | undefined): string[] {
  return (Array.isArray(field) ? field : field ? [field] : []).flatMap((group) => group.value.map((address) => address.address ?? ''));
}

/**
 * A real SMTP server on a free port (plain TCP, no TLS, no authentication). Every message is
 * parsed before its answer, so a sender that got its 250 finds it in `accepted`. In `hold` and
 * `delay` modes the answer waits; a client that disconnects meanwhile (a killed worker) never gets
 * it, and the message counts as `dropped`, not delivered.
 */
export async function startSmtpCapture(): Promise<SmtpCapture> {
  const accepted: ReceivedMail[] = [];
  const dropped: ReceivedMail[] = [];
  const rejected: ReceivedMail[] = [];
  const closedSessions = new Set<string>();
  const holding = new Map<() => void, string>();
  let behaviour: SmtpBehaviour = { kind: 'accept' };

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    // A pooled client keeps its connections open; close() must not wait 30 s for them.
    closeTimeout: 100,
    onClose(session: SMTPServerSession) {
      closedSessions.add(session.id);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const mode = behaviour;
        simpleParser(Buffer.concat(chunks)).then(
          (parsed) => {
            const mail: ReceivedMail = {
              to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
              envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              headerTo: addresses(parsed.to),
              from: parsed.from?.text ?? '',
              subject: parsed.subject ?? '',
              messageId: parsed.messageId ?? '',
              text: parsed.text ?? '',
              html: typeof parsed.html === 'string' ? parsed.html : '',
              acceptedAt: 0,
            };
            const answer = (): void => {
              if (closedSessions.has(session.id)) {
                dropped.push(mail);
              } else {
                mail.acceptedAt = Date.now();
                accepted.push(mail);
              }
              callback();
            };
            switch (mode.kind) {
              case 'accept':
                return answer();
              case 'delay':
              case 'hold': {
                const release = (): void => {
                  if (!holding.delete(release)) return;
                  answer();
                };
                holding.set(release, session.id);
                if (mode.kind === 'delay') setTimeout(release, mode.ms);
                return;
              }
              case 'reject': {
                rejected.push(mail);
                const error = Object.assign(new Error(mode.message), { responseCode: mode.code });
                return callback(error);
              }
            }
          },
          (error: Error) => callback(error),
        );
      });
    },
  });
  server.on('error', () => undefined);
  const wanted = await freePort();
  await new Promise<void>((resolve) => server.listen(wanted, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;

  const to = (address: string): ReceivedMail[] => accepted.filter((mail) => mail.to.includes(address.toLowerCase()) || mail.to.includes(address));
  const describe = (): string =>
    `accepted: ${JSON.stringify(accepted.map((mail) => [mail.to.join(','), mail.subject]))}\n` +
    `dropped: ${dropped.length}, rejected: ${rejected.length}, held: ${holding.size}`;

  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    accepted,
    dropped,
    rejected,
    held: () => holding.size,
    heldAbandoned: () => [...holding.values()].filter((id) => closedSessions.has(id)).length,
    setBehaviour: (next) => (behaviour = next),
    releaseHeld: () => {
      for (const release of [...holding.keys()]) release();
    },
    to,
    waitForMail: (address, { count = 1, timeoutMs = 10_000, subject } = {}) =>
      waitFor(
        `${count} mail(s) to ${address}${subject ? ` with subject ${String(subject)}` : ''}`,
        () => {
          const mails = to(address).filter((mail) => !subject || subject.test(mail.subject));
          return mails.length >= count && mails;
        },
        { timeoutMs, details: describe },
      ),
    close: () => {
      for (const release of [...holding.keys()]) release();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The database and the queues, as the worker sees them

export interface OutboxRow {
  id: string;
  queue: string;
  name: string;
  payload: Record<string, unknown>;
  availableAt: Date;
  dispatchedAt: Date | null;
  dispatches: number;
  completedAt: Date | null;
}

/** Direct access to the suite's database (DATABASE_URL), for what the API does not show. */
export class TestDatabase {
  readonly pool: pg.Pool;

  constructor(url = process.env.DATABASE_URL) {
    if (!url) throw new Error('DATABASE_URL must name the test database');
    this.pool = new pg.Pool({ connectionString: url, max: 4 });
    this.pool.on('error', () => undefined);
  }

  /** The namespace of this database's keys in Redis, as the api and the worker compute it. */
  async namespace(): Promise<DeploymentNamespace> {
    return readDeploymentNamespace(async (sql) => (await this.pool.query<DatabaseIdentity>(sql)).rows);
  }

  /** Empties every table, so that no event left by an earlier suite reaches this suite's worker. */
  async truncateAll(): Promise<void> {
    const { rows } = await this.pool.query<{ tablename: string }>(
      `SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename <> '_prisma_migrations'`,
    );
    if (rows.length > 0) await this.pool.query(`TRUNCATE TABLE ${rows.map((row) => `"${row.tablename}"`).join(', ')} RESTART IDENTITY CASCADE`);
  }

  async outbox(where = 'true', params: unknown[] = []): Promise<OutboxRow[]> {
    const { rows } = await this.pool.query<OutboxRow>(
      `SELECT id::text AS id, queue, name, payload, available_at AS "availableAt", dispatched_at AS "dispatchedAt",
              dispatches, completed_at AS "completedAt"
       FROM outbox_events WHERE ${where} ORDER BY id`,
      params,
    );
    return rows;
  }

  /** Outbox events that are due and not completed. */
  async pendingDue(): Promise<OutboxRow[]> {
    return this.outbox('completed_at IS NULL AND available_at <= now()');
  }

  async deliveries(): Promise<Array<{ messageId: string; recipient: string }>> {
    const { rows } = await this.pool.query<{ messageId: string; recipient: string }>(
      'SELECT message_id AS "messageId", recipient FROM mail_deliveries ORDER BY sent_at',
    );
    return rows;
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

/** The domain of MAIL_FROM in `backgroundEnv`: the right-hand side of the message ids the suites see. */
export const TEST_SENDER_DOMAIN = 'conduit.test';

/** BullMQ queues on the suite's Redis, under the deployment's prefix, for inspection. */
export function inspectQueue(redis: ThrowawayRedis, namespace: DeploymentNamespace, name: QueueName): Queue {
  const queue = new Queue(name, { connection: { url: redis.url, maxRetriesPerRequest: null }, prefix: namespace.queuePrefix });
  queue.on('error', () => undefined);
  return queue;
}

/**
 * Jobs not finished yet: waiting, active, delayed, prioritized or waiting for children. The next
 * run of a repeatable job (the digest, the outbox purge) is always delayed and does not count.
 */
export async function unfinishedJobs(queue: Queue): Promise<number> {
  const counts = await queue.getJobCounts('waiting', 'active', 'prioritized', 'waiting-children');
  const delayed = (await queue.getDelayed()).filter((job) => !job.repeatJobKey);
  return Object.values(counts).reduce((sum, count) => sum + count, 0) + delayed.length;
}

/**
 * Waits until the background side has nothing left to do right now: no due outbox event is
 * pending (except those whose job ended in the failed set: they wait for an operator) and no job
 * is unfinished, three polls in a row (a job can add the next one, e.g. a fan-out). Then "no mail
 * arrived" means none will.
 */
export async function waitForQuiet(database: TestDatabase, queues: Queue[], timeoutMs = 15_000): Promise<void> {
  let quietPolls = 0;
  let state = '';
  await waitFor(
    'the outbox and the queues to be empty',
    async () => {
      let pending = 0;
      for (const event of await database.pendingDue()) {
        const job = await queues.find((queue) => queue.name === event.queue)?.getJob(`event-${event.id}`);
        if (!job || (await job.getState()) !== 'failed') pending += 1;
      }
      const jobs = await Promise.all(queues.map(unfinishedJobs));
      state = `pending outbox events: ${pending}, unfinished jobs: ${jobs.join(', ')}`;
      quietPolls = pending === 0 && jobs.every((count) => count === 0) ? quietPolls + 1 : 0;
      return quietPolls >= 3;
    },
    { timeoutMs, intervalMs: 100, details: () => state },
  );
}

/** Every key of the throwaway Redis is gone (`FLUSHALL`), as after a failover to an empty replica. */
export function flushRedis(redis: ThrowawayRedis): void {
  const flush = spawnSync('redis-cli', ['-p', String(redis.port), 'FLUSHALL'], { encoding: 'utf8', timeout: 5_000 });
  if (flush.status !== 0 || !flush.stdout.includes('OK')) throw new Error(`FLUSHALL failed: ${flush.stdout} ${flush.stderr}`);
}

export interface BackgroundStack {
  redis: ThrowawayRedis;
  smtp: SmtpCapture;
  /** The environment of the api and worker processes (before `apiEnv` / `workerEnv`). */
  env: Record<string, string>;
  api: ApiProcess;
  /** Undefined until `startWorker()` when the stack was started with `worker: false`. */
  worker: WorkerProcess | undefined;
  client: ConduitClient;
  /** The queues asked for, in that order, as the worker sees them. */
  queues: Queue[];
  /** The namespace of the suite's database in Redis. */
  namespace: DeploymentNamespace;
  /** The message id of the mail with this key (`welcome.42`), as the worker builds it. */
  messageId(key: string): string;
  /** Starts a worker with the stack's environment and makes it `stack.worker`. */
  startWorker(): Promise<WorkerProcess>;
  /** Closes the queues, stops every process and the SMTP server, and closes the database pool. */
  close(): Promise<void>;
}

/**
 * What a suite of the background side runs against: the suite's database emptied (no event left
 * by an earlier suite reaches this worker), a Redis and an SMTP server of its own, an api process
 * and a worker process from dist/ (the worker later, with `worker: false`, for a suite that
 * prepares data first), and `queues` to inspect.
 */
export async function startBackgroundStack(
  database: TestDatabase,
  options: {
    env?: Record<string, string>;
    apiEnv?: Record<string, string>;
    workerEnv?: Record<string, string>;
    worker?: boolean;
    queues?: Array<Parameters<typeof inspectQueue>[2]>;
  } = {},
): Promise<BackgroundStack> {
  await database.truncateAll();
  const [redis, smtp] = await Promise.all([startThrowawayRedis(), startSmtpCapture()]);
  const env = backgroundEnv(redis, smtp, options.env);
  const workerEnv = { ...env, ...options.workerEnv };
  let api: ApiProcess;
  let worker: WorkerProcess | undefined;
  try {
    [api, worker] = await Promise.all([startApi({ ...env, ...options.apiEnv }), options.worker === false ? undefined : startWorker(workerEnv)]);
  } catch (error) {
    // The suite's afterAll has no stack to close: leave no process or server behind.
    await stopAll();
    await smtp.close();
    throw error;
  }
  const namespace = await database.namespace();
  const queues = (options.queues ?? []).map((name) => inspectQueue(redis, namespace, name));
  const stack: BackgroundStack = {
    redis,
    smtp,
    env,
    api,
    worker,
    client: new ConduitClient(api.url),
    queues,
    namespace,
    messageId: (key) => namespace.messageId(key, TEST_SENDER_DOMAIN),
    startWorker: async () => (stack.worker = await startWorker(workerEnv)),
    close: async () => {
      await Promise.all(queues.map((queue) => queue.close()));
      await stopAll();
      await smtp.close();
      await database.close();
    },
  };
  return stack;
}

// ---------------------------------------------------------------------------------------------
// An HTTP client for an api process

export interface Account {
  id: number;
  username: string;
  email: string;
  password: string;
  token: string;
}

export interface ArticleView {
  slug: string;
  title: string;
  description: string;
  body: string;
  tagList: string[];
  publishAt?: string;
  author: { username: string; following: boolean };
}

let sequence = 0;
/** A name unique within the run and across runs (the suites share one database). */
export function unique(prefix: string): string {
  sequence += 1;
  return `${prefix}${sequence}${randomBytes(3).toString('hex')}`;
}

function userIdOf(token: string): number {
  const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as { sub: string };
  return Number(claims.sub);
}

/** The public API of an api process at `url`, as a client uses it. Writes fail loudly with the response. */
export class ConduitClient {
  constructor(readonly url: string) {}

  call(method: 'get' | 'post' | 'put' | 'delete', path: string, user?: Account): request.Test {
    const test = request(this.url)[method](path);
    return user ? test.set('Authorization', `Token ${user.token}`) : test;
  }

  async register(prefix = 'user', username = unique(prefix)): Promise<Account> {
    const input = { username, email: `${username}@example.test`, password: `pw-${username}-secret` };
    const response = await this.call('post', '/api/users').send({ user: input });
    expectStatus(response, 201, `registering ${input.username}`);
    const token = response.body.user.token as string;
    return { ...input, token, id: userIdOf(token) };
  }

  async follow(follower: Account, followed: Account): Promise<void> {
    expectStatus(await this.call('post', `/api/profiles/${followed.username}/follow`, follower), 200, `${follower.username} following ${followed.username}`);
  }

  async unfollow(follower: Account, followed: Account): Promise<void> {
    expectStatus(await this.call('delete', `/api/profiles/${followed.username}/follow`, follower), 200, `${follower.username} unfollowing ${followed.username}`);
  }

  async updateUser(user: Account, changes: Record<string, unknown>): Promise<Record<string, unknown>> {
    const response = await this.call('put', '/api/user', user).send({ user: changes });
    expectStatus(response, 200, `updating ${user.username}`);
    return response.body.user as Record<string, unknown>;
  }

  /** POST /api/articles; `extra` may carry `publishAt`. */
  async createArticle(author: Account, overrides: Partial<{ title: string; description: string; tagList: string[] }> = {}, extra: Record<string, unknown> = {}): Promise<ArticleView> {
    const response = await this.call('post', '/api/articles', author).send({ article: { ...articleInput(overrides), ...extra } });
    expectStatus(response, 201, `creating an article by ${author.username}`);
    return response.body.article as ArticleView;
  }

  async comment(user: Account, slug: string, body: string): Promise<void> {
    expectStatus(await this.call('post', `/api/articles/${slug}/comments`, user).send({ comment: { body } }), 201, `${user.username} commenting on ${slug}`);
  }

  async slugs(path: string, user?: Account): Promise<string[]> {
    const response = await this.call('get', path, user);
    expectStatus(response, 200, `GET ${path}`);
    return (response.body.articles as ArticleView[]).map((article) => article.slug);
  }
}

function articleInput(overrides: Partial<{ title: string; description: string; tagList: string[] }>): Record<string, unknown> {
  const title = overrides.title ?? `Article ${unique('t')}`;
  return { title, description: overrides.description ?? `About ${title}`, body: `The body of ${title}.`, tagList: overrides.tagList ?? [] };
}

function expectStatus(response: request.Response, status: number, what: string): void {
  if (response.status !== status) throw new Error(`${what} answered ${response.status} (expected ${status}): ${response.text}`);
}
