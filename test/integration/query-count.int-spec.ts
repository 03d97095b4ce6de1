import type { TestingModule } from '@nestjs/testing';
import type { Viewer } from '@/common/auth/viewer';
import type { Page } from '@/common/pagination/page-query.dto';
import { ArticlesController } from '@/modules/articles/articles.controller';
import { ArticlesModule } from '@/modules/articles/articles.module';
import { ArticleListFilter, ArticlesService } from '@/modules/articles/articles.service';
import type { MultipleArticlesResponseDto } from '@/modules/articles/dto/article-response.dto';
import { CommentsController } from '@/modules/comments/comments.controller';
import { CommentsModule } from '@/modules/comments/comments.module';
import { CommentsService } from '@/modules/comments/comments.service';
import type { MultipleCommentsResponseDto } from '@/modules/comments/dto/comment.dto';
import { ProfilesController } from '@/modules/profiles/profiles.controller';
import { ProfilesModule } from '@/modules/profiles/profiles.module';
import { ProfilesService } from '@/modules/profiles/profiles.service';
import { SearchModule } from '@/modules/search/search.module';
import { SearchService } from '@/modules/search/search.service';
import { TagsController } from '@/modules/tags/tags.controller';
import { TagsModule } from '@/modules/tags/tags.module';
import { TagsService } from '@/modules/tags/tags.service';
import { resetDatabase } from '../helpers/app';
import { unique } from '../helpers/factories';
import { SqlStatements } from '../helpers/sql-statements';
import { ArticleRow, Rows, UserRow } from './factories';
import { CachedRead, integrationModule, readThroughCache, retireCache, withPostgresSearch } from './harness';

/**
 * Lists must cost a bounded number of SQL statements whatever the page size (no N+1 over authors,
 * tags, favorites or follows). Each list is measured on both paths a read can take: the service
 * with the viewer (the cache off, or Redis down), and a cold read through the response cache (the
 * entry built for nobody, then the viewer's flags laid over it). That a warm hit costs no statement
 * at all, the token check included, is a property of the whole request: see the e2e suite.
 */
describe('SQL statements per list', () => {
  let moduleRef: TestingModule;
  const sql = new SqlStatements();
  let rows: Rows;
  let viewer: Viewer;
  let viewerRow: UserRow;
  let authors: UserRow[];
  let prolific: UserRow;
  let manyComments: ArticleRow;
  let oneComment: ArticleRow;

  /** Generous: what matters is that the count does not grow with the page; this only catches a runaway. */
  const MAX_STATEMENTS = 12;

  beforeAll(async () => {
    moduleRef = await integrationModule([ProfilesModule, ArticlesModule, CommentsModule, TagsModule, SearchModule], withPostgresSearch);
    await resetDatabase(moduleRef);
    sql.install();
    rows = new Rows(moduleRef);

    viewerRow = await rows.user({ username: unique('viewer') });
    viewer = rows.viewer(viewerRow);
    authors = await rows.users(22, 'author');
    prolific = authors[0];
    const body = 'Field notes on dragons, written up.';
    // Every author writes two articles with tags of their own plus a shared one; one author writes 22 more.
    const written: ArticleRow[] = [];
    for (const [index, author] of authors.entries()) {
      for (const n of [1, 2]) written.push(await rows.article(author, { body, tags: ['common', `own-${index}`, `pair-${index}-${n}`] }));
    }
    written.push(...(await rows.articles(prolific, 22, (n) => ({ body, tags: ['common', 'prolific', `solo-${n}`] }))));
    await rows.follow(viewerRow, ...authors);
    await rows.favorite(viewerRow, ...written);
    const newest = [...written].reverse();
    for (const fan of authors.slice(18)) await rows.favorite(fan, ...newest.slice(0, 30));

    [manyComments, oneComment] = [await rows.article(prolific), await rows.article(prolific)];
    await rows.favorite(viewerRow, manyComments, oneComment);
    for (const author of authors.slice(0, 20)) await rows.comment(author, manyComments);
    await rows.comment(authors[1], oneComment);
  });

  afterAll(async () => {
    sql.uninstall();
    await moduleRef.close();
  });

  it('sees the statements of a service call (the instrument works)', async () => {
    const { result, statements } = await sql.record(() => moduleRef.get(ArticlesService).list({}, { limit: 1, offset: 0 }));

    expect(result.articles).toHaveLength(1);
    expect(statements.length).toBeGreaterThan(0);
    expect(statements.some((statement) => /"articles"|\barticles\b/i.test(statement))).toBe(true);
  });

  interface ListCase {
    name: string;
    filter?: ArticleListFilter;
    viewer?: () => Viewer;
    feed?: boolean;
  }

  const lists: ListCase[] = [
    { name: 'all articles, anonymous' },
    { name: 'all articles, as a viewer who follows and favorites', viewer: () => viewer },
    { name: 'articles by tag', filter: { tag: 'common' }, viewer: () => viewer },
    { name: 'articles by author', filter: { author: '' }, viewer: () => viewer },
    { name: 'articles favorited by a user', filter: { favorited: '' }, viewer: () => viewer },
    { name: 'articles by tag, author and favoriting user', filter: { tag: 'common', author: '', favorited: '' } },
    { name: 'the feed', feed: true, viewer: () => viewer },
  ];

  /** The filter with the names known once the data exists (the cases are declared before). */
  function filterOf(testCase: ListCase): ArticleListFilter {
    const filter = { ...testCase.filter };
    if (filter.author !== undefined) filter.author = prolific.username;
    if (filter.favorited !== undefined) filter.favorited = viewerRow.username;
    return filter;
  }

  function fromService(testCase: ListCase, page: Page): Promise<MultipleArticlesResponseDto> {
    const articles = moduleRef.get(ArticlesService);
    return testCase.feed ? articles.feed(testCase.viewer!(), page) : articles.list(filterOf(testCase), page, testCase.viewer?.());
  }

  function throughCache(testCase: ListCase, limit: number): Promise<MultipleArticlesResponseDto> {
    const query = { ...filterOf(testCase), limit };
    const controller = moduleRef.get(ArticlesController);
    const read: CachedRead<MultipleArticlesResponseDto> = testCase.feed
      ? { controller: ArticlesController, handler: ArticlesController.prototype.feed, url: `/api/articles/feed?limit=${limit}`, viewer: testCase.viewer!(), call: (request) => controller.feed(request.viewer!, { limit }) }
      : {
          controller: ArticlesController,
          handler: ArticlesController.prototype.list,
          url: `/api/articles?${new URLSearchParams(Object.fromEntries(Object.entries(query).map(([name, value]) => [name, String(value)]))).toString()}`,
          viewer: testCase.viewer?.(),
          call: (request) => controller.list(query, request.viewer),
        };
    return readThroughCache(moduleRef, read);
  }

  /** The statements of a read built from PostgreSQL: every cached response retired just before. */
  async function cold<T>(run: () => Promise<T>): Promise<{ result: T; statements: string[] }> {
    await retireCache(moduleRef);
    return sql.record(run);
  }

  function expectBounded(small: string[], large: string[]): void {
    expect({ statements: large.length, sql: large }).toEqual({ statements: small.length, sql: expect.any(Array) });
    expect(large.length).toBeLessThanOrEqual(MAX_STATEMENTS);
    expect(large.length).toBeGreaterThan(0);
  }

  function expectAFullPage(page: MultipleArticlesResponseDto, testCase: ListCase): void {
    expect(page.articles).toHaveLength(20);
    expect(page.articles.filter((article) => article.favoritesCount > 0).length).toBeGreaterThan(0);
    expect(new Set(page.articles.flatMap((article) => article.tagList)).size).toBeGreaterThan(3);
    // The viewer follows every author and favorites every article: each flag must have been read.
    if (testCase.viewer) for (const article of page.articles) expect([article.favorited, article.author.following]).toEqual([true, true]);
  }

  it.each(lists.map((testCase) => [testCase.name, testCase] as const))('%s, from the service: a page of 20 costs the same statements as a page of 1', async (_name, testCase) => {
    const small = await sql.record(() => fromService(testCase, { limit: 1, offset: 0 }));
    const large = await sql.record(() => fromService(testCase, { limit: 20, offset: 0 }));

    expect(small.result.articles).toHaveLength(1);
    expectAFullPage(large.result, testCase);
    expectBounded(small.statements, large.statements);
  });

  it.each(lists.map((testCase) => [testCase.name, testCase] as const))('%s, cold cache: a page of 20 costs the same statements as a page of 1', async (_name, testCase) => {
    const small = await cold(() => throughCache(testCase, 1));
    const large = await cold(() => throughCache(testCase, 20));

    expect(small.result.articles).toHaveLength(1);
    expectAFullPage(large.result, testCase);
    expectBounded(small.statements, large.statements);
  });

  it('the 20-article page spans many authors (so an N+1 over authors would show)', async () => {
    const page = (limit: number) => moduleRef.get(ArticlesService).list({ tag: 'common' }, { limit, offset: 22 }, viewer);
    const one = await sql.record(() => page(1));
    const twenty = await sql.record(() => page(20));

    const distinctAuthors = new Set(twenty.result.articles.map((article) => article.author.username));
    expect(distinctAuthors.size).toBeGreaterThanOrEqual(10);
    for (const article of twenty.result.articles) expect(article.author.following).toBe(true);
    expect(twenty.statements.length).toBe(one.statements.length);
  });

  describe('comments: 20 comments by 20 authors cost the same statements as 1 comment', () => {
    const viewers = [
      ['anonymous', (): Viewer | undefined => undefined],
      ['as a viewer who follows every commenter', (): Viewer | undefined => viewer],
    ] as const;

    function throughCache(slug: string, reader: Viewer | undefined): Promise<MultipleCommentsResponseDto> {
      const controller = moduleRef.get(CommentsController);
      return readThroughCache(moduleRef, {
        controller: CommentsController,
        handler: CommentsController.prototype.list,
        url: `/api/articles/${slug}/comments`,
        params: { slug },
        viewer: reader,
        call: (request) => controller.list(slug, {}, request.viewer),
      });
    }

    function expectComments(one: MultipleCommentsResponseDto, twenty: MultipleCommentsResponseDto, reader: Viewer | undefined): void {
      expect(one.comments).toHaveLength(1);
      expect(twenty.comments).toHaveLength(20);
      expect(new Set(twenty.comments.map((comment) => comment.author.username)).size).toBe(20);
      for (const comment of twenty.comments) expect(comment.author.following).toBe(reader !== undefined);
    }

    it.each(viewers)('%s, from the service', async (_name, reader) => {
      const comments = moduleRef.get(CommentsService);
      const one = await sql.record(() => comments.list(oneComment.slug, { limit: 100, offset: 0 }, reader()));
      const twenty = await sql.record(() => comments.list(manyComments.slug, { limit: 100, offset: 0 }, reader()));

      expectComments(one.result, twenty.result, reader());
      expectBounded(one.statements, twenty.statements);
    });

    it.each(viewers)('%s, cold cache', async (_name, reader) => {
      const one = await cold(() => throughCache(oneComment.slug, reader()));
      const twenty = await cold(() => throughCache(manyComments.slug, reader()));

      expectComments(one.result, twenty.result, reader());
      expectBounded(one.statements, twenty.statements);
    });
  });

  it('tags: the list of a hundred tags is one statement, from the service and through a cold cache', async () => {
    const fromService = await sql.record(() => moduleRef.get(TagsService).list());
    const controller = moduleRef.get(TagsController);
    const throughCold = await cold(() => readThroughCache(moduleRef, { controller: TagsController, handler: TagsController.prototype.list, url: '/api/tags', call: () => controller.list() }));

    expect(fromService.result.tags.length).toBeGreaterThan(50);
    expect(fromService.result.tags.slice(0, 2)).toEqual(['common', 'prolific']);
    expect(throughCold.result).toEqual(fromService.result);
    expect(fromService.statements).toHaveLength(1);
    expect(throughCold.statements).toHaveLength(1);
  });

  it("profiles: 20 authors' following flags cost the same statements as 1, and a profile a bounded few", async () => {
    const profiles = moduleRef.get(ProfilesService);
    const one = await sql.record(() => profiles.followedUsernames(viewer.id, authors.slice(0, 1).map((author) => author.username)));
    const twenty = await sql.record(() => profiles.followedUsernames(viewer.id, authors.slice(0, 20).map((author) => author.username)));
    const controller = moduleRef.get(ProfilesController);
    const profile = await cold(() =>
      readThroughCache(moduleRef, {
        controller: ProfilesController,
        handler: ProfilesController.prototype.get,
        url: `/api/profiles/${prolific.username}`,
        params: { username: prolific.username },
        viewer,
        call: (request) => controller.get(prolific.username, request.viewer),
      }),
    );

    expect(twenty.result.size).toBe(20);
    expectBounded(one.statements, twenty.statements);
    expect(profile.result.profile).toMatchObject({ username: prolific.username, following: true });
    expect(profile.statements.length).toBeGreaterThan(0);
    expect(profile.statements.length).toBeLessThanOrEqual(MAX_STATEMENTS);
  });

  it.each([
    ['anonymous', (): Viewer | undefined => undefined],
    ['as a viewer who follows and favorites', (): Viewer | undefined => viewer],
  ] as const)('search on PostgreSQL, %s: a page of 20 results costs the same statements as a page of 1', async (_name, reader) => {
    const search = moduleRef.get(SearchService);
    // Past the prolific author's 22 newest articles (equal ranks fall back to newest first): many authors on the page.
    const one = await sql.record(() => search.searchArticles({ q: 'dragons', limit: 1, offset: 22 }, reader()));
    const twenty = await sql.record(() => search.searchArticles({ q: 'dragons', limit: 20, offset: 22 }, reader()));

    expect(one.result.articles).toHaveLength(1);
    expect(twenty.result.articles).toHaveLength(20);
    expect(twenty.result.articlesCount).toBe(66);
    expect(new Set(twenty.result.articles.map((article) => article.author.username)).size).toBeGreaterThanOrEqual(10);
    for (const article of twenty.result.articles) expect([article.favorited, article.author.following]).toEqual([reader() !== undefined, reader() !== undefined]);
    expectBounded(one.statements, twenty.statements);
  });
});
