import request from 'supertest';
import { ApiProcess, startApi, startThrowawayRedis, stopAll, ThrowawayRedis } from '../helpers/child-processes';
import { unique, waitFor } from '../helpers/worker';

/**
 * Rate limits counted in Redis, across two api processes that share it: strict on login and
 * registration (per client address, and per address and email together), generous elsewhere; 429 with Retry-After in
 * the API's error shape; the client address taken from X-Forwarded-For only when TRUST_PROXY
 * says so; requests let through (not refused) while Redis is down.
 */

jest.setTimeout(90_000);

const LIMITS = {
  RATE_LIMIT_ENABLED: 'true',
  RATE_LIMIT_WINDOW_SECONDS: '60',
  RATE_LIMIT_MAX: '25',
  RATE_LIMIT_AUTH_MAX: '6',
  RATE_LIMIT_AUTH_ACCOUNT_MAX: '3',
};

let addressCounter = 0;
/** A client address of its own, so that tests do not share counters. */
function clientAddress(): string {
  addressCounter += 1;
  return `203.0.113.${addressCounter}`;
}

describe('Rate limits shared by api replicas through Redis', () => {
  let redis: ThrowawayRedis;
  let first: ApiProcess;
  let second: ApiProcess;
  /** Alternates between the two replicas, as a load balancer would. */
  let turn = 0;
  const next = (): string => (turn++ % 2 === 0 ? first : second).url;

  const login = (email: string, from: string, url = next()) =>
    request(url).post('/api/users/login').set('X-Forwarded-For', from).send({ user: { email, password: 'not-the-password' } });

  beforeAll(async () => {
    redis = await startThrowawayRedis();
    const env = { ...LIMITS, REDIS_URL: redis.url, TRUST_PROXY: 'loopback' };
    [first, second] = await Promise.all([startApi(env), startApi(env)]);
  });

  afterAll(async () => {
    await stopAll();
  });

  function expectLimited(response: request.Response): void {
    expect(response.status).toBe(429);
    expect(response.body).toEqual({ errors: { rate: [expect.stringMatching(/^too many requests, retry in \d+ s$/)] } });
    const retryAfter = Number(response.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
  }

  it('refuses a fourth login attempt on one account from one address within the window, whatever the replica; other addresses go on', async () => {
    const email = `${unique('target')}@example.test`;
    const address = clientAddress();
    for (let attempt = 0; attempt < 3; attempt += 1) {
      expect((await login(attempt === 1 ? email.toUpperCase() : email, address)).status).toBe(401);
    }
    expectLimited(await login(email, address, first.url));
    expectLimited(await login(email, address, second.url));
    // The account from another address (its owner, say) is not locked out.
    expect((await login(email, clientAddress())).status).toBe(401);
    // Another account from the same address is not affected either.
    expect((await login(`${unique('other')}@example.test`, address)).status).toBe(401);
  });

  it('refuses the seventh login from one address, across accounts and replicas; other addresses go on', async () => {
    const address = clientAddress();
    for (let attempt = 0; attempt < 6; attempt += 1) {
      expect((await login(`${unique('spray')}@example.test`, address)).status).toBe(401);
    }
    expectLimited(await login(`${unique('spray')}@example.test`, address));
    expect((await login(`${unique('spray')}@example.test`, clientAddress())).status).toBe(401);
  });

  it('limits registrations per address too, counting refused ones', async () => {
    const address = clientAddress();
    for (let attempt = 0; attempt < 6; attempt += 1) {
      const response = await request(next()).post('/api/users').set('X-Forwarded-For', address).send({ user: { username: '', email: unique('not-an-email'), password: '' } });
      expect(response.status).toBe(422);
    }
    const refused = await request(next())
      .post('/api/users')
      .set('X-Forwarded-For', address)
      .send({ user: { username: unique('late'), email: `${unique('late')}@example.test`, password: 'a-fine-password' } });
    expectLimited(refused);
  });

  it('allows many more requests on other routes, then refuses them too; probes are never limited', async () => {
    const address = clientAddress();
    for (let attempt = 0; attempt < 25; attempt += 1) {
      expect((await request(next()).get('/api/tags').set('X-Forwarded-For', address)).status).toBe(200);
    }
    expectLimited(await request(next()).get('/api/tags').set('X-Forwarded-For', address));
    expect((await request(next()).get('/api/tags').set('X-Forwarded-For', clientAddress())).status).toBe(200);
    for (let attempt = 0; attempt < 30; attempt += 1) {
      expect((await request(next()).get('/health/live').set('X-Forwarded-For', address)).status).toBe(200);
    }
  });

  it('ignores X-Forwarded-For unless TRUST_PROXY trusts the proxy', async () => {
    const direct = await startApi({ ...LIMITS, REDIS_URL: redis.url, TRUST_PROXY: 'false' });
    try {
      const email = `${unique('direct')}@example.test`;
      // Spoofed addresses do not help: the peer address counts, and so does the account.
      for (let attempt = 0; attempt < 6; attempt += 1) {
        const response = await login(`${unique('direct')}@example.test`, clientAddress(), direct.url);
        expect(response.status).toBe(401);
      }
      expectLimited(await login(email, clientAddress(), direct.url));
    } finally {
      await direct.stop();
    }
  });

  it('lets requests through while Redis is down, warning once, and enforces limits again once it is back', async () => {
    const email = `${unique('outage')}@example.test`;
    const logBefore = first.output().length;
    await redis.kill();
    try {
      for (let attempt = 0; attempt < 5; attempt += 1) {
        expect((await login(email, clientAddress(), first.url)).status).toBe(401);
      }
      const outageLog = first.output().slice(logBefore);
      expect(outageLog.split('Rate limits not enforced while Redis is unavailable').length - 1).toBe(1);
    } finally {
      await redis.start();
    }
    await waitFor(
      'the limits to be enforced again',
      async () => (await login(`${unique('after')}@example.test`, '198.51.100.7', first.url)).status === 429,
      { timeoutMs: 20_000, intervalMs: 200 },
    );
  });
});
