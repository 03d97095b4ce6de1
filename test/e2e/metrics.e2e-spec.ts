import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { createTestApp, resetDatabase } from '../helpers/app';
import { freePort, startApi, startThrowawayRedis, stopAll, ThrowawayRedis } from '../helpers/child-processes';
import { api, registerUser } from '../helpers/factories';
import { sampleValue } from '../helpers/prometheus';
import { backgroundEnv, sleep, startSmtpCapture, startWorker, waitFor } from '../helpers/worker';

/**
 * GET /metrics in Prometheus format: request counts and latencies by route pattern, the pg pool,
 * the response cache, the queues and the outbox; protected by METRICS_TOKEN or moved to
 * METRICS_PORT; the worker's own on WORKER_METRICS_PORT; and a scrape that stays fast when Redis
 * stops answering.
 */

jest.setTimeout(90_000);

describe('Metrics', () => {
  describe('in the api (in process, no token: development and test serve it openly)', () => {
    let app: NestExpressApplication;
    const scrape = async (): Promise<string> => {
      const response = await api(app).get('/metrics');
      expect(response.status).toBe(200);
      return response.text;
    };

    beforeAll(async () => {
      app = await createTestApp();
      await resetDatabase(app);
    });

    afterAll(async () => {
      await app.close();
    });

    it('answers in the Prometheus text format with every documented series', async () => {
      await api(app).get('/api/tags');
      const response = await api(app).get('/metrics');
      expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = response.text;
      expect(text).toContain('# TYPE http_requests_total counter');
      expect(text).toContain('# TYPE http_request_duration_seconds histogram');
      expect(sampleValue(text, 'conduit_db_pool_connections', { state: 'max' })).toBe(10);
      expect(sampleValue(text, 'conduit_db_pool_connections', { state: 'total' })).toBeGreaterThanOrEqual(1);
      for (const queue of ['mail', 'scheduled']) {
        expect(sampleValue(text, 'conduit_queue_up', { queue })).toBe(1);
        expect(sampleValue(text, 'conduit_queue_jobs', { queue, state: 'failed' })).toBe(0);
        expect(sampleValue(text, 'conduit_queue_jobs', { queue, state: 'waiting' })).toBeGreaterThanOrEqual(0);
      }
      expect(sampleValue(text, 'conduit_outbox_up')).toBe(1);
      expect(sampleValue(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    });

    it('counts requests and times them by route pattern and status, never by raw path', async () => {
      const labels = { method: 'GET', route: '/api/profiles/:username', status: '404' };
      const before = await scrape();
      for (const name of ['ghost-a', 'ghost-b', 'ghost-c']) expect((await api(app).get(`/api/profiles/${name}`)).status).toBe(404);
      expect((await api(app).get('/no/such/route')).status).toBe(404);
      const after = await scrape();
      expect((sampleValue(after, 'http_requests_total', labels) ?? 0) - (sampleValue(before, 'http_requests_total', labels) ?? 0)).toBe(3);
      expect(
        (sampleValue(after, 'http_request_duration_seconds_count', labels) ?? 0) - (sampleValue(before, 'http_request_duration_seconds_count', labels) ?? 0),
      ).toBe(3);
      expect(sampleValue(after, 'http_requests_total', { route: 'unmatched', status: '404' })).toBeGreaterThanOrEqual(1);
      expect(after).not.toContain('ghost-a');
    });

    it('counts response cache hits and misses', async () => {
      const before = await scrape();
      const path = `/api/articles?tag=metrics-${Date.now()}`;
      await api(app).get(path);
      await api(app).get(path);
      const after = await scrape();
      const moved = (result: string) =>
        (sampleValue(after, 'conduit_cache_lookups_total', { result }) ?? 0) - (sampleValue(before, 'conduit_cache_lookups_total', { result }) ?? 0);
      expect(moved('miss')).toBe(1);
      expect(moved('hit')).toBe(1);
    });

    it('reports the outbox backlog and the age of its oldest pending event', async () => {
      // No worker in this suite: the welcome mail's event stays pending.
      await registerUser(app);
      await sleep(1_100);
      const text = await scrape();
      expect(sampleValue(text, 'conduit_outbox_pending_events')).toBeGreaterThanOrEqual(1);
      expect(sampleValue(text, 'conduit_outbox_oldest_pending_age_seconds')).toBeGreaterThanOrEqual(1);
    });
  });

  describe('in real processes', () => {
    let redis: ThrowawayRedis;

    beforeAll(async () => {
      redis = await startThrowawayRedis();
    });

    afterAll(async () => {
      await stopAll();
    });

    it('requires the bearer token when METRICS_TOKEN is set', async () => {
      const token = 'metrics-token-for-the-scraper-0123';
      const server = await startApi({ REDIS_URL: redis.url, METRICS_TOKEN: token });
      const missing = await request(server.url).get('/metrics');
      expect(missing.status).toBe(401);
      expect(missing.body).toEqual({ errors: { token: ['is missing or invalid'] } });
      expect((await request(server.url).get('/metrics').set('Authorization', `Bearer ${token}x`)).status).toBe(401);
      expect((await request(server.url).get('/metrics').set('Authorization', `Token ${token}`)).status).toBe(401);
      const allowed = await request(server.url).get('/metrics').set('Authorization', `Bearer ${token}`);
      expect(allowed.status).toBe(200);
      expect(allowed.text).toContain('http_requests_total');
    });

    it('serves /metrics on METRICS_PORT only, when set', async () => {
      const metricsPort = await freePort();
      const server = await startApi({ REDIS_URL: redis.url, METRICS_PORT: String(metricsPort) });
      expect((await request(server.url).get('/api/tags')).status).toBe(200);
      expect((await request(server.url).get('/metrics')).status).toBe(404);
      const scraped = await request(`http://127.0.0.1:${metricsPort}`).get('/metrics');
      expect(scraped.status).toBe(200);
      expect(sampleValue(scraped.text, 'http_requests_total', { route: '/api/tags', status: '200' })).toBe(1);
      expect((await request(`http://127.0.0.1:${metricsPort}`).get('/api/tags')).status).toBe(404);
    });

    it('serves the worker metrics on WORKER_METRICS_PORT', async () => {
      const smtp = await startSmtpCapture();
      try {
        const metricsPort = await freePort();
        await startWorker({ ...backgroundEnv(redis, smtp), WORKER_METRICS_PORT: String(metricsPort) });
        const scraped = await request(`http://127.0.0.1:${metricsPort}`).get('/metrics');
        expect(scraped.status).toBe(200);
        expect(sampleValue(scraped.text, 'conduit_queue_up', { queue: 'mail' })).toBe(1);
        expect(sampleValue(scraped.text, 'conduit_outbox_pending_events')).toBeGreaterThanOrEqual(0);
      } finally {
        await smtp.close();
      }
    });

    it('answers fast when Redis hangs, reporting the queues as unreadable, and recovers', async () => {
      const hanging = await startThrowawayRedis();
      const server = await startApi({ REDIS_URL: hanging.url, REDIS_COMMAND_TIMEOUT_MS: '300' });
      const scrape = () => request(server.url).get('/metrics').timeout(10_000);
      expect(sampleValue((await scrape()).text, 'conduit_queue_up', { queue: 'mail' })).toBe(1);

      hanging.pause();
      try {
        for (let attempt = 0; attempt < 2; attempt += 1) {
          const started = Date.now();
          const response = await scrape();
          // The queue reads get 300 ms; a generous bound for a loaded machine, far below a hang.
          expect(Date.now() - started).toBeLessThan(3_000);
          expect(response.status).toBe(200);
          expect(sampleValue(response.text, 'conduit_queue_up', { queue: 'mail' })).toBe(0);
          expect(sampleValue(response.text, 'conduit_queue_jobs', { queue: 'mail', state: 'waiting' })).toBeUndefined();
          expect(sampleValue(response.text, 'conduit_db_pool_connections', { state: 'max' })).toBe(10);
        }
      } finally {
        hanging.resume();
      }
      await waitFor('the queues to be readable again', async () => sampleValue((await scrape()).text, 'conduit_queue_up', { queue: 'mail' }) === 1, {
        timeoutMs: 15_000,
        intervalMs: 300,
      });
    });
  });
});
