// The node's one CallService and what feeds it: the SIP channel factory (trunks, SIP URIs,
// registered users), the speech engines (config speech.*: local espeak-ng and pocketsphinx by default), recordings in
// <dataDir>/recordings, and inbound routing of SIP calls by number to applications. The SIP
// service builds it once its user agent and media engine run, hands inbound INVITEs to it,
// and closes it before the SIP stack (so every live call ends with its CDR written). Faces get
// the CallService through ServiceContext.calls and the native API's provideCallService.
//
// It must never answer an INVITE it could not route: route() returns 'unrouted' and the SIP
// service answers 404. A meeting number (routeTo {type: 'meeting', target}) joins the caller to
// its application's conference `meeting:<target>` (CallService.joinConference).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  EngineMixerFactory, InboundRouter, SipChannelFactory, TrunkSources, callerParticipant, joinMeetingCall, takeInboundCall,
  type InboundCallDeps, type NumberDirectory, type TrunkDirectory,
} from '../adapters/index.ts';
import { CallService } from '../core/index.ts';
import { createMediaStreamer } from '../events/index.ts';
import { nativeStreamFramer } from '../faces/native/index.ts';
import type { Logger } from '../lib/index.ts';
import type { MediaEngine } from '../media/index.ts';
import type { Binding, IncomingSession, OutgoingSession, UserAgent } from '../sip/index.ts';
import { CommandSynthesizer, EspeakSynthesizer, PocketsphinxRecognizer, PocketsphinxTranscriber, WebsocketTranscriber } from '../speech/index.ts';
import { acsStreaming } from './acs-wiring.ts';
import { DIAGNOSTIC_TARGETS } from './diagnostics/diagnostic-target.ts';
import { provideCallService } from './native-api-wiring.ts';
import type { ServiceContext } from './service.ts';

export interface CallsWiringDeps {
  ctx: ServiceContext;
  ua: UserAgent;
  media: MediaEngine;
  lookupBindings: (aor: string) => Promise<Binding[]>;
  listBindings?: () => Promise<Binding[]>;
  /** Track an outbound session for drain. */
  adopt: (session: OutgoingSession) => void;
  /** Reject inbound calls nobody answered after this long; default CallService's (30000 ms). */
  unansweredTimeoutMs?: number;
}

/** What route() did with an INVITE. */
export type RouteOutcome =
  | { kind: 'call' }
  | { kind: 'diagnostic'; target: string }
  | { kind: 'unrouted' }
  /** Routed to something this node cannot run yet (robot): refused with 480. */
  | { kind: 'unavailable'; targetType: string };

export class CallsWiring {
  readonly calls: CallService;
  readonly router: InboundRouter;
  readonly factory: SipChannelFactory;
  readonly trunkSources: TrunkSources;
  private readonly inbound: InboundCallDeps;
  /** The configured TTS engine (speech.tts; docs/speech.md "Hosted providers"), closed with the calls. */
  private readonly synthesizer: EspeakSynthesizer | CommandSynthesizer;
  /** Live transcription and free-form recognize (speech.transcription; a local pool is stopped on close). */
  private readonly transcriber: PocketsphinxTranscriber | WebsocketTranscriber;
  private readonly logger: Logger;

  /** The node's store (CDRs, recordings) — for tests and tools. */
  get store(): ServiceContext['store'] {
    return this.deps.ctx.store;
  }

  constructor(private readonly deps: CallsWiringDeps) {
    const { ctx } = deps;
    const { store, config, clock } = ctx;
    this.logger = ctx.logger.child({ service: 'calls' });
    const { tts, transcription } = config.speech;
    this.synthesizer = tts.provider === 'command'
      ? new CommandSynthesizer({ command: tts.command, timeoutMs: tts.timeoutMs, maxConcurrent: tts.maxConcurrent })
      : new EspeakSynthesizer();
    this.transcriber = transcription.provider === 'websocket'
      ? new WebsocketTranscriber({ url: transcription.url, protocol: transcription.protocol, connectTimeoutMs: transcription.connectTimeoutMs })
      : new PocketsphinxTranscriber();
    const recordingsDir = join(config.dataDir, 'recordings');
    // 'file' play sources are relative to <dataDir>/media (docs/prompts.md).
    const mediaDir = join(config.dataDir, 'media');
    mkdirSync(mediaDir, { recursive: true });
    const scratchDir = join(config.dataDir, 'tmp');
    mkdirSync(recordingsDir, { recursive: true, mode: 0o700 });
    mkdirSync(scratchDir, { recursive: true, mode: 0o700 });
    const trunks: TrunkDirectory = {
      get: (id) => store.tenancy.trunks.get(id),
      getByName: (name) => store.tenancy.trunks.getByName(name),
      list: () => store.tenancy.trunks.list(),
    };
    const numbers: NumberDirectory = {
      getByPattern: (p) => store.tenancy.numbers.getByPattern(p),
      longestPrefixFor: (n) => store.tenancy.numbers.longestPrefixFor(n),
    };
    this.factory = new SipChannelFactory({
      ua: deps.ua, media: deps.media, trunks, publicHost: config.publicHost, clock, logger: this.logger, scratchDir,
      lookupBindings: deps.lookupBindings, adopt: deps.adopt,
      ...(deps.listBindings ? { listBindings: deps.listBindings } : {}),
      servesLocally: async (uri) => {
        const user = /^sips?:([^@;]+)@/i.exec(uri)?.[1];
        return user !== undefined && ((DIAGNOSTIC_TARGETS as readonly string[]).includes(user) || await this.router.routes(uri));
      },
    });
    this.router = new InboundRouter({ numbers });
    this.trunkSources = new TrunkSources({ list: () => store.tenancy.trunks.list() }, clock);
    this.calls = new CallService({
      store, clock, logger: this.logger, recordingsDir, mediaDir,
      synthesizer: this.synthesizer,
      recognizer: new PocketsphinxRecognizer(),
      // Live transcription and free-form recognize: local pocketsphinx (finals only) unless configured (docs/speech.md).
      transcriber: this.transcriber,
      channelFactory: this.factory,
      // Conferences (addParticipant) mix in the media worker of the call's first leg.
      mixerFactory: new EngineMixerFactory(deps.media),
      // Media streaming and live transcription to the applications' WebSockets, in each face's framing.
      mediaStreamer: createMediaStreamer({
        framers: [nativeStreamFramer, acsStreaming(ctx.http, config.publicHost)], clock, logger: this.logger,
        onDropped: (n) => ctx.metrics.mediaStreamDropped(n),
      }),
      ...(deps.unansweredTimeoutMs !== undefined ? { unansweredTimeoutMs: deps.unansweredTimeoutMs } : {}),
    });
    this.inbound = { calls: this.calls, media: deps.media, publicHost: config.publicHost, clock, logger: this.logger, scratchDir };
    ctx.calls = this.calls;
    if (ctx.http) provideCallService(ctx.http, this.calls);
  }

  /** Routes a new INVITE by its dialed address; an application's call goes to CallService.incoming. */
  async route(session: IncomingSession): Promise<RouteOutcome> {
    const r = await this.router.route(session.request);
    if (!r) return { kind: 'unrouted' };
    const { entry } = r;
    switch (entry.targetType) {
      case 'diagnostic':
        return entry.target ? { kind: 'diagnostic', target: entry.target } : { kind: 'unrouted' };
      case 'application': {
        const applicationId = entry.applicationId ?? entry.target;
        if (!applicationId) return { kind: 'unrouted' };
        await takeInboundCall(session, { applicationId, from: callerParticipant(session.request), to: r.to }, this.inbound);
        return { kind: 'call' };
      }
      case 'meeting': {
        // The caller joins the application's conference `meeting:<target>` (docs/calls.md "Meeting numbers").
        if (!entry.applicationId || !entry.target) return { kind: 'unrouted' };
        await joinMeetingCall(session, { applicationId: entry.applicationId, meetingId: entry.target, from: callerParticipant(session.request), to: r.to }, this.inbound);
        return { kind: 'call' };
      }
      default:
        return { kind: 'unavailable', targetType: entry.targetType };
    }
  }

  /** Ends every live call (CDRs written) and refuses new ones. */
  async close(): Promise<void> {
    await this.calls.close();
    await this.synthesizer.close();
    await this.transcriber.close();
  }
}
