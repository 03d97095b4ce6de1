import { DomainError, InvalidError, UnauthorizedError } from '@/common/errors/domain-error';

/** Several fields may be taken at once; the client learns about all of them. */
export class UserFieldsTaken extends DomainError {
  readonly status = 409;
  constructor(readonly fields: string[]) {
    super(fields[0], 'has already been taken');
  }
  override get errors(): Record<string, string[]> {
    return Object.fromEntries(this.fields.map((field) => [field, ['has already been taken']]));
  }
}

/** One answer for an unknown email and a wrong password, so neither can be told apart. */
export class InvalidCredentials extends UnauthorizedError {
  constructor() {
    super('email or password', 'is invalid');
  }
}

export class EmptyUserUpdate extends InvalidError {
  constructor() {
    super('user', 'must have at least one field');
  }
}

/** Changing the email or password needs the current password: a token alone is not enough. */
export class CurrentPasswordMissing extends InvalidError {
  constructor() {
    super('currentPassword', "can't be blank");
  }
}

export class CurrentPasswordIncorrect extends InvalidError {
  constructor() {
    super('currentPassword', 'is incorrect');
  }
}
