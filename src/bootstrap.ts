import type { Server } from 'node:http';
import { describeFailure, shownUrl } from './cli/cli-errors';
import { loadEnvFile } from './config/env-file';
import { ConfigurationError, Environment, validateEnvironment } from './config/environment';

/**
 * Slow clients must not hold connections open: bounds the time to send the headers and the whole
 * request, and how long an idle keep-alive connection stays open (longer than a load balancer's
 * idle timeout, so that the balancer closes first and never reuses a connection we just closed).
 * Call it before `listen`: Node reads the checking interval when the server starts listening.
 */
export function applyServerTimeouts(
  server: Server,
  environment: Pick<Environment, 'HTTP_HEADERS_TIMEOUT_MS' | 'HTTP_REQUEST_TIMEOUT_MS' | 'HTTP_KEEP_ALIVE_TIMEOUT_MS'>,
): void {
  server.keepAliveTimeout = environment.HTTP_KEEP_ALIVE_TIMEOUT_MS;
  // Node requires headersTimeout <= requestTimeout; a keep-alive request's headers may take as long as the idle wait.
  server.requestTimeout = Math.max(environment.HTTP_REQUEST_TIMEOUT_MS, environment.HTTP_HEADERS_TIMEOUT_MS);
  server.headersTimeout = environment.HTTP_HEADERS_TIMEOUT_MS;
  // Node enforces the two limits above when it sweeps its connections, every 30 s by default:
  // a slowloris client would get up to 30 s more than configured.
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = 1_000;
}

/** Reads `.env` (when present; empty values mean unset) and validates the environment; a bad one ends the process in one line. */
export function loadEnvironmentOrExit(): Environment {
  loadEnvFile();
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


/**
 * NestFactory options of the api and the worker: start-up logs wait for the JSON logger (flushed
 * once it is installed), and a failure to start rejects instead of Nest printing its stack trace
 * and aborting, so that `exitOnStartupFailure` can say what went wrong in one line.
 */
export const STARTUP_OPTIONS = { bufferLogs: true, autoFlushLogs: false, abortOnError: false } as const;

/**
 * Ends a process that could not start (PostgreSQL unreachable, a wrong password, a missing
 * database) with one line naming the cause and exit code 1; LOG_LEVEL=debug shows the stack too.
 */
export function exitOnStartupFailure(processName: string): (error: unknown) => never {
  return (error) => {
    if (['debug', 'trace'].includes(process.env.LOG_LEVEL ?? '')) console.error(error);
    console.error(`Conduit ${processName} could not start: ${describeFailure(error, process.env.DATABASE_URL)}`);
    process.exit(1);
  };
}

/**
 * Start-up logs are buffered until the JSON logger is installed, so a process waiting for a service
 * that is not there yet (the worker retries Redis until it answers) would wait in silence: after
 * `ms` it says once what it is waiting for. The returned function cancels the message.
 */
export function reportSlowStartup(processName: string, environment: Pick<Environment, 'REDIS_URL' | 'DATABASE_URL'>, ms = 10_000): () => void {
  const timer = setTimeout(() => {
    console.error(`Conduit ${processName} still starting after ${ms / 1000} s: waiting for Redis at ${shownUrl(environment.REDIS_URL)} or PostgreSQL at ${shownUrl(environment.DATABASE_URL)}`);
  }, ms);
  timer.unref();
  return () => clearTimeout(timer);
}
