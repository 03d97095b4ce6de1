import pg from 'pg';
import request from 'supertest';
import {
  ApiProcess,
  redisAnswers,
  startApi,
  startTcpProxy,
  startThrowawayRedis,
  stopAll,
  TcpProxy,
  ThrowawayRedis,
} from '../helpers/child-processes';
import { ArticleBody, CommentBody, newArticleInput, newUserInput, unique } from '../helpers/factories';

/**
 * The cache must never be a reason to fail: with its Redis gone or hung, the API answers every
 * request from PostgreSQL, correctly and fast, warns once per outage, and caches again when
 * Redis is back, without an entry from before the outage hiding a write made during it.
 *
 * The api processes here are the built application, each pointed at a throwaway `redis-server` on
 * a free port (the shared Redis is never touched): one for outages, one with CACHE_ENABLED=false,
 * one with a 1 s CACHE_TTL_SECONDS, and two replicas that start before their Redis does, one of
 * them reaching it through a relay in this process that can be made slow.
 */

jest.setTimeout(60_000);

/** The most any request may take while Redis is away. */
const MAX_LATENCY_MS = 2_000;
const ENTRY_KEYS = '*entry:*';

interface User {
  username: string;
  token: string;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function occurrences(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

describe('Response cache when Redis is down, slow, disabled or short-lived', () => {
  let redis: ThrowawayRedis;
  let api: ApiProcess;
  let disabledRedis: ThrowawayRedis;
  let disabled: ApiProcess;
  let shortRedis: ThrowawayRedis;
  let shortLived: ApiProcess;
  /** Not started until the test says so: two replicas boot while nothing listens on its port. */
  let lateRedis: ThrowawayRedis;
  /** Replica A reaches that Redis through this relay (which can be made slow); B reaches it directly. */
  let proxy: TcpProxy;
  let lateA: ApiProcess;
  let lateB: ApiProcess;
  /** Started with the others, awaited by the tests that use them (so a failed start fails those tests). */
  let lateReplicas: Promise<ApiProcess[]>;

  beforeAll(async () => {
    [redis, disabledRedis, shortRedis, lateRedis] = await Promise.all([
      startThrowawayRedis(),
      startThrowawayRedis(),
      startThrowawayRedis(),
      startThrowawayRedis({ started: false }),
    ]);
    proxy = await startTcpProxy(lateRedis.port);
    lateReplicas = Promise.all([startApi({ REDIS_URL: proxy.url }), startApi({ REDIS_URL: lateRedis.url })]);
    lateReplicas.catch(() => undefined);
    [api, disabled, shortLived] = await Promise.all([
      startApi({ REDIS_URL: redis.url }),
      startApi({ REDIS_URL: disabledRedis.url, CACHE_ENABLED: 'false' }),
      startApi({ REDIS_URL: shortRedis.url, CACHE_TTL_SECONDS: '1' }),
    ]);
  });

  afterAll(async () => {
    await proxy?.close();
    await stopAll();
  });

  /** Every request made while Redis is away, with its status and duration, for the assertions. */
  const timings: Array<{ call: string; status: number; ms: number }> = [];

  async function send(
    target: ApiProcess,
    method: 'get' | 'post' | 'put' | 'delete',
    path: string,
    user?: User,
    body?: object,
  ): Promise<request.Response> {
    const started = Date.now();
    let test = request(target.url)[method](path).timeout(10_000);
    if (user) test = test.set('Authorization', `Token ${user.token}`);
    const response = await (body ? test.send(body) : test);
    timings.push({
      call: `${method.toUpperCase()} ${path}`,
      status: response.status,
      ms: Date.now() - started,
    });
    return response;
  }

  async function ok<T>(
    target: ApiProcess,
    method: 'get' | 'post' | 'put' | 'delete',
    path: string,
    user?: User,
    body?: object,
  ): Promise<T> {
    const response = await send(target, method, path, user, body);
    if (response.status >= 300) throw new Error(`${method.toUpperCase()} ${path}: ${response.status} ${response.text}`);
    return response.body as T;
  }

  async function register(target: ApiProcess, prefix: string): Promise<User> {
    const { user } = await ok<{ user: User }>(target, 'post', '/api/users', undefined, {
      user: newUserInput({ username: unique(prefix) }),
    });
    return user;
  }

  async function createArticle(
    target: ApiProcess,
    author: User,
    overrides: Partial<{ title: string; tagList: string[] }> = {},
  ): Promise<ArticleBody> {
    return (await ok<{ article: ArticleBody }>(target, 'post', '/api/articles', author, { article: newArticleInput(overrides) })).article;
  }

  /** Polls until `check` passes (reading through the API), or fails with its last error. */
  async function eventually(what: string, timeoutMs: number, check: () => Promise<void>): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await check();
        return;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms: ${(error as Error).message}`, { cause: error });
        await sleep(200);
      }
    }
  }

  describe('Redis killed, then started again', () => {
    it('answers every read and write from PostgreSQL, fast and correct, warns once, and caches again afterwards', async () => {
      const author = await register(api, 'author');
      const reader = await register(api, 'reader');
      const tag = unique('outage');
      const article = await createArticle(api, author, { tagList: [tag] });
      const articlePath = `/api/articles/${article.slug}`;
      const commentsPath = `${articlePath}/comments`;
      const profilePath = `/api/profiles/${author.username}`;
      const listPath = `/api/articles?author=${author.username}`;
      const paths = [articlePath, commentsPath, profilePath, listPath, '/api/tags'];
      for (const path of paths) {
        await ok(api, 'get', path);
        await ok(api, 'get', path);
        await ok(api, 'get', path, reader);
      }
      expect(redis.keys(ENTRY_KEYS).length).toBeGreaterThanOrEqual(paths.length);
      const logBefore = api.output();

      await redis.kill();
      timings.length = 0;

      // Reads of everything that was cached, then writes of every kind, then reads of the results.
      for (const path of paths) {
        for (const user of [undefined, reader]) await ok(api, 'get', path, user);
      }
      const newTag = unique('during');
      await ok(api, 'put', articlePath, author, {
        article: { body: 'Written while Redis was down', tagList: [newTag] },
      });
      const comment = (
        await ok<{ comment: CommentBody }>(api, 'post', commentsPath, reader, {
          comment: { body: 'Said while Redis was down' },
        })
      ).comment;
      await ok(api, 'post', `${articlePath}/favorite`, reader);
      await ok(api, 'post', `/api/profiles/${author.username}/follow`, reader);
      await ok(api, 'put', '/api/user', author, {
        user: { bio: 'Bio from the outage' },
      });
      const second = await createArticle(api, author, { tagList: [newTag] });

      const expectOutageWrites = async (): Promise<void> => {
        for (const user of [undefined, reader]) {
          const mine = user === reader;
          expect(await ok(api, 'get', articlePath, user)).toMatchObject({
            article: {
              body: 'Written while Redis was down',
              tagList: [newTag],
              favoritesCount: 1,
              favorited: mine,
              author: { bio: 'Bio from the outage', following: mine },
            },
          });
          expect(await ok(api, 'get', commentsPath, user)).toMatchObject({
            comments: [{ id: comment.id, body: 'Said while Redis was down' }],
          });
          expect(await ok(api, 'get', profilePath, user)).toEqual({
            profile: {
              username: author.username,
              bio: 'Bio from the outage',
              image: null,
              following: mine,
            },
          });
          const list = await ok<{
            articles: ArticleBody[];
            articlesCount: number;
          }>(api, 'get', listPath, user);
          expect(list.articles.map((item) => item.slug)).toEqual([second.slug, article.slug]);
          const tags = (await ok<{ tags: string[] }>(api, 'get', '/api/tags', user)).tags;
          expect(tags).toContain(newTag);
          expect(tags).not.toContain(tag);
        }
      };
      await expectOutageWrites();
      for (let round = 0; round < 5; round += 1) await ok(api, 'get', articlePath);

      expect(timings.filter(({ status }) => status >= 500)).toEqual([]);
      expect(timings.filter(({ ms }) => ms >= MAX_LATENCY_MS)).toEqual([]);
      expect(timings.length).toBeGreaterThanOrEqual(25);
      const outageLog = api.output().slice(logBefore.length);
      expect(occurrences(outageLog, 'Redis cache unavailable')).toBe(1);
      expect(occurrences(outageLog, 'Redis pub/sub unavailable')).toBeLessThanOrEqual(1);

      await redis.start();
      // The next reads use Redis again: entries reappear in it...
      await eventually('entries written to the restarted Redis', 10_000, async () => {
        for (const path of paths) await ok(api, 'get', path);
        expect(redis.keys(ENTRY_KEYS).length).toBeGreaterThanOrEqual(paths.length);
      });
      // ...and what they serve is the state written during the outage, never an older entry.
      await expectOutageWrites();
      const afterLog = api.output().slice(logBefore.length);
      expect(occurrences(afterLog, 'Redis cache unavailable')).toBe(1);
    });
  });

  describe('Redis hung (the process frozen: connections open, no answers)', () => {
    it('answers within the bound from PostgreSQL while it hangs, and shows writes made meanwhile once it thaws', async () => {
      const author = await register(api, 'hung');
      const article = await createArticle(api, author);
      const path = `/api/articles/${article.slug}`;
      await ok(api, 'get', path);
      await ok(api, 'get', path);
      await eventually('the cache in use', 5_000, async () => {
        await ok(api, 'get', path);
        expect(redis.keys(`*entry:*${article.slug}*`).length).toBeGreaterThanOrEqual(1);
      });

      const logBefore = api.output();
      redis.pause();
      try {
        timings.length = 0;
        for (let round = 0; round < 4; round += 1) await ok(api, 'get', path);
        await ok(api, 'put', path, author, {
          article: { body: 'Written while Redis hung' },
        });
        for (let round = 0; round < 4; round += 1) {
          expect(await ok(api, 'get', path)).toMatchObject({
            article: { body: 'Written while Redis hung' },
          });
        }
        expect(timings.filter(({ status, ms }) => status >= 500 || ms >= MAX_LATENCY_MS)).toEqual([]);
        // A new outage, so one new warning: not one per request.
        expect(occurrences(api.output().slice(logBefore.length), 'Redis cache unavailable')).toBe(1);
      } finally {
        redis.resume();
      }

      // Caching resumes: the entry in Redis is rebuilt, and holds the answer written meanwhile.
      await eventually('the cache in use again', 10_000, async () => {
        expect(await ok(api, 'get', path)).toMatchObject({
          article: { body: 'Written while Redis hung' },
        });
        const entries = redis.keys(`*entry:*${article.slug}*`);
        expect(entries.map((key) => redis.value(key)).join('\n')).toContain('Written while Redis hung');
      });
      for (let round = 0; round < 3; round += 1) {
        expect(await ok(api, 'get', path)).toMatchObject({
          article: { body: 'Written while Redis hung' },
        });
      }
    });
  });

  describe('CACHE_ENABLED=false', () => {
    it('writes no entries to Redis and answers every read from PostgreSQL, correctly', async () => {
      const author = await register(disabled, 'nocache');
      const article = await createArticle(disabled, author, {
        tagList: ['uncached'],
      });
      const path = `/api/articles/${article.slug}`;
      const paths = [path, `${path}/comments`, `/api/profiles/${author.username}`, `/api/articles?author=${author.username}`, '/api/tags'];
      for (const each of paths) {
        await ok(disabled, 'get', each);
        await ok(disabled, 'get', each);
      }

      await ok(disabled, 'put', path, author, {
        article: { body: 'Second body' },
      });
      await ok(disabled, 'post', `${path}/comments`, author, {
        comment: { body: 'A comment' },
      });
      await ok(disabled, 'put', '/api/user', author, {
        user: { bio: 'Uncached bio' },
      });

      expect(await ok(disabled, 'get', path)).toMatchObject({
        article: { body: 'Second body', author: { bio: 'Uncached bio' } },
      });
      expect(await ok(disabled, 'get', `${path}/comments`)).toMatchObject({
        comments: [{ body: 'A comment' }],
      });
      expect(await ok(disabled, 'get', `/api/profiles/${author.username}`)).toMatchObject({ profile: { bio: 'Uncached bio' } });
      expect((await ok<{ tags: string[] }>(disabled, 'get', '/api/tags')).tags).toContain('uncached');
      expect(disabledRedis.keys(ENTRY_KEYS)).toEqual([]);
    });
  });

  describe('CACHE_TTL_SECONDS', () => {
    it('bounds how long an answer may be served from the cache, even when no invalidation ever comes', async () => {
      const user = await register(shortLived, 'ttl');
      const path = `/api/profiles/${user.username}`;
      expect(await ok(shortLived, 'get', path)).toMatchObject({
        profile: { bio: null },
      });
      expect(await ok(shortLived, 'get', path)).toMatchObject({
        profile: { bio: null },
      });
      expect(shortRedis.keys(ENTRY_KEYS).length).toBeGreaterThanOrEqual(1);

      // A change the cache is never told about (a data fix in psql, a lost invalidation).
      const client = new pg.Client({
        connectionString: process.env.DATABASE_URL,
      });
      await client.connect();
      try {
        await client.query('UPDATE users SET bio = $1 WHERE username = $2', ['Fixed in psql', user.username]);
      } finally {
        await client.end();
      }
      // Within the TTL the cached answer may still be served; past it, it must not be.
      await sleep(2_200);

      expect(await ok(shortLived, 'get', path)).toMatchObject({
        profile: { bio: 'Fixed in psql' },
      });
    });
  });

  describe('two replicas: Redis down when they start, started later, then slow for one of them', () => {
    /** Users and an article written through A only: B never writes, so only reads tell B about Redis. */
    let author: User;
    let reader: User;
    let profilePath: string;
    let articlePath: string;

    beforeEach(async () => {
      [lateA, lateB] = await lateReplicas;
    });

    async function seenThroughB(bio: string | null, favoritesCount: number): Promise<void> {
      for (const user of [undefined, reader]) {
        expect(await ok(lateB, 'get', profilePath, user)).toMatchObject({ profile: { username: author.username, bio } });
        expect(await ok(lateB, 'get', articlePath, user)).toMatchObject({
          article: { favoritesCount, favorited: user === reader && favoritesCount > 0, author: { bio } },
        });
      }
    }

    it('with no Redis at all, a write through A is seen at once through B (both answer from PostgreSQL)', async () => {
      author = await register(lateA, 'late');
      reader = await register(lateA, 'latereader');
      const article = await createArticle(lateA, author);
      profilePath = `/api/profiles/${author.username}`;
      articlePath = `/api/articles/${article.slug}`;
      timings.length = 0;
      for (const replica of [lateA, lateB]) {
        for (const path of [profilePath, articlePath]) {
          for (const user of [undefined, undefined, reader]) await ok(replica, 'get', path, user);
        }
      }
      await seenThroughB(null, 0);

      await ok(lateA, 'put', '/api/user', author, { user: { bio: 'Written with no Redis at all' } });
      await ok(lateA, 'post', `${articlePath}/favorite`, reader);

      await seenThroughB('Written with no Redis at all', 1);
      expect(timings.filter(({ status, ms }) => status >= 500 || ms >= MAX_LATENCY_MS)).toEqual([]);
      for (const replica of [lateA, lateB]) expect(occurrences(replica.output(), 'Redis cache unavailable')).toBeLessThanOrEqual(1);
    });

    it('once Redis starts, both cache again and serve the writes made before it started', async () => {
      await ok(lateA, 'put', '/api/user', author, { user: { bio: 'Written before Redis started' } });
      await lateRedis.start();
      await eventually('entries in the new Redis, and B current', 10_000, async () => {
        for (const replica of [lateA, lateB]) for (const path of [profilePath, articlePath]) await ok(replica, 'get', path);
        expect(lateRedis.keys(ENTRY_KEYS).length).toBeGreaterThanOrEqual(2);
        await seenThroughB('Written before Redis started', 1);
      });
    });

    it('when Redis is slow for A only, a write through A is still seen at once through B', async () => {
      if (!(await redisAnswers(lateRedis.port))) await lateRedis.start();
      // Both replicas healthy: A has logged its recovery from every outage it reported.
      await eventually('A using Redis again', 10_000, async () => {
        await ok(lateA, 'get', profilePath);
        expect(occurrences(lateA.output(), 'Redis cache is back')).toBe(occurrences(lateA.output(), 'Redis cache unavailable'));
      });
      await ok(lateA, 'put', '/api/user', author, { user: { bio: 'Before the slowness' } });
      for (const replica of [lateA, lateB]) for (let round = 0; round < 2; round += 1) await ok(replica, 'get', profilePath);
      await seenThroughB('Before the slowness', 1);
      const warningsBefore = occurrences(lateA.output(), 'Redis cache unavailable');

      // A's link to Redis turns slow: its cache calls time out, and it serves from PostgreSQL.
      proxy.setDelay(300);
      try {
        await eventually('A noticing the slowness', 5_000, async () => {
          expect(await ok(lateA, 'get', profilePath)).toMatchObject({ profile: { bio: 'Before the slowness' } });
          expect(occurrences(lateA.output(), 'Redis cache unavailable')).toBe(warningsBefore + 1);
        });
      } finally {
        proxy.setDelay(0);
      }
      await proxy.idle();

      // The link is fast again (Redis itself never stopped answering B). A write through A...
      await ok(lateA, 'put', '/api/user', author, { user: { bio: 'Written right after the slowness' } });
      // ...must not leave B serving the entry that write changed.
      await seenThroughB('Written right after the slowness', 1);
    });
  });
});
