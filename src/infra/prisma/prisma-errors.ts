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
