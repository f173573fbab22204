import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { TRANSFER_SYNTAX_UID } from '../core/tag.ts';
import { EXPLICIT_VR_LITTLE_ENDIAN, transferSyntax } from '../encoding/transfer-syntax.ts';
import { parseDump } from '../object/dump-parse.ts';
import { writeDicomFile } from '../object/file.node.ts';
import type { DicomFile } from '../object/part10.ts';
import { latin1 } from '../object/values.ts';
import { COMMON_ALIASES, type DcmtkAliases } from './common/dcmtk-args.ts';
import { describeError, EXIT } from './common/exit.ts';

export const DUMP2DCM_ALIASES: DcmtkAliases = {
  ...COMMON_ALIASES,
  '+F': '--write-file',
  '-F': '--write-dataset',
  '+t=': '--write-xfer-same',
  '+te': '--write-xfer-little',
  '+tb': '--write-xfer-big',
  '+ti': '--write-xfer-implicit',
  '+td': '--write-xfer-deflated',
  '+e': '--length-explicit',
  '-e': '--length-undefined',
  '+g=': '--group-length-recalc',
  '-g': '--group-length-remove',
};

interface Dump2dcmOptions {
  writeDataset?: boolean;
  writeXferLittle?: boolean;
  writeXferBig?: boolean;
  writeXferImplicit?: boolean;
  writeXferDeflated?: boolean;
  lengthUndefined?: boolean;
  groupLengthRemove?: boolean;
  quiet?: boolean;
  debug?: boolean;
}

export function dump2dcmCommand(): Command {
  return new Command('dump2dcm')
    .description('convert a DCMTK-style text dump to a DICOM file')
    .argument(
      '<dumpfile-in>',
      'dump input (dcmdump layout, e.g. "(0008,0052) CS [PATIENT] # QueryRetrieveLevel")',
    )
    .argument('<dcmfile-out>', 'DICOM output file')
    .option('--write-file', 'write file format with meta information (DCMTK +F, default)')
    .option('--write-dataset', 'write a data set without meta information (DCMTK -F)')
    .option(
      '--write-xfer-same',
      'write in the transfer syntax of the dump meta, else explicit LE (DCMTK +t=, default)',
    )
    .option('--write-xfer-little', 'write explicit VR little endian (DCMTK +te)')
    .option('--write-xfer-big', 'write explicit VR big endian (DCMTK +tb)')
    .option('--write-xfer-implicit', 'write implicit VR little endian (DCMTK +ti)')
    .option('--write-xfer-deflated', 'write deflated explicit VR little endian (DCMTK +td)')
    .option('--length-explicit', 'write sequences and items with explicit length (DCMTK +e, default)')
    .option('--length-undefined', 'write sequences and items with undefined length (DCMTK -e)')
    .option('--group-length-recalc', 'recalculate group lengths present (DCMTK +g=, default)')
    .option('--group-length-remove', 'write without group lengths (DCMTK -g)')
    .option('-q, --quiet', 'print no warnings and errors')
    .option('-v, --verbose', 'print processing details')
    .option('-d, --debug', 'print debug information')
    .action(async (input: string, output: string, options: Dump2dcmOptions) => {
      try {
        // A dump is UTF-8 (dicomkit dump, dcmdump +U8) or, when that does not decode, the
        // raw bytes of each value as dcmdump prints them without +U8.
        const bytes = await readFile(input);
        let parsed: ReturnType<typeof parseDump>;
        try {
          parsed = parseDump(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
        } catch (error) {
          if (!(error instanceof TypeError)) throw error;
          parsed = parseDump(latin1(bytes), { rawBytes: true });
        }
        const fromMeta = parsed.meta.string(TRANSFER_SYNTAX_UID);
        const uid = options.writeXferBig
          ? '1.2.840.10008.1.2.2'
          : options.writeXferImplicit
            ? '1.2.840.10008.1.2'
            : options.writeXferDeflated
              ? '1.2.840.10008.1.2.1.99'
              : options.writeXferLittle
                ? EXPLICIT_VR_LITTLE_ENDIAN
                : (fromMeta ?? EXPLICIT_VR_LITTLE_ENDIAN);
        const file: DicomFile = {
          meta: parsed.meta,
          dataset: parsed.dataset,
          transferSyntax: transferSyntax(uid),
          hasMeta: parsed.meta.size > 0,
          dataSetOffset: 0,
          warnings: [],
        };
        await writeDicomFile(output, file, {
          transferSyntax: uid,
          withoutMeta: options.writeDataset ?? false,
          sequenceLength: options.lengthUndefined ? 'undefined' : 'defined',
          groupLength: options.groupLengthRemove ? 'remove' : 'keep',
        });
      } catch (error) {
        if (!options.quiet)
          process.stderr.write(`E: dicomkit dump2dcm: ${describeError(error, options.debug)}\n`);
        process.exitCode = EXIT.inputFile;
      }
    });
}
