import { defineEvents } from '@/infra/outbox/domain-events';

/**
 * What happens to articles, emitted by ArticlesService in the transaction of the change.
 *
 * The search index does not subscribe here: it follows every change of an article's row, by
 * whatever write (favorites, tag changes, an author's rename, cascades), through the database
 * trigger `articles_search_outbox`, whose jobs the worker checks at start-up (TRIGGERED_JOBS).
 */
export interface ArticleEvents {
  /** Visible to everyone from now on: created without `publishAt`, or a scheduled article whose time came. */
  'article.published': { articleId: number };
}

export const ARTICLE_EVENTS = defineEvents<ArticleEvents>({ 'article.published': true });
