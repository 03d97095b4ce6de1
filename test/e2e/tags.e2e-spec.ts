import type { NestExpressApplication } from '@nestjs/platform-express';
import { createTestApp, resetDatabase } from '../helpers/app';
import { api, auth, createArticle, newArticleInput, registerUser, TestUser } from '../helpers/factories';
import { expectMatchesSpec } from '../helpers/openapi';

describe('Tags', () => {
  let app: NestExpressApplication;
  let author: TestUser;

  beforeAll(async () => {
    app = await createTestApp();
    await resetDatabase(app);
    author = await registerUser(app);
  });

  afterAll(async () => {
    await app.close();
  });

  async function tags(): Promise<string[]> {
    const response = await api(app).get('/api/tags');
    expect(response.status).toBe(200);
    expectMatchesSpec(response, 'GET', '/tags');
    return response.body.tags as string[];
  }

  // The tests below build on each other's data, in order: the tag set only grows and shrinks as described.
  describe('GET /api/tags', () => {
    it('answers 200 with an empty list when no article has tags', async () => {
      await createArticle(app, author);
      const response = await api(app).get('/api/tags');

      expect(response.status).toBe(200);
      expectMatchesSpec(response, 'GET', '/tags');
      expect(response.body).toEqual({ tags: [] });
    });

    it('answers every tag in use, each once, however many there are', async () => {
      const names = Array.from({ length: 45 }, (_, index) => `topic-${String(index).padStart(2, '0')}`);
      for (let start = 0; start < names.length; start += 15) {
        await createArticle(app, author, { tagList: names.slice(start, start + 15) });
      }
      await createArticle(app, author, { tagList: ['topic-00', 'topic-01', 'shared'] });
      await createArticle(app, author, { tagList: ['shared'] });

      const listed = await tags();
      expect([...listed].sort()).toEqual([...names, 'shared'].sort());
      expect(new Set(listed).size).toBe(listed.length);
    });

    it('lists tags trimmed and de-duplicated as they were stored on the article', async () => {
      const article = await createArticle(app, author, { tagList: ['  spaced  ', 'spaced', 'Ünïcode'] });
      expect(article.tagList).toEqual(['spaced', 'Ünïcode']);

      const listed = await tags();
      expect(listed).toEqual(expect.arrayContaining(['spaced', 'Ünïcode']));
      expect(listed.filter((tag) => tag.includes('spaced'))).toEqual(['spaced']);
    });

    it('drops a tag when the last article using it is deleted, and keeps tags still in use', async () => {
      const article = await createArticle(app, author, { tagList: ['ephemeral', 'shared'] });
      expect(await tags()).toEqual(expect.arrayContaining(['ephemeral', 'shared']));

      await api(app).delete(`/api/articles/${article.slug}`).set('Authorization', auth(author.token)).expect(204);

      const listed = await tags();
      expect(listed).not.toContain('ephemeral');
      expect(listed).toContain('shared');
    });

    it('drops a tag when an update replaces it', async () => {
      const article = await createArticle(app, author, { tagList: ['before-edit'] });
      await api(app)
        .put(`/api/articles/${article.slug}`)
        .set('Authorization', auth(author.token))
        .send({ article: { tagList: ['after-edit'] } })
        .expect(200);

      const listed = await tags();
      expect(listed).toContain('after-edit');
      expect(listed).not.toContain('before-edit');
    });

    it('does not list the tags of an article whose creation was refused', async () => {
      const existing = await createArticle(app, author);
      const refused = await api(app)
        .post('/api/articles')
        .set('Authorization', auth(author.token))
        .send({ article: newArticleInput({ title: existing.title, tagList: ['never-published'] }) });
      expect(refused.status).toBe(409);

      expect(await tags()).not.toContain('never-published');
    });

    it('needs no authentication: the same answer with and without a token', async () => {
      const anonymous = await api(app).get('/api/tags');
      const authenticated = await api(app).get('/api/tags').set('Authorization', auth(author.token));

      expect(authenticated.status).toBe(200);
      expectMatchesSpec(authenticated, 'GET', '/tags');
      expect(authenticated.body).toEqual(anonymous.body);
    });
  });
});
