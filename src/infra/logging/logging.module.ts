import { Global, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { LoggerModule } from 'nestjs-pino';
import type { Options } from 'pino-http';
import type { Environment } from '@/config/environment';
import { currentJobContext } from './request-context';

/**
 * Paths that never reach a log line. Request lines carry headers (not bodies), but errors and
 * objects logged by hand may carry a user's password or a token anywhere.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'password',
  'token',
  'authorization',
  '*.password',
  '*.token',
  '*.authorization',
  '*.passwordHash',
  '*.*.password',
  '*.*.token',
];

function loggerOptions(config: ConfigService<Environment, true>): Options {
  const pretty = config.get('NODE_ENV', { infer: true }) === 'development' && installed('pino-pretty');
  return {
    level: config.get('LOG_LEVEL', { infer: true }),
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
    // The response's headers repeat what every response says; its status is what matters.
    serializers: { res: (response: { statusCode: number }) => ({ statusCode: response.statusCode }) },
    // Request-scoped lines get only the request id (quietReqLogger); the line written when the
    // response is finished carries the request, the status and the time taken.
    quietReqLogger: true,
    customAttributeKeys: { reqId: 'requestId' },
    customLogLevel: (_request, response, error) => (error || response.statusCode >= 500 ? 'error' : response.statusCode >= 400 ? 'warn' : 'info'),
    // Probes would drown the log: one line per request, except for health checks and metrics scrapes.
    autoLogging: { ignore: (request) => /^\/(health\/|metrics)/.test(request.url ?? '') },
    // In the worker, a job's lines carry the id of the request that caused it, and the job.
    mixin: () => {
      const context = currentJobContext();
      return context?.job ? { requestId: context.requestId, job: context.job } : {};
    },
    ...(pretty && { transport: { target: 'pino-pretty', options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l' } } }),
  };
}

function installed(name: string): boolean {
  try {
    require.resolve(name);
    return true;
  } catch {
    return false;
  }
}

/**
 * JSON logs through pino, for Nest's own logger too: one line per request with its id, secrets
 * redacted, LOG_LEVEL honoured; pretty single lines in development.
 */
@Global()
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<Environment, true>) => ({ pinoHttp: loggerOptions(config) }),
    }),
  ],
  exports: [LoggerModule],
})
export class LoggingModule {}
