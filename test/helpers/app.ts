import type { INestApplicationContext } from '@nestjs/common';
import { Test, TestingModuleBuilder } from '@nestjs/testing';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from '@/app.module';
import { configureApp } from '@/app.setup';
import { CacheStore, EPOCH_TAG } from '@/infra/cache/cache-store.service';
import { LocalEntries } from '@/infra/cache/local-entries';
import { PrismaService } from '@/infra/prisma/prisma.service';

/**
 * The real application, configured exactly as `main.ts` does, on the test database that
 * `scripts/with-test-db.mjs` created and migrated (DATABASE_URL points at it). `customize` may
 * override providers (a suite that runs against each search engine in turn).
 */
export async function createTestApp(customize: (builder: TestingModuleBuilder) => TestingModuleBuilder = (builder) => builder): Promise<NestExpressApplication> {
  const moduleRef = await customize(Test.createTestingModule({ imports: [AppModule] })).compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({ bodyParser: false, logger: ['error', 'warn'] });
  configureApp(app);
  await app.init();
  return app;
}

/**
 * Empties every table, so that each suite starts from a clean database, and retires every cached
 * response (truncating bypasses the writes that would otherwise invalidate them).
 */
export async function resetDatabase(app: Pick<INestApplicationContext, 'get'>): Promise<void> {
  const prisma = app.get(PrismaService);
  const tables = await prisma.$queryRaw<Array<{ tablename: string }>>`
    SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename <> '_prisma_migrations'`;
  if (tables.length === 0) return;
  const list = tables.map(({ tablename }) => `"${tablename}"`).join(', ');
  await prisma.$executeRawUnsafe(`TRUNCATE TABLE ${list} RESTART IDENTITY CASCADE`);
  app.get(LocalEntries).clear();
  await app.get(CacheStore).bump([EPOCH_TAG]);
}
