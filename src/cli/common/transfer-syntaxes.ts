import type { Command } from 'commander';
import { findTransferSyntax } from '../../encoding/index.ts';
import type { DeflateLevel } from '../../object/deflate.ts';
import { dcmtkSyntaxName } from '../../object/dump.ts';
import { allStorableTransferSyntaxes } from '../../services/index.ts';
import { type DcmtkAliases, UsageError } from './dcmtk-args.ts';

export const ILE = '1.2.840.10008.1.2';
export const ELE = '1.2.840.10008.1.2.1';
export const EBE = '1.2.840.10008.1.2.2';
export const DEFLATED = '1.2.840.10008.1.2.1.99';

/** One of DCMTK's transfer syntax flags: `-xs` (propose) / `+xs` (prefer) and what it selects. */
interface SyntaxFlag {
  /** The suffix after -x / +x, e.g. 's' for -xs / +xs. */
  letter: string;
  /** The long option without the "propose-"/"prefer-" prefix, as DCMTK names it. */
  name: string;
  syntax: string;
  what: string;
  /** Video syntaxes come without the uncompressed fallback (DCMTK cannot decode them either). */
  noFallback?: boolean;
}

/** DCMTK storescu's proposal flags (-x=, -xe ... -xd) and the matching storescp preferences (+x= ...). */
const FLAGS: readonly SyntaxFlag[] = [
  { letter: '=', name: 'uncompr', syntax: ELE, what: 'all uncompressed TS, explicit VR little endian first' },
  { letter: 'e', name: 'little', syntax: ELE, what: 'explicit VR little endian TS' },
  { letter: 'b', name: 'big', syntax: EBE, what: 'explicit VR big endian TS' },
  { letter: 's', name: 'lossless', syntax: '1.2.840.10008.1.2.4.70', what: 'default JPEG lossless TS' },
  { letter: 'y', name: 'jpeg8', syntax: '1.2.840.10008.1.2.4.50', what: 'JPEG lossy TS for 8 bit data' },
  { letter: 'x', name: 'jpeg12', syntax: '1.2.840.10008.1.2.4.51', what: 'JPEG lossy TS for 12 bit data' },
  { letter: 'v', name: 'j2k-lossless', syntax: '1.2.840.10008.1.2.4.90', what: 'JPEG 2000 lossless TS' },
  { letter: 'w', name: 'j2k-lossy', syntax: '1.2.840.10008.1.2.4.91', what: 'JPEG 2000 lossy TS' },
  { letter: 't', name: 'jls-lossless', syntax: '1.2.840.10008.1.2.4.80', what: 'JPEG-LS lossless TS' },
  { letter: 'u', name: 'jls-lossy', syntax: '1.2.840.10008.1.2.4.81', what: 'JPEG-LS lossy TS' },
  {
    letter: 'm',
    name: 'mpeg2',
    syntax: '1.2.840.10008.1.2.4.100',
    what: 'MPEG2 Main Profile @ Main Level TS',
    noFallback: true,
  },
  {
    letter: 'h',
    name: 'mpeg2-high',
    syntax: '1.2.840.10008.1.2.4.101',
    what: 'MPEG2 Main Profile @ High Level TS',
    noFallback: true,
  },
  {
    letter: 'n',
    name: 'mpeg4',
    syntax: '1.2.840.10008.1.2.4.102',
    what: 'MPEG4 AVC/H.264 HP / Level 4.1 TS',
    noFallback: true,
  },
  {
    letter: 'l',
    name: 'mpeg4-bd',
    syntax: '1.2.840.10008.1.2.4.103',
    what: 'MPEG4 AVC/H.264 BD-compatible TS',
    noFallback: true,
  },
  {
    letter: '2',
    name: 'mpeg4-2-2d',
    syntax: '1.2.840.10008.1.2.4.104',
    what: 'MPEG4 AVC/H.264 HP / Level 4.2 TS (2D)',
    noFallback: true,
  },
  {
    letter: '3',
    name: 'mpeg4-2-3d',
    syntax: '1.2.840.10008.1.2.4.105',
    what: 'MPEG4 AVC/H.264 HP / Level 4.2 TS (3D)',
    noFallback: true,
  },
  {
    letter: 'o',
    name: 'mpeg4-2-st',
    syntax: '1.2.840.10008.1.2.4.106',
    what: 'MPEG4 AVC/H.264 Stereo / Level 4.2 TS',
    noFallback: true,
  },
  {
    letter: '4',
    name: 'hevc',
    syntax: '1.2.840.10008.1.2.4.107',
    what: 'HEVC/H.265 Main Profile / Level 5.1 TS',
    noFallback: true,
  },
  {
    letter: '5',
    name: 'hevc10',
    syntax: '1.2.840.10008.1.2.4.108',
    what: 'HEVC/H.265 Main 10 Profile / Level 5.1 TS',
    noFallback: true,
  },
  { letter: 'r', name: 'rle', syntax: '1.2.840.10008.1.2.5', what: 'RLE lossless TS' },
  { letter: 'd', name: 'deflated', syntax: DEFLATED, what: 'deflated explicit VR little endian TS' },
];

const UNCOMPRESSED_FLAGS = new Set(['=', 'e', 'b', 'd']);

/** What a tool proposes for its own requests: one preferred syntax, and the fallbacks beside it. */
export interface Proposal {
  preferred: string;
  fallback: string[];
}

type ProposalScope = 'storage' | 'query';

function camel(long: string): string {
  return long.replace(/^--/, '').replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function flagsFor(scope: ProposalScope): readonly SyntaxFlag[] {
  // findscu, movescu and getscu take only the uncompressed and deflated proposals.
  return scope === 'storage' ? FLAGS : FLAGS.filter((f) => UNCOMPRESSED_FLAGS.has(f.letter));
}

/** DCMTK's -x= / -xe / -xb / -xi ... spellings for the proposal options of a tool. */
export function proposalAliases(scope: ProposalScope): DcmtkAliases {
  const out: Record<string, string> = { '-xi': '--propose-implicit' };
  for (const f of flagsFor(scope)) out[`-x${f.letter}`] = `--propose-${f.name}`;
  return out;
}

function proposeText(f: SyntaxFlag): string {
  if (f.letter === '=') return 'propose all uncompressed TS, explicit VR little endian first (default)';
  if (f.letter === 'e') return 'propose all uncompressed TS, explicit VR little endian first';
  if (f.letter === 'b') return 'propose all uncompressed TS, explicit VR big endian first';
  return `propose ${f.what}${f.noFallback ? '' : ' and all uncompressed TS'}`;
}

export function addProposalOptions(command: Command, scope: ProposalScope): Command {
  for (const f of flagsFor(scope))
    command.option(`--propose-${f.name}`, `${proposeText(f)} (DCMTK -x${f.letter})`);
  return command.option('--propose-implicit', 'propose implicit VR little endian TS only (DCMTK -xi)');
}

/** The proposal DCMTK makes for these options (storescu's addStoragePresentationContexts). */
export function proposalOf(options: Record<string, unknown>, scope: ProposalScope): Proposal {
  if (options.proposeImplicit) return { preferred: ILE, fallback: [] };
  const chosen = flagsFor(scope).find((f) => options[camel(`--propose-${f.name}`)] === true);
  const preferred = chosen?.syntax ?? ELE;
  if (chosen?.noFallback) return { preferred, fallback: [] };
  return { preferred, fallback: [ELE, EBE, ILE].filter((ts) => ts !== preferred) };
}

/** DCMTK's +x= / +xe ... +xa / +xi spellings for what an acceptor prefers. */
export function preferenceAliases(): DcmtkAliases {
  const out: Record<string, string> = { '+xi': '--implicit', '+xa': '--accept-all' };
  for (const f of FLAGS) out[`+x${f.letter}`] = `--prefer-${f.name}`;
  return out;
}

/** The +x= ... +xi options of an acceptor; `acceptAll` adds +xa with that note (getscu has none). */
export function addPreferenceOptions(command: Command, acceptAll: string | false): Command {
  for (const f of FLAGS) {
    command.option(
      `--prefer-${f.name}`,
      f.letter === '='
        ? 'accept the uncompressed TS, explicit VR little endian first (DCMTK +x=)'
        : `prefer ${f.what} (DCMTK +x${f.letter})`,
    );
  }
  command.option('--implicit', 'accept implicit VR little endian TS only (DCMTK +xi)');
  if (acceptAll !== false) {
    command.option('--accept-all', `accept every transfer syntax dicomkit can store (DCMTK +xa)${acceptAll}`);
  }
  return command;
}

/**
 * The transfer syntaxes an acceptor takes, in order of preference. With no flag, `whenNone`
 * (storescp: every storable syntax; DCMTK's own default is +x=, the uncompressed ones).
 */
export function acceptedSyntaxes(
  options: Record<string, unknown>,
  whenNone: 'all' | 'uncompressed',
): string[] {
  if (options.implicit) return [ILE];
  const chosen = FLAGS.find((f) => options[camel(`--prefer-${f.name}`)] === true);
  const preferred = chosen?.syntax ?? ELE;
  // DCMTK's order: the preferred one, then explicit little, explicit big, implicit little.
  const base = chosen?.noFallback
    ? [preferred]
    : [preferred, ...[ELE, EBE, ILE].filter((ts) => ts !== preferred)];
  if (options.acceptAll || (!chosen && whenNone === 'all')) {
    return [...base, ...allStorableTransferSyntaxes().filter((ts) => !base.includes(ts))];
  }
  return base;
}

/** A syntax as DCMTK's logs name it ("Converting transfer syntax ..."), else by its dictionary name, else its UID. */
export function syntaxName(uid: string): string {
  return dcmtkSyntaxName(uid) ?? findTransferSyntax(uid)?.name ?? uid;
}

/**
 * DCMTK's `+cl`: the zlib level of what storescu and findscu deflate for the peer (allowed
 * only with --propose-deflated, or for storescu a --config-file profile), and of the files
 * storescp writes deflated.
 */
export const COMPRESSION_LEVEL_ALIASES: DcmtkAliases = { '+cl': '--compression-level' };

export function addCompressionLevelOption(command: Command, onlyWith: string): Command {
  return command.option(
    '--compression-level <level>',
    `deflate compression level, only with ${onlyWith}: 0=uncompressed, 1=fastest, 9=best compression (DCMTK +cl, default 6)`,
  );
}

/** The level `--compression-level` asks for, checked as DCMTK checks it; undefined when not given. */
export function compressionLevelOf(
  options: { compressionLevel?: string; proposeDeflated?: boolean; associationConfig?: unknown },
  onlyWith: string,
): DeflateLevel | undefined {
  if (options.compressionLevel === undefined) return undefined;
  if (!options.proposeDeflated && options.associationConfig === undefined) {
    throw new UsageError(`--compression-level only allowed with ${onlyWith}`);
  }
  return deflateLevelOf(options.compressionLevel);
}

/** DCMTK's +cl, checked as DCMTK checks it. */
export function deflateLevelOf(value: string | undefined): DeflateLevel {
  if (value === undefined) return 6;
  const level = Number(value);
  if (!/^\d+$/.test(value))
    throw new UsageError(`Invalid value for option --compression-level (not a number: ${value})`);
  if (level > 9) throw new UsageError(`Invalid value for option --compression-level (overflow: ${value})`);
  return level as DeflateLevel;
}
