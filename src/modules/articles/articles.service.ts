import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { Viewer } from '@/common/auth/viewer';
import { Page } from '@/common/pagination/page-query.dto';
import { CacheInvalidator } from '@/infra/cache/cache-invalidator.service';
import { personalise } from '@/infra/cache/cache-policy';
import { ArticleWritesRetire } from './articles.cache-tags';
import { OutboxService } from '@/infra/outbox/outbox.service';
import type { Db } from '@/infra/prisma/db';
import { uniqueViolationFields } from '@/infra/prisma/prisma-errors';
import { DomainEvents } from '@/infra/outbox/domain-events';
import { TransactionRunner } from '@/infra/prisma/transaction-runner';
import { WriteLimits } from '@/infra/rate-limit/write-limits';
import { ProfilesService } from '@/modules/profiles/profiles.service';
import { TagsService } from '@/modules/tags/tags.service';
import { UploadsService } from '@/modules/uploads/uploads.service';
import { ARTICLE_EVENTS } from './article-events';
import { ARTICLE_JOBS } from './article-jobs';
import { toArticle, toArticleListItem } from './article.mapper';
import { ArticlesViewerOverlay } from './articles-viewer.overlay';
import { ArticleContent, ArticleFilter, ArticleRow, ArticlesRepository } from './articles.repository';
import { AlreadyPublished, ArticleNotFound, NotArticleAuthor, TitleTaken } from './articles.errors';
import type { NewArticleDto, UpdateArticleDto } from './dto/article-requests.dto';
import type { ArticleListItemDto, MultipleArticlesResponseDto, SingleArticleResponseDto } from './dto/article-response.dto';
import { slugify } from './slug';

export interface ArticleListFilter {
  tag?: string;
  author?: string;
  favorited?: string;
}

@Injectable()
export class ArticlesService {
  constructor(
    private readonly articles: ArticlesRepository,
    private readonly profiles: ProfilesService,
    private readonly tags: TagsService,
    private readonly cache: CacheInvalidator,
    private readonly transaction: TransactionRunner,
    private readonly events: DomainEvents,
    private readonly outbox: OutboxService,
    private readonly uploads: UploadsService,
    private readonly writeLimits: WriteLimits,
    private readonly overlay: ArticlesViewerOverlay,
  ) {}

  async list(filter: ArticleListFilter, page: Page, viewer?: Viewer): Promise<MultipleArticlesResponseDto> {
    const resolved = await this.resolveFilter(filter);
    if (!resolved) return { articles: [], articlesCount: 0 };
    return this.page(resolved, page, viewer);
  }

  feed(viewer: Viewer, page: Page): Promise<MultipleArticlesResponseDto> {
    return this.page({ feedOf: viewer.id }, page, viewer);
  }

  /** List items of the published articles among `ids`, by id, for lists ranked elsewhere (search). */
  async listItemsByIds(ids: number[], viewer?: Viewer): Promise<Map<number, ArticleListItemDto>> {
    const rows = await this.articles.findListRowsByIds(ids);
    const { articles } = await personalise(this.overlay, { articles: rows.map(toArticleListItem), articlesCount: rows.length }, viewer);
    return new Map(rows.map((row, index) => [row.id, articles[index]]));
  }

  async get(slug: string, viewer?: Viewer): Promise<SingleArticleResponseDto> {
    return this.single(await this.require(slug, viewer), viewer);
  }

  /**
   * A new article. Published at once, it emits `article.published` (the followers' mails: see
   * notification.subscriptions.ts); with `publishAt`, it stays visible to its author only, and an
   * outbox event due at that time publishes it. Every effect commits with the row: the events, and
   * the search index's job, which the trigger `articles_search_outbox` writes for any change of an
   * article's row (see ARTICLE_EVENTS). The cached lists are retired once it has committed.
   */
  async create(viewer: Viewer, input: NewArticleDto): Promise<SingleArticleResponseDto> {
    await this.writeLimits.take('articles', viewer.id);
    const tagIds = await this.tags.ensure(distinct(input.tagList ?? []), viewer.id);
    const cover = input.coverImage ? await this.uploads.coverFor(viewer.id, input.coverImage) : undefined;
    const content = { title: input.title, slug: await this.slugFor(input.title, viewer), description: input.description, body: input.body, cover };
    const publishAt = input.publishAt ? new Date(input.publishAt) : undefined;
    const row = await this.uploads.attaching('coverImage', () =>
      this.withUniqueTitle(() =>
        this.transaction.run(async (db) => {
          const created = await this.articles.create(viewer.id, content, tagIds, publishAt, db);
          if (publishAt) await this.schedulePublication(db, created.id, publishAt);
          else await this.events.emit(db, ARTICLE_EVENTS.of('article.published', { articleId: created.id }));
          return created;
        }),
      ),
    );
    await this.cache.invalidate(...ArticleWritesRetire.created(row.slug));
    return this.single(row, viewer);
  }

  async update(viewer: Viewer, slug: string, input: UpdateArticleDto): Promise<SingleArticleResponseDto> {
    const article = await this.requireOwned(viewer, slug);
    if (input.publishAt !== undefined && article.publishedAt !== null) throw new AlreadyPublished();
    const content: ArticleContent = {};
    if (input.publishAt !== undefined) content.publishAt = new Date(input.publishAt);
    if (input.title !== undefined) Object.assign(content, { title: input.title, slug: await this.slugFor(input.title, viewer, article.id) });
    if (input.description !== undefined) content.description = input.description;
    if (input.body !== undefined) content.body = input.body;
    if (input.coverImage !== undefined) content.cover = input.coverImage === null ? null : await this.uploads.coverFor(viewer.id, input.coverImage);
    const tagIds = input.tagList ? await this.tags.ensure(distinct(input.tagList), viewer.id) : undefined;
    const row = await this.uploads.attaching('coverImage', () =>
      this.withUniqueTitle(() =>
        this.transaction.run(async (db) => {
          const updated = await this.articles.update(article.id, content, tagIds, db);
          if (content.publishAt) await this.schedulePublication(db, article.id, content.publishAt);
          return updated;
        }),
      ),
    );
    await this.cache.invalidate(...ArticleWritesRetire.updated(slug, row.slug));
    return this.single(row, viewer);
  }

  async delete(viewer: Viewer, slug: string): Promise<void> {
    const article = await this.requireOwned(viewer, slug);
    await this.articles.delete(article.id);
    await this.cache.invalidate(...ArticleWritesRetire.deleted(slug));
  }

  async favorite(viewer: Viewer, slug: string): Promise<SingleArticleResponseDto> {
    await this.articles.favorite(viewer.id, await this.idOf(slug, viewer));
    await this.cache.invalidate(...ArticleWritesRetire.favorited(slug, viewer.id));
    return this.get(slug, viewer);
  }

  async unfavorite(viewer: Viewer, slug: string): Promise<SingleArticleResponseDto> {
    await this.articles.unfavorite(viewer.id, await this.idOf(slug, viewer));
    await this.cache.invalidate(...ArticleWritesRetire.favorited(slug, viewer.id));
    return this.get(slug, viewer);
  }

  /** The id of the article at `slug` if `viewer` may see it, for features attached to articles (comments). */
  async idOf(slug: string, viewer?: Viewer): Promise<number> {
    const article = await this.articles.findOwnership(slug);
    if (!article || !isVisible(article, viewer)) throw new ArticleNotFound();
    return article.id;
  }

  /**
   * Run by the worker when a scheduled article's time has come (even late, after an outage):
   * publishes it, mails its author's followers, and retires cached lists. A stale event (the
   * article was rescheduled or deleted) does nothing.
   */
  async publishDue(articleId: number): Promise<boolean> {
    const published = await this.transaction.run(async (db) => {
      const article = await this.articles.publishDue(articleId, db);
      if (article) await this.events.emit(db, ARTICLE_EVENTS.of('article.published', { articleId }));
      return article;
    });
    if (!published) return false;
    await this.cache.invalidate(...ArticleWritesRetire.created(published.slug));
    return true;
  }

  private schedulePublication(db: Db, articleId: number, publishAt: Date): Promise<void> {
    return this.outbox.add(db, ARTICLE_JOBS.intent('publish-article', { articleId }, { availableAt: publishAt }));
  }

  /** A page of articles as the viewer sees it: the flags are the overlay's, as on a cached answer. */
  private async page(filter: ArticleFilter, page: Page, viewer?: Viewer): Promise<MultipleArticlesResponseDto> {
    const { rows, count } = await this.articles.findPage(filter, page);
    return personalise(this.overlay, { articles: rows.map(toArticleListItem), articlesCount: count }, viewer);
  }

  private single(row: ArticleRow, viewer?: Viewer): Promise<SingleArticleResponseDto> {
    return personalise(this.overlay, { article: toArticle(row) }, viewer);
  }

  /** Names to ids; `undefined` when a named tag or user does not exist, so nothing can match. */
  private async resolveFilter(filter: ArticleListFilter): Promise<ArticleFilter | undefined> {
    const [tagId, authorId, favoritedById] = await Promise.all([
      filter.tag === undefined ? null : this.tags.idByName(filter.tag),
      filter.author === undefined ? null : this.profiles.idByUsername(filter.author),
      filter.favorited === undefined ? null : this.profiles.idByUsername(filter.favorited),
    ]);
    if (tagId === undefined || authorId === undefined || favoritedById === undefined) return undefined;
    return { tagId: tagId ?? undefined, authorId: authorId ?? undefined, favoritedById: favoritedById ?? undefined };
  }

  private async require(slug: string, viewer?: Viewer): Promise<ArticleRow> {
    const row = await this.articles.findBySlug(slug);
    if (!row || !isVisible({ authorId: row.author.id, publishedAt: row.publishedAt }, viewer)) throw new ArticleNotFound();
    return row;
  }

  /** Someone else's scheduled article is not found rather than forbidden: a 403 would reveal that it exists. */
  private async requireOwned(viewer: Viewer, slug: string): Promise<{ id: number; publishedAt: Date | null }> {
    const article = await this.articles.findOwnership(slug);
    if (!article || !isVisible(article, viewer)) throw new ArticleNotFound();
    if (article.authorId !== viewer.id) throw new NotArticleAuthor();
    return article;
  }

  /**
   * The slug of `title`. When another author's scheduled article holds it, a 409 would reveal that
   * article: the new one gets the slug with a random suffix instead. A slug held by a visible
   * article still gives 409 (through the unique index, see withUniqueTitle).
   */
  private async slugFor(title: string, viewer: Viewer, exceptId?: number): Promise<string> {
    const slug = slugify(title);
    const holder = await this.articles.findOwnership(slug);
    if (!holder || holder.id === exceptId || isVisible(holder, viewer)) return slug;
    return `${slug}-${randomBytes(4).toString('hex')}`;
  }

  private async withUniqueTitle<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (uniqueViolationFields(error)?.includes('slug')) throw new TitleTaken();
      throw error;
    }
  }
}

/** Published articles are for everyone; a scheduled one only for its author. */
function isVisible(article: { authorId: number; publishedAt: Date | null }, viewer?: Viewer): boolean {
  return article.publishedAt !== null || article.authorId === viewer?.id;
}

function distinct(names: string[]): string[] {
  return [...new Set(names)];
}
