// Conference mixing: N-party mix-minus with mute, gain, listen-only and whisper.
export * from './mixer.ts';
