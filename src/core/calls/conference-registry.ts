// ConferenceRegistry: which live conference a (application, locator) pair names, so that
// CallService.openConference is find-or-create — two POSTs (or two ACS connects) with the same
// locator reach the same call, and two applications using the same locator get two different
// conferences. It also serializes the first dials into a conference that has no leg yet, so
// that concurrent addParticipant calls all land in one media worker (see firstDial).
//
// A conference is a Call (./call.ts) with `conference: {locator}` and no first leg. Its life:
// ```
//   (none) ──openConference──▶ established ──hangup / idle timeout / shutdown──▶ ending ──▶ ended
//                               │  ▲
//                               │  └── the locator maps to it (a second open returns it)
//                               └── legs come and go (addParticipant / removeParticipant / BYE);
//                                   with no live leg for idleTimeoutMs it ends ('idle-timeout')
// ```
// The mapping is dropped when the call starts ending: an open during `ending` creates a new
// conference. In memory only (one node): a restart ends every call anyway (call-recovery.ts).
//
// It must never end a call itself: ConferenceIdle (./conference-idle.ts) does that.
import type { Call } from './call.ts';

export class ConferenceRegistry {
  /** `${applicationId}\0${locator}` → the conference, or its creation under way. */
  private readonly byKey = new Map<string, Promise<Call>>();
  /** Per conference: the dial placing its first leg (see firstDial). */
  private readonly placing = new Map<string, Promise<unknown>>();

  private static key(applicationId: string, locator: string): string {
    return `${applicationId}\u0000${locator}`;
  }

  /** The live conference of (applicationId, locator), if any. */
  async find(applicationId: string, locator: string): Promise<Call | undefined> {
    const p = this.byKey.get(ConferenceRegistry.key(applicationId, locator));
    return p ? p.catch(() => undefined) : undefined;
  }

  /**
   * The live conference of (applicationId, locator), created with `create` when there is none.
   * Concurrent opens of one key share one creation; a failed creation is forgotten.
   */
  async open(applicationId: string, locator: string, create: () => Promise<Call>): Promise<{ call: Call; created: boolean }> {
    const key = ConferenceRegistry.key(applicationId, locator);
    const existing = this.byKey.get(key);
    if (existing) {
      const call = await existing.catch(() => undefined);
      if (call && call.state === 'established') return { call, created: false };
      // It failed or is ending: the entry is (being) dropped; open a new one.
      if (this.byKey.get(key) === existing) this.byKey.delete(key);
      return this.open(applicationId, locator, create);
    }
    const creating = create();
    this.byKey.set(key, creating);
    let call: Call;
    try {
      call = await creating;
    } catch (err) {
      if (this.byKey.get(key) === creating) this.byKey.delete(key);
      throw err;
    }
    const forget = (): void => {
      if (this.byKey.get(key) === creating) this.byKey.delete(key);
      this.placing.delete(call.id);
    };
    if (call.state === 'ending' || call.state === 'ended') forget();
    else call.on('state', ({ to }) => { if (to === 'ending' || to === 'ended') forget(); });
    return { call, created: true };
  }

  /**
   * Runs `dial` after any earlier first-leg dial of the same conference has finished. Until a
   * conference has a leg there is no endpoint to dial "near", so two invitations sent at once
   * could land in two media workers and could not be mixed; in a row, the second one finds the
   * first leg and is placed beside it.
   */
  firstDial<T>(callId: string, dial: () => Promise<T>): Promise<T> {
    const prev = this.placing.get(callId) ?? Promise.resolve();
    const run = prev.catch(() => {}).then(dial);
    this.placing.set(callId, run);
    return run;
  }
}
