import { readFile } from 'node:fs/promises';
import { DicomError } from '../../core/index.ts';
import { crc32 } from '../../pixel/index.ts';

/**
 * A stored (uncompressed) ZIP archive written as a stream, one file in memory at a time:
 * DICOM pixel data rarely deflates well and the client wants the files as they are. Without
 * ZIP64, archives stop at 4 GiB and 65,535 entries (APPNOTE 4.3); larger ones are refused.
 */
export async function* zipStream(
  entries: readonly { name: string; path: string }[],
): AsyncGenerator<Uint8Array> {
  if (entries.length > 0xffff)
    throw new DicomError('ERR_VALUE_TOO_LARGE', 'more than 65,535 files: ZIP64 is not supported');
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const entry of entries) {
    const data = new Uint8Array(await readFile(entry.path));
    const name = new TextEncoder().encode(entry.name);
    const crc = crc32(data);
    if (offset + data.length + 30 + name.length > 0xffffffff) {
      throw new DicomError('ERR_VALUE_TOO_LARGE', 'the archive would exceed 4 GiB: ZIP64 is not supported');
    }
    const local = new Uint8Array(30 + name.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(6, 0x0800, true); // names are UTF-8
    lv.setUint16(8, 0, true); // stored
    lv.setUint16(12, 0x21, true); // 1980-01-01
    lv.setUint32(14, crc, true);
    lv.setUint32(18, data.length, true);
    lv.setUint32(22, data.length, true);
    lv.setUint16(26, name.length, true);
    local.set(name, 30);
    const header = new Uint8Array(46 + name.length);
    const cv = new DataView(header.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(8, 0x0800, true);
    cv.setUint16(14, 0x21, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, data.length, true);
    cv.setUint32(24, data.length, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, offset, true);
    header.set(name, 46);
    central.push(header);
    yield local;
    yield data;
    offset += local.length + data.length;
  }
  let size = 0;
  for (const c of central) {
    yield c;
    size += c.length;
  }
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, entries.length, true);
  ev.setUint16(10, entries.length, true);
  ev.setUint32(12, size, true);
  ev.setUint32(16, offset, true);
  yield end;
}
