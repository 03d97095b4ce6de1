import { defineEvents } from '@/infra/outbox/domain-events';

/** What happens between profiles, emitted by ProfilesService in the transaction of the change. */
export interface ProfileEvents {
  /** A new follow (following someone already followed emits nothing). */
  'profile.followed': { followerId: number; followedId: number };
}

export const PROFILE_EVENTS = defineEvents<ProfileEvents>({ 'profile.followed': true });
