import { defineEvents } from '@/infra/outbox/domain-events';

/** What happens to comments, emitted by CommentsService in the transaction of the change. */
export interface CommentEvents {
  'comment.added': { commentId: number };
}

export const COMMENT_EVENTS = defineEvents<CommentEvents>({ 'comment.added': true });
