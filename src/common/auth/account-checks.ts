/**
 * What authentication asks of the accounts, answered by the users feature (which owns them):
 * the guard behind `@Auth()` and the administration dashboard depend on this, never on the users
 * table. See `modules/users/accounts.module.ts`.
 */
export abstract class AccountChecks {
  /** Whether a verified token of `userId`, issued under token version `version`, is still good. */
  abstract acceptsToken(userId: number, version: number): Promise<boolean>;

  /** Whether `email` and `password` are those of an account granted administration. */
  abstract isAdministrator(email: string, password: string): Promise<boolean>;
}
