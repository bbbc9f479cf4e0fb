// incomingCallContext (vendor-apis.md A.5): opaque to the bot, it names the ringing call in
// answer/redirect/reject. Ours is base64url(JSON {c: callId, a: applicationId, e: expiry})
// + "." + HMAC-SHA256 of it with a per-process secret, valid 5 minutes — it cannot be forged
// to reach another application's call, and a stale one is refused. Partial: the secret is per
// process, so in a cluster the context must come back to the node that issued it.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export class IncomingCallContexts {
  private readonly secret = randomBytes(32);
  /** @param ttlMs default 300000 ms */
  constructor(private readonly now: () => number = Date.now, private readonly ttlMs = 300_000) {}

  issue(callId: string, applicationId: string): string {
    const body = Buffer.from(JSON.stringify({ c: callId, a: applicationId, e: this.now() + this.ttlMs })).toString('base64url');
    return `${body}.${createHmac('sha256', this.secret).update(body).digest('base64url')}`;
  }

  /** The call id, when the context is ours, unexpired and for this application. */
  open(context: unknown, applicationId: string): string | undefined {
    if (typeof context !== 'string') return undefined;
    const [body, sig] = context.split('.');
    if (!body || !sig) return undefined;
    const want = Buffer.from(createHmac('sha256', this.secret).update(body).digest('base64url'));
    const got = Buffer.from(sig);
    if (want.length !== got.length || !timingSafeEqual(want, got)) return undefined;
    try {
      const o = JSON.parse(Buffer.from(body, 'base64url').toString()) as { c: string; a: string; e: number };
      return o.a === applicationId && o.e > this.now() ? o.c : undefined;
    } catch {
      return undefined;
    }
  }
}
