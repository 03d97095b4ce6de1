import type { NestExpressApplication } from '@nestjs/platform-express';
import { createTestApp, resetDatabase } from '../helpers/app';
import { api, ArticleBody, auth, createArticle, db, favorite, follow, registerUser, TestUser, unique } from '../helpers/factories';
import { expectMatchesSpec } from '../helpers/openapi';
import { expiredToken, jwtSecret } from '../helpers/tokens';

/**
 * Listing, filtering and paging of `GET /api/articles` and `GET /api/articles/feed`, over a data
 * set of 120 articles by four authors, created one after the other so that "most recent first"
 * is the reverse of the creation order.
 */
describe('Article lists, feed and pagination', () => {
  let app: NestExpressApplication;
  let alice: TestUser; // 60 articles, tags alpha + even/odd; followed by viewer
  let bob: TestUser; // 45 articles, tag beta; followed by viewer
  let carol: TestUser; // 10 articles, tag gamma; not followed
  let viewer: TestUser; // 5 articles of their own; follows alice and bob
  /** Every article in creation order (oldest first). */
  const all: Array<ArticleBody & { authorName: string }> = [];
  const favoritedByViewer = new Set<string>();

  const slugs = (articles: Array<{ slug: string }>): string[] => articles.map((article) => article.slug);
  const newestFirst = (filter: (article: (typeof all)[number]) => boolean = () => true): string[] =>
    slugs(all.filter(filter)).reverse();

  beforeAll(async () => {
    app = await createTestApp();
    await resetDatabase(app);
    [alice, bob, carol, viewer] = [
      await registerUser(app, { username: unique('alice') }),
      await registerUser(app, { username: unique('bob') }),
      await registerUser(app, { username: unique('carol') }),
      await registerUser(app, { username: unique('viewer') }),
    ];
    for (let index = 0; index < 60; index += 1) {
      const round: Array<[TestUser, string[]]> = [[alice, ['alpha', index % 2 === 0 ? 'even' : 'odd']]];
      if (index < 45) round.push([bob, ['beta']]);
      if (index < 10) round.push([carol, ['gamma']]);
      if (index < 5) round.push([viewer, []]);
      for (const [author, tagList] of round) {
        all.push({ ...(await createArticle(app, author, { tagList })), authorName: author.username });
      }
    }
    await follow(app, viewer, alice.username);
    await follow(app, viewer, bob.username);
    for (const [index, article] of all.entries()) {
      if (index % 7 === 0 && article.authorName !== viewer.username) {
        await favorite(app, viewer, article.slug);
        favoritedByViewer.add(article.slug);
      }
    }
    // Some 140 writes: seconds on a quiet machine, more on a loaded one.
  }, 120_000);

  afterAll(async () => {
    await app.close();
  });

  describe('GET /api/articles', () => {
    it('answers the 20 most recent articles by default, with the total count', async () => {
      const response = await api(app).get('/api/articles');

      expect(response.status).toBe(200);
      expectMatchesSpec(response, 'GET', '/articles');
      expect(response.body.articlesCount).toBe(120);
      expect(slugs(response.body.articles)).toEqual(newestFirst().slice(0, 20));
    });

    it('leaves the body out of list items and sorts each tagList', async () => {
      const response = await api(app).get('/api/articles').query({ author: alice.username, limit: 4 });

      expect(response.status).toBe(200);
      expectMatchesSpec(response, 'GET', '/articles');
      for (const item of response.body.articles) {
        expect(item).not.toHaveProperty('body');
        expect(item.tagList).toEqual([...item.tagList].sort());
        expect(item.tagList).toContain('alpha');
      }
    });

    it('pages with limit and offset: consecutive pages neither overlap nor skip', async () => {
      const pages: string[] = [];
      for (const offset of [0, 25, 50, 75, 100]) {
        const response = await api(app).get('/api/articles').query({ limit: 25, offset });
        expect(response.status).toBe(200);
        expectMatchesSpec(response, 'GET', '/articles');
        expect(response.body.articlesCount).toBe(120);
        pages.push(...slugs(response.body.articles));
      }
      expect(pages).toEqual(newestFirst());
    });

    it('answers an empty page, with the total count, past the end', async () => {
      const response = await api(app).get('/api/articles').query({ offset: 500 });

      expect(response.status).toBe(200);
      expectMatchesSpec(response, 'GET', '/articles');
      expect(response.body).toEqual({ articles: [], articlesCount: 120 });
    });

    it.each([[100], [101], [1000], [2_147_483_647]])('caps limit=%d at 100 instead of refusing it', async (limit) => {
      const response = await api(app).get('/api/articles').query({ limit });

      expect(response.status).toBe(200);
      expectMatchesSpec(response, 'GET', '/articles');
      expect(response.body.articles).toHaveLength(100);
      expect(slugs(response.body.articles)).toEqual(newestFirst().slice(0, 100));
      expect(response.body.articlesCount).toBe(120);
    });

    it('filters by author, with articlesCount the number of matches', async () => {
      const response = await api(app).get('/api/articles').query({ author: carol.username });

      expect(response.status).toBe(200);
      expectMatchesSpec(response, 'GET', '/articles');
      expect(response.body.articlesCount).toBe(10);
      expect(slugs(response.body.articles)).toEqual(newestFirst((article) => article.authorName === carol.username));
      for (const item of response.body.articles) expect(item.author.username).toBe(carol.username);
    });

    it('filters by tag', async () => {
      const response = await api(app).get('/api/articles').query({ tag: 'beta', limit: 100 });

      expect(response.status).toBe(200);
      expectMatchesSpec(response, 'GET', '/articles');
      expect(response.body.articlesCount).toBe(45);
      expect(slugs(response.body.articles)).toEqual(newestFirst((article) => article.tagList.includes('beta')));
    });

    it('filters by the user who favorited', async () => {
      const response = await api(app).get('/api/articles').query({ favorited: viewer.username, limit: 100 });

      expect(response.status).toBe(200);
      expectMatchesSpec(response, 'GET', '/articles');
      expect(response.body.articlesCount).toBe(favoritedByViewer.size);
      expect(slugs(response.body.articles)).toEqual(newestFirst((article) => favoritedByViewer.has(article.slug)));
    });

    it('combines filters, and counts only the articles matching all of them', async () => {
      const response = await api(app).get('/api/articles').query({ author: alice.username, tag: 'even', limit: 10, offset: 5 });

      expect(response.status).toBe(200);
      expectMatchesSpec(response, 'GET', '/articles');
      const expected = newestFirst((article) => article.authorName === alice.username && article.tagList.includes('even'));
      expect(response.body.articlesCount).toBe(30);
      expect(slugs(response.body.articles)).toEqual(expected.slice(5, 15));

      const favoritedAndTagged = await api(app).get('/api/articles').query({ favorited: viewer.username, tag: 'beta', limit: 100 });
      expect(favoritedAndTagged.status).toBe(200);
      expectMatchesSpec(favoritedAndTagged, 'GET', '/articles');
      const expectedFavorited = newestFirst((article) => favoritedByViewer.has(article.slug) && article.tagList.includes('beta'));
      expect(expectedFavorited.length).toBeGreaterThan(0);
      expect(favoritedAndTagged.body.articlesCount).toBe(expectedFavorited.length);
      expect(slugs(favoritedAndTagged.body.articles)).toEqual(expectedFavorited);
    });

    it.each([
      ['an unknown author', () => ({ author: 'nobody-at-all' })],
      ['an unknown tag', () => ({ tag: 'no-such-tag' })],
      ['an unknown favoriting user', () => ({ favorited: 'nobody-at-all' })],
      ['a user who favorited nothing', () => ({ favorited: carol.username })],
      ['filters that exclude each other', () => ({ author: carol.username, tag: 'beta' })],
    ])('answers an empty list for %s', async (_case, query) => {
      const response = await api(app).get('/api/articles').query(query());

      expect(response.status).toBe(200);
      expectMatchesSpec(response, 'GET', '/articles');
      expect(response.body).toEqual({ articles: [], articlesCount: 0 });
    });

    it('shows favorited and author.following as seen by the caller, and false to anonymous callers', async () => {
      const asViewer = await api(app).get('/api/articles').query({ limit: 100 }).set('Authorization', auth(viewer.token));
      expect(asViewer.status).toBe(200);
      expectMatchesSpec(asViewer, 'GET', '/articles');
      for (const item of asViewer.body.articles) {
        expect(item.favorited).toBe(favoritedByViewer.has(item.slug));
        expect(item.author.following).toBe([alice.username, bob.username].includes(item.author.username));
      }
      expect(asViewer.body.articles.some((item: ArticleBody) => item.favorited)).toBe(true);

      const anonymous = await api(app).get('/api/articles').query({ limit: 100 });
      expect(anonymous.status).toBe(200);
      for (const item of anonymous.body.articles) {
        expect(item.favorited).toBe(false);
        expect(item.author.following).toBe(false);
      }
    });

    it('shows favoritesCount on list items', async () => {
      const favoritedSlug = [...favoritedByViewer][0];
      const response = await api(app).get('/api/articles').query({ favorited: viewer.username, limit: 100 });
      const item = (response.body.articles as ArticleBody[]).find((article) => article.slug === favoritedSlug);
      expect(item?.favoritesCount).toBe(1);
    });

    it('answers 401 for a bad or expired token even though auth is optional', async () => {
      const invalid = await api(app).get('/api/articles').set('Authorization', 'Token not-a-jwt');
      expect(invalid.status).toBe(401);
      expectMatchesSpec(invalid, 'GET', '/articles');
      expect(invalid.body).toEqual({ errors: { token: ['is invalid'] } });

      const expired = await api(app).get('/api/articles').set('Authorization', auth(expiredToken(viewer.id, jwtSecret(app))));
      expect(expired.status).toBe(401);
      expectMatchesSpec(expired, 'GET', '/articles');
      expect(expired.body).toEqual({ errors: { token: ['is invalid'] } });
    });

    it.each([
      ['limit=0', 'limit=0', 'limit'],
      ['limit=-1', 'limit=-1', 'limit'],
      ['limit=abc', 'limit=abc', 'limit'],
      ['limit=2.5', 'limit=2.5', 'limit'],
      ['an empty limit', 'limit=', 'limit'],
      ['offset=-1', 'offset=-1', 'offset'],
      ['offset=1.5', 'offset=1.5', 'offset'],
      ['offset=ten', 'offset=ten', 'offset'],
      ['a repeated tag', 'tag=a&tag=b', 'tag'],
      ['a repeated limit', 'limit=1&limit=2', 'limit'],
    ])('answers 422 keyed by the parameter for %s', async (_case, query, key) => {
      const response = await api(app).get(`/api/articles?${query}`);

      expect(response.status).toBe(422);
      expectMatchesSpec(response, 'GET', '/articles');
      expect(Object.keys(response.body.errors)).toEqual([key]);
    });

    it('answers 422 naming both parameters when limit and offset are both invalid', async () => {
      const response = await api(app).get('/api/articles?limit=0&offset=-1');

      expect(response.status).toBe(422);
      expectMatchesSpec(response, 'GET', '/articles');
      expect(response.body).toEqual({
        errors: { limit: ['must be greater than or equal to 1'], offset: ['must be greater than or equal to 0'] },
      });
    });
  });

  describe('GET /api/articles/feed', () => {
    const followedNewestFirst = (): string[] =>
      newestFirst((article) => article.authorName === alice.username || article.authorName === bob.username);

    it('answers the 20 most recent articles of followed authors only, with their total count', async () => {
      const response = await api(app).get('/api/articles/feed').set('Authorization', auth(viewer.token));

      expect(response.status).toBe(200);
      expectMatchesSpec(response, 'GET', '/articles/feed');
      expect(response.body.articlesCount).toBe(105);
      expect(slugs(response.body.articles)).toEqual(followedNewestFirst().slice(0, 20));
      for (const item of response.body.articles) {
        expect([alice.username, bob.username]).toContain(item.author.username);
        expect(item.author.following).toBe(true);
        expect(item.favorited).toBe(favoritedByViewer.has(item.slug));
        expect(item).not.toHaveProperty('body');
      }
    });

    it('pages with limit and offset, and caps a large limit at 100', async () => {
      const first = await api(app).get('/api/articles/feed').query({ limit: 1000 }).set('Authorization', auth(viewer.token));
      expect(first.status).toBe(200);
      expectMatchesSpec(first, 'GET', '/articles/feed');
      expect(first.body.articles).toHaveLength(100);

      const rest = await api(app).get('/api/articles/feed').query({ limit: 100, offset: 100 }).set('Authorization', auth(viewer.token));
      expect(rest.status).toBe(200);
      expectMatchesSpec(rest, 'GET', '/articles/feed');
      expect(rest.body.articlesCount).toBe(105);
      expect([...slugs(first.body.articles), ...slugs(rest.body.articles)]).toEqual(followedNewestFirst());
    });

    it('leaves out the caller\'s own articles, even with a follow of oneself in the database', async () => {
      // The API refuses to follow oneself; the row is written directly to prove the feed itself excludes own articles.
      await db(app).follow.create({ data: { followerId: viewer.id, followedId: viewer.id } });
      try {
        const response = await api(app).get('/api/articles/feed').query({ limit: 100, offset: 0 }).set('Authorization', auth(viewer.token));
        expect(response.status).toBe(200);
        expectMatchesSpec(response, 'GET', '/articles/feed');
        expect(response.body.articlesCount).toBe(105);
        for (const item of response.body.articles) expect(item.author.username).not.toBe(viewer.username);
      } finally {
        await db(app).follow.delete({ where: { followerId_followedId: { followerId: viewer.id, followedId: viewer.id } } });
      }
    });

    it('is empty for a user who follows nobody', async () => {
      const loner = await registerUser(app);
      const response = await api(app).get('/api/articles/feed').set('Authorization', auth(loner.token));

      expect(response.status).toBe(200);
      expectMatchesSpec(response, 'GET', '/articles/feed');
      expect(response.body).toEqual({ articles: [], articlesCount: 0 });
    });

    it('follows the follows: a new follow adds an author\'s articles, an unfollow removes them', async () => {
      const reader = await registerUser(app);
      await follow(app, reader, carol.username);
      const withCarol = await api(app).get('/api/articles/feed').set('Authorization', auth(reader.token));
      expect(withCarol.status).toBe(200);
      expectMatchesSpec(withCarol, 'GET', '/articles/feed');
      expect(withCarol.body.articlesCount).toBe(10);
      expect(slugs(withCarol.body.articles)).toEqual(newestFirst((article) => article.authorName === carol.username));

      await api(app).delete(`/api/profiles/${carol.username}/follow`).set('Authorization', auth(reader.token)).expect(200);
      const without = await api(app).get('/api/articles/feed').set('Authorization', auth(reader.token));
      expect(without.status).toBe(200);
      expect(without.body).toEqual({ articles: [], articlesCount: 0 });
    });

    it('answers 401 without a token, and with a bad one', async () => {
      const missing = await api(app).get('/api/articles/feed');
      expect(missing.status).toBe(401);
      expectMatchesSpec(missing, 'GET', '/articles/feed');
      expect(missing.body).toEqual({ errors: { token: ['is missing'] } });

      const invalid = await api(app).get('/api/articles/feed').set('Authorization', 'Token abc.def.ghi');
      expect(invalid.status).toBe(401);
      expectMatchesSpec(invalid, 'GET', '/articles/feed');
      expect(invalid.body).toEqual({ errors: { token: ['is invalid'] } });
    });

    it.each([
      ['limit=0', 'limit=0', 'limit'],
      ['limit=-5', 'limit=-5', 'limit'],
      ['limit=x', 'limit=x', 'limit'],
      ['limit=1.5', 'limit=1.5', 'limit'],
      ['offset=-1', 'offset=-1', 'offset'],
      ['offset=0.5', 'offset=0.5', 'offset'],
    ])('answers 422 keyed by the parameter for %s', async (_case, query, key) => {
      const response = await api(app).get(`/api/articles/feed?${query}`).set('Authorization', auth(viewer.token));

      expect(response.status).toBe(422);
      expectMatchesSpec(response, 'GET', '/articles/feed');
      expect(Object.keys(response.body.errors)).toEqual([key]);
    });
  });
});
