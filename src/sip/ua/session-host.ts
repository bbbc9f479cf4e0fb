// What an INVITE session needs from the UserAgent that owns it. Sessions talk to this
// interface, not to the UserAgent class, so the two files do not import each other.
import type { Clock, Logger } from '../../lib/index.ts';
import type { Dialog } from '../dialog/index.ts';
import type { SipRequest, SipResponse } from '../message/index.ts';
import type { ClientTransaction, ClientTransactionHandlers, ServerTransaction, TimerSettings } from '../transaction/index.ts';
import type { Destination } from '../transaction/index.ts';
import type { SessionTimerSettings } from './session-timer.ts';

export interface SessionHostConfig {
  userAgentName: string;
  allow: readonly string[];
  supported: readonly string[];
  sessionTimer: SessionTimerSettings;
}

export interface SessionHost {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly timers: TimerSettings;
  readonly config: SessionHostConfig;
  /** Send a request through a new client transaction; adds Via (and a branch). */
  sendRequest(req: SipRequest, dest: Destination, handlers: ClientTransactionHandlers): ClientTransaction;
  /** Send a message with no transaction (ACK for 2xx). Adds Via to requests that lack one. */
  sendStateless(msg: SipRequest, dest: Destination): void;
  /** Send a 2xx again (§13.3.1.4), to where the request's response went. */
  retransmitResponse(stx: ServerTransaction, res: SipResponse): void;
  /** Where in-dialog requests of this dialog go (flow reuse for stream transports). */
  destinationFor(dialog: Dialog, flow: Destination | undefined): Destination;
  /** Our Contact value for messages sent towards dest. */
  contactFor(dest: Destination): string;
  /** Route later in-dialog requests (and ACKs, CANCEL lookups) of this dialog to the session. */
  registerDialog(dialog: Dialog, session: unknown): void;
  unregisterDialog(dialog: Dialog): void;
}
