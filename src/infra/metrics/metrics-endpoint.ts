import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Metrics } from './metrics.service';

export const METRICS_PATH = '/metrics';

/**
 * GET /metrics in Prometheus text format, as a plain Node handler: it serves the api's own port
 * (mounted in app.setup) and a port of its own (METRICS_PORT, WORKER_METRICS_PORT) alike. With a
 * token configured, the scraper must send `Authorization: Bearer <token>`.
 */
export function metricsHandler(metrics: Metrics, token: string | undefined) {
  const expected = token ? digest(token) : undefined;
  return (request: IncomingMessage, response: ServerResponse, next?: () => void): void => {
    const path = (request.url ?? '').split('?')[0];
    if (path !== METRICS_PATH || !['GET', 'HEAD'].includes(request.method ?? '')) {
      if (next) return next();
      return send(response, 404, { errors: { route: ['not found'] } });
    }
    if (expected) {
      const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
      if (!match || !timingSafeEqual(digest(match[1]), expected)) {
        response.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
        return send(response, 401, { errors: { token: ['is missing or invalid'] } });
      }
    }
    metrics.render().then(
      (text) => {
        response.statusCode = 200;
        response.setHeader('Content-Type', metrics.registry.contentType);
        response.setHeader('Cache-Control', 'no-store');
        response.end(text);
      },
      () => send(response, 500, { errors: { metrics: ['could not be collected'] } }),
    );
  };
}

/** Fixed-length digests, so that the comparison takes the same time whatever the token's length. */
function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.statusCode = status;
  response.setHeader('Content-Type', 'application/json; charset=utf-8');
  response.end(JSON.stringify(body));
}
