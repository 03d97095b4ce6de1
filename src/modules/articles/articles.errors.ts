import { ConflictError, ForbiddenError, InvalidError, NotFoundError } from '@/common/errors/domain-error';

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

/** Only an article that is not published yet can be (re)scheduled. */
export class AlreadyPublished extends InvalidError {
  constructor() {
    super('publishAt', 'cannot be set: the article is already published');
  }
}
