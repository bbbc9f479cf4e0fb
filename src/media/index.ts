// Media layer public face: per-packet RTP/RTCP handling, codecs, DSP and DTMF. Knows nothing of
// calls or SIP; imports only src/lib. Workers, players, recorder and mixer build on these.
export * from './rtp/index.ts';
export * from './codecs/index.ts';
export * from './dsp/index.ts';
export * from './dtmf/index.ts';
export * from './engine/index.ts';
export * from './worker/index.ts';
