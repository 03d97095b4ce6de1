import { ConflictError, ForbiddenError, NotFoundError } from '@/common/errors/domain-error';

export class ArticleNotFound extends NotFoundError {
  constructor() {
    super('article');
  }
}

export class NotArticleAuthor extends ForbiddenError {
  constructor() {
    super('article');
  }
}

/** The title's slug belongs to another article. */
export class TitleTaken extends ConflictError {
  constructor() {
    super('title');
  }
}
