import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Server } from 'node:http';
import { AppModule } from './app.module';
import { configureApp } from './app.setup';
import { applyServerTimeouts, loadEnvironmentOrExit } from './bootstrap';

async function bootstrap(): Promise<void> {
  const environment = loadEnvironmentOrExit();
  const app = await NestFactory.create<NestExpressApplication>(AppModule, {
    bodyParser: false,
    // Start-up messages wait for the JSON logger (configureApp installs it).
    bufferLogs: true,
  });
  configureApp(app);
  applyServerTimeouts(app.getHttpServer(), environment);
  const server = await app.listen(environment.PORT);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => void shutDown(app, server, signal));
  }
  console.log(`Conduit API listening on http://localhost:${environment.PORT}/api (docs at /docs)`);
}

/** In-flight requests get this long to finish after SIGTERM before their connections are cut. */
const DRAIN_DEADLINE_MS = 10_000;

/**
 * Stops accepting connections, lets the requests in flight finish, and only then closes the
 * application (database pool, Redis): closing the pool first would fail those requests.
 */
async function shutDown(app: NestExpressApplication, server: Server, signal: string): Promise<void> {
  console.log(`${signal} received: draining requests`);
  const drained = new Promise<void>((resolve) => server.close(() => resolve()));
  const idleSweeper = setInterval(() => server.closeIdleConnections(), 100);
  const deadline = setTimeout(() => server.closeAllConnections(), DRAIN_DEADLINE_MS);
  server.closeIdleConnections();
  await drained;
  clearInterval(idleSweeper);
  clearTimeout(deadline);
  await app.close().catch(() => undefined);
  process.exit(0);
}

void bootstrap();
