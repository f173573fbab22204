import { DicomError } from '../../core/index.ts';
import { ABORT_REASON } from './constants.ts';
import { PduError } from './pdu-error.ts';

// All multi-byte PDU fields are unsigned big-endian binary numbers (PS3.8 §9.3.1), so both
// classes use DataView's default byte order.

/** A growable writer for the association PDUs; lengths are reserved first and patched at the end. */
export class ByteWriter {
  #buf: Uint8Array;
  #view: DataView;
  #pos = 0;

  constructor(initialSize = 512) {
    this.#buf = new Uint8Array(initialSize);
    this.#view = new DataView(this.#buf.buffer);
  }

  get position(): number {
    return this.#pos;
  }

  #ensure(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#pos));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }

  u8(value: number, what: string): void {
    checkRange(value, 0xff, what);
    this.#ensure(1);
    this.#buf[this.#pos++] = value;
  }

  u16(value: number, what: string): void {
    checkRange(value, 0xffff, what);
    this.#ensure(2);
    this.#view.setUint16(this.#pos, value);
    this.#pos += 2;
  }

  u32(value: number, what: string): void {
    checkRange(value, 0xffffffff, what);
    this.#ensure(4);
    this.#view.setUint32(this.#pos, value);
    this.#pos += 4;
  }

  zeros(n: number): void {
    this.#ensure(n);
    this.#buf.fill(0, this.#pos, this.#pos + n);
    this.#pos += n;
  }

  bytes(data: Uint8Array): void {
    this.#ensure(data.length);
    this.#buf.set(data, this.#pos);
    this.#pos += data.length;
  }

  /** Characters already checked to be ASCII by the caller. */
  ascii(text: string): void {
    this.#ensure(text.length);
    for (let i = 0; i < text.length; i++) this.#buf[this.#pos++] = text.charCodeAt(i);
  }

  /** Reserves a 2-byte length field; closeLength16 fills it with the byte count written after it. */
  openLength16(): number {
    this.#ensure(2);
    this.#pos += 2;
    return this.#pos - 2;
  }

  closeLength16(at: number, what: string): void {
    const length = this.#pos - at - 2;
    if (length > 0xffff) {
      throw new DicomError(
        'ERR_VALUE_TOO_LARGE',
        `${what} is ${length} bytes, more than its 2-byte length field can hold (65535)`,
      );
    }
    this.#view.setUint16(at, length);
  }

  openLength32(): number {
    this.#ensure(4);
    this.#pos += 4;
    return this.#pos - 4;
  }

  closeLength32(at: number, what: string): void {
    const length = this.#pos - at - 4;
    if (length > 0xffffffff) {
      throw new DicomError('ERR_VALUE_TOO_LARGE', `${what} is ${length} bytes, more than 2^32-1`);
    }
    this.#view.setUint32(at, length);
  }

  /** The bytes written, in a buffer of their own. */
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#pos);
  }
}

function checkRange(value: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new DicomError('ERR_INVALID_VALUE', `${what} must be an integer 0-${max}, got ${value}`);
  }
}

/**
 * A bounded reader over one PDU. `end` is the end of the structure being read (the PDU, an
 * item, a sub-item), so a length that runs past its parent fails here rather than reading the
 * sibling's bytes. Offsets are relative to the start of the PDU.
 */
export class ByteReader {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  pos: number;
  end: number;

  constructor(bytes: Uint8Array, pos = 0, end = bytes.length) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = pos;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  need(n: number, what: string): void {
    if (n > this.end - this.pos) {
      throw new PduError(
        `${what} needs ${n} bytes but only ${this.end - this.pos} are left in its parent`,
        ABORT_REASON.INVALID_PDU_PARAMETER_VALUE,
        this.pos,
      );
    }
  }

  u8(what: string): number {
    this.need(1, what);
    return this.bytes[this.pos++]!;
  }

  u16(what: string): number {
    this.need(2, what);
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }

  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  skip(n: number, what: string): void {
    this.need(n, what);
    this.pos += n;
  }

  /** A copy: association parameters outlive the receive buffer, which a transport may reuse. */
  copy(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = this.bytes.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** n bytes as Latin-1 text (these fields are ISO 646, so ASCII in practice). */
  text(n: number, what: string): string {
    this.need(n, what);
    let s = '';
    const stop = this.pos + n;
    for (let i = this.pos; i < stop; i++) s += String.fromCharCode(this.bytes[i]!);
    this.pos = stop;
    return s;
  }

  /**
   * A UID field. PS3.8 §9.3.2.2.1 says UIDs in items are not padded, but some peers pad them to
   * even length with NUL (PS3.5 §9.1) or with a space: either is stripped.
   */
  uid(n: number, what: string): string {
    return this.text(n, what).replace(/[\0 ]+$/, '');
  }
}
