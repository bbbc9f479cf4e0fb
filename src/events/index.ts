// The events layer: signed webhook delivery of the outbox (at-least-once, ordered per call,
// retried with backoff) and live event streams. It imports core (the DomainEvent type),
// store (the outbox) and lib; faces register formatters and mount the stream on HTTP.
export {
  WebhookDeliveryEngine,
  type WebhookDeliveryOptions,
  type WebhookDeliveryEvents,
  type WebhookDeliveryState,
  type AttemptInfo,
  type SecretsProvider,
} from './webhook-delivery-engine.ts';
export { DEFAULT_RETRY_POLICY, retryDelay, isRetryable, type RetryPolicy } from './retry-policy.ts';
export { type DeliveryGate } from './delivery-gate.ts';
export { DerivedEventPublisher, derivedEventId, type DerivedEvent, type EventDeriver, type DerivedEventPublisherOptions } from './derived-event-publisher.ts';
export {
  computeSignature,
  signatureHeader,
  verifySignature,
  EVENT_ID_HEADER,
  TIMESTAMP_HEADER,
  SIGNATURE_HEADER,
  type VerifyOptions,
} from './signature.ts';
export { nativeFormatter, nativeBody, DEFAULT_FORMATTERS, type EventFormatter, type DeliveryFormatter, type DeliveryHeaders } from './event-formatter.ts';
export {
  EventStreamHub,
  type EventStreamHubOptions,
  type StreamFilter,
  type StreamCatchUp,
  type StreamSink,
} from './event-stream.ts';
export {
  WebhookHttpClient,
  postWithFetch,
  type WebhookPost,
  type WebhookResponse,
  type WebhookHttpClientOptions,
} from './webhook-http-client.ts';
export {
  WebhookHealth,
  type WebhookHealthOptions,
  type WebhookHealthEvents,
  type WebhookFailureInfo,
} from './webhook-health.ts';
export {
  CdrPublisher,
  CDR_EVENT_TYPE,
  cdrEventId,
  cdrTargetOf,
  type CdrPublisherOptions,
  type CdrPublisherEvents,
} from './cdr-publisher.ts';
export {
  createMediaStreamer,
  AudioSendQueue,
  pcmToBuffer,
  bufferToPcm,
  type MediaStreamerOptions,
  type StreamFramer,
  type InboundStreamMessage,
  type OutboundAudioFrame,
  type FrameSink,
} from './media-streams/index.ts';
