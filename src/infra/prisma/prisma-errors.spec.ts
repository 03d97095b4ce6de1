import { Prisma } from '@/generated/prisma/client';
import { isDatabaseUnavailable, isStatementTimeout, uniqueViolationFields } from './prisma-errors';

function p2002(meta: Record<string, unknown>): Prisma.PrismaClientKnownRequestError {
  return new Prisma.PrismaClientKnownRequestError('Unique constraint failed', { code: 'P2002', clientVersion: 'test', meta });
}

describe('uniqueViolationFields', () => {
  it('reads the column from the index the pg adapter reports', () => {
    const error = p2002({
      driverAdapterError: { cause: { kind: 'UniqueConstraintViolation', constraint: { index: 'users_email_key' }, table: 'users' } },
    });
    expect(uniqueViolationFields(error)).toEqual(['email']);
  });

  it("reads Prisma's own target when present", () => {
    expect(uniqueViolationFields(p2002({ target: ['slug'] }))).toEqual(['slug']);
  });

  it('is undefined for anything but a unique violation', () => {
    expect(uniqueViolationFields(new Error('boom'))).toBeUndefined();
    const notFound = new Prisma.PrismaClientKnownRequestError('missing', { code: 'P2025', clientVersion: 'test' });
    expect(uniqueViolationFields(notFound)).toBeUndefined();
  });
});

/** A Prisma error as the pg driver adapter reports it (shapes observed against a stopped PostgreSQL). */
function known(code: string, cause?: Record<string, unknown>): Prisma.PrismaClientKnownRequestError {
  return new Prisma.PrismaClientKnownRequestError('failed', {
    code,
    clientVersion: 'test',
    meta: cause && { driverAdapterError: { name: 'DriverAdapterError', cause } },
  });
}

/** An error as node's net module or node-postgres raises it. */
function raw(message: string, props: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), props);
}

describe('isDatabaseUnavailable', () => {
  it.each([
    ['a server that cannot be reached (P1001)', known('P1001', { kind: 'DatabaseNotReachable', host: '127.0.0.1', port: 5432 })],
    ['a closed connection (P1017)', known('P1017', { kind: 'ConnectionClosed' })],
    ['a socket timeout (P1008)', known('P1008', { kind: 'SocketTimeout' })],
    ['a pool with no free connection in time (P2024)', known('P2024')],
    ['a transaction that could not start (P2028)', known('P2028')],
    ['too many connections (P2037)', known('P2037', { kind: 'TooManyConnections', cause: 'sorry, too many clients already' })],
    ['a raw query on an unreachable server (P2010)', known('P2010', { kind: 'DatabaseNotReachable', host: '127.0.0.1', port: 5432 })],
    [
      'a raw query cut by an administrator shutdown (57P01)',
      known('P2010', { originalCode: '57P01', kind: 'postgres', code: '57P01', severity: 'FATAL', message: 'terminating connection due to administrator command' }),
    ],
    ['a server starting up (57P03)', known('P2010', { kind: 'postgres', code: '57P03', severity: 'FATAL', message: 'the database system is starting up' })],
    ['a connection failure (class 08)', known('P2010', { kind: 'postgres', code: '08006', severity: 'FATAL', message: 'connection failure' })],
    ['the adapter error itself', Object.assign(new Error('DriverAdapterError'), { name: 'DriverAdapterError', cause: { kind: 'ConnectionClosed' } })],
    ['a refused socket', raw('connect ECONNREFUSED 127.0.0.1:5432', { code: 'ECONNREFUSED', syscall: 'connect', errno: -111 })],
    ['a reset socket, as a cause', raw('query failed', { cause: raw('read ECONNRESET', { code: 'ECONNRESET', syscall: 'read', errno: -104 }) })],
    ['a pg client used after its connection broke', raw('Client has encountered a connection error and is not queryable')],
    ['a pg connection that ended mid-query', raw('Connection terminated unexpectedly')],
    ['a pg pool with no connection in time', raw('timeout exceeded when trying to connect')],
    ['a client that could not initialise', new Prisma.PrismaClientInitializationError("Can't reach database server", 'test')],
  ])('is true for %s', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['a unique violation (P2002)', known('P2002', { kind: 'UniqueConstraintViolation', constraint: { index: 'users_email_key' } })],
    ['a missing record (P2025)', known('P2025')],
    ['a raw query with a syntax error (42601)', known('P2010', { kind: 'postgres', code: '42601', severity: 'ERROR', message: 'syntax error' })],
    ['a cancelled statement (57014, statement timeout)', known('P2010', { kind: 'postgres', code: '57014', severity: 'ERROR', message: 'canceling statement' })],
    ['a mail server that timed out (a socket code without a system call)', Object.assign(new Error('Mail to smtp://mail:25 failed: Greeting never received'), { name: 'MailDeliveryError', code: 'ETIMEDOUT' })],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['a validation error', new Prisma.PrismaClientValidationError('Argument `id` is missing.', { clientVersion: 'test' })],
    ['nothing at all', undefined],
    ['a string', 'ECONNREFUSED'],
  ])('is false for %s', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });

  it('recognises a statement timeout, through the adapter and as a cause, and nothing else', () => {
    const timeout = known('P2010', { kind: 'postgres', code: '57014', severity: 'ERROR', message: 'canceling statement due to statement timeout' });
    expect(isStatementTimeout(timeout)).toBe(true);
    expect(isStatementTimeout(raw('query failed', { cause: raw('canceling statement', { code: '57014' }) }))).toBe(true);
    expect(isStatementTimeout(known('P2010', { kind: 'postgres', code: '42601', severity: 'ERROR', message: 'syntax error' }))).toBe(false);
    expect(isStatementTimeout(undefined)).toBe(false);
  });

  it('does not loop on a cause that refers back to itself', () => {
    const error = raw('odd') as Error & { cause?: unknown };
    error.cause = error;
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});
