import { Prisma } from '@/generated/prisma/client';
import { CliFailure } from '@/common/cli/cli-output';

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** The URL without its password, for messages (secrets are never printed). */
export function shownUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/** Every code and message of an error and of its causes (pg and Prisma nest them). */
function chain(error: unknown): Array<{ code?: string; message: string; kind?: string }> {
  const found: Array<{ code?: string; message: string; kind?: string }> = [];
  const seen = new Set<unknown>();
  const visit = (current: unknown): void => {
    if (!current || typeof current !== 'object' || seen.has(current)) return;
    seen.add(current);
    const record = current as {
      code?: unknown;
      originalCode?: unknown;
      message?: unknown;
      originalMessage?: unknown;
      kind?: unknown;
      cause?: unknown;
      errors?: unknown;
      meta?: unknown;
    };
    const code = record.code ?? record.originalCode;
    const message = record.message ?? record.originalMessage;
    found.push({
      code: typeof code === 'string' ? code : undefined,
      message: typeof message === 'string' ? message : '',
      kind: typeof record.kind === 'string' ? record.kind : undefined,
    });
    visit(record.cause);
    if (Array.isArray(record.errors)) record.errors.forEach(visit);
    visit((record.meta as { driverAdapterError?: unknown } | undefined)?.driverAdapterError);
  };
  visit(error);
  return found;
}

/** Whether PostgreSQL could not be reached or refused the login or the database. */
export function isDatabaseUnavailable(error: unknown): boolean {
  return chain(error).some(
    ({ code, message, kind }) =>
      (code && (CONNECTION_CODES.has(code) || ['P1001', 'P1017', 'P2024', '28P01', '28000', '3D000', '57P03'].includes(code))) ||
      (kind && ['DatabaseNotReachable', 'DatabaseDoesNotExist', 'DatabaseAccessDenied', 'AuthenticationFailed', 'TlsConnectionError', 'SocketTimeout'].includes(kind)) ||
      /Can't reach database server|ECONNREFUSED|Connection terminated|timeout exceeded when trying to connect/i.test(message),
  );
}

/** What PostgreSQL or the driver said, without Prisma's preamble ("Invalid `prisma.$queryRaw()` invocation"). */
function databaseDetail(error: unknown): string | undefined {
  for (const { message } of chain(error)) {
    const quoted = /Message: `(.+?)`\s*$/m.exec(message);
    if (quoted) return quoted[1];
  }
  return chain(error)
    .map(({ message }) => message.split('\n').find((line) => line.trim()))
    .find((line) => line !== undefined && !/^Invalid `prisma/.test(line));
}

/**
 * One line for the operator about an error a command did not handle itself: the failures one
 * can act on (PostgreSQL unreachable, a bad option) are named, anything else gives its message.
 */
export function describeFailure(error: unknown, databaseUrl?: string): string {
  if (error instanceof CliFailure) return error.message;
  if (isDatabaseUnavailable(error)) {
    const detail = databaseDetail(error);
    return `cannot reach PostgreSQL at ${databaseUrl ? shownUrl(databaseUrl) : 'DATABASE_URL'}${detail ? ` (${detail})` : ''}`;
  }
  if (error instanceof Prisma.PrismaClientKnownRequestError) return `database error ${error.code}: ${error.message.split('\n').at(-1)}`;
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n').find((line) => line.trim()) ?? 'unknown error';
}
