import { Inject, Injectable } from '@nestjs/common';
import { FeatureDocumentSync } from './feature-documents';
import { SEARCH_ENGINE, type SearchEngine, type SearchEngineKind } from './search-engine';
import { SearchSync } from './search-sync';
import { ArticleDocuments } from '@/modules/articles/article-documents';

const REPAIR_BATCH = 500;

export interface SearchCheckReport {
  engine: SearchEngineKind;
  index: string;
  /** Published articles in PostgreSQL. */
  databaseCount: number;
  /** Documents in the index, before any repair. */
  indexCount: number;
  /** Published articles with no document. */
  missing: number;
  /** Documents older than their article. */
  stale: number;
  /** Documents of articles that are gone or not published. */
  extra: number;
  /** Articles whose tags text (part of the PostgreSQL vector) had drifted from their tags. */
  tagsTextDrift: number;
  /** Documents written or deleted to repair the drift. */
  repaired: number;
  /** Documents in the index after the repair. */
  indexCountAfter: number;
  /** No drift left. */
  inSync: boolean;
}

export interface SearchReindexReport {
  engine: SearchEngineKind;
  index: string;
  documents: number;
  /** The check run after the swap, which catches up on writes made while the new index was filling. */
  catchUp: SearchCheckReport;
  /** Generated features' documents are written again by the worker (see FeatureDocumentSync.resyncAll). */
  featureDocuments: 'resync requested';
}

/** The `search:check` and `search:reindex` commands' work, on whichever engine is configured. */
@Injectable()
export class SearchMaintenance {
  constructor(
    @Inject(SEARCH_ENGINE) private readonly engine: SearchEngine,
    private readonly documents: ArticleDocuments,
    private readonly sync: SearchSync,
    private readonly features: FeatureDocumentSync,
  ) {}

  /**
   * Compares the index with PostgreSQL, document by document (id and version), and, with
   * `repair`, rewrites what is missing or stale and deletes what should not be there.
   */
  async check({ repair = true }: { repair?: boolean } = {}): Promise<SearchCheckReport> {
    const tagsTextDrift = repair ? await this.documents.repairTagsText() : 0;
    const [databaseCount, indexCount] = await Promise.all([this.documents.countPublished(), this.engine.countDocuments()]);
    const expected = new Map<number, bigint>();
    for await (const page of this.documents.publishedVersions()) for (const row of page) expected.set(row.id, BigInt(row.version));

    const toWrite = new Map<number, bigint>();
    let stale = 0;
    let extra = 0;
    for await (const page of this.engine.indexedVersions()) {
      for (const { id, version } of page) {
        const wanted = expected.get(id);
        if (wanted === undefined) {
          extra += 1;
          toWrite.set(id, version + 1n);
        } else {
          if (version < wanted) {
            stale += 1;
            toWrite.set(id, 0n);
          }
          expected.delete(id);
        }
      }
    }
    const missing = expected.size;
    for (const id of expected.keys()) toWrite.set(id, 0n);

    let repaired = 0;
    if (repair && this.engine.syncsDocuments) {
      const ids = [...toWrite.keys()];
      for (let start = 0; start < ids.length; start += REPAIR_BATCH) {
        const batch = new Map(ids.slice(start, start + REPAIR_BATCH).map((id) => [id, toWrite.get(id)!]));
        const outcomes = await this.sync.apply(batch);
        const failed = outcomes.find((outcome) => outcome.result === 'failed');
        if (failed) throw new Error(`repair of article ${failed.id} failed: ${failed.error ?? 'unknown error'}`);
        repaired += outcomes.length;
      }
    }
    const drift = missing + stale + extra;
    const indexCountAfter = repaired > 0 ? await this.engine.countDocuments() : indexCount;
    return {
      engine: this.engine.kind,
      index: this.engine.indexName,
      databaseCount,
      indexCount,
      missing,
      stale,
      extra,
      tagsTextDrift,
      repaired,
      indexCountAfter,
      inSync: drift === 0 || repaired === drift,
    };
  }

  /**
   * A fresh index from PostgreSQL, swapped in with no downtime, then a catch-up check; and a
   * request to the worker to write every generated feature's documents again.
   * `onProgress` hears how many documents of the total have been read so far.
   */
  async reindex(onProgress?: (done: number, total: number) => void): Promise<SearchReindexReport> {
    const total = onProgress ? await this.documents.countPublished() : 0;
    const pages = this.documents.publishedDocuments();
    const { index, documents } = await this.engine.rebuild(onProgress ? counted(pages, (done) => onProgress(done, total)) : pages);
    const catchUp = await this.check({ repair: true });
    await this.features.requestResync();
    return { engine: this.engine.kind, index, documents, catchUp, featureDocuments: 'resync requested' };
  }
}

/** `pages` as they are, telling `onPage` the running count of items after each page. */
async function* counted<T>(pages: AsyncIterable<T[]>, onPage: (done: number) => void): AsyncIterable<T[]> {
  let done = 0;
  for await (const page of pages) {
    done += page.length;
    onPage(done);
    yield page;
  }
}
