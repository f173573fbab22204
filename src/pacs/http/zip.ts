import { type FileHandle, open } from 'node:fs/promises';
import * as zlib from 'node:zlib';
import { DicomError } from '../../core/index.ts';
import { crc32 as tableCrc32 } from '../../pixel/index.ts';

/**
 * A stored (uncompressed) ZIP archive written as a stream (APPNOTE.TXT 6.3), for downloads
 * of studies: DICOM pixel data rarely deflates well and the client wants the files as they
 * are. Memory stays bounded: a file up to 8 MiB is read once; a larger one twice in 1 MiB
 * pieces, once for its CRC-32 (the local header carries it, so no data descriptor is needed
 * and streaming unzippers cope), once for its bytes. Without ZIP64 an archive stops at 4 GiB
 * and 65,535 entries; `zipLayout` refuses larger ones before a byte is sent.
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

const LOCAL_HEADER = 30;
const CENTRAL_HEADER = 46;
const END_RECORD = 22;
const MAX_ENTRIES = 0xffff;
const MAX_OFFSET = 0xffffffff;
const PIECE = 1 << 20;
/** Files up to this size are read once and kept in memory until sent. */
const SINGLE_READ = 8 << 20;
const UTF8_NAMES = 0x0800;

// zlib.crc32 is native (Node >= 20.15); the table one from the PNG writer otherwise.
const crc32: (data: Uint8Array, value?: number) => number =
  typeof zlib.crc32 === 'function' ? zlib.crc32 : tableCrc32;

/** The archive's exact size; throws ERR_VALUE_TOO_LARGE when it needs ZIP64. */
export function zipLayout(entries: readonly ZipEntry[]): { size: number } {
  if (entries.length > MAX_ENTRIES) {
    throw new DicomError(
      'ERR_VALUE_TOO_LARGE',
      `${entries.length} files: a ZIP archive without ZIP64 holds at most 65,535`,
    );
  }
  let offset = 0;
  let central = 0;
  for (const entry of entries) {
    const name = utf8(entry.name).length;
    offset += LOCAL_HEADER + name + entry.size;
    central += CENTRAL_HEADER + name;
  }
  const size = offset + central + END_RECORD;
  if (offset + central > MAX_OFFSET) {
    throw new DicomError(
      'ERR_VALUE_TOO_LARGE',
      `the archive would be ${size} bytes: a ZIP archive without ZIP64 stops at 4 GiB`,
    );
  }
  return { size };
}

/** The archive's bytes; each file must still have its planned size (ERR_IO otherwise). */
export async function* zipStream(
  entries: readonly ZipEntry[],
  options: { modified?: Date } = {},
): AsyncGenerator<Uint8Array> {
  zipLayout(entries);
  const { date, time } = dosDateTime(options.modified ?? new Date());
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = utf8(entry.name);
    const handle = entry.bytes ? undefined : await openSized(entry);
    try {
      let crc = 0;
      let whole: Uint8Array | undefined;
      if (!handle) {
        whole = entry.bytes!;
        crc = crc32(whole);
      } else if (entry.size <= SINGLE_READ) {
        whole = await readExactly(handle, entry, 0, entry.size);
        crc = crc32(whole);
      } else {
        const piece = new Uint8Array(PIECE);
        for (let at = 0; at < entry.size; at += PIECE) {
          const length = Math.min(PIECE, entry.size - at);
          crc = crc32(await readExactly(handle, entry, at, length, piece), crc);
        }
      }
      const local = new Uint8Array(LOCAL_HEADER + name.length);
      const lv = new DataView(local.buffer);
      lv.setUint32(0, 0x04034b50, true);
      lv.setUint16(4, 10, true); // version needed: 1.0, stored
      lv.setUint16(6, UTF8_NAMES, true);
      lv.setUint16(8, 0, true); // method: stored
      lv.setUint16(10, time, true);
      lv.setUint16(12, date, true);
      lv.setUint32(14, crc, true);
      lv.setUint32(18, entry.size, true);
      lv.setUint32(22, entry.size, true);
      lv.setUint16(26, name.length, true);
      local.set(name, LOCAL_HEADER);
      yield local;
      if (whole) {
        yield whole;
      } else {
        for (let at = 0; at < entry.size; at += PIECE) {
          const bytes = await readExactly(handle!, entry, at, Math.min(PIECE, entry.size - at));
          yield bytes;
        }
      }
      const header = new Uint8Array(CENTRAL_HEADER + name.length);
      const cv = new DataView(header.buffer);
      cv.setUint32(0, 0x02014b50, true);
      cv.setUint16(4, (3 << 8) | 20, true); // made by: UNIX, 2.0
      cv.setUint16(6, 10, true);
      cv.setUint16(8, UTF8_NAMES, true);
      cv.setUint16(10, 0, true);
      cv.setUint16(12, time, true);
      cv.setUint16(14, date, true);
      cv.setUint32(16, crc, true);
      cv.setUint32(20, entry.size, true);
      cv.setUint32(24, entry.size, true);
      cv.setUint16(28, name.length, true);
      cv.setUint32(38, (0o100644 << 16) >>> 0, true); // external attributes: a regular file, rw-r--r--
      cv.setUint32(42, offset, true);
      header.set(name, CENTRAL_HEADER);
      central.push(header);
      offset += local.length + entry.size;
    } finally {
      await handle?.close();
    }
  }
  let centralSize = 0;
  for (const header of central) {
    yield header;
    centralSize += header.length;
  }
  const end = new Uint8Array(END_RECORD);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, entries.length, true);
  ev.setUint16(10, entries.length, true);
  ev.setUint32(12, centralSize, true);
  ev.setUint32(16, offset, true);
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
async function openSized(entry: ZipEntry): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    handle = await open(entry.path!, 'r');
  } catch (error) {
    throw new DicomError('ERR_IO', `${entry.name}: ${(error as Error).message}`, { cause: error });
  }
  const size = (await handle.stat()).size;
  if (size !== entry.size) {
    await handle.close();
    throw new DicomError(
      'ERR_IO',
      `${entry.name} changed while being archived (${size} bytes, not ${entry.size})`,
    );
  }
  return handle;
}

async function readExactly(
  handle: FileHandle,
  entry: ZipEntry,
  position: number,
  length: number,
  into: Uint8Array = new Uint8Array(length),
): Promise<Uint8Array> {
  const bytes = into.subarray(0, length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(bytes, filled, length - filled, position + filled);
    if (bytesRead === 0) throw new DicomError('ERR_IO', `${entry.name} shrank while being archived`);
    filled += bytesRead;
  }
  return bytes;
}
