import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { Response, Test } from 'supertest';
import { deliveryFigures, DrillStack, startDrillStack } from '../helpers/drill-stack';
import { Sample, sendTimed } from '../helpers/load';
import { sampleValue } from '../helpers/prometheus';
import { Account, ArticleView, sleep, unique, waitFor } from '../helpers/worker';

/**
 * Three api processes and two workers on one PostgreSQL, one Redis (the response cache on) and one
 * SMTP server, as a deployment scaled out would run. A mixed load goes to all three apis: anonymous
 * reads (lists, article pages, tags, profiles, comments), signed-in writes (articles created and
 * updated, comments, favorites, registrations and follows, profile changes), image uploads and
 * articles scheduled a few seconds ahead. Every write is read back through each of the three apis
 * at once, and must show there: a replica serving what an invalidation should have retired is a
 * stale read. Mid-load one api and one worker are SIGKILLed, and started again a few seconds later
 * (the api on its own port).
 *
 * Must hold: no request fails (5xx or no answer) except those to the killed api while it is
 * gone; every outbox event completes; every mail the database says is owed arrives exactly once;
 * each scheduled article is published once (one new-article event, one mail per follower, one
 * entry in each follower's feed); and after the load every replica serves the database's state.
 *
 * The SMTP server holds its answers around the worker's kill, as in the worker-kill drill: a
 * kill in the instant between the server's 250 and the worker's "sent" mark is the one case the
 * mail path answers with a second send (see MailDeliveries), and a drill demanding no duplicate
 * must not leave it to chance.
 */

jest.setTimeout(180_000);

const APIS = 3;
const WORKERS = 2;
/** The replicas killed: the second api and the second worker. */
const KILLED = 1;
/** The load runs this long at least, and until AFTER_RESTART_MS after the killed api is back. */
const LOAD_MS = 24_000;
const AFTER_RESTART_MS = 6_000;
const KILL_AT_MS = 8_000;
const DOWN_MS = 3_000;

/** The parts of the answers that the read-backs look at. */
interface Answer {
  article?: ArticleView & { favorited: boolean; favoritesCount: number };
  articles: ArticleView[];
  articlesCount: number;
  comments: Array<{ id: number }>;
  profile?: { bio: string | null; following: boolean };
}

interface Writer {
  account: Account;
  /** Slugs of the writer's own articles that the api confirmed. */
  own: string[];
  favorited: Set<string>;
}

describe('Drill: three apis and two workers, one of each SIGKILLed under a mixed load', () => {
  let stack: DrillStack;
  const storageDir = mkdtempSync(path.join(tmpdir(), 'conduit-drill-media-'));
  let startSeconds = 0;

  beforeAll(async () => {
    const startedAt = Date.now();
    stack = await startDrillStack(
      {
        CACHE_ENABLED: 'true',
        STORAGE_DRIVER: 'local',
        STORAGE_LOCAL_DIR: storageDir,
        MEDIA_PUBLIC_URL: '/media',
        UPLOADS_PER_HOUR: '1000',
        UPLOADS_CONCURRENT_PER_USER: '5',
      },
      { apis: APIS, workers: WORKERS },
    );
    startSeconds = (Date.now() - startedAt) / 1000;
  });

  afterAll(async () => {
    await stack?.close();
    rmSync(storageDir, { recursive: true, force: true });
  });

  it('fails no request outside the killed api, loses and repeats no event, and serves no stale entry from any replica', async () => {
    const runStartedAt = Date.now();
    const clients = stack.clients;
    const image = await sharp({ create: { width: 48, height: 48, channels: 3, background: '#2266aa' } })
      .png()
      .toBuffer();

    // The scene, before the load: who follows an author is settled before the author publishes,
    // so that every new-article mail owed is known (see deliveryFigures).
    const writers: Writer[] = [];
    const schedulers: Array<{ account: Account; followers: Account[] }> = [];
    const celebrities = await Promise.all(Array.from({ length: 3 }, (_unused, index) => clients[index % APIS].register('celeb')));
    await Promise.all(
      Array.from({ length: APIS * 2 }, async (_unused, index) => {
        const client = clients[index % APIS];
        const account = await client.register('writer');
        await client.follow(await client.register('fan'), account);
        const first = await client.createArticle(account, { tagList: ['drill'] });
        writers[index] = { account, own: [first.slug], favorited: new Set() };
      }),
    );
    await Promise.all(
      Array.from({ length: APIS }, async (_unused, index) => {
        const client = clients[index];
        const account = await client.register('scheduler');
        const followers = await Promise.all([client.register('reader'), client.register('reader')]);
        for (const follower of followers) await client.follow(follower, account);
        schedulers[index] = { account, followers };
      }),
    );
    const published = writers.map((writer) => writer.own[0]);
    /** Slugs of the scheduled articles whose creation was answered. */
    const scheduled: string[] = [];
    const uploads: Array<{ id: string; owner: Account }> = [];

    // The load. Every request is a sample, with the api it went to.
    const samples: Sample[] = [];
    const unexpected: string[] = [];
    const stale: string[] = [];
    let checks = 0;
    let running = true;
    const loadStartedAt = Date.now();

    /** Scheduling requests that reached an api after their publish time (a busy machine) and were rightly refused. */
    let lateSchedules = 0;

    /** Sends a request of the load; the answer when it has the `expected` status. */
    const send = async (target: number, request: Test, method: string, route: string, expected: number, publishAt?: Date): Promise<Response | undefined> => {
      const { sample, response } = await sendTimed(request, method, route, target);
      samples.push(sample);
      if (sample.status === 0 || sample.status >= 500) {
        // A refused connection is answered at once: do not spin on a replica that is gone.
        await sleep(100);
        return undefined;
      }
      if (publishAt && sample.status === 422 && sample.endedAt >= publishAt.getTime() && sample.body.includes('publishAt')) {
        lateSchedules += 1;
        return undefined;
      }
      if (sample.status !== expected) {
        unexpected.push(`${method} ${route} on api ${target}: ${sample.status} ${sample.body}`);
        return undefined;
      }
      return response;
    };

    /** Reads `route` through every api at once; `fresh` says whether an answer shows the write. */
    const readBack = async (route: string, fresh: (body: Answer) => boolean, user?: Account): Promise<void> => {
      await Promise.all(
        clients.map(async (client, target) => {
          const response = await send(target, client.call('get', route, user), 'GET', route, 200);
          if (!response) return;
          checks += 1;
          if (!fresh(response.body as Answer)) stale.push(`api ${target} GET ${route}${user ? ` as ${user.username}` : ''}: ${response.text.slice(0, 300)}`);
        }),
      );
    };

    const pick = <T>(items: T[]): T => items[Math.floor(Math.random() * items.length)];

    const reader = async (target: number): Promise<void> => {
      const client = clients[target];
      for (let step = 0; running; step += 1) {
        const routes = [
          '/api/articles?limit=10',
          `/api/articles/${pick(published)}`,
          '/api/tags',
          `/api/profiles/${pick(writers).account.username}`,
          `/api/articles/${pick(published)}/comments`,
          '/api/articles?tag=drill&limit=5',
          `/api/articles?author=${pick(writers).account.username}`,
        ];
        const route = routes[step % routes.length];
        await send(target, client.call('get', route), 'GET', route, 200);
        await sleep(30);
      }
    };

    const writerLoop = async (target: number, writer: Writer): Promise<void> => {
      const client = clients[target];
      const me = writer.account;
      for (let step = 0; running; step += 1) {
        switch (step % 7) {
          case 0: {
            const title = `Replica ${unique('t')}`;
            const response = await send(
              target,
              client.call('post', '/api/articles', me).send({ article: { title, description: 'first', body: `The body of ${title}.`, tagList: ['drill'] } }),
              'POST',
              '/api/articles',
              201,
            );
            if (!response) break;
            const slug = (response.body.article as ArticleView).slug;
            writer.own.push(slug);
            published.push(slug);
            await readBack(`/api/articles/${slug}`, (body) => body.article?.title === title);
            await readBack(`/api/articles?author=${me.username}&limit=100`, (body) => body.articles.some((article) => article.slug === slug));
            break;
          }
          case 1: {
            const slug = pick(writer.own);
            const description = `Edited ${unique('d')}`;
            const response = await send(target, client.call('put', `/api/articles/${slug}`, me).send({ article: { description } }), 'PUT', '/api/articles/:slug', 200);
            if (!response) break;
            await readBack(`/api/articles/${slug}`, (body) => body.article?.description === description);
            await readBack(`/api/articles?author=${me.username}&limit=100`, (body) =>
              body.articles.some((article) => article.slug === slug && article.description === description),
            );
            break;
          }
          case 2: {
            const slug = pick(pick(writers.filter((other) => other !== writer)).own);
            const response = await send(
              target,
              client.call('post', `/api/articles/${slug}/comments`, me).send({ comment: { body: `Seen from api ${target}` } }),
              'POST',
              '/api/articles/:slug/comments',
              201,
            );
            if (!response) break;
            const id = response.body.comment.id as number;
            await readBack(`/api/articles/${slug}/comments`, (body) => body.comments.some((comment) => comment.id === id));
            break;
          }
          case 3: {
            const candidates = published.filter((slug) => !writer.own.includes(slug) && !writer.favorited.has(slug));
            if (candidates.length === 0) break;
            const slug = pick(candidates);
            const response = await send(target, client.call('post', `/api/articles/${slug}/favorite`, me), 'POST', '/api/articles/:slug/favorite', 200);
            if (!response) break;
            writer.favorited.add(slug);
            const count = response.body.article.favoritesCount as number;
            await readBack(`/api/articles/${slug}`, (body) => body.article?.favorited === true && body.article.favoritesCount >= count, me);
            // Favorites are only ever added here: no replica may show fewer than this answer did.
            await readBack(`/api/articles/${slug}`, (body) => (body.article?.favoritesCount ?? -1) >= count);
            break;
          }
          case 4: {
            // A newcomer (a welcome mail) follows a celebrity (a new-follower mail); celebrities never publish.
            const username = unique('newcomer');
            const registered = await send(
              target,
              client.call('post', '/api/users').send({ user: { username, email: `${username}@example.test`, password: `pw-${username}-secret` } }),
              'POST',
              '/api/users',
              201,
            );
            if (!registered) break;
            const newcomer = { username, email: `${username}@example.test`, password: '', token: registered.body.user.token as string, id: 0 };
            const celebrity = pick(celebrities);
            const followed = await send(target, client.call('post', `/api/profiles/${celebrity.username}/follow`, newcomer), 'POST', '/api/profiles/:username/follow', 200);
            if (!followed) break;
            await readBack(`/api/profiles/${celebrity.username}`, (body) => body.profile?.following === true, newcomer);
            break;
          }
          case 5: {
            const response = await send(
              target,
              client.call('post', '/api/uploads/images', me).field('purpose', 'cover').attach('file', image, { filename: 'cover.png', contentType: 'image/png' }),
              'POST',
              '/api/uploads/images',
              202,
            );
            if (response) uploads.push({ id: response.body.upload.id as string, owner: me });
            break;
          }
          case 6: {
            const bio = `Bio ${unique('b')}`;
            const response = await send(target, client.call('put', '/api/user', me).send({ user: { bio } }), 'PUT', '/api/user', 200);
            if (!response) break;
            await readBack(`/api/profiles/${me.username}`, (body) => body.profile?.bio === bio);
            break;
          }
        }
        await sleep(50);
      }
    };

    const schedulerLoop = async (target: number): Promise<void> => {
      const client = clients[target];
      const { account } = schedulers[target];
      while (running) {
        const title = `Scheduled ${unique('s')}`;
        const publishAt = new Date(Date.now() + 4_000 + Math.floor(Math.random() * 2_000));
        const response = await send(
          target,
          client
            .call('post', '/api/articles', account)
            .send({ article: { title, description: 'later', body: `The body of ${title}.`, tagList: ['drill'], publishAt: publishAt.toISOString() } }),
          'POST',
          '/api/articles',
          201,
          publishAt,
        );
        if (response) {
          const slug = (response.body.article as ArticleView).slug;
          scheduled.push(slug);
          // Its author sees it at once, through every replica.
          await readBack(`/api/articles/${slug}`, (body) => body.article?.slug === slug, account);
        }
        await sleep(1_200);
      }
    };

    const loops = [
      ...clients.map((_client, target) => reader(target)),
      ...writers.map((writer, index) => writerLoop(index % APIS, writer)),
      ...clients.map((_client, target) => schedulerLoop(target)),
    ];

    // Mid-load: one api and one worker SIGKILLed, both started again a few seconds later.
    await sleep(KILL_AT_MS);
    stack.smtp.setBehaviour({ kind: 'hold' });
    // Every mail answered before the hold has been marked as sent by now; and with a few mails
    // waiting for their answer, the worker about to die most likely has some of them in flight.
    await sleep(500);
    await waitFor('mails in flight', () => stack.smtp.held() >= 4, { timeoutMs: 3_000, intervalMs: 20 }).catch(() => undefined);
    const killedAt = Date.now();
    await Promise.all([stack.apis[KILLED].kill(), stack.workers[KILLED].kill()]);
    // The dead worker's SMTP connections are closed by the kernel at once; a second is ample for the
    // server to see it, so that none of its held messages is answered as delivered.
    await sleep(1_000);
    const inFlightMails = stack.smtp.heldAbandoned();
    stack.smtp.setBehaviour({ kind: 'accept' });
    stack.smtp.releaseHeld();
    await sleep(DOWN_MS);
    const restartedAt = Date.now();
    await Promise.all([stack.restartApi(KILLED), stack.restartWorker(KILLED)]);
    const backAt = Date.now();
    // The restarted replicas take their share of the load for a while too.
    await sleep(Math.max(0, loadStartedAt + LOAD_MS - Date.now(), AFTER_RESTART_MS));
    running = false;
    await Promise.all(loops);
    const loadEndedAt = Date.now();

    // Every article scheduled, as the database has them: a schedule whose answer the kill cut may
    // have been stored all the same, and must be published once like the others.
    const scheduledRows = (
      await stack.database.pool.query<{ id: number; slug: string; authorId: number; publishAt: Date }>(
        'SELECT id, slug, author_id AS "authorId", publish_at AS "publishAt" FROM articles WHERE publish_at IS NOT NULL',
      )
    ).rows;
    const followersOf = (authorId: number): Account[] => schedulers.find((scheduler) => scheduler.account.id === authorId)!.followers;

    // Everything due is done: every scheduled article's time has come and every event is completed.
    const lastDue = Math.max(...scheduledRows.map((article) => article.publishAt.getTime()));
    await sleep(Math.max(0, lastDue + 500 - Date.now()));
    await stack.quiet(60_000);
    await sleep(500);

    // After the load and the restart, every replica serves what the database holds.
    const finalChecksBefore = checks;
    const articles = (
      await stack.database.pool.query<{ slug: string; title: string; description: string; favorites: number }>(
        `SELECT slug, title, description, favorites_count AS favorites FROM articles WHERE published_at IS NOT NULL`,
      )
    ).rows;
    const commentIds = new Map<string, number[]>();
    for (const row of (
      await stack.database.pool.query<{ slug: string; ids: number[] }>(
        `SELECT a.slug, array_agg(c.id ORDER BY c.id) AS ids FROM comments c JOIN articles a ON a.id = c.article_id GROUP BY a.slug`,
      )
    ).rows) {
      commentIds.set(row.slug, row.ids);
    }
    const inBatches = async <T>(items: T[], each: (item: T) => Promise<void>): Promise<void> => {
      for (let start = 0; start < items.length; start += 8) await Promise.all(items.slice(start, start + 8).map(each));
    };
    await readBack('/api/articles?limit=1', (body) => body.articlesCount === articles.length);
    await inBatches(articles, async (article) => {
      await readBack(
        `/api/articles/${article.slug}`,
        (body) => body.article?.title === article.title && body.article.description === article.description && body.article.favoritesCount === article.favorites,
      );
      const ids = commentIds.get(article.slug) ?? [];
      await readBack(`/api/articles/${article.slug}/comments`, (body) =>
        sameMembers(
          body.comments.map((comment) => comment.id),
          ids,
        ),
      );
    });
    const bios = new Map((await stack.database.pool.query<{ username: string; bio: string | null }>('SELECT username, bio FROM users')).rows.map((row) => [row.username, row.bio]));
    await inBatches(writers, (writer) => readBack(`/api/profiles/${writer.account.username}`, (body) => body.profile?.bio === bios.get(writer.account.username)));
    // Each scheduled article once in each of its author's followers' feeds, through every replica.
    let feedEntries = 0;
    await inBatches(
      schedulers.flatMap(({ account, followers }) => followers.map((follower) => ({ account, follower }))),
      async ({ account, follower }) => {
        const mine = scheduledRows.filter((article) => article.authorId === account.id).map((article) => article.slug);
        await readBack(
          '/api/articles/feed?limit=100',
          (body) => {
            const slugs = body.articles.map((article) => article.slug);
            const once = mine.every((slug) => slugs.filter((seen) => seen === slug).length === 1);
            if (once) feedEntries += mine.length;
            return once;
          },
          follower,
        );
      },
    );
    const finalChecks = checks - finalChecksBefore;

    // Figures.
    const isKilledApisOwn = (sample: Sample): boolean => sample.target === KILLED && sample.endedAt >= killedAt && sample.startedAt < backAt;
    const failed = samples.filter((sample) => sample.status === 0 || sample.status >= 500);
    const failedOutside = failed.filter((sample) => !isKilledApisOwn(sample));
    const refusedOnKilled = failed.filter(isKilledApisOwn);
    const cutInFlight = refusedOnKilled.filter((sample) => sample.startedAt < killedAt).length;
    const afterRestart = samples.filter((sample) => sample.target === KILLED && sample.startedAt >= backAt && sample.status > 0 && sample.status < 500).length;
    const duringLoad = samples.filter((sample) => sample.startedAt < loadEndedAt);
    const perApi = clients.map((_client, target) => duringLoad.filter((sample) => sample.target === target).length);

    const events = (
      await stack.database.pool.query<{ queue: string; name: string; total: number; pending: number; redispatched: number }>(
        `SELECT queue, name, count(*)::int AS total, count(*) FILTER (WHERE completed_at IS NULL)::int AS pending,
                count(*) FILTER (WHERE dispatches > 1)::int AS redispatched
         FROM outbox_events GROUP BY queue, name ORDER BY queue, name`,
      )
    ).rows;
    const eventCount = (queue: string): number => events.filter((row) => row.queue === queue).reduce((sum, row) => sum + row.total, 0);
    const pendingEvents = events.reduce((sum, row) => sum + row.pending, 0);

    // Every search event ran as one job (its id is the event's) that completed; re-runs are the killed worker's jobs taken over.
    const searchEvents = await stack.database.outbox(`queue = 'search'`);
    let searchCompleted = 0;
    let searchRerun = 0;
    for (const event of searchEvents) {
      const job = await stack.queues.search.getJob(`event-${event.id}`);
      if (job && (await job.getState()) === 'completed') searchCompleted += 1;
      if (job && job.attemptsStarted > 1) searchRerun += 1;
    }

    // Scheduled articles: published, one new-article event each (the publication ran once), one mail per follower.
    const publishedOnce = (
      await stack.database.pool.query<{ count: number }>(
        `SELECT count(*)::int AS count FROM articles a
         WHERE a.publish_at IS NOT NULL AND a.published_at >= a.publish_at
           AND (SELECT count(*) FROM outbox_events e WHERE e.name = 'new-article' AND (e.payload->>'articleId')::int = a.id) = 1`,
      )
    ).rows[0].count;
    const scheduledMailKeys = scheduledRows.flatMap((row) => followersOf(row.authorId).map((follower) => stack.messageId(`article.${row.id}.${follower.id}`)));
    const scheduledMails = stack.smtp.accepted.filter((mail) => scheduledMailKeys.includes(mail.messageId)).length;

    const mail = await deliveryFigures(stack);

    let uploadsReady = 0;
    for (const upload of uploads) {
      const response = await clients[0].call('get', `/api/uploads/${upload.id}`, upload.owner);
      if (response.body.upload?.status === 'ready') uploadsReady += 1;
    }

    const cacheHits = await Promise.all(
      clients.map(async (client) => sampleValue((await client.call('get', '/metrics')).text, 'conduit_cache_lookups_total', { result: 'hit' }) ?? 0),
    );

    console.log(
      `DRILL many-replicas: ${APIS} apis, ${WORKERS} workers, load ${((loadEndedAt - loadStartedAt) / 1000).toFixed(1)} s, ` +
        `requests ${duringLoad.length} (per api ${perApi.join('/')}), failures outside the killed api ${failedOutside.length}, ` +
        `refused or cut on the killed api ${refusedOnKilled.length} (${cutInFlight} in flight at the kill), its outage ${((backAt - killedAt) / 1000).toFixed(1)} s ` +
        `(down ${((restartedAt - killedAt) / 1000).toFixed(1)} s, start ${((backAt - restartedAt) / 1000).toFixed(1)} s), answered by it after the restart ${afterRestart}, ` +
        `unexpected answers ${unexpected.length}, scheduling requests that arrived after their publish time ${lateSchedules}, ` +
        `read-backs ${checks} (${finalChecks} after the load), stale ${stale.length}, ` +
        `outbox events ${events.reduce((sum, row) => sum + row.total, 0)} (mail ${eventCount('mail')}, search ${eventCount('search')}, media ${eventCount('media')}, scheduled ${eventCount('scheduled')}), ` +
        `pending ${pendingEvents}, redispatched ${events.reduce((sum, row) => sum + row.redispatched, 0)}, search jobs completed ${searchCompleted}/${searchEvents.length} (re-run after the kill ${searchRerun}), ` +
        `mails ${mail.mails} (owed ${mail.expected}, cut in flight by the kill ${inFlightMails}), lost ${mail.lost.length}, duplicated ${mail.duplicates}, unexpected ${mail.unexpected.length}, ` +
        `scheduled published ${publishedOnce}/${scheduledRows.length} once (${scheduled.length} confirmed to their author; mails ${scheduledMails}, feed entries ${feedEntries}), ` +
        `uploads ready ${uploadsReady}/${uploads.length}, cache hits per api ${cacheHits.join('/')}, stack started in ${startSeconds.toFixed(1)} s, drill ${((Date.now() - runStartedAt) / 1000).toFixed(1)} s`,
    );

    expect(failedOutside.slice(0, 5)).toEqual([]);
    expect(unexpected.slice(0, 5)).toEqual([]);
    expect(refusedOnKilled.length).toBeGreaterThan(0);
    expect(afterRestart).toBeGreaterThan(0);
    expect(perApi.every((count) => count > 0)).toBe(true);
    expect(stale.slice(0, 5)).toEqual([]);
    expect(checks).toBeGreaterThan(0);
    expect(pendingEvents).toBe(0);
    expect(searchCompleted).toBe(searchEvents.length);
    expect({ lost: mail.lost.slice(0, 5), duplicated: mail.duplicated.slice(0, 5), unexpected: mail.unexpected.slice(0, 5) }).toEqual({ lost: [], duplicated: [], unexpected: [] });
    expect(scheduled.length).toBeGreaterThanOrEqual(APIS * 3);
    expect(scheduled.every((slug) => scheduledRows.some((row) => row.slug === slug))).toBe(true);
    expect(publishedOnce).toBe(scheduledRows.length);
    expect(scheduledMails).toBe(scheduledMailKeys.length);
    expect(feedEntries).toBe(scheduledRows.length * 2 * APIS);
    expect(uploads.length).toBeGreaterThan(0);
    expect(uploadsReady).toBe(uploads.length);
    // The cache took part on every replica, the restarted one included.
    expect(cacheHits.every((hits) => hits > 0)).toBe(true);
    for (const process of [...stack.apis.map((api) => api.child), ...stack.workers.map((worker) => worker.child)]) expect(process.exitCode).toBeNull();
  });
});

function sameMembers(actual: number[], expected: number[]): boolean {
  return actual.length === expected.length && [...actual].sort((a, b) => a - b).every((id, index) => id === expected[index]);
}
