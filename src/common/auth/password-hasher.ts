import { Injectable } from '@nestjs/common';
import * as argon2 from 'argon2';

/** argon2id with OWASP's minimum parameters (19 MiB, 2 passes, 1 lane). */
export const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19 * 1024, timeCost: 2, parallelism: 1 } as const;

@Injectable()
export class PasswordHasher {
  /** A hash of a password nobody has, verified against when the email is unknown. */
  private readonly decoy = argon2.hash('decoy password that matches no account', ARGON2_OPTIONS);

  hash(password: string): Promise<string> {
    return argon2.hash(password, ARGON2_OPTIONS);
  }

  /**
   * Whether `password` matches `hash`. With no hash (unknown account) it still spends the time
   * of one verification, so a login answers alike for an unknown email and a wrong password.
   */
  async verify(hash: string | undefined, password: string): Promise<boolean> {
    const matches = await argon2.verify(hash ?? (await this.decoy), password).catch(() => false);
    return hash !== undefined && matches;
  }
}
