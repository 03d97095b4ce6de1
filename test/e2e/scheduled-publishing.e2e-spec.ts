import type { Queue } from 'bullmq';
import {
  Account,
  ArticleView,
  BackgroundStack,
  ConduitClient,
  sleep,
  SmtpCapture,
  startBackgroundStack,
  TestDatabase,
  unique,
  waitFor,
  waitForQuiet,
} from '../helpers/worker';

/**
 * Scheduled publishing with `publishAt`, through an api process and the worker process: the
 * article stays hidden from everyone but its author until its time (single read, lists, feeds,
 * tags, comments, favorites), then the worker publishes it, its author's followers are mailed, and
 * the cached lists that the api served before are retired. (Search does not exist yet.)
 *
 * The caches are warmed before each publication on purpose: the worker must invalidate them.
 */

jest.setTimeout(60_000);

describe('Scheduled publishing (publishAt)', () => {
  const database = new TestDatabase();
  let stack: BackgroundStack;
  let smtp: SmtpCapture;
  let client: ConduitClient;
  let queues: Queue[];
  let alice: Account;
  let bob: Account;
  let carol: Account;

  beforeAll(async () => {
    stack = await startBackgroundStack(database, { queues: ['mail', 'scheduled'] });
    ({ smtp, client, queues } = stack);
    [alice, bob, carol] = await Promise.all([client.register('alice'), client.register('bob'), client.register('carol')]);
    await client.follow(bob, alice);
  });

  afterAll(async () => {
    await stack?.close();
  });

  const inSeconds = (seconds: number): Date => new Date(Date.now() + seconds * 1000);

  async function status(path: string, user?: Account): Promise<number> {
    return (await client.call('get', path, user)).status;
  }

  async function tags(): Promise<string[]> {
    return (await client.call('get', '/api/tags')).body.tags as string[];
  }

  async function schedule(author: Account, publishAt: Date, tag: string): Promise<ArticleView> {
    return client.createArticle(author, { title: `Tomorrow ${unique('s')}`, tagList: [tag] }, { publishAt: publishAt.toISOString() });
  }

  /** Polls the anonymous read every 100 ms until it answers 200; returns when that was, and every earlier status. */
  async function watchUntilPublished(slug: string, timeoutMs: number): Promise<{ visibleAt: number; before: number[] }> {
    const before: number[] = [];
    const visibleAt = await waitFor(
      `${slug} to be published`,
      async () => {
        const code = await status(`/api/articles/${slug}`);
        if (code === 200) return Date.now();
        before.push(code);
        return undefined;
      },
      { timeoutMs, intervalMs: 100 },
    );
    return { visibleAt, before };
  }

  it('refuses a publishAt that is not in the future, or not a date', async () => {
    for (const publishAt of [new Date(Date.now() - 60_000).toISOString(), 'next tuesday', '2030-13-45T00:00:00Z', 42]) {
      const response = await client.call('post', '/api/articles', alice).send({ article: { title: `Past ${unique('p')}`, description: 'd', body: 'b', publishAt } });
      expect({ publishAt, status: response.status }).toEqual({ publishAt, status: 422 });
      expect(Object.keys(response.body.errors)).toEqual(['publishAt']);
    }
  });

  it('keeps a scheduled article hidden from everyone but its author until its time, then shows it everywhere and mails the followers', async () => {
    const tag = unique('soon');
    // Warm the caches that the publication must retire.
    await Promise.all([client.slugs('/api/articles'), client.slugs('/api/articles/feed', bob), tags(), client.slugs(`/api/articles?tag=${tag}`)]);

    const publishAt = inSeconds(3);
    const article = await schedule(alice, publishAt, tag);
    expect(article.publishAt).toBe(publishAt.toISOString());

    // Hidden: only its author can read it.
    expect(await status(`/api/articles/${article.slug}`)).toBe(404);
    expect(await status(`/api/articles/${article.slug}`, carol)).toBe(404);
    expect(await status(`/api/articles/${article.slug}`, bob)).toBe(404);
    const own = await client.call('get', `/api/articles/${article.slug}`, alice);
    expect(own.status).toBe(200);
    expect(own.body.article.publishAt).toBe(publishAt.toISOString());
    // ...and nobody else can act on it.
    expect((await client.call('post', `/api/articles/${article.slug}/comments`, carol).send({ comment: { body: 'early' } })).status).toBe(404);
    expect((await client.call('post', `/api/articles/${article.slug}/favorite`, carol)).status).toBe(404);
    expect(await status(`/api/articles/${article.slug}/comments`)).toBe(404);

    // Not in any list, feed or tag cloud.
    expect(await client.slugs('/api/articles')).not.toContain(article.slug);
    expect(await client.slugs(`/api/articles?author=${alice.username}`)).not.toContain(article.slug);
    expect(await client.slugs(`/api/articles?author=${alice.username}`, alice)).not.toContain(article.slug);
    expect(await client.slugs(`/api/articles?tag=${tag}`)).toEqual([]);
    expect(await client.slugs('/api/articles/feed', bob)).not.toContain(article.slug);
    expect(await tags()).not.toContain(tag);

    // An outbox event on the `scheduled` queue, due at publishAt.
    const [event] = await database.outbox(`queue = 'scheduled' AND (payload->>'articleId')::int = (SELECT id FROM articles WHERE slug = $1)`, [article.slug]);
    expect(event.name).toBe('publish-article');
    expect(event.availableAt.toISOString()).toBe(publishAt.toISOString());

    // Meanwhile carol publishes something the ordinary way: created after, published before.
    const earlier = await client.createArticle(carol, { title: `Now ${unique('n')}` });

    const { visibleAt, before } = await watchUntilPublished(article.slug, 10_000);
    expect(visibleAt).toBeGreaterThanOrEqual(publishAt.getTime());
    expect(new Set(before)).toEqual(new Set([404]));
    console.log(`scheduled article visible ${visibleAt - publishAt.getTime()} ms after its publishAt`);

    const published = await client.call('get', `/api/articles/${article.slug}`);
    expect(published.body.article).not.toHaveProperty('publishAt');
    // Newest publication first: the scheduled article now comes before carol's.
    expect((await client.slugs('/api/articles')).slice(0, 2)).toEqual([article.slug, earlier.slug]);
    expect(await client.slugs(`/api/articles?tag=${tag}`)).toEqual([article.slug]);
    expect(await client.slugs(`/api/articles?author=${alice.username}`)).toContain(article.slug);
    expect(await client.slugs('/api/articles/feed', bob)).toContain(article.slug);
    expect(await tags()).toContain(tag);
    expect((await client.call('post', `/api/articles/${article.slug}/comments`, carol).send({ comment: { body: 'now' } })).status).toBe(201);

    const [mail] = await smtp.waitForMail(bob.email, { subject: /published/ });
    expect(mail.subject).toBe(`${alice.username} published "${article.title}"`);
    expect(mail.text).toContain(`/article/${article.slug}`);
    expect(mail.acceptedAt).toBeGreaterThanOrEqual(publishAt.getTime());
    await waitForQuiet(database, queues);
    expect(smtp.to(bob.email).filter((m) => m.subject === mail.subject)).toHaveLength(1);
    expect(smtp.to(carol.email).filter((m) => /published/.test(m.subject))).toEqual([]);
    expect(smtp.to(alice.email).filter((m) => /published/.test(m.subject))).toEqual([]);
  });

  it('follows a reschedule: the old time passes without publishing, the new one publishes; a published article cannot be rescheduled', async () => {
    const tag = unique('moved');
    const article = await schedule(alice, inSeconds(1.5), tag);
    const later = inSeconds(4);

    // Only the author may reschedule, and only to a future time; to anyone else the article does not exist (404, not 403).
    expect((await client.call('put', `/api/articles/${article.slug}`, carol).send({ article: { publishAt: later.toISOString() } })).status).toBe(404);
    expect((await client.call('put', `/api/articles/${article.slug}`, alice).send({ article: { publishAt: new Date(Date.now() - 1000).toISOString() } })).status).toBe(422);
    const moved = await client.call('put', `/api/articles/${article.slug}`, alice).send({ article: { publishAt: later.toISOString() } });
    expect(moved.status).toBe(200);
    expect(moved.body.article.publishAt).toBe(later.toISOString());
    await Promise.all([client.slugs('/api/articles'), tags()]);

    // The first event comes due and is completed without publishing anything.
    await waitFor('the original publication event to be processed', async () => {
      const events = await database.outbox(`queue = 'scheduled' AND completed_at IS NOT NULL AND (payload->>'articleId')::int = (SELECT id FROM articles WHERE slug = $1)`, [article.slug]);
      return events.length === 1;
    });
    expect(Date.now()).toBeLessThan(later.getTime());
    expect(await status(`/api/articles/${article.slug}`)).toBe(404);
    expect(await client.slugs('/api/articles')).not.toContain(article.slug);

    const { visibleAt } = await watchUntilPublished(article.slug, 10_000);
    expect(visibleAt).toBeGreaterThanOrEqual(later.getTime());
    expect(await client.slugs('/api/articles')).toContain(article.slug);
    expect(await tags()).toContain(tag);

    const again = await client.call('put', `/api/articles/${article.slug}`, alice).send({ article: { publishAt: inSeconds(60).toISOString() } });
    expect(again.status).toBe(422);
    expect(Object.keys(again.body.errors)).toEqual(['publishAt']);

    // One new-article mail to bob for it, not one per event.
    await smtp.waitForMail(bob.email, { subject: new RegExp(article.title) });
    await waitForQuiet(database, queues);
    await sleep(200);
    expect(smtp.to(bob.email).filter((m) => m.subject.includes(article.title))).toHaveLength(1);
  });

  it('refuses publishAt on an article published at creation', async () => {
    const article = await client.createArticle(alice, { title: `Already ${unique('a')}` });
    const response = await client.call('put', `/api/articles/${article.slug}`, alice).send({ article: { publishAt: inSeconds(60).toISOString() } });
    expect(response.status).toBe(422);
    expect(response.body).toEqual({ errors: { publishAt: [expect.stringMatching(/already published/)] } });
    expect(await status(`/api/articles/${article.slug}`)).toBe(200);
  });
});
