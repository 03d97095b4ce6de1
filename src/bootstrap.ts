import { LogLevel } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { ConfigurationError, Environment, validateEnvironment } from './config/environment';

/** Nest's logger levels for each LOG_LEVEL. */
export const NEST_LOG_LEVELS: Record<string, LogLevel[]> = {
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

