import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { getQueueToken } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Queue } from 'bullmq';
import type { NextFunction, Request, Response } from 'express';
import { createHash } from 'node:crypto';
import { AccountChecks } from '@/common/auth/account-checks';
import { errorBody } from '@/common/errors/error-body';
import type { Environment } from '@/config/environment';
import { RedisThrottlerStorage } from '@/infra/rate-limit/redis-throttler.storage';
import { QUEUE_NAMES } from './queues';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';
/** A verified login is remembered this long, so the dashboard's polling does not hash a password each time. */
const VERIFIED_FOR_MS = 60_000;

/**
 * Bull Board at /admin/queues, for administrators only: HTTP basic auth with the email of an
 * account granted administration by `cli user:create-admin` (stored in `users.is_admin`, which
 * no API request can set), and that account's own Conduit password (a browser can send basic
 * auth to a dashboard; it cannot send our `Token` header). An email alone proves nothing: emails
 * are never verified, so anyone could register an address named in a setting.
 */
export function mountQueueDashboard(app: NestExpressApplication): void {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({
    queues: QUEUE_NAMES.map((name) => new BullMQAdapter(app.get<Queue>(getQueueToken(name), { strict: false }))),
    serverAdapter,
  });
  app.use(QUEUE_DASHBOARD_PATH, adminOnly(app), serverAdapter.getRouter());
}

function adminOnly(app: NestExpressApplication) {
  const config = app.get<ConfigService<Environment, true>>(ConfigService);
  const accounts = app.get(AccountChecks);
  const verified = new Map<string, number>();
  const guesses = passwordGuessLimit(app, config);
  // The setting that once named administrators by email; an email is no proof of anything.
  if ((config.get<string | undefined>('ADMIN_EMAILS' as keyof Environment) ?? '') !== '') {
    new Logger('QueueDashboard').warn('ADMIN_EMAILS is ignored: grant administration with `cli user:create-admin --email <email>`');
  }

  const refuse = (response: Response): void => {
    response.setHeader('WWW-Authenticate', 'Basic realm="Conduit administration", charset="UTF-8"');
    response.status(401).json({ errors: { admin: ['credentials required'] } });
  };

  return (request: Request, response: Response, next: NextFunction): void => {
    const header = request.headers.authorization ?? '';
    const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header);
    if (!match) return refuse(response);
    const fingerprint = createHash('sha256').update(match[1]).digest('hex');
    if ((verified.get(fingerprint) ?? 0) > Date.now()) return next();

    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const separator = decoded.indexOf(':');
    const email = decoded.slice(0, separator).trim().toLowerCase();
    const password = decoded.slice(separator + 1);
    if (separator < 0) return refuse(response);
    guesses(request, response)
      .then(async (allowed) => {
        if (!allowed) return;
        if (!(await accounts.isAdministrator(email, password))) return refuse(response);
        verified.set(fingerprint, Date.now() + VERIFIED_FOR_MS);
        next();
      })
      .catch(next);
  };
}

/**
 * Each password the dashboard checks costs an argon2 hash: per client address, at most
 * RATE_LIMIT_AUTH_MAX checks per window (as for logins), then 429 with Retry-After until the
 * window ends. Resolves to false when it answered the request itself.
 */
function passwordGuessLimit(app: NestExpressApplication, config: ConfigService<Environment, true>): (request: Request, response: Response) => Promise<boolean> {
  if (config.get('RATE_LIMIT_ENABLED', { infer: true }) !== true) return () => Promise.resolve(true);
  const storage = app.get(RedisThrottlerStorage, { strict: false });
  const windowMs = config.get('RATE_LIMIT_WINDOW_SECONDS', { infer: true }) * 1000;
  const limit = config.get('RATE_LIMIT_AUTH_MAX', { infer: true });
  return async (request, response) => {
    const record = await storage.increment(String(request.ip), windowMs, limit, windowMs, 'admin-ip');
    if (!record.isBlocked) return true;
    const retryAfter = Math.max(1, record.timeToBlockExpire);
    response.setHeader('Retry-After', String(retryAfter));
    response.status(429).json(errorBody('rate', `too many requests, retry in ${retryAfter} s`));
    return false;
  };
}
