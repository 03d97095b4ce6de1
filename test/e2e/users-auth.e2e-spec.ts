import type { NestExpressApplication } from '@nestjs/platform-express';
import { createTestApp, resetDatabase } from '../helpers/app';
import { api, auth, db, newUserInput, registerUser, TestUser, unique } from '../helpers/factories';
import { expectMatchesSpec, expectUndeclaredError } from '../helpers/openapi';
import { decodeClaims } from '../helpers/tokens';

describe('Users and authentication', () => {
  let app: NestExpressApplication;

  beforeAll(async () => {
    app = await createTestApp();
    await resetDatabase(app);
  });

  afterAll(async () => {
    await app.close();
  });

  describe('POST /api/users (register)', () => {
    it('creates the user, answers 201 with the user and a working token', async () => {
      const input = newUserInput();
      const response = await api(app).post('/api/users').send({ user: input });

      expect(response.status).toBe(201);
      expectMatchesSpec(response, 'POST', '/users');
      expect(response.body).toEqual({
        user: { email: input.email, username: input.username, bio: null, image: null, token: expect.any(String) },
      });
      const token = response.body.user.token as string;
      expect(token.split('.')).toHaveLength(3);

      const me = await api(app).get('/api/user').set('Authorization', auth(token));
      expect(me.status).toBe(200);
      expect(me.body.user.username).toBe(input.username);
    });

    it('stores the password hashed with argon2id (memory-hard), never in clear', async () => {
      const input = newUserInput();
      await api(app).post('/api/users').send({ user: input }).expect(201);

      const row = await db(app).user.findUniqueOrThrow({ where: { username: input.username } });
      expect(row.passwordHash).not.toContain(input.password);
      // PHC string format: $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash> (parameters in any order).
      const [, algorithm, version, parameters, salt, hash] = row.passwordHash.split('$');
      expect(algorithm).toBe('argon2id');
      expect(version).toBe('v=19');
      const params = Object.fromEntries(parameters.split(',').map((pair) => pair.split('=')).map(([key, value]) => [key, Number(value)]));
      expect(params.m).toBeGreaterThanOrEqual(19 * 1024);
      expect(params.t).toBeGreaterThanOrEqual(2);
      expect(params.p).toBeGreaterThanOrEqual(1);
      expect(salt.length).toBeGreaterThanOrEqual(16);
      expect(hash.length).toBeGreaterThanOrEqual(32);
    });

    it('stores and returns the email lower-cased', async () => {
      const username = unique('mixed');
      const response = await api(app)
        .post('/api/users')
        .send({ user: { username, email: `  ${username.toUpperCase()}@Example.TEST `, password: 'secret-password' } });

      expect(response.status).toBe(201);
      expectMatchesSpec(response, 'POST', '/users');
      expect(response.body.user.email).toBe(`${username.toLowerCase()}@example.test`);
      const row = await db(app).user.findUniqueOrThrow({ where: { username } });
      expect(row.email).toBe(`${username.toLowerCase()}@example.test`);
    });

    it('answers 409 on a taken username', async () => {
      const existing = await registerUser(app);
      const response = await api(app)
        .post('/api/users')
        .send({ user: newUserInput({ username: existing.username, email: `${unique('other')}@example.test` }) });

      expect(response.status).toBe(409);
      expectMatchesSpec(response, 'POST', '/users');
      expect(response.body).toEqual({ errors: { username: ['has already been taken'] } });
    });

    it('answers 409 on a taken email, whatever its case', async () => {
      const existing = await registerUser(app);
      const response = await api(app)
        .post('/api/users')
        .send({ user: newUserInput({ username: unique('other'), email: existing.email.toUpperCase() }) });

      expect(response.status).toBe(409);
      expectMatchesSpec(response, 'POST', '/users');
      expect(response.body).toEqual({ errors: { email: ['has already been taken'] } });
    });

    it('names both fields when username and email are both taken', async () => {
      const existing = await registerUser(app);
      const response = await api(app)
        .post('/api/users')
        .send({ user: { username: existing.username, email: existing.email, password: 'another-password' } });

      expect(response.status).toBe(409);
      expectMatchesSpec(response, 'POST', '/users');
      expect(response.body.errors).toEqual({ username: ['has already been taken'], email: ['has already been taken'] });
    });

    it('lets exactly one of three concurrent registrations of one username succeed, the others 409 on username', async () => {
      const username = unique('race');
      const responses = await Promise.all(
        [1, 2, 3].map((n) =>
          api(app).post('/api/users').send({ user: { username, email: `${username}-${n}@example.test`, password: 'race-password' } }),
        ),
      );

      expect(responses.map((response) => response.status).sort()).toEqual([201, 409, 409]);
      for (const response of responses) expectMatchesSpec(response, 'POST', '/users');
      for (const response of responses.filter((r) => r.status === 409)) {
        expect(response.body).toEqual({ errors: { username: ['has already been taken'] } });
      }
      expect(await db(app).user.count({ where: { username } })).toBe(1);
    });

    it.each([
      ['no user envelope', {}, { user: ["can't be blank"] }],
      ['a missing email', { user: { username: 'nobody1', password: 'password' } }, { email: ["can't be blank"] }],
      ['a missing username', { user: { email: 'nobody2@example.test', password: 'password' } }, { username: ["can't be blank"] }],
      ['a missing password', { user: { username: 'nobody3', email: 'nobody3@example.test' } }, { password: ["can't be blank"] }],
      ['an invalid email', { user: { username: 'nobody4', email: 'not-an-email', password: 'password' } }, { email: ['is invalid'] }],
      ['a blank username', { user: { username: '   ', email: 'nobody5@example.test', password: 'password' } }, { username: ["can't be blank"] }],
      ['a non-string password', { user: { username: 'nobody6', email: 'nobody6@example.test', password: 12345678 } }, { password: ['must be a string'] }],
      ['an empty password', { user: { username: 'nobody7', email: 'nobody7@example.test', password: '' } }, { password: ["can't be blank"] }],
    ])('answers 422 keyed by the field for %s, and creates nobody', async (_case, body, errors) => {
      const before = await db(app).user.count();
      const response = await api(app).post('/api/users').send(body);

      expect(response.status).toBe(422);
      expectMatchesSpec(response, 'POST', '/users');
      expect(response.body).toEqual({ errors });
      expect(await db(app).user.count()).toBe(before);
    });

    it.each([['a space', 'jake smith'], ['a slash', 'jake/smith'], ['a question mark', 'jake?']])(
      'answers 422 keyed "username" for a username with %s (usernames appear in URLs)',
      async (_case, username) => {
        const response = await api(app)
          .post('/api/users')
          .send({ user: { username, email: `${unique('pattern')}@example.test`, password: 'password' } });

        expect(response.status).toBe(422);
        expectMatchesSpec(response, 'POST', '/users');
        expect(Object.keys(response.body.errors)).toEqual(['username']);
      },
    );

    it('answers 422 on a username that is too long', async () => {
      const response = await api(app)
        .post('/api/users')
        .send({ user: { username: 'u'.repeat(41), email: `${unique('long')}@example.test`, password: 'password' } });

      expect(response.status).toBe(422);
      expectMatchesSpec(response, 'POST', '/users');
      expect(Object.keys(response.body.errors)).toEqual(['username']);
    });
  });

  describe('POST /api/users/login', () => {
    let user: TestUser;

    beforeAll(async () => {
      user = await registerUser(app);
    });

    it('answers 200 with the user and a fresh token for the right password', async () => {
      const response = await api(app).post('/api/users/login').send({ user: { email: user.email, password: user.password } });

      expect(response.status).toBe(200);
      expectMatchesSpec(response, 'POST', '/users/login');
      expect(response.body.user).toEqual({ email: user.email, username: user.username, bio: null, image: null, token: expect.any(String) });
      expect(decodeClaims(response.body.user.token as string).sub).toBe(String(user.id));
      const me = await api(app).get('/api/user').set('Authorization', auth(response.body.user.token as string));
      expect(me.status).toBe(200);
      expect(me.body.user.email).toBe(user.email);
    });

    it('accepts the email in any case', async () => {
      const response = await api(app)
        .post('/api/users/login')
        .send({ user: { email: user.email.toUpperCase(), password: user.password } });

      expect(response.status).toBe(200);
      expectMatchesSpec(response, 'POST', '/users/login');
      expect(response.body.user.username).toBe(user.username);
    });

    it('answers 401 "email or password is invalid" for a wrong password', async () => {
      const response = await api(app).post('/api/users/login').send({ user: { email: user.email, password: `${user.password}x` } });

      expect(response.status).toBe(401);
      expectMatchesSpec(response, 'POST', '/users/login');
      expect(response.body).toEqual({ errors: { 'email or password': ['is invalid'] } });
    });

    it('answers the same 401 for an unknown email', async () => {
      const response = await api(app)
        .post('/api/users/login')
        .send({ user: { email: `${unique('ghost')}@example.test`, password: user.password } });

      expect(response.status).toBe(401);
      expectMatchesSpec(response, 'POST', '/users/login');
      expect(response.body).toEqual({ errors: { 'email or password': ['is invalid'] } });
    });

    it.each([
      ['no user envelope', {}, { user: ["can't be blank"] }],
      ['a missing password', { user: { email: 'someone@example.test' } }, { password: ["can't be blank"] }],
      ['a missing email', { user: { password: 'password' } }, { email: ["can't be blank"] }],
      ['an invalid email', { user: { email: 'nope', password: 'password' } }, { email: ['is invalid'] }],
      ['a user that is not an object', { user: 'jake' }, { user: ['must be an object'] }],
    ])('answers 422 keyed by the field for %s', async (_case, body, errors) => {
      const response = await api(app).post('/api/users/login').send(body);

      expect(response.status).toBe(422);
      expectMatchesSpec(response, 'POST', '/users/login');
      expect(response.body).toEqual({ errors });
    });
  });

  describe('GET /api/user', () => {
    let user: TestUser;

    beforeAll(async () => {
      user = await registerUser(app);
    });

    it('answers 200 with the current user and echoes the token', async () => {
      const response = await api(app).get('/api/user').set('Authorization', auth(user.token));

      expect(response.status).toBe(200);
      expectMatchesSpec(response, 'GET', '/user');
      expect(response.body).toEqual({ user: { email: user.email, username: user.username, bio: null, image: null, token: user.token } });
    });

    it('accepts `Bearer <jwt>` as well as `Token <jwt>`', async () => {
      const response = await api(app).get('/api/user').set('Authorization', `Bearer ${user.token}`);

      expect(response.status).toBe(200);
      expectMatchesSpec(response, 'GET', '/user');
      expect(response.body.user.username).toBe(user.username);
    });

    it('answers 401 "token is missing" without a token', async () => {
      const response = await api(app).get('/api/user');

      expect(response.status).toBe(401);
      expectMatchesSpec(response, 'GET', '/user');
      expect(response.body).toEqual({ errors: { token: ['is missing'] } });
    });

    it.each([
      ['a garbage token', 'Token not-a-jwt'],
      ['a scheme without a token', 'Token'],
      ['an unknown scheme', () => `Basic ${Buffer.from('jake:jake').toString('base64')}`],
      ['the raw token without a scheme', (token: string) => token],
    ])('answers 401 "token is invalid" for %s', async (_case, header) => {
      const value = typeof header === 'function' ? header(user.token) : header;
      const response = await api(app).get('/api/user').set('Authorization', value);

      expect(response.status).toBe(401);
      expectMatchesSpec(response, 'GET', '/user');
      expect(response.body).toEqual({ errors: { token: ['is invalid'] } });
    });

    it('answers 401 for the token of a user that no longer exists', async () => {
      const gone = await registerUser(app);
      await db(app).user.delete({ where: { id: gone.id } });

      const response = await api(app).get('/api/user').set('Authorization', auth(gone.token));

      expect(response.status).toBe(401);
      expectMatchesSpec(response, 'GET', '/user');
      expect(response.body).toEqual({ errors: { token: ['is invalid'] } });
    });
  });

  describe('PUT /api/user', () => {
    it('updates every field, answers 200 with the new user, and the change is stored', async () => {
      const user = await registerUser(app);
      const username = unique('renamed');
      const changes = { email: `${username}@example.test`, username, bio: 'I like to skateboard', image: 'https://example.test/me.png' };

      // A new email needs the current password, and retires the old token: the answer carries a new one.
      const response = await api(app).put('/api/user').set('Authorization', auth(user.token)).send({ user: { ...changes, currentPassword: user.password } });

      expect(response.status).toBe(200);
      expectMatchesSpec(response, 'PUT', '/user');
      expect(response.body).toEqual({ user: { ...changes, token: expect.any(String) } });
      expect(response.body.user.token).not.toBe(user.token);
      const row = await db(app).user.findUniqueOrThrow({ where: { id: user.id } });
      expect(row).toMatchObject(changes);
      const me = await api(app).get('/api/user').set('Authorization', auth(response.body.user.token as string));
      expect(me.body.user).toMatchObject(changes);
    });

    it('changes the password: the old one stops working and the new one logs in', async () => {
      const user = await registerUser(app);
      const response = await api(app).put('/api/user').set('Authorization', auth(user.token)).send({ user: { password: 'a-brand-new-password', currentPassword: user.password } });

      expect(response.status).toBe(200);
      expectMatchesSpec(response, 'PUT', '/user');
      const oldLogin = await api(app).post('/api/users/login').send({ user: { email: user.email, password: user.password } });
      expect(oldLogin.status).toBe(401);
      const newLogin = await api(app).post('/api/users/login').send({ user: { email: user.email, password: 'a-brand-new-password' } });
      expect(newLogin.status).toBe(200);
      expect(newLogin.body.user.username).toBe(user.username);
    });

    it('clears bio and image with null', async () => {
      const user = await registerUser(app);
      await api(app)
        .put('/api/user')
        .set('Authorization', auth(user.token))
        .send({ user: { bio: 'temporary', image: 'https://example.test/tmp.png' } })
        .expect(200);

      const response = await api(app).put('/api/user').set('Authorization', auth(user.token)).send({ user: { bio: null, image: null } });

      expect(response.status).toBe(200);
      expectMatchesSpec(response, 'PUT', '/user');
      expect(response.body.user).toMatchObject({ bio: null, image: null });
      const row = await db(app).user.findUniqueOrThrow({ where: { id: user.id } });
      expect(row.bio).toBeNull();
      expect(row.image).toBeNull();
    });

    it('lower-cases a new email', async () => {
      const user = await registerUser(app);
      const email = `${unique('Upper')}@EXAMPLE.test`;
      const response = await api(app).put('/api/user').set('Authorization', auth(user.token)).send({ user: { email, currentPassword: user.password } });

      expect(response.status).toBe(200);
      expectMatchesSpec(response, 'PUT', '/user');
      expect(response.body.user.email).toBe(email.toLowerCase());
    });

    it('accepts the current username and email unchanged (they are not "taken" by their owner)', async () => {
      const user = await registerUser(app);
      const response = await api(app)
        .put('/api/user')
        .set('Authorization', auth(user.token))
        .send({ user: { username: user.username, email: user.email, bio: 'same me' } });

      expect(response.status).toBe(200);
      expectMatchesSpec(response, 'PUT', '/user');
      expect(response.body.user).toMatchObject({ username: user.username, email: user.email, bio: 'same me' });
    });

    it('answers 422 when no field is given, and changes nothing', async () => {
      const user = await registerUser(app);
      const response = await api(app).put('/api/user').set('Authorization', auth(user.token)).send({ user: {} });

      expect(response.status).toBe(422);
      expectMatchesSpec(response, 'PUT', '/user');
      expect(Object.keys(response.body.errors)).toEqual(['user']);
      const row = await db(app).user.findUniqueOrThrow({ where: { id: user.id } });
      expect(row).toMatchObject({ username: user.username, email: user.email, bio: null, image: null });
    });

    it.each([
      ['no user envelope', {}, { user: ["can't be blank"] }],
      ['an invalid email', { user: { email: 'not-an-email' } }, { email: ['is invalid'] }],
      ['a blank username', { user: { username: '  ' } }, { username: ["can't be blank"] }],
      ['a bio that is a number', { user: { bio: 42 } }, { bio: ['must be a string or null'] }],
      ['an image that is an object', { user: { image: { url: 'x' } } }, { image: ['must be a string or null'] }],
      ['a password that is null', { user: { password: null } }, { password: ["can't be blank"] }],
      ['an email that is null', { user: { email: null } }, { email: ["can't be blank"] }],
      ['a username that is null', { user: { username: null } }, { username: ["can't be blank"] }],
    ])('answers 422 keyed by the field for %s', async (_case, body, errors) => {
      const user = await registerUser(app);
      const response = await api(app).put('/api/user').set('Authorization', auth(user.token)).send(body);

      expect(response.status).toBe(422);
      expectMatchesSpec(response, 'PUT', '/user');
      expect(response.body).toEqual({ errors });
    });

    it('answers 401 without a token', async () => {
      const response = await api(app).put('/api/user').send({ user: { bio: 'anonymous' } });

      expect(response.status).toBe(401);
      expectMatchesSpec(response, 'PUT', '/user');
      expect(response.body).toEqual({ errors: { token: ['is missing'] } });
    });

    it('answers 409 (a Conduit decision; the spec is silent) on a username or email of another user', async () => {
      const [user, other] = [await registerUser(app), await registerUser(app)];

      const takenUsername = await api(app).put('/api/user').set('Authorization', auth(user.token)).send({ user: { username: other.username } });
      expectUndeclaredError(takenUsername, 'PUT', '/user', 409);
      expect(takenUsername.body).toEqual({ errors: { username: ['has already been taken'] } });

      const takenEmail = await api(app).put('/api/user').set('Authorization', auth(user.token)).send({ user: { email: other.email.toUpperCase(), currentPassword: user.password } });
      expectUndeclaredError(takenEmail, 'PUT', '/user', 409);
      expect(takenEmail.body).toEqual({ errors: { email: ['has already been taken'] } });

      const row = await db(app).user.findUniqueOrThrow({ where: { id: user.id } });
      expect(row).toMatchObject({ username: user.username, email: user.email });
    });
  });
});
