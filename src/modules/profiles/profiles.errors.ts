import { InvalidError, NotFoundError } from '@/common/errors/domain-error';

export class ProfileNotFound extends NotFoundError {
  constructor() {
    super('profile');
  }
}

export class CannotFollowSelf extends InvalidError {
  constructor() {
    super('profile', 'cannot follow yourself');
  }
}
