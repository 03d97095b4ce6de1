import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Command, CommandRunner, Option } from 'nest-commander';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Environment } from '@/config/environment';
import { PrismaService } from '@/infra/prisma/prisma.service';
import { shownUrl } from './cli-errors';
import { CliFailure, report } from '@/common/cli/cli-output';

interface AppliedMigration {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

export interface MigrationReport {
  applied: string[];
  /** In prisma/migrations, not applied to the database. */
  pending: string[];
  /** Started and never finished (a failed migration): needs an operator. */
  failed: string[];
  /** Applied, but the file changed since (its checksum differs). */
  modified: string[];
  /** Applied to the database, absent from prisma/migrations (a newer release's, or a removed one). */
  unknown: string[];
}

/** prisma/migrations beside the package.json of this project, wherever the command runs from. */
function migrationsDir(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'prisma', 'migrations'))) {
      return path.join(dir, 'prisma', 'migrations');
    }
    if (path.dirname(dir) === dir) throw new CliFailure('prisma/migrations not found next to the application');
  }
}

@Command({
  name: 'db:check',
  description: 'check the database: connection, server version, and that every migration is applied (exit 1 otherwise)',
})
export class DbCheckCommand extends CommandRunner {
  constructor(
    private readonly prisma: PrismaService,
    private readonly config: ConfigService<Environment, true>,
  ) {
    super();
  }

  async run(_params: string[], options: { json?: boolean }): Promise<void> {
    const started = Date.now();
    const [server] = await this.prisma.$queryRaw<Array<{ version: string; database: string }>>`
      SELECT current_setting('server_version') AS version, current_database() AS database`;
    const latencyMs = Date.now() - started;
    const migrations = await this.migrations();
    const url = new URL(this.config.get('DATABASE_URL', { infer: true }));
    const problems = [
      ...migrations.pending.map((name) => `migration ${name} is not applied (run npm run db:migrate)`),
      ...migrations.failed.map((name) => `migration ${name} failed and needs attention`),
      ...migrations.modified.map((name) => `migration ${name} was changed after it was applied`),
    ];
    report(options, { ok: problems.length === 0, database: server.database, host: url.host, serverVersion: server.version, latencyMs, migrations, problems }, () => [
      `connection     ok (${shownUrl(url.toString())}, ${latencyMs} ms)`,
      `server         PostgreSQL ${server.version}`,
      `migrations     ${migrations.applied.length} applied, ${migrations.pending.length} pending, ${migrations.failed.length} failed` +
        (migrations.unknown.length ? `, ${migrations.unknown.length} unknown to this release (${migrations.unknown.join(', ')})` : ''),
      ...problems.map((problem) => `problem        ${problem}`),
    ]);
    if (problems.length > 0) throw new CliFailure(`database check failed: ${problems.join('; ')}`);
  }

  private async migrations(): Promise<MigrationReport> {
    const dir = migrationsDir();
    const files = new Map(
      readdirSync(dir, { withFileTypes: true })
        .filter((entry) => entry.isDirectory() && existsSync(path.join(dir, entry.name, 'migration.sql')))
        .map((entry) => [entry.name, createHash('sha256').update(readFileSync(path.join(dir, entry.name, 'migration.sql'))).digest('hex')]),
    );
    const table = await this.prisma.$queryRaw<Array<{ present: boolean }>>`SELECT to_regclass('_prisma_migrations') IS NOT NULL AS present`;
    const rows = table[0].present
      ? await this.prisma.$queryRaw<AppliedMigration[]>`
          SELECT migration_name, checksum, finished_at, rolled_back_at FROM _prisma_migrations ORDER BY started_at`
      : [];
    const live = rows.filter((row) => row.rolled_back_at === null);
    const applied = live.filter((row) => row.finished_at !== null);
    const failed = live.filter((row) => row.finished_at === null).map((row) => row.migration_name);
    const appliedNames = new Set([...applied.map((row) => row.migration_name), ...failed]);
    return {
      applied: applied.map((row) => row.migration_name),
      pending: [...files.keys()].filter((name) => !appliedNames.has(name)).sort(),
      failed,
      modified: applied.filter((row) => files.has(row.migration_name) && files.get(row.migration_name) !== row.checksum).map((row) => row.migration_name),
      unknown: applied.filter((row) => !files.has(row.migration_name)).map((row) => row.migration_name),
    };
  }

  @Option({ flags: '--json', description: 'print the result as JSON' })
  parseJson(): boolean {
    return true;
  }
}

@Module({ providers: [DbCheckCommand] })
export class DbCommandsModule {}
