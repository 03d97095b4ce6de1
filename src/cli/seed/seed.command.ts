import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Command, CommandRunner, Option } from 'nest-commander';
import type { Environment } from '@/config/environment';
import { PrismaService } from '@/infra/prisma/prisma.service';
import { CliFailure, parseCount, ProgressBar, report } from '@/common/cli/cli-output';
import {
  DEFAULT_SEED,
  generateData,
  SEED_PASSWORD,
  SEED_SIZE_NAMES,
  SEED_SIZES,
  seedEmail,
  SeedSizeName,
  SeedSizes,
} from './data-generator';

interface SeedOptions extends Partial<SeedSizes> {
  size: SeedSizeName;
  seed: number;
  reset?: boolean;
  json?: boolean;
}

@Command({
  name: 'seed',
  description: 'fill the database with generated sample data (the same data for the same --seed); does nothing if it is already seeded',
})
export class SeedCommand extends CommandRunner {
  constructor(
    private readonly prisma: PrismaService,
    private readonly config: ConfigService<Environment, true>,
  ) {
    super();
  }

  async run(_params: string[], options: SeedOptions): Promise<void> {
    const sizes: SeedSizes = { ...SEED_SIZES[options.size] };
    for (const key of ['users', 'articles', 'favorites', 'comments', 'tags'] as const) {
      if (options[key] !== undefined) sizes[key] = options[key];
    }
    if (options.reset) await this.reset();
    const progress = new ProgressBar();
    const result = await generateData(this.prisma, {
      sizes,
      seed: options.seed,
      onProgress: ({ step, done, total }) => progress.update(step, done, total),
    });
    report(options, { ...result, size: options.size, login: { email: seedEmail(1), password: SEED_PASSWORD } }, () => [
      result.created
        ? `Seeded in ${result.seconds.toFixed(1)} s (size ${options.size}, seed ${result.seed}):`
        : 'Already seeded, nothing written (use --reset to start again). Generated data present:',
      ...Object.entries(result.counts).map(
        ([name, count]) => `  ${name.padEnd(12)} ${count.toLocaleString('en-US').padStart(9)}${name in result.stepSeconds ? `  (${result.stepSeconds[name]} s)` : ''}`,
      ),
      `Sign in as ${seedEmail(1)} (or any user<n>@...) with password "${SEED_PASSWORD}".`,
      'A running api may serve cached lists for a while: run `cache:flush` to see the new data at once.',
    ]);
  }

  /** Empties every table but the migrations' (refused in production). */
  private async reset(): Promise<void> {
    if (this.config.get('NODE_ENV', { infer: true }) === 'production') {
      throw new CliFailure('seed --reset empties every table: refused with NODE_ENV=production');
    }
    const tables = await this.prisma.$queryRaw<Array<{ tablename: string }>>`
      SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename <> '_prisma_migrations'`;
    if (tables.length === 0) return;
    await this.prisma.$executeRawUnsafe(`TRUNCATE TABLE ${tables.map(({ tablename }) => `"${tablename}"`).join(', ')} RESTART IDENTITY CASCADE`);
  }

  @Option({
    flags: '--size <size>',
    description: `data set size: ${SEED_SIZE_NAMES.map((name) => `${name} (${SEED_SIZES[name].users} users, ${SEED_SIZES[name].articles} articles)`).join(', ')}`,
    defaultValue: 'small',
    choices: [...SEED_SIZE_NAMES],
  })
  parseSize(value: string): string {
    return value;
  }

  @Option({ flags: '--seed <number>', description: 'seed of the generated content', defaultValue: DEFAULT_SEED })
  parseSeed(value: string): number {
    return parseCount('--seed')(value);
  }

  @Option({ flags: '--users <count>', description: 'number of users (overrides --size)' })
  parseUsers(value: string): number {
    return parseCount('--users', 1)(value);
  }

  @Option({ flags: '--articles <count>', description: 'number of articles (overrides --size)' })
  parseArticles(value: string): number {
    return parseCount('--articles')(value);
  }

  @Option({ flags: '--favorites <count>', description: 'number of favorites (overrides --size)' })
  parseFavorites(value: string): number {
    return parseCount('--favorites')(value);
  }

  @Option({ flags: '--comments <count>', description: 'number of comments (overrides --size)' })
  parseComments(value: string): number {
    return parseCount('--comments')(value);
  }

  @Option({ flags: '--tags <count>', description: 'number of tags (overrides --size)' })
  parseTags(value: string): number {
    return parseCount('--tags')(value);
  }

  @Option({ flags: '--reset', description: 'empty every table first (refused with NODE_ENV=production)' })
  parseReset(): boolean {
    return true;
  }

  @Option({ flags: '--json', description: 'print the result as JSON' })
  parseJson(): boolean {
    return true;
  }
}

@Module({ providers: [SeedCommand] })
export class SeedCommandsModule {}
