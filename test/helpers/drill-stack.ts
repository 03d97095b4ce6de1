import type { Queue } from 'bullmq';
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
 * an SMTP server on spare ports, one api and one worker process built from `dist/`. Nothing of the
 * machine's shared services is used, so a drill may stop and restart any part.
 */

const DRILL_JWT_SECRET = 'drill-only-jwt-secret-not-for-any-real-deployment-0123456789';

export interface DrillStack {
  postgres: ThrowawayPostgres;
  redis: ThrowawayRedis;
  smtp: SmtpCapture;
  /** The environment of the api and worker processes. */
  env: Record<string, string>;
  database: TestDatabase;
  client: ConduitClient;
  api: ApiProcess;
  worker: WorkerProcess;
  mailQueue: Queue;
  /** The message id of the mail with this key (`comment.7`), as the worker builds it. */
  messageId(key: string): string;
  /** Starts a new worker (after the old one died or stopped) and makes it `stack.worker`. */
  restartWorker(): Promise<WorkerProcess>;
  /** Waits until no outbox event is pending and no job is unfinished. */
  quiet(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startDrillStack(overrides: Record<string, string> = {}): Promise<DrillStack> {
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
  const [api, worker] = await Promise.all([startApi(env), startWorker(env)]);
  const namespace = await database.namespace();
  const mailQueue = inspectQueue(redis, namespace, 'mail');
  const stack: DrillStack = {
    postgres,
    redis,
    smtp,
    env,
    database,
    client: new ConduitClient(api.url),
    api,
    worker,
    mailQueue,
    messageId: (key) => namespace.messageId(key, TEST_SENDER_DOMAIN),
    restartWorker: async () => {
      stack.worker = await startWorker(env);
      return stack.worker;
    },
    quiet: (timeoutMs = 60_000) => waitForQuiet(database, [mailQueue], timeoutMs),
    close: async () => {
      await mailQueue.close().catch(() => undefined);
      await database.close().catch(() => undefined);
      await stopAll();
      await smtp.close();
      await postgres.remove();
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
