// Polls `f` every 25 ms until it returns something other than undefined, or fails after `ms`
// naming `what` (end-to-end tests wait for webhooks, frames and peers this way).
export async function until<T>(f: () => T | undefined, what: string, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`${what} did not happen`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
