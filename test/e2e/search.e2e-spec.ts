import type { NestExpressApplication } from '@nestjs/platform-express';
import { createTestApp, resetDatabase } from '../helpers/app';
import { api, auth, ArticleBody, createArticle, db, favorite, registerUser, TestUser, unique } from '../helpers/factories';
import { expectErrorShape } from '../helpers/openapi';
import { refreshSearchIndexes, searchEnginesUnderTest } from '../helpers/search';
import { OutboxService } from '@/infra/outbox/outbox.service';
import { PostgresSearchEngine } from '@/modules/search/engines/postgres-search.engine';
import { SEARCH_ENGINE } from '@/modules/search/search-engine';
import { SearchMaintenance } from '@/modules/search/search-maintenance.service';
import { SearchSync } from '@/modules/search/search-sync';

/**
 * The search API on real data, with each engine in turn: PostgreSQL full-text search always, and
 * Elasticsearch when ELASTICSEARCH_NODE names a server. Both must give the same answers, so one
 * suite runs against both; only typo tolerance is Elasticsearch's alone.
 */

interface SearchHit extends Omit<ArticleBody, 'body'> {
  score: number;
  highlights: { title?: string[]; description?: string[]; body?: string[]; tagList?: string[] };
}

const ENGINES = searchEnginesUnderTest('search suite');

describe.each(ENGINES)('Search API on the %s engine', (engine) => {
  let app: NestExpressApplication;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  const articles: Record<string, ArticleBody> = {};

  /**
   * What the worker does, done here: the search outbox events written by the changes so far are
   * applied to the engine (nothing to apply on PostgreSQL, where the database is the index).
   */
  async function syncSearch(): Promise<void> {
    if (engine === 'postgres') return;
    // Article events only: the PostgreSQL half's search:reindex leaves a resync-features event behind.
    const events = await db(app).outboxEvent.findMany({ where: { queue: 'search', completedAt: null, name: { in: ['index-article', 'delete-article'] } } });
    const requests = new Map<number, bigint>();
    for (const event of events) {
      const payload = event.payload as { articleId: number; version: number };
      const version = BigInt(payload.version);
      requests.set(payload.articleId, (requests.get(payload.articleId) ?? 0n) > version ? requests.get(payload.articleId)! : version);
    }
    const outcomes = await app.get(SearchSync).apply(requests);
    expect(outcomes.filter((outcome) => outcome.result === 'failed')).toEqual([]);
    for (const event of events) await app.get(OutboxService).complete(event.id.toString());
    await refreshSearchIndexes(app);
  }

  async function search(query: Record<string, string | number>, token?: string): Promise<{ articles: SearchHit[]; articlesCount: number }> {
    const request = api(app).get('/api/search/articles').query(query);
    if (token) request.set('Authorization', auth(token));
    const response = await request;
    expect({ status: response.status, body: response.status === 200 ? 'ok' : response.body }).toEqual({ status: 200, body: 'ok' });
    return response.body;
  }

  const titles = (result: { articles: SearchHit[] }): string[] => result.articles.map((article) => article.title);

  beforeAll(async () => {
    app = await createTestApp((builder) =>
      engine === 'postgres' ? builder.overrideProvider(SEARCH_ENGINE).useFactory({ factory: (postgres: PostgresSearchEngine) => postgres, inject: [PostgresSearchEngine] }) : builder,
    );
    await resetDatabase(app);
    [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((name) => registerUser(app, { username: unique(name) })));
    articles.training = await createArticle(app, alice, {
      title: 'Training dragons at home',
      description: 'A guide for beginners',
      body: 'Dragons need patience. Feed your dragon every morning.',
      tagList: ['dragons', 'pets'],
    });
    articles.cooking = await createArticle(app, bob, {
      title: 'Cooking with fire',
      description: 'Recipes for the brave',
      body: 'A dragon once visited my kitchen and burned the bread.',
      tagList: ['cooking'],
    });
    articles.gardening = await createArticle(app, carol, {
      title: 'Gardening basics',
      description: 'Grow vegetables',
      body: 'Tomatoes and potatoes grow well in spring.',
      tagList: ['garden'],
    });
    articles.anatomy = await createArticle(app, alice, {
      title: 'Dragon anatomy',
      description: 'Wings, scales and the fire glands of the dragon',
      body: 'Dragons breathe fire through their glands.',
      tagList: ['dragons', 'science'],
    });
    articles.safety = await createArticle(app, bob, {
      title: 'Fire safety at home',
      description: 'Keep your family safe',
      body: 'Smoke detectors save lives. <script>alert(1)</script> Check them every month.',
      tagList: ['safety'],
    });
    for (let index = 1; index <= 25; index += 1) {
      await createArticle(app, carol, { title: `Pagination sample ${index}`, description: 'Filler', body: `Sample text number ${index}.`, tagList: ['paging'] });
    }
    await favorite(app, bob, articles.training.slug);
    await favorite(app, bob, articles.safety.slug);
    await favorite(app, carol, articles.safety.slug);
    // An article published a month ago: outside a 7-day trend, inside a 60-day one.
    await db(app).$executeRaw`UPDATE articles SET published_at = now() - interval '30 days' WHERE slug = ${articles.gardening.slug}`;
    // A scheduled article is not searchable until it is published.
    await api(app)
      .post('/api/articles')
      .set('Authorization', auth(alice.token))
      .send({ article: { title: 'Future dragon news', description: 'Soon', body: 'dragon', publishAt: new Date(Date.now() + 86_400_000).toISOString() } })
      .expect(201);
    if (engine !== 'postgres') await app.get(SearchMaintenance).reindex();
    await syncSearch();
  }, 120_000);

  afterAll(async () => {
    await app?.close();
  });

  describe('relevance and matching', () => {
    it('ranks title matches above a body-only match, and stems ("dragons" finds "dragon")', async () => {
      for (const q of ['dragon', 'dragons']) {
        const result = await search({ q });
        expect(result.articlesCount).toBe(3);
        expect(titles(result).slice(0, 2).sort()).toEqual(['Dragon anatomy', 'Training dragons at home']);
        expect(titles(result)[2]).toBe('Cooking with fire');
        const scores = result.articles.map((article) => article.score);
        expect(scores).toEqual([...scores].sort((a, b) => b - a));
        expect(scores[1]).toBeGreaterThan(scores[2]);
      }
    });

    it('ranks the article with the most and best-placed matches first', async () => {
      // Title, description and body of "anatomy" say fire; "cooking" has it in its title only; "safety" in its title.
      const result = await search({ q: 'fire glands' });
      expect(titles(result)).toEqual(['Dragon anatomy']);
      const fire = await search({ q: 'fire' });
      expect(titles(fire).sort()).toEqual(['Cooking with fire', 'Dragon anatomy', 'Fire safety at home']);
    });

    it('requires every word, finds quoted phrases, honours -exclusions and `or`', async () => {
      expect(titles(await search({ q: 'dragon kitchen' }))).toEqual(['Cooking with fire']);
      expect(titles(await search({ q: '"dragon anatomy"' }))).toEqual(['Dragon anatomy']);
      expect(titles(await search({ q: '"anatomy glands"' }))).toEqual([]);
      expect(titles(await search({ q: 'dragon -cooking' })).sort()).toEqual(['Dragon anatomy', 'Training dragons at home']);
      expect(titles(await search({ q: 'gardening or cooking' })).sort()).toEqual(['Cooking with fire', 'Gardening basics']);
    });

    it('finds words in tags, and ignores stop words among other words', async () => {
      expect(titles(await search({ q: 'pets' }))).toEqual(['Training dragons at home']);
      expect(titles(await search({ q: 'the science of' }))).toEqual(['Dragon anatomy']);
    });

    it('leaves out articles that are not published yet, even for their author', async () => {
      const result = await search({ q: 'future news' }, alice.token);
      expect(result).toEqual({ articles: [], articlesCount: 0 });
    });

    if (engine !== 'postgres') {
      it('forgives typos', async () => {
        expect(titles(await search({ q: 'dargon anatomy' }))).toEqual(['Dragon anatomy']);
      });
    }
  });

  describe('filters', () => {
    it('filters by exact tag', async () => {
      const result = await search({ q: 'dragon', tag: 'dragons' });
      expect(titles(result).sort()).toEqual(['Dragon anatomy', 'Training dragons at home']);
      expect(result.articlesCount).toBe(2);
      expect(await search({ q: 'dragon', tag: 'dragon' })).toEqual({ articles: [], articlesCount: 0 });
    });

    it('filters by author', async () => {
      expect(titles(await search({ q: 'dragon', author: bob.username }))).toEqual(['Cooking with fire']);
      expect(titles(await search({ q: 'dragon', author: alice.username, tag: 'science' }))).toEqual(['Dragon anatomy']);
      expect(await search({ q: 'dragon', author: 'nobody-at-all' })).toEqual({ articles: [], articlesCount: 0 });
    });
  });

  describe('results', () => {
    it('are list items (no body) with the author profile, a score and the caller’s flags', async () => {
      const anonymous = await search({ q: 'training' });
      expect(anonymous.articles).toHaveLength(1);
      const [hit] = anonymous.articles;
      expect(hit).toEqual({
        slug: articles.training.slug,
        title: 'Training dragons at home',
        description: 'A guide for beginners',
        tagList: ['dragons', 'pets'],
        createdAt: articles.training.createdAt,
        updatedAt: expect.any(String),
        favorited: false,
        favoritesCount: 1,
        author: { username: alice.username, bio: null, image: null, following: false },
        score: expect.any(Number),
        highlights: { title: ['<em>Training</em> dragons at home'] },
      });
      const asBob = await search({ q: 'training' }, bob.token);
      expect(asBob.articles[0].favorited).toBe(true);
    });

    it('highlight the matched words in each field that matched, HTML-escaped', async () => {
      const [anatomy] = (await search({ q: '"dragon anatomy"' })).articles;
      expect(anatomy.highlights.title).toEqual(['<em>Dragon</em> <em>anatomy</em>']);
      const [training] = (await search({ q: 'dragons', tag: 'pets' })).articles;
      expect(training.highlights.tagList).toEqual(['<em>dragons</em>']);
      expect(training.highlights.body?.join(' ')).toContain('<em>Dragons</em> need patience');
      expect(training.highlights.body?.join(' ')).toContain('your <em>dragon</em>');
      expect(training.highlights.description).toBeUndefined();

      const [safety] = (await search({ q: 'smoke' })).articles;
      const body = safety.highlights.body!.join(' ');
      expect(body).toContain('<em>Smoke</em> detectors');
      // Markup in the text never comes back as markup (escaped, or left out by PostgreSQL's headline).
      expect(body).toContain('alert(1)');
      expect(body).not.toMatch(/<(?!\/?em>)/);
    });

    it('paginate with limit and offset over a stable order, with the total on every page', async () => {
      const pages = [];
      for (const offset of [0, 10, 20]) pages.push(await search({ q: 'sample', limit: 10, offset }));
      expect(pages.map((page) => page.articles.length)).toEqual([10, 10, 5]);
      expect(pages.map((page) => page.articlesCount)).toEqual([25, 25, 25]);
      const slugs = pages.flatMap((page) => page.articles.map((article) => article.slug));
      expect(new Set(slugs).size).toBe(25);
      expect(await search({ q: 'sample', limit: 10, offset: 30 })).toEqual({ articles: [], articlesCount: 25 });
      const again = await search({ q: 'sample', limit: 10, offset: 10 });
      expect(again.articles.map((article) => article.slug)).toEqual(pages[1].articles.map((article) => article.slug));
      expect((await search({ q: 'sample' })).articles).toHaveLength(20);
    });
  });

  describe('trending tags', () => {
    it('ranks the tags of the period by new articles, then favorites, then name', async () => {
      const response = await api(app).get('/api/search/tags/trending').expect(200);
      expect(response.body).toEqual({
        days: 7,
        tags: [
          { tag: 'paging', articlesCount: 25, favoritesCount: 0 },
          { tag: 'dragons', articlesCount: 2, favoritesCount: 1 },
          { tag: 'safety', articlesCount: 1, favoritesCount: 2 },
          { tag: 'pets', articlesCount: 1, favoritesCount: 1 },
          { tag: 'cooking', articlesCount: 1, favoritesCount: 0 },
          { tag: 'science', articlesCount: 1, favoritesCount: 0 },
        ],
      });
    });

    it('takes the period and a limit', async () => {
      const month = await api(app).get('/api/search/tags/trending').query({ days: 60 }).expect(200);
      expect(month.body.tags.map((tag: { tag: string }) => tag.tag)).toEqual(['paging', 'dragons', 'safety', 'pets', 'cooking', 'garden', 'science']);
      const top = await api(app).get('/api/search/tags/trending').query({ days: 7, limit: 2 }).expect(200);
      expect(top.body.tags.map((tag: { tag: string }) => tag.tag)).toEqual(['paging', 'dragons']);
    });
  });

  describe('bad input', () => {
    it.each([
      ['no q', {}, 'q'],
      ['an empty q', { q: '' }, 'q'],
      ['a blank q', { q: '   ' }, 'q'],
      ['punctuation only', { q: '!!! ???' }, 'q'],
      ['stop words only', { q: 'the and of' }, 'q'],
      ['a q too long', { q: 'a'.repeat(201) }, 'q'],
      ['too many words', { q: Array.from({ length: 40 }, (_, index) => `word${index}`).join(' ') }, 'q'],
      ['a repeated q', { q: ['dragon', 'fire'] }, 'q'],
      ['a zero limit', { q: 'dragon', limit: 0 }, 'limit'],
      ['a negative offset', { q: 'dragon', offset: -1 }, 'offset'],
      ['an absurd offset', { q: 'dragon', offset: 1_000_000 }, 'offset'],
      ['a tag too long', { q: 'dragon', tag: 't'.repeat(41) }, 'tag'],
    ])('%s gives 422 keyed by the parameter', async (_case, query, key) => {
      const response = await api(app).get('/api/search/articles').query(query);
      expectErrorShape(response, 422);
      expect(Object.keys(response.body.errors)).toEqual([key]);
    });

    it.each([
      [{ days: 0 }, 'days'],
      [{ days: 366 }, 'days'],
      [{ days: 'week' }, 'days'],
      [{ limit: 51 }, 'limit'],
    ])('trending with %j gives 422', async (query, key) => {
      const response = await api(app).get('/api/search/tags/trending').query(query);
      expectErrorShape(response, 422);
      expect(Object.keys(response.body.errors)).toEqual([key]);
    });
  });

  describe('staying in step with the articles', () => {
    it('follows new content, a new title, new tags, a deletion and an author’s new username', async () => {
      const update = (slug: string, article: object, token = alice.token) =>
        api(app).put(`/api/articles/${slug}`).set('Authorization', auth(token)).send({ article }).expect(200);

      const renamed = await update(articles.training.slug, { title: 'Taming wyverns at home', body: 'Wyverns are small cousins of the dragon.' });
      await update(articles.anatomy.slug, { tagList: ['biology'] });
      await api(app).delete(`/api/articles/${articles.cooking.slug}`).set('Authorization', auth(bob.token)).expect(204);
      const newName = unique('alicia');
      await api(app).put('/api/user').set('Authorization', auth(alice.token)).send({ user: { username: newName } }).expect(200);
      await syncSearch();

      expect(titles(await search({ q: 'wyverns' }))).toEqual(['Taming wyverns at home']);
      expect(await search({ q: 'training' })).toEqual({ articles: [], articlesCount: 0 });
      expect(titles(await search({ q: 'dragon' })).sort()).toEqual(['Dragon anatomy', 'Taming wyverns at home']);
      expect(titles(await search({ q: 'biology' }))).toEqual(['Dragon anatomy']);
      expect(titles(await search({ q: 'dragon', tag: 'dragons' }))).toEqual(['Taming wyverns at home']);
      expect(titles(await search({ q: 'kitchen' }))).toEqual([]);
      const byNewName = await search({ q: 'dragon', author: newName });
      expect(titles(byNewName).sort()).toEqual(['Dragon anatomy', 'Taming wyverns at home']);
      expect(byNewName.articles[0].author.username).toBe(newName);
      expect(await search({ q: 'dragon', author: alice.username })).toEqual({ articles: [], articlesCount: 0 });
      expect(renamed.body.article.slug).not.toBe(articles.training.slug);

      const report = await app.get(SearchMaintenance).check();
      expect(report).toMatchObject({ engine, databaseCount: 29, indexCount: 29, missing: 0, stale: 0, extra: 0, tagsTextDrift: 0, repaired: 0, inSync: true });
    });

    it('check finds drift and repairs it', async () => {
      // Drift PostgreSQL's own index can have: tags text changed behind the trigger's back.
      await db(app).$executeRaw`ALTER TABLE article_tags DISABLE TRIGGER article_tags_inserted_refresh_tags_text`;
      try {
        const tag = await db(app).tag.create({ data: { name: 'sneaky' } });
        const safety = await db(app).article.findUniqueOrThrow({ where: { slug: articles.safety.slug } });
        await db(app).articleTag.create({ data: { articleId: safety.id, tagId: tag.id } });
      } finally {
        await db(app).$executeRaw`ALTER TABLE article_tags ENABLE TRIGGER article_tags_inserted_refresh_tags_text`;
      }
      const report = await app.get(SearchMaintenance).check();
      expect(report).toMatchObject({ tagsTextDrift: 1, inSync: true });
      await syncSearch();
      expect(titles(await search({ q: 'sneaky' }))).toEqual(['Fire safety at home']);
      expect(await app.get(SearchMaintenance).check()).toMatchObject({ tagsTextDrift: 0, missing: 0, stale: 0, extra: 0, inSync: true });
    });

    it('reindex rebuilds the index and reports no drift afterwards', async () => {
      const report = await app.get(SearchMaintenance).reindex();
      expect(report).toMatchObject({ engine, documents: 29, catchUp: { missing: 0, stale: 0, extra: 0, inSync: true } });
      expect(titles(await search({ q: 'wyverns' }))).toEqual(['Taming wyverns at home']);
    });
  });
});
