import type { TestingModule } from '@nestjs/testing';
import { PrismaService } from '@/infra/prisma/prisma.service';
import { ArticleNotFound } from '@/modules/articles/articles.errors';
import { CommentNotFound, NotCommentAuthor } from '@/modules/comments/comments.errors';
import { CommentsModule } from '@/modules/comments/comments.module';
import { CommentsService } from '@/modules/comments/comments.service';
import { CommentsViewerOverlay } from '@/modules/comments/comments-viewer.overlay';
import { ProfileViewerOverlay } from '@/modules/profiles/profile-viewer.overlay';
import { CannotFollowSelf, ProfileNotFound } from '@/modules/profiles/profiles.errors';
import { ProfilesModule } from '@/modules/profiles/profiles.module';
import { ProfilesService } from '@/modules/profiles/profiles.service';
import { resetDatabase } from '../helpers/app';
import { unique } from '../helpers/factories';
import { Rows, UserRow } from './factories';
import { integrationModule } from './harness';

describe('profiles, follows and comments on PostgreSQL', () => {
  let moduleRef: TestingModule;
  let rows: Rows;
  let profiles: ProfilesService;
  let comments: CommentsService;
  let prisma: PrismaService;

  beforeAll(async () => {
    moduleRef = await integrationModule([ProfilesModule, CommentsModule]);
    await resetDatabase(moduleRef);
    rows = new Rows(moduleRef);
    profiles = moduleRef.get(ProfilesService);
    comments = moduleRef.get(CommentsService);
    prisma = moduleRef.get(PrismaService);
  });

  afterAll(() => moduleRef.close());

  describe('profiles and follows', () => {
    let ann: UserRow;
    let ben: UserRow;

    beforeAll(async () => {
      ann = await rows.user({ username: unique('ann'), bio: 'Writes about dragons', image: 'https://img.example/ann.png' });
      ben = await rows.user({ username: unique('ben') });
    });

    it('shows a profile with whether the viewer follows it', async () => {
      expect(await profiles.get(ann.username)).toEqual({ profile: { username: ann.username, bio: 'Writes about dragons', image: 'https://img.example/ann.png', following: false } });
      expect((await profiles.get(ann.username, rows.viewer(ben))).profile.following).toBe(false);
      await rows.follow(ben, ann);
      expect((await profiles.get(ann.username, rows.viewer(ben))).profile.following).toBe(true);
      // Following is one way.
      expect((await profiles.get(ben.username, rows.viewer(ann))).profile.following).toBe(false);
      await expect(profiles.get('nobody-by-that-name')).rejects.toBeInstanceOf(ProfileNotFound);
    });

    it('follows once however often asked, and unfollows', async () => {
      const [fan, idol] = await rows.users(2, 'fan');
      const fanViewer = rows.viewer(fan);

      expect((await profiles.follow(fanViewer, idol.username)).profile.following).toBe(true);
      expect((await profiles.follow(fanViewer, idol.username)).profile.following).toBe(true);
      expect(await prisma.follow.count({ where: { followerId: fan.id, followedId: idol.id } })).toBe(1);

      expect((await profiles.unfollow(fanViewer, idol.username)).profile.following).toBe(false);
      expect(await prisma.follow.count({ where: { followerId: fan.id } })).toBe(0);
      expect((await profiles.unfollow(fanViewer, idol.username)).profile.following).toBe(false);
    });

    it('refuses to follow oneself or a user that does not exist', async () => {
      await expect(profiles.follow(rows.viewer(ann), ann.username)).rejects.toBeInstanceOf(CannotFollowSelf);
      await expect(profiles.follow(rows.viewer(ann), 'nobody-by-that-name')).rejects.toBeInstanceOf(ProfileNotFound);
      expect(await prisma.follow.count({ where: { followerId: ann.id } })).toBe(0);
    });

    it('tells the following flags from one query by username, the same whether or not the cache served the body', async () => {
      const viewer = await rows.user({ username: unique('watcher') });
      const people = await rows.users(6, 'person');
      await rows.follow(viewer, people[1], people[3], people[4]);

      const byName = await profiles.followedUsernames(viewer.id, [...people.map((person) => person.username), 'nobody-by-that-name']);
      expect(byName).toEqual(new Set([people[1].username, people[3].username, people[4].username]));

      const overlay = moduleRef.get(ProfileViewerOverlay);
      for (const person of people) {
        const shared = await profiles.get(person.username);
        expect(shared.profile.following).toBe(false);
        const seen = await profiles.get(person.username, rows.viewer(viewer));
        expect(seen.profile.following).toBe(byName.has(person.username));
        expect(overlay.apply(shared, await overlay.flags(shared, rows.viewer(viewer)))).toEqual(seen);
      }
    });
  });

  describe('comments', () => {
    let author: UserRow;
    let readers: UserRow[];

    beforeAll(async () => {
      author = await rows.user({ username: unique('columnist') });
      readers = await rows.users(3, 'reader');
    });

    it('lists an article’s comments newest first with their authors, a page at a time', async () => {
      const article = await rows.article(author);
      const other = await rows.article(author);
      const start = Date.now() - 60_000;
      const written = [];
      for (const [index, reader] of [...readers, readers[0]].entries()) written.push(await rows.comment(reader, article, `Comment ${index}`, new Date(start + index * 1_000)));
      await rows.comment(readers[1], other, 'Elsewhere');
      await rows.follow(readers[2], readers[0]);

      const all = await comments.list(article.slug, { limit: 100, offset: 0 }, rows.viewer(readers[2]));

      expect(all.comments.map((comment) => comment.body)).toEqual(['Comment 3', 'Comment 2', 'Comment 1', 'Comment 0']);
      expect(all.comments.map((comment) => comment.id)).toEqual(written.map((comment) => comment.id).reverse());
      expect(all.comments.map((comment) => [comment.author.username, comment.author.following])).toEqual([
        [readers[0].username, true],
        [readers[2].username, false],
        [readers[1].username, false],
        [readers[0].username, true],
      ]);
      const second = await comments.list(article.slug, { limit: 2, offset: 2 });
      expect(second.comments.map((comment) => comment.body)).toEqual(['Comment 1', 'Comment 0']);
      for (const comment of second.comments) expect(comment.author.following).toBe(false);

      const overlay = moduleRef.get(CommentsViewerOverlay);
      const shared = await comments.list(article.slug, { limit: 100, offset: 0 });
      expect(overlay.apply(shared, await overlay.flags(shared, rows.viewer(readers[2])))).toEqual(all);
    });

    it('adds a comment as its author, and lets only that author delete it', async () => {
      const article = await rows.article(author);
      const { comment } = await comments.create(rows.viewer(readers[0]), article.slug, 'First!');

      expect(comment).toMatchObject({ body: 'First!', author: { username: readers[0].username, following: false } });
      expect((await comments.list(article.slug, { limit: 10, offset: 0 })).comments.map((each) => each.id)).toEqual([comment.id]);

      await expect(comments.delete(rows.viewer(readers[1]), article.slug, comment.id)).rejects.toBeInstanceOf(NotCommentAuthor);
      await comments.delete(rows.viewer(readers[0]), article.slug, comment.id);
      expect((await comments.list(article.slug, { limit: 10, offset: 0 })).comments).toEqual([]);
      await expect(comments.delete(rows.viewer(readers[0]), article.slug, comment.id)).rejects.toBeInstanceOf(CommentNotFound);
    });

    it("does not reach a comment through another article's slug", async () => {
      const [first, second] = await rows.articles(author, 2);
      const comment = await rows.comment(readers[1], first);

      await expect(comments.delete(rows.viewer(readers[1]), second.slug, comment.id)).rejects.toBeInstanceOf(CommentNotFound);
      expect(await prisma.comment.count({ where: { id: comment.id } })).toBe(1);
    });

    it('keeps the comments of a scheduled article to its author', async () => {
      const scheduled = await rows.article(author, { publishedAt: null });
      await rows.comment(author, scheduled, 'Note to self');

      expect((await comments.list(scheduled.slug, { limit: 10, offset: 0 }, rows.viewer(author))).comments.map((comment) => comment.body)).toEqual(['Note to self']);
      await expect(comments.list(scheduled.slug, { limit: 10, offset: 0 })).rejects.toBeInstanceOf(ArticleNotFound);
      await expect(comments.create(rows.viewer(readers[0]), scheduled.slug, 'Sneaky')).rejects.toBeInstanceOf(ArticleNotFound);
    });
  });
});
