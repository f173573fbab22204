import { DicomError } from '../../core/errors.ts';

/**
 * A decoder for the JPEG processes libjpeg-turbo's 8-bit build leaves out (ITU T.81):
 * sequential DCT with Huffman coding at 12 bits (Process 4; 8 bits works too), and
 * lossless (Process 14, SOF3) at 2 to 16 bits with any predictor 1-7 and point transform.
 * Multiple scans, restart intervals and several components are read; the DCT output
 * follows the IJG "islow" integer IDCT (jidctint.c) so it matches DCMTK and GDCM sample for
 * sample, with chroma upsampled by replication. Colour is returned as coded (no YCbCr
 * conversion): DICOM says what it is.
 */

export interface JpegImage {
  width: number;
  height: number;
  components: number;
  /** Sample precision P of the frame header (SOFn). */
  precision: number;
  /** True for lossless (SOF3) codestreams. */
  lossless: boolean;
  /** Samples colour-by-pixel: Uint8Array for P <= 8, else Uint16Array. */
  samples: Uint8Array | Uint16Array;
}

/** Natural (row-major) index of the coefficient at zig-zag position k (T.81 Figure A.6). */
const ZIGZAG = new Uint8Array([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7,
  14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46,
  53, 60, 61, 54, 47, 55, 62, 63,
]);

function fail(message: string, offset?: number): never {
  throw new DicomError(
    'ERR_MALFORMED',
    `JPEG: ${message}${offset === undefined ? '' : ` at byte ${offset}`}`,
  );
}

function unsupported(message: string): never {
  throw new DicomError('ERR_UNSUPPORTED_TRANSFER_SYNTAX', `JPEG: ${message}`);
}

/**
 * A Huffman table as a 16-bit look-up: entry = (code length << 8) | symbol for every
 * 16-bit window that starts with the code; 0 marks an invalid code.
 */
function buildHuffmanTable(bits: Uint8Array, values: Uint8Array): Uint16Array {
  const lookup = new Uint16Array(65536);
  let code = 0;
  let k = 0;
  for (let length = 1; length <= 16; length++) {
    for (let i = 0; i < bits[length - 1]!; i++, k++) {
      if (code >= 1 << length) fail('Huffman table has too many codes');
      const shift = 16 - length;
      const start = code << shift;
      lookup.fill((length << 8) | values[k]!, start, start + (1 << shift));
      code++;
    }
    code <<= 1;
  }
  return lookup;
}

/** Reads entropy-coded bits (T.81 §F.2.2.5): 0xFF00 is a data 0xFF; a marker ends the data (zeros follow). */
class BitReader {
  #data: Uint8Array;
  pos: number;
  #buffer = 0;
  #count = 0;

  constructor(data: Uint8Array, pos: number) {
    this.#data = data;
    this.pos = pos;
  }

  #fill(): void {
    const data = this.#data;
    while (this.#count < 24) {
      let byte = 0;
      if (this.pos < data.length) {
        byte = data[this.pos]!;
        if (byte === 0xff) {
          const next = data[this.pos + 1];
          if (next === 0) this.pos += 2;
          else byte = 0; // a marker: stay on it, feed zeros
        } else {
          this.pos++;
        }
      }
      this.#buffer = ((this.#buffer << 8) | byte) >>> 0;
      this.#count += 8;
    }
  }

  /** Decodes one Huffman symbol. */
  decode(table: Uint16Array): number {
    if (this.#count < 16) this.#fill();
    const entry = table[(this.#buffer >>> (this.#count - 16)) & 0xffff]!;
    if (entry === 0) fail('invalid Huffman code', this.pos);
    this.#count -= entry >>> 8;
    this.#buffer &= (1 << this.#count) - 1;
    return entry & 0xff;
  }

  /** Reads n (0-16) raw bits. */
  bits(n: number): number {
    if (n === 0) return 0;
    if (this.#count < n) this.#fill();
    this.#count -= n;
    const value = this.#buffer >>> this.#count;
    this.#buffer &= (1 << this.#count) - 1;
    return value;
  }

  /** Reads an n-bit magnitude and extends it to a signed value (T.81 §F.2.2.1 EXTEND). */
  receiveExtend(n: number): number {
    if (n === 0) return 0;
    const value = this.bits(n);
    return value < 1 << (n - 1) ? value - (1 << n) + 1 : value;
  }

  /** Skips to the next RSTn marker after a restart interval and clears the bit buffer. */
  restart(): void {
    this.#buffer = 0;
    this.#count = 0;
    const data = this.#data;
    let p = this.pos;
    while (p + 1 < data.length && !(data[p] === 0xff && data[p + 1]! >= 0xd0 && data[p + 1]! <= 0xd7)) p++;
    if (p + 1 >= data.length) fail('missing RST marker', this.pos);
    this.pos = p + 2;
  }
}

interface Component {
  id: number;
  h: number;
  v: number;
  tq: number;
  /** Blocks (DCT) or samples (lossless) per line and per column, padded to whole MCUs. */
  blocksPerLine: number;
  blocksPerColumn: number;
  /** Decoded samples of the component plane, blocksPerLine * 8 wide for DCT. */
  plane: Uint16Array;
  width: number;
  height: number;
  dcPrediction: number;
}

interface Frame {
  precision: number;
  height: number;
  width: number;
  lossless: boolean;
  components: Component[];
  hMax: number;
  vMax: number;
  mcusPerLine: number;
  mcusPerColumn: number;
}

const u16 = (d: Uint8Array, at: number) => (d[at]! << 8) | d[at + 1]!;

/** Decodes one JPEG codestream (SOI..EOI) of Process 1, 2, 4 or 14. */
export function decodeJpeg(data: Uint8Array): JpegImage {
  if (data[0] !== 0xff || data[1] !== 0xd8) fail('no SOI marker');
  const dcTables: (Uint16Array | undefined)[] = [];
  const acTables: (Uint16Array | undefined)[] = [];
  const quantTables: (Int32Array | undefined)[] = [];
  let restartInterval = 0;
  let frame: Frame | undefined;
  let pos = 2;
  while (pos < data.length) {
    if (data[pos] !== 0xff) {
      pos++; // stray byte (e.g. padding after entropy data): resynchronise
      continue;
    }
    const marker = data[pos + 1]!;
    pos += 2;
    if (marker === 0xff || marker === 0x00 || (marker >= 0xd0 && marker <= 0xd7)) {
      if (marker === 0xff) pos--;
      continue;
    }
    if (marker === 0xd9) break; // EOI
    if (pos + 2 > data.length) fail('truncated marker segment', pos);
    const length = u16(data, pos);
    const end = pos + length;
    if (length < 2 || end > data.length) fail(`marker FF${marker.toString(16)} length ${length}`, pos);
    switch (marker) {
      case 0xc4: {
        // DHT
        let p = pos + 2;
        while (p < end) {
          const tc = data[p]! >> 4;
          const th = data[p]! & 15;
          const bits = data.subarray(p + 1, p + 17);
          let count = 0;
          for (const b of bits) count += b;
          if (p + 17 + count > end) fail('DHT longer than its segment', p);
          const table = buildHuffmanTable(bits, data.subarray(p + 17, p + 17 + count));
          (tc === 0 ? dcTables : acTables)[th] = table;
          p += 17 + count;
        }
        break;
      }
      case 0xdb: {
        // DQT
        let p = pos + 2;
        while (p < end) {
          const pq = data[p]! >> 4;
          const tq = data[p]! & 15;
          const table = new Int32Array(64);
          p++;
          for (let k = 0; k < 64; k++) {
            table[ZIGZAG[k]!] = pq ? u16(data, p + 2 * k) : data[p + k]!;
          }
          p += pq ? 128 : 64;
          quantTables[tq] = table;
        }
        break;
      }
      case 0xdd:
        restartInterval = u16(data, pos + 2);
        break;
      case 0xc0:
      case 0xc1:
      case 0xc3:
        if (frame) fail('more than one frame header', pos);
        frame = readFrame(data, pos, marker === 0xc3);
        break;
      case 0xda: {
        if (!frame) fail('scan before frame header', pos);
        const after = decodeScan(data, pos, frame, dcTables, acTables, quantTables, restartInterval);
        pos = after;
        continue;
      }
      default:
        if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
          unsupported(`SOF${marker - 0xc0} (progressive, hierarchical or arithmetic) is not supported`);
        }
        if (marker === 0xcc) unsupported('arithmetic coding is not supported');
      // APPn, COM, DNL...: skipped
    }
    pos = end;
  }
  if (!frame) fail('no frame header');
  return output(frame);
}

function readFrame(data: Uint8Array, pos: number, lossless: boolean): Frame {
  const precision = data[pos + 2]!;
  const height = u16(data, pos + 3);
  const width = u16(data, pos + 5);
  const count = data[pos + 7]!;
  if (height === 0) unsupported('a DNL-defined height is not supported');
  if (width === 0 || count === 0) fail('empty frame');
  if (lossless ? precision < 2 || precision > 16 : precision !== 8 && precision !== 12) {
    fail(`precision ${precision} is not allowed`, pos);
  }
  const components: Component[] = [];
  let hMax = 1;
  let vMax = 1;
  for (let i = 0; i < count; i++) {
    const at = pos + 8 + 3 * i;
    const h = data[at + 1]! >> 4;
    const v = data[at + 1]! & 15;
    if (h < 1 || h > 4 || v < 1 || v > 4) fail('sampling factors out of range', at);
    hMax = Math.max(hMax, h);
    vMax = Math.max(vMax, v);
    components.push({
      id: data[at]!,
      h,
      v,
      tq: data[at + 2]!,
      blocksPerLine: 0,
      blocksPerColumn: 0,
      plane: new Uint16Array(0),
      width: 0,
      height: 0,
      dcPrediction: 0,
    });
  }
  const unit = lossless ? 1 : 8;
  if (lossless && (hMax > 1 || vMax > 1)) unsupported('subsampled lossless JPEG is not supported');
  const mcusPerLine = Math.ceil(width / (unit * hMax));
  const mcusPerColumn = Math.ceil(height / (unit * vMax));
  for (const c of components) {
    c.width = Math.ceil((width * c.h) / hMax);
    c.height = Math.ceil((height * c.v) / vMax);
    c.blocksPerLine = mcusPerLine * c.h;
    c.blocksPerColumn = mcusPerColumn * c.v;
    c.plane = new Uint16Array(c.blocksPerLine * unit * c.blocksPerColumn * unit);
  }
  return { precision, height, width, lossless, components, hMax, vMax, mcusPerLine, mcusPerColumn };
}

/** Decodes one scan; returns the position of the marker that follows its entropy-coded data. */
function decodeScan(
  data: Uint8Array,
  pos: number,
  frame: Frame,
  dcTables: (Uint16Array | undefined)[],
  acTables: (Uint16Array | undefined)[],
  quantTables: (Int32Array | undefined)[],
  restartInterval: number,
): number {
  const length = u16(data, pos);
  const ns = data[pos + 2]!;
  const scan: { c: Component; dc: Uint16Array; ac: Uint16Array | undefined }[] = [];
  for (let i = 0; i < ns; i++) {
    const id = data[pos + 3 + 2 * i]!;
    const tables = data[pos + 4 + 2 * i]!;
    const c = frame.components.find((x) => x.id === id);
    if (!c) fail(`scan names unknown component ${id}`, pos);
    const dc = dcTables[tables >> 4];
    if (!dc) fail(`scan uses undefined DC table ${tables >> 4}`, pos);
    scan.push({ c, dc, ac: frame.lossless ? undefined : acTables[tables & 15] });
  }
  const at = pos + 3 + 2 * ns;
  const ss = data[at]!;
  const se = data[at + 1]!;
  const al = data[at + 2]! & 15;
  const reader = new BitReader(data, pos + length);
  if (frame.lossless) decodeLosslessScan(reader, frame, scan, ss, al, restartInterval);
  else {
    // A sequential frame has one full-spectrum scan per component; IJG warns about other
    // Ss/Se values ("Invalid SOS parameters for sequential JPEG") and decodes anyway.
    void ss;
    void se;
    for (const s of scan) if (!s.ac) fail('scan uses an undefined AC table', pos);
    decodeDctScan(
      reader,
      frame,
      scan as { c: Component; dc: Uint16Array; ac: Uint16Array }[],
      quantTables,
      restartInterval,
    );
  }
  // Find the marker after the entropy-coded data.
  let p = reader.pos;
  while (
    p + 1 < data.length &&
    !(data[p] === 0xff && data[p + 1] !== 0 && !(data[p + 1]! >= 0xd0 && data[p + 1]! <= 0xd7))
  )
    p++;
  return p;
}

function decodeDctScan(
  reader: BitReader,
  frame: Frame,
  scan: { c: Component; dc: Uint16Array; ac: Uint16Array }[],
  quantTables: (Int32Array | undefined)[],
  restartInterval: number,
): void {
  const coefficients = new Int32Array(64);
  const workspace = new Float64Array(64);
  const block = (s: { c: Component; dc: Uint16Array; ac: Uint16Array }, row: number, col: number) => {
    const c = s.c;
    coefficients.fill(0);
    const t = reader.decode(s.dc);
    c.dcPrediction += reader.receiveExtend(t);
    coefficients[0] = c.dcPrediction;
    for (let k = 1; k < 64; ) {
      const rs = reader.decode(s.ac);
      const size = rs & 15;
      const run = rs >> 4;
      if (size === 0) {
        if (run !== 15) break;
        k += 16;
        continue;
      }
      k += run;
      if (k > 63) fail('AC coefficient index out of range', reader.pos);
      coefficients[ZIGZAG[k]!] = reader.receiveExtend(size);
      k++;
    }
    const q = quantTables[c.tq];
    if (!q) fail(`undefined quantization table ${c.tq}`);
    const stride = c.blocksPerLine * 8;
    idctIslow(coefficients, q, workspace, c.plane, row * 8 * stride + col * 8, stride, frame.precision);
  };
  for (const s of scan) s.c.dcPrediction = 0;
  let mcu = 0;
  const restart = () => {
    reader.restart();
    for (const s of scan) s.c.dcPrediction = 0;
  };
  if (scan.length === 1) {
    const s = scan[0]!;
    const c = s.c;
    const lines = Math.ceil(c.height / 8);
    const columns = Math.ceil(c.width / 8);
    for (let row = 0; row < lines; row++) {
      for (let col = 0; col < columns; col++) {
        if (restartInterval && mcu > 0 && mcu % restartInterval === 0) restart();
        block(s, row, col);
        mcu++;
      }
    }
    return;
  }
  for (let my = 0; my < frame.mcusPerColumn; my++) {
    for (let mx = 0; mx < frame.mcusPerLine; mx++) {
      if (restartInterval && mcu > 0 && mcu % restartInterval === 0) restart();
      for (const s of scan) {
        for (let v = 0; v < s.c.v; v++)
          for (let h = 0; h < s.c.h; h++) block(s, my * s.c.v + v, mx * s.c.h + h);
      }
      mcu++;
    }
  }
}

// jidctint.c constants: FIX(x) = round(x * 2^13).
const FIX_0_298631336 = 2446;
const FIX_0_390180644 = 3196;
const FIX_0_541196100 = 4433;
const FIX_0_765366865 = 6270;
const FIX_0_899976223 = 7373;
const FIX_1_175875602 = 9633;
const FIX_1_501321110 = 12299;
const FIX_1_847759065 = 15137;
const FIX_1_961570560 = 16069;
const FIX_2_053119869 = 16819;
const FIX_2_562915447 = 20995;
const FIX_3_072711026 = 25172;
const CONST_BITS = 13;

/**
 * The IJG accurate integer inverse DCT (jidctint.c, "islow", the default of libjpeg, DCMTK
 * and GDCM): dequantise, columns then rows, PASS1_BITS 2 for 8-bit and 1 for 12-bit data,
 * level shift and clamp to the sample range.
 */
function idctIslow(
  input: Int32Array,
  quant: Int32Array,
  ws: Float64Array,
  out: Uint16Array,
  offset: number,
  stride: number,
  precision: number,
): void {
  const pass1 = precision === 8 ? 2 : 1;
  const scale1 = 2 ** pass1;
  const n1 = CONST_BITS - pass1;
  const half1 = 2 ** (n1 - 1);
  const div1 = 2 ** n1;
  for (let col = 0; col < 8; col++) {
    if (
      input[8 + col] === 0 &&
      input[16 + col] === 0 &&
      input[24 + col] === 0 &&
      input[32 + col] === 0 &&
      input[40 + col] === 0 &&
      input[48 + col] === 0 &&
      input[56 + col] === 0
    ) {
      const dc = input[col]! * quant[col]! * scale1;
      for (let i = col; i < 64; i += 8) ws[i] = dc;
      continue;
    }
    let z2 = input[16 + col]! * quant[16 + col]!;
    let z3 = input[48 + col]! * quant[48 + col]!;
    let z1 = (z2 + z3) * FIX_0_541196100;
    let tmp2 = z1 - z3 * FIX_1_847759065;
    let tmp3 = z1 + z2 * FIX_0_765366865;
    z2 = input[col]! * quant[col]!;
    z3 = input[32 + col]! * quant[32 + col]!;
    let tmp0 = (z2 + z3) * 8192;
    let tmp1 = (z2 - z3) * 8192;
    const tmp10 = tmp0 + tmp3;
    const tmp13 = tmp0 - tmp3;
    const tmp11 = tmp1 + tmp2;
    const tmp12 = tmp1 - tmp2;
    tmp0 = input[56 + col]! * quant[56 + col]!;
    tmp1 = input[40 + col]! * quant[40 + col]!;
    tmp2 = input[24 + col]! * quant[24 + col]!;
    tmp3 = input[8 + col]! * quant[8 + col]!;
    z1 = tmp0 + tmp3;
    z2 = tmp1 + tmp2;
    z3 = tmp0 + tmp2;
    let z4 = tmp1 + tmp3;
    const z5 = (z3 + z4) * FIX_1_175875602;
    tmp0 *= FIX_0_298631336;
    tmp1 *= FIX_2_053119869;
    tmp2 *= FIX_3_072711026;
    tmp3 *= FIX_1_501321110;
    z1 *= -FIX_0_899976223;
    z2 *= -FIX_2_562915447;
    z3 = z3 * -FIX_1_961570560 + z5;
    z4 = z4 * -FIX_0_390180644 + z5;
    tmp0 += z1 + z3;
    tmp1 += z2 + z4;
    tmp2 += z2 + z3;
    tmp3 += z1 + z4;
    // DESCALE: a rounded arithmetic shift, on doubles (12-bit products pass 2^31).
    ws[col] = Math.floor((tmp10 + tmp3 + half1) / div1);
    ws[56 + col] = Math.floor((tmp10 - tmp3 + half1) / div1);
    ws[8 + col] = Math.floor((tmp11 + tmp2 + half1) / div1);
    ws[48 + col] = Math.floor((tmp11 - tmp2 + half1) / div1);
    ws[16 + col] = Math.floor((tmp12 + tmp1 + half1) / div1);
    ws[40 + col] = Math.floor((tmp12 - tmp1 + half1) / div1);
    ws[24 + col] = Math.floor((tmp13 + tmp0 + half1) / div1);
    ws[32 + col] = Math.floor((tmp13 - tmp0 + half1) / div1);
  }
  const max = (1 << precision) - 1;
  const n2 = CONST_BITS + pass1 + 3;
  const div2 = 2 ** n2;
  // The level shift is folded into the rounding term: + 2^(P-1) after the shift.
  const bias = 2 ** (n2 - 1) + (1 << (precision - 1)) * div2;
  for (let row = 0; row < 8; row++) {
    const w = row * 8;
    const at = offset + row * stride;
    let z2 = ws[w + 2]!;
    let z3 = ws[w + 6]!;
    let z1 = (z2 + z3) * FIX_0_541196100;
    let tmp2 = z1 - z3 * FIX_1_847759065;
    let tmp3 = z1 + z2 * FIX_0_765366865;
    let tmp0 = (ws[w]! + ws[w + 4]!) * 8192;
    let tmp1 = (ws[w]! - ws[w + 4]!) * 8192;
    const tmp10 = tmp0 + tmp3;
    const tmp13 = tmp0 - tmp3;
    const tmp11 = tmp1 + tmp2;
    const tmp12 = tmp1 - tmp2;
    tmp0 = ws[w + 7]!;
    tmp1 = ws[w + 5]!;
    tmp2 = ws[w + 3]!;
    tmp3 = ws[w + 1]!;
    z1 = tmp0 + tmp3;
    z2 = tmp1 + tmp2;
    z3 = tmp0 + tmp2;
    let z4 = tmp1 + tmp3;
    const z5 = (z3 + z4) * FIX_1_175875602;
    tmp0 *= FIX_0_298631336;
    tmp1 *= FIX_2_053119869;
    tmp2 *= FIX_3_072711026;
    tmp3 *= FIX_1_501321110;
    z1 *= -FIX_0_899976223;
    z2 *= -FIX_2_562915447;
    z3 = z3 * -FIX_1_961570560 + z5;
    z4 = z4 * -FIX_0_390180644 + z5;
    tmp0 += z1 + z3;
    tmp1 += z2 + z4;
    tmp2 += z2 + z3;
    tmp3 += z1 + z4;
    out[at] = clamp(Math.floor((tmp10 + tmp3 + bias) / div2), max);
    out[at + 7] = clamp(Math.floor((tmp10 - tmp3 + bias) / div2), max);
    out[at + 1] = clamp(Math.floor((tmp11 + tmp2 + bias) / div2), max);
    out[at + 6] = clamp(Math.floor((tmp11 - tmp2 + bias) / div2), max);
    out[at + 2] = clamp(Math.floor((tmp12 + tmp1 + bias) / div2), max);
    out[at + 5] = clamp(Math.floor((tmp12 - tmp1 + bias) / div2), max);
    out[at + 3] = clamp(Math.floor((tmp13 + tmp0 + bias) / div2), max);
    out[at + 4] = clamp(Math.floor((tmp13 - tmp0 + bias) / div2), max);
  }
}

function clamp(v: number, max: number): number {
  return v < 0 ? 0 : Math.min(v, max);
}

/**
 * Lossless scan (T.81 Annex H): each sample is the prediction plus a Huffman-coded
 * difference modulo 2^16. The first line of the image and of each restart interval is
 * predicted from the left (Ra), the first column from above (Rb), the first sample from
 * 2^(P-Pt-1); elsewhere by the selection value Ss (1-7, Table H.1).
 */
function decodeLosslessScan(
  reader: BitReader,
  frame: Frame,
  scan: { c: Component; dc: Uint16Array }[],
  predictor: number,
  pointTransform: number,
  restartInterval: number,
): void {
  if (predictor < 1 || predictor > 7) fail(`lossless predictor ${predictor}`);
  const width = frame.width;
  const height = frame.height;
  const initial = 1 << (frame.precision - pointTransform - 1);
  const n = scan.length;
  const planes = scan.map((s) => s.c.plane);
  const tables = scan.map((s) => s.dc);
  const mask = 0xffff;
  let mcu = 0;
  let intervalFirstRow = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (restartInterval && mcu > 0 && mcu % restartInterval === 0) {
        reader.restart();
        intervalFirstRow = x === 0 ? y : -1;
        if (intervalFirstRow < 0) unsupported('restart intervals that are not whole lines');
      }
      mcu++;
      const at = y * width + x;
      for (let i = 0; i < n; i++) {
        const plane = planes[i]!;
        let prediction: number;
        if (y === intervalFirstRow) prediction = x === 0 ? initial : plane[at - 1]!;
        else if (x === 0) prediction = plane[at - width]!;
        else {
          const ra = plane[at - 1]!;
          const rb = plane[at - width]!;
          const rc = plane[at - width - 1]!;
          switch (predictor) {
            case 1:
              prediction = ra;
              break;
            case 2:
              prediction = rb;
              break;
            case 3:
              prediction = rc;
              break;
            case 4:
              prediction = ra + rb - rc;
              break;
            case 5:
              prediction = ra + ((rb - rc) >> 1);
              break;
            case 6:
              prediction = rb + ((ra - rc) >> 1);
              break;
            default:
              prediction = (ra + rb) >> 1;
          }
        }
        const t = reader.decode(tables[i]!);
        const diff = t === 16 ? 32768 : reader.receiveExtend(t);
        plane[at] = (prediction + diff) & mask;
      }
    }
  }
  if (pointTransform)
    for (const plane of planes) for (let i = 0; i < plane.length; i++) plane[i] = plane[i]! << pointTransform;
}

/** Interleaves the component planes into colour-by-pixel samples, upsampling by replication. */
function output(frame: Frame): JpegImage {
  const { width, height, components, precision } = frame;
  const n = components.length;
  const samples = precision <= 8 ? new Uint8Array(width * height * n) : new Uint16Array(width * height * n);
  for (let i = 0; i < n; i++) {
    const c = components[i]!;
    const stride = frame.lossless ? width : c.blocksPerLine * 8;
    const sx = c.h / frame.hMax;
    const sy = c.v / frame.vMax;
    const xs = new Int32Array(width);
    for (let x = 0; x < width; x++) xs[x] = sx === 1 ? x : Math.floor(x * sx);
    for (let y = 0; y < height; y++) {
      const row = (sy === 1 ? y : Math.floor(y * sy)) * stride;
      let at = y * width * n + i;
      for (let x = 0; x < width; x++, at += n) samples[at] = c.plane[row + xs[x]!]!;
    }
  }
  return { width, height, components: n, precision, lossless: frame.lossless, samples };
}
