import { Injectable } from '@nestjs/common';
import type { Viewer } from '@/common/auth/viewer';
import type { ViewerOverlay } from '@/infra/cache/cache-policy';
import { ProfileCacheTags } from './profiles.cache-tags';
import type { ProfileResponseDto } from './dto/profile-response.dto';
import { ProfilesRepository } from './profiles.repository';

/** Adds whether the viewer follows a cached profile. */
@Injectable()
export class ProfileViewerOverlay implements ViewerOverlay<ProfileResponseDto, boolean> {
  constructor(private readonly profiles: ProfilesRepository) {}

  viewerTags(viewer: Viewer): string[] {
    return [ProfileCacheTags.followsOf(viewer.id)];
  }

  async flags(body: ProfileResponseDto, viewer: Viewer): Promise<boolean> {
    return (await this.profiles.followedUsernames(viewer.id, [body.profile.username])).has(body.profile.username);
  }

  apply(body: ProfileResponseDto, following: boolean): ProfileResponseDto {
    return { profile: { ...body.profile, following } };
  }
}
