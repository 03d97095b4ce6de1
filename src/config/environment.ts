import 'reflect-metadata';
import { plainToInstance, Transform, Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, MinLength, Min, validateSync } from 'class-validator';

/**
 * Every setting Conduit reads from the environment, parsed and validated once at start-up.
 * `.env.example` documents each one; keep the two in step.
 */
export class Environment {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @IsString()
  @Matches(/^postgres(ql)?:\/\//, { message: '$property must be a postgresql:// connection string' })
  DATABASE_URL: string;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  DATABASE_POOL_MAX = 10;

  @Type(() => Number)
  @IsInt()
  @Min(100)
  DATABASE_STATEMENT_TIMEOUT_MS = 10_000;

  @IsString()
  @Matches(/^rediss?:\/\//, { message: '$property must be a redis:// connection string' })
  REDIS_URL = 'redis://127.0.0.1:6379';

  /** Off for benchmarks and debugging: every read then goes to PostgreSQL. */
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? !['false', '0', 'no', 'off'].includes(value.toLowerCase()) : value))
  @IsBoolean()
  CACHE_ENABLED = true;

  /** The longest a cached response may live, even if an invalidation were ever missed. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  CACHE_TTL_SECONDS = 300;

  /** Secret: never logged. */
  @IsString()
  @MinLength(32, { message: '$property must be at least 32 characters long' })
  JWT_SECRET: string;

  @Type(() => Number)
  @IsInt()
  @Min(60)
  JWT_TTL_SECONDS = 7 * 24 * 3600;

  /** Comma-separated origins, or "*" for any origin. */
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' ? value.split(',').map((origin) => origin.trim()).filter(Boolean) : value,
  )
  @IsString({ each: true })
  CORS_ORIGINS: string[] = ['*'];

  @IsString()
  @Matches(/^\d+(b|kb|mb)?$/i, { message: '$property must be a size such as 1mb or 500kb' })
  BODY_LIMIT = '1mb';

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace'])
  LOG_LEVEL = 'info';

  /** After SIGTERM, how long requests and jobs in flight may take to finish before the process exits anyway. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  SHUTDOWN_TIMEOUT_MS = 10_000;

  /**
   * SMTP server for outgoing mail, e.g. `smtp://user:pass@mail.example.com:587` or `smtps://...`.
   * Unset: mail is written as .eml files to MAIL_DIR. Secret (may hold a password): never logged.
   */
  @IsOptional()
  @IsString()
  @Matches(/^smtps?:\/\//, { message: '$property must be an smtp:// or smtps:// URL' })
  MAIL_URL?: string;

  /** Sender of every notification mail. */
  @IsString()
  MAIL_FROM = 'Conduit <no-reply@conduit.local>';

  /** Folder for the .eml files when MAIL_URL is unset (created if missing). */
  @IsString()
  MAIL_DIR = 'var/mail';

  /** The frontend's address: links in mails point there. */
  @IsString()
  @Matches(/^https?:\/\//, { message: '$property must be an http:// or https:// URL' })
  APP_URL = 'http://localhost:4200';

  /** Attempts of a background job before it lands in the failed set. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  JOB_ATTEMPTS = 5;

  /** First retry delay of a failed job; each further retry waits twice as long. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  JOB_BACKOFF_MS = 2_000;

  /** A job whose worker died (its lock expired) runs again after about this long. */
  @Type(() => Number)
  @IsInt()
  @Min(1_000)
  JOB_LOCK_MS = 30_000;

  /** How often the worker's relay looks for new outbox events. */
  @Type(() => Number)
  @IsInt()
  @Min(10)
  OUTBOX_POLL_MS = 500;

  /** An event handed to the queue but not completed after this long is handed over again. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  OUTBOX_REDISPATCH_SECONDS = 120;

  /** When the daily digest goes out (cron, server time). */
  @IsString()
  DIGEST_CRON = '0 7 * * *';

  /** Comma-separated emails of the administrators (queue dashboard at /admin/queues). */
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' ? value.split(',').map((email) => email.trim().toLowerCase()).filter(Boolean) : value,
  )
  @IsString({ each: true })
  ADMIN_EMAILS: string[] = [];

  @IsOptional()
  @IsString()
  APP_VERSION?: string;
}

/** Thrown when the environment is unusable; its message is one line meant for the operator. */
export class ConfigurationError extends Error {}

export function validateEnvironment(raw: Record<string, unknown>): Environment {
  // Empty strings mean "not set", so that `FOO=` in an env file falls back to the default.
  const present = Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== ''));
  const environment = plainToInstance(Environment, present, { exposeDefaultValues: true });
  const errors = validateSync(environment, { skipMissingProperties: false, whitelist: false });
  if (errors.length > 0) {
    const problems = errors.map((error) => {
      const missing = error.value === undefined;
      // class-validator's messages already start with the property name.
      return missing ? `${error.property} is required` : Object.values(error.constraints ?? {})[0];
    });
    throw new ConfigurationError(`Invalid configuration: ${problems.join('; ')} (see .env.example)`);
  }
  return environment;
}
