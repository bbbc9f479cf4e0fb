// The native API as end-to-end tests drive it in-process: Fastify's inject() against a
// running node's HTTP app (no socket), with an application's bearer key, plus a poll that
// waits for an operation to leave `running`. The conference, participant and meeting tests
// each kept a copy of these two; this is the one copy.
import type { FastifyInstance } from 'fastify';

type Method = 'GET' | 'POST' | 'DELETE';

/** One answer: status, parsed JSON body (`{}` when empty) and the raw text for messages. */
export interface InjectResponse {
  status: number;
  body: Record<string, any>;
  text: string;
}

/** GET /v1/operations/{id} as the tests read it. */
export interface OperationState {
  state: string;
  result?: { code: number; subcode: number; message?: string };
  [field: string]: any;
}

export interface InjectApi {
  /** One request with `Authorization: Bearer <key>` (default: the key given to injectApi). */
  req(method: Method, url: string, payload?: object, key?: string): Promise<InjectResponse>;
  /** Polls the operation every 50 ms until it is no longer running; throws after 10 s. */
  settled(id: string, key?: string): Promise<OperationState>;
}

/**
 * `http` is a getter because tests build the node in `before()`, after these helpers are
 * declared at describe scope.
 */
export function injectApi(http: () => FastifyInstance, defaultKey: string): InjectApi {
  const req = async (method: Method, url: string, payload?: object, key = defaultKey): Promise<InjectResponse> => {
    const res = await http().inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(payload ? { payload } : {}) });
    return { status: res.statusCode, body: (res.body ? res.json() : {}) as Record<string, any>, text: res.body };
  };
  const settled = async (id: string, key = defaultKey): Promise<OperationState> => {
    for (let i = 0; i < 200; i++) {
      const r = (await req('GET', `/v1/operations/${id}`, undefined, key)).body as OperationState;
      if (r.state !== 'running') return r;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`operation ${id} still running`);
  };
  return { req, settled };
}
