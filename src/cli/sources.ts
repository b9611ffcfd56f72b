// The options and the HTTP settings of a secured Flink REST / Prometheus source, shared by `collect` and `watch`:
// basic or bearer auth (secrets also from FLINKSCOPE_PASSWORD / FLINKSCOPE_TOKEN, so they stay out of `ps`), TLS with
// an extra CA, a client certificate + key, or no verification (testing only), and the per-request timeout.
import type { Command } from 'commander';
import type { HttpOptions } from '../collect/index.js';
import { opt, duration, nonEmpty, pemFile, UsageError } from './options.js';

export interface SourceOpts {
  user?: string;
  password?: string;
  token?: string;
  /** PEM texts (the option parsers read the files). */
  ca?: string;
  cert?: string;
  key?: string;
  insecure?: boolean;
  /** Per-request timeout, ms. */
  timeout: number;
}

export function addSourceOptions(cmd: Command): Command {
  return cmd
    .addOption(opt('--user <u>', 'basic-auth user', nonEmpty))
    .addOption(opt('--password <p>', 'basic-auth password', (v: string) => v).env('FLINKSCOPE_PASSWORD'))
    .addOption(opt('--token <t>', 'bearer token', nonEmpty).env('FLINKSCOPE_TOKEN'))
    .addOption(opt('--timeout <d>', 'per-request timeout', duration, '5s'))
    .addOption(opt('--ca <pem-file>', 'TLS: trust this CA certificate (PEM)', pemFile))
    .addOption(opt('--cert <pem-file>', 'TLS: client certificate (PEM), with --key', pemFile))
    .addOption(opt('--key <pem-file>', 'TLS: client private key (PEM), with --cert', pemFile))
    .option('--insecure', 'TLS: do not verify certificates (testing only)');
}

/** HttpOptions from the parsed options; contradictory or incomplete combinations are usage errors. */
export function httpOptions(o: SourceOpts): HttpOptions {
  if (o.token && o.user) throw new UsageError('give either --token or --user/--password, not both');
  if (o.password !== undefined && !o.user) throw new UsageError('--password (or FLINKSCOPE_PASSWORD) needs --user');
  if (!!o.cert !== !!o.key) throw new UsageError('--cert and --key go together (a client certificate needs its key)');
  const tls = o.ca || o.cert || o.insecure ? { ca: o.ca, cert: o.cert, key: o.key, insecure: !!o.insecure } : undefined;
  const auth = o.token ? { bearer: o.token } : o.user ? { basic: { user: o.user, password: o.password ?? '' } } : undefined;
  return { tls, auth, timeoutMs: o.timeout };
}
