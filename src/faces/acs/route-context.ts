// What every ACS route module gets: the services, request helpers shared by the routes
// (participant parsing, CallConnectionProperties, running a core operation with the body's
// operationContext / operationCallbackUri), and the route table shape. Route modules
// (./routes/*.ts) each export an AcsRoute[]; acs-face.ts dispatches over all of them in order.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CallService, Operation, Participant, Principal, Tenancy } from '../../core/index.ts';
import type { Clock } from '../../lib/index.ts';
import type { CallbackJwtSigner } from './callback-jwt.ts';
import type { IncomingCallContexts } from './incoming-call-context.ts';

export type AcsBody = Record<string, any>;

/** A recording's metadata as the store keeps it (the face may not import the store: a port). */
export interface AcsRecordingRow {
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
  createdAt: number;
}

export interface AcsRecordings {
  get(id: string): Promise<AcsRecordingRow | undefined>;
  /** Removes the row and its file; false when there was no such row. */
  delete(id: string): Promise<boolean>;
}

export interface AcsRouteContext {
  calls(): CallService;
  tenancy(): Tenancy;
  readonly contexts: IncomingCallContexts;
  readonly signer: CallbackJwtSigner;
  readonly clock: Clock;
  /** Domain of SIP users that 8:acs:<user> maps to. */
  readonly sipDomain: string;
  principalOf(r: FastifyRequest): Principal;
  /** The application id of the authenticated request. */
  applicationIdOf(r: FastifyRequest): string;
  /** Identifier model → participant, or 400 naming `what`. */
  participant(raw: unknown, what: string): Participant;
  /** CallConnectionProperties of a call (live or ended), plus `extra`. */
  properties(request: FastifyRequest, callId: string, extra?: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** The live leg of `who` (an identifier model) in the call; undefined when `who` is absent; 404 when not in the call. */
  legFor(request: FastifyRequest, callId: string, who: unknown): string | undefined;
  /** Runs a core operation with the body's operationContext and operationCallbackUri. */
  run(request: FastifyRequest, callId: string, op: string, params: Record<string, unknown>, body: AcsBody): Promise<Operation>;
  /** ACS playSources → core play sources. */
  playSources(raw: unknown): Record<string, unknown>[];
  /** Recording metadata (503 until the store is open). */
  recordings(): AcsRecordings;
  /** Posts Event Grid events to the application's Event Grid URL (validated first); a no-op without one. */
  publishEventGrid(applicationId: string, events: unknown[]): Promise<void>;
  /** 501 NotSupported naming `what`. */
  notSupported(what: string): never;
}

export interface AcsRoute {
  method: 'GET' | 'POST' | 'DELETE';
  /** Matched against the path without the query; groups are URI-encoded. */
  pattern: RegExp;
  handle(ctx: AcsRouteContext, request: FastifyRequest, reply: FastifyReply, match: RegExpExecArray, body: AcsBody): Promise<unknown>;
}

/** `/calling/callConnections/{id}` or `/calling/callConnections/{id}/participants` + `:action`. */
export const callAction = (action: string, participants = false): RegExp =>
  new RegExp(`^/calling/callConnections/([^/:]+)${participants ? '/participants' : ''}:${action}$`);

/** `{operationContext}` from the body, for 202 responses that echo it. */
export const echoContext = (body: AcsBody): Record<string, unknown> =>
  (typeof body.operationContext === 'string' ? { operationContext: body.operationContext } : {});
