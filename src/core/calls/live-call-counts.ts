/**
 * Live (not yet ended) calls per application in this process, kept up to date as calls start and
 * end, so that admission reads one number instead of scanning every live call. Removal is
 * idempotent: a call's end and its forgetting may both report it.
 */
export class LiveCallCounts {
  private readonly byApp = new Map<string, number>();
  /** Application of each counted call (a call is uncounted once). */
  private readonly counted = new Map<string, string>();

  /** Live calls of one application (O(1)). */
  of(applicationId: string): number {
    return this.byApp.get(applicationId) ?? 0;
  }

  add(callId: string, applicationId: string): void {
    if (this.counted.has(callId)) return;
    this.counted.set(callId, applicationId);
    this.byApp.set(applicationId, this.of(applicationId) + 1);
  }

  remove(callId: string): void {
    const app = this.counted.get(callId);
    if (app === undefined) return;
    this.counted.delete(callId);
    const n = this.of(app) - 1;
    if (n > 0) this.byApp.set(app, n);
    else this.byApp.delete(app);
  }

  clear(): void {
    this.byApp.clear();
    this.counted.clear();
  }
}
