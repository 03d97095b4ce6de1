/**
 * `npm run db:seed`: the small sample data set (see src/cli/seed/data-generator.ts, which
 * `npm run cli -- seed` and the benchmarks use too). Idempotent: once seeded it writes nothing.
 * Every generated user's password is `conduit-seed`; never run this against production.
 */
import 'reflect-metadata';
import { PrismaPg } from '@prisma/adapter-pg';
import { describeFailure } from '../src/cli/cli-errors';
import { generateData, SEED_PASSWORD, SEED_SIZES, seedEmail } from '../src/cli/seed/data-generator';
import { loadEnvFile } from '../src/config/env-file';
import { PrismaClient } from '../src/generated/prisma/client';

async function main(): Promise<void> {
  loadEnvFile();
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set (in the environment or .env; see .env.example)');
  if (!/^postgres(ql)?:\/\//.test(url)) throw new Error('DATABASE_URL must be a postgresql:// connection string (see .env.example)');
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: url }) });
  try {
    const result = await generateData(prisma, { sizes: SEED_SIZES.small });
    const counts = Object.entries(result.counts).map(([name, count]) => `${count} ${name}`).join(', ');
    console.log(`${result.created ? 'Seeded' : 'Already seeded'}: ${counts}. Sign in as ${seedEmail(1)} with password "${SEED_PASSWORD}".`);
  } finally {
    await prisma.$disconnect();
  }
}

main().catch((error: unknown) => {
  console.error(`db:seed failed: ${describeFailure(error, process.env.DATABASE_URL)}`);
  process.exit(1);
});
