import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { lookupUid, storageSopClasses } from '../dictionary/index.ts';
import { readDicomFile } from '../object/file.node.ts';
import { DataSet } from '../object/index.ts';
import {
  type DicomServer,
  getStorageContexts,
  QueryRetrieveModels,
  type RetrieveProgress,
  type StoreRequest,
} from '../services/index.ts';
import {
  addNetworkOptions,
  applicationEntity,
  Console,
  clientTls,
  NETWORK_ALIASES,
  type NetworkCliOptions,
  peerPort,
  reportFailure,
} from './common/network.ts';
import { applyKey } from './findscu.ts';

export const MOVESCU_ALIASES = {
  ...NETWORK_ALIASES,
  '-P': '--patient',
  '-S': '--study',
  '-O': '--psonly',
  '-k': '--key',
  '-aem': '--move',
  '-od': '--output-directory',
};
export const GETSCU_ALIASES = MOVESCU_ALIASES;

interface RetrieveOptions extends NetworkCliOptions {
  patient?: boolean;
  study?: boolean;
  psonly?: boolean;
  key?: string[];
  move?: string;
  port?: string;
  outputDirectory: string;
}

const UNCOMPRESSED = ['1.2.840.10008.1.2.1', '1.2.840.10008.1.2', '1.2.840.10008.1.2.2'];

/** Files named as DCMTK's storescp/movescu/getscu name them: modality prefix and SOP Instance UID. */
function fileName(sopClassUid: string, sopInstanceUid: string): string {
  const name = lookupUid(sopClassUid)?.name ?? '';
  const prefix =
    /^(CT|MR|US|NM|PT|RT|SC|XA|CR|DX|MG)\b/.exec(name)?.[1] ?? (/Secondary Capture/.test(name) ? 'SC' : 'OT');
  return `${prefix}.${sopInstanceUid}`;
}

function storeInto(dir: string, console: Console) {
  return async (req: StoreRequest) => {
    mkdirSync(dir, { recursive: true });
    const path = join(dir, fileName(req.sopClassUid, req.sopInstanceUid));
    console.info(`Storing DICOM file: ${path}`);
    return req.writeFile(path);
  };
}

async function identifiers(files: string[], keys: string[] = []): Promise<DataSet[]> {
  const out: DataSet[] = [];
  for (const file of files.length > 0 ? files : [undefined]) {
    const identifier = file ? (await readDicomFile(file)).dataset : new DataSet();
    for (const key of keys) applyKey(identifier, key);
    out.push(identifier);
  }
  return out;
}

function report(console: Console, operation: string, progress: RetrieveProgress, status?: number): void {
  const counts = `remaining ${progress.remaining ?? '-'}, completed ${progress.completed}, failed ${progress.failed}, warning ${progress.warning}`;
  if (status === undefined) console.info(`Received Pending ${operation} Response (${counts})`);
  else {
    const word =
      status === 0
        ? 'Success'
        : status === 0xfe00
          ? 'Cancel'
          : status === 0xb000
            ? 'Warning'
            : `0x${status.toString(16)}`;
    console.info(`Received Final ${operation} Response (${word}; ${counts})`);
  }
}

function retrieveCommand(name: 'movescu' | 'getscu'): Command {
  const isMove = name === 'movescu';
  let command = new Command(name)
    .description(
      isMove
        ? 'retrieve with C-MOVE, as DCMTK movescu; with --port, receive the sub-operations itself'
        : 'retrieve with C-GET, as DCMTK getscu: the instances come back on the same association',
    )
    .argument('<peer>', 'host name or address of the peer')
    .argument('<port>', 'TCP port of the peer')
    .argument('[files...]', 'query files; -k keys override them')
    .option('--patient', 'Patient Root information model (DCMTK -P)')
    .option('--study', 'Study Root information model (DCMTK -S, default)')
    .option('--psonly', 'Patient/Study Only information model (DCMTK -O, retired)')
    .option('--key <key>', 'a key as in findscu (DCMTK -k), repeatable', (v, all: string[] = []) => [
      ...all,
      v,
    ])
    .option('--output-directory <dir>', 'where received files go (DCMTK -od)', '.');
  if (isMove) {
    command = command
      .option('--move <aetitle>', 'the move destination (DCMTK -aem, default: our AE title)')
      .option('--port <port>', 'listen on this port for the sub-operations, as DCMTK movescu --port');
  }
  return addNetworkOptions(command, { aet: isMove ? 'MOVESCU' : 'GETSCU' }).action(
    async (peer: string, port: string, files: string[], options: RetrieveOptions) => {
      const console = new Console(options);
      let server: DicomServer | undefined;
      try {
        const model = options.patient ? 'patient' : options.psonly ? 'patientStudyOnly' : 'study';
        const sopClass = isMove ? QueryRetrieveModels[model].move : QueryRetrieveModels[model].get;
        const ae = applicationEntity(options, console);
        if (isMove && options.port) {
          server = await ae.listen({
            port: Number(options.port),
            host: '0.0.0.0',
            handlers: { store: storeInto(options.outputDirectory, console) },
          });
        }
        const tls = clientTls(options);
        // For C-GET we offer to play Storage SCP (PS3.4 §C.4.3): the common storage classes,
        // uncompressed, within the 128-context limit.
        const storage = isMove
          ? []
          : getStorageContexts(
              storageSopClasses()
                .filter((c) => !c.retired)
                .slice(0, 120)
                .map((c) => c.uid),
              UNCOMPRESSED,
            );
        console.info('Requesting Association');
        const assoc = await ae.associate({
          ...peerPort(peer, port),
          calledAeTitle: options.call,
          contexts: [{ abstractSyntax: sopClass, transferSyntaxes: UNCOMPRESSED }, ...storage],
          ...(isMove ? {} : { handlers: { store: storeInto(options.outputDirectory, console) } }),
          ...(tls ? { tls } : {}),
        });
        console.info('Association Accepted');
        const operation = isMove ? 'Move' : 'Get';
        for (const [n, identifier] of (await identifiers(files, options.key)).entries()) {
          console.info(`Sending ${operation} Request (MsgID ${n + 1})`);
          const onProgress = (p: RetrieveProgress) => report(console, operation, p);
          const result = isMove
            ? await assoc.move(identifier, options.move ?? options.aetitle, { model: sopClass, onProgress })
            : await assoc.get(identifier, { model: sopClass, onProgress });
          report(console, operation, result, result.status);
          if (result.status !== 0) process.exitCode = 1;
        }
        console.info('Releasing Association');
        await assoc.release();
      } catch (error) {
        process.exitCode = reportFailure(console, error);
      } finally {
        await server?.close({ abort: true });
      }
    },
  );
}

export const movescuCommand = (): Command => retrieveCommand('movescu');
export const getscuCommand = (): Command => retrieveCommand('getscu');
