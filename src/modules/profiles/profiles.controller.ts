import { Controller, Delete, Get, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Auth, CurrentUser, MaybeCurrentUser, OptionalAuth } from '@/common/auth/auth.decorators';
import type { Viewer } from '@/common/auth/viewer';
import { ApiErrorResponses } from '@/common/http/api-responses';
import { ProfileResponseDto } from './dto/profile-response.dto';
import { CacheResponse } from '@/infra/cache/cache-policy';
import { ProfileCacheTags } from './profiles.cache-tags';
import { ReplicaReads } from '@/infra/prisma/replica-reads.interceptor';
import { ProfileViewerOverlay } from './profile-viewer.overlay';
import { ProfilesService } from './profiles.service';

@ApiTags('Profile')
@ApiParam({ name: 'username', description: 'Username of the profile' })
@Controller('profiles/:username')
export class ProfilesController {
  constructor(private readonly profiles: ProfilesService) {}

  /** Get a profile of a user of the system. Auth is optional */
  @Get()
  @OptionalAuth()
  @ReplicaReads()
  @CacheResponse({ name: 'profile', tags: (request) => [ProfileCacheTags.one(request.params.username as string)], overlay: ProfileViewerOverlay })
  @ApiOperation({ operationId: 'GetProfileByUsername', summary: 'Get a profile' })
  @ApiErrorResponses(404, 422)
  get(@Param('username') username: string, @MaybeCurrentUser() viewer?: Viewer): Promise<ProfileResponseDto> {
    return this.profiles.get(username, viewer);
  }

  /** Follow a user by username. Following twice is harmless; following yourself is refused with 422. */
  @Post('follow')
  @HttpCode(HttpStatus.OK)
  @Auth()
  @ApiOperation({ operationId: 'FollowUserByUsername', summary: 'Follow a user' })
  @ApiErrorResponses(404, 422)
  follow(@CurrentUser() viewer: Viewer, @Param('username') username: string): Promise<ProfileResponseDto> {
    return this.profiles.follow(viewer, username);
  }

  /** Unfollow a user by username */
  @Delete('follow')
  @Auth()
  @ApiOperation({ operationId: 'UnfollowUserByUsername', summary: 'Unfollow a user' })
  @ApiErrorResponses(404, 422)
  unfollow(@CurrentUser() viewer: Viewer, @Param('username') username: string): Promise<ProfileResponseDto> {
    return this.profiles.unfollow(viewer, username);
  }
}
