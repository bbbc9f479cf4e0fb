// The native face: Switchboard's own REST API. The server mounts it with registerNativeApi.
export { registerNativeApi, type NativeApiOptions } from './native-api.ts';
export { toHttpError } from './tenancy-errors.ts';
export { CALL_ACTIONS } from './calls-routes.ts';
export type { RecordingRow, RecordingsSource, EventsSource, ReplayedEvent } from './sources.ts';
export { nativeStreamFramer, parseNativeInbound } from './stream-framer.ts';
