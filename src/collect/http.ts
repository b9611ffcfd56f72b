// JSON over HTTP for the collectors: per-request timeout, retries with exponential back-off on network errors,
// timeouts, 429 and 5xx (never on other 4xx), basic or bearer auth, TLS options (extra CA, client certificate, insecure), an
// optional check of the answer's shape, and errors (SourceError) that say what went wrong and where (URL, status).
import { Agent, fetch as undiciFetch } from 'undici';
export interface HttpOptions {
  /** TLS: extra CA certificates (PEM) to trust, a client certificate and key (PEM) for servers that require one,
   *  and whether to skip certificate checks (only for testing). */
  tls?: { ca?: string; cert?: string; key?: string; insecure?: boolean };
  timeoutMs?: number;
  retries?: number;
  backoffMs?: number;
  auth?: { basic?: { user: string; password: string }; bearer?: string };
}

export class SourceError extends Error {
  constructor(message: string, readonly url: string, readonly status?: number) {
    super(`${message} (${url})`);
    this.name = 'SourceError';
  }
}

/** A shape check of a JSON answer: null when it fits, else what is wrong (e.g. "taskmanagers[0].id is a number"). */
export type ShapeCheck = (body: unknown) => string | null;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const agents = new Map<string, Agent>();
/** undici's fetch with a TLS-configured agent when TLS options are given, else Node's global fetch. */
function fetcher(o: HttpOptions): (url: string, init: { headers: Record<string, string>; signal: AbortSignal }) => Promise<Response> {
  if (!o.tls) return fetch;
  const key = JSON.stringify(o.tls);
  let agent = agents.get(key);
  if (!agent) agents.set(key, (agent = new Agent({ connect: { ca: o.tls.ca, cert: o.tls.cert, key: o.tls.key, rejectUnauthorized: !o.tls.insecure } })));
  const a = agent;
  return (url, init) => undiciFetch(url, { ...init, dispatcher: a }) as unknown as Promise<Response>;
}

/** The innermost cause of a fetch failure ("self-signed certificate", "connect ECONNREFUSED …"). */
function causeOf(e: Error): string {
  let c: unknown = e;
  while (c instanceof Error && c.cause instanceof Error) c = c.cause;
  return (c as Error).message ?? e.message;
}

/** What a reader of an answer's text throws when the text is not what it expects ("malformed JSON: …"); the caller
 *  makes it a SourceError naming the URL and status. */
export class AnswerError extends Error {}

/** A JSON answer, parsed and (given a check) shape-checked. */
export async function getJson<T>(url: string, o: HttpOptions = {}, check?: ShapeCheck): Promise<T> {
  return getAnswer(url, o, (text) => {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new AnswerError(`malformed JSON: ${oneLine(text.slice(0, 80))}`);
    }
    const wrong = check?.(body);
    if (wrong) throw new AnswerError(`unexpected answer: ${wrong}`);
    return body as T;
  });
}

/** An answer's text read by `read` (which throws AnswerError when it is not what it expects), with the retries,
 *  timeout, auth and TLS of the options. */
export async function getAnswer<T>(url: string, o: HttpOptions, read: (text: string) => T): Promise<T> {
  const retries = o.retries ?? 2;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (o.auth?.bearer) headers.authorization = `Bearer ${o.auth.bearer}`;
  if (o.auth?.basic) headers.authorization = `Basic ${Buffer.from(`${o.auth.basic.user}:${o.auth.basic.password}`).toString('base64')}`;
  let last: SourceError | null = null;
  for (let attempt = 0; attempt <= retries; attempt++) {
    if (attempt > 0) await sleep((o.backoffMs ?? 200) * 2 ** (attempt - 1));
    let res: Response;
    try {
      res = await fetcher(o)(url, { headers, signal: AbortSignal.timeout(o.timeoutMs ?? 5000) });
    } catch (e) {
      const err = e as Error;
      last = new SourceError(err.name === 'TimeoutError' ? `no answer within ${o.timeoutMs ?? 5000} ms` : `cannot connect: ${causeOf(err)}`, url);
      continue;
    }
    if (res.status === 401 || res.status === 403) throw new SourceError(`HTTP ${res.status}: wrong or missing credentials`, url, res.status);
    if (res.status >= 400 && res.status < 500 && res.status !== 429) throw new SourceError(`HTTP ${res.status}: ${oneLine((await res.text()).slice(0, 200))}`, url, res.status);
    if (res.status >= 500 || res.status === 429) {
      await res.body?.cancel();
      last = new SourceError(res.status === 429 ? 'HTTP 429: too many requests' : `HTTP ${res.status} from the server`, url, res.status);
      continue;
    }
    const text = await res.text();
    try {
      return read(text);
    } catch (e) {
      if (e instanceof AnswerError) throw new SourceError(e.message, url, res.status);
      throw e;
    }
  }
  throw last!;
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

// Shape checks, composable: list(obj({ id: str })) says "[2].id is a number" about [{id:'a'},{id:'b'},{id:3}].
// The path is a thunk, spelled out only for the message of a failure: a Prometheus answer holds hundreds of thousands
// of elements, and building "data.result[1234].values[0]" for each of them was most of the check's cost.
const kind = (x: unknown): string => (x === null ? 'null' : Array.isArray(x) ? 'a list' : typeof x === 'object' ? 'an object' : `a ${typeof x}`);
export type Path = () => string;
type Field = (x: unknown, at: Path) => string | null;
export const str: Field = (x, at) => (typeof x === 'string' ? null : `${at()} is ${kind(x)}, expected a string`);
export const num: Field = (x, at) => (typeof x === 'number' ? null : `${at()} is ${kind(x)}, expected a number`);
export const any: Field = () => null;
export const optional = (f: Field): Field => (x, at) => (x === undefined ? null : f(x, at));
export const list = (item: Field): Field => (x, at) => {
  if (!Array.isArray(x)) return `${at() || 'the answer'} is ${kind(x)}, expected a list`;
  for (let i = 0; i < x.length; i++) {
    const w = item(x[i], () => `${at()}[${i}]`);
    if (w) return w;
  }
  return null;
};
export const obj = (fields: Record<string, Field>): Field => {
  const entries = Object.entries(fields);
  return (x, at) => {
    if (x === null || typeof x !== 'object' || Array.isArray(x)) return `${at() || 'the answer'} is ${kind(x)}, expected an object`;
    for (const [k, f] of entries) {
      const w = f((x as Record<string, unknown>)[k], () => (at() ? `${at()}.${k}` : k));
      if (w) return w;
    }
    return null;
  };
};
export const shape = (f: Field): ShapeCheck => (body) => f(body, () => '');
