import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { ProposedContext } from '../../net/association/index.ts';
import { DimseStatusError } from '../../net/dimse/index.ts';
import { rejectReasonText, type UserIdentityRq } from '../../net/pdu/index.ts';
import type { DeflateLevel } from '../../object/deflate.ts';
import {
  ApplicationEntity,
  type Association,
  AssociationRejectedError,
  type ServiceHandlers,
} from '../../services/index.ts';
import { Console } from './console.ts';
import { COMMON_ALIASES, type DcmtkAliases, UsageError } from './dcmtk-args.ts';
import {
  ACCEPTOR_TLS_ALIASES,
  addTlsOptions,
  clientTls,
  REQUESTOR_TLS_ALIASES,
  TLS_ALIASES,
  type TlsCliOptions,
} from './tls.ts';

export { clientTls, serverTls } from './tls.ts';
export { Console, UsageError };

/** DCMTK's spellings of the logging, timeout, PDU and TLS options every network tool shares. */
export const BASE_NETWORK_ALIASES: DcmtkAliases = {
  ...COMMON_ALIASES,
  '-ll': '--log-level',
  '-lc': '--log-config',
  '+v': '--verbose-pc',
  '-ta': '--acse-timeout',
  '-td': '--dimse-timeout',
  '-ts': '--socket-timeout',
  '-pdu': '--max-pdu',
  '-aet': '--aetitle',
  '+u': '--enable-new-vr',
  ...TLS_ALIASES,
};

/** ...and those of storescp (and movescu's listener, which takes the requestor's). */
export const ACCEPTOR_NETWORK_ALIASES: DcmtkAliases = {
  ...BASE_NETWORK_ALIASES,
  ...ACCEPTOR_TLS_ALIASES,
};

/** ...and those of the tools that request associations (echoscu, storescu, findscu, movescu, getscu). */
export const NETWORK_ALIASES: DcmtkAliases = {
  ...BASE_NETWORK_ALIASES,
  ...REQUESTOR_TLS_ALIASES,
  '-aec': '--call',
  '-to': '--timeout',
  '-usr': '--user',
  '-pwd': '--password',
  '-epw': '--empty-password',
  '-kt': '--kerberos',
  '-rsp': '--pos-response',
};

export interface NetworkCliOptions extends TlsCliOptions {
  aetitle: string;
  call: string;
  timeout?: string;
  socketTimeout?: string;
  acseTimeout?: string;
  dimseTimeout?: string;
  maxPdu?: string;
  verbosePc?: boolean;
  logLevel?: string;
  verbose?: boolean;
  debug?: boolean;
  quiet?: boolean;
  repeat?: string;
  abort?: boolean;
  user?: string;
  password?: string;
  emptyPassword?: boolean;
  kerberos?: string;
  saml?: string;
  jwt?: string;
  posResponse?: boolean;
  maxSendPdu?: string;
  /** DCMTK's -u, for the tools that have it: post-1993 VRs go as OB. */
  disableNewVr?: boolean;
}

/** -q, -v, -d, -ll, +v: DCMTK's logging options. */
export function addLogOptions(command: Command): Command {
  return command
    .option('-q, --quiet', 'quiet mode, print no warnings and errors (DCMTK -q)')
    .option('-v, --verbose', 'verbose mode, print processing details (DCMTK -v)')
    .option('-d, --debug', 'debug mode: also every PDU and DIMSE message (DCMTK -d)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug or trace (DCMTK -ll)')
    .option(
      '--log-config <file>',
      'log4cplus configuration file: levels, console and file appenders, layouts (DCMTK -lc)',
    )
    .option('--verbose-pc', 'show presentation contexts in verbose mode (DCMTK +v)')
    .option(
      '--arguments',
      'print expanded command line arguments, with -v (DCMTK --arguments; @file expands a command file)',
    );
}

/** Timeouts, PDU size and TLS, shared by requestors and acceptors. */
function addTransportOptions(command: Command, role: 'requestor' | 'acceptor'): Command {
  command
    .option('--socket-timeout <seconds>', 'abort an association silent for this long (DCMTK -ts)')
    .option('--acse-timeout <seconds>', 'timeout for ACSE messages (DCMTK -ta, default 30)')
    .option('--dimse-timeout <seconds>', 'timeout for DIMSE messages (DCMTK -td, default 60)')
    .option('--max-pdu <bytes>', 'set max receive pdu to n bytes, 4096.. (DCMTK -pdu, default 262144)')
    .option('--enable-new-vr', 'enable support for new VRs (UN/UT) (DCMTK +u; always)');
  addTlsOptions(command, role);
  return command;
}

/** The options of the tools that request associations, DCMTK names in the help. */
export function addRequestorOptions(
  command: Command,
  defaults: { aet: string; repeat?: boolean; abort?: boolean },
): Command {
  addLogOptions(command)
    .option('--aetitle <aetitle>', 'set my calling AE title (DCMTK -aet)', defaults.aet)
    .option('--call <aetitle>', 'set called AE title of peer (DCMTK -aec)', 'ANY-SCP')
    .option('--timeout <seconds>', 'timeout for connection requests (DCMTK -to, default 30)');
  addTransportOptions(command, 'requestor');
  command
    .option('--user <name>', 'authenticate using user name (DCMTK -usr, user identity negotiation)')
    .option('--password <password>', 'authenticate using password, with --user (DCMTK -pwd)')
    .option('--empty-password', 'send empty password, with --user (DCMTK -epw)')
    .option('--kerberos <file>', 'read kerberos ticket from file (DCMTK -kt)')
    .option('--saml <file>', 'read SAML request from file (DCMTK --saml)')
    .option('--jwt <file>', 'read JWT data from file (DCMTK --jwt)')
    .option('--pos-response', 'expect positive response to the user identity (DCMTK -rsp)')
    .option(
      '--max-send-pdu <bytes>',
      'restrict max send pdu to n bytes, 4096..131072 (DCMTK --max-send-pdu)',
    );
  if (defaults.repeat) command.option('--repeat <n>', 'repeat n times (DCMTK --repeat)');
  if (defaults.abort) command.option('--abort', 'abort association instead of releasing it (DCMTK --abort)');
  return command;
}

/** The options of acceptors (storescp; movescu's --port listener shares the requestor's). */
export function addAcceptorOptions(command: Command, defaults: { aet: string }): Command {
  addLogOptions(command).option('--aetitle <aetitle>', 'set my AE title (DCMTK -aet)', defaults.aet);
  return addTransportOptions(command, 'acceptor');
}

function seconds(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`${name}: '${value}' is not a number of seconds`);
  return n * 1000;
}

export function applicationEntity(options: NetworkCliOptions, console: Console): ApplicationEntity {
  const timeouts: Record<string, number> = {};
  const set = (key: string, value: number | undefined): void => {
    if (value !== undefined) timeouts[key] = value;
  };
  set('connect', seconds(options.timeout, '--timeout'));
  set('acse', seconds(options.acseTimeout, '--acse-timeout'));
  set('dimse', seconds(options.dimseTimeout, '--dimse-timeout'));
  set('idle', seconds(options.socketTimeout, '--socket-timeout'));
  let maxPduLength: number | undefined;
  if (options.maxPdu !== undefined) {
    maxPduLength = Number(options.maxPdu);
    if (!Number.isInteger(maxPduLength) || maxPduLength < 4096 || maxPduLength > 0xffffffff) {
      throw new UsageError(`--max-pdu: '${options.maxPdu}' is not a number of bytes from 4096`);
    }
  }
  if (!/^[ -[\]-~]{1,16}$/.test(options.aetitle) || options.aetitle.trim() === '') {
    throw new UsageError(
      `--aetitle: '${options.aetitle}' is not an AE title (1-16 characters, no backslash)`,
    );
  }
  return new ApplicationEntity({
    aeTitle: options.aetitle,
    timeouts,
    logger: console.logger,
    ...(maxPduLength ? { maxPduLength } : {}),
  });
}

export function peerPort(peer: string, port: string): { host: string; port: number } {
  const n = Number(port);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UsageError(`invalid port: ${port}`);
  return { host: peer, port: n };
}

/** How an association attempt or an operation ended badly. */
export type FailureKind = 'usage' | 'rejected' | 'connect' | 'no-context' | 'aborted' | 'status' | 'other';

/** One clear line for a failure (the reject reason in words, the status name) and its kind. */
export function reportFailure(console: Console, error: unknown): FailureKind {
  if (error instanceof UsageError) {
    console.fatal(error.message);
    return 'usage';
  }
  if (error instanceof AssociationRejectedError) {
    console.fatal(`Association Rejected: ${rejectReasonText(error.result, error.source, error.reason)}`);
    return 'rejected';
  }
  if (error instanceof DimseStatusError) {
    console.error(error.message);
    return 'status';
  }
  const e = error as { code?: string; message?: string };
  // One line: OpenSSL's messages end with a newline, some carry several.
  const message = (e.message ?? String(error)).trim().replace(/\s*\n\s*/g, '; ');
  switch (e.code) {
    case 'ERR_NETWORK':
    case 'ERR_TIMEOUT':
      console.fatal(`Association Request Failed: ${message}`);
      return 'connect';
    case 'ERR_ASSOCIATION_ABORTED':
    case 'ERR_ASSOCIATION_CLOSED':
      console.fatal(`Association Aborted: ${message}`);
      return 'aborted';
    case 'ERR_NO_PRESENTATION_CONTEXT':
      console.fatal(`No Acceptable Presentation Contexts: ${message}`);
      return 'no-context';
    default:
      console.fatal(message);
      return 'other';
  }
}

/** The User Identity sub-item (PS3.7 §D.3.3.7.1) DCMTK's storescu sends for these flags. */
export function userIdentityOf(options: NetworkCliOptions): UserIdentityRq | undefined {
  const given = (['user', 'kerberos', 'saml', 'jwt'] as const).filter((key) => options[key] !== undefined);
  if (given.length > 1) {
    throw new UsageError(`only one of ${given.map((key) => `--${key}`).join(', ')} allowed`);
  }
  if (options.password !== undefined && options.emptyPassword) {
    throw new UsageError('only one of --password and --empty-password allowed');
  }
  for (const key of ['password', 'emptyPassword'] as const) {
    if (options[key] !== undefined && options.user === undefined) {
      throw new UsageError(
        `--${key === 'password' ? 'password' : 'empty-password'} only allowed with --user`,
      );
    }
  }
  if (given.length === 0) {
    if (options.posResponse) {
      throw new UsageError('--pos-response only allowed with --user, --kerberos, --saml or --jwt');
    }
    return undefined;
  }
  const positiveResponseRequested = options.posResponse === true;
  const none = new Uint8Array(0);
  if (options.user !== undefined) {
    const passcode = options.emptyPassword ? '' : options.password;
    return {
      type: passcode === undefined ? 1 : 2,
      positiveResponseRequested,
      primaryField: Buffer.from(options.user, 'utf8'),
      secondaryField: passcode === undefined ? none : Buffer.from(passcode, 'utf8'),
    };
  }
  const [type, file] =
    options.kerberos !== undefined
      ? [3, options.kerberos]
      : options.saml !== undefined
        ? [4, options.saml]
        : [5, options.jwt!];
  let primaryField: Uint8Array;
  try {
    primaryField = readFileSync(file);
  } catch (error) {
    throw new UsageError(`cannot read user identity file ${file}: ${(error as Error).message}`);
  }
  return { type, positiveResponseRequested, primaryField, secondaryField: none };
}

/** --max-send-pdu: DCMTK's range, 4096 to 131072 bytes. */
export function maxSendPduOf(options: NetworkCliOptions): number | undefined {
  if (options.maxSendPdu === undefined) return undefined;
  const n = Number(options.maxSendPdu);
  if (!Number.isInteger(n) || n < 4096 || n > 131072) {
    throw new UsageError(
      `--max-send-pdu: '${options.maxSendPdu}' is not a number of bytes from 4096 to 131072`,
    );
  }
  return n;
}

export interface OpenOptions {
  peer: string;
  port: string;
  contexts: readonly ProposedContext[];
  handlers?: ServiceHandlers;
  /** zlib level of what is deflated for the peer (DCMTK +cl). */
  deflateLevel?: DeflateLevel;
}

/**
 * Requests an association as DCMTK's tools do and says so at -v; "No Acceptable Presentation
 * Contexts" when the peer took none (the association is then aborted and this throws).
 */
export async function openAssociation(
  ae: ApplicationEntity,
  options: NetworkCliOptions,
  request: OpenOptions,
  console: Console,
): Promise<Association> {
  const tls = clientTls(options);
  const address = peerPort(request.peer, request.port);
  const userIdentity = userIdentityOf(options);
  const maxSendPduLength = maxSendPduOf(options);
  if (options.verbosePc && console.verbose) {
    console.info(['Request Parameters:', ...describeProposals(request.contexts)].join('\n'));
  }
  console.info('Requesting Association');
  let assoc: Association;
  try {
    assoc = await ae.associate({
      ...address,
      calledAeTitle: options.call,
      contexts: request.contexts,
      ...(request.handlers ? { handlers: request.handlers } : {}),
      ...(tls ? { tls } : {}),
      ...(userIdentity ? { userIdentity } : {}),
      ...(maxSendPduLength ? { maxSendPduLength } : {}),
      ...(request.deflateLevel !== undefined ? { deflateLevel: request.deflateLevel } : {}),
      ...(options.disableNewVr === true ? { newVRsAsOB: true } : {}),
    });
  } catch (error) {
    // Before an association exists, any ending (refused connection, TLS handshake, a peer that
    // hangs up) is DCMTK's "Association Request Failed"; a rejection keeps its reason.
    if (error instanceof AssociationRejectedError) throw error;
    throw Object.assign(new Error((error as Error).message), { code: 'ERR_NETWORK' });
  }
  if (options.verbosePc && console.verbose) {
    console.info(
      [
        'Association Parameters Negotiated:',
        ...assoc.contexts.map(
          (c) =>
            `  Context ID ${c.id} ${c.abstractSyntax}: ${c.accepted ? `Accepted, ${c.transferSyntax}` : 'Rejected'}`,
        ),
      ].join('\n'),
    );
  }
  if (!assoc.contexts.some((c) => c.accepted)) {
    await assoc.abort();
    throw Object.assign(new Error('the peer accepted none of the proposed presentation contexts'), {
      code: 'ERR_NO_PRESENTATION_CONTEXT',
    });
  }
  // DCMTK checks the response for a user name or password only: it cannot judge a ticket.
  if (userIdentity?.positiveResponseRequested && userIdentity.type <= 2 && !assoc.userIdentityResponse) {
    console.error('User Identity Negotiation failed: Positive response requested but none received');
    await assoc.abort();
    throw new Error('0006:0108 ASC User Identification Negotiation failed');
  }
  console.info(
    `Association Accepted (Max Send PDV: ${assoc.peerMaxPduLength > 12 ? assoc.peerMaxPduLength - 12 : 'unlimited'})`,
  );
  return assoc;
}

function describeProposals(contexts: readonly ProposedContext[]): string[] {
  return contexts.map(
    (c, i) =>
      `  Context ID ${2 * i + 1}: ${c.abstractSyntax} [${c.transferSyntaxes.join(', ')}]${c.scpRole ? ' (SCP role)' : ''}`,
  );
}

/** Releases, or aborts with --abort, as DCMTK's tools end an association. */
export async function closeAssociation(
  assoc: Association,
  options: NetworkCliOptions,
  console: Console,
): Promise<void> {
  if (options.abort) {
    console.info('Aborting Association');
    await assoc.abort();
    return;
  }
  console.info('Releasing Association');
  await assoc.release();
}

/** --repeat n (DCMTK): a positive count, 1 when absent. */
export function repeatCount(options: NetworkCliOptions): number {
  if (options.repeat === undefined) return 1;
  const n = Number(options.repeat);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`--repeat: '${options.repeat}' is not a positive number`);
  return n;
}
