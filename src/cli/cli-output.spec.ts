import { describeFailure } from './cli-errors';
import { age, CliFailure, parseCount, table } from '@/common/cli/cli-output';

describe('parseCount', () => {
  it('accepts whole numbers from the minimum and refuses anything else as a usage mistake', () => {
    expect(parseCount('--users', 1)('12')).toBe(12);
    for (const bad of ['0', '-1', '1.5', 'many', '', '1e3']) {
      expect(() => parseCount('--users', 1)(bad)).toThrow(CliFailure);
    }
    try {
      parseCount('--users', 1)('many');
    } catch (error) {
      expect((error as CliFailure).exitCode).toBe(2);
      expect((error as Error).message).toBe('--users must be a whole number of at least 1 (got "many")');
    }
  });
});

describe('table', () => {
  it('pads text to the left and numbers to the right', () => {
    expect(table([['queue', 'failed'], ['mail', 12], ['scheduled', 3]])).toEqual([
      'queue      failed',
      'mail           12',
      'scheduled       3',
    ]);
  });
});

describe('age', () => {
  it('reads as seconds, minutes, hours or days', () => {
    const now = new Date('2026-01-02T00:00:00Z');
    expect(age(new Date('2026-01-01T23:59:30Z'), now)).toBe('30 s ago');
    expect(age(new Date('2026-01-01T23:57:50Z'), now)).toBe('2 min 10 s ago');
    expect(age(new Date('2026-01-01T21:30:00Z'), now)).toBe('2 h 30 min ago');
    expect(age(new Date('2025-12-30T22:00:00Z'), now)).toBe('2 d 2 h ago');
  });
});

describe('describeFailure', () => {
  it('names an unreachable PostgreSQL with the URL, its password hidden', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5999'), { code: 'ECONNREFUSED' });
    const wrapped = Object.assign(new Error('Raw query failed'), { cause: refused });
    expect(describeFailure(wrapped, 'postgresql://app:secret@127.0.0.1:5999/conduit')).toBe(
      'cannot reach PostgreSQL at postgresql://app:***@127.0.0.1:5999/conduit (Raw query failed)',
    );
  });

  it("gives PostgreSQL's own words from a Prisma error, without Prisma's preamble", () => {
    const prismaError = Object.assign(
      new Error('\nInvalid `prisma.$queryRaw()` invocation:\n\n\nRaw query failed. Code: `3D000`. Message: `database "gone" does not exist`'),
      { code: 'P2010', meta: { driverAdapterError: { cause: { kind: 'DatabaseDoesNotExist', originalCode: '3D000' } } } },
    );
    expect(describeFailure(prismaError, 'postgresql://postgres@db:5432/gone')).toBe(
      'cannot reach PostgreSQL at postgresql://postgres@db:5432/gone (database "gone" does not exist)',
    );
  });

  it('gives the first line of any other error', () => {
    expect(describeFailure(new Error('first line\n    at somewhere'))).toBe('first line');
    expect(describeFailure(new CliFailure('no user with email a@b.c'))).toBe('no user with email a@b.c');
  });
});
