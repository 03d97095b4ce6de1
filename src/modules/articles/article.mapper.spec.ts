import { toArticle, toArticleListItem } from './article.mapper';
import { ArticlesViewerOverlay } from './articles-viewer.overlay';
import type { ArticleRow } from './articles.repository';

const row: ArticleRow = {
  id: 7,
  slug: 'how-to-train-your-dragon',
  title: 'How to train your dragon',
  description: 'Ever wonder how?',
  body: 'Very carefully.',
  createdAt: new Date('2026-01-02T03:04:05.678Z'),
  updatedAt: new Date('2026-01-03T03:04:05.678Z'),
  favoritesCount: 3,
  publishedAt: new Date('2026-01-02T03:04:05.678Z'),
  publishAt: null,
  coverImage: null,
  author: { id: 2, username: 'jake', bio: null, image: 'https://example.com/jake.png' },
  tags: [{ tag: { name: 'training' } }, { tag: { name: 'dragons' } }, { tag: { name: 'angular' } }],
};

describe('article mapper', () => {
  it('shows an anonymous viewer nothing as favorited or followed', () => {
    const article = toArticle(row);
    expect(article).toEqual({
      slug: 'how-to-train-your-dragon',
      title: 'How to train your dragon',
      description: 'Ever wonder how?',
      body: 'Very carefully.',
      tagList: ['angular', 'dragons', 'training'],
      createdAt: '2026-01-02T03:04:05.678Z',
      updatedAt: '2026-01-03T03:04:05.678Z',
      favorited: false,
      favoritesCount: 3,
      author: { username: 'jake', bio: null, image: 'https://example.com/jake.png', following: false },
    });
  });

  it("gets the viewer's favorite and follow from the overlay, which keeps the rest of the body", () => {
    // apply is pure: the repositories it would query for flags are not needed here.
    const overlay = new ArticlesViewerOverlay(undefined as never, undefined as never);
    const { article } = overlay.apply({ article: toArticle(row) }, { favorited: [row.slug], following: ['jake'] });
    expect(article).toMatchObject({ favorited: true, body: 'Very carefully.', author: { username: 'jake', following: true } });
    expect(overlay.apply({ article: toArticle(row) }, { favorited: [], following: [] }).article).toEqual(toArticle(row));
  });

  it('leaves the body out of list items and never leaks internal ids', () => {
    const item = toArticleListItem(row);
    expect(item).not.toHaveProperty('body');
    expect(item).not.toHaveProperty('id');
    expect(item.author).not.toHaveProperty('id');
  });

  it('shows a cover image only when the article has one', () => {
    const cover = { url: 'u.webp', fallbackUrl: 'u.jpg', thumbnailUrl: 't.webp', thumbnailFallbackUrl: 't.jpg', width: 1200, height: 800 };
    expect(toArticle(row)).not.toHaveProperty('coverImage');
    expect(toArticle({ ...row, coverImage: cover }).coverImage).toEqual(cover);
  });
});
