import { Prisma } from '@/generated/prisma/client';

interface DriverAdapterConstraint {
  fields?: string[];
  index?: string;
}

/** A write referenced a row that does not exist (any more): a foreign key violation. */
export function isForeignKeyViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2003';
}

/**
 * The columns of the unique index a write violated, or `undefined` when `error` is not a unique
 * violation. Prisma reports them in `meta.target` or, through the pg driver adapter, as the
 * violated index, named by Prisma's convention `<table>_<column>_key` (or `..._<a>_<b>_key`).
 */
export function uniqueViolationFields(error: unknown): string[] | undefined {
  if (!(error instanceof Prisma.PrismaClientKnownRequestError) || error.code !== 'P2002') return undefined;
  const meta = error.meta as
    | { target?: unknown; driverAdapterError?: { cause?: { constraint?: DriverAdapterConstraint; table?: string } } }
    | undefined;
  if (Array.isArray(meta?.target)) return meta.target.map(String);
  if (typeof meta?.target === 'string') return [meta.target];
  const cause = meta?.driverAdapterError?.cause;
  if (cause?.constraint?.fields) return cause.constraint.fields.map((field) => field.replace(/"/g, ''));
  const index = cause?.constraint?.index;
  if (!index) return [];
  const table = cause?.table;
  const columns = index.replace(/_key$/, '');
  return [table && columns.startsWith(`${table}_`) ? columns.slice(table.length + 1) : columns];
}

/**
 * Prisma error codes for a database that cannot be reached or stopped answering: server
 * unreachable (P1001), timed out (P1002, P1008), connection closed (P1017), no connection from the
 * pool in time (P2024), a transaction that could not start or lost its connection (P2028), too
 * many connections (P2037).
 */
const UNAVAILABLE_PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028', 'P2037']);

/** What the pg driver adapter reports for a lost or refused connection (`driverAdapterError.cause.kind`). */
const UNAVAILABLE_ADAPTER_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections', 'TlsConnectionError']);

/** Socket errors of a connection that could not be opened or was cut. */
const SOCKET_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND']);

/**
 * PostgreSQL SQLSTATEs that mean "not now" rather than "never": class 08 (connection exception),
 * 57P01..57P03 (administrator, crash or startup shutdown; cannot connect now), 53300 (too many
 * connections).
 */
function isTransientSqlState(code: string): boolean {
  return /^08[0-9A-Z]{3}$/.test(code) || ['57P01', '57P02', '57P03', '53300'].includes(code);
}

/**
 * node-postgres reports some connection failures with a message only: a server that went away
 * mid-query, a client used after its connection broke, a pool that found no connection in time.
 */
const PG_CONNECTION_MESSAGES = [
  /^Connection terminated/,
  /connection error and is not queryable/,
  /^timeout exceeded when trying to connect/,
  /^Client was closed and is not queryable/,
  /^Cannot use a pool after calling end on the pool/,
];

/**
 * Whether `error` means that PostgreSQL is unreachable or dropped the connection, so that the
 * request may succeed if tried again shortly (503), as opposed to a bug or bad input. Looks at
 * Prisma's codes, at the pg driver adapter's error (`meta.driverAdapterError`, or the
 * `DriverAdapterError` itself), at PostgreSQL's SQLSTATE, at socket errors and at node-postgres's
 * messages, following `cause` chains.
 */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 5) return false;
  const candidate = error as {
    code?: unknown;
    message?: unknown;
    kind?: unknown;
    originalCode?: unknown;
    meta?: { driverAdapterError?: unknown };
    cause?: unknown;
  };
  if (error instanceof Prisma.PrismaClientInitializationError) return true;
  if (error instanceof Prisma.PrismaClientKnownRequestError && UNAVAILABLE_PRISMA_CODES.has(error.code)) return true;
  if (typeof candidate.kind === 'string') {
    if (UNAVAILABLE_ADAPTER_KINDS.has(candidate.kind)) return true;
    if (candidate.kind === 'postgres' && typeof candidate.code === 'string' && isTransientSqlState(candidate.code)) return true;
  }
  for (const code of [candidate.code, candidate.originalCode]) {
    if (typeof code === 'string' && isTransientSqlState(code)) return true;
  }
  // Only a socket error of Node's own (it names its system call): other libraries reuse these
  // codes for their own connections (nodemailer's ETIMEDOUT is the mail server's, not ours).
  if (typeof candidate.code === 'string' && SOCKET_ERROR_CODES.has(candidate.code) && typeof (error as { syscall?: unknown }).syscall === 'string') return true;
  if (typeof candidate.message === 'string' && PG_CONNECTION_MESSAGES.some((pattern) => pattern.test(candidate.message as string))) return true;
  return isDatabaseUnavailable(candidate.meta?.driverAdapterError, depth + 1) || isDatabaseUnavailable(candidate.cause, depth + 1);
}

/**
 * Whether PostgreSQL cancelled a statement that ran past its statement timeout (SQLSTATE 57014),
 * as Prisma, the pg driver adapter or node-postgres report it. Not a bug but an overloaded or too
 * costly moment: the API answers 503, not 500.
 */
export function isStatementTimeout(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 5) return false;
  const candidate = error as { code?: unknown; originalCode?: unknown; meta?: { driverAdapterError?: unknown }; cause?: unknown };
  if (candidate.code === '57014' || candidate.originalCode === '57014') return true;
  return isStatementTimeout(candidate.meta?.driverAdapterError, depth + 1) || isStatementTimeout(candidate.cause, depth + 1);
}
