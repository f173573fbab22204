import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { Command } from 'commander';
import { createLogger, type Logger } from '../../core/index.ts';
import { DimseStatusError } from '../../net/dimse/index.ts';
import { rejectReasonText } from '../../net/pdu/index.ts';
import { ApplicationEntity, AssociationRejectedError } from '../../services/index.ts';
import { COMMON_ALIASES, type DcmtkAliases } from './dcmtk-args.ts';

/** DCMTK's spellings of the options every network tool shares. */
export const NETWORK_ALIASES: DcmtkAliases = {
  ...COMMON_ALIASES,
  '-aet': '--aetitle',
  '-aec': '--call',
  '-to': '--timeout',
  '-ta': '--acse-timeout',
  '-td': '--dimse-timeout',
  '-pdu': '--max-pdu',
  '+tla': '--anonymous-tls',
  '+cf': '--add-cert-file',
  '-ic': '--ignore-peer-cert',
  '-rc': '--require-peer-cert',
  '-tls': '--disable-tls',
};

/** `+tls key cert` takes two values, which commander cannot: rewrite it first. */
export function translateTls(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '+tls' || args[i] === '--enable-tls') {
      out.push('--tls-key', args[i + 1] ?? '', '--tls-cert', args[i + 2] ?? '');
      i += 2;
    } else {
      out.push(args[i]!);
    }
  }
  return out;
}

export interface NetworkCliOptions {
  aetitle: string;
  call: string;
  timeout?: string;
  acseTimeout?: string;
  dimseTimeout?: string;
  maxPdu?: string;
  tlsKey?: string;
  tlsCert?: string;
  anonymousTls?: boolean;
  addCertFile?: string[];
  ignorePeerCert?: boolean;
  verbose?: boolean;
  debug?: boolean;
  quiet?: boolean;
}

/** Adds the shared options (DCMTK names in parentheses in the help). */
export function addNetworkOptions(command: Command, defaults: { aet: string; call?: string }): Command {
  return command
    .option('--aetitle <aetitle>', `our AE title (DCMTK -aet, default ${defaults.aet})`, defaults.aet)
    .option(
      '--call <aetitle>',
      `the peer's AE title (DCMTK -aec, default ${defaults.call ?? 'ANY-SCP'})`,
      defaults.call ?? 'ANY-SCP',
    )
    .option('--timeout <seconds>', 'connection timeout (DCMTK -to)')
    .option('--acse-timeout <seconds>', 'ACSE timeout (DCMTK -ta, default 30)')
    .option('--dimse-timeout <seconds>', 'DIMSE timeout (DCMTK -td, default 60)')
    .option('--max-pdu <bytes>', 'maximum PDU we receive (DCMTK -pdu, default 1048576)')
    .option('--tls-key <file>', 'TLS private key (DCMTK +tls KEY CERT)')
    .option('--tls-cert <file>', 'TLS certificate (DCMTK +tls KEY CERT)')
    .option('--anonymous-tls', 'TLS without a certificate of our own (DCMTK +tla)')
    .option(
      '--add-cert-file <file>',
      'trust this certificate (DCMTK +cf), repeatable',
      (v, all: string[] = []) => [...all, v],
    )
    .option('--ignore-peer-cert', "do not verify the peer's certificate (DCMTK -ic)")
    .option('--require-peer-cert', "verify the peer's certificate (DCMTK -rc, default)")
    .option('--disable-tls', 'plain TCP (DCMTK -tls, default)')
    .option('-v, --verbose', 'print what happens (DCMTK -v)')
    .option('-d, --debug', 'also print every PDU and DIMSE message (DCMTK -d)')
    .option('-q, --quiet', 'print only errors (DCMTK -q)');
}

/** Prints DCMTK-style "I: ..." lines at -v, "D: ..." at -d; errors always. */
export class Console {
  readonly verbose: boolean;
  readonly logger: Logger;
  constructor(options: NetworkCliOptions) {
    this.verbose = Boolean(options.verbose || options.debug);
    // The library's own lines join ours at -d only; at -v the tool speaks for itself.
    this.logger = createLogger(options.debug ? 'debug' : 'error', (line) =>
      process.stderr.write(`${line}\n`),
    );
  }
  info(line: string): void {
    if (this.verbose) for (const l of line.split('\n')) process.stderr.write(`I: ${l}\n`);
  }
  warn(line: string): void {
    process.stderr.write(`W: ${line}\n`);
  }
  error(line: string): void {
    process.stderr.write(`E: ${line}\n`);
  }
  fatal(line: string): void {
    process.stderr.write(`F: ${line}\n`);
  }
}

function seconds(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a number of seconds`);
  return n * 1000;
}

export function applicationEntity(options: NetworkCliOptions, console: Console): ApplicationEntity {
  const timeouts: Record<string, number> = {};
  const connect = seconds(options.timeout, '--timeout');
  const acse = seconds(options.acseTimeout, '--acse-timeout');
  const dimse = seconds(options.dimseTimeout, '--dimse-timeout');
  if (connect !== undefined) timeouts.connect = connect;
  if (acse !== undefined) timeouts.acse = acse;
  if (dimse !== undefined) timeouts.dimse = dimse;
  const maxPduLength = options.maxPdu ? Number(options.maxPdu) : undefined;
  return new ApplicationEntity({
    aeTitle: options.aetitle,
    timeouts,
    logger: console.logger,
    ...(maxPduLength ? { maxPduLength } : {}),
  });
}

/** Client TLS options from DCMTK's flags, or undefined for plain TCP. */
export function clientTls(options: NetworkCliOptions): ConnectionOptions | undefined {
  if (!options.tlsKey && !options.anonymousTls) return undefined;
  const ca = (options.addCertFile ?? []).map((f) => readFileSync(f));
  return {
    ...(options.tlsKey
      ? { key: readFileSync(options.tlsKey), cert: readFileSync(options.tlsCert ?? '') }
      : {}),
    ...(ca.length > 0 ? { ca } : {}),
    rejectUnauthorized: !options.ignorePeerCert,
    // DCMTK checks the certificate chain, not the host name.
    checkServerIdentity: () => undefined,
  };
}

/** One clear line for a failed association or operation, and DCMTK's exit code for it. */
export function reportFailure(console: Console, error: unknown): number {
  if (error instanceof AssociationRejectedError) {
    console.fatal(`Association Rejected: ${rejectReasonText(error.result, error.source, error.reason)}`);
    return 1;
  }
  if (error instanceof DimseStatusError) {
    console.error(error.message);
    return 1;
  }
  const e = error as { code?: string; message?: string };
  if (e.code === 'ERR_ASSOCIATION_ABORTED') {
    console.fatal(`Association Aborted: ${e.message}`);
    return 70;
  }
  console.fatal(
    `${e.code === 'ERR_NETWORK' || e.code === 'ERR_TIMEOUT' ? 'Association Request Failed: ' : ''}${e.message ?? String(error)}`,
  );
  return 1;
}

export function peerPort(peer: string, port: string): { host: string; port: number } {
  const n = Number(port);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`invalid port: ${port}`);
  return { host: peer, port: n };
}
