import { Injectable } from '@nestjs/common';
import type { Viewer } from '@/common/auth/viewer';
import { CacheInvalidator } from '@/infra/cache/cache-invalidator.service';
import { personalise } from '@/infra/cache/cache-policy';
import { ProfileCacheTags } from './profiles.cache-tags';
import { DomainEvents } from '@/infra/outbox/domain-events';
import { TransactionRunner } from '@/infra/prisma/transaction-runner';
import type { ProfileResponseDto } from './dto/profile-response.dto';
import { PublicUser, toProfile } from './profile.mapper';
import { ProfileViewerOverlay } from './profile-viewer.overlay';
import { PROFILE_EVENTS } from './profile-events';
import { ProfilesRepository } from './profiles.repository';
import { CannotFollowSelf, ProfileNotFound } from './profiles.errors';

@Injectable()
export class ProfilesService {
  constructor(
    private readonly profiles: ProfilesRepository,
    private readonly transaction: TransactionRunner,
    private readonly events: DomainEvents,
    private readonly cache: CacheInvalidator,
    private readonly overlay: ProfileViewerOverlay,
  ) {}

  async get(username: string, viewer?: Viewer): Promise<ProfileResponseDto> {
    return personalise(this.overlay, { profile: toProfile(await this.require(username), false) }, viewer);
  }

  async follow(viewer: Viewer, username: string): Promise<ProfileResponseDto> {
    const user = await this.require(username);
    if (user.id === viewer.id) throw new CannotFollowSelf();
    await this.transaction.run(async (db) => {
      if (await this.profiles.follow(viewer.id, user.id, db)) await this.events.emit(db, PROFILE_EVENTS.of('profile.followed', { followerId: viewer.id, followedId: user.id }));
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

  /** Of `usernames`, the ones `viewerId` follows: what every `following` flag is computed from. */
  followedUsernames(viewerId: number, usernames: string[]): Promise<Set<string>> {
    return this.profiles.followedUsernames(viewerId, usernames);
  }

  private async require(username: string): Promise<PublicUser> {
    const user = await this.profiles.findByUsername(username);
    if (!user) throw new ProfileNotFound();
    return user;
  }
}
