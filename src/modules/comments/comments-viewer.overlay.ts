import { Injectable } from '@nestjs/common';
import type { Viewer } from '@/common/auth/viewer';
import type { ViewerOverlay } from '@/infra/cache/cache-policy';
import { ProfilesService } from '@/modules/profiles/profiles.service';
import type { MultipleCommentsResponseDto } from './dto/comment.dto';

/** Adds whether the viewer follows each cached comment's author: one indexed query. */
@Injectable()
export class CommentsViewerOverlay implements ViewerOverlay<MultipleCommentsResponseDto> {
  constructor(private readonly profiles: ProfilesService) {}

  async apply(body: MultipleCommentsResponseDto, viewer: Viewer): Promise<MultipleCommentsResponseDto> {
    const followed = await this.profiles.followedUsernames(viewer.id, body.comments.map((comment) => comment.author.username));
    return {
      comments: body.comments.map((comment) => ({
        ...comment,
        author: { ...comment.author, following: followed.has(comment.author.username) },
      })),
    };
  }
}
