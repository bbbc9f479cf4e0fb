/**
 * One whole utterance through a fresh transcriber session (pocketsphinx or the Vosk-protocol
 * WebSocket provider): write the samples, end the session, and join its final results with their
 * mean confidence — what a recognize operation on recorded speech needs from a streaming
 * transcriber. Rejects with the session's error.
 */
import type { TranscriberResult } from './pocketsphinx-transcriber.ts';

/** What this needs of a session (PocketsphinxSession and WebsocketSession both are one). */
export interface UtteranceSession {
  on(event: 'result', fn: (r: TranscriberResult) => void): unknown;
  on(event: 'error', fn: (e: Error) => void): unknown;
  write(samples: Int16Array): void;
  end(): Promise<void>;
}

export async function transcribeUtterance(session: UtteranceSession, samples: Int16Array): Promise<{ text: string; confidence?: number }> {
  const finals: TranscriberResult[] = [];
  let failed: Error | undefined;
  session.on('result', (r) => { if (r.final) finals.push(r); });
  session.on('error', (e) => { failed = e; });
  session.write(samples);
  await session.end();
  if (failed) throw failed;
  const conf = finals.filter((f) => f.confidence !== undefined).map((f) => f.confidence!);
  return {
    text: finals.map((f) => f.text).join(' ').trim(),
    ...(conf.length ? { confidence: Math.round((conf.reduce((a, b) => a + b, 0) / conf.length) * 1000) / 1000 } : {}),
  };
}
