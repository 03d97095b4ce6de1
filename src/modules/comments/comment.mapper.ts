import { toProfile } from '@/modules/profiles/profile.mapper';
import type { CommentDto } from './dto/comment.dto';
import type { CommentRow } from './comments.repository';

/** A comment as an anonymous reader sees it (CommentsViewerOverlay sets `author.following`). */
export function toComment(row: CommentRow): CommentDto {
  return {
    id: row.id,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    body: row.body,
    author: toProfile(row.author, false),
  };
}
