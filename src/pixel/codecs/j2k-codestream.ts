import { DicomError, DicomParseError } from '../../core/errors.ts';

/**
 * The JPEG 2000 codestream at the level of its marker segments (ISO 15444-1 Annex A), for
 * what the published WASM wrappers of OpenJPEG and OpenJPH cannot do themselves:
 *
 * - signed samples of 8 bits or fewer, which both wrappers clamp to 0..255. Lossless or
 *   not, the codestream of unsigned samples u = s + 2^(B-1) is the one of signed s but for
 *   the sign bit of Ssiz: the DC level shift of unsigned data (§G.1.2) subtracts 2^(B-1)
 *   before anything else, so both code the same coefficients (`setSigned`).
 * - several components of more than 8 bits, of which both wrappers encode only the first.
 *   Each component is coded alone and the single-component codestreams are merged into one
 *   whose progression keeps each component's packets together (`mergeComponents`); the
 *   reverse (`splitComponents`) serves OpenJPEG's decoder, which returns only the first
 *   component of such streams.
 *
 * The packet data itself is never parsed: components are told apart by tile-part
 * boundaries, so splitting works on codestreams whose tile-parts follow components.
 */

/** Marker codes (ISO 15444-1 Table A.2). */
export const SOC = 0xff4f;
export const SIZ = 0xff51;
export const COD = 0xff52;
export const COC = 0xff53;
export const TLM = 0xff55;
export const PLM = 0xff57;
export const PLT = 0xff58;
export const QCD = 0xff5c;
export const QCC = 0xff5d;
export const RGN = 0xff5e;
export const POC = 0xff5f;
export const PPM = 0xff60;
export const PPT = 0xff61;
export const CRG = 0xff63;
export const COM = 0xff64;
export const SOT = 0xff90;
export const SOD = 0xff93;
export const EOC = 0xffd9;

/** Progression orders as SGcod codes them (ISO 15444-1 Table A.16). */
export const LRCP = 0;
export const RLCP = 1;
export const RPCL = 2;
export const PCRL = 3;
export const CPRL = 4;

/** A marker segment: its marker and the bytes after its length field. */
export interface MarkerSegment {
  marker: number;
  body: Uint8Array;
}

/** One component of SIZ: Ssiz (precision, sign), XRsiz, YRsiz. */
export interface SizComponent {
  /** Bits per sample, 1..38 (Ssiz & 0x7f, plus 1). */
  precision: number;
  signed: boolean;
  dx: number;
  dy: number;
}

/** The image and tile size marker segment (ISO 15444-1 §A.5.1). */
export interface Siz {
  rsiz: number;
  /** Xsiz, Ysiz: the reference grid's right and bottom edges. */
  width: number;
  height: number;
  /** XOsiz, YOsiz: the image area's offset on the grid. */
  x0: number;
  y0: number;
  tileWidth: number;
  tileHeight: number;
  tileX0: number;
  tileY0: number;
  components: SizComponent[];
}

/** The coding style default marker segment (ISO 15444-1 §A.6.1). */
export interface Cod {
  /** Scod: bit 0 precincts defined, bit 1 SOP markers, bit 2 EPH markers. */
  style: number;
  progression: number;
  layers: number;
  /** SGcod's multiple component transformation: 1 when components 0..2 are transformed. */
  mct: number;
  decompositions: number;
  /** Precinct size exponents per resolution, lowest first: 15 each unless Scod bit 0 says otherwise. */
  precincts: { ppx: number; ppy: number }[];
}

/** A tile-part (ISO 15444-1 §A.4.2): SOT's fields, the tile-part header and the packet data after SOD. */
export interface TilePart {
  tile: number;
  part: number;
  /** TNsot: the tile's number of tile-parts, 0 when unknown here. */
  parts: number;
  header: MarkerSegment[];
  data: Uint8Array;
}

export interface Codestream {
  /** The main header's marker segments in order, SIZ first. */
  main: MarkerSegment[];
  siz: Siz;
  cod: Cod;
  tileParts: TilePart[];
}

const u16 = (b: Uint8Array, at: number) => (b[at]! << 8) | b[at + 1]!;
const u32 = (b: Uint8Array, at: number) =>
  ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;

function put16(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 8;
  b[at + 1] = v & 0xff;
}

function put32(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}

const hex = (marker: number) => marker.toString(16).toUpperCase();

/**
 * Where the codestream starts: 0 for a bare codestream, else inside the Contiguous
 * Codestream box of a JP2 file (ISO 15444-1 §I.5.4), which some DICOM writers use
 * although PS3.5 §A.4.4 asks for the bare codestream.
 */
export function codestreamOffset(bytes: Uint8Array): number {
  if (bytes[0] === 0xff && bytes[1] === 0x4f) return 0;
  const signature = u32(bytes, 0) === 12 && u32(bytes, 4) === 0x6a502020;
  if (bytes.length < 12 || !signature) {
    throw new DicomParseError('ERR_MALFORMED', 'JPEG 2000: neither a codestream (SOC) nor a JP2 file', 0);
  }
  // §I.4: each box is LBox (0: to the end; 1: XLBox follows), TBox, contents.
  for (let at = 0; at + 8 <= bytes.length; ) {
    let length = u32(bytes, at);
    let header = 8;
    if (length === 1) {
      if (at + 16 > bytes.length || u32(bytes, at + 8) !== 0) break; // no 4 GB frames
      length = u32(bytes, at + 12);
      header = 16;
    } else if (length === 0) {
      length = bytes.length - at;
    }
    if (length < header) break;
    if (u32(bytes, at + 4) === 0x6a703263) return at + header; // 'jp2c'
    at += length;
  }
  throw new DicomParseError('ERR_MALFORMED', 'JPEG 2000: the JP2 file has no codestream box', 0);
}

/** SIZ's fields (ISO 15444-1 §A.5.1, Table A.9); Lsiz = 38 + 3 Csiz, counting itself. */
export function parseSiz(body: Uint8Array): Siz {
  const count = body.length >= 36 ? u16(body, 34) : 0;
  if (count < 1 || count > 16384 || body.length !== 36 + 3 * count) {
    throw new DicomError(
      'ERR_MALFORMED',
      `JPEG 2000: SIZ of ${body.length + 2} bytes for ${count} components`,
    );
  }
  const components: SizComponent[] = [];
  for (let c = 0, at = 36; c < count; c++, at += 3) {
    const ssiz = body[at]!;
    components.push({
      precision: (ssiz & 0x7f) + 1,
      signed: ssiz >= 0x80,
      dx: body[at + 1]!,
      dy: body[at + 2]!,
    });
  }
  return {
    rsiz: u16(body, 0),
    width: u32(body, 2),
    height: u32(body, 6),
    x0: u32(body, 10),
    y0: u32(body, 14),
    tileWidth: u32(body, 18),
    tileHeight: u32(body, 22),
    tileX0: u32(body, 26),
    tileY0: u32(body, 30),
    components,
  };
}

export function encodeSiz(siz: Siz): Uint8Array {
  const body = new Uint8Array(36 + 3 * siz.components.length);
  put16(body, 0, siz.rsiz);
  const fields = [
    siz.width,
    siz.height,
    siz.x0,
    siz.y0,
    siz.tileWidth,
    siz.tileHeight,
    siz.tileX0,
    siz.tileY0,
  ];
  for (const [i, v] of fields.entries()) put32(body, 2 + 4 * i, v);
  put16(body, 34, siz.components.length);
  siz.components.forEach((c, i) => {
    body[36 + 3 * i] = (c.signed ? 0x80 : 0) | (c.precision - 1);
    body[37 + 3 * i] = c.dx;
    body[38 + 3 * i] = c.dy;
  });
  return body;
}

/** COD's fields (ISO 15444-1 §A.6.1, Tables A.12 to A.15 and A.21). */
export function parseCod(body: Uint8Array): Cod {
  if (body.length < 10) throw new DicomError('ERR_MALFORMED', `JPEG 2000: COD of ${body.length + 2} bytes`);
  const style = body[0]!;
  const decompositions = body[5]!;
  const precincts: Cod['precincts'] = [];
  for (let r = 0; r <= decompositions; r++) {
    // Table A.21: PPx in the low nibble, PPy in the high one; without Scod bit 0, 2^15 each.
    const value = style & 1 ? body[10 + r] : 0xff;
    if (value === undefined) {
      throw new DicomError('ERR_MALFORMED', `JPEG 2000: COD lacks the precinct size of resolution ${r}`);
    }
    precincts.push(style & 1 ? { ppx: value & 15, ppy: value >> 4 } : { ppx: 15, ppy: 15 });
  }
  return { style, progression: body[1]!, layers: u16(body, 2), mct: body[4]!, decompositions, precincts };
}

/**
 * The marker segments of a header from `at` up to (not including) the marker in `stop`,
 * with the offset where that marker is. Every length is checked against the bytes left.
 */
function readSegments(
  bytes: Uint8Array,
  at: number,
  stop: number[],
): { segments: MarkerSegment[]; end: number } {
  const segments: MarkerSegment[] = [];
  for (;;) {
    if (at + 2 > bytes.length) {
      throw new DicomParseError('ERR_MALFORMED', 'JPEG 2000: the codestream ends inside a header', at);
    }
    const marker = u16(bytes, at);
    if (stop.includes(marker)) return { segments, end: at };
    if (bytes[at] !== 0xff || marker < 0xff30) {
      throw new DicomParseError('ERR_MALFORMED', `JPEG 2000: expected a marker, found ${hex(marker)}`, at);
    }
    // §A.1.2: 0xFF30..0xFF3F are markers without a segment.
    if (marker <= 0xff3f) {
      at += 2;
      continue;
    }
    const length = at + 4 <= bytes.length ? u16(bytes, at + 2) : 0;
    if (length < 2 || at + 2 + length > bytes.length) {
      throw new DicomParseError('ERR_MALFORMED', `JPEG 2000: marker ${hex(marker)} of length ${length}`, at);
    }
    segments.push({ marker, body: bytes.subarray(at + 4, at + 2 + length) });
    at += 2 + length;
  }
}

/**
 * Where the last tile-part's data ends when its Psot is 0 (§A.4.2): before EOC, which
 * may be followed by the zero padding of an odd-length DICOM fragment (PS3.5 §A.4).
 */
function endOfData(bytes: Uint8Array): number {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  return end >= 2 && u16(bytes, end - 2) === EOC ? end - 2 : bytes.length;
}

/**
 * The main header, tile-parts and their packet data of a codestream (a JP2 file's
 * codestream box is found first). Packet data is not looked into: each tile-part ends
 * where SOT's Psot says (§A.4.2), or at EOC when Psot is 0.
 */
export function parseCodestream(bytes: Uint8Array): Codestream {
  const start = codestreamOffset(bytes);
  if (u16(bytes, start) !== SOC || u16(bytes, start + 2) !== SIZ) {
    throw new DicomParseError(
      'ERR_MALFORMED',
      'JPEG 2000: the codestream does not start with SOC and SIZ',
      start,
    );
  }
  const { segments: main, end } = readSegments(bytes, start + 2, [SOT, EOC]);
  const siz = parseSiz(main[0]!.body);
  const codSegment = main.find((s) => s.marker === COD);
  if (!codSegment) throw new DicomParseError('ERR_MALFORMED', 'JPEG 2000: the main header has no COD', start);
  const cod = parseCod(codSegment.body);
  const tileParts: TilePart[] = [];
  let at = end;
  while (u16(bytes, at) === SOT) {
    if (at + 12 > bytes.length || u16(bytes, at + 2) !== 10) {
      throw new DicomParseError('ERR_MALFORMED', 'JPEG 2000: a malformed SOT', at);
    }
    const psot = u32(bytes, at + 6);
    const { segments: header, end: sod } = readSegments(bytes, at + 12, [SOD]);
    const stop = psot === 0 ? endOfData(bytes) : at + psot;
    if (stop < sod + 2 || stop > bytes.length) {
      throw new DicomParseError('ERR_MALFORMED', `JPEG 2000: a tile-part length (Psot) of ${psot}`, at);
    }
    tileParts.push({
      tile: u16(bytes, at + 4),
      part: bytes[at + 10]!,
      parts: bytes[at + 11]!,
      header,
      data: bytes.subarray(sod + 2, stop),
    });
    at = stop;
    if (psot === 0) break;
  }
  if (tileParts.length === 0) throw new DicomParseError('ERR_MALFORMED', 'JPEG 2000: no tile-part', at);
  return { main, siz, cod, tileParts };
}

/** The SIZ of a codestream (or JP2 file) without reading further, or undefined when there is none. */
export function readSiz(bytes: Uint8Array): Siz | undefined {
  try {
    const start = codestreamOffset(bytes);
    if (u16(bytes, start) !== SOC || u16(bytes, start + 2) !== SIZ) return undefined;
    return parseSiz(bytes.subarray(start + 6, start + 4 + u16(bytes, start + 4)));
  } catch {
    return undefined;
  }
}

/**
 * A copy with every component's Ssiz sign bit (§A.5.1, Table A.11) set or cleared; nothing
 * else changes, so a decoder reads the same coefficients with or without the DC level
 * shift of §G.1.2.
 */
export function setSigned(bytes: Uint8Array, signed: boolean): Uint8Array {
  const start = codestreamOffset(bytes);
  const siz = readSiz(bytes);
  if (!siz) throw new DicomParseError('ERR_MALFORMED', 'JPEG 2000: no SIZ to patch', start);
  const out = bytes.slice();
  for (let c = 0, at = start + 6 + 36; c < siz.components.length; c++, at += 3) {
    out[at] = signed ? out[at]! | 0x80 : out[at]! & 0x7f;
  }
  return out;
}

function segmentBytes(marker: number, body: Uint8Array): Uint8Array {
  if (body.length + 2 > 0xffff) {
    throw new DicomError(
      'ERR_VALUE_TOO_LARGE',
      `JPEG 2000: marker ${hex(marker)} of ${body.length + 2} bytes`,
    );
  }
  const out = new Uint8Array(4 + body.length);
  put16(out, 0, marker);
  put16(out, 2, body.length + 2);
  out.set(body, 4);
  return out;
}

export interface WriteOptions {
  /**
   * Write TLM marker segments (§A.7.1) listing every tile-part's length, as PS3.5 asks of
   * HTJ2K with RPCL Options (1.2.840.10008.1.2.4.202). Default false.
   */
  tlm?: boolean;
}

/** Tile-parts of one TLM: Ltlm = 4 + 6 per entry (16-bit Ttlm, 32-bit Ptlm) must fit 16 bits. */
const TLM_ENTRIES = Math.floor((0xffff - 4) / 6);

/**
 * A codestream of `main` (SIZ first; TLM and PLM are dropped, as their lengths would be
 * stale) and `tileParts`, each SOT's Psot computed (§A.4.2), ending with EOC (§A.4.4).
 */
export function writeCodestream(
  main: MarkerSegment[],
  tileParts: TilePart[],
  options: WriteOptions = {},
): Uint8Array {
  const chunks: Uint8Array[] = [new Uint8Array([0xff, 0x4f])];
  for (const s of main) if (s.marker !== TLM && s.marker !== PLM) chunks.push(segmentBytes(s.marker, s.body));
  const parts = tileParts.map((t) => {
    const header = t.header.map((s) => segmentBytes(s.marker, s.body));
    const length = 12 + header.reduce((n, h) => n + h.length, 0) + 2 + t.data.length;
    if (length > 0xffffffff) throw new DicomError('ERR_VALUE_TOO_LARGE', 'JPEG 2000: a tile-part over 4 GB');
    return { t, header, length };
  });
  if (options.tlm) {
    // §A.7.1, Table A.33: Stlm = ST 2 (16-bit Ttlm) | SP 1 (32-bit Ptlm); Ztlm numbers the segments.
    for (let first = 0, z = 0; first < parts.length; first += TLM_ENTRIES, z++) {
      const slice = parts.slice(first, first + TLM_ENTRIES);
      const body = new Uint8Array(2 + 6 * slice.length);
      body[0] = z;
      body[1] = 0x60;
      slice.forEach((p, i) => {
        put16(body, 2 + 6 * i, p.t.tile);
        put32(body, 4 + 6 * i, p.length);
      });
      chunks.push(segmentBytes(TLM, body));
    }
  }
  for (const { t, header, length } of parts) {
    const sot = new Uint8Array(12);
    put16(sot, 0, SOT);
    put16(sot, 2, 10);
    put16(sot, 4, t.tile);
    put32(sot, 6, length);
    sot[10] = t.part;
    sot[11] = t.parts;
    chunks.push(sot, ...header, new Uint8Array([0xff, 0x93]), t.data);
  }
  chunks.push(new Uint8Array([0xff, 0xd9]));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);

/** Tile-parts grouped by tile, each group in codestream order (§A.4.2: TPsot ascends within a tile). */
function byTile(tileParts: TilePart[]): Map<number, TilePart[]> {
  const tiles = new Map<number, TilePart[]>();
  for (const t of tileParts) {
    const list = tiles.get(t.tile);
    if (list) list.push(t);
    else tiles.set(t.tile, [t]);
  }
  return tiles;
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Whether every resolution of component `c` in tile `tile` has at most one precinct
 * (§B.5, §B.6), so that RPCL visits each resolution's packets of one component in one run.
 */
function onePrecinctPerResolution(siz: Siz, cod: Cod, tile: number, c: number): boolean {
  // §B.3: the tile's area on the reference grid; §B.5: its extent in component c.
  const across = Math.ceil((siz.width - siz.tileX0) / siz.tileWidth);
  const p = tile % across;
  const q = Math.floor(tile / across);
  const { dx, dy } = siz.components[c]!;
  const tcx0 = Math.ceil(Math.max(siz.tileX0 + p * siz.tileWidth, siz.x0) / dx);
  const tcx1 = Math.ceil(Math.min(siz.tileX0 + (p + 1) * siz.tileWidth, siz.width) / dx);
  const tcy0 = Math.ceil(Math.max(siz.tileY0 + q * siz.tileHeight, siz.y0) / dy);
  const tcy1 = Math.ceil(Math.min(siz.tileY0 + (q + 1) * siz.tileHeight, siz.height) / dy);
  // §B.6: the precincts of a resolution partition its extent at multiples of 2^PP.
  const count = (from: number, to: number, pp: number) =>
    to > from ? Math.ceil(to / 2 ** pp) - Math.floor(from / 2 ** pp) : 0;
  for (let r = 0; r <= cod.decompositions; r++) {
    const scale = 2 ** (cod.decompositions - r);
    const { ppx, ppy } = cod.precincts[r]!;
    const wide = count(Math.ceil(tcx0 / scale), Math.ceil(tcx1 / scale), ppx);
    const high = count(Math.ceil(tcy0 / scale), Math.ceil(tcy1 / scale), ppy);
    if (wide * high > 1) return false;
  }
  return true;
}

export interface MergeOptions extends WriteOptions {
  /**
   * CPRL: each component's packets of a tile in one tile-part (any single-component input).
   * RPCL: one tile-part per resolution holding every component's packets of it; each input
   * must have its tile-parts divided at resolutions (one per resolution) and one precinct
   * per resolution.
   */
  progression: typeof CPRL | typeof RPCL;
}

function mergeError(message: string): DicomError {
  return new DicomError('ERR_INVALID_VALUE', `JPEG 2000: cannot merge the component codestreams: ${message}`);
}

/**
 * One codestream of several components from single-component codestreams coded with the
 * same parameters: one SIZ listing every component (§A.5.1), COD with the progression of
 * `options` and no multiple component transformation (§A.6.1), QCD and QCC where a
 * component's quantization differs (§A.6.4, §A.6.5), and per tile the packets of each
 * component in the order the progression visits them (§B.12).
 */
export function mergeComponents(streams: Uint8Array[], options: MergeOptions): Uint8Array {
  const parsed = streams.map(parseCodestream);
  const first = parsed[0];
  if (!first) throw mergeError('no codestream');
  if (parsed.length > 255) throw mergeError('more than 255 components (TNsot counts them)');
  const geometry = (siz: Siz) => encodeSiz({ ...siz, components: [] });
  const codBody = first.main.find((s) => s.marker === COD)!.body;
  if (first.cod.style & 2) throw mergeError('SOP markers number packets within a tile');
  for (const [c, s] of parsed.entries()) {
    if (s.siz.components.length !== 1)
      throw mergeError(`codestream ${c} has ${s.siz.components.length} components`);
    if (!sameBytes(geometry(s.siz), geometry(first.siz)))
      throw mergeError(`codestream ${c} has another geometry`);
    const cod = s.main.find((m) => m.marker === COD)!.body;
    if (!sameBytes(cod, codBody)) throw mergeError(`codestream ${c} has another coding style`);
    for (const m of s.main) {
      if ([COC, RGN, POC, PPM, CRG].includes(m.marker))
        throw mergeError(`marker ${hex(m.marker)} in codestream ${c}`);
    }
    for (const t of s.tileParts) {
      for (const m of t.header) {
        if (m.marker !== PLT && m.marker !== COM) {
          throw mergeError(`marker ${hex(m.marker)} in a tile-part header of codestream ${c}`);
        }
      }
    }
  }

  const componentCount = parsed.length;
  const main: MarkerSegment[] = [
    { marker: SIZ, body: encodeSiz({ ...first.siz, components: parsed.map((s) => s.siz.components[0]!) }) },
  ];
  // A component's quantization: its QCC (index 0, the only component) over the QCD.
  const quantization = (s: Codestream) =>
    s.main.find((m) => m.marker === QCC)?.body.subarray(1) ?? s.main.find((m) => m.marker === QCD)?.body;
  const shared = quantization(first);
  for (const segment of first.main.slice(1)) {
    if (segment.marker === COD) {
      const body = codBody.slice();
      body[1] = options.progression;
      body[4] = 0;
      main.push({ marker: COD, body });
    } else if (segment.marker === QCD) {
      main.push({ marker: QCD, body: shared ?? segment.body });
      // §A.6.5: Cqcc is one byte below 257 components, two from there on.
      for (const [c, s] of parsed.entries()) {
        const own = quantization(s);
        if (c === 0 || !own || !shared || sameBytes(own, shared)) continue;
        const index = componentCount < 257 ? new Uint8Array([c]) : new Uint8Array([c >> 8, c & 0xff]);
        main.push({ marker: QCC, body: concat([index, own]) });
      }
    } else if (segment.marker === QCC) {
      // folded into the QCD above
    } else if (segment.marker !== TLM && segment.marker !== PLM) {
      for (const [c, s] of parsed.entries()) {
        const twin = s.main.find((m) => m.marker === segment.marker);
        if (segment.marker !== COM && (!twin || !sameBytes(twin.body, segment.body))) {
          throw mergeError(`marker ${hex(segment.marker)} differs in codestream ${c}`);
        }
      }
      main.push(segment);
    }
  }

  const tiles = parsed.map((s) => byTile(s.tileParts));
  const tileParts: TilePart[] = [];
  for (const [tile, firstParts] of tiles[0]!) {
    const perComponent = tiles.map((t, c) => {
      const parts = t.get(tile);
      if (!parts) throw mergeError(`codestream ${c} lacks tile ${tile}`);
      return parts;
    });
    if (options.progression === CPRL) {
      perComponent.forEach((parts, c) => {
        tileParts.push({
          tile,
          part: c,
          parts: componentCount,
          header: [],
          data: concat(parts.map((p) => p.data)),
        });
      });
      continue;
    }
    const resolutions = first.cod.decompositions + 1;
    for (const [c, parts] of perComponent.entries()) {
      if (parts.length !== resolutions) {
        throw mergeError(
          `codestream ${c} has ${parts.length} tile-parts in tile ${tile}, not one per resolution`,
        );
      }
      if (!onePrecinctPerResolution(parsed[c]!.siz, parsed[c]!.cod, tile, 0)) {
        throw mergeError(`tile ${tile} has several precincts in a resolution`);
      }
    }
    for (let r = 0; r < firstParts.length; r++) {
      tileParts.push({
        tile,
        part: r,
        parts: resolutions,
        header: [],
        data: concat(perComponent.map((parts) => parts[r]!.data)),
      });
    }
  }
  return writeCodestream(main, tileParts, options);
}

function splitError(message: string): DicomError {
  return new DicomError(
    'ERR_UNSUPPORTED_TRANSFER_SYNTAX',
    `the components of this codestream cannot be decoded apart (${message})`,
  );
}

/** The component a COC, QCC or RGN segment applies to (§A.6.2, §A.6.3, §A.6.5). */
function componentOf(segment: MarkerSegment, componentCount: number): number {
  return componentCount < 257 ? segment.body[0]! : u16(segment.body, 0);
}

/**
 * One single-component codestream per component, for a codestream in CPRL progression
 * whose tiles have their tile-parts divided at components: each tile's tile-parts a
 * multiple k of the component count, k tile-parts per component in component order (k is
 * 1, or the number of resolutions when also divided at those). Other codestreams, whose
 * component boundaries only the packet headers know, are refused with a typed error.
 */
export function splitComponents(bytes: Uint8Array): Uint8Array[] {
  const stream = parseCodestream(bytes);
  const { siz, cod } = stream;
  const count = siz.components.length;
  if (count === 1) return [bytes];
  if (cod.progression !== CPRL) {
    const names = ['LRCP', 'RLCP', 'RPCL', 'PCRL', 'CPRL'];
    throw splitError(`progression ${names[cod.progression] ?? cod.progression}, not CPRL`);
  }
  if (cod.mct !== 0) throw splitError('the components are colour-transformed together');
  for (const m of stream.main) {
    if (m.marker === POC || m.marker === PPM) throw splitError(`marker ${hex(m.marker)} in the main header`);
  }
  const tiles = byTile(stream.tileParts);
  const hasCoc = stream.main.some((m) => m.marker === COC);
  for (const [tile, parts] of tiles) {
    const k = parts.length / count;
    if (!(k === 1 || (k === cod.decompositions + 1 && !hasCoc))) {
      throw splitError(`tile ${tile} has ${parts.length} tile-parts for ${count} components`);
    }
    for (const p of parts) {
      for (const m of p.header) {
        if (m.marker !== PLT && m.marker !== COM)
          throw splitError(`marker ${hex(m.marker)} in a tile-part header`);
      }
    }
  }
  const codBody = stream.main.find((s) => s.marker === COD)!.body;
  return siz.components.map((component, c) => {
    const main: MarkerSegment[] = [{ marker: SIZ, body: encodeSiz({ ...siz, components: [component] }) }];
    const mine = (m: MarkerSegment) => componentOf(m, count) === c;
    const coc = stream.main.find((m) => m.marker === COC && mine(m));
    const qcc = stream.main.find((m) => m.marker === QCC && mine(m));
    const index = count < 257 ? 1 : 2;
    for (const m of stream.main.slice(1)) {
      if (m.marker === COD) {
        // A COC for this component replaces Scod's precinct bit and SPcod (§A.6.2).
        const body = coc
          ? concat([
              new Uint8Array([(codBody[0]! & ~1) | (coc.body[index]! & 1)]),
              codBody.subarray(1, 5),
              coc.body.subarray(index + 1),
            ])
          : codBody;
        main.push({ marker: COD, body });
      } else if (m.marker === QCD) {
        main.push({ marker: QCD, body: qcc ? qcc.body.subarray(index) : m.body });
      } else if (m.marker === RGN && mine(m)) {
        main.push({ marker: RGN, body: concat([new Uint8Array(1), m.body.subarray(index)]) });
      } else if (![COC, QCC, RGN, CRG, TLM, PLM].includes(m.marker)) {
        main.push(m);
      }
    }
    const tileParts: TilePart[] = [];
    for (const [tile, parts] of tiles) {
      const k = parts.length / count;
      parts.slice(c * k, (c + 1) * k).forEach((p, i) => {
        tileParts.push({ tile, part: i, parts: k, header: p.header, data: p.data });
      });
    }
    return writeCodestream(main, tileParts);
  });
}
