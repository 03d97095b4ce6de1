import { Logger, Module } from '@nestjs/common';
import { Command, CommandRunner, Option } from 'nest-commander';
import { SearchCoreModule } from './search-core.module';
import { SearchCheckReport, SearchMaintenance } from './search-maintenance.service';

interface JsonOption {
  json?: boolean;
}

function print(report: object, options: JsonOption, lines: string[]): void {
  if (options.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  else process.stdout.write(`${lines.join('\n')}\n`);
}

function checkLines(report: SearchCheckReport): string[] {
  return [
    `engine ${report.engine}, index ${report.index}`,
    `published articles in PostgreSQL: ${report.databaseCount}; documents in the index: ${report.indexCount}`,
    `missing ${report.missing}, stale ${report.stale}, extra ${report.extra}, tags text drift ${report.tagsTextDrift}; repaired ${report.repaired}`,
    report.inSync ? 'in sync' : 'DRIFT LEFT',
  ];
}

/** Compares the search index with PostgreSQL (counts and per-document versions) and repairs drift. */
@Command({ name: 'search:check', description: 'Compare the search index with PostgreSQL and repair any drift' })
export class SearchCheckCommand extends CommandRunner {
  private readonly logger = new Logger('search:check');

  constructor(private readonly maintenance: SearchMaintenance) {
    super();
  }

  async run(_parameters: string[], options: JsonOption = {}): Promise<void> {
    try {
      const report = await this.maintenance.check({ repair: true });
      print(report, options, checkLines(report));
      if (!report.inSync) process.exitCode = 1;
    } catch (error) {
      this.logger.error(`search:check failed: ${(error as Error).message}`);
      process.exitCode = 1;
    }
  }

  @Option({ flags: '--json', description: 'Print the report as one JSON line' })
  parseJson(): boolean {
    return true;
  }
}

/** Builds a fresh index from PostgreSQL and swaps the alias to it with no downtime. */
@Command({ name: 'search:reindex', description: 'Rebuild the search index from PostgreSQL and swap it in with no downtime' })
export class SearchReindexCommand extends CommandRunner {
  private readonly logger = new Logger('search:reindex');

  constructor(private readonly maintenance: SearchMaintenance) {
    super();
  }

  async run(_parameters: string[], options: JsonOption = {}): Promise<void> {
    try {
      const report = await this.maintenance.reindex();
      print(report, options, [`engine ${report.engine}: index ${report.index} holds ${report.documents} documents`, ...checkLines(report.catchUp)]);
      if (!report.catchUp.inSync) process.exitCode = 1;
    } catch (error) {
      this.logger.error(`search:reindex failed: ${(error as Error).message}`);
      process.exitCode = 1;
    }
  }

  @Option({ flags: '--json', description: 'Print the report as one JSON line' })
  parseJson(): boolean {
    return true;
  }
}

/** The search commands, for the command-line module to import (with the infrastructure modules). */
@Module({
  imports: [SearchCoreModule],
  providers: [SearchCheckCommand, SearchReindexCommand],
})
export class SearchCommandsModule {}
