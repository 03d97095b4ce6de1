import { LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import { AppModule } from './app.module';
import { configureApp } from './app.setup';
import { ConfigurationError, Environment, validateEnvironment } from './config/environment';

const NEST_LOG_LEVELS: Record<string, LogLevel[]> = {
  fatal: ['fatal'],
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  info: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug'],
  trace: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'],
};

/** Reads `.env` (when present) and validates the environment; a bad one ends the process in one line. */
export function loadEnvironmentOrExit(): Environment {
  if (existsSync('.env')) process.loadEnvFile('.env');
  try {
    return validateEnvironment(process.env);
  } catch (error) {
    if (error instanceof ConfigurationError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}

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
