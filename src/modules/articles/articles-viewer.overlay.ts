import { Injectable } from '@nestjs/common';
import type { Viewer } from '@/common/auth/viewer';
import type { ViewerOverlay } from '@/infra/cache/cache-policy';
import { ProfileCacheTags } from '@/modules/profiles/profiles.cache-tags';
import { ArticleCacheTags } from './articles.cache-tags';
import { ProfilesService } from '@/modules/profiles/profiles.service';
import { ArticlesRepository } from './articles.repository';
import type { ArticleListItemDto } from './dto/article-response.dto';

type ArticleBody = { article: ArticleListItemDto } | { articles: ArticleListItemDto[]; articlesCount: number };

/** The slugs the viewer has favorited and the authors they follow, among those of a response. */
interface ArticleFlags {
  favorited: string[];
  following: string[];
}

/** Adds the viewer's `favorited` and `author.following` to cached articles. */
@Injectable()
export class ArticlesViewerOverlay implements ViewerOverlay<ArticleBody, ArticleFlags> {
  constructor(
    private readonly articles: ArticlesRepository,
    private readonly profiles: ProfilesService,
  ) {}

  viewerTags(viewer: Viewer): string[] {
    return [ArticleCacheTags.favoritesOf(viewer.id), ProfileCacheTags.followsOf(viewer.id)];
  }

  /** Two indexed queries, whatever the number of articles. */
  async flags(body: ArticleBody, viewer: Viewer): Promise<ArticleFlags> {
    const list = articlesOf(body);
    const [favorited, following] = await Promise.all([
      this.articles.favoritedSlugs(viewer.id, list.map((article) => article.slug)),
      this.profiles.followedUsernames(viewer.id, list.map((article) => article.author.username)),
    ]);
    return { favorited: [...favorited], following: [...following] };
  }

  apply<B extends ArticleBody>(body: B, flags: ArticleFlags): B {
    const favorited = new Set(flags.favorited);
    const following = new Set(flags.following);
    const personalise = <T extends ArticleListItemDto>(article: T): T => ({
      ...article,
      favorited: favorited.has(article.slug),
      author: { ...article.author, following: following.has(article.author.username) },
    });
    return 'articles' in body ? { ...body, articles: body.articles.map(personalise) } : { ...body, article: personalise(body.article) };
  }
}

function articlesOf(body: ArticleBody): ArticleListItemDto[] {
  return 'articles' in body ? body.articles : [body.article];
}
