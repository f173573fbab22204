import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { dataSetToJson, dicomJsonToString, jsonToDataSet } from '../json/index.ts';
import { readDicomFile, writeDicomFile } from '../object/file.node.ts';
import { describeError, EXIT } from './common/exit.ts';

export function jsonCommand(): Command {
  return new Command('json')
    .description('print DICOM files as DICOM JSON (PS3.18 Annex F)')
    .argument('<files...>', 'DICOM files')
    .option('--meta', 'include the file meta information group')
    .option('--compact', 'one line per file instead of indented JSON')
    .action(async (files: string[], options: { meta?: boolean; compact?: boolean }) => {
      for (const path of files) {
        try {
          const file = await readDicomFile(path);
          const json = dataSetToJson(file.dataset);
          const out = options.meta ? { ...dataSetToJson(file.meta), ...json } : json;
          // dicomJsonToString keeps keys in tag order; JSON.stringify would put index-like
          // keys such as '30060020' first (PS3.18 §F.2.2 wants them sorted).
          process.stdout.write(`${dicomJsonToString(out, options.compact ? undefined : 2)}\n`);
        } catch (error) {
          process.stderr.write(`E: dicomkit json: ${path}: ${describeError(error)}\n`);
          process.exitCode = EXIT.inputFile;
        }
      }
    });
}

export function json2dcmCommand(): Command {
  return new Command('json2dcm')
    .description('convert DICOM JSON (PS3.18 Annex F) to a DICOM file')
    .argument('<json-in>', 'a DICOM JSON object, or an array holding one')
    .argument('<dcmfile-out>', 'DICOM output file')
    .option('--syntax <uid>', 'transfer syntax UID to write', '1.2.840.10008.1.2.1')
    .action(async (input: string, output: string, options: { syntax: string }) => {
      try {
        let json = JSON.parse(await readFile(input, 'utf8')) as unknown;
        if (Array.isArray(json)) {
          if (json.length !== 1) throw new Error(`expected one data set, the array holds ${json.length}`);
          json = json[0];
        }
        const dataset = jsonToDataSet(json as Parameters<typeof jsonToDataSet>[0]);
        await writeDicomFile(output, dataset, { transferSyntax: options.syntax });
      } catch (error) {
        process.stderr.write(`E: dicomkit json2dcm: ${describeError(error)}\n`);
        process.exitCode = EXIT.inputFile;
      }
    });
}
