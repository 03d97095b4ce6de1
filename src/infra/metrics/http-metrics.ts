import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import type { Environment } from '@/config/environment';
import { metricsHandler } from './metrics-endpoint';
import { Metrics } from './metrics.service';

/**
 * The api's metrics: every request is timed and counted by its route pattern (`/api/articles/:slug`,
 * never the raw path, so that the label set stays small), and /metrics is served on METRICS_PORT
 * when set, otherwise on the api's port. In production the api's port serves it only behind
 * METRICS_TOKEN: open metrics would tell anyone about the traffic and the backlog.
 */
export function mountMetrics(app: NestExpressApplication): void {
  const metrics = app.get(Metrics);
  const config = app.get<ConfigService<Environment, true>>(ConfigService);
  const token = config.get('METRICS_TOKEN', { infer: true });
  const port = config.get('METRICS_PORT', { infer: true });

  app.use((request: Request, response: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    response.once('finish', () => {
      const route = request.route ? `${request.baseUrl}${(request.route as { path: string }).path}` : 'unmatched';
      metrics.observeRequest(request.method, route, response.statusCode, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  });

  if (port) {
    metrics.listen(port, config.get('METRICS_HOST', { infer: true }), token).catch((error: Error) => new Logger('Metrics').error(`Cannot serve metrics on port ${port}: ${error.message}`));
  } else if (token || config.get('NODE_ENV', { infer: true }) !== 'production') {
    app.use(metricsHandler(metrics, token));
  } else {
    new Logger('Metrics').warn('/metrics is not served: set METRICS_TOKEN, or METRICS_PORT on a port only the scraper reaches');
  }
}

/** The worker's metrics (queues, outbox, pool, process) on WORKER_METRICS_PORT, when set. */
@Injectable()
export class WorkerMetricsServer implements OnApplicationBootstrap {
  constructor(
    private readonly metrics: Metrics,
    private readonly config: ConfigService<Environment, true>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const port = this.config.get('WORKER_METRICS_PORT', { infer: true });
    if (port) await this.metrics.listen(port, this.config.get('METRICS_HOST', { infer: true }), this.config.get('METRICS_TOKEN', { infer: true }));
  }
}
