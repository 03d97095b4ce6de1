import { ForbiddenError, NotFoundError } from '@/common/errors/domain-error';

export class CommentNotFound extends NotFoundError {
  constructor() {
    super('comment');
  }
}

export class NotCommentAuthor extends ForbiddenError {
  constructor() {
    super('comment');
  }
}
