import type { NestExpressApplication } from '@nestjs/platform-express';
import { AddressInfo, connect, createServer, Socket } from 'node:net';
import request from 'supertest';
import { createTestApp } from '../helpers/app';
import { ApiProcess, startApi, startTcpProxy, startThrowawayRedis, stopAll, TcpProxy, ThrowawayRedis } from '../helpers/child-processes';
import { api, registerUser, unique } from '../helpers/factories';
import { waitFor } from '../helpers/worker';

jest.setTimeout(90_000);

describe('Health and security headers', () => {
  let app: NestExpressApplication;

  beforeAll(async () => {
    app = await createTestApp();
  });

  afterAll(async () => {
    await app.close();
  });

  it('answers liveness outside /api', async () => {
    const response = await api(app).get('/health/live');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ok' });
  });

  it('reports PostgreSQL up and Redis reachable when both answer', async () => {
    const response = await api(app).get('/health/ready');
    expect(response.status).toBe(200);
    expect(response.body.details).toEqual({
      database: { status: 'up' },
      redis: { status: 'up', reachable: true },
      search: { status: 'up', engine: 'postgres', reachable: true },
    });
  });

  it('sends security headers on the API without blocking cross-origin reads, and no X-Powered-By', async () => {
    const response = await api(app).get('/api/tags').set('Origin', 'https://frontend.example');
    expect(response.headers['x-powered-by']).toBeUndefined();
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['content-security-policy']).toContain("default-src 'self'");
    expect(response.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(response.headers['access-control-allow-origin']).toBe('https://frontend.example');
  });

  it('serves Swagger UI under a Content-Security-Policy that lets its own scripts run (checked in a browser by browser-pages)', async () => {
    const response = await api(app).get('/docs');
    expect(response.status).toBe(200);
    expect(response.headers['content-security-policy']).toContain("script-src 'self'");
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['x-powered-by']).toBeUndefined();
  });

  it('refuses a JSON body over BODY_LIMIT with 413 in the error shape', async () => {
    const response = await api(app)
      .post('/api/users/login')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ user: { email: 'big@example.test', password: 'x'.repeat(1_100_000) } }));
    expect(response.status).toBe(413);
    expect(response.body).toEqual({ errors: { body: ['is too large'] } });
  });

  it('echoes a sane X-Request-Id and lets browsers read it', async () => {
    const response = await api(app).get('/api/tags').set('X-Request-Id', 'client-chosen-id-1').set('Origin', 'https://frontend.example');
    expect(response.headers['x-request-id']).toBe('client-chosen-id-1');
    expect(response.headers['access-control-expose-headers']).toContain('x-request-id');
  });

  it('answers a login alike for an unknown email and a wrong password, in about the same time', async () => {
    const user = await registerUser(app);
    const attempt = async (email: string) => {
      const started = performance.now();
      const response = await api(app).post('/api/users/login').send({ user: { email, password: 'not-the-password' } });
      return { status: response.status, body: response.body as unknown, ms: performance.now() - started };
    };
    const unknown: number[] = [];
    const wrong: number[] = [];
    // Interleaved, so that a load spike on the machine hits both kinds alike; medians shrug off outliers.
    for (let round = 0; round < 7; round += 1) {
      const a = await attempt(`${unique('nobody')}@example.test`);
      const b = await attempt(user.email);
      expect(a.status).toBe(401);
      expect(b.status).toBe(401);
      expect(a.body).toEqual(b.body);
      unknown.push(a.ms);
      wrong.push(b.ms);
    }
    const ratio = median(unknown) / median(wrong);
    // Without the decoy hash an unknown email answers in a fraction of the time of an argon2 verify.
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
  });
});

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

describe('Readiness, CORS and timeouts in a real process', () => {
  let redis: ThrowawayRedis;
  let database: TcpProxy;
  let server: ApiProcess;

  beforeAll(async () => {
    redis = await startThrowawayRedis();
    const url = new URL(process.env.DATABASE_URL!);
    database = await startTcpProxy(Number(url.port || 5432));
    url.host = `127.0.0.1:${database.port}`;
    server = await startApi({
      REDIS_URL: redis.url,
      DATABASE_URL: url.toString(),
      CORS_ORIGINS: 'https://allowed.example',
      HTTP_HEADERS_TIMEOUT_MS: '2000',
      HTTP_REQUEST_TIMEOUT_MS: '3000',
    });
  });

  afterAll(async () => {
    await stopAll();
    await database.close();
  });

  it('allows only the configured CORS origins', async () => {
    const allowed = await request(server.url).get('/api/tags').set('Origin', 'https://allowed.example');
    expect(allowed.headers['access-control-allow-origin']).toBe('https://allowed.example');
    const other = await request(server.url).get('/api/tags').set('Origin', 'https://elsewhere.example');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers readiness fast while Redis hangs, reporting it unreachable but staying ready', async () => {
    redis.pause();
    try {
      const started = Date.now();
      const response = await request(server.url).get('/health/ready').timeout(10_000);
      expect(Date.now() - started).toBeLessThan(4_000);
      expect(response.status).toBe(200);
      expect(response.body.details.database).toEqual({ status: 'up' });
      expect(response.body.details.redis).toMatchObject({ status: 'up', reachable: false });
    } finally {
      redis.resume();
    }
  });

  it('answers readiness fast with 503 while PostgreSQL hangs, and 200 again once it answers', async () => {
    database.setDelay(8_000);
    try {
      const started = Date.now();
      const response = await request(server.url).get('/health/ready').timeout(10_000);
      expect(Date.now() - started).toBeLessThan(4_000);
      expect(response.status).toBe(503);
      expect(response.body.details.database).toMatchObject({ status: 'down', message: 'no answer within 1000 ms' });
    } finally {
      database.setDelay(0);
    }
    await waitFor('readiness to come back', async () => (await request(server.url).get('/health/ready')).status === 200, { timeoutMs: 20_000, intervalMs: 250 });
  });

  it('stays ready and keeps taking writes while the search engine hangs, and reports it', async () => {
    // An "Elasticsearch" that accepts connections and never answers.
    const sockets = new Set<Socket>();
    const hanging = createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    try {
      const withSearch = await startApi({ REDIS_URL: redis.url, ELASTICSEARCH_NODE: `http://127.0.0.1:${(hanging.address() as AddressInfo).port}` });
      const started = Date.now();
      const ready = await request(withSearch.url).get('/health/ready').timeout(10_000);
      expect(Date.now() - started).toBeLessThan(4_000);
      expect(ready.status).toBe(200);
      expect(ready.body.details.search).toMatchObject({ status: 'up', reachable: false, message: 'no answer within 1000 ms' });

      const user = { username: unique('writer'), email: `${unique('writer')}@example.test`, password: 'password1234' };
      const registered = await request(withSearch.url).post('/api/users').send({ user });
      expect(registered.status).toBe(201);
      const created = await request(withSearch.url)
        .post('/api/articles')
        .set('Authorization', `Token ${registered.body.user.token}`)
        .send({ article: { title: unique('While search hangs'), description: 'd', body: 'b', tagList: [] } });
      expect(created.status).toBe(201);
    } finally {
      for (const socket of sockets) socket.destroy();
      hanging.close();
    }
  });

  it.each([
    ['Elasticsearch', (url: string) => ({ ELASTICSEARCH_NODE: url })],
    ['OpenSearch', (url: string) => ({ SEARCH_ENGINE: 'opensearch', OPENSEARCH_NODE: url })],
  ])('answers a search with 503 within ELASTICSEARCH_TIMEOUT_MS when %s accepts connections and never answers', async (_engine, settings) => {
    const sockets = new Set<Socket>();
    const hanging = createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    try {
      const withSearch = await startApi({ REDIS_URL: redis.url, ELASTICSEARCH_TIMEOUT_MS: '1000', ...settings(`http://127.0.0.1:${(hanging.address() as AddressInfo).port}`) });
      const started = Date.now();
      const searched = await request(withSearch.url).get('/api/search/articles?q=dragon').timeout(10_000);
      const took = Date.now() - started;
      expect({ status: searched.status, body: searched.body as unknown }).toEqual({ status: 503, body: { errors: { search: [expect.any(String)] } } });
      // The timeout, plus a little: a timed-out request is not retried.
      expect(took).toBeLessThan(1_800);
    } finally {
      for (const socket of sockets) socket.destroy();
      hanging.close();
    }
  });

  it('closes a connection whose client never finishes sending its headers', async () => {
    const socket = connect(server.port, '127.0.0.1');
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write('GET /api/tags HTTP/1.1\r\nHost: localhost\r\n');
    const started = Date.now();
    const answer = await new Promise<string>((resolve) => {
      let received = '';
      socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
      socket.once('close', () => resolve(received));
    });
    // HTTP_HEADERS_TIMEOUT_MS is 2 s here; Node checks it every second or so.
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });
});
