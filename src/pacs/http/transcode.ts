import { PIXEL_DATA } from '../../core/index.ts';
import { findTransferSyntax } from '../../encoding/index.ts';
import { readDicomFile } from '../../object/file.node.ts';
import type { DataSet } from '../../object/index.ts';
import { pixelWithNodeCodecs } from '../../pixel/codecs/load.node.ts';
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

/**
 * The stored instance at `path` re-encoded for `target`: pixel data decoded from a compressed
 * syntax, or encoded into one (a lossy encoding gets a new SOP Instance UID, PS3.3
 * §C.7.6.1.1.5); the caller writes it with `{ transferSyntax: target }`.
 */
export async function transcodedDataSet(path: string, target: string): Promise<DataSet> {
  const pixel = await pixelWithNodeCodecs();
  const file = await readDicomFile(path);
  const pixelData = file.dataset.element(PIXEL_DATA);
  if (findTransferSyntax(target)!.encapsulated) {
    if (!pixelData) return file.dataset;
    return pixel.compressPixelData(file, target, { codecs: pixel.defaultCodecs });
  }
  if (pixelData?.fragments) return pixel.decompressPixelData(file, { codecs: pixel.defaultCodecs });
  return file.dataset;
}
