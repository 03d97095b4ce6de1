import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { configureApp } from './app.setup';
import { applyServerTimeouts, exitOnStartupFailure, loadEnvironmentOrExit, reportSlowStartup, STARTUP_OPTIONS } from './bootstrap';
import { drainHttpServer, onTerminationSignal } from './infra/lifecycle/graceful-shutdown';

async function bootstrap(): Promise<void> {
  const environment = loadEnvironmentOrExit();
  const started = reportSlowStartup('api', environment);
  // Start-up messages wait for the JSON logger (configureApp installs it).
  const app = await NestFactory.create<NestExpressApplication>(AppModule, { bodyParser: false, ...STARTUP_OPTIONS });
  configureApp(app);
  app.flushLogs();
  started();
  applyServerTimeouts(app.getHttpServer(), environment);
  const server = await app.listen(environment.PORT);
  // Requests in flight finish before the pools they use close: closing the pool first would fail them.
  onTerminationSignal(environment.SHUTDOWN_TIMEOUT_MS, async () => {
    await drainHttpServer(server, environment.SHUTDOWN_TIMEOUT_MS);
    await app.close();
  });
  console.log(`Conduit API listening on http://localhost:${environment.PORT}/api (docs at /docs)`);
}

bootstrap().catch(exitOnStartupFailure('api'));
