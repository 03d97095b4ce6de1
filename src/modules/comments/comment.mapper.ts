import type { ProfileDto } from '@/modules/profiles/dto/profile-response.dto';
import { toProfile } from '@/modules/profiles/profile.mapper';
import type { CommentDto } from './dto/comment.dto';
import type { CommentRow } from './comments.repository';

export function toComment(row: CommentRow, authors: Map<number, ProfileDto>): CommentDto {
  return {
    id: row.id,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    body: row.body,
    author: authors.get(row.author.id) ?? toProfile(row.author, false),
  };
}
