import request from 'supertest';
import { QUEUE_NAMES } from '@/infra/queue/queues';
import { ApiProcess, startApi, startThrowawayRedis, stopAll, ThrowawayRedis } from '../helpers/child-processes';
import { Account, ConduitClient, TestDatabase, unique } from '../helpers/worker';

/**
 * The queue dashboard (Bull Board) at /admin/queues on an api process: HTTP basic auth with the
 * email of an account granted administration (`users.is_admin`, set by `cli user:create-admin`)
 * and that account's own Conduit password. Everything else is 401 with a Basic challenge: no
 * credentials, a Conduit token, a wrong password, a valid account that is not an administrator,
 * an email without an account.
 */

jest.setTimeout(30_000);

const DASHBOARD = '/admin/queues';

function basic(email: string, password: string): string {
  return `Basic ${Buffer.from(`${email}:${password}`).toString('base64')}`;
}

describe('Queue dashboard at /admin/queues', () => {
  const database = new TestDatabase();
  const adminName = unique('admin');
  const ghostEmail = `${unique('ghost')}@example.test`;
  let redis: ThrowawayRedis;
  let api: ApiProcess;
  let client: ConduitClient;
  let admin: Account;
  let user: Account;

  beforeAll(async () => {
    await database.truncateAll();
    redis = await startThrowawayRedis();
    api = await startApi({ REDIS_URL: redis.url });
    client = new ConduitClient(api.url);
    [admin, user] = await Promise.all([client.register('admin', adminName), client.register('user')]);
    await database.pool.query('UPDATE users SET is_admin = true WHERE id = $1', [admin.id]);
  });

  afterAll(async () => {
    await stopAll();
    await database.close();
  });

  function get(path: string, authorization?: string): request.Test {
    const test = request(api.url).get(path);
    return authorization ? test.set('Authorization', authorization) : test;
  }

  function expectChallenge(response: request.Response): void {
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(/^Basic realm="[^"]+"/);
    expect(response.text).not.toMatch(/bull/i);
  }

  it('asks for credentials when none are given', async () => {
    expectChallenge(await get(DASHBOARD));
    expectChallenge(await get(`${DASHBOARD}/api/queues`));
  });

  it("refuses a Conduit token, malformed basic credentials and an administrator's wrong password", async () => {
    expectChallenge(await get(DASHBOARD, `Token ${admin.token}`));
    expectChallenge(await get(DASHBOARD, 'Basic !!!not-base64!!!'));
    expectChallenge(await get(DASHBOARD, `Basic ${Buffer.from(admin.email).toString('base64')}`));
    expectChallenge(await get(DASHBOARD, basic(admin.email, `${admin.password}x`)));
    expectChallenge(await get(DASHBOARD, basic(admin.email, '')));
  });

  it('refuses a valid account that is not an administrator, and an email without an account', async () => {
    expect((await client.call('get', '/api/user', user)).status).toBe(200);
    expectChallenge(await get(DASHBOARD, basic(user.email, user.password)));
    expectChallenge(await get(`${DASHBOARD}/api/queues`, basic(user.email, user.password)));
    expectChallenge(await get(DASHBOARD, basic(ghostEmail, 'any-password-at-all')));
  });

  it('serves the dashboard to an administrator with their Conduit password', async () => {
    const response = await get(DASHBOARD, basic(admin.email, admin.password));
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.text).toMatch(/<html/i);
    // The email is matched case-insensitively.
    expect((await get(DASHBOARD, basic(admin.email.toUpperCase(), admin.password))).status).toBe(200);
  });

  it('serves the dashboard to an account once it is flagged as administrator (is_admin)', async () => {
    const other = await client.register('flagged');
    expectChallenge(await get(DASHBOARD, basic(other.email, other.password)));

    await database.pool.query('UPDATE users SET is_admin = true WHERE email = $1', [other.email]);

    expect((await get(DASHBOARD, basic(other.email, other.password))).status).toBe(200);
    expectChallenge(await get(DASHBOARD, basic(other.email, `${other.password}x`)));
  });

  it("lists every queue in the dashboard's JSON API", async () => {
    const response = await get(`${DASHBOARD}/api/queues`, basic(admin.email, admin.password));
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/application\/json/);
    const names = (response.body.queues as Array<{ name: string }>).map((queue) => queue.name).sort();
    expect(names).toEqual([...QUEUE_NAMES].sort());
    expect(names).toEqual(expect.arrayContaining(['mail', 'scheduled']));
  });
});
