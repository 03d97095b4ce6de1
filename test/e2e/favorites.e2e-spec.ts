import type { NestExpressApplication } from '@nestjs/platform-express';
import { createTestApp, resetDatabase } from '../helpers/app';
import { api, auth, createArticle, db, favorite, registerUser, registerUsers, TestUser, unique } from '../helpers/factories';
import { expectMatchesSpec } from '../helpers/openapi';
import { expiredToken, jwtSecret } from '../helpers/tokens';

describe('Favorites', () => {
  let app: NestExpressApplication;
  let author: TestUser;
  let fan: TestUser;

  beforeAll(async () => {
    app = await createTestApp();
    await resetDatabase(app);
    [author, fan] = [await registerUser(app), await registerUser(app)];
  });

  afterAll(async () => {
    await app.close();
  });

  async function favoriteRows(slug: string): Promise<number> {
    return db(app).favorite.count({ where: { article: { slug } } });
  }

  async function storedCount(slug: string): Promise<number> {
    return (await db(app).article.findUniqueOrThrow({ where: { slug } })).favoritesCount;
  }

  describe('POST /api/articles/{slug}/favorite', () => {
    it('answers 200 with favorited true and the new count, and stores the favorite', async () => {
      const article = await createArticle(app, author);
      const response = await api(app).post(`/api/articles/${article.slug}/favorite`).set('Authorization', auth(fan.token));

      expect(response.status).toBe(200);
      expectMatchesSpec(response, 'POST', '/articles/{slug}/favorite');
      expect(response.body.article).toMatchObject({
        slug: article.slug,
        title: article.title,
        body: article.body,
        favorited: true,
        favoritesCount: 1,
        author: { username: author.username, following: false },
      });
      expect(await favoriteRows(article.slug)).toBe(1);
      expect(await storedCount(article.slug)).toBe(1);
    });

    it('is idempotent: a second favorite by the same user changes nothing', async () => {
      const article = await createArticle(app, author);
      await favorite(app, fan, article.slug);
      const response = await api(app).post(`/api/articles/${article.slug}/favorite`).set('Authorization', auth(fan.token));

      expect(response.status).toBe(200);
      expectMatchesSpec(response, 'POST', '/articles/{slug}/favorite');
      expect(response.body.article).toMatchObject({ favorited: true, favoritesCount: 1 });
      expect(await favoriteRows(article.slug)).toBe(1);
    });

    it('counts each user once, and shows favorited as seen by each caller', async () => {
      const article = await createArticle(app, author);
      const other = await registerUser(app);
      await favorite(app, fan, article.slug);
      await favorite(app, other, article.slug);

      const asFan = await api(app).get(`/api/articles/${article.slug}`).set('Authorization', auth(fan.token));
      expect(asFan.body.article).toMatchObject({ favorited: true, favoritesCount: 2 });
      const asAuthor = await api(app).get(`/api/articles/${article.slug}`).set('Authorization', auth(author.token));
      expect(asAuthor.body.article).toMatchObject({ favorited: false, favoritesCount: 2 });
      const anonymous = await api(app).get(`/api/articles/${article.slug}`);
      expect(anonymous.body.article).toMatchObject({ favorited: false, favoritesCount: 2 });
    });

    it('keeps the count equal to the favorites under concurrent favorites', async () => {
      const article = await createArticle(app, author);
      const crowd = await registerUsers(app, 8, 'crowd');
      const responses = await Promise.all(
        crowd.flatMap((user) => [1, 2].map(() => api(app).post(`/api/articles/${article.slug}/favorite`).set('Authorization', auth(user.token)))),
      );

      for (const response of responses) {
        expect(response.status).toBe(200);
        expectMatchesSpec(response, 'POST', '/articles/{slug}/favorite');
        expect(response.body.article.favorited).toBe(true);
      }
      expect(await favoriteRows(article.slug)).toBe(8);
      expect(await storedCount(article.slug)).toBe(8);
      const fetched = await api(app).get(`/api/articles/${article.slug}`);
      expect(fetched.body.article.favoritesCount).toBe(8);
    });

    it('does not change the article\'s updatedAt (a reader\'s favorite is not an edit of the article)', async () => {
      const article = await createArticle(app, author);
      await new Promise((resolve) => setTimeout(resolve, 5));
      const response = await api(app).post(`/api/articles/${article.slug}/favorite`).set('Authorization', auth(fan.token));

      expect(response.status).toBe(200);
      expectMatchesSpec(response, 'POST', '/articles/{slug}/favorite');
      expect(response.body.article.updatedAt).toBe(article.updatedAt);
    });

    it('answers 404 {"article":["not found"]} for an unknown slug', async () => {
      const response = await api(app).post(`/api/articles/${unique('missing-')}/favorite`).set('Authorization', auth(fan.token));

      expect(response.status).toBe(404);
      expectMatchesSpec(response, 'POST', '/articles/{slug}/favorite');
      expect(response.body).toEqual({ errors: { article: ['not found'] } });
    });

    it('answers 401 without a token, and with an expired one, and stores nothing', async () => {
      const article = await createArticle(app, author);

      const missing = await api(app).post(`/api/articles/${article.slug}/favorite`);
      expect(missing.status).toBe(401);
      expectMatchesSpec(missing, 'POST', '/articles/{slug}/favorite');
      expect(missing.body).toEqual({ errors: { token: ['is missing'] } });

      const expired = await api(app)
        .post(`/api/articles/${article.slug}/favorite`)
        .set('Authorization', auth(expiredToken(fan.id, jwtSecret(app))));
      expect(expired.status).toBe(401);
      expectMatchesSpec(expired, 'POST', '/articles/{slug}/favorite');
      expect(expired.body).toEqual({ errors: { token: ['is invalid'] } });

      expect(await favoriteRows(article.slug)).toBe(0);
    });
  });

  describe('DELETE /api/articles/{slug}/favorite', () => {
    it('answers 200 with favorited false and the lower count, and removes the favorite', async () => {
      const article = await createArticle(app, author);
      const other = await registerUser(app);
      await favorite(app, fan, article.slug);
      await favorite(app, other, article.slug);

      const response = await api(app).delete(`/api/articles/${article.slug}/favorite`).set('Authorization', auth(fan.token));

      expect(response.status).toBe(200);
      expectMatchesSpec(response, 'DELETE', '/articles/{slug}/favorite');
      expect(response.body.article).toMatchObject({ slug: article.slug, favorited: false, favoritesCount: 1 });
      expect(await favoriteRows(article.slug)).toBe(1);
      expect(await storedCount(article.slug)).toBe(1);
      const list = await api(app).get('/api/articles').query({ favorited: fan.username });
      expect(list.body.articles.map((item: { slug: string }) => item.slug)).not.toContain(article.slug);
    });

    it('is idempotent: unfavoriting an article one never favorited keeps the count', async () => {
      const article = await createArticle(app, author);
      await favorite(app, fan, article.slug);
      const stranger = await registerUser(app);

      const response = await api(app).delete(`/api/articles/${article.slug}/favorite`).set('Authorization', auth(stranger.token));
      expect(response.status).toBe(200);
      expectMatchesSpec(response, 'DELETE', '/articles/{slug}/favorite');
      expect(response.body.article).toMatchObject({ favorited: false, favoritesCount: 1 });

      const twice = await api(app).delete(`/api/articles/${article.slug}/favorite`).set('Authorization', auth(fan.token));
      const again = await api(app).delete(`/api/articles/${article.slug}/favorite`).set('Authorization', auth(fan.token));
      expect(twice.body.article.favoritesCount).toBe(0);
      expect(again.status).toBe(200);
      expect(again.body.article).toMatchObject({ favorited: false, favoritesCount: 0 });
      expect(await storedCount(article.slug)).toBe(0);
    });

    it('answers 404 {"article":["not found"]} for an unknown slug', async () => {
      const response = await api(app).delete(`/api/articles/${unique('missing-')}/favorite`).set('Authorization', auth(fan.token));

      expect(response.status).toBe(404);
      expectMatchesSpec(response, 'DELETE', '/articles/{slug}/favorite');
      expect(response.body).toEqual({ errors: { article: ['not found'] } });
    });

    it('answers 401 without a token, and keeps the favorite', async () => {
      const article = await createArticle(app, author);
      await favorite(app, fan, article.slug);
      const response = await api(app).delete(`/api/articles/${article.slug}/favorite`);

      expect(response.status).toBe(401);
      expectMatchesSpec(response, 'DELETE', '/articles/{slug}/favorite');
      expect(response.body).toEqual({ errors: { token: ['is missing'] } });
      expect(await favoriteRows(article.slug)).toBe(1);
    });
  });
});
