// Core's event envelope: the type every DomainEvent has, and its id generator.
export type { DomainEvent } from './domain-event.ts';
export { newEventId, eventIdTime } from './event-id.ts';
