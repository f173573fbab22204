import { PIXEL_DATA } from '../../core/index.ts';
import { findTransferSyntax } from '../../encoding/index.ts';
import { readDicomFile, writeDicomFile } from '../../object/file.node.ts';
import type { DataSet } from '../../object/index.ts';
import { fileBulkSource } from '../../pixel/bulk-source.node.ts';
import { pixelWithNodeCodecs } from '../../pixel/codecs/load.node.ts';
import { FileFrameSink } from '../../pixel/frame-sink.node.ts';
import { badRequest } from './errors.ts';

/**
 * Downloads in another transfer syntax, as Orthanc's `?transcode=` (archive, media, file) and
 * `"Transcode"` (/tools/create-*): for a tool that cannot read what was stored (JPEG 2000
 * from a modality, say) or to make a study smaller. Files are stored as received; these are
 * copies made for the download.
 */

/** A transfer syntax the PACS can write a file in: native, or one a codec encodes. */
export async function transcodeTarget(value: unknown, key = 'transcode'): Promise<string | undefined> {
  if (value === undefined) return undefined;
  const uid = typeof value === 'string' ? value.trim() : '';
  const ts = findTransferSyntax(uid);
  if (!ts) throw badRequest(`${key} must be a transfer syntax UID, not ${JSON.stringify(value)}`);
  if (ts.encapsulated) {
    const { defaultCodecs } = await pixelWithNodeCodecs();
    if (!defaultCodecs.find(uid)?.encode)
      throw badRequest(`${key}: ${ts.name} is a syntax this PACS cannot encode`);
  }
  return uid;
}

/** Values longer than this stay in the stored file while transcoding (pixel data, mostly). */
const BULK_THRESHOLD = 256 * 1024;

/**
 * Writes the stored instance at `path`, re-encoded for `target`, to the file `out`: pixel data
 * decoded from a compressed syntax, or encoded into one (a lossy encoding gets a new SOP
 * Instance UID, PS3.3 §C.7.6.1.1.5). One frame at a time: frames are read from the stored
 * file and the transcoded ones kept in a scratch file beside `out` until it is written, so a
 * multi-gigabyte object costs a frame of memory. Answers the copy's data set (its bulk
 * values no longer readable) for what the caller lists of it.
 */
export async function writeTranscoded(path: string, target: string, out: string): Promise<DataSet> {
  const pixel = await pixelWithNodeCodecs();
  const file = await readDicomFile(path, { bulkDataThreshold: BULK_THRESHOLD });
  const pixelData = file.dataset.element(PIXEL_DATA);
  const sink = await FileFrameSink.create(`${out}.frames`);
  try {
    const options = { codecs: pixel.defaultCodecs, bulkSource: fileBulkSource, sink };
    let dataset = file.dataset;
    if (findTransferSyntax(target)!.encapsulated) {
      if (pixelData) dataset = await pixel.compressPixelData(file, target, options);
    } else if (pixelData?.fragments) {
      dataset = await pixel.decompressPixelData(file, options);
    }
    await writeDicomFile(out, dataset, { transferSyntax: target });
    return dataset;
  } finally {
    await sink.remove();
  }
}
