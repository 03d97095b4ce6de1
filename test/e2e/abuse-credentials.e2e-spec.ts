import { spawnSync } from 'node:child_process';
import path from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { ensureBuilt } from '../helpers/child-processes';
import { createTestApp, resetDatabase } from '../helpers/app';
import { api, auth, registerUser, TestUser } from '../helpers/factories';
import { expectMatchesSpec } from '../helpers/openapi';
import { claimsFor, decodeClaims, jwtSecret, sign } from '../helpers/tokens';

/**
 * Credentials that must not outlive a change: changing the password or the email needs the
 * current password and retires every token issued before (also after `cli user:reset-password`),
 * tokens carry an issuer, an audience and an expiry, and no answer holding a token may be cached.
 */

jest.setTimeout(60_000);

const CLI = path.resolve(__dirname, '../../dist/src/cli.js');

describe('Credentials that outlive a change', () => {
  let app: NestExpressApplication;

  beforeAll(async () => {
    app = await createTestApp();
    await resetDatabase(app);
  });

  afterAll(async () => {
    await app.close();
  });

  const me = (token: string) => api(app).get('/api/user').set('Authorization', auth(token));
  const update = (token: string, user: Record<string, unknown>) => api(app).put('/api/user').set('Authorization', auth(token)).send({ user });

  describe('changing the password or the email needs the current password', () => {
    let user: TestUser;

    beforeAll(async () => {
      user = await registerUser(app);
    });

    it('refuses a password change without the current password, or with a wrong one, and changes nothing', async () => {
      const missing = await update(user.token, { password: 'a-brand-new-password' });
      expect(missing.status).toBe(422);
      expect(missing.body).toEqual({ errors: { currentPassword: ["can't be blank"] } });

      const wrong = await update(user.token, { password: 'a-brand-new-password', currentPassword: `${user.password}x` });
      expect(wrong.status).toBe(422);
      expect(wrong.body).toEqual({ errors: { currentPassword: ['is incorrect'] } });

      const login = await api(app).post('/api/users/login').send({ user: { email: user.email, password: user.password } });
      expect(login.status).toBe(200);
      expect((await me(user.token)).status).toBe(200);
    });

    it('refuses an email change without the current password', async () => {
      const response = await update(user.token, { email: `new-${user.email}` });
      expect(response.status).toBe(422);
      expect(response.body).toEqual({ errors: { currentPassword: ["can't be blank"] } });
      expect((await me(user.token)).body.user.email).toBe(user.email);
    });

    it('does not count the same email, in another case, as a change (no current password needed, the token stays valid)', async () => {
      const response = await update(user.token, { email: user.email.toUpperCase(), bio: 'same address' });
      expect(response.status).toBe(200);
      expect(response.body.user).toMatchObject({ email: user.email, bio: 'same address', token: user.token });
      expect((await me(user.token)).status).toBe(200);
    });

    it('does not ask for the current password for other fields', async () => {
      const response = await update(user.token, { bio: 'just the bio' });
      expect(response.status).toBe(200);
      expect(response.body.user.token).toBe(user.token);
    });
  });

  describe('a change retires every earlier token', () => {
    it('after a password change: the old tokens are refused everywhere, the answer carries a new one', async () => {
      const user = await registerUser(app);
      const otherSession = (await api(app).post('/api/users/login').send({ user: { email: user.email, password: user.password } })).body.user.token as string;
      expect((await me(otherSession)).status).toBe(200);

      const response = await update(user.token, { password: 'a-brand-new-password', currentPassword: user.password });
      expect(response.status).toBe(200);
      expectMatchesSpec(response, 'PUT', '/user');
      const fresh = response.body.user.token as string;
      expect(fresh).not.toBe(user.token);

      for (const old of [user.token, otherSession]) {
        expect((await me(old)).status).toBe(401);
        // Optional-auth routes refuse it too (a present but invalid token is a 401).
        expect((await api(app).get('/api/articles').set('Authorization', auth(old))).status).toBe(401);
      }
      expect((await me(fresh)).status).toBe(200);
      const login = await api(app).post('/api/users/login').send({ user: { email: user.email, password: 'a-brand-new-password' } });
      expect(login.status).toBe(200);
      expect((await me(login.body.user.token as string)).status).toBe(200);
    });

    it('after an email change', async () => {
      const user = await registerUser(app);
      const newEmail = `moved-${user.email}`;
      const response = await update(user.token, { email: newEmail, currentPassword: user.password });
      expect(response.status).toBe(200);
      expect(response.body.user.email).toBe(newEmail);
      expect((await me(user.token)).status).toBe(401);
      expect((await me(response.body.user.token as string)).status).toBe(200);
    });

    it('after `cli user:reset-password`', async () => {
      await ensureBuilt();
      const user = await registerUser(app);
      expect((await me(user.token)).status).toBe(200);

      const run = spawnSync(process.execPath, [CLI, 'user:reset-password', user.email, '--password', 'reset-by-the-operator'], {
        env: { ...process.env, NO_COLOR: '1' },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);

      expect((await me(user.token)).status).toBe(401);
      const login = await api(app).post('/api/users/login').send({ user: { email: user.email, password: 'reset-by-the-operator' } });
      expect(login.status).toBe(200);
    });
  });

  describe('token claims', () => {
    let user: TestUser;

    beforeAll(async () => {
      user = await registerUser(app);
    });

    it('issues tokens with an issuer, an audience and an expiry', () => {
      const claims = decodeClaims(user.token);
      expect(claims.iss).toEqual(expect.any(String));
      expect(claims.aud).toEqual(expect.any(String));
      expect(claims.exp).toEqual(expect.any(Number));
      expect(claims.exp!).toBeGreaterThan(Date.now() / 1000);
    });

    it('refuses a correctly signed token without an expiry, or with another issuer or audience', async () => {
      const secret = jwtSecret(app);
      const good = claimsFor(user.id);
      expect((await me(sign(good, secret))).status).toBe(200);

      const { exp: _exp, ...withoutExpiry } = good;
      expect((await me(sign(withoutExpiry, secret))).status).toBe(401);
      expect((await me(sign({ ...good, iss: 'someone-else' }, secret))).status).toBe(401);
      expect((await me(sign({ ...good, aud: 'another-service' }, secret))).status).toBe(401);
      const { iss: _iss, aud: _aud, ...withoutIssuer } = good;
      expect((await me(sign(withoutIssuer, secret))).status).toBe(401);
    });
  });

  describe('answers that carry a token are never cached', () => {
    it('registration, login, GET and PUT /api/user answer Cache-Control: no-store', async () => {
      const user = await registerUser(app);
      const responses = [
        await api(app).post('/api/users').send({ user: { username: `${user.username}b`, email: `b-${user.email}`, password: 'another-password' } }),
        await api(app).post('/api/users/login').send({ user: { email: user.email, password: user.password } }),
        await me(user.token),
        await update(user.token, { bio: 'cached?' }),
      ];
      for (const response of responses) {
        expect(response.status).toBeLessThan(300);
        expect(response.body.user.token).toEqual(expect.any(String));
        expect(response.headers['cache-control']).toBe('no-store');
      }
    });
  });
});
