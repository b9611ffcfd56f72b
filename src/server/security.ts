// Who may talk to `flinkscope serve`, decided on what the router MATCHED (never on the raw URL: `/%61pi/health` is
// the route /api/health and gets its checks). Deny by default:
//  - every request: the Host header must name this server (loopback names, the bind address, --allow-host), so a
//    DNS-rebinding page cannot read a token-less loopback API through its own host name;
//  - every /api route (an encapsulated plugin's onRequest hook — it runs for each route registered under the prefix,
//    whatever spelling reached it) and /metrics: the bearer token when one is set, compared in constant time;
//  - writes: `application/json` only (a cross-site form or `text/plain` fetch cannot send it without a CORS
//    preflight, which this server never grants) and no foreign Origin / cross-site Sec-Fetch-Site (CSRF);
//  - answers carry headers that keep the dashboard out of frames (its buttons act) and its token out of referrers.
// Binding beyond loopback without a token is refused (assertBindSafe).
import { createHash, timingSafeEqual } from 'node:crypto';
import { hostname, networkInterfaces } from 'node:os';
import type { FastifyReply, FastifyRequest } from 'fastify';

export interface SecurityConfig {
  /** Bearer token required on /api and /metrics; none = open (loopback only). */
  token?: string;
  /** The address the server binds (default 127.0.0.1). */
  host?: string;
  /** More host names clients may use (e.g. a DNS name in front of a 0.0.0.0 bind). */
  allowHosts?: string[];
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];

export const isLoopback = (host: string): boolean => LOOPBACK_NAMES.includes(host.toLowerCase()) || /^127\.\d+\.\d+\.\d+$/.test(host);

/** Throws when binding `host` would expose a token-less API beyond this machine. */
export function assertBindSafe(host: string, token: string | undefined): void {
  if (!isLoopback(host) && !token) throw new Error(`refusing to serve on ${host} without a token: pass --token T (or bind 127.0.0.1)`);
  if (token !== undefined && token.length < 8) throw new Error('the API token must be at least 8 characters');
}

/** The host names (no port) this server answers to. */
export function allowedHosts(cfg: SecurityConfig): Set<string> {
  const out = new Set<string>(LOOPBACK_NAMES);
  const bind = (cfg.host ?? '127.0.0.1').toLowerCase();
  for (const h of cfg.allowHosts ?? []) out.add(h.toLowerCase());
  if (bind === '0.0.0.0' || bind === '::') {
    // a wildcard bind answers on every interface: its addresses and the machine's name are this server's names
    out.add(hostname().toLowerCase());
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) out.add(a.address.toLowerCase());
  } else out.add(bind);
  return out;
}

/** `Host` header → host name without port ("[::1]:8080" → "::1"); null when malformed. */
export function hostName(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^\[([0-9a-fA-F:.]+)\](?::\d{1,5})?$/.exec(header) ?? /^([^:[\]/@\s]+)(?::\d{1,5})?$/.exec(header);
  return m ? m[1].toLowerCase() : null;
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Constant-time token check on equal-length digests (timing tells nothing about the token's prefix or length). */
export function tokenMatches(given: string | undefined, token: string): boolean {
  const m = /^Bearer (\S+)$/i.exec(given ?? '');
  // always compare, even without a header, so a missing header takes the same path as a wrong one
  return timingSafeEqual(digest(m ? m[1] : ''), digest(token)) && m !== null;
}

type Hook = (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/** Every request: a Host this server answers to. */
export function hostCheck(cfg: SecurityConfig): Hook {
  const allowed = allowedHosts(cfg);
  return async (req, reply) => {
    const h = hostName(req.headers.host);
    if (h === null || !allowed.has(h)) {
      return reply.code(421).send({ error: `host '${String(req.headers.host ?? '').slice(0, 100)}' is not served here (use --allow-host to add a name)` });
    }
  };
}

/** Bearer token on a matched route (when a token is configured). */
export function tokenCheck(cfg: SecurityConfig): Hook {
  return async (req, reply) => {
    if (cfg.token !== undefined && !tokenMatches(req.headers.authorization, cfg.token)) {
      return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'missing or wrong API token (send Authorization: Bearer <token>)' });
    }
  };
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Writes: JSON only, from this origin only. */
export function writeCheck(): Hook {
  return async (req, reply) => {
    if (SAFE.has(req.method)) return;
    const type = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json') return reply.code(415).send({ error: `writes take Content-Type: application/json (got '${type || 'none'}')` });
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin' && site !== 'none') return reply.code(403).send({ error: `cross-site write refused (Sec-Fetch-Site: ${String(site)})` });
    const origin = req.headers.origin;
    if (origin !== undefined) {
      let host: string | null = null;
      try {
        host = new URL(origin).host;
      } catch { /* "null" or garbage: refused below */ }
      if (host === null || host.toLowerCase() !== String(req.headers.host ?? '').toLowerCase()) {
        return reply.code(403).send({ error: `cross-origin write refused (Origin: ${origin.slice(0, 100)})` });
      }
    }
  };
}

/** Headers on every answer: no framing (the dashboard's buttons act), no sniffing, no referrer (a token may be in
 *  the page's address), scripts from this origin only. */
export const SECURITY_HEADERS: Record<string, string> = {
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'cache-control': 'no-store',
};
