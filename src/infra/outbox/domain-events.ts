import { DynamicModule, Global, Inject, Injectable, Module } from '@nestjs/common';
import type { Db } from '@/infra/prisma/db';
import type { JobIntentOf } from '@/infra/queue/job-handler';
import { OutboxService } from './outbox.service';

/**
 * Domain events: what happened in a feature, named `<feature>.<what happened>` by the feature it
 * happened in, with the ids a subscriber needs to read the rest from that feature's services.
 *
 * A producer declares its events (`defineEvents`) and emits them with `DomainEvents.emit`, inside
 * the transaction of the change; it knows nothing of who reacts. A subscriber (notifications, say)
 * declares, beside its code, the job each event asks of it (`reactTo`). Every subscription of the
 * deployment is listed once, in `src/event-subscriptions.ts`, and given to every process that can
 * emit (DomainEventsModule.forRoot), so that no process ever emits an event with a subscriber
 * missing. Emitting writes one outbox row per subscriber, in the producer's transaction: the
 * reactions commit with the change or not at all, and the worker runs each as a job.
 */
export interface DomainEvent<Name extends string = string, Payload extends object = object> {
  readonly name: Name;
  readonly payload: Payload;
}

/** A feature's events: name -> payload. */
export type EventTable = object;

/** The typed events of one feature, as `defineEvents` gives them. */
export class EventDefinitions<Events extends EventTable> {
  /** For the compiler only: the payload of each event (never set). */
  declare readonly payloads: Events;

  constructor(readonly names: readonly string[]) {}

  /** One of these events, with its payload. */
  of<Name extends keyof Events & string>(name: Name, payload: Events[Name]): DomainEvent<Name, Events[Name] & object> {
    return { name, payload: payload as Events[Name] & object };
  }
}

/** Declares a feature's events; the names are spelt out as a record the compiler holds to the type. */
export function defineEvents<Events extends EventTable>(names: { readonly [Name in keyof Events]-?: true }): EventDefinitions<Events> {
  return new EventDefinitions<Events>(Object.keys(names));
}

/** What a subscriber asks when an event happens: a job of its own, as an outbox intent. */
export interface EventSubscription {
  event: string;
  /** Who subscribes and why, for messages: `notifications: welcome mail`. */
  subscriber: string;
  reaction(payload: object): JobIntentOf;
}

/** The subscription of `subscriber` to `name`: each such event becomes the job `reaction` names. */
export function reactTo<Events extends EventTable, Name extends keyof Events & string>(
  events: EventDefinitions<Events>,
  name: Name,
  subscriber: string,
  reaction: (payload: Events[Name]) => JobIntentOf,
): EventSubscription {
  if (!events.names.includes(name)) throw new Error(`${subscriber}: "${name}" is not a declared event`);
  return { event: name, subscriber, reaction: reaction as (payload: object) => JobIntentOf };
}

const EVENT_SUBSCRIPTIONS = Symbol('EVENT_SUBSCRIPTIONS');

/** Emits domain events into the outbox, one row per subscriber (see the top of this file). */
@Injectable()
export class DomainEvents {
  private readonly byEvent = new Map<string, EventSubscription[]>();

  constructor(@Inject(EVENT_SUBSCRIPTIONS) subscriptions: readonly EventSubscription[], private readonly outbox: OutboxService) {
    for (const subscription of subscriptions) this.byEvent.set(subscription.event, [...(this.byEvent.get(subscription.event) ?? []), subscription]);
  }

  /** Writes, in `db` (the transaction of the change), the job of every subscriber to each event. */
  async emit(db: Db, ...events: DomainEvent[]): Promise<void> {
    const intents = events.flatMap((event) => (this.byEvent.get(event.name) ?? []).map((subscription) => subscription.reaction(event.payload)));
    await this.outbox.add(db, ...intents);
  }

  /** The subscriptions to `event`, in the order listed. */
  subscriptionsTo(event: string): readonly EventSubscription[] {
    return this.byEvent.get(event) ?? [];
  }
}

/** DomainEvents with the deployment's subscriptions (see src/event-subscriptions.ts), for every process that emits. */
@Global()
@Module({})
export class DomainEventsModule {
  static forRoot(subscriptions: readonly EventSubscription[]): DynamicModule {
    return {
      module: DomainEventsModule,
      providers: [{ provide: EVENT_SUBSCRIPTIONS, useValue: subscriptions }, DomainEvents],
      exports: [DomainEvents],
    };
  }
}
