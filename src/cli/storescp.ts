import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { lookupUid } from '../dictionary/index.ts';
import { DataStream } from '../net/dimse/index.ts';
import { readDataSet } from '../object/index.ts';
import { ApplicationEntity, type StoreRequest, writeReceivedFile } from '../services/index.ts';
import { Console, NETWORK_ALIASES, type NetworkCliOptions } from './common/network.ts';

export const STORESCP_ALIASES = {
  ...NETWORK_ALIASES,
  '-od': '--output-directory',
  '-su': '--sort-on-study-uid',
  '-sp': '--sort-on-patientname',
  '-uf': '--default-filenames',
  '+uf': '--unique-filenames',
};

/** DCMTK's file name prefixes by SOP class name (dcmSOPClassUIDToModality's spirit). */
const PREFIXES: [RegExp, string][] = [
  [/^CT /, 'CT'],
  [/^Enhanced CT/, 'CT'],
  [/^MR /, 'MR'],
  [/^Enhanced MR/, 'MR'],
  [/^Ultrasound/, 'US'],
  [/^Secondary Capture/, 'SC'],
  [/^Multi-frame .*Secondary Capture/, 'SC'],
  [/^Computed Radiography/, 'CR'],
  [/^Digital X-Ray/, 'DX'],
  [/^Digital Mammography/, 'MG'],
  [/^Nuclear Medicine/, 'NM'],
  [/^Positron Emission/, 'PT'],
  [/^RT Image/, 'RI'],
  [/^RT Dose/, 'RD'],
  [/^RT Structure/, 'RS'],
  [/^RT Plan/, 'RP'],
  [/SR Storage|Structured Report|SR$/, 'SR'],
  [/^X-Ray Angio/, 'XA'],
  [/^Encapsulated PDF/, 'PDF'],
  [/^Grayscale Softcopy Presentation/, 'PS'],
  [/Waveform|ECG/, 'WV'],
];

function prefixOf(sopClassUid: string): string {
  const name = lookupUid(sopClassUid)?.name ?? '';
  return PREFIXES.find(([re]) => re.test(name))?.[1] ?? 'OT';
}

interface StorescpOptions extends NetworkCliOptions {
  outputDirectory: string;
  sortOnStudyUid?: string;
  sortOnPatientname?: boolean;
  uniqueFilenames?: boolean;
  host: string;
}

/** `dicomkit storescp port`: DCMTK's storescp, every storage SOP class and syntax we can store. */
export function storescpCommand(): Command {
  return new Command('storescp')
    .description(
      'receive C-STORE as DCMTK storescp: every storage SOP class, every transfer syntax, files named like DCMTK',
    )
    .argument('<port>', 'TCP port to listen on')
    .option('--aetitle <aetitle>', 'our AE title (DCMTK -aet)', 'STORESCP')
    .option('--output-directory <dir>', 'where files go (DCMTK -od)', '.')
    .option('--sort-on-study-uid <prefix>', 'a subdirectory per study: prefix_StudyInstanceUID (DCMTK -su)')
    .option('--sort-on-patientname', 'a subdirectory per patient name (DCMTK -sp)')
    .option('--unique-filenames', 'never overwrite: add a counter (DCMTK +uf)')
    .option('--default-filenames', 'name files MODALITY.SOPInstanceUID (DCMTK -uf, default)')
    .option('--host <address>', 'address to listen on (DCMTK listens on all)', '0.0.0.0')
    .option('-v, --verbose', 'print what happens')
    .option('-d, --debug', 'also print every PDU and DIMSE message')
    .option('-q, --quiet', 'print only errors')
    .action(async (port: string, options: StorescpOptions) => {
      const console = new Console(options);
      let counter = 0;
      const ae = new ApplicationEntity({ aeTitle: options.aetitle, logger: console.logger });
      const server = await ae.listen({
        port: Number(port),
        host: options.host,
        handlers: {
          echo: () => undefined,
          store: async (req: StoreRequest, ctx) => {
            const name = `${prefixOf(req.sopClassUid)}.${req.sopInstanceUid}${options.uniqueFilenames ? `.${++counter}` : ''}`;
            if (options.sortOnStudyUid === undefined && !options.sortOnPatientname) {
              mkdirSync(options.outputDirectory, { recursive: true });
              console.info(`storing DICOM file: ${join(options.outputDirectory, name)}`);
              return req.writeFile(join(options.outputDirectory, name));
            }
            // Sorting needs two attributes before the file can be placed: buffer this instance.
            const bytes = await req.data.bytes();
            const ds = readDataSet(bytes, req.transferSyntax);
            const dir = join(
              options.outputDirectory,
              options.sortOnPatientname
                ? (ds.string('PatientName')?.trim() || 'ANONYMOUS').replace(/[^A-Za-z0-9^._-]/g, '_')
                : `${options.sortOnStudyUid}_${ds.string('StudyInstanceUID')?.trim() ?? 'UNKNOWN'}`,
            );
            mkdirSync(dir, { recursive: true });
            const stream = new DataStream();
            void stream.push(bytes);
            stream.end();
            console.info(`storing DICOM file: ${join(dir, name)}`);
            await writeReceivedFile(join(dir, name), stream, {
              sopClassUid: req.sopClassUid,
              sopInstanceUid: req.sopInstanceUid,
              transferSyntax: req.transferSyntax,
              sourceAeTitle: ctx.association.remoteAeTitle,
            });
            return undefined;
          },
        },
      });
      console.info(`listening on ${options.host}:${server.port} as ${options.aetitle}`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => void server.close({ abort: true }).then(resolve));
        process.once('SIGTERM', () => void server.close({ abort: true }).then(resolve));
      });
    });
}
