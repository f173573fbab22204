import { DicomError } from '../core/errors.ts';

/** How a transfer syntax lays out the data set (PS3.5 §10 and Annex A). */
export interface TransferSyntax {
  readonly uid: string;
  readonly name: string;
  readonly explicitVR: boolean;
  readonly littleEndian: boolean;
  /** The data set after the file meta is a raw deflate stream (PS3.5 §A.5). */
  readonly deflated: boolean;
  /** Pixel Data is encapsulated in fragments (PS3.5 §A.4). */
  readonly encapsulated: boolean;
  readonly lossy: boolean;
  readonly retired: boolean;
  /** Not listed in the registry: read as Explicit VR Little Endian, as DCMTK does. */
  readonly unknown?: boolean;
}

export const IMPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2';
export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
export const DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1.99';
export const EXPLICIT_VR_BIG_ENDIAN = '1.2.840.10008.1.2.2';

type Flags = Partial<Omit<TransferSyntax, 'uid' | 'name'>>;
const NATIVE: Flags = { encapsulated: false };
const LOSSY: Flags = { lossy: true };

// PS3.6 Table A-1 plus retired entries from PS3.5 Annex A; encapsulated unless said otherwise.
const ENTRIES: Array<[string, string, Flags?]> = [
  [IMPLICIT_VR_LITTLE_ENDIAN, 'Implicit VR Little Endian', { ...NATIVE, explicitVR: false }],
  [EXPLICIT_VR_LITTLE_ENDIAN, 'Explicit VR Little Endian', NATIVE],
  ['1.2.840.10008.1.2.1.98', 'Encapsulated Uncompressed Explicit VR Little Endian'],
  [DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN, 'Deflated Explicit VR Little Endian', { ...NATIVE, deflated: true }],
  [EXPLICIT_VR_BIG_ENDIAN, 'Explicit VR Big Endian', { ...NATIVE, littleEndian: false, retired: true }],
  ['1.2.840.10008.1.2.4.50', 'JPEG Baseline (Process 1)', LOSSY],
  ['1.2.840.10008.1.2.4.51', 'JPEG Extended (Process 2 & 4)', LOSSY],
  ['1.2.840.10008.1.2.4.52', 'JPEG Extended (Process 3 & 5)', { ...LOSSY, retired: true }],
  [
    '1.2.840.10008.1.2.4.53',
    'JPEG Spectral Selection, Non-Hierarchical (Process 6 & 8)',
    { ...LOSSY, retired: true },
  ],
  [
    '1.2.840.10008.1.2.4.54',
    'JPEG Spectral Selection, Non-Hierarchical (Process 7 & 9)',
    { ...LOSSY, retired: true },
  ],
  [
    '1.2.840.10008.1.2.4.55',
    'JPEG Full Progression, Non-Hierarchical (Process 10 & 12)',
    { ...LOSSY, retired: true },
  ],
  [
    '1.2.840.10008.1.2.4.56',
    'JPEG Full Progression, Non-Hierarchical (Process 11 & 13)',
    { ...LOSSY, retired: true },
  ],
  ['1.2.840.10008.1.2.4.57', 'JPEG Lossless, Non-Hierarchical (Process 14)'],
  ['1.2.840.10008.1.2.4.58', 'JPEG Lossless, Non-Hierarchical (Process 15)', { retired: true }],
  ['1.2.840.10008.1.2.4.59', 'JPEG Extended, Hierarchical (Process 16 & 18)', { ...LOSSY, retired: true }],
  ['1.2.840.10008.1.2.4.60', 'JPEG Extended, Hierarchical (Process 17 & 19)', { ...LOSSY, retired: true }],
  [
    '1.2.840.10008.1.2.4.61',
    'JPEG Spectral Selection, Hierarchical (Process 20 & 22)',
    { ...LOSSY, retired: true },
  ],
  [
    '1.2.840.10008.1.2.4.62',
    'JPEG Spectral Selection, Hierarchical (Process 21 & 23)',
    { ...LOSSY, retired: true },
  ],
  [
    '1.2.840.10008.1.2.4.63',
    'JPEG Full Progression, Hierarchical (Process 24 & 26)',
    { ...LOSSY, retired: true },
  ],
  [
    '1.2.840.10008.1.2.4.64',
    'JPEG Full Progression, Hierarchical (Process 25 & 27)',
    { ...LOSSY, retired: true },
  ],
  ['1.2.840.10008.1.2.4.65', 'JPEG Lossless, Hierarchical (Process 28)', { retired: true }],
  ['1.2.840.10008.1.2.4.66', 'JPEG Lossless, Hierarchical (Process 29)', { retired: true }],
  [
    '1.2.840.10008.1.2.4.70',
    'JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])',
  ],
  ['1.2.840.10008.1.2.4.80', 'JPEG-LS Lossless Image Compression'],
  ['1.2.840.10008.1.2.4.81', 'JPEG-LS Lossy (Near-Lossless) Image Compression', LOSSY],
  ['1.2.840.10008.1.2.4.90', 'JPEG 2000 Image Compression (Lossless Only)'],
  ['1.2.840.10008.1.2.4.91', 'JPEG 2000 Image Compression', LOSSY],
  ['1.2.840.10008.1.2.4.92', 'JPEG 2000 Part 2 Multi-component Image Compression (Lossless Only)'],
  ['1.2.840.10008.1.2.4.93', 'JPEG 2000 Part 2 Multi-component Image Compression', LOSSY],
  ['1.2.840.10008.1.2.4.94', 'JPIP Referenced', NATIVE],
  ['1.2.840.10008.1.2.4.95', 'JPIP Referenced Deflate', { ...NATIVE, deflated: true }],
  ['1.2.840.10008.1.2.4.100', 'MPEG2 Main Profile / Main Level', LOSSY],
  ['1.2.840.10008.1.2.4.100.1', 'Fragmentable MPEG2 Main Profile / Main Level', LOSSY],
  ['1.2.840.10008.1.2.4.101', 'MPEG2 Main Profile / High Level', LOSSY],
  ['1.2.840.10008.1.2.4.101.1', 'Fragmentable MPEG2 Main Profile / High Level', LOSSY],
  ['1.2.840.10008.1.2.4.102', 'MPEG-4 AVC/H.264 High Profile / Level 4.1', LOSSY],
  ['1.2.840.10008.1.2.4.102.1', 'Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.1', LOSSY],
  ['1.2.840.10008.1.2.4.103', 'MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1', LOSSY],
  [
    '1.2.840.10008.1.2.4.103.1',
    'Fragmentable MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1',
    LOSSY,
  ],
  ['1.2.840.10008.1.2.4.104', 'MPEG-4 AVC/H.264 High Profile For 2D Video', LOSSY],
  ['1.2.840.10008.1.2.4.104.1', 'Fragmentable MPEG-4 AVC/H.264 High Profile For 2D Video', LOSSY],
  ['1.2.840.10008.1.2.4.105', 'MPEG-4 AVC/H.264 High Profile For 3D Video', LOSSY],
  ['1.2.840.10008.1.2.4.105.1', 'Fragmentable MPEG-4 AVC/H.264 High Profile For 3D Video', LOSSY],
  ['1.2.840.10008.1.2.4.106', 'MPEG-4 AVC/H.264 Stereo High Profile', LOSSY],
  ['1.2.840.10008.1.2.4.106.1', 'Fragmentable MPEG-4 AVC/H.264 Stereo High Profile', LOSSY],
  ['1.2.840.10008.1.2.4.107', 'HEVC/H.265 Main Profile / Level 5.1', LOSSY],
  ['1.2.840.10008.1.2.4.108', 'HEVC/H.265 Main 10 Profile / Level 5.1', LOSSY],
  ['1.2.840.10008.1.2.4.110', 'JPEG XL Lossless'],
  ['1.2.840.10008.1.2.4.111', 'JPEG XL JPEG Recompression'],
  ['1.2.840.10008.1.2.4.112', 'JPEG XL', LOSSY],
  ['1.2.840.10008.1.2.4.201', 'High-Throughput JPEG 2000 Image Compression (Lossless Only)'],
  [
    '1.2.840.10008.1.2.4.202',
    'High-Throughput JPEG 2000 with RPCL Options Image Compression (Lossless Only)',
  ],
  ['1.2.840.10008.1.2.4.203', 'High-Throughput JPEG 2000 Image Compression', LOSSY],
  ['1.2.840.10008.1.2.4.204', 'JPIP HTJ2K Referenced', NATIVE],
  ['1.2.840.10008.1.2.4.205', 'JPIP HTJ2K Referenced Deflate', { ...NATIVE, deflated: true }],
  ['1.2.840.10008.1.2.5', 'RLE Lossless'],
  ['1.2.840.10008.1.2.6.1', 'RFC 2557 MIME encapsulation', { retired: true }],
  ['1.2.840.10008.1.2.6.2', 'XML Encoding', { retired: true }],
  ['1.2.840.10008.1.2.7.1', 'SMPTE ST 2110-20 Uncompressed Progressive Active Video', NATIVE],
  ['1.2.840.10008.1.2.7.2', 'SMPTE ST 2110-20 Uncompressed Interlaced Active Video', NATIVE],
  ['1.2.840.10008.1.2.7.3', 'SMPTE ST 2110-30 PCM Digital Audio', NATIVE],
  ['1.2.840.10008.1.2.8.1', 'Deflated Image Frame Compression'],
  [
    '1.2.840.10008.1.20',
    'Papyrus 3 Implicit VR Little Endian',
    { ...NATIVE, explicitVR: false, retired: true },
  ],
];

function make(uid: string, name: string, flags: Flags = {}): TransferSyntax {
  return {
    uid,
    name,
    explicitVR: flags.explicitVR ?? true,
    littleEndian: flags.littleEndian ?? true,
    deflated: flags.deflated ?? false,
    encapsulated: flags.encapsulated ?? true,
    lossy: flags.lossy ?? false,
    retired: flags.retired ?? false,
    ...(flags.unknown ? { unknown: true } : {}),
  };
}

const REGISTRY = new Map<string, TransferSyntax>(ENTRIES.map(([uid, name, f]) => [uid, make(uid, name, f)]));

/** Looks a transfer syntax up; trailing NUL/space padding is ignored. */
export function findTransferSyntax(uid: string): TransferSyntax | undefined {
  return REGISTRY.get(uid.replace(/[\0 ]+$/, ''));
}

/**
 * The transfer syntax for a UID. An unknown UID is read as Explicit VR Little Endian with
 * encapsulated pixel data, which every transfer syntax defined since 2000 uses (PS3.5 §A.4).
 */
export function transferSyntax(uid: string): TransferSyntax {
  const clean = uid.replace(/[\0 ]+$/, '');
  const known = REGISTRY.get(clean);
  if (known) return known;
  if (!/^[0-9]+(\.[0-9]+)*$/.test(clean)) {
    throw new DicomError('ERR_UNSUPPORTED_TRANSFER_SYNTAX', `not a transfer syntax UID: '${clean}'`);
  }
  return make(clean, `Unknown Transfer Syntax ${clean}`, { unknown: true });
}

export function allTransferSyntaxes(): readonly TransferSyntax[] {
  return [...REGISTRY.values()];
}

/** Syntaxes dicomkit can write from any data set without a pixel codec. */
export function isNativeWritable(ts: TransferSyntax): boolean {
  return !ts.encapsulated && !ts.unknown;
}

export const IMPLICIT_LE = REGISTRY.get(IMPLICIT_VR_LITTLE_ENDIAN)!;
export const EXPLICIT_LE = REGISTRY.get(EXPLICIT_VR_LITTLE_ENDIAN)!;
export const EXPLICIT_BE = REGISTRY.get(EXPLICIT_VR_BIG_ENDIAN)!;
export const DEFLATED_LE = REGISTRY.get(DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN)!;
