import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import * as argon2 from 'argon2';
import { Queue, Worker } from 'bullmq';
import Redis from 'ioredis';
import pg from 'pg';
import { QUEUE_NAMES } from '@/infra/queue/queues';
import { DatabaseIdentity, DeploymentNamespace, readDeploymentNamespace } from '@/infra/redis/deployment-namespace';
import { ensureBuilt, freePort } from '../helpers/child-processes';

/**
 * The command line as operators run it: `node dist/src/cli.js <command>` as a child process, on
 * the test database and Redis. Each command is a process of its own (about a second to start),
 * so commands that touch different things run side by side.
 */

// Generous: each command is a process start, and a loaded machine makes those slow.
jest.setTimeout(90_000);

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');
const DATABASE_URL = process.env.DATABASE_URL!;
const REDIS_URL = process.env.REDIS_URL!;

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (for --json runs). */
  json<T = Record<string, unknown>>(): T;
}

function cli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'info', NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({
        code,
        stdout,
        stderr,
        json: <T>() => {
          try {
            return JSON.parse(stdout) as T;
          } catch {
            throw new Error(`cli ${args.join(' ')} printed no JSON (exit ${code}):\n${stdout}\n${stderr}`);
          }
        },
      });
    });
  });
}

/** A failure as the operator must see it: one line on stderr, no stack trace, a non-zero exit. */
function expectOneLineFailure(run: CliRun, pattern: RegExp, code = 1): void {
  const lines = run.stderr.split('\n').filter(Boolean);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(run.stderr).not.toMatch(/\n\s+at /);
  expect(run.code).toBe(code);
}

describe('command line (e2e)', () => {
  let db: pg.Client;
  let redis: Redis;
  /** This database's keys in Redis, as the api and the worker compute them. */
  let deployment: DeploymentNamespace;

  const query = async <T extends pg.QueryResultRow = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> =>
    (await db.query<T>(sql, params)).rows;

  beforeAll(async () => {
    await ensureBuilt();
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build`);
    db = new pg.Client({ connectionString: DATABASE_URL });
    await db.connect();
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    deployment = await readDeploymentNamespace((sql) => query<DatabaseIdentity>(sql));
    const tables = await query<{ tablename: string }>(
      `SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename <> '_prisma_migrations'`,
    );
    await db.query(`TRUNCATE TABLE ${tables.map(({ tablename }) => `"${tablename}"`).join(', ')} RESTART IDENTITY CASCADE`);
  });

  afterAll(async () => {
    await db?.end();
    redis?.disconnect();
  });

  describe('help, usage mistakes and unreachable services', () => {
    // Independent of each other and of the data: all started at once.
    let runs: Record<string, Promise<CliRun>>;
    beforeAll(async () => {
      const nothing = `127.0.0.1:${await freePort()}`;
      runs = {
        help: cli(['--help']),
        unknown: cli(['no:such-command']),
        badCount: cli(['seed', '--users', 'many']),
        dbDown: cli(['db:check'], { DATABASE_URL: `postgresql://postgres@${nothing}/conduit` }),
        outboxDbDown: cli(['outbox:status', '--json'], { DATABASE_URL: `postgresql://postgres@${nothing}/conduit` }),
        redisDown: cli(['queue:status'], { REDIS_URL: `redis://${nothing}` }),
        cacheRedisDown: cli(['cache:flush'], { REDIS_URL: `redis://${nothing}` }),
        dbCheckRedisDown: cli(['db:check', '--json'], { REDIS_URL: `redis://${nothing}` }),
        badEnvironment: cli(['db:check'], { DATABASE_URL: 'mysql://nope' }),
      };
      await Promise.all(Object.values(runs));
    });

    it('--help lists every command with each of its options', async () => {
      const { code, stdout } = await runs.help;

      expect(code).toBe(0);
      const commands = ['seed', 'user:create-admin', 'user:reset-password', 'search:reindex', 'search:check', 'outbox:status', 'queue:status', 'queue:retry-failed', 'queue:clean', 'cache:flush', 'db:check'];
      for (const command of commands) expect(stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
      for (const option of ['--size <size>', '--seed <number>', '--reset', '--email <email>', '--username <username>', '--password <password>', '--max-age <seconds>', '--failed', '--older-than <seconds>']) {
        expect(stdout).toContain(`    ${option}`);
      }
      // --json on every command.
      expect(stdout.match(/^ {4}--json /gm)).toHaveLength(commands.length);
    });

    it('rejects an unknown command and a malformed option with a usage exit code', async () => {
      const unknown = await runs.unknown;
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toMatch(/unknown command 'no:such-command'/);

      expectOneLineFailure(await runs.badCount, /^error: --users must be a whole number of at least 1 \(got "many"\)$/, 2);
    });

    it('says in one line that PostgreSQL cannot be reached', async () => {
      expectOneLineFailure(await runs.dbDown, /^error: cannot reach PostgreSQL at postgresql:\/\/postgres@127\.0\.0\.1:\d+\/conduit/);
      const outbox = await runs.outboxDbDown;
      expectOneLineFailure(outbox, /^error: cannot reach PostgreSQL at /);
      expect(outbox.stdout).toBe('');
    });

    it('says in one line that Redis cannot be reached, and commands that need no Redis still run', async () => {
      expectOneLineFailure(await runs.redisDown, /^error: cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+/);
      expectOneLineFailure(await runs.cacheRedisDown, /^error: cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+/);

      const dbCheck = await runs.dbCheckRedisDown;
      expect(dbCheck.code).toBe(0);
      expect(dbCheck.json()).toMatchObject({ ok: true });
    });

    it('names the bad setting in one line', async () => {
      expectOneLineFailure(await runs.badEnvironment, /^Invalid configuration: DATABASE_URL must be a postgresql:\/\/ connection string/);
    });
  });

  describe('seed', () => {
    const small = ['--users', '6', '--articles', '30', '--favorites', '40', '--comments', '25', '--tags', '8'];
    /** A fingerprint of the generated content, ids included. */
    const fingerprint = async (): Promise<string> => {
      const [row] = await query<{ digest: string }>(`
        SELECT md5(
          (SELECT string_agg(concat_ws('|', id, slug, title, description, body, author_id, published_at, favorites_count), ',' ORDER BY id) FROM articles) ||
          (SELECT string_agg(concat_ws('|', article_id, tag_id), ',' ORDER BY article_id, tag_id) FROM article_tags) ||
          (SELECT string_agg(concat_ws('|', user_id, article_id), ',' ORDER BY user_id, article_id) FROM favorites) ||
          (SELECT string_agg(concat_ws('|', id, body, article_id, author_id), ',' ORDER BY id) FROM comments) ||
          (SELECT string_agg(concat_ws('|', follower_id, followed_id), ',' ORDER BY follower_id, followed_id) FROM follows)) AS digest`);
      return row.digest;
    };

    it('writes the sizes asked for, published, with consistent counters, and reports them', async () => {
      const run = await cli(['seed', ...small, '--seed', '7', '--json']);

      expect(run.code).toBe(0);
      const result = run.json<{ created: boolean; seed: number; counts: Record<string, number>; login: { email: string; password: string } }>();
      expect(result).toMatchObject({
        created: true,
        seed: 7,
        counts: { users: 6, articles: 30, tags: 8, articleTags: 90, favorites: 40, comments: 25, follows: 18 },
      });
      // Progress goes to stderr (one line per step without a terminal), never into the JSON.
      expect(run.stderr).toMatch(/^users\.\.\.$/m);
      expect(run.stderr).toMatch(/^comments\.\.\.$/m);

      const [articles] = await query<{ total: number; visible: number; bad_counts: number; slugs: number }>(`
        SELECT count(*)::int AS total,
               count(*) FILTER (WHERE published_at IS NOT NULL AND published_at <= now())::int AS visible,
               count(*) FILTER (WHERE favorites_count <> (SELECT count(*) FROM favorites f WHERE f.article_id = articles.id))::int AS bad_counts,
               count(DISTINCT slug)::int AS slugs
        FROM articles`);
      expect(articles).toEqual({ total: 30, visible: 30, bad_counts: 0, slugs: 30 });
      const [self] = await query<{ n: number }>('SELECT count(*)::int AS n FROM follows WHERE follower_id = followed_id');
      expect(self.n).toBe(0);
      const [user] = await query<{ password_hash: string }>('SELECT password_hash FROM users WHERE email = $1', [result.login.email]);
      expect(await argon2.verify(user.password_hash, result.login.password)).toBe(true);
    });

    it('writes nothing when the data is there, the same data again for the same seed, other data for another', async () => {
      const first = await fingerprint();

      const again = await cli(['seed', ...small, '--seed', '7', '--json']);
      expect(again.code).toBe(0);
      expect(again.json()).toMatchObject({ created: false, counts: { users: 6, articles: 30 } });
      expect(await fingerprint()).toBe(first);

      expect((await cli(['seed', ...small, '--seed', '7', '--reset'])).code).toBe(0);
      expect(await fingerprint()).toBe(first);

      const other = await cli(['seed', ...small, '--seed', '8', '--reset']);
      expect(other.code).toBe(0);
      expect(other.stdout).toMatch(/^Seeded in [\d.]+ s \(size small, seed 8\):$/m);
      expect(await fingerprint()).not.toBe(first);
    });
  });

  describe('users, outbox and database (after the seed)', () => {
    it('user:create-admin creates an administrator, promotes an existing user, and refuses bad input in one line', async () => {
      const [created, promoted, missing, invalid] = await Promise.all([
        cli(['user:create-admin', '--email', 'Root@Example.com', '--username', 'root', '--password', 'correct horse battery', '--json']),
        cli(['user:create-admin', '--email', 'user2@seed.example', '--json']),
        cli(['user:create-admin', '--email', 'nobody@example.com']),
        cli(['user:create-admin', '--email', 'not-an-email', '--username', 'x']),
      ]);

      expect(created.code).toBe(0);
      expect(created.json()).toEqual({
        action: 'created',
        user: { id: expect.any(Number), email: 'root@example.com', username: 'root', isAdmin: true },
      });
      const [root] = await query<{ is_admin: boolean; password_hash: string }>(`SELECT is_admin, password_hash FROM users WHERE email = 'root@example.com'`);
      expect(root.is_admin).toBe(true);
      expect(await argon2.verify(root.password_hash, 'correct horse battery')).toBe(true);

      expect(promoted.code).toBe(0);
      expect(promoted.json()).toMatchObject({ action: 'granted', user: { email: 'user2@seed.example', isAdmin: true } });
      const [user2] = await query<{ is_admin: boolean }>(`SELECT is_admin FROM users WHERE email = 'user2@seed.example'`);
      expect(user2.is_admin).toBe(true);

      expectOneLineFailure(missing, /^error: no user with email nobody@example\.com: give --username to create one$/);
      expectOneLineFailure(invalid, /^error: email is invalid/);

      const again = await cli(['user:create-admin', '--email', 'root@example.com']);
      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(/root <root@example\.com> \(id \d+\) already is an administrator\./);
    });

    it('user:reset-password sets a generated password, printed once, or the one given', async () => {
      const [generated, given, unknown] = await Promise.all([
        cli(['user:reset-password', 'user3@seed.example', '--json']),
        cli(['user:reset-password', 'user4@seed.example', '--password', 'a brand new password']),
        cli(['user:reset-password', 'ghost@example.com']),
      ]);

      expect(generated.code).toBe(0);
      const result = generated.json<{ user: { email: string }; generatedPassword: string }>();
      expect(result.user.email).toBe('user3@seed.example');
      expect(result.generatedPassword).toMatch(/^[A-Za-z0-9_-]{24}$/);
      const hashes = await query<{ email: string; password_hash: string }>(
        `SELECT email, password_hash FROM users WHERE email IN ('user3@seed.example', 'user4@seed.example') ORDER BY email`,
      );
      expect(await argon2.verify(hashes[0].password_hash, result.generatedPassword)).toBe(true);
      expect(await argon2.verify(hashes[0].password_hash, 'conduit-seed')).toBe(false);

      expect(given.code).toBe(0);
      expect(given.stdout).not.toContain('shown once');
      expect(await argon2.verify(hashes[1].password_hash, 'a brand new password')).toBe(true);

      expectOneLineFailure(unknown, /^error: no user with email ghost@example\.com$/);
    });

    it('outbox:status reports the backlog, the oldest pending event and the failures, and fails past --max-age', async () => {
      // Only these events: the seed's articles left search events of their own.
      await db.query('DELETE FROM outbox_events');
      await db.query(`
        INSERT INTO outbox_events (queue, name, payload, created_at, dispatched_at, dispatches, completed_at) VALUES
          ('mail', 'welcome', '{}', now() - interval '10 minutes', NULL, 0, NULL),
          ('mail', 'welcome', '{}', now() - interval '5 minutes', now() - interval '4 minutes', 3, NULL),
          ('mail', 'welcome', '{}', now() - interval '1 hour', now(), 1, now())`);

      const [status, human, late] = await Promise.all([
        cli(['outbox:status', '--json']),
        cli(['outbox:status']),
        cli(['outbox:status', '--max-age', '60']),
      ]);

      expect(status.code).toBe(0);
      const body = status.json<{ pending: number; inFlight: number; redispatched: number; oldestPendingAt: string; oldestPendingSeconds: number }>();
      expect(body).toMatchObject({ pending: 2, inFlight: 1, redispatched: 1 });
      expect(body.oldestPendingSeconds).toBeGreaterThanOrEqual(600);
      expect(body.oldestPendingSeconds).toBeLessThan(700);
      expect(Date.now() - Date.parse(body.oldestPendingAt)).toBeGreaterThanOrEqual(600_000);
      expect(human.stdout).toMatch(/^pending +2 \(1 handed to the queue, not completed\)$/m);
      expect(human.stdout).toMatch(/^failures +1 pending event/m);
      expect(late.code).toBe(1);
      expect(late.stderr).toMatch(/^error: the oldest pending outbox event is \d+ s old \(more than --max-age 60\)$/m);
    });

    it('search:check and search:reindex compare the engine with PostgreSQL and report it in sync', async () => {
      const [published] = await query<{ n: number }>('SELECT count(*)::int AS n FROM articles WHERE published_at IS NOT NULL');
      expect(published.n).toBeGreaterThan(0);
      // A drifted tags text (what the engine indexes besides the article's own columns) is repaired.
      await db.query(`UPDATE articles SET tags_text = 'drifted' WHERE id = (SELECT min(id) FROM articles)`);

      const resyncRequests = async (): Promise<number> =>
        (await query<{ n: number }>(`SELECT count(*)::int AS n FROM outbox_events WHERE queue = 'search' AND name = 'resync-features'`))[0].n;
      const requestsBefore = await resyncRequests();

      const [check, reindex] = [await cli(['search:check', '--json']), await cli(['search:reindex'])];

      expect(check.code).toBe(0);
      expect(check.json()).toMatchObject({ engine: 'postgres', databaseCount: published.n, tagsTextDrift: 1, inSync: true });
      const [drifted] = await query<{ n: number }>(`SELECT count(*)::int AS n FROM articles WHERE tags_text = 'drifted'`);
      expect(drifted.n).toBe(0);
      expect(reindex.code).toBe(0);
      expect(reindex.stdout).toMatch(/^in sync$/m);
      // Generated features' documents are written again by the worker, which alone knows their sources.
      expect(await resyncRequests()).toBe(requestsBefore + 1);
    });

    it('db:check reports the server and the migrations, and fails on a migration that did not finish', async () => {
      const ok = await cli(['db:check', '--json']);
      expect(ok.code).toBe(0);
      const report = ok.json<{ ok: boolean; serverVersion: string; database: string; migrations: { applied: string[]; pending: string[] } }>();
      expect(report.ok).toBe(true);
      expect(report.serverVersion).toMatch(/^\d+\.\d+/);
      expect(report.database).toBe(new URL(DATABASE_URL).pathname.slice(1));
      expect(report.migrations.applied).toContain('20261206194926_user_is_admin');
      expect(report.migrations.pending).toEqual([]);

      await db.query(`INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, applied_steps_count)
                      VALUES ('cli-test-failed', 'x', '29990101000000_half_done', now(), 0)`);
      try {
        const failed = await cli(['db:check', '--json']);
        expect(failed.code).toBe(1);
        expect(failed.json()).toMatchObject({ ok: false, migrations: { failed: ['29990101000000_half_done'] } });
        expect(failed.stderr).toMatch(/^error: database check failed: migration 29990101000000_half_done failed and needs attention$/m);
      } finally {
        await db.query(`DELETE FROM _prisma_migrations WHERE id = 'cli-test-failed'`);
      }
    });
  });

  describe('queues and cache', () => {
    const queues: Queue[] = [];
    const queue = (name: string): Queue => {
      const created = new Queue(name, { connection: redis, prefix: deployment.queuePrefix });
      queues.push(created);
      return created;
    };

    beforeAll(async () => {
      for (const name of QUEUE_NAMES) await queue(name).obliterate({ force: true });
    });

    afterAll(async () => {
      await Promise.all(queues.map((q) => q.close()));
    });

    /** Lets a worker of `name` take `count` jobs; it fails those named "fails". */
    async function work(name: string, count: number): Promise<void> {
      let finished = 0;
      const connection = redis.duplicate();
      const worker = new Worker(
        name,
        async (job) => {
          if (job.name === 'fails') throw new Error('refused on purpose');
          return Promise.resolve();
        },
        { connection, prefix: deployment.queuePrefix, autorun: false },
      );
      const done = new Promise<void>((resolve) => {
        const counted = (): void => {
          finished += 1;
          if (finished === count) resolve();
        };
        worker.on('completed', counted);
        worker.on('failed', counted);
      });
      void worker.run();
      await done;
      await worker.close();
      connection.disconnect();
    }

    it('queue:status, queue:retry-failed and queue:clean act on the jobs BullMQ holds', async () => {
      const mail = queue('mail');
      await mail.addBulk(['fails', 'fails', 'works'].map((name) => ({ name, data: {}, opts: { attempts: 1 } })));
      await work('mail', 3);

      const before = await cli(['queue:status', '--json']);
      expect(before.code).toBe(0);
      const statuses = before.json<{ queues: Array<{ queue: string; paused: boolean; counts: Record<string, number> }> }>().queues;
      expect(statuses.map((status) => status.queue)).toEqual(QUEUE_NAMES);
      expect(statuses.find((status) => status.queue === 'mail')).toMatchObject({ paused: false, counts: { failed: 2, completed: 1, waiting: 0 } });

      const [retried, cleaned, wrongQueue] = await Promise.all([
        cli(['queue:retry-failed', 'mail', '--json']),
        cli(['queue:clean', 'mail', '--json']),
        cli(['queue:retry-failed', 'nope']),
      ]);
      expect(retried.code).toBe(0);
      expect(retried.json()).toEqual({ queue: 'mail', retried: 2 });
      expect(cleaned.code).toBe(0);
      expect(cleaned.json()).toEqual({ olderThanSeconds: 0, queues: [{ queue: 'mail', removed: { completed: 1 } }] });
      expectOneLineFailure(wrongQueue, new RegExp(`^error: unknown queue "nope" \\(queues: ${QUEUE_NAMES.join(', ')}\\)$`), 2);

      expect(await mail.getJobCounts('failed', 'completed', 'waiting')).toEqual({ failed: 0, completed: 0, waiting: 2 });
      const human = await cli(['queue:status', 'mail']);
      expect(human.stdout).toMatch(/^queue +waiting +active/m);
      expect(human.stdout).toMatch(/^mail +2 +0 /m);

      // The retried jobs fail again; --failed removes them as well.
      await work('mail', 2);
      const cleanFailed = await cli(['queue:clean', 'mail', '--failed']);
      expect(cleanFailed.code).toBe(0);
      expect(cleanFailed.stdout).toBe('mail: removed 0 completed, 2 failed job(s)\n');
      expect(await mail.getJobCounts('failed', 'completed', 'waiting')).toEqual({ failed: 0, completed: 0, waiting: 0 });
    });

    it('cache:flush removes the response cache of this database only and retires what replicas hold', async () => {
      const [{ name }] = await query<{ name: string }>('SELECT current_database() AS name');
      const namespace = deployment.prefix;
      expect(namespace).toMatch(new RegExp(`^conduit:${name}:[0-9a-f]{12}$`));
      // Only this test's keys: other suites on the same database leave entries of their own.
      const leftOver = await redis.keys(`${namespace}::*`);
      if (leftOver.length > 0) await redis.del(...leftOver);
      await redis.mset(`${namespace}::entry:a`, '1', `${namespace}::entry:b`, '2', `${namespace}::tag:articles`, '3', 'conduit:another-db:1::entry:a', 'kept');

      const run = await cli(['cache:flush', '--json']);

      expect(run.code).toBe(0);
      expect(run.json()).toEqual({ namespace, removedKeys: 3 });
      expect(await redis.keys(`${namespace}::*`)).toEqual([`${namespace}::tag:epoch`]);
      expect(await redis.get('conduit:another-db:1::entry:a')).toBe('kept');
      await redis.del('conduit:another-db:1::entry:a');
    });
  });
});
