import * as zlib from 'node:zlib';
import { DicomError } from '../../core/index.ts';
import { closeAsync, fstatAsync, openAsync, readFully } from '../../object/fd-io.node.ts';
import { crc32 as tableCrc32 } from '../../pixel/index.ts';

/**
 * A stored (uncompressed) ZIP archive written as a stream (APPNOTE.TXT 6.3), for downloads
 * of studies: DICOM pixel data rarely deflates well and the client wants the files as they
 * are. Memory stays bounded: a file up to 8 MiB is read once; a larger one twice in 1 MiB
 * pieces, once for its CRC-32 (the local header carries it, so no data descriptor is needed
 * and streaming unzippers cope), once for its bytes.
 *
 * An archive of 4 GiB or more, or of more than 65,534 files, uses the ZIP64 extensions
 * (APPNOTE 4.3.14, 4.5.3) where a field overflows: a file of 4 GiB or more has its sizes in a
 * ZIP64 extra field (local and central headers), a file starting past 4 GiB its offset, and
 * the end records gain the ZIP64 end of central directory record and its locator. Archives
 * that fit stay plain ZIP, which every unzipper reads.
 */

/** A file to put in the archive, with the size it had when the archive was planned. */
export interface ZipEntry {
  /** Name inside the archive ('/' separated, UTF-8). */
  name: string;
  /** The file to read; or */
  path?: string;
  /** the bytes themselves (a DICOMDIR made for the archive). */
  bytes?: Uint8Array;
  size: number;
}

export interface ZipOptions {
  modified?: Date;
  /** ZIP64 records for every file and the end, needed or not (tests of the format). */
  forceZip64?: boolean;
}

const LOCAL_HEADER = 30;
const CENTRAL_HEADER = 46;
const END_RECORD = 22;
const ZIP64_END_RECORD = 56;
const ZIP64_LOCATOR = 20;
const ZIP64_EXTRA_ID = 0x0001;
/** A 16-bit count or 32-bit size/offset at this value is in the ZIP64 records instead. */
const MAX_16 = 0xffff;
const MAX_32 = 0xffffffff;
const PIECE = 1 << 20;
/** Files up to this size are read once and kept in memory until sent. */
const SINGLE_READ = 8 << 20;
const UTF8_NAMES = 0x0800;
/** Version needed to extract: 1.0 for stored files, 4.5 with ZIP64 (APPNOTE 4.4.3.2). */
const VERSION_STORED = 10;
const VERSION_ZIP64 = 45;

// zlib.crc32 is native (Node >= 20.15); the table one from the PNG writer otherwise.
const crc32: (data: Uint8Array, value?: number) => number =
  typeof zlib.crc32 === 'function' ? zlib.crc32 : tableCrc32;

/** Where each file goes and which of its fields overflow into ZIP64 records. */
interface PlannedEntry {
  entry: ZipEntry;
  name: Uint8Array;
  offset: number;
  /** Sizes in the ZIP64 extra field (local and central headers). */
  bigSize: boolean;
  /** Local header offset in the central header's ZIP64 extra field. */
  bigOffset: boolean;
}

interface Plan {
  entries: PlannedEntry[];
  centralOffset: number;
  centralSize: number;
  /** The end records include the ZIP64 ones. */
  zip64: boolean;
  size: number;
}

function plan(entries: readonly ZipEntry[], force: boolean): Plan {
  const planned: PlannedEntry[] = [];
  let offset = 0;
  let centralSize = 0;
  let anyBig = false;
  for (const entry of entries) {
    const name = utf8(entry.name);
    const bigSize = force || entry.size >= MAX_32;
    const bigOffset = force || offset >= MAX_32;
    anyBig ||= bigSize || bigOffset;
    planned.push({ entry, name, offset, bigSize, bigOffset });
    offset += LOCAL_HEADER + name.length + (bigSize ? 20 : 0) + entry.size;
    centralSize += CENTRAL_HEADER + name.length + centralExtraLength(bigSize, bigOffset);
  }
  const zip64 = force || anyBig || entries.length >= MAX_16 || offset >= MAX_32 || centralSize >= MAX_32;
  const size = offset + centralSize + (zip64 ? ZIP64_END_RECORD + ZIP64_LOCATOR : 0) + END_RECORD;
  return { entries: planned, centralOffset: offset, centralSize, zip64, size };
}

/** The plan, refused (ERR_VALUE_TOO_LARGE) when its size is past what a number counts exactly. */
function checkedPlan(entries: readonly ZipEntry[], options: ZipOptions): Plan {
  const layout = plan(entries, options.forceZip64 ?? false);
  if (!Number.isSafeInteger(layout.size)) {
    throw new DicomError('ERR_VALUE_TOO_LARGE', `the archive would be ${layout.size} bytes`);
  }
  return layout;
}

function centralExtraLength(bigSize: boolean, bigOffset: boolean): number {
  const fields = (bigSize ? 2 : 0) + (bigOffset ? 1 : 0);
  return fields === 0 ? 0 : 4 + 8 * fields;
}

/** The archive's exact size, and whether it uses ZIP64. */
export function zipLayout(
  entries: readonly ZipEntry[],
  options: ZipOptions = {},
): { size: number; zip64: boolean } {
  const { size, zip64 } = checkedPlan(entries, options);
  return { size, zip64 };
}

/** The archive's bytes; each file must still have its planned size (ERR_IO otherwise). */
export async function* zipStream(
  entries: readonly ZipEntry[],
  options: ZipOptions = {},
): AsyncGenerator<Uint8Array> {
  const layout = checkedPlan(entries, options);
  const { date, time } = dosDateTime(options.modified ?? new Date());
  const central: Uint8Array[] = [];
  const ahead = new ReadAhead(layout.entries);
  for (const [index, { entry, name, offset, bigSize, bigOffset }] of layout.entries.entries()) {
    const loaded = entry.bytes ? undefined : ahead.take(index);
    const fd = entry.bytes || loaded ? undefined : await openSized(entry);
    try {
      let crc = 0;
      let whole: Uint8Array | undefined;
      if (loaded) {
        ({ bytes: whole, crc } = await loaded);
      } else if (fd === undefined) {
        whole = entry.bytes!;
        crc = crc32(whole);
      } else {
        const piece = new Uint8Array(PIECE);
        for (let at = 0; at < entry.size; at += PIECE) {
          const length = Math.min(PIECE, entry.size - at);
          crc = crc32(await readExactly(fd, entry, at, piece.subarray(0, length)), crc);
        }
      }
      const localExtra = bigSize ? 20 : 0;
      const local = new Uint8Array(LOCAL_HEADER + name.length + localExtra);
      const lv = new DataView(local.buffer);
      lv.setUint32(0, 0x04034b50, true);
      lv.setUint16(4, bigSize ? VERSION_ZIP64 : VERSION_STORED, true);
      lv.setUint16(6, UTF8_NAMES, true);
      lv.setUint16(8, 0, true); // method: stored
      lv.setUint16(10, time, true);
      lv.setUint16(12, date, true);
      lv.setUint32(14, crc, true);
      lv.setUint32(18, bigSize ? MAX_32 : entry.size, true);
      lv.setUint32(22, bigSize ? MAX_32 : entry.size, true);
      lv.setUint16(26, name.length, true);
      lv.setUint16(28, localExtra, true);
      local.set(name, LOCAL_HEADER);
      if (bigSize) {
        // The local ZIP64 extra holds both sizes (APPNOTE 4.5.3).
        const at = LOCAL_HEADER + name.length;
        lv.setUint16(at, ZIP64_EXTRA_ID, true);
        lv.setUint16(at + 2, 16, true);
        lv.setBigUint64(at + 4, BigInt(entry.size), true);
        lv.setBigUint64(at + 12, BigInt(entry.size), true);
      }
      yield local;
      if (whole) {
        yield whole;
      } else {
        for (let at = 0; at < entry.size; at += PIECE) {
          yield await readExactly(fd!, entry, at, new Uint8Array(Math.min(PIECE, entry.size - at)));
        }
      }
      const extra = centralExtraLength(bigSize, bigOffset);
      const header = new Uint8Array(CENTRAL_HEADER + name.length + extra);
      const cv = new DataView(header.buffer);
      cv.setUint32(0, 0x02014b50, true);
      cv.setUint16(4, (3 << 8) | (extra > 0 ? VERSION_ZIP64 : 20), true); // made by: UNIX
      cv.setUint16(6, extra > 0 ? VERSION_ZIP64 : VERSION_STORED, true);
      cv.setUint16(8, UTF8_NAMES, true);
      cv.setUint16(10, 0, true);
      cv.setUint16(12, time, true);
      cv.setUint16(14, date, true);
      cv.setUint32(16, crc, true);
      cv.setUint32(20, bigSize ? MAX_32 : entry.size, true);
      cv.setUint32(24, bigSize ? MAX_32 : entry.size, true);
      cv.setUint16(28, name.length, true);
      cv.setUint16(30, extra, true);
      cv.setUint32(38, (0o100644 << 16) >>> 0, true); // external attributes: a regular file, rw-r--r--
      cv.setUint32(42, bigOffset ? MAX_32 : offset, true);
      header.set(name, CENTRAL_HEADER);
      if (extra > 0) {
        // Only the fields set to 0xFFFFFFFF above, in this order (APPNOTE 4.5.3).
        let at = CENTRAL_HEADER + name.length;
        cv.setUint16(at, ZIP64_EXTRA_ID, true);
        cv.setUint16(at + 2, extra - 4, true);
        at += 4;
        if (bigSize) {
          cv.setBigUint64(at, BigInt(entry.size), true);
          cv.setBigUint64(at + 8, BigInt(entry.size), true);
          at += 16;
        }
        if (bigOffset) cv.setBigUint64(at, BigInt(offset), true);
      }
      central.push(header);
    } finally {
      if (fd !== undefined) await closeAsync(fd);
    }
  }
  for (const header of central) yield header;
  yield* endRecords(layout, entries.length);
}

/** Files read ahead of the one being sent, and the bytes they may hold between them. */
const AHEAD_FILES = 8;
const AHEAD_BYTES = 32 << 20;

/**
 * The next files up to 8 MiB, read whole (with their CRC-32) while the current one is sent.
 * Read one after the other, each small file's open, stat, read and close were four
 * thread-pool round trips in a row: a study of 2,000 ~5 KB instances took ~0.8 s to
 * download, ~12 MB/s. A read that fails is reported when its file's turn comes.
 */
class ReadAhead {
  readonly #entries: readonly PlannedEntry[];
  readonly #loading = new Map<number, Promise<{ bytes: Uint8Array; crc: number }>>();
  #next = 0;
  #bytes = 0;

  constructor(entries: readonly PlannedEntry[]) {
    this.#entries = entries;
  }

  /** The file at `index`, read whole, or undefined for one too large (read in pieces by the caller). */
  take(index: number): Promise<{ bytes: Uint8Array; crc: number }> | undefined {
    this.#fill(index);
    const loading = this.#loading.get(index);
    if (loading) {
      this.#loading.delete(index);
      this.#bytes -= this.#entries[index]!.entry.size;
    }
    this.#fill(index + 1);
    return loading;
  }

  #fill(from: number): void {
    this.#next = Math.max(this.#next, from);
    while (this.#next < this.#entries.length && this.#next < from + AHEAD_FILES) {
      const { entry } = this.#entries[this.#next]!;
      if (entry.path !== undefined && entry.size <= SINGLE_READ) {
        // One file at least is always read, whatever its size.
        if (this.#loading.size > 0 && this.#bytes + entry.size > AHEAD_BYTES) return;
        const loading = readWhole(entry);
        // Awaited when its turn comes; until then a failure must not count as unhandled.
        loading.catch(() => {});
        this.#loading.set(this.#next, loading);
        this.#bytes += entry.size;
      }
      this.#next++;
    }
  }
}

async function readWhole(entry: ZipEntry): Promise<{ bytes: Uint8Array; crc: number }> {
  const fd = await openSized(entry);
  try {
    const bytes = await readExactly(fd, entry, 0, new Uint8Array(entry.size));
    return { bytes, crc: crc32(bytes) };
  } finally {
    await closeAsync(fd);
  }
}

/** The end of central directory record, after the ZIP64 one and its locator when needed. */
function* endRecords(layout: Plan, count: number): Generator<Uint8Array> {
  const { centralOffset, centralSize, zip64 } = layout;
  if (zip64) {
    const record = new Uint8Array(ZIP64_END_RECORD + ZIP64_LOCATOR);
    const v = new DataView(record.buffer);
    v.setUint32(0, 0x06064b50, true);
    // Size of the record after this field (APPNOTE 4.3.14.1).
    v.setBigUint64(4, BigInt(ZIP64_END_RECORD - 12), true);
    v.setUint16(12, (3 << 8) | VERSION_ZIP64, true);
    v.setUint16(14, VERSION_ZIP64, true);
    // This disk and the disk with the central directory: 0 (one file).
    v.setBigUint64(24, BigInt(count), true);
    v.setBigUint64(32, BigInt(count), true);
    v.setBigUint64(40, BigInt(centralSize), true);
    v.setBigUint64(48, BigInt(centralOffset), true);
    // The locator (APPNOTE 4.3.15): where the ZIP64 end record starts; one disk.
    v.setUint32(56, 0x07064b50, true);
    v.setBigUint64(64, BigInt(centralOffset + centralSize), true);
    v.setUint32(72, 1, true);
    yield record;
  }
  const end = new Uint8Array(END_RECORD);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  const shownCount = zip64 && count >= MAX_16 ? MAX_16 : count;
  ev.setUint16(8, shownCount, true);
  ev.setUint16(10, shownCount, true);
  ev.setUint32(12, zip64 && centralSize >= MAX_32 ? MAX_32 : centralSize, true);
  ev.setUint32(16, zip64 && centralOffset >= MAX_32 ? MAX_32 : centralOffset, true);
  yield end;
}

function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** MS-DOS date and time (APPNOTE 4.4.6), local time, 2-second resolution, from 1980. */
function dosDateTime(when: Date): { date: number; time: number } {
  const year = Math.max(1980, Math.min(2107, when.getFullYear()));
  return {
    date: ((year - 1980) << 9) | ((when.getMonth() + 1) << 5) | when.getDate(),
    time: (when.getHours() << 11) | (when.getMinutes() << 5) | (when.getSeconds() >> 1),
  };
}

/** Opens a file and checks it still has the size the archive was planned with. */
async function openSized(entry: ZipEntry): Promise<number> {
  let fd: number;
  try {
    fd = await openAsync(entry.path!, 'r');
  } catch (error) {
    throw new DicomError('ERR_IO', `${entry.name}: ${(error as Error).message}`, { cause: error });
  }
  let size: number;
  try {
    ({ size } = await fstatAsync(fd));
  } catch (error) {
    await closeAsync(fd);
    throw error;
  }
  if (size !== entry.size) {
    await closeAsync(fd);
    throw new DicomError(
      'ERR_IO',
      `${entry.name} changed while being archived (${size} bytes, not ${entry.size})`,
    );
  }
  return fd;
}

/** `bytes` filled from `position` of the file. */
async function readExactly(
  fd: number,
  entry: ZipEntry,
  position: number,
  bytes: Uint8Array,
): Promise<Uint8Array> {
  await readFully(fd, bytes, position, `${entry.name} (while being archived)`);
  return bytes;
}
