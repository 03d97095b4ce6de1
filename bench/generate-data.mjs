#!/usr/bin/env node
// The benchmark data set: the `bench` size of the one data generator
// (src/cli/seed/data-generator.ts, also behind `npm run cli -- seed` and `npm run db:seed`):
//   10,000 users, 100,000 articles (3 tags each of 50), 300,000 favorites, 200,000 comments,
//   200,000 follows. Every generated user's password is SEED_PASSWORD.
//
//   DATABASE_URL=... node bench/generate-data.mjs [--scale 1]
//
// Needs the build (`npm run build`). Idempotent: it does nothing when the data is already there.
// generateBenchData resolves to the sizes and whether it generated anything (`created`).
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { PrismaClient } = require(path.join(root, 'dist/src/generated/prisma/client.js'));
const generator = require(path.join(root, 'dist/src/cli/seed/data-generator.js'));
const { PrismaPg } = require('@prisma/adapter-pg');

export const BENCH_PASSWORD = generator.SEED_PASSWORD;
/** The n-th user of the data set (n from 1): email to sign in with, and username. */
export const benchEmail = (n) => generator.seedEmail(n);
export const benchUsername = (n) => generator.seedUsername(n);
/** A tag that many articles carry. */
export const BENCH_TAG = generator.tagNames(10)[6];

export async function generateBenchData({ databaseUrl = process.env.DATABASE_URL, scale = 1, log = console.log } = {}) {
  if (!databaseUrl) throw new Error('DATABASE_URL is not set');
  const bench = generator.SEED_SIZES.bench;
  const sizes = {
    ...bench,
    users: Math.round(bench.users * scale),
    articles: Math.round(bench.articles * scale),
    favorites: Math.round(bench.favorites * scale),
    comments: Math.round(bench.comments * scale),
  };
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl }) });
  try {
    let lastStep;
    const result = await generator.generateData(prisma, {
      sizes,
      onProgress: ({ step }) => {
        if (step !== lastStep) log(`  ${step}...`);
        lastStep = step;
      },
    });
    log(result.created ? `bench data generated in ${result.seconds.toFixed(1)} s` : 'bench data present; nothing to do');
    log(`  ${Object.entries(result.counts).map(([name, count]) => `${count} ${name}`).join(', ')}`);
    return { sizes, created: result.created };
  } finally {
    await prisma.$disconnect();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const scaleFlag = process.argv.indexOf('--scale');
  const scale = scaleFlag > 0 ? Number(process.argv[scaleFlag + 1]) : 1;
  generateBenchData({ scale }).catch((error) => {
    console.error(`bench data failed: ${error.message}`);
    process.exit(1);
  });
}
