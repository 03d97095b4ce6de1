import request from 'supertest';
import { ApiProcess, startApi, ThrowawayRedis } from '../helpers/child-processes';
import { logLines, requestLines } from '../helpers/logs';
import { BackgroundStack, ConduitClient, SmtpCapture, startBackgroundStack, TestDatabase, unique, waitFor, WorkerProcess } from '../helpers/worker';

/**
 * The logs of real processes (stdout of dist/src/main.js and dist/src/worker.js): JSON lines, one
 * per request, each with the request id that the response echoes; the id of a request travels
 * into the jobs it causes and the worker's lines for them; no password, token or Authorization
 * header value is ever written; LOG_LEVEL decides what is written.
 */

jest.setTimeout(90_000);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('Structured logs with request ids', () => {
  const database = new TestDatabase();
  let stack: BackgroundStack;
  let redis: ThrowawayRedis;
  let smtp: SmtpCapture;
  let api: ApiProcess;
  let worker: WorkerProcess;
  let client: ConduitClient;

  beforeAll(async () => {
    stack = await startBackgroundStack(database, { apiEnv: { LOG_LEVEL: 'info' }, workerEnv: { LOG_LEVEL: 'debug' } });
    ({ redis, smtp, api, client } = stack);
    worker = stack.worker!;
  });

  afterAll(async () => {
    await stack?.close();
  });

  /** Waits for the line of the request with this id and returns it. */
  function requestLine(requestId: string) {
    return waitFor(`the log line of request ${requestId}`, () => requestLines(api.output()).find((line) => line.requestId === requestId), {
      details: () => api.output().slice(-3000),
    });
  }

  it('writes one JSON line per request, with the request id that the response echoes', async () => {
    const response = await request(api.url).get('/api/tags').set('X-Request-Id', 'tags-probe-1');
    expect(response.status).toBe(200);
    expect(response.headers['x-request-id']).toBe('tags-probe-1');
    const line = await requestLine('tags-probe-1');
    expect(line).toMatchObject({ level: 'info', req: { method: 'GET', url: '/api/tags' }, res: { statusCode: 200 } });
    expect(typeof line.responseTime).toBe('number');
    expect(requestLines(api.output()).filter((each) => each.requestId === 'tags-probe-1')).toHaveLength(1);
  });

  it('makes up an id when the request brings none or an unusable one', async () => {
    const none = await request(api.url).get('/api/tags');
    expect(none.headers['x-request-id']).toMatch(UUID);
    await requestLine(none.headers['x-request-id']);
    for (const unusable of ['x'.repeat(200), 'two words', '{"json":1}']) {
      const response = await request(api.url).get('/api/tags').set('X-Request-Id', unusable);
      expect(response.headers['x-request-id']).toMatch(UUID);
    }
  });

  it('logs 4xx answers as warnings and still one line each', async () => {
    const response = await request(api.url).get('/api/profiles/nobody-here').set('X-Request-Id', 'missing-profile-1');
    expect(response.status).toBe(404);
    expect(await requestLine('missing-profile-1')).toMatchObject({ level: 'warn', res: { statusCode: 404 } });
  });

  it('carries the request id into the jobs the request causes and into the worker lines for them', async () => {
    const requestId = `signup-${unique('r')}`;
    const username = unique('logged');
    const email = `${username}@example.test`;
    const response = await request(api.url)
      .post('/api/users')
      .set('X-Request-Id', requestId)
      .send({ user: { username, email, password: 'a-password-of-some-length' } });
    expect(response.status).toBe(201);
    const [event] = await database.outbox(`name = 'welcome' AND payload->>'requestId' = $1`, [requestId]);
    expect(event).toBeDefined();
    await smtp.waitForMail(email);
    const jobLines = await waitFor(
      'the worker lines of the welcome job',
      () => {
        const lines = logLines(worker.output()).filter((line) => line.requestId === requestId);
        return lines.some((line) => line.msg?.startsWith('job done')) && lines;
      },
      { timeoutMs: 20_000, details: () => worker.output().slice(-3000) },
    );
    for (const line of jobLines) expect(line.job).toMatchObject({ queue: 'mail', name: 'welcome', id: `event-${event.id}` });
  });

  it('never writes a password, a token or the Authorization header value', async () => {
    const user = await client.register('secretive');
    const requestIds = ['login-ok', 'login-bad', 'current-user', 'update-password'].map((name) => `${name}-${unique('r')}`);
    const login = await request(api.url).post('/api/users/login').set('X-Request-Id', requestIds[0]).send({ user: { email: user.email, password: user.password } });
    expect(login.status).toBe(200);
    const wrong = await request(api.url)
      .post('/api/users/login')
      .set('X-Request-Id', requestIds[1])
      .send({ user: { email: user.email, password: 'wrong-password-attempt' } });
    expect(wrong.status).toBe(401);
    const current = await request(api.url).get('/api/user').set('X-Request-Id', requestIds[2]).set('Authorization', `Token ${user.token}`);
    expect(current.status).toBe(200);
    const newPassword = `changed-${unique('p')}-secret`;
    const update = await request(api.url)
      .put('/api/user')
      .set('X-Request-Id', requestIds[3])
      .set('Authorization', `Token ${user.token}`)
      .send({ user: { password: newPassword, currentPassword: user.password } });
    expect(update.status).toBe(200);
    for (const requestId of requestIds) await requestLine(requestId);

    const currentLine = await requestLine(requestIds[2]);
    expect(currentLine.req?.headers.authorization).toBe('[redacted]');
    const everything = api.output() + worker.output();
    for (const secret of [user.password, 'wrong-password-attempt', newPassword, user.token, login.body.user.token as string]) {
      expect(everything).not.toContain(secret);
    }
    // Not even a part of a token (its signature) appears.
    expect(everything).not.toContain(user.token.split('.')[2]);
  });

  it('writes only what LOG_LEVEL lets through', async () => {
    const quiet = await startApi({ REDIS_URL: redis.url, LOG_LEVEL: 'warn' });
    try {
      expect((await request(quiet.url).get('/api/tags').set('X-Request-Id', 'quiet-ok')).status).toBe(200);
      expect((await request(quiet.url).get('/api/profiles/nobody-here').set('X-Request-Id', 'quiet-404')).status).toBe(404);
      await waitFor('the warning of the 404', () => requestLines(quiet.output()).some((line) => line.requestId === 'quiet-404'));
      const lines = logLines(quiet.output());
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.filter((line) => !['warn', 'error', 'fatal'].includes(line.level))).toEqual([]);
      expect(lines.some((line) => line.requestId === 'quiet-ok')).toBe(false);
    } finally {
      await quiet.stop();
    }
  });
});
