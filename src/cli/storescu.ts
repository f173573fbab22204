import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { Command } from 'commander';
import {
  EXPLICIT_VR_BIG_ENDIAN,
  EXPLICIT_VR_LITTLE_ENDIAN,
  IMPLICIT_VR_LITTLE_ENDIAN,
} from '../encoding/index.ts';
import type { ProposedContext } from '../net/association/index.ts';
import { type PreparedInstance, prepareSource } from '../services/index.ts';
import {
  addNetworkOptions,
  applicationEntity,
  Console,
  clientTls,
  NETWORK_ALIASES,
  type NetworkCliOptions,
  peerPort,
  reportFailure,
} from './common/network.ts';

export const STORESCU_ALIASES = {
  ...NETWORK_ALIASES,
  '+sd': '--scan-directories',
  '+sp': '--scan-pattern',
  '-r': '--no-recurse',
  '+r': '--recurse',
  '-nh': '--no-halt',
  '-R': '--required',
  '-x=': '--propose-uncompr',
  '-xe': '--propose-little',
  '-xb': '--propose-big',
  '-xi': '--propose-implicit',
  '-xs': '--propose-lossless',
  '-xv': '--propose-j2k-lossless',
  '-xw': '--propose-j2k-lossy',
  '-xt': '--propose-jls-lossless',
  '-xu': '--propose-jls-lossy',
  '-xr': '--propose-rle',
  '-xd': '--propose-deflated',
};

interface StorescuOptions extends NetworkCliOptions {
  scanDirectories?: boolean;
  scanPattern?: string;
  recurse?: boolean;
  halt?: boolean;
  required?: boolean;
  proposeUncompr?: boolean;
  proposeLittle?: boolean;
  proposeBig?: boolean;
  proposeImplicit?: boolean;
  proposeLossless?: boolean;
  proposeJ2kLossless?: boolean;
  proposeJ2kLossy?: boolean;
  proposeJlsLossless?: boolean;
  proposeJlsLossy?: boolean;
  proposeRle?: boolean;
  proposeDeflated?: boolean;
  progress?: boolean;
}

const UNCOMPRESSED = [EXPLICIT_VR_LITTLE_ENDIAN, EXPLICIT_VR_BIG_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN];

/** The preferred syntaxes DCMTK's proposal flags select (storescu "proposed transmission transfer syntaxes"). */
function preferred(options: StorescuOptions): string[] {
  if (options.proposeImplicit) return [IMPLICIT_VR_LITTLE_ENDIAN];
  if (options.proposeBig)
    return [EXPLICIT_VR_BIG_ENDIAN, EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN];
  const compressed: [boolean | undefined, string][] = [
    [options.proposeLossless, '1.2.840.10008.1.2.4.70'],
    [options.proposeJ2kLossless, '1.2.840.10008.1.2.4.90'],
    [options.proposeJ2kLossy, '1.2.840.10008.1.2.4.91'],
    [options.proposeJlsLossless, '1.2.840.10008.1.2.4.80'],
    [options.proposeJlsLossy, '1.2.840.10008.1.2.4.81'],
    [options.proposeRle, '1.2.840.10008.1.2.5'],
    [options.proposeDeflated, '1.2.840.10008.1.2.1.99'],
  ];
  const chosen = compressed.find(([on]) => on);
  return chosen ? [chosen[1]] : UNCOMPRESSED;
}

function glob(pattern: string): RegExp {
  return new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
}

function expand(paths: string[], options: StorescuOptions): string[] {
  const out: string[] = [];
  const pattern = options.scanPattern ? glob(options.scanPattern) : undefined;
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        if (options.recurse) walk(path);
      } else if (!pattern || pattern.test(name)) {
        out.push(path);
      }
    }
  };
  for (const path of paths) {
    if (statSync(path).isDirectory()) {
      if (!options.scanDirectories) throw new Error(`${path} is a directory (use +sd to scan it)`);
      walk(path);
    } else {
      out.push(path);
    }
  }
  return out;
}

/**
 * Presentation contexts for what is actually being sent: per SOP class, the preferred syntaxes;
 * and each stored syntax outside them in a context of its own, so a file goes as it is when
 * the peer takes it (and is decoded when it does not). With -R, only the stored syntaxes.
 */
function contextsFor(instances: readonly PreparedInstance[], options: StorescuOptions): ProposedContext[][] {
  const bySopClass = new Map<string, Set<string>>();
  for (const i of instances) {
    if (!bySopClass.has(i.sopClassUid)) bySopClass.set(i.sopClassUid, new Set());
    bySopClass.get(i.sopClassUid)!.add(i.transferSyntax.uid);
  }
  const wanted = preferred(options);
  const groups: ProposedContext[][] = [];
  let current: ProposedContext[] = [];
  for (const [sopClass, stored] of bySopClass) {
    const proposals: ProposedContext[] = [];
    if (!options.required) {
      proposals.push({ abstractSyntax: sopClass, transferSyntaxes: wanted });
      if (!UNCOMPRESSED.some((ts) => wanted.includes(ts))) {
        proposals.push({ abstractSyntax: sopClass, transferSyntaxes: UNCOMPRESSED });
      }
    }
    for (const ts of stored) {
      if (options.required || !wanted.includes(ts))
        proposals.push({ abstractSyntax: sopClass, transferSyntaxes: [ts] });
    }
    // At most 128 contexts per association (PS3.8 §9.3.2.2): more SOP classes, more associations.
    if (current.length + proposals.length > 128) {
      groups.push(current);
      current = [];
    }
    current.push(...proposals);
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/** `dicomkit storescu peer port files...`: DCMTK's storescu. */
export function storescuCommand(): Command {
  return addNetworkOptions(
    new Command('storescu')
      .description(
        'send DICOM files with C-STORE, as DCMTK storescu (files as they are stored when the peer takes their syntax)',
      )
      .argument('<peer>', 'host name or address of the peer')
      .argument('<port>', 'TCP port of the peer')
      .argument('<files...>', 'DICOM files, or directories with +sd')
      .option('--scan-directories', 'scan directories for input files (DCMTK +sd)')
      .option('--scan-pattern <pattern>', 'only file names matching this pattern (DCMTK +sp, with +sd)')
      .option('--recurse', 'recurse into subdirectories (DCMTK +r)')
      .option('--no-recurse', 'do not recurse (DCMTK -r, default)')
      .option('--no-halt', 'go on after a failed store (DCMTK -nh)')
      .option('--required', 'propose only the syntaxes the files are stored in (DCMTK -R)')
      .option(
        '--propose-uncompr',
        'propose the uncompressed syntaxes, explicit little endian first (DCMTK -x=, default)',
      )
      .option(
        '--propose-little',
        'propose the uncompressed syntaxes, explicit little endian first (DCMTK -xe)',
      )
      .option('--propose-big', 'propose the uncompressed syntaxes, explicit big endian first (DCMTK -xb)')
      .option('--propose-implicit', 'propose implicit VR little endian only (DCMTK -xi)')
      .option('--propose-lossless', 'propose JPEG Lossless SV1 (DCMTK -xs)')
      .option('--propose-j2k-lossless', 'propose JPEG 2000 lossless (DCMTK -xv)')
      .option('--propose-j2k-lossy', 'propose JPEG 2000 (DCMTK -xw)')
      .option('--propose-jls-lossless', 'propose JPEG-LS lossless (DCMTK -xt)')
      .option('--propose-jls-lossy', 'propose JPEG-LS near-lossless (DCMTK -xu)')
      .option('--propose-rle', 'propose RLE lossless (DCMTK -xr)')
      .option('--propose-deflated', 'propose deflated explicit VR little endian (DCMTK -xd)')
      .option('--progress', 'show a progress bar even when stderr is not a terminal')
      .option('--no-progress', 'never show a progress bar'),
    { aet: 'STORESCU' },
  ).action(async (peer: string, port: string, files: string[], options: StorescuOptions) => {
    const console = new Console(options);
    const halt = options.halt !== false;
    let sent = 0;
    let failed = 0;
    let warnings = 0;
    try {
      console.info('checking input files ...');
      const instances: PreparedInstance[] = [];
      for (const path of expand(files, options)) {
        try {
          instances.push(await prepareSource(path));
        } catch (error) {
          if (halt) throw new Error(`${path}: ${(error as Error).message}`);
          console.warn(`ignoring ${path}: ${(error as Error).message}`);
          failed++;
        }
      }
      const ae = applicationEntity(options, console);
      const tls = clientTls(options);
      const showBar =
        !options.quiet &&
        (options.progress === true || (options.progress !== false && process.stderr.isTTY === true));
      const bar = showBar
        ? new cliProgress.SingleBar(
            {
              format: ' {bar} {value}/{total} files | {rate} files/s | {mbps} MB/s',
              stream: process.stderr,
              hideCursor: true,
            },
            cliProgress.Presets.shades_classic,
          )
        : undefined;
      const start = performance.now();
      let bytes = 0;
      bar?.start(instances.length, 0, { rate: '0', mbps: '0.0' });
      for (const contexts of contextsFor(instances, options)) {
        const classes = new Set(contexts.map((c) => c.abstractSyntax));
        const batch = instances.filter((i) => classes.has(i.sopClassUid));
        console.info('Requesting Association');
        const assoc = await ae.associate({
          ...peerPort(peer, port),
          calledAeTitle: options.call,
          contexts,
          ...(tls ? { tls } : {}),
        });
        console.info('Association Accepted');
        for (const instance of batch) {
          console.info(`Sending file: ${instance.label}`);
          try {
            const result = await assoc.store(instance);
            if (result.status !== 0) warnings++;
            sent++;
            console.info(
              `Received Store Response (${result.status === 0 ? 'Success' : `Warning 0x${result.status.toString(16)}`})`,
            );
            bytes += statSync(instance.label).size;
          } catch (error) {
            failed++;
            console.error(`Store Failed, file: ${instance.label}: ${(error as Error).message}`);
            if (!assoc.isEstablished) throw error;
            if (halt) {
              await assoc.release();
              throw error;
            }
          }
          const seconds = (performance.now() - start) / 1000;
          bar?.increment(1, { rate: (sent / seconds).toFixed(0), mbps: (bytes / 1e6 / seconds).toFixed(1) });
        }
        console.info('Releasing Association');
        await assoc.release();
      }
      bar?.stop();
    } catch (error) {
      process.exitCode = reportFailure(console, error);
    }
    if (!options.quiet) process.stderr.write(`I: sent ${sent}, failed ${failed}, warnings ${warnings}\n`);
    if (failed > 0 && !process.exitCode) process.exitCode = 1;
  });
}
