import { Injectable } from '@nestjs/common';
import type { Viewer } from '@/common/auth/viewer';
import type { ViewerOverlay } from '@/infra/cache/cache-policy';
import { ProfilesService } from '@/modules/profiles/profiles.service';
import { ArticlesRepository } from './articles.repository';
import type { ArticleListItemDto } from './dto/article-response.dto';

type ArticleBody = { article: ArticleListItemDto } | { articles: ArticleListItemDto[]; articlesCount: number };

/** Adds the viewer's `favorited` and `author.following` to cached articles: two indexed queries. */
@Injectable()
export class ArticlesViewerOverlay implements ViewerOverlay<ArticleBody> {
  constructor(
    private readonly articles: ArticlesRepository,
    private readonly profiles: ProfilesService,
  ) {}

  async apply(body: ArticleBody, viewer: Viewer): Promise<ArticleBody> {
    const list = 'articles' in body ? body.articles : [body.article];
    const [favorited, followed] = await Promise.all([
      this.articles.favoritedSlugs(viewer.id, list.map((article) => article.slug)),
      this.profiles.followedUsernames(viewer.id, list.map((article) => article.author.username)),
    ]);
    const personalise = <T extends ArticleListItemDto>(article: T): T => ({
      ...article,
      favorited: favorited.has(article.slug),
      author: { ...article.author, following: followed.has(article.author.username) },
    });
    return 'articles' in body ? { ...body, articles: body.articles.map(personalise) } : { article: personalise(body.article) };
  }
}
