import { findTransferSyntax } from '../encoding/transfer-syntax.ts';
import type { DataSet } from '../object/dataset.ts';
import { readDicomFile, writeDicomFile } from '../object/file.node.ts';
import { fileBulkSource } from './bulk-source.node.ts';
import { type CodecRegistry, defaultCodecs } from './codecs/registry.ts';
import { PIXEL_DATA } from './description.ts';
import { FileFrameSink } from './frame-sink.node.ts';
import { compressPixelData, decompressPixelData } from './transcode.ts';

/** Values longer than this stay in the input file while transcoding (pixel data, mostly). */
const BULK_THRESHOLD = 256 * 1024;

/**
 * Writes the DICOM file `input` to `output` in `transferSyntaxUid`: pixel data decoded from a
 * compressed syntax, or encoded into one (a lossy encoding gets a new SOP Instance UID, PS3.3
 * §C.7.6.1.1.5), other syntaxes re-encoded. One frame at a time: frames are read from the
 * input file and the transcoded ones kept in a scratch file beside `output` (removed once it
 * is written), so a multi-gigabyte object costs a frame of memory. Answers the written data
 * set, whose bulk values are no longer readable, for what the caller lists of it. `codecs`:
 * the registry to use (default: the default one, with Node's worker codecs if registered).
 */
export async function transcodeFile(
  input: string,
  output: string,
  transferSyntaxUid: string,
  options: { codecs?: CodecRegistry } = {},
): Promise<DataSet> {
  const file = await readDicomFile(input, { bulkDataThreshold: BULK_THRESHOLD });
  const pixelData = file.dataset.element(PIXEL_DATA);
  const sink = await FileFrameSink.create(`${output}.frames.part`);
  try {
    const frameOptions = { codecs: options.codecs ?? defaultCodecs, bulkSource: fileBulkSource, sink };
    let dataset = file.dataset;
    if (findTransferSyntax(transferSyntaxUid)?.encapsulated) {
      if (pixelData) dataset = await compressPixelData(file, transferSyntaxUid, frameOptions);
    } else if (pixelData?.fragments) {
      dataset = await decompressPixelData(file, frameOptions);
    }
    await writeDicomFile(output, dataset, { transferSyntax: transferSyntaxUid });
    return dataset;
  } finally {
    await sink.remove();
  }
}
