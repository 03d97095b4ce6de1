import { Prisma } from '@/generated/prisma/client';
import { uniqueViolationFields } from './prisma-errors';

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
