// JSON over HTTP for the collectors: per-request timeout, retries with exponential back-off on network errors,
// timeouts and 5xx (never on 4xx), basic or bearer auth, TLS options (extra CA, insecure), and errors that say what
// went wrong and where.
import { Agent, fetch as undiciFetch } from 'undici';
export interface HttpOptions {
  /** TLS: extra CA certificates (PEM) to trust, and whether to skip certificate checks (only for testing). */
  tls?: { ca?: string; insecure?: boolean };
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

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const agents = new Map<string, Agent>();
/** undici's fetch with a TLS-configured agent when TLS options are given, else Node's global fetch. */
function fetcher(o: HttpOptions): (url: string, init: { headers: Record<string, string>; signal: AbortSignal }) => Promise<Response> {
  if (!o.tls) return fetch;
  const key = JSON.stringify(o.tls);
  let agent = agents.get(key);
  if (!agent) agents.set(key, (agent = new Agent({ connect: { ca: o.tls.ca, rejectUnauthorized: !o.tls.insecure } })));
  const a = agent;
  return (url, init) => undiciFetch(url, { ...init, dispatcher: a }) as unknown as Promise<Response>;
}

export async function getJson<T>(url: string, o: HttpOptions = {}): Promise<T> {
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
      last = new SourceError(err.name === 'TimeoutError' ? `no answer within ${o.timeoutMs ?? 5000} ms` : `cannot connect: ${(err.cause as Error)?.message ?? err.message}`, url);
      continue;
    }
    if (res.status === 401 || res.status === 403) throw new SourceError(`HTTP ${res.status}: wrong or missing credentials`, url, res.status);
    if (res.status >= 400 && res.status < 500) throw new SourceError(`HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`, url, res.status);
    if (res.status >= 500) {
      last = new SourceError(`HTTP ${res.status} from the server`, url, res.status);
      continue;
    }
    const text = await res.text();
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new SourceError(`malformed JSON: ${text.slice(0, 80)}`, url);
    }
  }
  throw last!;
}
