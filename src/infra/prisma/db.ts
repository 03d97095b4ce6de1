import type { Prisma } from '@/generated/prisma/client';

/**
 * What repositories run their queries on: the Prisma client itself, or the client of a
 * transaction that a service opened so that a change and its outbox events commit together.
 */
export type Db = Prisma.TransactionClient;
