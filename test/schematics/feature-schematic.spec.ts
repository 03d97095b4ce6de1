import path from 'node:path';
import { SchematicTestRunner, UnitTestTree } from '@angular-devkit/schematics/testing';
import { HostTree } from '@angular-devkit/schematics';

/**
 * The `feature` schematic's edits of shared files, on small stand-ins for them (whether the whole
 * generated feature builds and passes its tests is `npm run test:generator`'s job).
 */

const runner = new SchematicTestRunner('conduit-schematics', path.join(__dirname, '../../schematics/collection.json'));

const SCHEMA = `generator client {
  provider = "prisma-client"
}

model User {
  id       Int       @id @default(autoincrement())
  username String    @unique
  articles Article[]

  @@map("users")
}

model Article {
  id Int @id
}
`;

const APP_MODULE = `import { Module } from '@nestjs/common';
import { ArticlesModule } from '@/modules/articles/articles.module';

@Module({
  imports: [
    ArticlesModule,
    TagsModule
  ],
})
export class AppModule {}
`;

const WORKER_MODULE = `import { Module } from '@nestjs/common';
import { MailModule } from '@/infra/mail/mail.module';

@Module({
  imports: [MailModule],
  providers: [],
})
export class WorkerModule {}
`;

const QUEUES = `export const QUEUES = {
  mail: 'mail',
} as const;

export const QUEUE_CONCURRENCY: Record<QueueName, number> = {
  [QUEUES.mail]: 8,
};
`;

const EVENT_SUBSCRIPTIONS = `import { DomainEventsModule, type EventSubscription } from '@/infra/outbox/domain-events';
import { NOTIFICATION_SUBSCRIPTIONS } from '@/modules/notifications/notification.subscriptions';

export const EVENT_SUBSCRIPTIONS: readonly EventSubscription[] = [...NOTIFICATION_SUBSCRIPTIONS];
`;

function project(files: Record<string, string> = {}): UnitTestTree {
  const tree = new UnitTestTree(new HostTree());
  const contents: Record<string, string> = {
    'prisma/schema.prisma': SCHEMA,
    'prisma/migrations/.schema-snapshot.prisma': SCHEMA,
    'src/app.module.ts': APP_MODULE,
    'src/worker.module.ts': WORKER_MODULE,
    'src/infra/queue/queues.ts': QUEUES,
    'src/event-subscriptions.ts': EVENT_SUBSCRIPTIONS,
    ...files,
  };
  for (const [file, content] of Object.entries(contents)) tree.create(file, content);
  return tree;
}

function generate(options: Record<string, unknown>, tree = project()): Promise<UnitTestTree> {
  return runner.runSchematic('feature', options, tree);
}

describe('feature schematic', () => {
  it('writes the feature, its model, migration and registrations for every option', async () => {
    const tree = await generate({ name: 'bookmarks', searchable: true, queue: 'bookmark-jobs' });

    expect(tree.files.filter((file) => file.startsWith('/src/modules/bookmarks/')).sort()).toEqual([
      '/src/modules/bookmarks/bookmark-id.ts',
      '/src/modules/bookmarks/bookmark-jobs.handlers.ts',
      '/src/modules/bookmarks/bookmark-jobs.jobs.ts',
      '/src/modules/bookmarks/bookmark-jobs.producer.ts',
      '/src/modules/bookmarks/bookmark.mapper.spec.ts',
      '/src/modules/bookmarks/bookmark.mapper.ts',
      '/src/modules/bookmarks/bookmarks-worker.module.ts',
      '/src/modules/bookmarks/bookmarks.cache-tags.ts',
      '/src/modules/bookmarks/bookmarks.controller.ts',
      '/src/modules/bookmarks/bookmarks.errors.ts',
      '/src/modules/bookmarks/bookmarks.module.ts',
      '/src/modules/bookmarks/bookmarks.repository.ts',
      '/src/modules/bookmarks/bookmarks.search-events.ts',
      '/src/modules/bookmarks/bookmarks.service.ts',
      '/src/modules/bookmarks/dto/bookmark-requests.dto.ts',
      '/src/modules/bookmarks/dto/bookmark-response.dto.ts',
    ]);
    expect(tree.exists('/test/e2e/bookmarks.e2e-spec.ts')).toBe(true);
    expect(tree.files.some((file) => /^\/prisma\/migrations\/\d{14}_add_bookmarks\/migration\.sql$/.test(file))).toBe(true);

    expect(tree.readContent('/src/app.module.ts')).toBe(`import { Module } from '@nestjs/common';
import { ArticlesModule } from '@/modules/articles/articles.module';
import { BookmarksModule } from '@/modules/bookmarks/bookmarks.module';

@Module({
  imports: [
    ArticlesModule,
    TagsModule,
    BookmarksModule,
  ],
})
export class AppModule {}
`);
    // The worker gets the feature's module (its search source, for --searchable) and its queue's job handlers.
    expect(tree.readContent('/src/worker.module.ts')).toContain(`import { BookmarksModule } from '@/modules/bookmarks/bookmarks.module';`);
    expect(tree.readContent('/src/worker.module.ts')).toContain(`import { BookmarksWorkerModule } from '@/modules/bookmarks/bookmarks-worker.module';`);
    expect(tree.readContent('/src/worker.module.ts')).toContain('imports: [MailModule, BookmarksModule, BookmarksWorkerModule],');
    expect(tree.readContent('/src/modules/bookmarks/bookmarks.controller.ts')).toContain("@Get('search')");
    expect(tree.readContent('/src/modules/bookmarks/bookmarks.module.ts')).toContain('BookmarksSearchSource');
    // Search follows the feature's domain events, listed with every other subscription.
    expect(tree.readContent('/src/event-subscriptions.ts')).toBe(`import { DomainEventsModule, type EventSubscription } from '@/infra/outbox/domain-events';
import { NOTIFICATION_SUBSCRIPTIONS } from '@/modules/notifications/notification.subscriptions';
import { BOOKMARK_EVENTS, BOOKMARK_SEARCH_TYPE } from '@/modules/bookmarks/bookmarks.search-events';
import { searchFollows } from '@/modules/search/feature-documents';

export const EVENT_SUBSCRIPTIONS: readonly EventSubscription[] = [...NOTIFICATION_SUBSCRIPTIONS, ...searchFollows(BOOKMARK_EVENTS, BOOKMARK_SEARCH_TYPE)];
`);
    const queues = tree.readContent('/src/infra/queue/queues.ts');
    expect(queues.indexOf("mail: 'mail',")).toBeLessThan(queues.indexOf("search: 'search',"));
    expect(queues.indexOf("search: 'search',")).toBeLessThan(queues.indexOf("bookmarkJobs: 'bookmark-jobs',"));
    expect(queues.indexOf("bookmarkJobs: 'bookmark-jobs',")).toBeLessThan(queues.indexOf('} as const;'));
    // Each new queue with how many of its jobs one worker runs at once, after the existing ones.
    expect(queues).toContain('  [QUEUES.mail]: 8,\n  [QUEUES.search]: 200,\n  [QUEUES.bookmarkJobs]: 4,\n};');
    expect(tree.readContent('/src/modules/bookmarks/bookmark-jobs.jobs.ts')).toContain(
      "export const BOOKMARK_JOBS_QUEUE = defineJobs<BookmarkJobsPayloads>(QUEUES.bookmarkJobs, { 'bookmark-created': true });",
    );
    expect(tree.readContent('/src/modules/bookmarks/bookmark-jobs.handlers.ts')).toContain("@JobHandler(BOOKMARK_JOBS_QUEUE, 'bookmark-created')");

    for (const file of ['/prisma/schema.prisma', '/prisma/migrations/.schema-snapshot.prisma']) {
      const schema = tree.readContent(file);
      expect(schema).toContain('  articles Article[]\n  bookmarks Bookmark[]\n\n  @@map("users")');
      expect(schema).toContain('model Bookmark {');
      expect(schema).toContain('@@index([ownerId, createdAt(sort: Desc), id(sort: Desc)])');
      expect(schema).toContain('@@map("bookmarks")');
    }
  });

  it('leaves out the cache, the search events and the queue unless asked for', async () => {
    const tree = await generate({ name: 'bookmarks', cache: false });

    const files = tree.files.filter((file) => file.startsWith('/src/modules/bookmarks/'));
    expect(files.some((file) => /cache-tags|search-events|jobs|worker/.test(file))).toBe(false);
    expect(tree.readContent('/src/modules/bookmarks/bookmarks.controller.ts')).not.toContain('CacheResponse');
    expect(tree.readContent('/src/modules/bookmarks/bookmarks.service.ts')).not.toMatch(/CacheInvalidator|TransactionRunner|outbox|search/i);
    expect(tree.readContent('/src/modules/bookmarks/bookmarks.controller.ts')).not.toMatch(/search/i);
    expect(tree.readContent('/src/worker.module.ts')).toBe(WORKER_MODULE);
    expect(tree.readContent('/src/infra/queue/queues.ts')).toBe(QUEUES);
    expect(tree.readContent('/src/event-subscriptions.ts')).toBe(EVENT_SUBSCRIPTIONS);
  });

  it('names multi-word and irregular features in every spelling', async () => {
    const tree = await generate({ name: 'reading-lists' });
    const service = tree.readContent('/src/modules/reading-lists/reading-lists.service.ts');
    expect(service).toContain('export class ReadingListsService');
    expect(service).toContain('readingLists: rows.map(toReadingList), readingListsCount: count');
    expect(tree.readContent('/src/modules/reading-lists/reading-lists.repository.ts')).toContain('this.prisma.readingList.findMany');
    expect(tree.readContent('/prisma/schema.prisma')).toContain('readingLists ReadingList[]');
    expect(tree.files.some((file) => file.endsWith('_add_reading_lists/migration.sql'))).toBe(true);

    const categories = await generate({ name: 'categories' });
    expect(categories.readContent('/prisma/schema.prisma')).toContain('model Category {');
    const people = await generate({ name: 'people', singular: 'person' });
    expect(people.readContent('/prisma/schema.prisma')).toContain('model Person {');
  });

  it('adds the search queue only once', async () => {
    const withSearch = QUEUES.replace("mail: 'mail',", "mail: 'mail',\n  search: 'search',").replace('[QUEUES.mail]: 8,', '[QUEUES.mail]: 8,\n  [QUEUES.search]: 200,');
    const tree = await generate({ name: 'bookmarks', searchable: true }, project({ 'src/infra/queue/queues.ts': withSearch }));

    expect(tree.readContent('/src/infra/queue/queues.ts')).toBe(withSearch);
  });

  it('refuses a queue it cannot give a concurrency (a queues.ts without QUEUE_CONCURRENCY)', async () => {
    const withoutConcurrency = project({ 'src/infra/queue/queues.ts': "export const QUEUES = {\n  mail: 'mail',\n} as const;\n" });
    await expect(generate({ name: 'bookmarks', queue: 'bookmark-jobs' }, withoutConcurrency)).rejects.toThrow('no "export const QUEUE_CONCURRENCY');
  });

  it('refuses a feature that exists, and names that are not plural kebab-case', async () => {
    const existing = project({ 'src/modules/bookmarks/bookmarks.module.ts': '' });
    await expect(generate({ name: 'bookmarks' }, existing)).rejects.toThrow('src/modules/bookmarks already exists');
    await expect(generate({ name: 'Bookmarks' })).rejects.toThrow('must be kebab-case');
    await expect(generate({ name: 'data' })).rejects.toThrow('must be plural');
    await expect(generate({ name: 'bookmarks', queue: 'Bookmark Jobs' })).rejects.toThrow('must be kebab-case');
  });

  it('skips the registrations with skipImport', async () => {
    const tree = await generate({ name: 'bookmarks', queue: 'bookmark-jobs', skipImport: true });

    expect(tree.readContent('/src/app.module.ts')).toBe(APP_MODULE);
    expect(tree.readContent('/src/worker.module.ts')).toBe(WORKER_MODULE);
  });

  it('adds search to the subscriptions of a project that already has a searchable feature, importing searchFollows once', async () => {
    const first = await generate({ name: 'bookmarks', searchable: true });
    const both = await generate({ name: 'notes', searchable: true }, first);
    const subscriptions = both.readContent('/src/event-subscriptions.ts');
    expect(subscriptions.match(/import \{ searchFollows \}/g)).toHaveLength(1);
    expect(subscriptions).toContain('[...NOTIFICATION_SUBSCRIPTIONS, ...searchFollows(BOOKMARK_EVENTS, BOOKMARK_SEARCH_TYPE), ...searchFollows(NOTE_EVENTS, NOTE_SEARCH_TYPE)]');
  });
});
