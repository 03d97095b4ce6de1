import { Injectable } from '@nestjs/common';
import type { Viewer } from '@/common/auth/viewer';
import { CacheInvalidator } from '@/infra/cache/cache-invalidator.service';
import { ProfileCacheTags } from './profiles.cache-tags';
import { TransactionRunner } from '@/infra/prisma/transaction-runner';
import { NotificationsService } from '@/modules/notifications/notifications.service';
import type { ProfileDto, ProfileResponseDto } from './dto/profile-response.dto';
import { PublicUser, toProfile } from './profile.mapper';
import { ProfilesRepository } from './profiles.repository';
import { CannotFollowSelf, ProfileNotFound } from './profiles.errors';

@Injectable()
export class ProfilesService {
  constructor(
    private readonly profiles: ProfilesRepository,
    private readonly transaction: TransactionRunner,
    private readonly notifications: NotificationsService,
    private readonly cache: CacheInvalidator,
  ) {}

  async get(username: string, viewer?: Viewer): Promise<ProfileResponseDto> {
    const user = await this.require(username);
    const following = viewer ? (await this.profiles.followedAmong(viewer.id, [user.id])).has(user.id) : false;
    return { profile: toProfile(user, following) };
  }

  async follow(viewer: Viewer, username: string): Promise<ProfileResponseDto> {
    const user = await this.require(username);
    if (user.id === viewer.id) throw new CannotFollowSelf();
    await this.transaction.run(async (db) => {
      if (await this.profiles.follow(viewer.id, user.id, db)) await this.notifications.newFollower(db, viewer.id, user.id);
    });
    await this.cache.invalidate(ProfileCacheTags.followsOf(viewer.id));
    return { profile: toProfile(user, true) };
  }

  async unfollow(viewer: Viewer, username: string): Promise<ProfileResponseDto> {
    const user = await this.require(username);
    await this.profiles.unfollow(viewer.id, user.id);
    await this.cache.invalidate(ProfileCacheTags.followsOf(viewer.id));
    return { profile: toProfile(user, false) };
  }

  /** The id of a username, for features that filter by user (`?author=`, `?favorited=`). */
  idByUsername(username: string): Promise<number | undefined> {
    return this.profiles.idByUsername(username);
  }

  /** Of `usernames`, the ones `viewerId` follows. */
  followedUsernames(viewerId: number, usernames: string[]): Promise<Set<string>> {
    return this.profiles.followedUsernames(viewerId, usernames);
  }

  /**
   * Profiles of `users` as `viewer` sees them, in one query for the `following` flags:
   * how lists of articles and comments show their authors without N+1 queries.
   */
  async profilesFor(users: PublicUser[], viewer?: Viewer): Promise<Map<number, ProfileDto>> {
    const followed = viewer ? await this.profiles.followedAmong(viewer.id, users.map((user) => user.id)) : new Set<number>();
    return new Map(users.map((user) => [user.id, toProfile(user, followed.has(user.id))]));
  }

  private async require(username: string): Promise<PublicUser> {
    const user = await this.profiles.findByUsername(username);
    if (!user) throw new ProfileNotFound();
    return user;
  }
}
