import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { configureApp } from './app.setup';
import { loadEnvironmentOrExit, NEST_LOG_LEVELS } from './bootstrap';
import { drainHttpServer, onTerminationSignal } from './infra/lifecycle/graceful-shutdown';

async function bootstrap(): Promise<void> {
  const environment = loadEnvironmentOrExit();
  const app = await NestFactory.create<NestExpressApplication>(AppModule, {
    bodyParser: false,
    logger: NEST_LOG_LEVELS[environment.LOG_LEVEL],
  });
  configureApp(app);
  const server = await app.listen(environment.PORT);
  // Slow clients must not hold connections open: bound the time to send headers and a request.
  server.headersTimeout = 20_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 65_000;
  // Requests in flight finish before the pools they use close: closing the pool first would fail them.
  onTerminationSignal(environment.SHUTDOWN_TIMEOUT_MS, async () => {
    await drainHttpServer(server, environment.SHUTDOWN_TIMEOUT_MS);
    await app.close();
  });
  console.log(`Conduit API listening on http://localhost:${environment.PORT}/api (docs at /docs)`);
}

void bootstrap();
