import type { NestExpressApplication } from '@nestjs/platform-express';
import { createTestApp, resetDatabase } from '../helpers/app';
import { addComment, api, auth, createArticle, db, follow, registerUser, TestUser, unique } from '../helpers/factories';
import { expectMatchesSpec } from '../helpers/openapi';
import { expiredToken, jwtSecret } from '../helpers/tokens';

describe('Profiles', () => {
  let app: NestExpressApplication;
  let celeb: TestUser;
  let fan: TestUser;

  beforeAll(async () => {
    app = await createTestApp();
    await resetDatabase(app);
    [celeb, fan] = [await registerUser(app), await registerUser(app)];
    await api(app)
      .put('/api/user')
      .set('Authorization', auth(celeb.token))
      .send({ user: { bio: 'Famous for things', image: 'https://example.test/celeb.png' } })
      .expect(200);
  });

  afterAll(async () => {
    await app.close();
  });

  async function followRow(follower: TestUser, followed: TestUser): Promise<number> {
    return db(app).follow.count({ where: { followerId: follower.id, followedId: followed.id } });
  }

  describe('GET /api/profiles/{username}', () => {
    it('answers 200 with the public profile for an anonymous caller, following false', async () => {
      const response = await api(app).get(`/api/profiles/${celeb.username}`);

      expect(response.status).toBe(200);
      expectMatchesSpec(response, 'GET', '/profiles/{username}');
      expect(response.body).toEqual({
        profile: { username: celeb.username, bio: 'Famous for things', image: 'https://example.test/celeb.png', following: false },
      });
    });

    it('shows following as seen by the caller', async () => {
      const other = await registerUser(app);
      await follow(app, fan, celeb.username);

      const asFan = await api(app).get(`/api/profiles/${celeb.username}`).set('Authorization', auth(fan.token));
      expect(asFan.status).toBe(200);
      expectMatchesSpec(asFan, 'GET', '/profiles/{username}');
      expect(asFan.body.profile.following).toBe(true);

      const asOther = await api(app).get(`/api/profiles/${celeb.username}`).set('Authorization', auth(other.token));
      expect(asOther.status).toBe(200);
      expectMatchesSpec(asOther, 'GET', '/profiles/{username}');
      expect(asOther.body.profile.following).toBe(false);
    });

    it('finds a username with non-ASCII letters', async () => {
      const user = await registerUser(app, { username: unique('jösé_') });
      const response = await api(app).get(`/api/profiles/${encodeURIComponent(user.username)}`);

      expect(response.status).toBe(200);
      expectMatchesSpec(response, 'GET', '/profiles/{username}');
      expect(response.body.profile.username).toBe(user.username);
    });

    it('answers 404 {"profile":["not found"]} for an unknown username', async () => {
      const response = await api(app).get(`/api/profiles/${unique('nobody')}`);

      expect(response.status).toBe(404);
      expectMatchesSpec(response, 'GET', '/profiles/{username}');
      expect(response.body).toEqual({ errors: { profile: ['not found'] } });
    });

    it('answers 401 for a bad token even though auth is optional', async () => {
      const invalid = await api(app).get(`/api/profiles/${celeb.username}`).set('Authorization', 'Token not-a-jwt');
      expect(invalid.status).toBe(401);
      expectMatchesSpec(invalid, 'GET', '/profiles/{username}');
      expect(invalid.body).toEqual({ errors: { token: ['is invalid'] } });

      const expired = await api(app)
        .get(`/api/profiles/${celeb.username}`)
        .set('Authorization', auth(expiredToken(fan.id, jwtSecret(app))));
      expect(expired.status).toBe(401);
      expectMatchesSpec(expired, 'GET', '/profiles/{username}');
      expect(expired.body).toEqual({ errors: { token: ['is invalid'] } });
    });
  });

  describe('profile changes', () => {
    it('shows a new username, bio and image at once on the profile, the articles and the comments', async () => {
      const writer = await registerUser(app);
      const article = await createArticle(app, writer);
      await addComment(app, writer, article.slug);
      // Read everything first, so that a stale copy would be served afterwards if one were kept.
      await api(app).get(`/api/profiles/${writer.username}`).expect(200);
      await api(app).get(`/api/articles/${article.slug}`).expect(200);
      await api(app).get(`/api/articles/${article.slug}/comments`).expect(200);
      await api(app).get('/api/articles').query({ author: writer.username }).expect(200);

      const username = unique('renamed');
      const changes = { username, bio: 'A new me', image: 'https://example.test/new.png' };
      await api(app).put('/api/user').set('Authorization', auth(writer.token)).send({ user: changes }).expect(200);
      const expected = { ...changes, following: false };

      const profile = await api(app).get(`/api/profiles/${username}`);
      expect(profile.status).toBe(200);
      expectMatchesSpec(profile, 'GET', '/profiles/{username}');
      expect(profile.body.profile).toEqual(expected);
      const oldProfile = await api(app).get(`/api/profiles/${writer.username}`);
      expect(oldProfile.status).toBe(404);
      expectMatchesSpec(oldProfile, 'GET', '/profiles/{username}');

      expect((await api(app).get(`/api/articles/${article.slug}`)).body.article.author).toEqual(expected);
      expect((await api(app).get(`/api/articles/${article.slug}/comments`)).body.comments[0].author).toEqual(expected);
      const byNewName = await api(app).get('/api/articles').query({ author: username });
      expect(byNewName.body.articles.map((item: { slug: string }) => item.slug)).toEqual([article.slug]);
      expect(byNewName.body.articles[0].author).toEqual(expected);
      const byOldName = await api(app).get('/api/articles').query({ author: writer.username });
      expect(byOldName.body).toEqual({ articles: [], articlesCount: 0 });
    });
  });

  describe('POST /api/profiles/{username}/follow', () => {
    it('answers 200 with following true and stores the follow', async () => {
      const [follower, followed] = [await registerUser(app), await registerUser(app)];
      const response = await api(app).post(`/api/profiles/${followed.username}/follow`).set('Authorization', auth(follower.token));

      expect(response.status).toBe(200);
      expectMatchesSpec(response, 'POST', '/profiles/{username}/follow');
      expect(response.body).toEqual({ profile: { username: followed.username, bio: null, image: null, following: true } });
      expect(await followRow(follower, followed)).toBe(1);
      expect(await followRow(followed, follower)).toBe(0);
    });

    it('is idempotent: following twice answers 200 and keeps one follow', async () => {
      const [follower, followed] = [await registerUser(app), await registerUser(app)];
      await follow(app, follower, followed.username);
      const response = await api(app).post(`/api/profiles/${followed.username}/follow`).set('Authorization', auth(follower.token));

      expect(response.status).toBe(200);
      expectMatchesSpec(response, 'POST', '/profiles/{username}/follow');
      expect(response.body.profile.following).toBe(true);
      expect(await followRow(follower, followed)).toBe(1);
    });

    it('answers 422 {"profile":["cannot follow yourself"]} and stores nothing', async () => {
      const response = await api(app).post(`/api/profiles/${fan.username}/follow`).set('Authorization', auth(fan.token));

      expect(response.status).toBe(422);
      expectMatchesSpec(response, 'POST', '/profiles/{username}/follow');
      expect(response.body).toEqual({ errors: { profile: ['cannot follow yourself'] } });
      expect(await followRow(fan, fan)).toBe(0);
    });

    it('answers 404 {"profile":["not found"]} for an unknown username', async () => {
      const response = await api(app).post(`/api/profiles/${unique('nobody')}/follow`).set('Authorization', auth(fan.token));

      expect(response.status).toBe(404);
      expectMatchesSpec(response, 'POST', '/profiles/{username}/follow');
      expect(response.body).toEqual({ errors: { profile: ['not found'] } });
    });

    it('answers 401 without a token, and with a bad one', async () => {
      const missing = await api(app).post(`/api/profiles/${celeb.username}/follow`);
      expect(missing.status).toBe(401);
      expectMatchesSpec(missing, 'POST', '/profiles/{username}/follow');
      expect(missing.body).toEqual({ errors: { token: ['is missing'] } });

      const invalid = await api(app).post(`/api/profiles/${celeb.username}/follow`).set('Authorization', 'Token x.y.z');
      expect(invalid.status).toBe(401);
      expectMatchesSpec(invalid, 'POST', '/profiles/{username}/follow');
      expect(invalid.body).toEqual({ errors: { token: ['is invalid'] } });
    });
  });

  describe('DELETE /api/profiles/{username}/follow', () => {
    it('answers 200 with following false and removes the follow', async () => {
      const [follower, followed] = [await registerUser(app), await registerUser(app)];
      await follow(app, follower, followed.username);

      const response = await api(app).delete(`/api/profiles/${followed.username}/follow`).set('Authorization', auth(follower.token));

      expect(response.status).toBe(200);
      expectMatchesSpec(response, 'DELETE', '/profiles/{username}/follow');
      expect(response.body).toEqual({ profile: { username: followed.username, bio: null, image: null, following: false } });
      expect(await followRow(follower, followed)).toBe(0);
      const profile = await api(app).get(`/api/profiles/${followed.username}`).set('Authorization', auth(follower.token));
      expect(profile.body.profile.following).toBe(false);
    });

    it('answers 200 when the caller did not follow, and changes nothing else', async () => {
      const [follower, followed, third] = [await registerUser(app), await registerUser(app), await registerUser(app)];
      await follow(app, third, followed.username);

      const response = await api(app).delete(`/api/profiles/${followed.username}/follow`).set('Authorization', auth(follower.token));

      expect(response.status).toBe(200);
      expectMatchesSpec(response, 'DELETE', '/profiles/{username}/follow');
      expect(response.body.profile.following).toBe(false);
      expect(await followRow(third, followed)).toBe(1);
    });

    it('answers 404 {"profile":["not found"]} for an unknown username', async () => {
      const response = await api(app).delete(`/api/profiles/${unique('nobody')}/follow`).set('Authorization', auth(fan.token));

      expect(response.status).toBe(404);
      expectMatchesSpec(response, 'DELETE', '/profiles/{username}/follow');
      expect(response.body).toEqual({ errors: { profile: ['not found'] } });
    });

    it('answers 401 without a token, and with an expired one', async () => {
      const missing = await api(app).delete(`/api/profiles/${celeb.username}/follow`);
      expect(missing.status).toBe(401);
      expectMatchesSpec(missing, 'DELETE', '/profiles/{username}/follow');
      expect(missing.body).toEqual({ errors: { token: ['is missing'] } });

      const expired = await api(app)
        .delete(`/api/profiles/${celeb.username}/follow`)
        .set('Authorization', auth(expiredToken(fan.id, jwtSecret(app))));
      expect(expired.status).toBe(401);
      expectMatchesSpec(expired, 'DELETE', '/profiles/{username}/follow');
      expect(expired.body).toEqual({ errors: { token: ['is invalid'] } });
    });
  });
});
