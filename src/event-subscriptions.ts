import { DomainEventsModule, type EventSubscription } from '@/infra/outbox/domain-events';
import { NOTIFICATION_SUBSCRIPTIONS } from '@/modules/notifications/notification.subscriptions';

/**
 * Every subscription to a domain event in the deployment: who reacts to what. A feature that
 * reacts to another's events declares its subscriptions beside its code and is listed here.
 */
export const EVENT_SUBSCRIPTIONS: readonly EventSubscription[] = [...NOTIFICATION_SUBSCRIPTIONS];

/** For every process that can emit events: the api, the worker (scheduled publication) and tests. */
export const EventSubscriptionsModule = DomainEventsModule.forRoot(EVENT_SUBSCRIPTIONS);
