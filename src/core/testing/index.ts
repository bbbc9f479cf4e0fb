// Test doubles of core's ports (in-memory Channel and MediaEndpoint), for unit tests of core
// and of the layers above it. Never wired in production.
export { FakeChannel } from './fake-channel.ts';
export { FakeMediaEndpoint, FakeAudioTap, type FakeMediaOp } from './fake-media-endpoint.ts';
export { FakeMixer, FakeMixerFactory } from './fake-mixer.ts';
export { FakeConn, fakeStreamer } from './fake-streamer.ts';
