import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import path from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { createTestApp, resetDatabase } from '../helpers/app';
import { ensureBuilt, freePort, startApi, startThrowawayRedis, stopAll, ThrowawayRedis } from '../helpers/child-processes';
import { api, auth, createArticle, registerUser, TestUser, unique } from '../helpers/factories';
import { backgroundEnv, startSmtpCapture, startWorker } from '../helpers/worker';

/**
 * Smaller abuse cases, one block each: wrong logins that lock the owner out, short passwords,
 * dangerous `image` URLs, usernames that differ only by case or look-alike characters, highlight
 * marks smuggled into a title, metrics ports open to the network, a public default JWT secret in
 * production, and scheduled articles revealed by 403/409.
 */

jest.setTimeout(90_000);

const ROOT = path.resolve(__dirname, '../..');

/** Whether a TCP connection to `host:port` is accepted. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** An address of this machine other than loopback, which another machine could connect to. */
function externalAddress(): string {
  const address = Object.values(networkInterfaces())
    .flat()
    .find((candidate) => candidate && !candidate.internal && candidate.family === 'IPv4');
  if (!address) throw new Error('this machine has no non-loopback IPv4 address to check the metrics ports against');
  return address.address;
}

describe('Smaller abuse cases (in process)', () => {
  let app: NestExpressApplication;

  beforeAll(async () => {
    app = await createTestApp();
    await resetDatabase(app);
  });

  afterAll(async () => {
    await app.close();
  });

  describe('passwords of at least 8 characters (OWASP ASVS)', () => {
    it('refuses a shorter one at registration', async () => {
      for (const password of ['x', 'seven77']) {
        const response = await api(app).post('/api/users').send({ user: { username: unique('short'), email: `${unique('short')}@example.test`, password } });
        expect(response.status).toBe(422);
        expect(response.body).toEqual({ errors: { password: ['is too short (minimum is 8 characters)'] } });
      }
      expect((await api(app).post('/api/users').send({ user: { username: unique('ok'), email: `${unique('ok')}@example.test`, password: 'eight888' } })).status).toBe(201);
    });

    it('refuses a shorter one on change', async () => {
      const user = await registerUser(app);
      const response = await api(app).put('/api/user').set('Authorization', auth(user.token)).send({ user: { password: 'seven77', currentPassword: user.password } });
      expect(response.status).toBe(422);
      expect(response.body.errors.password).toEqual(['is too short (minimum is 8 characters)']);
    });
  });

  describe('image takes only http(s) URLs or an upload id', () => {
    let user: TestUser;

    beforeAll(async () => {
      user = await registerUser(app);
    });

    const setImage = (image: string) => api(app).put('/api/user').set('Authorization', auth(user.token)).send({ user: { image } });

    it.each([
      'javascript:alert(document.cookie)',
      'JaVaScRiPt:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=',
      'ftp://example.com/avatar.png',
      '//example.com/avatar.png',
      'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
      'http://metadata.google.internal/computeMetadata/v1/',
      'http://[fd00:ec2::254]/latest/meta-data/',
      'http://[fe80::1]/avatar.png',
      'http://127.0.0.1:6379/',
      'http://localhost/avatar.png',
      'http://0.0.0.0/avatar.png',
      'http://[::1]/avatar.png',
      'http://2130706433/avatar.png',
      'http://user:pass@example.com/avatar.png',
    ])('refuses %s', async (image) => {
      const response = await setImage(image);
      expect(response.status).toBe(422);
      expect(Object.keys(response.body.errors)).toEqual(['image']);
    });

    it('accepts an https URL, and an http one', async () => {
      for (const image of ['https://images.example.com/me.png', 'http://cdn.example.org/a/b.jpg?size=256']) {
        const response = await setImage(image);
        expect(response.status).toBe(200);
        expect(response.body.user.image).toBe(image);
      }
    });
  });

  describe('usernames are unique whatever their case or look-alike characters', () => {
    it('refuses a username that differs from a taken one only by case', async () => {
      const name = unique('Alice');
      await registerUser(app, { username: name });
      for (const variant of [name.toLowerCase(), name.toUpperCase()]) {
        const response = await api(app).post('/api/users').send({ user: { username: variant, email: `${unique('v')}@example.test`, password: 'variant-password' } });
        expect(response.status).toBe(409);
        expect(response.body).toEqual({ errors: { username: ['has already been taken'] } });
      }
    });

    it('refuses a rename to another case of a taken username', async () => {
      const taken = await registerUser(app, { username: unique('Bob') });
      const other = await registerUser(app);
      const response = await api(app).put('/api/user').set('Authorization', auth(other.token)).send({ user: { username: taken.username.toUpperCase() } });
      expect(response.status).toBe(409);
      expect(response.body).toEqual({ errors: { username: ['has already been taken'] } });
      // One's own name in another case is a rename, not a conflict.
      const own = await api(app).put('/api/user').set('Authorization', auth(taken.token)).send({ user: { username: taken.username.toUpperCase() } });
      expect(own.status).toBe(200);
    });

    it('folds compatibility characters (NFKC): full-width letters are the plain ones', async () => {
      const name = unique('carol');
      await registerUser(app, { username: name });
      const fullWidth = [...name].map((character) => (/[a-z0-9]/.test(character) ? String.fromCodePoint(character.codePointAt(0)! + 0xfee0) : character)).join('');
      const response = await api(app).post('/api/users').send({ user: { username: fullWidth, email: `${unique('fw')}@example.test`, password: 'fullwidth-password' } });
      expect(response.status).toBe(409);
      expect(response.body).toEqual({ errors: { username: ['has already been taken'] } });
    });

    it('refuses a username mixing Latin, Greek or Cyrillic letters (look-alikes such as Cyrillic "а" in "аdmin")', async () => {
      const response = await api(app).post('/api/users').send({ user: { username: '\u0430dmin', email: `${unique('mix')}@example.test`, password: 'mixed-password' } });
      expect(response.status).toBe(422);
      expect(Object.keys(response.body.errors)).toEqual(['username']);
      // One script alone is fine.
      expect((await api(app).post('/api/users').send({ user: { username: `\u0431\u043e\u0440\u0438\u0441${Math.floor(Math.random() * 1e9)}`, email: `${unique('cy')}@example.test`, password: 'cyrillic-password' } })).status).toBe(201);
    });
  });

  describe('search highlights', () => {
    it('never turns the private-use marks U+E000/U+E001 of a title into <em>', async () => {
      const author = await registerUser(app);
      const word = `zeppelin${unique('w').replace(/[0-9]/g, '')}`;
      await createArticle(app, author, { title: `${word} \uE000<b>owned</b>\uE001 and \uE000pwned\uE001`, body: `About ${word}.` });
      const response = await api(app).get('/api/search/articles').query({ q: word });
      expect(response.status).toBe(200);
      expect(response.body.articles).toHaveLength(1);
      const [title] = response.body.articles[0].highlights.title as string[];
      expect(title).toContain(`<em>${word}</em>`);
      expect(title.match(/<em>/g)).toHaveLength(1);
      expect(title).not.toContain('<b>');
    });
  });

  describe('a scheduled article is not revealed to others', () => {
    let author: TestUser;
    let other: TestUser;
    let slug: string;
    let title: string;

    beforeAll(async () => {
      [author, other] = [await registerUser(app), await registerUser(app)];
      title = `Secret plans ${unique('s')}`;
      const response = await api(app)
        .post('/api/articles')
        .set('Authorization', auth(author.token))
        .send({ article: { title, description: 'soon', body: 'not yet', publishAt: new Date(Date.now() + 86_400_000).toISOString() } });
      expect(response.status).toBe(201);
      slug = response.body.article.slug as string;
    });

    it('answers 404, not 403, to another user updating or deleting it', async () => {
      const update = await api(app).put(`/api/articles/${slug}`).set('Authorization', auth(other.token)).send({ article: { body: 'mine now' } });
      expect(update.status).toBe(404);
      expect(update.body).toEqual({ errors: { article: ['not found'] } });
      const remove = await api(app).delete(`/api/articles/${slug}`).set('Authorization', auth(other.token));
      expect(remove.status).toBe(404);
      expect(remove.body).toEqual({ errors: { article: ['not found'] } });
      // The author still can.
      expect((await api(app).put(`/api/articles/${slug}`).set('Authorization', auth(author.token)).send({ article: { body: 'still not yet' } })).status).toBe(200);
    });

    it('answers no 409 to another user choosing the same title (the new article gets a slug of its own)', async () => {
      const created = await api(app).post('/api/articles').set('Authorization', auth(other.token)).send({ article: { title, description: 'd', body: 'b' } });
      expect(created.status).toBe(201);
      expect(created.body.article.slug).not.toBe(slug);
      const mine = await createArticle(app, other);
      const renamed = await api(app).put(`/api/articles/${mine.slug}`).set('Authorization', auth(other.token)).send({ article: { title } });
      expect(renamed.status).toBe(200);
      expect(renamed.body.article.slug).not.toBe(slug);
      // The scheduled article is untouched.
      const own = await api(app).get(`/api/articles/${slug}`).set('Authorization', auth(author.token));
      expect(own.status).toBe(200);
      expect(own.body.article.author.username).toBe(author.username);
    });

    it('still answers 409 for the title of a published article', async () => {
      const published = await createArticle(app, author);
      const response = await api(app).post('/api/articles').set('Authorization', auth(other.token)).send({ article: { title: published.title, description: 'd', body: 'b' } });
      expect(response.status).toBe(409);
    });
  });
});

describe('Smaller abuse cases (processes)', () => {
  let redis: ThrowawayRedis;

  beforeAll(async () => {
    redis = await startThrowawayRedis();
  });

  afterAll(async () => {
    await stopAll();
  });

  it('six wrong logins from one address do not lock the owner out from another', async () => {
    const server = await startApi({ REDIS_URL: redis.url, RATE_LIMIT_ENABLED: 'true', TRUST_PROXY: 'loopback' });
    const owner = { username: unique('owner'), email: `${unique('owner')}@example.test`, password: 'the-owners-password' };
    expect((await request(server.url).post('/api/users').set('X-Forwarded-For', '192.0.2.200').send({ user: owner })).status).toBe(201);
    const login = (password: string, from: string) => request(server.url).post('/api/users/login').set('X-Forwarded-For', from).send({ user: { email: owner.email, password } });

    const statuses: number[] = [];
    for (let attempt = 0; attempt < 6; attempt += 1) statuses.push((await login(`wrong-${attempt}`, '203.0.113.66')).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    // The attacker's address is limited on this account...
    expect(statuses[5]).toBe(429);
    expect((await login(owner.password, '203.0.113.66')).status).toBe(429);
    // ...the owner, elsewhere, is not.
    expect((await login(owner.password, '192.0.2.201')).status).toBe(200);
  });

  it('serves METRICS_PORT and WORKER_METRICS_PORT on loopback only by default', async () => {
    const external = externalAddress();
    const apiMetrics = await freePort();
    await startApi({ REDIS_URL: redis.url, METRICS_PORT: String(apiMetrics) });
    expect(await accepts('127.0.0.1', apiMetrics)).toBe(true);
    expect(await accepts(external, apiMetrics)).toBe(false);

    const smtp = await startSmtpCapture();
    try {
      const workerMetrics = await freePort();
      await startWorker({ ...backgroundEnv(redis, smtp), WORKER_METRICS_PORT: String(workerMetrics) });
      expect(await accepts('127.0.0.1', workerMetrics)).toBe(true);
      expect(await accepts(external, workerMetrics)).toBe(false);
    } finally {
      await smtp.close();
    }
  });

  it('refuses to start in production with the public default JWT_SECRET, in one line', async () => {
    await ensureBuilt();
    const compose = readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');
    const example = readFileSync(path.join(ROOT, '.env.example'), 'utf8');
    // The compose file has no default secret any more (`up` asks for one); the one it used to ship
    // and the example's stay published, and so refused.
    expect(compose).toMatch(/JWT_SECRET:\s*\$\{JWT_SECRET:\?/);
    const defaults = ['local-development-only-jwt-secret-do-not-use-in-production', /^JWT_SECRET=(.+)$/m.exec(example)?.[1]];
    expect(defaults.every((secret) => typeof secret === 'string' && secret.length >= 32)).toBe(true);
    for (const secret of defaults) {
      const run = await new Promise<{ code: number | null; output: string }>((resolve) => {
        const child = spawn(process.execPath, [path.join(ROOT, 'dist/src/main.js')], {
          cwd: ROOT,
          env: { ...process.env, NODE_ENV: 'production', JWT_SECRET: secret!, PORT: '0', REDIS_URL: redis.url },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let output = '';
        child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        child.once('close', (code) => {
          clearTimeout(timer);
          resolve({ code, output });
        });
      });
      expect(run.code).toBe(1);
      expect(run.output.trim().split('\n')).toEqual([expect.stringMatching(/JWT_SECRET .*default/)]);
    }
  });
});
