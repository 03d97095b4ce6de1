import { Module } from '@nestjs/common';
import { Command, CommandRunner, Option } from 'nest-commander';
import { CliFailure, OutputOptions, ProgressBar, report } from '@/common/cli/cli-output';
import { SearchCoreModule } from './search-core.module';
import { SearchCheckReport, SearchMaintenance } from './search-maintenance.service';

function checkLines(check: SearchCheckReport): string[] {
  return [
    `engine ${check.engine}, index ${check.index}`,
    `published articles in PostgreSQL: ${check.databaseCount}; documents in the index: ${check.indexCount}`,
    `missing ${check.missing}, stale ${check.stale}, extra ${check.extra}, tags text drift ${check.tagsTextDrift}; repaired ${check.repaired}`,
    check.inSync ? 'in sync' : 'DRIFT LEFT',
  ];
}

/** Compares the search index with PostgreSQL (counts and per-document versions) and repairs drift. */
@Command({ name: 'search:check', description: 'compare the search index with PostgreSQL (counts, document versions) and repair drift (exit 1 if any is left)' })
export class SearchCheckCommand extends CommandRunner {
  constructor(private readonly maintenance: SearchMaintenance) {
    super();
  }

  async run(_parameters: string[], options: OutputOptions): Promise<void> {
    const check = await this.maintenance.check({ repair: true });
    report(options, check, () => checkLines(check));
    if (!check.inSync) throw new CliFailure('search:check: drift is left after repair (see above)');
  }

  @Option({ flags: '--json', description: 'print the report as JSON' })
  parseJson(): boolean {
    return true;
  }
}

/** Builds a fresh index from PostgreSQL and swaps the alias to it with no downtime. */
@Command({
  name: 'search:reindex',
  description: "rebuild the search index from PostgreSQL and swap it in with no downtime; the worker then writes generated features' documents again",
})
export class SearchReindexCommand extends CommandRunner {
  constructor(private readonly maintenance: SearchMaintenance) {
    super();
  }

  async run(_parameters: string[], options: OutputOptions): Promise<void> {
    const progress = new ProgressBar(!options.json);
    const reindex = await this.maintenance.reindex((done, total) => progress.update('documents', done, total));
    report(options, reindex, () => [
      `engine ${reindex.engine}: index ${reindex.index} holds ${reindex.documents} documents`,
      ...checkLines(reindex.catchUp),
      "generated features' documents: the worker writes them again (outbox event resync-features)",
    ]);
    if (!reindex.catchUp.inSync) throw new CliFailure('search:reindex: drift is left after the catch-up (see above)');
  }

  @Option({ flags: '--json', description: 'print the report as JSON' })
  parseJson(): boolean {
    return true;
  }
}

/** The search commands, loaded by the command line (src/cli/cli.module.ts). */
@Module({
  imports: [SearchCoreModule],
  providers: [SearchCheckCommand, SearchReindexCommand],
})
export class SearchCommandsModule {}
