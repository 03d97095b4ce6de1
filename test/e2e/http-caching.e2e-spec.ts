import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { createTestApp, resetDatabase } from '../helpers/app';
import { addComment, api, ArticleBody, auth, createArticle, favorite, follow, registerUser, TestUser, unique } from '../helpers/factories';

/**
 * HTTP caching of the five cached routes: a validator (ETag) and 304 for a matching
 * If-None-Match, `Cache-Control: no-cache` so that every use is revalidated, `public` only for
 * anonymous answers (shared caches must never keep a personalised one), and `Vary` naming
 * Authorization.
 */

jest.setTimeout(30_000);

const ROUTE_NAMES = ['article list', 'article', 'comments', 'profile', 'tags'] as const;
type RouteName = (typeof ROUTE_NAMES)[number];

describe('HTTP caching headers on the cached routes', () => {
  let app: NestExpressApplication;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let article: ArticleBody;
  let routes: Array<{ name: RouteName; path: string; personalised: boolean }>;

  beforeAll(async () => {
    app = await createTestApp();
    await resetDatabase(app);
    [alice, bob, carol] = await Promise.all([
      registerUser(app, { username: unique('alice') }),
      registerUser(app, { username: unique('bob') }),
      registerUser(app, { username: unique('carol') }),
    ]);
    article = await createArticle(app, alice, { tagList: ['http'] });
    await addComment(app, alice, article.slug, 'First!');
    await favorite(app, bob, article.slug);
    await follow(app, bob, alice.username);
    routes = [
      { name: 'article list', path: '/api/articles', personalised: true },
      {
        name: 'article',
        path: `/api/articles/${article.slug}`,
        personalised: true,
      },
      {
        name: 'comments',
        path: `/api/articles/${article.slug}/comments`,
        personalised: true,
      },
      {
        name: 'profile',
        path: `/api/profiles/${alice.username}`,
        personalised: true,
      },
      { name: 'tags', path: '/api/tags', personalised: false },
    ];
  });

  afterAll(async () => {
    await app.close();
  });

  function get(path: string, reader?: TestUser): request.Test {
    const call = api(app).get(path);
    return reader ? call.set('Authorization', auth(reader.token)) : call;
  }

  function varyNames(response: request.Response): string[] {
    return String(response.headers.vary ?? '')
      .split(',')
      .map((name) => name.trim().toLowerCase())
      .filter(Boolean);
  }

  function directives(response: request.Response): string[] {
    return String(response.headers['cache-control'] ?? '')
      .split(',')
      .map((directive) => directive.trim().toLowerCase())
      .filter(Boolean)
      .sort();
  }

  describe('anonymous readers', () => {
    it.each(ROUTE_NAMES)('%s: 200 with an ETag, `Cache-Control: public, no-cache` and `Vary: Authorization`', async (name) => {
      const { path } = routes.find((route) => route.name === name)!;
      const response = await get(path);
      expect({ name, status: response.status }).toEqual({
        name,
        status: 200,
      });
      expect(response.headers.etag).toMatch(/^(W\/)?"[^"]+"$/);
      expect(directives(response)).toEqual(['no-cache', 'public']);
      expect(varyNames(response)).toContain('authorization');
    });

    it('answers 304 with an empty body, the same ETag and the caching headers to a matching If-None-Match, on every route', async () => {
      for (const { name, path } of routes) {
        const first = await get(path);
        const again = await get(path).set('If-None-Match', first.headers.etag);
        expect({ name, status: again.status, body: again.text ?? '' }).toEqual({
          name,
          status: 304,
          body: '',
        });
        expect(again.headers.etag).toBe(first.headers.etag);
        expect(directives(again)).toEqual(['no-cache', 'public']);
        expect(varyNames(again)).toContain('authorization');
      }
    });

    it('answers 304 when the matching ETag is one of several in If-None-Match, and 200 for `W/"nope"`', async () => {
      const first = await get('/api/tags');
      const listed = await get('/api/tags').set('If-None-Match', `W/"nope", ${first.headers.etag}`);
      expect(listed.status).toBe(304);
      const other = await get('/api/tags').set('If-None-Match', 'W/"nope"');
      expect(other.status).toBe(200);
      expect(other.body).toEqual({ tags: ['http'] });
    });
  });

  describe('signed-in readers', () => {
    it('personalised routes answer `Cache-Control: private, no-cache` with `Vary: Authorization` and an ETag', async () => {
      for (const { name, path, personalised } of routes.filter((route) => route.personalised)) {
        const response = await get(path, bob);
        expect({ name, personalised, status: response.status }).toEqual({
          name,
          personalised,
          status: 200,
        });
        expect({ name, cacheControl: directives(response) }).toEqual({
          name,
          cacheControl: ['no-cache', 'private'],
        });
        expect(varyNames(response)).toContain('authorization');
        expect(response.headers.etag).toMatch(/^(W\/)?"[^"]+"$/);
      }
    });

    it('/api/tags is the same for everyone: with a token it is still revalidated (no-cache) and varies on Authorization', async () => {
      const response = await get('/api/tags', bob);
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ tags: ['http'] });
      expect(directives(response)).toContain('no-cache');
      expect(varyNames(response)).toContain('authorization');
    });

    it('answers 304 to the same reader sending back their ETag, with `private` kept on the 304', async () => {
      for (const { name, path } of routes.filter((route) => route.personalised)) {
        const first = await get(path, bob);
        const again = await get(path, bob).set('If-None-Match', first.headers.etag);
        expect({ name, status: again.status, body: again.text ?? '' }).toEqual({
          name,
          status: 304,
          body: '',
        });
        expect(directives(again)).toEqual(['no-cache', 'private']);
      }
    });

    it("never answers 304 to someone whose answer differs: one reader's ETag is not another's", async () => {
      const path = `/api/articles/${article.slug}`;
      const asBob = await get(path, bob);
      expect(asBob.body.article).toMatchObject({
        favorited: true,
        author: { following: true },
      });

      for (const reader of [carol, undefined]) {
        const response = await get(path, reader).set('If-None-Match', asBob.headers.etag);
        expect(response.status).toBe(200);
        expect(response.body.article).toMatchObject({
          favorited: false,
          author: { following: false },
        });
        expect(response.headers.etag).not.toBe(asBob.headers.etag);
      }

      const anonymous = await get(path);
      const bobWithAnonymousTag = await get(path, bob).set('If-None-Match', anonymous.headers.etag);
      expect(bobWithAnonymousTag.status).toBe(200);
      expect(bobWithAnonymousTag.body.article).toMatchObject({
        favorited: true,
        author: { following: true },
      });
    });
  });

  describe('validators change with the data', () => {
    it('after a write, the old ETag no longer matches: 200 with the new answer and a new ETag', async () => {
      const target = await createArticle(app, alice);
      const path = `/api/articles/${target.slug}`;
      const before = await get(path);
      const beforeAsCarol = await get(path, carol);
      expect(await get(path).set('If-None-Match', before.headers.etag)).toHaveProperty('status', 304);

      await favorite(app, carol, target.slug);

      const after = await get(path).set('If-None-Match', before.headers.etag);
      expect(after.status).toBe(200);
      expect(after.body.article).toMatchObject({
        favoritesCount: 1,
        favorited: false,
      });
      expect(after.headers.etag).not.toBe(before.headers.etag);

      const afterAsCarol = await get(path, carol).set('If-None-Match', beforeAsCarol.headers.etag);
      expect(afterAsCarol.status).toBe(200);
      expect(afterAsCarol.body.article).toMatchObject({
        favoritesCount: 1,
        favorited: true,
      });
    });

    it("a follow changes the follower's ETag of the profile (their flag changed), not the anonymous one", async () => {
      const path = `/api/profiles/${alice.username}`;
      const anonymous = await get(path);
      const asCarol = await get(path, carol);
      expect(asCarol.body.profile.following).toBe(false);

      await follow(app, carol, alice.username);

      const carolAgain = await get(path, carol).set('If-None-Match', asCarol.headers.etag);
      expect(carolAgain.status).toBe(200);
      expect(carolAgain.body.profile.following).toBe(true);
      expect(await get(path).set('If-None-Match', anonymous.headers.etag)).toHaveProperty('status', 304);
    });
  });

  describe('headers from the rest of the application survive', () => {
    it('keeps `Vary: Origin` from CORS next to `Vary: Authorization`, as on every other route', async () => {
      const origin = 'https://reader.example';
      const uncached = await api(app).get('/api/articles/feed').set('Origin', origin).set('Authorization', auth(bob.token));
      expect(uncached.headers['access-control-allow-origin']).toBe(origin);
      expect(varyNames(uncached)).toContain('origin');

      for (const { name, path } of routes) {
        const response = await get(path).set('Origin', origin);
        // The origin is reflected, so a shared cache must key on it too, or it would hand this
        // answer (allowing only https://reader.example) to pages from other origins.
        expect(response.headers['access-control-allow-origin']).toBe(origin);
        expect({ name, vary: varyNames(response).sort() }).toEqual({
          name,
          vary: ['authorization', 'origin'],
        });
      }
    });

    it('HEAD answers with the caching headers GET gives (Cache-Control, Vary)', async () => {
      for (const [reader, cacheControl] of [
        [undefined, ['no-cache', 'public']],
        [bob, ['no-cache', 'private']],
      ] as Array<[TestUser | undefined, string[]]>) {
        const path = `/api/articles/${article.slug}`;
        const call = api(app).head(path);
        const head = await (reader ? call.set('Authorization', auth(reader.token)) : call);
        expect(head.status).toBe(200);
        expect({
          reader: reader?.username ?? 'anonymous',
          cacheControl: directives(head),
        }).toEqual({
          reader: reader?.username ?? 'anonymous',
          cacheControl,
        });
        expect(varyNames(head)).toContain('authorization');
      }
    });
  });
});
