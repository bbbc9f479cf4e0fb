// Which Event Grid endpoints have answered the subscription validation handshake
// (vendor-apis.md A.5: Microsoft.EventGrid.SubscriptionValidationEvent → {validationResponse:
// <code>}), as the delivery gate of the 'acs-eventgrid' format: before a notification is POSTed
// to a URL, the URL must have echoed a code. A URL that has not holds its notifications back —
// each try is a failed, retried attempt of the outbox (backoff, dead after the usual limits),
// and the handshake is tried again at the next attempt, so a bot that starts answering it
// starts receiving the events that waited.
//
// Remembered per process, not durably: after a restart the first notification to each URL
// runs the handshake again (one extra POST per URL per start; no schema change needed).
//
//   unknown ──handshake echoed──► validated (kept for the life of the process)
//      ▲  └──not echoed──► failed ──next attempt──┘
import type { DeliveryGate } from '../../events/index.ts';
import { validateSubscription } from './incoming-call.ts';

export interface EventGridEndpointState {
  validated: boolean;
  /** Why the last handshake failed; absent once validated. */
  lastError?: string;
  /** Handshakes tried so far. */
  handshakes: number;
}

export class EventGridValidations {
  private readonly state = new Map<string, EventGridEndpointState>();
  private readonly running = new Map<string, Promise<boolean>>();

  constructor(private readonly o: {
    /** The handshake; default validateSubscription (a real POST). */
    validate?: (url: string) => Promise<boolean>;
    /** Told when a URL fails the handshake; default ignore. */
    onProblem?: (url: string, problem: string) => void;
  } = {}) {}

  status(url: string): EventGridEndpointState | undefined {
    const s = this.state.get(url);
    return s && { ...s };
  }

  /** True once `url` echoed a validation code (runs the handshake when needed; single flight per URL). */
  async ensure(url: string): Promise<boolean> {
    const s = this.state.get(url) ?? { validated: false, handshakes: 0 };
    this.state.set(url, s);
    if (s.validated) return true;
    let p = this.running.get(url);
    if (!p) {
      s.handshakes++;
      p = (this.o.validate ?? validateSubscription)(url).catch(() => false).finally(() => this.running.delete(url));
      this.running.set(url, p);
    }
    s.validated = await p;
    if (s.validated) delete s.lastError;
    else {
      s.lastError = 'the Event Grid subscription validation handshake was not answered with the validation code';
      this.o.onProblem?.(url, s.lastError);
    }
    return s.validated;
  }

  /** The delivery gate: hold a notification back until its URL is validated. */
  readonly gate: DeliveryGate = async (delivery) => (await this.ensure(delivery.url) ? undefined : `held back: ${this.state.get(delivery.url)?.lastError ?? 'not validated'}`);
}
