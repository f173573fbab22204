import type { KeyObject, X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ConnectionOptions, TlsOptions } from 'node:tls';
import type { Command } from 'commander';
import { type DcmtkAliases, EndOfRun, UsageError } from './dcmtk-args.ts';

/** DCMTK's spellings of the TLS options (dcmtls), shared by every network tool. */
export const TLS_ALIASES: DcmtkAliases = {
  '-tls': '--disable-tls',
  '+tls': ['--tls-key', '--tls-cert'],
  '--enable-tls': ['--tls-key', '--tls-cert'],
  '+ps': '--std-passwd',
  '+pw': '--use-passwd',
  '-pw': '--null-passwd',
  '-pem': '--pem-keys',
  '-der': '--der-keys',
  '+cf': '--add-cert-file',
  '+cd': '--add-cert-dir',
  '+crl': '--add-crl-file',
  '+crv': '--enable-crl-vfy',
  '+cra': '--enable-crl-all',
  '+py': '--profile-bcp195-nd',
  '+px': '--profile-bcp195',
  '+pz': '--profile-bcp195-ex',
  '+pa': '--profile-aes',
  '+pn': '--profile-null',
  '+cc': '--list-ciphers',
  '+cs': '--cipher',
  '+rs': '--seed',
  '+ws': '--write-seed',
  '+wf': '--write-seed-file',
  '-rc': '--require-peer-cert',
  '-ic': '--ignore-peer-cert',
};

/** ...and those only requestors have (echoscu's offline checks among them). */
export const REQUESTOR_TLS_ALIASES: DcmtkAliases = {
  '+tla': '--anonymous-tls',
  '+vc': '--verify-cert',
  '+rc': '--is-root-cert',
};

/** ...and those only acceptors have. */
export const ACCEPTOR_TLS_ALIASES: DcmtkAliases = {
  '-vc': '--verify-peer-cert',
  '+dp': '--dhparam',
};

/** Options that act alone and end the run, without the peer and port (DCMTK's exclusive options). */
export const EXCLUSIVE_TLS_OPTIONS = ['--list-ciphers', '--verify-cert', '--is-root-cert'] as const;

export interface TlsCliOptions {
  disableTls?: boolean;
  tlsKey?: string;
  tlsCert?: string;
  anonymousTls?: boolean;
  stdPasswd?: boolean;
  usePasswd?: string;
  nullPasswd?: boolean;
  pemKeys?: boolean;
  derKeys?: boolean;
  addCertFile?: string[];
  addCertDir?: string[];
  addCrlFile?: string[];
  enableCrlVfy?: boolean;
  enableCrlAll?: boolean;
  profileBcp195Nd?: boolean;
  profileBcp195?: boolean;
  profileBcp195Ex?: boolean;
  profileAes?: boolean;
  profileNull?: boolean;
  listCiphers?: boolean;
  cipher?: string[];
  dhparam?: string;
  seed?: string;
  writeSeed?: boolean;
  writeSeedFile?: string;
  requirePeerCert?: boolean;
  ignorePeerCert?: boolean;
  verifyPeerCert?: boolean;
  verifyCert?: string;
  isRootCert?: string;
}

const collect = (v: string, all: string[] = []): string[] => [...all, v];

// node:tls and node:crypto are loaded when TLS is used: every run of a network tool would
// otherwise pay for them at start-up (launch.test.ts holds the line).
const load = createRequire(import.meta.url);
const tlsModule = (): typeof import('node:tls') => load('node:tls');
const cryptoModule = (): typeof import('node:crypto') => load('node:crypto');

/** The TLS options, with DCMTK's names in the help. */
export function addTlsOptions(command: Command, role: 'requestor' | 'acceptor'): Command {
  command
    .option('--disable-tls', 'use normal TCP/IP connection (DCMTK -tls, default)')
    .option('--tls-key <file>', 'TLS private key (DCMTK +tls / --enable-tls KEY CERT)')
    .option('--tls-cert <file>', 'TLS certificate (DCMTK +tls / --enable-tls KEY CERT)');
  if (role === 'requestor') {
    command.option('--anonymous-tls', 'use secure TLS connection without certificate (DCMTK +tla)');
  }
  command
    .option(
      '--std-passwd',
      'prompt for the private key password on the terminal when it is encrypted (DCMTK +ps, default)',
    )
    .option('--use-passwd <password>', 'password of the private key (DCMTK +pw)')
    .option('--null-passwd', 'use empty string as password (DCMTK -pw)')
    .option('--pem-keys', 'read keys and certificates as PEM file (DCMTK -pem, default)')
    .option('--der-keys', 'read keys, certificates and CRLs as DER file (DCMTK -der)')
    .option('--add-cert-file <file>', 'add certificate file to list of certificates (DCMTK +cf)', collect)
    .option('--add-cert-dir <dir>', 'add certificates in dir to list of certificates (DCMTK +cd)', collect)
    .option(
      '--add-crl-file <file>',
      'add certificate revocation list file, implies --enable-crl-vfy (DCMTK +crl)',
      collect,
    )
    .option(
      '--enable-crl-vfy',
      "check the peer's certificate against the CRLs (DCMTK +crv; OpenSSL in Node.js checks the whole chain, as +cra)",
    )
    .option('--enable-crl-all', 'check every certificate of the chain against the CRLs (DCMTK +cra)')
    .option(
      '--profile-bcp195-nd',
      'Non-downgrading BCP 195 TLS Profile, PS3.15 B.9: TLS 1.2 and 1.3 (DCMTK +py, default)',
    )
    .option(
      '--profile-bcp195',
      'BCP 195 TLS Profile, PS3.15 B.8: also TLS 1.0 and 1.1 where OpenSSL allows (DCMTK +px)',
    )
    .option('--profile-bcp195-ex', 'Extended BCP 195 TLS Profile, PS3.15 B.10: TLS 1.2 only (DCMTK +pz)')
    .option('--profile-aes', 'AES TLS Secure Transport Connection Profile, retired (DCMTK +pa)')
    .option('--profile-null', 'authenticated unencrypted communication, retired, was IHE ATNA (DCMTK +pn)')
    .option('--list-ciphers', 'show list of supported TLS ciphersuites and exit (DCMTK +cc)')
    .option(
      '--cipher <name>',
      'add ciphersuite (IANA name, e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256) to the negotiated ones (DCMTK +cs; not with --profile-bcp195-ex)',
      collect,
    );
  if (role === 'acceptor') {
    command.option('--dhparam <file>', 'read DH parameters for DH ciphersuites (DCMTK +dp)');
  }
  command
    .option(
      '--seed <file>',
      'seed random generator with contents of file: read, OpenSSL seeds itself (DCMTK +rs)',
    )
    .option('--write-seed', 'write back a fresh seed, with --seed (DCMTK +ws)')
    .option('--write-seed-file <file>', 'write a fresh seed to file, with --seed (DCMTK +wf)')
    .option('--require-peer-cert', 'verify peer certificate, fail if absent (DCMTK -rc, default)')
    .option('--ignore-peer-cert', "don't verify peer certificate (DCMTK -ic)");
  if (role === 'acceptor') {
    command.option('--verify-peer-cert', 'verify peer certificate if present (DCMTK -vc)');
  } else {
    command
      .option('--verify-cert <file>', 'verify certificate against CA settings and exit (DCMTK +vc)')
      .option('--is-root-cert <file>', 'check if certificate is self-signed root CA and exit (DCMTK +rc)');
  }
  // Before the command's own action: these need neither the peer nor the port.
  command.hook('preAction', (thisCommand) => {
    const exitCode = runExclusiveTlsOption(thisCommand.opts<TlsCliOptions>(), (line) =>
      process.stdout.write(`${line}\n`),
    );
    if (exitCode !== undefined) throw new EndOfRun(exitCode);
  });
  return command;
}

/**
 * TLS cipher suites by IANA name (as DCMTK and PS3.15 name them) and OpenSSL name (as Node.js
 * takes them). TLS 1.3 suites have the same name in both.
 */
const CIPHER_SUITES: ReadonlyArray<readonly [iana: string, openssl: string]> = [
  ['TLS_RSA_WITH_NULL_SHA', 'NULL-SHA'],
  ['TLS_RSA_WITH_3DES_EDE_CBC_SHA', 'DES-CBC3-SHA'],
  ['TLS_RSA_WITH_AES_128_CBC_SHA', 'AES128-SHA'],
  ['TLS_RSA_WITH_CAMELLIA_128_CBC_SHA', 'CAMELLIA128-SHA'],
  ['TLS_RSA_WITH_AES_128_CBC_SHA256', 'AES128-SHA256'],
  ['TLS_RSA_WITH_AES_128_GCM_SHA256', 'AES128-GCM-SHA256'],
  ['TLS_RSA_WITH_CAMELLIA_256_CBC_SHA', 'CAMELLIA256-SHA'],
  ['TLS_RSA_WITH_AES_256_CBC_SHA', 'AES256-SHA'],
  ['TLS_RSA_WITH_AES_256_CBC_SHA256', 'AES256-SHA256'],
  ['TLS_RSA_WITH_AES_256_GCM_SHA384', 'AES256-GCM-SHA384'],
  ['TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA', 'ECDHE-ECDSA-AES128-SHA'],
  ['TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA', 'ECDHE-RSA-AES128-SHA'],
  ['TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256', 'ECDHE-ECDSA-AES128-SHA256'],
  ['TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256', 'ECDHE-RSA-AES128-SHA256'],
  ['TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'ECDHE-ECDSA-AES128-GCM-SHA256'],
  ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'ECDHE-RSA-AES128-GCM-SHA256'],
  ['TLS_ECDHE_ECDSA_WITH_AES_128_CCM', 'ECDHE-ECDSA-AES128-CCM'],
  ['TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8', 'ECDHE-ECDSA-AES128-CCM8'],
  ['TLS_DHE_DSS_WITH_AES_128_CBC_SHA', 'DHE-DSS-AES128-SHA'],
  ['TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA', 'DHE-DSS-CAMELLIA128-SHA'],
  ['TLS_DHE_RSA_WITH_AES_128_CBC_SHA', 'DHE-RSA-AES128-SHA'],
  ['TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA', 'DHE-RSA-CAMELLIA128-SHA'],
  ['TLS_DHE_DSS_WITH_AES_128_CBC_SHA256', 'DHE-DSS-AES128-SHA256'],
  ['TLS_DHE_RSA_WITH_AES_128_CBC_SHA256', 'DHE-RSA-AES128-SHA256'],
  ['TLS_DHE_DSS_WITH_AES_128_GCM_SHA256', 'DHE-DSS-AES128-GCM-SHA256'],
  ['TLS_DHE_RSA_WITH_AES_128_GCM_SHA256', 'DHE-RSA-AES128-GCM-SHA256'],
  ['TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA', 'ECDHE-ECDSA-AES256-SHA'],
  ['TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA', 'ECDHE-RSA-AES256-SHA'],
  ['TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384', 'ECDHE-ECDSA-AES256-SHA384'],
  ['TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384', 'ECDHE-RSA-AES256-SHA384'],
  ['TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', 'ECDHE-ECDSA-CHACHA20-POLY1305'],
  ['TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 'ECDHE-RSA-CHACHA20-POLY1305'],
  ['TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', 'ECDHE-ECDSA-AES256-GCM-SHA384'],
  ['TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 'ECDHE-RSA-AES256-GCM-SHA384'],
  ['TLS_ECDHE_ECDSA_WITH_AES_256_CCM', 'ECDHE-ECDSA-AES256-CCM'],
  ['TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8', 'ECDHE-ECDSA-AES256-CCM8'],
  ['TLS_DHE_DSS_WITH_AES_256_CBC_SHA', 'DHE-DSS-AES256-SHA'],
  ['TLS_DHE_RSA_WITH_AES_256_CBC_SHA', 'DHE-RSA-AES256-SHA'],
  ['TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA', 'DHE-DSS-CAMELLIA256-SHA'],
  ['TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA', 'DHE-RSA-CAMELLIA256-SHA'],
  ['TLS_DHE_DSS_WITH_AES_256_CBC_SHA256', 'DHE-DSS-AES256-SHA256'],
  ['TLS_DHE_RSA_WITH_AES_256_CBC_SHA256', 'DHE-RSA-AES256-SHA256'],
  ['TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 'DHE-RSA-CHACHA20-POLY1305'],
  ['TLS_DHE_DSS_WITH_AES_256_GCM_SHA384', 'DHE-DSS-AES256-GCM-SHA384'],
  ['TLS_DHE_RSA_WITH_AES_256_GCM_SHA384', 'DHE-RSA-AES256-GCM-SHA384'],
  ['TLS_AES_128_GCM_SHA256', 'TLS_AES_128_GCM_SHA256'],
  ['TLS_AES_256_GCM_SHA384', 'TLS_AES_256_GCM_SHA384'],
  ['TLS_CHACHA20_POLY1305_SHA256', 'TLS_CHACHA20_POLY1305_SHA256'],
  ['TLS_AES_128_CCM_SHA256', 'TLS_AES_128_CCM_SHA256'],
  ['TLS_AES_128_CCM_8_SHA256', 'TLS_AES_128_CCM_8_SHA256'],
];

const OPENSSL_NAME = new Map(CIPHER_SUITES);

/** The suites this build of Node.js's OpenSSL can negotiate, by IANA name (DCMTK +cc). */
export function supportedCipherSuites(): string[] {
  return CIPHER_SUITES.filter(([, openssl]) => {
    try {
      // Security level 0 so that the retired NULL suite (+pn) counts, as DCMTK lists it.
      tlsModule().createSecureContext({ ciphers: `${openssl}:@SECLEVEL=0` });
      return true;
    } catch {
      return false;
    }
  }).map(([iana]) => iana);
}

interface Profile {
  name: string;
  suites: readonly string[];
  minVersion: 'TLSv1' | 'TLSv1.2';
  tls13: boolean;
  /** OpenSSL security level 0: the only way OpenSSL 3 negotiates the NULL suite. */
  seclevel0?: boolean;
}

const BCP195_SUITES = [
  'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
  'TLS_DHE_RSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
  'TLS_DHE_RSA_WITH_AES_256_GCM_SHA384',
];

/**
 * The DICOM secure transport connection profiles DCMTK 3.6.7 offers (PS3.15 Annex B): the
 * suites a TLS 1.2 handshake may use, the oldest protocol version, and whether TLS 1.3 (with
 * OpenSSL's own TLS 1.3 suites) is on. The BCP 195 profile keeps AES128-SHA for peers of the
 * older profiles; 3DES, which DCMTK adds when OpenSSL has it, is not in Node.js's OpenSSL.
 */
const PROFILES: Record<string, Profile> = {
  profileBcp195Nd: {
    name: 'Non-downgrading BCP 195 TLS Profile',
    suites: BCP195_SUITES,
    minVersion: 'TLSv1.2',
    tls13: true,
  },
  profileBcp195: {
    name: 'BCP 195 TLS Profile',
    suites: [...BCP195_SUITES, 'TLS_RSA_WITH_AES_128_CBC_SHA'],
    minVersion: 'TLSv1',
    tls13: true,
  },
  profileBcp195Ex: {
    name: 'Extended BCP 195 TLS Profile',
    suites: [
      ...BCP195_SUITES,
      'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
      'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
    ],
    minVersion: 'TLSv1.2',
    tls13: false,
  },
  profileAes: {
    name: 'AES TLS Secure Transport Connection Profile',
    suites: ['TLS_RSA_WITH_AES_128_CBC_SHA'],
    minVersion: 'TLSv1',
    tls13: false,
  },
  profileNull: {
    name: 'Authenticated unencrypted communication',
    suites: ['TLS_RSA_WITH_NULL_SHA'],
    minVersion: 'TLSv1',
    tls13: false,
    seclevel0: true,
  },
};

/** Whether the options ask for TLS at all (DCMTK: +tls, or +tla for a requestor). */
function tlsWanted(options: TlsCliOptions): boolean {
  return !options.disableTls && (options.tlsKey !== undefined || options.anonymousTls === true);
}

/** Options that only mean something with TLS, as DCMTK's checkDependence refuses them without. */
const NEEDS_TLS: ReadonlyArray<[keyof TlsCliOptions, string]> = [
  ['addCertFile', '--add-cert-file'],
  ['addCertDir', '--add-cert-dir'],
  ['addCrlFile', '--add-crl-file'],
  ['enableCrlVfy', '--enable-crl-vfy'],
  ['enableCrlAll', '--enable-crl-all'],
  ['profileBcp195Nd', '--profile-bcp195-nd'],
  ['profileBcp195', '--profile-bcp195'],
  ['profileBcp195Ex', '--profile-bcp195-ex'],
  ['profileAes', '--profile-aes'],
  ['profileNull', '--profile-null'],
  ['cipher', '--cipher'],
  ['dhparam', '--dhparam'],
  ['seed', '--seed'],
  ['writeSeed', '--write-seed'],
  ['writeSeedFile', '--write-seed-file'],
  ['ignorePeerCert', '--ignore-peer-cert'],
  ['verifyPeerCert', '--verify-peer-cert'],
];

/** What the TLS options come to, read and checked once per run (a tool may associate several times). */
const prepared = new WeakMap<TlsCliOptions, ConnectionOptions & TlsOptions>();

/** Without TLS, the options that need it are refused, naming the one missing. */
function refuseTlsOnlyOptions(options: TlsCliOptions, role: 'requestor' | 'acceptor'): void {
  for (const [key, flag] of NEEDS_TLS) {
    const value = options[key];
    if (value !== undefined && value !== false)
      throw new UsageError(
        `${flag} only allowed with --enable-tls (+tls)${role === 'requestor' ? ' or --anonymous-tls (+tla)' : ''}`,
      );
  }
}

/** A DER file as PEM, so that Node.js's TLS, which reads PEM, takes it. */
function derToPem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

function readFileOrFail(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new UsageError(`cannot read ${what} '${path}': ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
}

/** A certificate file in the chosen format, as PEM. */
function certificatePem(path: string, der: boolean): string {
  const bytes = readFileOrFail(path, 'certificate file');
  if (!der) return bytes.toString('latin1');
  try {
    return new (cryptoModule().X509Certificate)(bytes).toString();
  } catch (error) {
    throw new UsageError(`cannot read certificate file '${path}' as DER: ${(error as Error).message}`);
  }
}

/** The trusted certificates of +cf and +cd, as PEM. */
function trustedCertificates(options: TlsCliOptions): string[] {
  const files = [...(options.addCertFile ?? [])];
  for (const dir of options.addCertDir ?? []) {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch (error) {
      throw new UsageError(
        `cannot read certificate directory '${dir}': ${(error as NodeJS.ErrnoException).code}`,
      );
    }
    for (const name of names) if (statSync(join(dir, name)).isFile()) files.push(join(dir, name));
  }
  return files.map((file) => certificatePem(file, options.derKeys === true));
}

/**
 * Reads a line from the terminal without echoing it (DCMTK +ps, OpenSSL's prompt), or from
 * standard input when it is not a terminal.
 */
function promptPassword(prompt: string): string {
  process.stderr.write(prompt);
  const tty = process.stdin.isTTY === true;
  if (tty) process.stdin.setRawMode(true);
  const byte = Buffer.alloc(1);
  const bytes: number[] = [];
  try {
    for (;;) {
      let n: number;
      try {
        n = readSync(0, byte, 0, 1, null);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EAGAIN') continue;
        throw error;
      }
      if (n === 0 || byte[0] === 0x0a || byte[0] === 0x0d) break;
      if (tty && byte[0] === 0x03) throw new UsageError('password prompt interrupted');
      bytes.push(byte[0]!);
    }
  } finally {
    if (tty) {
      process.stdin.setRawMode(false);
      process.stderr.write('\n');
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** The private key as PEM (decrypted when it had a password) and the certificate. */
function keyAndCertificate(options: TlsCliOptions): { key: string; cert: string } {
  if (!options.tlsCert)
    throw new UsageError('--enable-tls (+tls) needs a private key file and a certificate file');
  const der = options.derKeys === true;
  const bytes = readFileOrFail(options.tlsKey!, 'private key file');
  const read = (passphrase: string | undefined) =>
    der
      ? cryptoModule().createPrivateKey({
          key: bytes,
          format: 'der',
          type: 'pkcs8',
          ...(passphrase !== undefined ? { passphrase } : {}),
        })
      : cryptoModule().createPrivateKey({
          key: bytes,
          format: 'pem',
          ...(passphrase !== undefined ? { passphrase } : {}),
        });
  const encrypted = der
    ? !canRead(() => readDerKey(bytes))
    : /ENCRYPTED/.test(bytes.toString('latin1', 0, 4096));
  let passphrase: string | undefined;
  if (options.nullPasswd) passphrase = '';
  else if (options.usePasswd !== undefined) passphrase = options.usePasswd;
  else if (encrypted) passphrase = promptPassword(`Enter PEM pass phrase for ${options.tlsKey}: `);
  let keyObject: KeyObject;
  try {
    keyObject =
      encrypted || passphrase !== undefined
        ? read(passphrase ?? '')
        : der
          ? readDerKey(bytes)
          : read(undefined);
  } catch (error) {
    throw new UsageError(`cannot load private key file '${options.tlsKey}': ${(error as Error).message}`);
  }
  return {
    key: keyObject.export({ type: 'pkcs8', format: 'pem' }) as string,
    cert: certificatePem(options.tlsCert, der),
  };
}

/** An unencrypted DER private key in any of the usual encodings. */
function readDerKey(bytes: Buffer): KeyObject {
  let last: unknown;
  for (const type of ['pkcs8', 'pkcs1', 'sec1'] as const) {
    try {
      return cryptoModule().createPrivateKey({ key: bytes, format: 'der', type });
    } catch (error) {
      last = error;
    }
  }
  throw last;
}

function canRead(read: () => unknown): boolean {
  try {
    read();
    return true;
  } catch {
    return false;
  }
}

/** The profile chosen (the last one given wins, as DCMTK's option block), and the ciphers string. */
function protocolSettings(options: TlsCliOptions): {
  profile: Profile;
  ciphers: string;
  minVersion: 'TLSv1' | 'TLSv1.2';
  maxVersion?: 'TLSv1.2';
} {
  let profile = PROFILES.profileBcp195Nd!;
  for (const key of Object.keys(PROFILES)) if (options[key as keyof TlsCliOptions]) profile = PROFILES[key]!;
  const suites = [...profile.suites];
  for (const name of options.cipher ?? []) {
    if (profile === PROFILES.profileBcp195Ex)
      throw new UsageError('--cipher (+cs) is not allowed with --profile-bcp195-ex (+pz)');
    if (!OPENSSL_NAME.has(name))
      throw new UsageError(`--cipher (+cs): unknown ciphersuite '${name}' (see --list-ciphers)`);
    if (name === 'TLS_RSA_WITH_NULL_SHA' && profile !== PROFILES.profileNull)
      throw new UsageError(
        `--cipher (+cs): unencrypted ciphersuite '${name}' not permitted with security profile '${profile.name}'`,
      );
    if (!suites.includes(name)) suites.push(name);
  }
  const tls12 = suites
    .filter((s) => !OPENSSL_NAME.get(s)!.startsWith('TLS_'))
    .map((s) => OPENSSL_NAME.get(s)!);
  const tls13 = suites.filter((s) => OPENSSL_NAME.get(s)!.startsWith('TLS_'));
  const ciphers = [...tls13, ...tls12, ...(profile.seclevel0 ? ['@SECLEVEL=0'] : [])].join(':');
  return {
    profile,
    ciphers,
    minVersion: profile.minVersion,
    ...(profile.tls13 ? {} : { maxVersion: 'TLSv1.2' as const }),
  };
}

/** +rs, +ws, +wf: the seed file is read (a missing one is an error, as in DCMTK) and a fresh one written. */
function handleSeed(options: TlsCliOptions): void {
  if ((options.writeSeed || options.writeSeedFile !== undefined) && options.seed === undefined)
    throw new UsageError(`${options.writeSeed ? '--write-seed' : '--write-seed-file'} requires --seed (+rs)`);
  if (options.seed === undefined) return;
  // OpenSSL 3 seeds itself from the operating system; the file is read to check it is there.
  readFileOrFail(options.seed, 'random seed file');
  const out = options.writeSeedFile ?? (options.writeSeed ? options.seed : undefined);
  if (out === undefined) return;
  try {
    writeFileSync(out, cryptoModule().randomBytes(1024));
  } catch (error) {
    throw new UsageError(`cannot write random seed file '${out}': ${(error as NodeJS.ErrnoException).code}`);
  }
}

function settings(options: TlsCliOptions, role: 'requestor' | 'acceptor'): ConnectionOptions & TlsOptions {
  const cached = prepared.get(options);
  if (cached) return cached;
  const der = options.derKeys === true;
  const { ciphers, minVersion, maxVersion } = protocolSettings(options);
  const ca = trustedCertificates(options);
  const crl = (options.addCrlFile ?? []).map((file) => {
    const bytes = readFileOrFail(file, 'CRL file');
    return der ? derToPem('X509 CRL', bytes) : bytes.toString('latin1');
  });
  if ((options.enableCrlVfy || options.enableCrlAll) && crl.length === 0)
    throw new UsageError(
      `${options.enableCrlAll ? '--enable-crl-all' : '--enable-crl-vfy'} needs the revocation lists: --add-crl-file (+crl)`,
    );
  handleSeed(options);
  const dhparam =
    role === 'acceptor' && options.dhparam !== undefined
      ? der
        ? derToPem('DH PARAMETERS', readFileOrFail(options.dhparam, 'DH parameter file'))
        : readFileOrFail(options.dhparam, 'DH parameter file').toString('latin1')
      : undefined;
  const result: ConnectionOptions & TlsOptions = {
    ...(options.tlsKey !== undefined ? keyAndCertificate(options) : {}),
    ...(ca.length > 0 ? { ca } : {}),
    ...(crl.length > 0 ? { crl } : {}),
    ...(dhparam !== undefined ? { dhparam } : {}),
    ciphers,
    minVersion,
    ...(maxVersion ? { maxVersion } : {}),
  };
  try {
    // Fails here, with the option to blame, rather than at the first connection.
    tlsModule().createSecureContext(result);
  } catch (error) {
    throw new UsageError(`TLS settings refused by OpenSSL: ${(error as Error).message}`);
  }
  prepared.set(options, result);
  return result;
}

/** Client TLS options from DCMTK's flags, or undefined for plain TCP. */
export function clientTls(options: TlsCliOptions): ConnectionOptions | undefined {
  if (!tlsWanted(options)) {
    refuseTlsOnlyOptions(options, 'requestor');
    return undefined;
  }
  return {
    ...settings(options, 'requestor'),
    rejectUnauthorized: !options.ignorePeerCert,
    // DCMTK checks the certificate chain, not the host name.
    checkServerIdentity: () => undefined,
  };
}

/** Server TLS options: our key and certificate; clients must show one unless -ic / -vc. */
export function serverTls(options: TlsCliOptions): TlsOptions | undefined {
  if (options.disableTls || !options.tlsKey) {
    refuseTlsOnlyOptions(options, 'acceptor');
    return undefined;
  }
  return {
    ...settings(options, 'acceptor'),
    requestCert: !options.ignorePeerCert,
    rejectUnauthorized: !options.ignorePeerCert && !options.verifyPeerCert,
  };
}

/**
 * The options that act alone (DCMTK's exclusive options): +cc lists the suites, +vc checks a
 * certificate against the trusted ones (+cf, +cd), +rc whether one is a valid self-signed root.
 * Returns the exit code when one of them ran, else undefined.
 */
export function runExclusiveTlsOption(
  options: TlsCliOptions,
  out: (line: string) => void,
): number | undefined {
  if (options.listCiphers) {
    out('Supported TLS ciphersuites are:');
    for (const name of supportedCipherSuites()) out(`  ${name}`);
    return 0;
  }
  const der = options.derKeys === true;
  if (options.verifyCert !== undefined) {
    const path = options.verifyCert;
    const ok = verifyCertificate(
      loadCertificate(path, der),
      trustedCertificates(options).map((pem) => new (cryptoModule().X509Certificate)(pem)),
    );
    out(`Verification of certificate '${path}' ${ok ? 'passed' : 'failed'}.`);
    return ok ? 0 : INVALID_INPUT_FILE;
  }
  if (options.isRootCert !== undefined) {
    const path = options.isRootCert;
    const ok = isRootCertificate(loadCertificate(path, der));
    out(`Certificate '${path}' is ${ok ? '' : 'not '}a valid, self-signed root CA.`);
    return ok ? 0 : INVALID_INPUT_FILE;
  }
  return undefined;
}

/** DCMTK's EXITCODE_INVALID_INPUT_FILE. */
const INVALID_INPUT_FILE = 22;

function loadCertificate(path: string, der: boolean): X509Certificate | undefined {
  try {
    return new (cryptoModule().X509Certificate)(der ? readFileSync(path) : readFileSync(path, 'latin1'));
  } catch {
    process.stderr.write(`E: Cannot read certificate file '${path}'\n`);
    return undefined;
  }
}

function withinValidity(cert: X509Certificate, now: Date): boolean {
  return new Date(cert.validFrom) <= now && now <= new Date(cert.validTo);
}

/** Self-issued, carrying its own valid signature, and within its validity (DCMTK +rc). */
export function isRootCertificate(cert: X509Certificate | undefined, now = new Date()): boolean {
  if (!cert) return false;
  return cert.checkIssued(cert) && cert.verify(cert.publicKey) && withinValidity(cert, now);
}

/**
 * Whether `cert` chains up to a trusted root, as OpenSSL's verification does without partial
 * chains: each certificate within its validity and signed by the next, every issuer below the
 * root a CA, ending at a self-signed certificate among `trusted`. CRLs are not consulted here:
 * Node.js applies them only inside a TLS handshake.
 */
export function verifyCertificate(
  cert: X509Certificate | undefined,
  trusted: readonly X509Certificate[],
  now = new Date(),
): boolean {
  let current = cert;
  for (let depth = 0; current && depth < 10; depth++) {
    if (!withinValidity(current, now)) return false;
    const link: X509Certificate = current;
    if (link.checkIssued(link)) {
      return link.verify(link.publicKey) && trusted.some((t) => t.fingerprint256 === link.fingerprint256);
    }
    current = trusted.find(
      (t) => (t.ca || t.checkIssued(t)) && link.checkIssued(t) && link.verify(t.publicKey),
    );
  }
  return false;
}
