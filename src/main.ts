import { LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { existsSync } from 'node:fs';
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
  app.enableShutdownHooks();
  const server = await app.listen(environment.PORT);
  // Slow clients must not hold connections open: bound the time to send headers and a request.
  server.headersTimeout = 20_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 65_000;
  console.log(`Conduit API listening on http://localhost:${environment.PORT}/api (docs at /docs)`);
}

void bootstrap();
