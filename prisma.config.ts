import { defineConfig, env } from 'prisma/config';

// Read by the stock Prisma CLI. The air-gapped migration script (scripts/prisma-migrate.mjs)
// uses the same schema and migrations paths.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: {
    path: 'prisma/migrations',
    seed: 'node dist/prisma/seed.js',
  },
  datasource: {
    url: env('DATABASE_URL'),
  },
});
