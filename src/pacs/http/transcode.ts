import { findTransferSyntax } from '../../encoding/index.ts';
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
 * Writes the stored instance at `path`, re-encoded for `target`, to the file `out`, a frame
 * at a time (`transcodeFile`); answers the copy's data set.
 */
export async function writeTranscoded(path: string, target: string, out: string): Promise<DataSet> {
  const pixel = await pixelWithNodeCodecs();
  const { transcodeFile } = await import('../../pixel/transcode-file.node.ts');
  return transcodeFile(path, out, target, { codecs: pixel.defaultCodecs });
}
