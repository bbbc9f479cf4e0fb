// What the native API reads besides core's services, stated as ports: a face may not import
// the store (ARCHITECTURE.md), so it says here what it needs and the server passes the
// store's repositories, which have exactly these shapes (structural typing; a drift fails
// to compile in src/server/native-api-wiring.ts).

/** A recording's metadata as stored (the audio itself is a file at `path`). */
export interface RecordingRow {
  id: string;
  callId: string;
  applicationId: string;
  /** Absolute path of the audio file; never sent to clients. */
  path: string;
  format: string;
  channels: number;
  durationMs: number | null;
  sizeBytes: number | null;
  /** 'recording' | 'paused' | 'completed' | 'stopped' | 'failed'. */
  state: string;
  /** SHA-256 hex of the download token, or null when none was issued. */
  accessTokenHash: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface RecordingsSource {
  get(id: string): Promise<RecordingRow | undefined>;
  /** Oldest first by creation time; `afterId` continues a page. */
  list(q: { applicationId?: string; since?: number; until?: number; afterId?: string; limit?: number }): Promise<RecordingRow[]>;
  /** One call's recordings, oldest first. */
  listByCall(callId: string): Promise<RecordingRow[]>;
  /** Removes the row and its audio file; false when there was no such row. */
  delete(id: string): Promise<boolean>;
}

/** An event as the outbox keeps it (the native webhook envelope plus its per-call seq). */
export interface ReplayedEvent {
  id: string;
  type: string;
  applicationId: string;
  callId?: string;
  occurredAt: string;
  data: Record<string, unknown>;
  seq?: number;
}

export interface EventsSource {
  /** (occurredAt, id) order; `afterId` wins over `since`; an unknown `afterId` gives []. */
  listEvents(q: { applicationId?: string; since?: number; afterId?: string; limit?: number }): Promise<ReplayedEvent[]>;
}
