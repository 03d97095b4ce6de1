import type { NestExpressApplication } from '@nestjs/platform-express';
import { createTestApp, resetDatabase } from '../helpers/app';
import { addComment, api, auth, createArticle, db, follow, registerUser, TestUser, unique } from '../helpers/factories';
import { expectMatchesSpec } from '../helpers/openapi';
import { expiredToken, jwtSecret } from '../helpers/tokens';

describe('Comments', () => {
  let app: NestExpressApplication;
  let author: TestUser;
  let commenter: TestUser;
  let reader: TestUser;

  beforeAll(async () => {
    app = await createTestApp();
    await resetDatabase(app);
    [author, commenter, reader] = [await registerUser(app), await registerUser(app), await registerUser(app)];
  });

  afterAll(async () => {
    await app.close();
  });

  const commentsPath = (slug: string): string => `/api/articles/${slug}/comments`;

  describe('GET /api/articles/{slug}/comments', () => {
    it('answers 200 with an empty list for an article without comments', async () => {
      const article = await createArticle(app, author);
      const response = await api(app).get(commentsPath(article.slug));

      expect(response.status).toBe(200);
      expectMatchesSpec(response, 'GET', '/articles/{slug}/comments');
      expect(response.body).toEqual({ comments: [] });
    });

    it('answers every comment of the article, newest first, and none of other articles', async () => {
      const [article, otherArticle] = [await createArticle(app, author), await createArticle(app, author)];
      const first = await addComment(app, commenter, article.slug, 'first');
      const second = await addComment(app, reader, article.slug, 'second');
      const third = await addComment(app, commenter, article.slug, 'third');
      await addComment(app, commenter, otherArticle.slug, 'elsewhere');

      const response = await api(app).get(commentsPath(article.slug));

      expect(response.status).toBe(200);
      expectMatchesSpec(response, 'GET', '/articles/{slug}/comments');
      expect(response.body.comments).toEqual([third, second, first]);
    });

    it('shows author.following as seen by the caller', async () => {
      const article = await createArticle(app, author);
      await addComment(app, commenter, article.slug);
      await addComment(app, author, article.slug);
      const fan = await registerUser(app);
      await follow(app, fan, commenter.username);

      const asFan = await api(app).get(commentsPath(article.slug)).set('Authorization', auth(fan.token));
      expect(asFan.status).toBe(200);
      expectMatchesSpec(asFan, 'GET', '/articles/{slug}/comments');
      const following = Object.fromEntries(
        asFan.body.comments.map((comment: { author: { username: string; following: boolean } }) => [comment.author.username, comment.author.following]),
      );
      expect(following).toEqual({ [commenter.username]: true, [author.username]: false });

      const anonymous = await api(app).get(commentsPath(article.slug));
      for (const comment of anonymous.body.comments) expect(comment.author.following).toBe(false);
    });

    it('answers 404 {"article":["not found"]} for an unknown article', async () => {
      const response = await api(app).get(commentsPath(unique('missing-')));

      expect(response.status).toBe(404);
      expectMatchesSpec(response, 'GET', '/articles/{slug}/comments');
      expect(response.body).toEqual({ errors: { article: ['not found'] } });
    });

    it('answers 401 for a bad or expired token even though auth is optional', async () => {
      const article = await createArticle(app, author);

      const invalid = await api(app).get(commentsPath(article.slug)).set('Authorization', 'Token nonsense');
      expect(invalid.status).toBe(401);
      expectMatchesSpec(invalid, 'GET', '/articles/{slug}/comments');
      expect(invalid.body).toEqual({ errors: { token: ['is invalid'] } });

      const expired = await api(app).get(commentsPath(article.slug)).set('Authorization', auth(expiredToken(reader.id, jwtSecret(app))));
      expect(expired.status).toBe(401);
      expectMatchesSpec(expired, 'GET', '/articles/{slug}/comments');
      expect(expired.body).toEqual({ errors: { token: ['is invalid'] } });
    });
  });

  describe('POST /api/articles/{slug}/comments', () => {
    it('answers 201 with the comment and stores it', async () => {
      const article = await createArticle(app, author);
      const response = await api(app)
        .post(commentsPath(article.slug))
        .set('Authorization', auth(commenter.token))
        .send({ comment: { body: '  It takes a Jacobian  ' } });

      expect(response.status).toBe(201);
      expectMatchesSpec(response, 'POST', '/articles/{slug}/comments');
      expect(response.body).toEqual({
        comment: {
          id: expect.any(Number),
          body: 'It takes a Jacobian',
          createdAt: expect.any(String),
          updatedAt: expect.any(String),
          author: { username: commenter.username, bio: null, image: null, following: false },
        },
      });
      const row = await db(app).comment.findUniqueOrThrow({ where: { id: response.body.comment.id }, include: { article: true } });
      expect(row).toMatchObject({ body: 'It takes a Jacobian', authorId: commenter.id });
      expect(row.article.slug).toBe(article.slug);
    });

    it('shows the commenter\'s own profile with following false (nobody follows themselves)', async () => {
      const article = await createArticle(app, author);
      const response = await api(app).post(commentsPath(article.slug)).set('Authorization', auth(author.token)).send({ comment: { body: 'own' } });

      expect(response.status).toBe(201);
      expectMatchesSpec(response, 'POST', '/articles/{slug}/comments');
      expect(response.body.comment.author).toEqual({ username: author.username, bio: null, image: null, following: false });
    });

    it.each([
      ['no comment envelope', {}, { comment: ["can't be blank"] }],
      ['a comment that is not an object', { comment: 'hi' }, { comment: ['must be an object'] }],
      ['a missing body', { comment: {} }, { body: ["can't be blank"] }],
      ['a blank body', { comment: { body: '   ' } }, { body: ["can't be blank"] }],
      ['a body that is not a string', { comment: { body: ['a'] } }, { body: ['must be a string'] }],
      ['a body that is null', { comment: { body: null } }, { body: ["can't be blank"] }],
    ])('answers 422 keyed by the field for %s, and stores nothing', async (_case, body, errors) => {
      const article = await createArticle(app, author);
      const response = await api(app).post(commentsPath(article.slug)).set('Authorization', auth(commenter.token)).send(body);

      expect(response.status).toBe(422);
      expectMatchesSpec(response, 'POST', '/articles/{slug}/comments');
      expect(response.body).toEqual({ errors });
      expect(await db(app).comment.count({ where: { article: { slug: article.slug } } })).toBe(0);
    });

    it('answers 404 {"article":["not found"]} for an unknown article', async () => {
      const response = await api(app)
        .post(commentsPath(unique('missing-')))
        .set('Authorization', auth(commenter.token))
        .send({ comment: { body: 'Hello?' } });

      expect(response.status).toBe(404);
      expectMatchesSpec(response, 'POST', '/articles/{slug}/comments');
      expect(response.body).toEqual({ errors: { article: ['not found'] } });
    });

    it('answers 401 without a token, and stores nothing', async () => {
      const article = await createArticle(app, author);
      const response = await api(app).post(commentsPath(article.slug)).send({ comment: { body: 'anonymous' } });

      expect(response.status).toBe(401);
      expectMatchesSpec(response, 'POST', '/articles/{slug}/comments');
      expect(response.body).toEqual({ errors: { token: ['is missing'] } });
      expect(await db(app).comment.count({ where: { article: { slug: article.slug } } })).toBe(0);
    });
  });

  describe('DELETE /api/articles/{slug}/comments/{id}', () => {
    it('answers 204 with no body and removes the comment', async () => {
      const article = await createArticle(app, author);
      const comment = await addComment(app, commenter, article.slug);
      const kept = await addComment(app, reader, article.slug);

      const response = await api(app).delete(`${commentsPath(article.slug)}/${comment.id}`).set('Authorization', auth(commenter.token));

      expect(response.status).toBe(204);
      expectMatchesSpec(response, 'DELETE', '/articles/{slug}/comments/{id}');
      expect(response.text).toBe('');
      expect(await db(app).comment.findUnique({ where: { id: comment.id } })).toBeNull();
      const list = await api(app).get(commentsPath(article.slug));
      expect(list.body.comments).toEqual([kept]);
    });

    it('answers 403 {"comment":["forbidden"]} to someone else, and keeps the comment', async () => {
      const article = await createArticle(app, author);
      const comment = await addComment(app, commenter, article.slug);

      const response = await api(app).delete(`${commentsPath(article.slug)}/${comment.id}`).set('Authorization', auth(reader.token));

      expect(response.status).toBe(403);
      expectMatchesSpec(response, 'DELETE', '/articles/{slug}/comments/{id}');
      expect(response.body).toEqual({ errors: { comment: ['forbidden'] } });
      expect(await db(app).comment.findUnique({ where: { id: comment.id } })).not.toBeNull();
    });

    it('answers 404 {"comment":["not found"]} for an unknown id, and for a second delete', async () => {
      const article = await createArticle(app, author);
      const comment = await addComment(app, commenter, article.slug);
      await api(app).delete(`${commentsPath(article.slug)}/${comment.id}`).set('Authorization', auth(commenter.token)).expect(204);

      const again = await api(app).delete(`${commentsPath(article.slug)}/${comment.id}`).set('Authorization', auth(commenter.token));
      expect(again.status).toBe(404);
      expectMatchesSpec(again, 'DELETE', '/articles/{slug}/comments/{id}');
      expect(again.body).toEqual({ errors: { comment: ['not found'] } });

      const huge = await api(app).delete(`${commentsPath(article.slug)}/99999999999`).set('Authorization', auth(commenter.token));
      expect(huge.status).toBe(404);
      expectMatchesSpec(huge, 'DELETE', '/articles/{slug}/comments/{id}');
      expect(huge.body).toEqual({ errors: { comment: ['not found'] } });
    });

    it('answers 404 {"comment":["not found"]} through another article\'s slug, and keeps the comment', async () => {
      const [article, otherArticle] = [await createArticle(app, author), await createArticle(app, commenter)];
      const comment = await addComment(app, commenter, article.slug);

      const response = await api(app).delete(`${commentsPath(otherArticle.slug)}/${comment.id}`).set('Authorization', auth(commenter.token));

      expect(response.status).toBe(404);
      expectMatchesSpec(response, 'DELETE', '/articles/{slug}/comments/{id}');
      expect(response.body).toEqual({ errors: { comment: ['not found'] } });
      expect(await db(app).comment.findUnique({ where: { id: comment.id } })).not.toBeNull();
    });

    it('answers 404 {"article":["not found"]} for an unknown article', async () => {
      const article = await createArticle(app, author);
      const comment = await addComment(app, commenter, article.slug);

      const response = await api(app).delete(`${commentsPath(unique('missing-'))}/${comment.id}`).set('Authorization', auth(commenter.token));

      expect(response.status).toBe(404);
      expectMatchesSpec(response, 'DELETE', '/articles/{slug}/comments/{id}');
      expect(response.body).toEqual({ errors: { article: ['not found'] } });
    });

    it.each([['abc'], ['1.5'], ['-1'], ['1e3']])('answers 422 keyed "id" for the non-integer id %s', async (id) => {
      const article = await createArticle(app, author);
      const response = await api(app).delete(`${commentsPath(article.slug)}/${id}`).set('Authorization', auth(commenter.token));
      expect(response.status).toBe(422);
      expectMatchesSpec(response, 'DELETE', '/articles/{slug}/comments/{id}');
      expect(response.body).toEqual({ errors: { id: ['must be an integer'] } });
    });

    it('does not read a hexadecimal or exponent form as the id of another comment (422, the comment stays)', async () => {
      const article = await createArticle(app, author);
      const comment = await addComment(app, commenter, article.slug);

      for (const disguised of [`0x${comment.id.toString(16)}`, `${comment.id}e0`, `+${comment.id}`]) {
        const response = await api(app).delete(`${commentsPath(article.slug)}/${disguised}`).set('Authorization', auth(commenter.token));
        expect(response.status).toBe(422);
        expectMatchesSpec(response, 'DELETE', '/articles/{slug}/comments/{id}');
        expect(response.body).toEqual({ errors: { id: ['must be an integer'] } });
        expect(await db(app).comment.findUnique({ where: { id: comment.id } })).not.toBeNull();
      }
    });

    it('answers 401 without a token, and keeps the comment', async () => {
      const article = await createArticle(app, author);
      const comment = await addComment(app, commenter, article.slug);

      const response = await api(app).delete(`${commentsPath(article.slug)}/${comment.id}`);

      expect(response.status).toBe(401);
      expectMatchesSpec(response, 'DELETE', '/articles/{slug}/comments/{id}');
      expect(response.body).toEqual({ errors: { token: ['is missing'] } });
      expect(await db(app).comment.findUnique({ where: { id: comment.id } })).not.toBeNull();
    });
  });
});
