// The outbox part of the store: appended events and their webhook deliveries.
export {
  OutboxRepository,
  type AppendItem,
  type ClaimOptions,
  type CommittedListener,
  type DeliveryQuery,
  type EventQuery,
  type OutboxRepositoryOptions,
  type RedeliverQuery,
} from './outbox-repository.ts';
export type { EventsTable, DeliveriesTable } from './tables.ts';
export type {
  ClaimedDelivery,
  DeliveryRecord,
  DeliveryState,
  DeliveryTarget,
  OutboxEvent,
  StoredEvent,
} from './outbox-event.ts';
