import { defineEvents } from '@/infra/outbox/domain-events';

/** What happens to accounts, emitted by UsersService in the transaction of the change. */
export interface UserEvents {
  /** A new account (registration). */
  'user.registered': { userId: number };
}

export const USER_EVENTS = defineEvents<UserEvents>({ 'user.registered': true });
