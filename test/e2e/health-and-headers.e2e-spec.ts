import type { NestExpressApplication } from '@nestjs/platform-express';
import { createTestApp } from '../helpers/app';
import { api } from '../helpers/factories';

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
    expect(response.body.details).toEqual({ database: { status: 'up' }, redis: { status: 'up', reachable: true } });
  });

  it('sends security headers on the API without blocking cross-origin reads, and no X-Powered-By', async () => {
    const response = await api(app).get('/api/tags').set('Origin', 'https://frontend.example');
    expect(response.headers['x-powered-by']).toBeUndefined();
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['content-security-policy']).toContain("default-src 'self'");
    expect(response.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(response.headers['access-control-allow-origin']).toBe('https://frontend.example');
  });

  it('serves Swagger UI without a Content-Security-Policy that would block its scripts', async () => {
    const response = await api(app).get('/docs');
    expect(response.status).toBe(200);
    expect(response.headers['content-security-policy']).toBeUndefined();
    expect(response.headers['x-content-type-options']).toBe('nosniff');
  });
});
