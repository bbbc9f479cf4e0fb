/**
 * Turn prompt bytes or a local path into samples at the media rate: read (bounded), decode WAV,
 * resample once. Shared by PromptCache and by openPlaylist when no cache is given.
 */
import { readFile, stat } from 'node:fs/promises';
import { PlayError } from './play-error.ts';
import { resampleOnce } from './resample-once.ts';
import { decodeWav } from './wav-reader.ts';

/** Decode WAV bytes and resample to `rate`. Throws PlayError UNSUPPORTED_FORMAT. */
export function decodePrompt(bytes: Uint8Array, rate: number): Int16Array {
  const wav = decodeWav(bytes);
  return resampleOnce(wav.samples, wav.rate, rate);
}

/** stat() a local prompt: NOT_FOUND when missing or not a file, TOO_LARGE over maxBytes. */
export async function statPrompt(path: string, maxBytes: number): Promise<{ size: number; mtimeMs: number }> {
  let st;
  try {
    st = await stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new PlayError('NOT_FOUND', `prompt file ${path} does not exist`);
    throw new PlayError('NOT_FOUND', `prompt file ${path} cannot be read (${code ?? (err as Error).message})`, { cause: err });
  }
  if (!st.isFile()) throw new PlayError('NOT_FOUND', `prompt ${path} is not a file`);
  if (st.size > maxBytes) throw new PlayError('TOO_LARGE', `prompt file ${path} is ${st.size} bytes, over the ${maxBytes}-byte limit`);
  return { size: st.size, mtimeMs: st.mtimeMs };
}

/** Read and decode a local WAV prompt at `rate`. */
export async function loadFilePrompt(path: string, rate: number, maxBytes: number): Promise<Int16Array> {
  await statPrompt(path, maxBytes);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new PlayError('NOT_FOUND', `prompt file ${path} cannot be read (${(err as Error).message})`, { cause: err });
  }
  if (bytes.length > maxBytes) throw new PlayError('TOO_LARGE', `prompt file ${path} is over the ${maxBytes}-byte limit`);
  return decodePromptNamed(bytes, rate, path);
}

/** decodePrompt with the source named in the error message. */
export function decodePromptNamed(bytes: Uint8Array, rate: number, name: string): Int16Array {
  try {
    return decodePrompt(bytes, rate);
  } catch (err) {
    if (err instanceof PlayError) throw new PlayError(err.code, `${name}: ${err.message}`);
    throw err;
  }
}
