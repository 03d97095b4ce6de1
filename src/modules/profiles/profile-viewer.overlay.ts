import { Injectable } from '@nestjs/common';
import type { Viewer } from '@/common/auth/viewer';
import type { ViewerOverlay } from '@/infra/cache/cache-policy';
import type { ProfileResponseDto } from './dto/profile-response.dto';
import { ProfilesService } from './profiles.service';

/** Adds whether the viewer follows a cached profile. */
@Injectable()
export class ProfileViewerOverlay implements ViewerOverlay<ProfileResponseDto> {
  constructor(private readonly profiles: ProfilesService) {}

  async apply(body: ProfileResponseDto, viewer: Viewer): Promise<ProfileResponseDto> {
    const followed = await this.profiles.followedUsernames(viewer.id, [body.profile.username]);
    return { profile: { ...body.profile, following: followed.has(body.profile.username) } };
  }
}
