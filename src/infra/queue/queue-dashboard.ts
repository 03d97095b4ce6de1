import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { getQueueToken } from '@nestjs/bullmq';
import { ConfigService } from '@nestjs/config';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Queue } from 'bullmq';
import type { NextFunction, Request, Response } from 'express';
import { createHash } from 'node:crypto';
import { PasswordHasher } from '@/common/auth/password-hasher';
import type { Environment } from '@/config/environment';
import { PrismaService } from '@/infra/prisma/prisma.service';
import { QUEUE_NAMES } from './queues';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';
/** A verified login is remembered this long, so the dashboard's polling does not hash a password each time. */
const VERIFIED_FOR_MS = 60_000;

/**
 * Bull Board at /admin/queues, for administrators only: HTTP basic auth with the email of an
 * account listed in ADMIN_EMAILS or flagged as administrator (`cli user:create-admin`), and that
 * account's own Conduit password (a browser can send
 * basic auth to a dashboard; it cannot send our `Token` header).
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
  const admins = new Set(app.get<ConfigService<Environment, true>>(ConfigService).get('ADMIN_EMAILS', { infer: true }));
  const prisma = app.get(PrismaService);
  const passwords = app.get(PasswordHasher);
  const verified = new Map<string, number>();

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
    prisma.user
      .findUnique({ where: { email }, select: { passwordHash: true, isAdmin: true } })
      .then(async (user) => {
        // An administrator is listed in ADMIN_EMAILS or flagged by `cli user:create-admin`.
        const verified = await passwords.verify(user?.passwordHash, password);
        return verified && (admins.has(email) || user?.isAdmin === true);
      })
      .then((ok) => {
        if (!ok) return refuse(response);
        verified.set(fingerprint, Date.now() + VERIFIED_FOR_MS);
        next();
      })
      .catch(next);
  };
}
