import { Injectable } from '@nestjs/common';
import type { Viewer } from '@/common/auth/viewer';
import type { ViewerOverlay } from '@/infra/cache/cache-policy';
import { ProfileCacheTags } from '@/modules/profiles/profiles.cache-tags';
import { ProfilesService } from '@/modules/profiles/profiles.service';
import type { MultipleCommentsResponseDto } from './dto/comment.dto';

/** Adds whether the viewer follows each cached comment's author. */
@Injectable()
export class CommentsViewerOverlay implements ViewerOverlay<MultipleCommentsResponseDto, string[]> {
  constructor(private readonly profiles: ProfilesService) {}

  viewerTags(viewer: Viewer): string[] {
    return [ProfileCacheTags.followsOf(viewer.id)];
  }

  /** The usernames the viewer follows among the authors: one indexed query. */
  async flags(body: MultipleCommentsResponseDto, viewer: Viewer): Promise<string[]> {
    return [...(await this.profiles.followedUsernames(viewer.id, body.comments.map((comment) => comment.author.username)))];
  }

  apply(body: MultipleCommentsResponseDto, following: string[]): MultipleCommentsResponseDto {
    const followed = new Set(following);
    return {
      comments: body.comments.map((comment) => ({
        ...comment,
        author: { ...comment.author, following: followed.has(comment.author.username) },
      })),
    };
  }
}
