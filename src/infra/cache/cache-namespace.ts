import type { PrismaService } from '@/infra/prisma/prisma.service';

/**
 * Cache keys are scoped to the database they describe: its name and object id, which change when
 * the database is dropped and created again. Several databases can share one Redis, and a
 * recreated database never meets answers cached from its predecessor.
 */
export async function databaseNamespace(prisma: Pick<PrismaService, '$queryRaw'>): Promise<string> {
  const [row] = await prisma.$queryRaw<Array<{ name: string; oid: number }>>`
    SELECT current_database() AS name, oid::int AS oid FROM pg_database WHERE datname = current_database()`;
  return `conduit:${row.name}:${row.oid}`;
}
