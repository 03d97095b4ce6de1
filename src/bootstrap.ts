import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
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

