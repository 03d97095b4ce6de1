import type { NestExpressApplication } from '@nestjs/platform-express';
import { createTestApp, resetDatabase } from '../helpers/app';
import { addComment, api, auth, createArticle, db, favorite, follow, newArticleInput, registerUser, TestUser, unique } from '../helpers/factories';
import { expectMatchesSpec, expectUndeclaredError } from '../helpers/openapi';
import { expiredToken, jwtSecret } from '../helpers/tokens';

describe('Articles', () => {
  let app: NestExpressApplication;
  let author: TestUser;
  let reader: TestUser;

  beforeAll(async () => {
    app = await createTestApp();
    await resetDatabase(app);
    [author, reader] = [await registerUser(app), await registerUser(app)];
  });

  afterAll(async () => {
    await app.close();
  });

  function articleRow(slug: string) {
    return db(app).article.findUnique({ where: { slug }, include: { tags: { include: { tag: true } } } });
  }

  describe('POST /api/articles', () => {
    it('answers 201 with the article, a readable slug and sorted, distinct tags, and stores it', async () => {
      const title = `How to Train Your Dragon ${unique('')}`;
      const response = await api(app)
        .post('/api/articles')
        .set('Authorization', auth(author.token))
        .send({ article: { title, description: 'Ever wonder how?', body: 'You have to believe', tagList: ['training', 'dragons', 'angular', 'dragons'] } });

      expect(response.status).toBe(201);
      expectMatchesSpec(response, 'POST', '/articles');
      const article = response.body.article;
      expect(article).toEqual({
        slug: title.toLowerCase().replace(/ /g, '-'),
        title,
        description: 'Ever wonder how?',
        body: 'You have to believe',
        tagList: ['angular', 'dragons', 'training'],
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
        favorited: false,
        favoritesCount: 0,
        author: { username: author.username, bio: null, image: null, following: false },
      });
      expect(Math.abs(Date.parse(article.createdAt) - Date.now())).toBeLessThan(60_000);

      const row = await articleRow(article.slug);
      expect(row).toMatchObject({ title, description: 'Ever wonder how?', body: 'You have to believe', authorId: author.id, favoritesCount: 0 });
      expect(row!.tags.map((link) => link.tag.name).sort()).toEqual(['angular', 'dragons', 'training']);
    });

    it('makes readable slugs from accented and punctuated titles', async () => {
      const suffix = unique('');
      const response = await api(app)
        .post('/api/articles')
        .set('Authorization', auth(author.token))
        .send({ article: newArticleInput({ title: `Ünïcödé   & Crème Brûlée!! ${suffix}` }) });

      expect(response.status).toBe(201);
      expectMatchesSpec(response, 'POST', '/articles');
      expect(response.body.article.slug).toBe(`unicode-creme-brulee-${suffix}`);
    });

    it('keeps non-Latin scripts readable in the slug, and the slug works in URLs', async () => {
      const suffix = unique('');
      const response = await api(app)
        .post('/api/articles')
        .set('Authorization', auth(author.token))
        .send({ article: newArticleInput({ title: `Привет, мир ${suffix}` }) });

      expect(response.status).toBe(201);
      expectMatchesSpec(response, 'POST', '/articles');
      const slug = response.body.article.slug as string;
      expect(slug).toBe(`привет-мир-${suffix}`);
      const fetched = await api(app).get(`/api/articles/${encodeURIComponent(slug)}`);
      expect(fetched.status).toBe(200);
      expectMatchesSpec(fetched, 'GET', '/articles/{slug}');
      expect(fetched.body.article.title).toBe(`Привет, мир ${suffix}`);
    });

    it('gives a title made only of symbols a slug that still works', async () => {
      const response = await api(app)
        .post('/api/articles')
        .set('Authorization', auth(author.token))
        .send({ article: newArticleInput({ title: `!!! ??? ${'*'.repeat(unique('').length)}` }) });

      expect(response.status).toBe(201);
      expectMatchesSpec(response, 'POST', '/articles');
      const slug = response.body.article.slug as string;
      expect(slug).toMatch(/^[a-z0-9-]+$/);
      const fetched = await api(app).get(`/api/articles/${slug}`);
      expect(fetched.status).toBe(200);
    });

    it('creates an article without tagList, with an empty tag list', async () => {
      const response = await api(app)
        .post('/api/articles')
        .set('Authorization', auth(author.token))
        .send({ article: { title: `No tags ${unique('')}`, description: 'd', body: 'b' } });

      expect(response.status).toBe(201);
      expectMatchesSpec(response, 'POST', '/articles');
      expect(response.body.article.tagList).toEqual([]);
    });

    it('answers 409 {"title":["has already been taken"]} for a title any article already uses, and stores nothing', async () => {
      const existing = await createArticle(app, author);
      const before = await db(app).article.count();

      const response = await api(app)
        .post('/api/articles')
        .set('Authorization', auth(reader.token))
        .send({ article: newArticleInput({ title: existing.title }) });

      expect(response.status).toBe(409);
      expectMatchesSpec(response, 'POST', '/articles');
      expect(response.body).toEqual({ errors: { title: ['has already been taken'] } });
      expect(await db(app).article.count()).toBe(before);
    });

    it('answers 409 for a title that differs only in case and punctuation (same slug)', async () => {
      const base = `Same Slug ${unique('')}`;
      await createArticle(app, author, { title: base });

      const response = await api(app)
        .post('/api/articles')
        .set('Authorization', auth(author.token))
        .send({ article: newArticleInput({ title: `${base.toUpperCase()}!` }) });

      expect(response.status).toBe(409);
      expectMatchesSpec(response, 'POST', '/articles');
      expect(response.body).toEqual({ errors: { title: ['has already been taken'] } });
    });

    it('keeps slugs unique under concurrent creates of one title: one 201, the rest 409', async () => {
      const title = `Race ${unique('')}`;
      const responses = await Promise.all(
        Array.from({ length: 8 }, (_, index) =>
          api(app)
            .post('/api/articles')
            .set('Authorization', auth(index % 2 === 0 ? author.token : reader.token))
            .send({ article: newArticleInput({ title }) }),
        ),
      );

      const statuses = responses.map((response) => response.status).sort();
      expect(statuses).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
      for (const response of responses) expectMatchesSpec(response, 'POST', '/articles');
      for (const response of responses.filter((r) => r.status === 409)) {
        expect(response.body).toEqual({ errors: { title: ['has already been taken'] } });
      }
      expect(await db(app).article.count({ where: { title } })).toBe(1);
    });

    it.each([
      ['no article envelope', {}, { article: ["can't be blank"] }],
      ['an article that is not an object', { article: 'text' }, { article: ['must be an object'] }],
      ['a missing title', { article: { description: 'd', body: 'b' } }, { title: ["can't be blank"] }],
      ['a blank title', { article: { title: '   ', description: 'd', body: 'b' } }, { title: ["can't be blank"] }],
      ['a missing description', { article: { title: 'A title', body: 'b' } }, { description: ["can't be blank"] }],
      ['a missing body', { article: { title: 'A title', description: 'd' } }, { body: ["can't be blank"] }],
      ['a numeric title', { article: { title: 42, description: 'd', body: 'b' } }, { title: ['must be a string'] }],
      ['a tagList that is a string', { article: { title: 'T', description: 'd', body: 'b', tagList: 'a,b' } }, { tagList: ['must be an array'] }],
      ['a tag that is not a string', { article: { title: 'T', description: 'd', body: 'b', tagList: ['ok', 3] } }, { tagList: ['must be a string'] }],
      ['a blank tag', { article: { title: 'T', description: 'd', body: 'b', tagList: ['ok', '  '] } }, { tagList: ["can't be blank"] }],
    ])('answers 422 keyed by the field for %s, and stores nothing', async (_case, body, errors) => {
      const before = await db(app).article.count();
      const response = await api(app).post('/api/articles').set('Authorization', auth(author.token)).send(body);

      expect(response.status).toBe(422);
      expectMatchesSpec(response, 'POST', '/articles');
      expect(response.body).toEqual({ errors });
      expect(await db(app).article.count()).toBe(before);
    });

    it('answers 422 keyed by every bad field at once', async () => {
      const response = await api(app).post('/api/articles').set('Authorization', auth(author.token)).send({ article: { title: '' } });

      expect(response.status).toBe(422);
      expectMatchesSpec(response, 'POST', '/articles');
      expect(response.body.errors).toEqual({ title: ["can't be blank"], description: ["can't be blank"], body: ["can't be blank"] });
    });

    it('answers 401 without a token, and with an expired one', async () => {
      const missing = await api(app).post('/api/articles').send({ article: newArticleInput() });
      expect(missing.status).toBe(401);
      expectMatchesSpec(missing, 'POST', '/articles');
      expect(missing.body).toEqual({ errors: { token: ['is missing'] } });

      const expired = await api(app)
        .post('/api/articles')
        .set('Authorization', auth(expiredToken(author.id, jwtSecret(app))))
        .send({ article: newArticleInput() });
      expect(expired.status).toBe(401);
      expectMatchesSpec(expired, 'POST', '/articles');
      expect(expired.body).toEqual({ errors: { token: ['is invalid'] } });
    });
  });

  describe('GET /api/articles/{slug}', () => {
    it('answers 200 with the article for an anonymous caller (favorited and following false)', async () => {
      const created = await createArticle(app, author, { tagList: ['zeta', 'alpha'] });
      await favorite(app, reader, created.slug);

      const response = await api(app).get(`/api/articles/${created.slug}`);

      expect(response.status).toBe(200);
      expectMatchesSpec(response, 'GET', '/articles/{slug}');
      // updatedAt is not compared here: favorites.e2e-spec.ts checks what a favorite does to it.
      expect(response.body.article).toEqual({ ...created, favorited: false, favoritesCount: 1, updatedAt: expect.any(String) });
      expect(response.body.article.tagList).toEqual(['alpha', 'zeta']);
    });

    it('shows favorited and following as seen by the caller', async () => {
      const created = await createArticle(app, author);
      const fan = await registerUser(app);
      await follow(app, fan, author.username);
      await favorite(app, fan, created.slug);

      const asFan = await api(app).get(`/api/articles/${created.slug}`).set('Authorization', auth(fan.token));
      expect(asFan.status).toBe(200);
      expectMatchesSpec(asFan, 'GET', '/articles/{slug}');
      expect(asFan.body.article).toMatchObject({ favorited: true, favoritesCount: 1, author: { username: author.username, following: true } });

      const asReader = await api(app).get(`/api/articles/${created.slug}`).set('Authorization', auth(reader.token));
      expect(asReader.status).toBe(200);
      expectMatchesSpec(asReader, 'GET', '/articles/{slug}');
      expect(asReader.body.article).toMatchObject({ favorited: false, favoritesCount: 1, author: { following: false } });
    });

    it('answers 404 {"article":["not found"]} for an unknown slug', async () => {
      const response = await api(app).get(`/api/articles/${unique('no-such-article-')}`);

      expect(response.status).toBe(404);
      expectMatchesSpec(response, 'GET', '/articles/{slug}');
      expect(response.body).toEqual({ errors: { article: ['not found'] } });
    });

    it('answers 401 for a bad or expired token (Conduit: even where auth is optional; the spec lists no 401 here)', async () => {
      const created = await createArticle(app, author);

      const invalid = await api(app).get(`/api/articles/${created.slug}`).set('Authorization', 'Token not-a-jwt');
      expectUndeclaredError(invalid, 'GET', '/articles/{slug}', 401);
      expect(invalid.body).toEqual({ errors: { token: ['is invalid'] } });

      const expired = await api(app).get(`/api/articles/${created.slug}`).set('Authorization', auth(expiredToken(reader.id, jwtSecret(app))));
      expectUndeclaredError(expired, 'GET', '/articles/{slug}', 401);
      expect(expired.body).toEqual({ errors: { token: ['is invalid'] } });
    });
  });

  describe('PUT /api/articles/{slug}', () => {
    it('changes the body and description, keeps the slug, and stores the change', async () => {
      const created = await createArticle(app, author, { tagList: ['keep'] });
      await new Promise((resolve) => setTimeout(resolve, 5));

      const response = await api(app)
        .put(`/api/articles/${created.slug}`)
        .set('Authorization', auth(author.token))
        .send({ article: { body: 'With two hands', description: 'A new description' } });

      expect(response.status).toBe(200);
      expectMatchesSpec(response, 'PUT', '/articles/{slug}');
      expect(response.body.article).toEqual({
        ...created,
        body: 'With two hands',
        description: 'A new description',
        updatedAt: expect.any(String),
      });
      expect(Date.parse(response.body.article.updatedAt)).toBeGreaterThan(Date.parse(created.updatedAt));
      const row = await articleRow(created.slug);
      expect(row).toMatchObject({ body: 'With two hands', description: 'A new description', title: created.title });
    });

    it('gives a new title a new slug; the old slug then answers 404', async () => {
      const created = await createArticle(app, author);
      const title = `Did You Train Your Dragon ${unique('')}`;

      const response = await api(app).put(`/api/articles/${created.slug}`).set('Authorization', auth(author.token)).send({ article: { title } });

      expect(response.status).toBe(200);
      expectMatchesSpec(response, 'PUT', '/articles/{slug}');
      const newSlug = title.toLowerCase().replace(/ /g, '-');
      expect(response.body.article).toMatchObject({ title, slug: newSlug });

      const old = await api(app).get(`/api/articles/${created.slug}`);
      expect(old.status).toBe(404);
      expectMatchesSpec(old, 'GET', '/articles/{slug}');
      expect(old.body).toEqual({ errors: { article: ['not found'] } });
      const renamed = await api(app).get(`/api/articles/${newSlug}`);
      expect(renamed.status).toBe(200);
      expect(renamed.body.article.title).toBe(title);
    });

    it('keeps the comments and favorites of a renamed article under its new slug', async () => {
      const created = await createArticle(app, author);
      const comment = await addComment(app, reader, created.slug);
      await favorite(app, reader, created.slug);
      // Read both through the old slug first, so that nothing stale can be served afterwards.
      await api(app).get(`/api/articles/${created.slug}/comments`).expect(200);
      await api(app).get(`/api/articles/${created.slug}`).set('Authorization', auth(reader.token)).expect(200);

      const renamed = await api(app)
        .put(`/api/articles/${created.slug}`)
        .set('Authorization', auth(author.token))
        .send({ article: { title: `Renamed ${unique('')}` } });
      expect(renamed.status).toBe(200);
      const newSlug = renamed.body.article.slug as string;

      const comments = await api(app).get(`/api/articles/${newSlug}/comments`);
      expect(comments.status).toBe(200);
      expectMatchesSpec(comments, 'GET', '/articles/{slug}/comments');
      expect(comments.body.comments).toEqual([comment]);
      const oldComments = await api(app).get(`/api/articles/${created.slug}/comments`);
      expect(oldComments.status).toBe(404);
      expectMatchesSpec(oldComments, 'GET', '/articles/{slug}/comments');
      expect(oldComments.body).toEqual({ errors: { article: ['not found'] } });

      const asReader = await api(app).get(`/api/articles/${newSlug}`).set('Authorization', auth(reader.token));
      expect(asReader.status).toBe(200);
      expect(asReader.body.article).toMatchObject({ favorited: true, favoritesCount: 1 });
    });

    it('accepts the article\'s own title again without a conflict', async () => {
      const created = await createArticle(app, author);
      const response = await api(app)
        .put(`/api/articles/${created.slug}`)
        .set('Authorization', auth(author.token))
        .send({ article: { title: created.title, body: 'Same title, new body' } });

      expect(response.status).toBe(200);
      expectMatchesSpec(response, 'PUT', '/articles/{slug}');
      expect(response.body.article).toMatchObject({ slug: created.slug, title: created.title, body: 'Same title, new body' });
    });

    it('replaces the tags when tagList is given, and keeps them when it is not', async () => {
      const created = await createArticle(app, author, { tagList: ['old', 'common'] });

      const replaced = await api(app)
        .put(`/api/articles/${created.slug}`)
        .set('Authorization', auth(author.token))
        .send({ article: { tagList: ['new', 'common', 'another'] } });
      expect(replaced.status).toBe(200);
      expectMatchesSpec(replaced, 'PUT', '/articles/{slug}');
      expect(replaced.body.article.tagList).toEqual(['another', 'common', 'new']);

      const untouched = await api(app)
        .put(`/api/articles/${created.slug}`)
        .set('Authorization', auth(author.token))
        .send({ article: { body: 'tags stay' } });
      expect(untouched.status).toBe(200);
      expect(untouched.body.article.tagList).toEqual(['another', 'common', 'new']);

      const row = await articleRow(created.slug);
      expect(row!.tags.map((link) => link.tag.name).sort()).toEqual(['another', 'common', 'new']);
    });

    it('treats an empty {"article":{}} as a no-op 200', async () => {
      const created = await createArticle(app, author, { tagList: ['noop'] });
      await new Promise((resolve) => setTimeout(resolve, 5));
      const response = await api(app).put(`/api/articles/${created.slug}`).set('Authorization', auth(author.token)).send({ article: {} });

      expect(response.status).toBe(200);
      expectMatchesSpec(response, 'PUT', '/articles/{slug}');
      expect(response.body.article).toMatchObject({
        slug: created.slug,
        title: created.title,
        description: created.description,
        body: created.body,
        tagList: ['noop'],
        updatedAt: created.updatedAt,
      });
    });

    it('answers 403 {"article":["forbidden"]} to another user, and changes nothing', async () => {
      const created = await createArticle(app, author);
      const response = await api(app)
        .put(`/api/articles/${created.slug}`)
        .set('Authorization', auth(reader.token))
        .send({ article: { title: `Hijacked ${unique('')}`, body: 'hijacked' } });

      expect(response.status).toBe(403);
      expectMatchesSpec(response, 'PUT', '/articles/{slug}');
      expect(response.body).toEqual({ errors: { article: ['forbidden'] } });
      const row = await articleRow(created.slug);
      expect(row).toMatchObject({ title: created.title, body: created.body, authorId: author.id });
    });

    it('answers 404 {"article":["not found"]} for an unknown slug', async () => {
      const response = await api(app)
        .put(`/api/articles/${unique('missing-')}`)
        .set('Authorization', auth(author.token))
        .send({ article: { body: 'x' } });

      expect(response.status).toBe(404);
      expectMatchesSpec(response, 'PUT', '/articles/{slug}');
      expect(response.body).toEqual({ errors: { article: ['not found'] } });
    });

    it('answers 409 {"title":["has already been taken"]} (Conduit; the spec lists no 409 here) for another article\'s title', async () => {
      const [first, second] = [await createArticle(app, author), await createArticle(app, author)];
      const response = await api(app)
        .put(`/api/articles/${second.slug}`)
        .set('Authorization', auth(author.token))
        .send({ article: { title: first.title } });

      expectUndeclaredError(response, 'PUT', '/articles/{slug}', 409);
      expect(response.body).toEqual({ errors: { title: ['has already been taken'] } });
      expect(await articleRow(second.slug)).toMatchObject({ title: second.title });
    });

    it.each([
      ['no article envelope', {}, { article: ["can't be blank"] }],
      ['a numeric title', { article: { title: 42 } }, { title: ['must be a string'] }],
      ['a blank title', { article: { title: '  ' } }, { title: ["can't be blank"] }],
      ['a blank body', { article: { body: '' } }, { body: ["can't be blank"] }],
      ['a tagList that is not an array', { article: { tagList: 'tag' } }, { tagList: ['must be an array'] }],
      ['a null title', { article: { title: null } }, { title: ["can't be blank"] }],
      ['a null description', { article: { description: null } }, { description: ["can't be blank"] }],
      ['a null body', { article: { body: null } }, { body: ["can't be blank"] }],
    ])('answers 422 keyed by the field for %s, and changes nothing', async (_case, body, errors) => {
      const created = await createArticle(app, author);
      const response = await api(app).put(`/api/articles/${created.slug}`).set('Authorization', auth(author.token)).send(body);

      expect(response.status).toBe(422);
      expectMatchesSpec(response, 'PUT', '/articles/{slug}');
      expect(response.body).toEqual({ errors });
      expect(await articleRow(created.slug)).toMatchObject({ title: created.title, description: created.description, body: created.body });
    });

    it('answers 401 without a token', async () => {
      const created = await createArticle(app, author);
      const response = await api(app).put(`/api/articles/${created.slug}`).send({ article: { body: 'anonymous edit' } });

      expect(response.status).toBe(401);
      expectMatchesSpec(response, 'PUT', '/articles/{slug}');
      expect(response.body).toEqual({ errors: { token: ['is missing'] } });
    });
  });

  describe('DELETE /api/articles/{slug}', () => {
    it('answers 204 with no body, removes the article with its comments and favorites', async () => {
      const created = await createArticle(app, author, { tagList: ['doomed'] });
      await addComment(app, reader, created.slug);
      await favorite(app, reader, created.slug);
      const { id } = (await articleRow(created.slug))!;

      const response = await api(app).delete(`/api/articles/${created.slug}`).set('Authorization', auth(author.token));

      expect(response.status).toBe(204);
      expectMatchesSpec(response, 'DELETE', '/articles/{slug}');
      expect(response.text).toBe('');
      expect(await articleRow(created.slug)).toBeNull();
      expect(await db(app).comment.count({ where: { articleId: id } })).toBe(0);
      expect(await db(app).favorite.count({ where: { articleId: id } })).toBe(0);
      const fetched = await api(app).get(`/api/articles/${created.slug}`);
      expect(fetched.status).toBe(404);
    });

    it('frees the title: a new article with it starts afresh, without the old comments or favorites', async () => {
      const created = await createArticle(app, author, { body: 'first version' });
      await addComment(app, reader, created.slug);
      await favorite(app, reader, created.slug);
      await api(app).get(`/api/articles/${created.slug}`).expect(200);
      await api(app).get(`/api/articles/${created.slug}/comments`).expect(200);
      await api(app).delete(`/api/articles/${created.slug}`).set('Authorization', auth(author.token)).expect(204);

      const again = await api(app)
        .post('/api/articles')
        .set('Authorization', auth(reader.token))
        .send({ article: newArticleInput({ title: created.title, body: 'second version' }) });
      expect(again.status).toBe(201);
      expectMatchesSpec(again, 'POST', '/articles');
      expect(again.body.article).toMatchObject({ slug: created.slug, body: 'second version', favoritesCount: 0, author: { username: reader.username } });

      const fetched = await api(app).get(`/api/articles/${created.slug}`);
      expect(fetched.body.article).toMatchObject({ body: 'second version', favoritesCount: 0, author: { username: reader.username } });
      const comments = await api(app).get(`/api/articles/${created.slug}/comments`);
      expect(comments.body).toEqual({ comments: [] });
    });

    it('answers 403 {"article":["forbidden"]} to another user, and keeps the article', async () => {
      const created = await createArticle(app, author);
      const response = await api(app).delete(`/api/articles/${created.slug}`).set('Authorization', auth(reader.token));

      expect(response.status).toBe(403);
      expectMatchesSpec(response, 'DELETE', '/articles/{slug}');
      expect(response.body).toEqual({ errors: { article: ['forbidden'] } });
      expect(await articleRow(created.slug)).not.toBeNull();
    });

    it('answers 404 {"article":["not found"]} for an unknown slug, and for a second delete', async () => {
      const created = await createArticle(app, author);
      await api(app).delete(`/api/articles/${created.slug}`).set('Authorization', auth(author.token)).expect(204);

      const response = await api(app).delete(`/api/articles/${created.slug}`).set('Authorization', auth(author.token));

      expect(response.status).toBe(404);
      expectMatchesSpec(response, 'DELETE', '/articles/{slug}');
      expect(response.body).toEqual({ errors: { article: ['not found'] } });
    });

    it('answers 401 without a token, and keeps the article', async () => {
      const created = await createArticle(app, author);
      const response = await api(app).delete(`/api/articles/${created.slug}`);

      expect(response.status).toBe(401);
      expectMatchesSpec(response, 'DELETE', '/articles/{slug}');
      expect(response.body).toEqual({ errors: { token: ['is missing'] } });
      expect(await articleRow(created.slug)).not.toBeNull();
    });
  });
});
