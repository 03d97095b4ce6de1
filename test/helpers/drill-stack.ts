import type { Queue } from 'bullmq';
import { QUEUE_NAMES, QueueName } from '@/infra/queue/queues';
import { ApiProcess, startApi, startThrowawayRedis, stopAll, ThrowawayRedis } from './child-processes';
import { startThrowawayPostgres, ThrowawayPostgres } from './throwaway-postgres';
import {
  Account,
  ArticleView,
  backgroundEnv,
  ConduitClient,
  inspectQueue,
  SmtpCapture,
  startSmtpCapture,
  TEST_SENDER_DOMAIN,
  startWorker,
  TestDatabase,
  waitForQuiet,
  WorkerProcess,
} from './worker';

/**
 * The whole Conduit stack of a fault drill, every part its own: a PostgreSQL cluster, a Redis and
 * an SMTP server on spare ports, api and worker processes built from `dist/` (one of each unless
 * asked for more: replicas share the database, Redis and SMTP server as a deployment's would).
 * Nothing of the machine's shared services is used, so a drill may stop and restart any part.
 */

const DRILL_JWT_SECRET = 'drill-only-jwt-secret-not-for-any-real-deployment-0123456789';

export interface DrillStack {
  postgres: ThrowawayPostgres;
  redis: ThrowawayRedis;
  smtp: SmtpCapture;
  /** The environment of the api and worker processes. */
  env: Record<string, string>;
  database: TestDatabase;
  /** A client of the first api; `clients[i]` is the client of `apis[i]`. */
  client: ConduitClient;
  clients: ConduitClient[];
  /** The first api and worker; every replica is in `apis` and `workers`. */
  api: ApiProcess;
  worker: WorkerProcess;
  apis: ApiProcess[];
  workers: WorkerProcess[];
  mailQueue: Queue;
  /** Every queue, as the workers see them. */
  queues: Record<QueueName, Queue>;
  /** The message id of the mail with this key (`comment.7`), as the worker builds it. */
  messageId(key: string): string;
  /** Starts a new worker in place of `workers[index]` (after it died or stopped); the first one is also `stack.worker`. */
  restartWorker(index?: number): Promise<WorkerProcess>;
  /** Starts a new api in place of `apis[index]`, on the same port, so that its clients find it again. */
  restartApi(index: number): Promise<ApiProcess>;
  /** Waits until no outbox event is pending and no job of any queue is unfinished. */
  quiet(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startDrillStack(overrides: Record<string, string> = {}, { apis = 1, workers = 1 }: { apis?: number; workers?: number } = {}): Promise<DrillStack> {
  const [postgres, redis, smtp] = await Promise.all([startThrowawayPostgres(), startThrowawayRedis(), startSmtpCapture()]);
  const env = {
    ...backgroundEnv(redis, smtp),
    NODE_ENV: 'test',
    DATABASE_URL: postgres.url,
    JWT_SECRET: DRILL_JWT_SECRET,
    LOG_LEVEL: 'warn',
    // Jobs that fail while a dependency is down retry for about a minute, not a second.
    JOB_ATTEMPTS: '10',
    JOB_BACKOFF_MS: '500',
    ...overrides,
  };
  const database = new TestDatabase(postgres.url);
  const closeServers = async (): Promise<void> => {
    await database.close().catch(() => undefined);
    await stopAll();
    await smtp.close();
    await postgres.remove();
  };
  // The apis one after another beside the workers one after another: a start is mostly CPU, and
  // more of them at once on a small machine only make each slower, past its start-up timeout.
  const inTurn = async <T>(count: number, start: () => Promise<T>): Promise<T[]> => {
    const started: T[] = [];
    for (let index = 0; index < count; index += 1) started.push(await start());
    return started;
  };
  let apiProcesses: ApiProcess[];
  let workerProcesses: WorkerProcess[];
  try {
    [apiProcesses, workerProcesses] = await Promise.all([inTurn(apis, () => startApi(env)), inTurn(workers, () => startWorker(env))]);
  } catch (error) {
    // The drill's afterAll has no stack to close: leave no process or server behind.
    await closeServers();
    throw error;
  }
  const namespace = await database.namespace();
  const queues = Object.fromEntries(QUEUE_NAMES.map((name) => [name, inspectQueue(redis, namespace, name)])) as Record<QueueName, Queue>;
  const stack: DrillStack = {
    postgres,
    redis,
    smtp,
    env,
    database,
    client: new ConduitClient(apiProcesses[0].url),
    clients: apiProcesses.map((api) => new ConduitClient(api.url)),
    api: apiProcesses[0],
    worker: workerProcesses[0],
    apis: apiProcesses,
    workers: workerProcesses,
    mailQueue: queues.mail,
    queues,
    messageId: (key) => namespace.messageId(key, TEST_SENDER_DOMAIN),
    restartWorker: async (index = 0) => {
      const worker = await startWorker(env);
      stack.workers[index] = worker;
      if (index === 0) stack.worker = worker;
      return worker;
    },
    restartApi: async (index) => {
      const api = await startApi(env, { port: stack.apis[index].port });
      stack.apis[index] = api;
      if (index === 0) stack.api = api;
      return api;
    },
    quiet: (timeoutMs = 60_000) => waitForQuiet(database, Object.values(queues), timeoutMs),
    close: async () => {
      await Promise.all(Object.values(queues).map((queue) => queue.close().catch(() => undefined)));
      await closeServers();
    },
  };
  return stack;
}

/** An author, an article of theirs and `count` commenters: each comment is one mail to the author. */
export async function commentScene(client: ConduitClient, count: number): Promise<{ author: Account; article: ArticleView; commenters: Account[] }> {
  const author = await client.register('author');
  const article = await client.createArticle(author, { tagList: ['drill'] });
  const commenters = await Promise.all(Array.from({ length: count }, () => client.register('reader')));
  return { author, article, commenters };
}

export interface MailFigures {
  /** Comments stored: each must give exactly one new-comment mail. */
  events: number;
  /** Comments whose mail never arrived. */
  lost: number;
  /** Copies beyond the first of any message id (every kind of mail). */
  duplicates: number;
  /** Mails the SMTP server accepted. */
  mails: number;
  /** The message ids accepted more than once, for the drill's report. */
  duplicated: string[];
}

export async function mailFigures(stack: DrillStack): Promise<MailFigures> {
  const { rows } = await stack.database.pool.query<{ id: number }>('SELECT id FROM comments');
  const copies = new Map<string, number>();
  for (const mail of stack.smtp.accepted) copies.set(mail.messageId, (copies.get(mail.messageId) ?? 0) + 1);
  return {
    events: rows.length,
    lost: rows.filter((row) => !copies.has(stack.messageId(`comment.${row.id}`))).length,
    duplicates: [...copies.values()].reduce((sum, count) => sum + count - 1, 0),
    mails: stack.smtp.accepted.length,
    duplicated: [...copies].filter(([, count]) => count > 1).map(([messageId]) => messageId),
  };
}

export interface DeliveryFigures {
  /** Mails the database says are owed: one per message id, to one recipient. */
  expected: number;
  /** Mails the SMTP server accepted. */
  mails: number;
  /** Owed message ids that never arrived (to their recipient). */
  lost: string[];
  /** Copies beyond the first of any (message id, recipient). */
  duplicates: number;
  /** The (message id, recipient) pairs accepted more than once. */
  duplicated: string[];
  /** Accepted mails the database does not account for. */
  unexpected: string[];
}

/**
 * Every mail the database says is owed, compared with what the SMTP server accepted: a welcome
 * per user, a new-follower mail per follow, a new-comment mail per comment on someone else's
 * article, and a new-article mail per published article and follower of its author (followers as
 * they are now: a drill that uses it must not change who follows an author while the author
 * publishes). Recipients who turned notifications off are owed none but the welcome.
 */
export async function deliveryFigures(stack: DrillStack): Promise<DeliveryFigures> {
  const query = async (sql: string): Promise<Array<{ key: string; email: string }>> => (await stack.database.pool.query<{ key: string; email: string }>(sql)).rows;
  const rows = [
    ...(await query(`SELECT 'welcome.' || id AS key, email FROM users`)),
    ...(await query(`SELECT 'follow.' || f.follower_id || '.' || f.followed_id AS key, u.email FROM follows f JOIN users u ON u.id = f.followed_id WHERE u.email_notifications`)),
    ...(await query(
      `SELECT 'comment.' || c.id AS key, u.email FROM comments c JOIN articles a ON a.id = c.article_id JOIN users u ON u.id = a.author_id
       WHERE c.author_id <> a.author_id AND u.email_notifications`,
    )),
    ...(await query(
      `SELECT 'article.' || a.id || '.' || f.follower_id AS key, u.email FROM articles a JOIN follows f ON f.followed_id = a.author_id
       JOIN users u ON u.id = f.follower_id WHERE a.published_at IS NOT NULL AND u.email_notifications`,
    )),
  ];
  const owed = new Map(rows.map((row) => [`${stack.messageId(row.key)} ${row.email.toLowerCase()}`, row.key]));
  const copies = new Map<string, number>();
  for (const mail of stack.smtp.accepted) {
    for (const recipient of mail.to) {
      const pair = `${mail.messageId} ${recipient.toLowerCase()}`;
      copies.set(pair, (copies.get(pair) ?? 0) + 1);
    }
  }
  return {
    expected: owed.size,
    mails: stack.smtp.accepted.length,
    lost: [...owed].filter(([pair]) => !copies.has(pair)).map(([, key]) => key),
    duplicates: [...copies.values()].reduce((sum, count) => sum + count - 1, 0),
    duplicated: [...copies].filter(([, count]) => count > 1).map(([pair]) => pair),
    unexpected: [...copies.keys()].filter((pair) => !owed.has(pair)),
  };
}
