import { Prisma } from '@/generated/prisma/client';

/**
 * The columns of the unique index a write violated, or `undefined` when `error` is not a unique
 * violation. Prisma reports them in `meta.target`, or through the driver adapter's error.
 */
export function uniqueViolationFields(error: unknown): string[] | undefined {
  if (!(error instanceof Prisma.PrismaClientKnownRequestError) || error.code !== 'P2002') return undefined;
  const meta = error.meta as
    | { target?: unknown; driverAdapterError?: { cause?: { constraint?: { fields?: unknown } } } }
    | undefined;
  const target = meta?.target ?? meta?.driverAdapterError?.cause?.constraint?.fields;
  const fields = Array.isArray(target) ? target : typeof target === 'string' ? [target] : [];
  return fields.map((field) => String(field).replace(/"/g, ''));
}
