import { renameSync } from 'node:fs';
import type { Command } from 'commander';
import type { DeflateLevel } from '../../object/deflate.ts';
import { readDicomFile, writeDicomFile } from '../../object/file.node.ts';
import { convertUnknownVrs, type EncodeOptions, type Padding } from '../../object/index.ts';
import type { DcmtkAliases } from './dcmtk-args.ts';
import { type Console, UsageError } from './network.ts';
import { COMPRESSION_LEVEL_ALIASES, deflateLevelOf } from './transfer-syntaxes.ts';

/**
 * The output encoding options of DCMTK's storescp and movescu (+t= +te +tb +ti +td, -u, +g= -g,
 * +e -e, -p +p): dicomkit writes received objects as they came (bit-preserving) unless one of
 * them asks for a re-encoding.
 */
export const OUTPUT_ENCODING_ALIASES: DcmtkAliases = {
  '+t=': '--write-xfer-same',
  '+te': '--write-xfer-little',
  '+tb': '--write-xfer-big',
  '+ti': '--write-xfer-implicit',
  '+td': '--write-xfer-deflated',
  '+g=': '--group-length-recalc',
  '+g': '--group-length-create',
  '-g': '--group-length-remove',
  '+e': '--length-explicit',
  '-e': '--length-undefined',
  '-u': '--disable-new-vr',
  '-p': '--padding-off',
  // Two values: file and item padding.
  '+p': ['--padding-create', '--padding-item'],
  '--padding-create': ['--padding-create', '--padding-item'],
  ...COMPRESSION_LEVEL_ALIASES,
};

/** DCMTK's output transfer syntaxes (+te +tb +ti +td). */
const WRITE_XFER: Record<string, string> = {
  writeXferLittle: '1.2.840.10008.1.2.1',
  writeXferBig: '1.2.840.10008.1.2.2',
  writeXferImplicit: '1.2.840.10008.1.2',
  writeXferDeflated: '1.2.840.10008.1.2.1.99',
};

export interface OutputEncodingOptions {
  writeXferLittle?: boolean;
  writeXferBig?: boolean;
  writeXferImplicit?: boolean;
  writeXferDeflated?: boolean;
  groupLengthRemove?: boolean;
  groupLengthCreate?: boolean;
  lengthUndefined?: boolean;
  disableNewVr?: boolean;
  paddingCreate?: string;
  paddingItem?: string;
  writeDataset?: boolean;
  bitPreserving?: boolean;
  compressionLevel?: string;
  /** storescp's +uc (its own option): UN elements of known tags take their VR. */
  convertUn?: boolean;
}

export function addOutputEncodingOptions(command: Command): Command {
  return command
    .option('--write-xfer-same', 'write with same TS as input (DCMTK +t=, default)')
    .option(
      '--write-xfer-little',
      'write with explicit VR little endian TS (DCMTK +te; uncompressed input only)',
    )
    .option('--write-xfer-big', 'write with explicit VR big endian TS (DCMTK +tb; uncompressed input only)')
    .option(
      '--write-xfer-implicit',
      'write with implicit VR little endian TS (DCMTK +ti; uncompressed input only)',
    )
    .option(
      '--write-xfer-deflated',
      'write with deflated explicit VR little endian TS (DCMTK +td; uncompressed input only)',
    )
    .option(
      '--group-length-recalc',
      'recalculate group lengths if present (DCMTK +g=, default when re-encoding)',
    )
    .option('--group-length-create', 'always write with group length elements (DCMTK +g; re-encodes)')
    .option('--group-length-remove', 'always write without group length elements (DCMTK -g; re-encodes)')
    .option(
      '--length-explicit',
      'write sequences and items with explicit lengths (DCMTK +e, default when re-encoding)',
    )
    .option('--length-undefined', 'write sequences and items with undefined lengths (DCMTK -e; re-encodes)')
    .option('--disable-new-vr', 'disable support for new VRs, convert to OB (DCMTK -u; re-encodes)')
    .option('--padding-off', 'no padding (DCMTK -p, default)')
    .option(
      '--padding-create <f>',
      'align files on a multiple of f bytes and items on one of i bytes: DCMTK +p f i (two values; re-encodes)',
    )
    .option('--padding-item <i>', 'the item padding i of --padding-create (its second value)')
    .option(
      '--compression-level <level>',
      'deflate compression level for +td: 0 uncompressed, 1 fastest, 9 best (DCMTK +cl, default 6)',
    );
}

export interface Reencoding {
  /** Undefined: the syntax it came in. */
  transferSyntax: string | undefined;
  encode: EncodeOptions;
  deflateLevel: DeflateLevel;
  /** UN elements of known tags take their VR before writing (+uc). */
  convertUnknownVrs: boolean;
}

/**
 * What DCMTK's output options ask of each received object, or undefined when none does and the
 * object is kept as received (bit-preserving, our default). When one does, DCMTK's defaults for
 * the others apply: group lengths recalculated where present (+g=), explicit lengths (+e).
 */
export function outputEncodingOf(options: OutputEncodingOptions): Reencoding | undefined {
  const set = (key: string): boolean => (options as unknown as Record<string, unknown>)[key] === true;
  const chosen = Object.keys(WRITE_XFER).filter(set);
  if (chosen.length > 1) throw new UsageError('give one of +t=, +te, +tb, +ti and +td');
  const transferSyntax = chosen[0] ? WRITE_XFER[chosen[0]] : undefined;
  // DCMTK's conflicts, in its words: an output syntax needs uncompressed input, and nothing is
  // re-encoded when bit-preserving.
  const flag = (key: string): string => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  const asked = [
    ...chosen,
    ...['groupLengthRemove', 'groupLengthCreate', 'lengthUndefined', 'disableNewVr'].filter(set),
  ];
  const padding = paddingOf(options.paddingCreate, options.paddingItem);
  if (padding) {
    asked.push('paddingCreate');
    if (set('writeDataset')) throw new UsageError('--padding-create not allowed with --write-dataset');
  }
  if (set('groupLengthRemove') && set('groupLengthCreate'))
    throw new UsageError('give one of +g=, +g and -g');
  for (const option of asked) {
    const clash = Object.keys(options).find(
      (key) =>
        set(key) &&
        (key === 'bitPreserving' ||
          (chosen.includes(option) &&
            (key === 'acceptAll' ||
              (key.startsWith('prefer') && !['preferUncompr', 'preferLittle', 'preferBig'].includes(key))))),
    );
    if (clash) throw new UsageError(`${flag(option)} not allowed with ${flag(clash)}`);
  }
  const deflateLevel = deflateLevelOf(options.compressionLevel);
  // As DCMTK: with --bit-preserving the data is written as read, +uc or not.
  const convertUnknownVrs = options.convertUn === true && options.bitPreserving !== true;
  if (!transferSyntax && asked.length === 0 && !convertUnknownVrs) return undefined;
  return {
    transferSyntax,
    deflateLevel,
    convertUnknownVrs,
    encode: {
      groupLength: options.groupLengthRemove ? 'remove' : options.groupLengthCreate ? 'create' : 'keep',
      sequenceLength: options.lengthUndefined ? 'undefined' : 'defined',
      // DCMTK's default when it writes (-p): no padding at any level.
      padding: padding ?? 'remove',
      newVRsAsOB: set('disableNewVr'),
    },
  };
}

/**
 * The lengths of DCMTK's `+p f i`: whole numbers from 0 and even (DCMTK's writer refuses odd
 * ones), checked as the command line is. Undefined without `+p`; `--padding-item`, the second
 * value `+p` expands to, is refused on its own rather than ignored.
 */
export function paddingOf(file: string | undefined, item: string | undefined): Padding | undefined {
  if (file === undefined) {
    if (item !== undefined)
      throw new UsageError('--padding-item is the second value of +p (--padding-create f i)');
    return undefined;
  }
  const lengths = [file, item].map((text, i) => {
    const name = i === 0 ? 'file' : 'item';
    if (text === undefined) throw new UsageError(`--padding-create needs two values, file and item padding`);
    const n = Number(text);
    if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n))
      throw new UsageError(`--padding-create: ${name} padding '${text}' is not a whole number from 0`);
    if (n % 2 !== 0) throw new UsageError(`--padding-create: ${name} padding ${n} is odd; lengths are even`);
    return n;
  });
  return { dataSet: lengths[0]!, item: lengths[1]! };
}

/**
 * Rewrites a received file as the output options ask. Encapsulated (compressed) objects keep
 * their syntax: DCMTK's output syntaxes are for uncompressed data, and decoding pixel data to
 * change the byte order would not be what anyone asked for; +uc, -u and +p still rewrite the
 * data set around the same fragments.
 */
export async function reencodeFile(
  path: string,
  how: Reencoding,
  withoutMeta: boolean,
  console: Console,
): Promise<void> {
  const file = await readDicomFile(path);
  let target = how.transferSyntax ?? file.transferSyntax.uid;
  if (file.transferSyntax.encapsulated) {
    if (how.transferSyntax) console.warn(`${path}: compressed, written in its own transfer syntax`);
    // +uc, -u and +p still apply: the data set is written again around the same fragments.
    const rewrite =
      how.convertUnknownVrs || how.encode.newVRsAsOB === true || typeof how.encode.padding === 'object';
    if (!rewrite) return;
    target = file.transferSyntax.uid;
  }
  if (how.convertUnknownVrs) convertUnknownVrs(file.dataset);
  const temporary = `${path}.reencode`;
  await writeDicomFile(temporary, file, {
    transferSyntax: target,
    withoutMeta,
    deflateLevel: how.deflateLevel,
    ...how.encode,
  });
  renameSync(temporary, path);
}
