// RFC 4475 "SIP Torture Test Messages" against the message parser and validateRequest.
// Reads every .dat of the shared conformance corpus in place and checks the verdicts its
// INDEX.md records: ACCEPT → parses and validates, with the fields each case is about;
// REJECT → SipParseError or a validation failure with the status the RFC calls for;
// PARSE → parses (what the application answers is the UA's business, not the parser's).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  frameStream, parseMessage, parseMultipart, serialize, SipParseError, SipRequest, SipResponse, validateRequest,
  validateResponse,
} from '../src/sip/message/index.ts';
import type { SipMessage } from '../src/sip/message/index.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CORPUS = resolve(repoRoot, '..', 'shared', 'conformance', 'rfc4475');

const read = (f: string): Buffer => readFileSync(join(CORPUS, f));
const req = (m: SipMessage): SipRequest => {
  assert.ok(m instanceof SipRequest, 'expected a request');
  return m;
};
const res = (m: SipMessage): SipResponse => {
  assert.ok(m instanceof SipResponse, 'expected a response');
  return m;
};

/** What we do with each file; `status` is the error response, `check` asserts the fields. */
type Expect =
  | { kind: 'accept'; check?: (m: SipMessage) => void }
  | { kind: 'parse'; check?: (m: SipMessage) => void }
  /** The parser itself refuses it (over UDP, as RFC 4475 describes most cases). */
  | { kind: 'throw'; status: number }
  /** Parses, and validateRequest answers `status` (or, for a response, validateResponse drops it). */
  | { kind: 'invalid'; status: number };

const EXPECT: Record<string, Expect> = {
  // ── 3.1.1 valid messages ──
  'wsinv.dat': {
    kind: 'accept',
    check: (m) => {
      const r = req(m);
      assert.equal(r.method, 'INVITE');
      assert.equal(r.requestUri.params.get('unknownparam'), null);
      assert.equal(r.count('via'), 2);
      assert.deepEqual(r.vias.map((v) => [v.transport, v.host, v.branch]), [
        ['UDP', '192.0.2.2', '390skdjuw'],
        ['TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
        ['UDP', '192.168.255.111', 'z9hG4bK30239'],
      ]);
      assert.equal(r.toTag, '1918181833n');
      assert.equal(r.from?.displayName, 'J Rosenberg \\"');
      assert.equal(r.fromTag, '98asjd8');
      assert.equal(r.maxForwards, 68);
      assert.deepEqual(r.cseq, { seq: 9, method: 'INVITE' });
      assert.equal(r.get('subject'), '');
      assert.equal(r.get('NewFangledHeader'), 'newfangled value continued newfangled value');
      assert.equal(r.get('unknownheaderwithunusualvalue'), ';;,,;;,;');
      const route = r.routes[0].uri.params;
      assert.deepEqual([...route], [['lr', null], ['unknownwith', 'value'], ['unknown-no-value', null]]);
      const c = r.contacts[0];
      assert.equal(c.displayName, 'Quoted string ""');
      assert.deepEqual([...c.params], [['newparam', 'newvalue'], ['secondparam', null], ['q', '0.33']]);
      assert.equal(r.body.length, 150);
    },
  },
  'intmeth.dat': {
    kind: 'accept',
    check: (m) => {
      const r = req(m);
      assert.equal(r.method, "!interesting-Method0123456789_*+`.%indeed'~");
      assert.equal(r.cseq?.method, r.method);
      assert.equal(r.requestUri.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
      assert.equal(r.requestUri.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
      assert.equal(r.requestUri.host, 'example.com');
      assert.equal(r.topVia?.branch, "z9hG4bK-.!%66*_+`'~");
      assert.equal(r.to?.displayName, 'BEL:\x07 NUL:\x00 DEL:\x7f');
      assert.equal(r.from?.displayName, "token1~` token2'+_ token3*%!.-");
      assert.equal(r.fromTag, "_token~1'+`*%!-.");
      assert.equal(r.callId, 'intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{');
      // The UTF-8 BOM that opens the value is content, not whitespace.
      assert.equal(r.get("extensionHeader-!.%*+_`'~"), '\ufeff大停電');
    },
  },
  'esc01.dat': {
    kind: 'accept',
    check: (m) => {
      const r = req(m);
      assert.equal(r.requestUri.user, 'sips:user@example.com');
      assert.equal(r.requestUri.host, 'example.net');
      assert.equal(r.to?.uri.user, 'user');
      assert.equal(r.from?.uri.user, 'I have spaces');
      assert.equal(r.contacts[0].uri.user, 'caller');
      assert.deepEqual([...r.contacts[0].uri.params], [['lr', null], ['name', 'value%41']]);
    },
  },
  'escnull.dat': {
    kind: 'accept',
    check: (m) => {
      const r = req(m);
      assert.equal(r.to?.uri.user, 'null-\u0000-null');
      assert.deepEqual(r.contacts.map((c) => c.uri.user), ['\u0000', '\u0000\u0000']);
    },
  },
  'esc02.dat': {
    kind: 'accept',
    check: (m) => {
      const r = req(m);
      assert.equal(r.method, 'RE%47IST%45R');
      assert.notEqual(r.method, 'REGISTER');
      assert.equal(r.to?.displayName, '%Z%45');
      assert.equal(r.contacts.length, 2);
      assert.equal(r.get('c%6fntact'), '<sip:alias2@host2.example.com>');
    },
  },
  'lwsdisp.dat': { kind: 'accept', check: (m) => assert.equal(req(m).from?.displayName, 'caller') },
  'longreq.dat': {
    kind: 'accept',
    check: (m) => {
      const r = req(m);
      assert.match(r.to?.displayName ?? '', /^I have a user name of (extreme){10} proportion$/);
      assert.equal(r.to?.uri.port, 6000);
      assert.match(r.to?.uri.params.get('unknownparam1') ?? '', /^very(long){20}value$/);
      assert.equal(r.fromTag?.length, 155);
      assert.equal(r.vias.length, 34);
      assert.equal(r.vias[33].received, '192.0.2.5');
      assert.equal(r.body.length, 150);
    },
  },
  'dblreq.dat': {
    kind: 'accept',
    check: (m) => {
      const r = req(m);
      assert.equal(r.method, 'REGISTER');
      assert.equal(r.body.length, 0);
      assert.equal(r.callId, 'dblreq.0ha0isndaksdj99sdfafnl3lk233412');
    },
  },
  'semiuri.dat': {
    kind: 'accept',
    check: (m) => {
      const r = req(m);
      assert.equal(r.requestUri.user, 'user;par=u@example.net');
      assert.equal(r.requestUri.host, 'example.com');
      assert.equal(r.requestUri.params.size, 0);
      assert.equal(r.tokens('accept').length, 6);
    },
  },
  'transports.dat': {
    kind: 'accept',
    check: (m) => assert.deepEqual(req(m).vias.map((v) => v.transport), ['UDP', 'SCTP', 'TLS', 'UNKNOWN', 'TCP']),
  },
  'mpart01.dat': {
    kind: 'accept',
    check: (m) => {
      const r = req(m);
      assert.equal(r.body.length, 553);
      const parts = parseMultipart(r.body, r.contentType ?? '');
      assert.equal(parts.length, 2);
      assert.equal(parts[0].body.toString(), 'Hello');
      assert.equal(parts[1].headers[0].value, 'application/octet-stream');
      // The binary part starts with a DER SEQUENCE (0x30 0x82) and holds bare CR and LF octets.
      assert.deepEqual([...parts[1].body.subarray(0, 2)], [0x30, 0x82]);
      assert.ok(parts[1].body.includes(0x0a));
    },
  },
  'unreason.dat': {
    kind: 'accept',
    check: (m) => {
      const r = res(m);
      assert.equal(r.status, 200);
      assert.equal(r.reason, '= 2**3 * 5**2 но сто девяносто девять - простое');
      assert.equal(r.body.length, 154);
    },
  },
  'noreason.dat': {
    kind: 'accept',
    check: (m) => {
      const r = res(m);
      assert.equal(r.status, 100);
      assert.equal(r.reason, '');
    },
  },
  // ── 3.1.2 invalid messages ──
  'badinv01.dat': { kind: 'invalid', status: 400 },
  'clerr.dat': { kind: 'throw', status: 400 },
  'ncl.dat': { kind: 'throw', status: 400 },
  'scalar02.dat': { kind: 'invalid', status: 400 },
  'scalarlg.dat': { kind: 'invalid', status: 0 },
  'quotbal.dat': { kind: 'invalid', status: 400 },
  'ltgtruri.dat': { kind: 'invalid', status: 400 },
  'lwsruri.dat': { kind: 'throw', status: 400 },
  // MAY tolerate: we do, and never write the extra SP back out.
  'lwsstart.dat': {
    kind: 'accept',
    check: (m) => assert.match(serialize(m).toString(), /^INVITE sip:user@example\.com SIP\/2\.0\r\n/),
  },
  'trws.dat': {
    kind: 'accept',
    check: (m) => assert.match(serialize(m).toString(), /^OPTIONS sip:remote-target@example\.com SIP\/2\.0\r\n/),
  },
  'escruri.dat': { kind: 'invalid', status: 400 },
  // SHOULD tolerate when Date is not used; we never interpret Date.
  'baddate.dat': { kind: 'accept', check: (m) => assert.equal(req(m).get('date'), 'Fri, 01 Jan 2010 16:00:00 EST') },
  'regbadct.dat': { kind: 'invalid', status: 400 },
  // MAY ignore the spaces inside <>: we do.
  'badaspec.dat': {
    kind: 'accept',
    check: (m) => {
      assert.equal(req(m).to?.uri.user, 't.watson');
      assert.equal(req(m).from?.displayName, 'Bell, Alexander');
    },
  },
  'baddn.dat': { kind: 'invalid', status: 400 },
  'badvers.dat': { kind: 'throw', status: 505 },
  'mismatch01.dat': { kind: 'invalid', status: 400 },
  'mismatch02.dat': { kind: 'invalid', status: 501 },
  'bigcode.dat': { kind: 'throw', status: 400 },
  // ── 3.2 transaction layer ──
  'badbranch.dat': { kind: 'parse', check: (m) => assert.equal(req(m).topVia?.branch, 'z9hG4bK') },
  // ── 3.3 application layer ──
  'insuf.dat': { kind: 'invalid', status: 400 },
  'unkscm.dat': { kind: 'parse', check: (m) => assert.equal(req(m).requestUri.scheme, 'nobodyknowsthisscheme') },
  'novelsc.dat': { kind: 'parse', check: (m) => assert.equal(req(m).requestUri.scheme, 'soap.beep') },
  'unksm2.dat': {
    kind: 'parse',
    check: (m) => {
      const r = req(m);
      assert.deepEqual([r.to?.uri.scheme, r.from?.uri.scheme, r.contacts[0].uri.scheme], ['isbn', 'http', 'name']);
    },
  },
  'bext01.dat': {
    kind: 'parse',
    check: (m) => {
      assert.deepEqual(req(m).tokens('require'), ['nothingsupportsthis', 'nothingsupportsthiseither']);
      assert.equal(req(m).tokens('proxy-require').length, 2);
    },
  },
  'invut.dat': {
    kind: 'parse',
    check: (m) => {
      assert.equal(req(m).contentType, 'application/unknownformat');
      assert.equal(req(m).body.length, 40);
    },
  },
  'regaut01.dat': {
    kind: 'parse',
    check: (m) => assert.equal(req(m).get('authorization'), 'NoOneKnowsThisScheme opaque-data=here'),
  },
  'multi01.dat': { kind: 'invalid', status: 400 },
  'mcl01.dat': { kind: 'throw', status: 400 },
  'bcast.dat': { kind: 'parse', check: (m) => assert.equal(res(m).vias[1].host, '255.255.255.255') },
  'zeromf.dat': { kind: 'accept', check: (m) => assert.equal(req(m).maxForwards, 0) },
  'cparam01.dat': {
    kind: 'accept',
    check: (m) => {
      const c = req(m).contacts[0];
      assert.equal(c.params.get('unknownparam'), null);
      assert.equal(c.uri.params.has('unknownparam'), false);
    },
  },
  'cparam02.dat': {
    kind: 'accept',
    check: (m) => {
      const c = req(m).contacts[0];
      assert.equal(c.uri.params.get('unknownparam'), null);
      assert.equal(c.params.has('unknownparam'), false);
    },
  },
  'regescrt.dat': {
    kind: 'accept',
    check: (m) => assert.equal(req(m).contacts[0].uri.headers.get('Route'), '<sip:sip.example.com>'),
  },
  'sdp01.dat': { kind: 'parse', check: (m) => assert.equal(req(m).get('accept'), 'text/nobodyKnowsThis') },
  // ── 3.4 backward compatibility ──
  'inv2543.dat': {
    kind: 'accept',
    check: (m) => {
      const r = req(m);
      assert.equal(r.topVia?.branch, undefined);
      assert.equal(r.fromTag, undefined);
      assert.equal(r.maxForwards, undefined);
      assert.equal(r.has('content-length'), false);
      assert.ok(r.body.toString().startsWith('v=0\r\n'));
      assert.ok(r.body.toString().endsWith('m=audio 49217 RTP/AVP 0\r\n'));
    },
  },
  // Not from an RFC section: no SIP-Version in the Request-Line, a header line without colon.
  'test.dat': { kind: 'throw', status: 400 },
};

/** INDEX.md table rows: file → parser verdict. */
function readIndex(): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of readFileSync(join(CORPUS, 'INDEX.md'), 'utf8').split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length > 7 && cells[1].endsWith('.dat')) rows.set(cells[1], cells[6]);
  }
  return rows;
}

function parseError(f: () => unknown): SipParseError | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    assert.ok(e instanceof SipParseError, `threw ${String(e)}, not a SipParseError`);
    return e;
  }
}

/** Touch every lazy view; a parse failure must be SipParseError and nothing else. */
function touchAll(m: SipMessage): void {
  const views: (() => unknown)[] = [
    () => m.vias, () => m.cseq, () => m.from, () => m.to, () => m.fromTag, () => m.toTag, () => m.contacts,
    () => m.routes, () => m.recordRoutes, () => m.maxForwards, () => (m instanceof SipRequest ? m.requestUri : 0),
  ];
  for (const v of views) parseError(v);
}

const files = readdirSync(CORPUS).filter((f) => f.endsWith('.dat')).sort();
const index = readIndex();

describe('RFC 4475 corpus', () => {
  it('has a verdict in INDEX.md and an expectation here for every .dat (49 RFC cases + test.dat)', () => {
    assert.equal(files.length, 50);
    assert.deepEqual([...index.keys()].sort(), files);
    assert.deepEqual(Object.keys(EXPECT).sort(), files);
  });

  it('our expectations agree with the INDEX.md verdicts', () => {
    for (const f of files) {
      const verdict = index.get(f) ?? '';
      const e = EXPECT[f];
      if (verdict.startsWith('ACCEPT')) assert.equal(e.kind, 'accept', f);
      else if (verdict.startsWith('PARSE')) assert.ok(e.kind === 'parse' || e.kind === 'invalid', f);
      else if (verdict.includes('MAY')) assert.ok(e.kind !== 'parse', f);
      else if (verdict.startsWith('REJECT')) {
        assert.ok(e.kind === 'throw' || e.kind === 'invalid', f);
        const status = /^REJECT \((\d{3})/.exec(verdict)?.[1];
        if (status) assert.equal(e.status, Number(status), `${f}: INDEX says ${verdict}`);
      }
    }
  });
});

describe('RFC 4475 messages over UDP (datagram rules, RFC 3261 §18.3)', () => {
  for (const f of files) {
    const e = EXPECT[f];
    it(`${f}: ${e.kind}${'status' in e && e.status ? ` ${e.status}` : ''} — ${index.get(f)}`, () => {
      const buf = read(f);
      if (e.kind === 'throw') {
        const err = parseError(() => parseMessage(buf, { datagram: true }));
        assert.ok(err, 'expected a SipParseError');
        assert.equal(err.status, e.status);
        // A request gets an answer: the partial message carries what a 400/505 needs.
        const isRequest = !buf.toString('latin1', 0, 4).startsWith('SIP/');
        if (isRequest && f !== 'test.dat') {
          assert.ok(err.partial, 'partial request attached');
          assert.ok(err.partial.callId, 'partial has Call-ID');
          assert.ok(err.partial.topVia, 'partial has Via');
        }
        return;
      }
      const m = parseMessage(buf, { datagram: true });
      touchAll(m);
      const problem = m instanceof SipRequest ? validateRequest(m)?.status : validateResponse(m as SipResponse);
      if (e.kind === 'accept') assert.equal(problem, undefined, `validation said ${problem}`);
      if (e.kind === 'invalid') {
        if (m instanceof SipRequest) assert.equal(problem, e.status);
        else assert.ok(problem, 'response flagged invalid (to be dropped)');
      }
      if (e.kind !== 'invalid') e.check?.(m);
      // Round trip: parse → serialize → parse gives the same message.
      const again = parseMessage(serialize(m), { datagram: true });
      assert.deepEqual(again.headers.filter((h) => h.name !== 'content-length'),
        m.headers.filter((h) => h.name !== 'content-length'));
      assert.deepEqual(again.body, m.body);
      if (m instanceof SipRequest) assert.deepEqual([req(again).method, req(again).uri], [m.method, m.uri]);
      else assert.deepEqual([res(again).status, res(again).reason], [res(m).status, res(m).reason]);
    });
  }
});

describe('RFC 4475 framing over a stream', () => {
  it('clerr waits for more data; ncl and mcl01 lose the framing (close the connection)', () => {
    assert.equal(frameStream(read('clerr.dat')), undefined);
    for (const f of ['ncl.dat', 'mcl01.dat']) {
      const err = parseError(() => frameStream(read(f)));
      assert.ok(err?.fatalFraming, f);
      assert.ok(parseError(() => parseMessage(read(f)))?.fatalFraming, f);
    }
  });

  it('dblreq: the stream framer cuts the REGISTER, then the INVITE', () => {
    const buf = read('dblreq.dat');
    const a = frameStream(buf);
    assert.ok(a);
    assert.equal(req(parseMessage(buf.subarray(a.skip, a.skip + a.length))).method, 'REGISTER');
    const rest = buf.subarray(a.skip + a.length);
    const b = frameStream(rest);
    assert.ok(b);
    assert.equal(req(parseMessage(rest.subarray(b.skip, b.skip + b.length))).method, 'INVITE');
  });
});
