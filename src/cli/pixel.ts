import { writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { uidEntries } from '../dictionary/index.ts';
import { allTransferSyntaxes, findTransferSyntax, type TransferSyntax } from '../encoding/index.ts';
import { readDicomFile } from '../object/file.node.ts';
import { closeCodecWorkers, registerNodeCodecs } from '../pixel/codecs/node-codecs.node.ts';
import { defaultCodecs, encodePng, renderFrame } from '../pixel/index.ts';
import { transcodeFile } from '../pixel/transcode-file.node.ts';
import { describeError } from './common/exit.ts';

/** Short names for the syntaxes people transcode to; any UID or dictionary name works too. */
const SYNTAX_NAMES: Record<string, string> = {
  'explicit-little': '1.2.840.10008.1.2.1',
  'implicit-little': '1.2.840.10008.1.2',
  'explicit-big': '1.2.840.10008.1.2.2',
  deflated: '1.2.840.10008.1.2.1.99',
  rle: '1.2.840.10008.1.2.5',
  'jpeg-baseline': '1.2.840.10008.1.2.4.50',
  'jpeg-lossless': '1.2.840.10008.1.2.4.70',
  'jpeg-ls-lossless': '1.2.840.10008.1.2.4.80',
  'jpeg-ls-near-lossless': '1.2.840.10008.1.2.4.81',
  'j2k-lossless': '1.2.840.10008.1.2.4.90',
  j2k: '1.2.840.10008.1.2.4.91',
  'htj2k-lossless': '1.2.840.10008.1.2.4.201',
  'htj2k-lossless-rpcl': '1.2.840.10008.1.2.4.202',
  htj2k: '1.2.840.10008.1.2.4.203',
};

/** Lower case letters and digits only: 'JPEG-LS Lossless' and 'jpegls lossless' compare equal. */
const squash = (text: string) => text.toLowerCase().replace(/[^a-z0-9]/g, '');

/** A short name above, a UID, or the dictionary's keyword or name of a transfer syntax (PS3.6 Table A-1). */
export function syntaxOf(text: string): TransferSyntax {
  const wanted = squash(text);
  const uid =
    SYNTAX_NAMES[text.toLowerCase()] ??
    uidEntries().find(
      (e) => e.type === 'Transfer Syntax' && (squash(e.keyword) === wanted || squash(e.name) === wanted),
    )?.uid ??
    allTransferSyntaxes().find((ts) => squash(ts.name) === wanted)?.uid ??
    text;
  const found = findTransferSyntax(uid);
  if (!found || found.unknown) {
    throw new Error(
      `unknown transfer syntax '${text}' (names: ${Object.keys(SYNTAX_NAMES).join(', ')}; or a UID, keyword or name of PS3.6)`,
    );
  }
  return found;
}

function windowOf(text: string | undefined): { center: number; width: number } | undefined {
  if (!text) return undefined;
  const [center, width] = text.split(',').map(Number);
  if (!Number.isFinite(center) || !Number.isFinite(width) || width! <= 0)
    throw new Error('--window is CENTER,WIDTH');
  return { center: center!, width: width! };
}

/** `dicomkit render FILE -o out.png`: one frame through the grayscale or colour pipeline to PNG. */
export function renderCommand(): Command {
  return new Command('render')
    .description('render a frame to PNG: Modality LUT, VOI LUT or window, Presentation LUT (PS3.4 N.2)')
    .argument('<file>', 'DICOM file')
    .requiredOption('-o, --output <png>', 'PNG file to write')
    .option('--frame <n>', 'frame number, from 1', '1')
    .option('--window <center,width>', 'window to use instead of the stored one')
    .action(async (file: string, options: { output: string; frame: string; window?: string }) => {
      try {
        registerNodeCodecs(defaultCodecs);
        const dicom = await readDicomFile(file);
        const window = windowOf(options.window);
        const image = await renderFrame(dicom, Number(options.frame) - 1, window ? { window } : {});
        writeFileSync(options.output, encodePng(image));
      } catch (error) {
        process.stderr.write(`E: ${describeError(error)}\n`);
        process.exitCode = 1;
      } finally {
        await closeCodecWorkers();
      }
    });
}

/** `dicomkit transcode IN OUT --syntax NAME`: decode and re-encode pixel data (lossy results get a new UID). */
export function transcodeCommand(): Command {
  return new Command('transcode')
    .description('write a file in another transfer syntax: decode and re-encode the pixel data')
    .addHelpText(
      'after',
      `\nTransfer syntaxes (--syntax): a short name, its UID, or its PS3.6 keyword or name\n${Object.entries(
        SYNTAX_NAMES,
      )
        .map(([name, uid]) => `  ${name.padEnd(22)} ${uid.padEnd(24)} ${findTransferSyntax(uid)?.name ?? ''}`)
        .join(
          '\n',
        )}\nLossy results get Lossy Image Compression 01, its ratio and method, and a new SOP Instance UID.`,
    )
    .argument('<in>', 'DICOM file')
    .argument('<out>', 'DICOM file to write')
    .requiredOption('--syntax <name or UID>', 'the target transfer syntax')
    .action(async (input: string, output: string, options: { syntax: string }) => {
      try {
        registerNodeCodecs(defaultCodecs);
        const target = syntaxOf(options.syntax);
        // A frame at a time in memory, whatever the object's size.
        await transcodeFile(input, output, target.uid);
      } catch (error) {
        process.stderr.write(`E: ${describeError(error)}\n`);
        process.exitCode = 1;
      } finally {
        await closeCodecWorkers();
      }
    });
}
