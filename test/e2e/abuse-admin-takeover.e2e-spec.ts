import { spawnSync } from 'node:child_process';
import path from 'node:path';
import request from 'supertest';
import { ApiProcess, startApi, startThrowawayRedis, stopAll } from '../helpers/child-processes';
import { Account, ConduitClient, TestDatabase, unique } from '../helpers/worker';

/**
 * The queue dashboard cannot be taken over: an account whose email matches ADMIN_EMAILS (emails
 * are never verified, so anyone can register one, or change theirs to it) is not an administrator;
 * only the grant stored by `cli user:create-admin` is. Its basic auth is rate-limited per client
 * address, so that nobody can try passwords (an argon2 hash each) at full speed.
 */

jest.setTimeout(90_000);

const DASHBOARD = '/admin/queues';
const PAUSE_MAIL = `${DASHBOARD}/api/queues/mail/pause`;
const CLI = path.resolve(__dirname, '../../dist/src/cli.js');
const AUTH_MAX = 6;

function basic(email: string, password: string): string {
  return `Basic ${Buffer.from(`${email}:${password}`).toString('base64')}`;
}

let addressCounter = 0;
function clientAddress(): string {
  addressCounter += 1;
  return `198.51.100.${addressCounter}`;
}

describe('Queue dashboard takeover', () => {
  const database = new TestDatabase();
  const claimedAdminEmail = `${unique('root')}@example.test`;
  let api: ApiProcess;
  let client: ConduitClient;

  beforeAll(async () => {
    await database.truncateAll();
    const redis = await startThrowawayRedis();
    api = await startApi({
      REDIS_URL: redis.url,
      ADMIN_EMAILS: claimedAdminEmail,
      RATE_LIMIT_ENABLED: 'true',
      RATE_LIMIT_AUTH_MAX: String(AUTH_MAX),
      TRUST_PROXY: 'loopback',
    });
    client = new ConduitClient(api.url);
  });

  afterAll(async () => {
    await stopAll();
    await database.close();
  });

  const pause = (authorization: string, from = clientAddress()) =>
    request(api.url).put(PAUSE_MAIL).set('X-Forwarded-For', from).set('Authorization', authorization);

  it('does not make an account an administrator because it registered an address listed in ADMIN_EMAILS', async () => {
    const username = unique('squatter');
    const registered = await client.call('post', '/api/users').send({ user: { username, email: claimedAdminEmail, password: 'squatter-password' } });
    expect(registered.status).toBe(201);

    const response = await pause(basic(claimedAdminEmail, 'squatter-password'));
    expect(response.status).toBe(401);
    expect(response.body).toEqual({ errors: { admin: ['credentials required'] } });
    expect((await request(api.url).get(`${DASHBOARD}/api/queues`).set('Authorization', basic(claimedAdminEmail, 'squatter-password'))).status).toBe(401);
  });

  it('only the grant of `cli user:create-admin` opens the dashboard', async () => {
    const user: Account = await client.register('granted');
    expect((await pause(basic(user.email, user.password))).status).toBe(401);

    const run = spawnSync(process.execPath, [CLI, 'user:create-admin', '--email', user.email], { env: { ...process.env, NO_COLOR: '1' }, encoding: 'utf8', timeout: 60_000 });
    expect(run.status).toBe(0);

    const paused = await pause(basic(user.email, user.password));
    expect(paused.status).toBe(200);
    const queues = await request(api.url).get(`${DASHBOARD}/api/queues`).set('Authorization', basic(user.email, user.password));
    expect(queues.status).toBe(200);
    expect((queues.body.queues as Array<{ name: string; isPaused: boolean }>).find((queue) => queue.name === 'mail')?.isPaused).toBe(true);
    expect((await request(api.url).put(`${DASHBOARD}/api/queues/mail/resume`).set('Authorization', basic(user.email, user.password))).status).toBe(200);
  });

  it('limits password guesses per client address (429 with Retry-After); the administrator from elsewhere still gets in', async () => {
    const admin = await client.register('admin');
    const granted = spawnSync(process.execPath, [CLI, 'user:create-admin', '--email', admin.email], { env: { ...process.env, NO_COLOR: '1' }, encoding: 'utf8', timeout: 60_000 });
    expect(granted.status).toBe(0);

    const attacker = clientAddress();
    for (let guess = 0; guess < AUTH_MAX; guess += 1) {
      expect((await pause(basic(admin.email, `guess-${guess}`), attacker)).status).toBe(401);
    }
    const limited = await pause(basic(admin.email, 'guess-again'), attacker);
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({ errors: { rate: [expect.stringMatching(/^too many requests, retry in \d+ s$/)] } });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // Even the right password is refused from the limited address until the window ends.
    expect((await pause(basic(admin.email, admin.password), attacker)).status).toBe(429);

    expect((await pause(basic(admin.email, admin.password))).status).toBe(200);
  });
});
