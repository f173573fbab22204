import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { Socket } from 'node:net';
import { basename, dirname, join } from 'node:path';
import type { TlsOptions } from 'node:tls';
import { Command } from 'commander';
import { generateUid } from '../core/index.ts';
import { type AccessControl, Reject, reject } from '../net/association/index.ts';
import { nodeTls } from '../net/transport/index.ts';
import { readDicomFile } from '../object/file.node.ts';
import {
  ApplicationEntity,
  type DicomServer,
  type RequestContext,
  type StoreRequest,
} from '../services/index.ts';
import {
  addProfileOptions,
  PROFILE_ALIASES,
  type ProfileCliOptions,
  profileContexts,
  profileFromOptions,
} from './common/association-profiles.ts';
import {
  EndOfStudy,
  endOfStudyNames,
  type PlaceholderValues,
  runHook,
  substitutePlaceholders,
  TimeNames,
} from './common/exec-hooks.ts';
import { NET_EXIT } from './common/exit.ts';
import { isSafeUid, modalityOf, receivedFileName } from './common/file-names.ts';
import {
  ACCEPTOR_NETWORK_ALIASES,
  addAcceptorOptions,
  Console,
  type NetworkCliOptions,
  reportFailure,
  serverTls,
  UsageError,
} from './common/network.ts';
import {
  addOutputEncodingOptions,
  OUTPUT_ENCODING_ALIASES,
  type OutputEncodingOptions,
  outputEncodingOf,
  reencodeFile,
} from './common/output-encoding.ts';
import { logServerEvents } from './common/server-events.ts';
import { discardStandardOutput } from './common/standard-output.ts';
import { acceptedSyntaxes, addPreferenceOptions, preferenceAliases } from './common/transfer-syntaxes.ts';

export const STORESCP_ALIASES = {
  ...ACCEPTOR_NETWORK_ALIASES,
  ...OUTPUT_ENCODING_ALIASES,
  ...PROFILE_ALIASES,
  ...preferenceAliases(),
  '-od': '--output-directory',
  '-ss': '--sort-conc-studies',
  '-su': '--sort-on-study-uid',
  '-sp': '--sort-on-patientname',
  '-uf': '--default-filenames',
  '+uf': '--unique-filenames',
  '-fe': '--filename-extension',
  '-B': '--normal',
  '+B': '--bit-preserving',
  '-xcr': '--exec-on-reception',
  '-xcs': '--exec-on-eostudy',
  '-tos': '--eostudy-timeout',
  '-xs': '--exec-sync',
  '-F': '--write-dataset',
  '+F': '--write-file',
  '-ac': '--access-full',
  '-id': '--inetd',
  '-uc': '--retain-un',
  '+uc': '--convert-un',
  '-dhl': '--disable-host-lookup',
  '-up': '--uid-padding',
  '-pm': '--promiscuous',
  '-tn': '--timenames',
  '-rns': '--rename-on-eostudy',
};

interface StorescpOptions extends NetworkCliOptions, ProfileCliOptions, OutputEncodingOptions {
  outputDirectory: string;
  sortConcStudies?: string;
  sortOnStudyUid?: string;
  sortOnPatientname?: boolean;
  uniqueFilenames?: boolean;
  filenameExtension?: string;
  ignore?: boolean;
  refuse?: boolean;
  reject?: boolean;
  host: string;
  inetd?: boolean;
  fork?: boolean;
  execOnReception?: string;
  execOnEostudy?: string;
  eostudyTimeout?: string;
  execSync?: boolean;
  writeDataset?: boolean;
  sleepAfter?: string;
  sleepDuring?: string;
  abortAfter?: boolean;
  abortDuring?: boolean;
  promiscuous?: boolean;
  timenames?: boolean;
  renameOnEostudy?: boolean;
}

/** --refuse: every request gets A-ASSOCIATE-RJ permanent, service user, no reason given (as DCMTK). */
const REFUSE_ALL: AccessControl = {
  check: () => ({
    allowed: false,
    rj: reject(Reject.permanent, Reject.sourceServiceUser, Reject.noReasonGiven),
    why: 'refusing association (--refuse)',
  }),
};

/**
 * --reject: a request without an Implementation Class UID (PS3.7 §D.3.3.2 makes it
 * mandatory) gets A-ASSOCIATE-RJ permanent, service user, no reason given, as DCMTK's.
 */
const REJECT_WITHOUT_IMPLEMENTATION_UID: AccessControl = {
  check: (requester) =>
    requester.implementationClassUid
      ? { allowed: true }
      : {
          allowed: false,
          rj: reject(Reject.permanent, Reject.sourceServiceUser, Reject.noReasonGiven),
          why: 'No Implementation Class UID provided (--reject)',
        },
};

const STUDY_INSTANCE_UID = 0x0020000d;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function seconds(value: string | undefined, name: string): number {
  if (value === undefined) return 0;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${name}: '${value}' is not a number of seconds`);
  return n * 1000;
}
const PATIENT_NAME = 0x00100010;

/** DCMTK's storescp maps a patient's name to a directory name with this Latin-1 table. */
function asciiName(name: string): string {
  const table =
    '________________________________________________0123456789______' +
    '_ABCDEFGHIJKLMNOPQRSTUVWXYZ______abcdefghijklmnopqrstuvwxyz_____';
  const high: Record<number, string> = {
    196: 'Ae',
    214: 'Oe',
    220: 'Ue',
    223: 'ss',
    228: 'ae',
    246: 'oe',
    252: 'ue',
  };
  const upper = 'AAAA_AACEEEEIIIIDNOOOOO_OUUU_Y__aaaa_aaceeeeiiiidnooooo_ouuu_y_y';
  let out = '';
  for (const ch of name) {
    const c = ch.codePointAt(0)!;
    if (c < 128) out += table[c];
    else if (high[c]) out += high[c];
    else if (c >= 192 && c <= 255) out += upper[c - 192] ?? '_';
    else out += '_';
  }
  return out;
}

function timestamp(): string {
  const d = new Date();
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}_${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}${p(d.getMilliseconds(), 3)}`;
}

/**
 * Where DCMTK's storescp puts a received object under -ss, -su or -sp: a subdirectory per
 * study, started anew whenever the Study Instance UID changes (with a timestamp for -ss and
 * -sp, named after the UID for -su).
 */
class StudySorter {
  #lastStudy: string | undefined;
  #current: string | undefined;
  constructor(
    readonly root: string,
    readonly options: StorescpOptions,
  ) {}
  get active(): boolean {
    return (
      this.options.sortConcStudies !== undefined ||
      this.options.sortOnStudyUid !== undefined ||
      this.options.sortOnPatientname === true
    );
  }
  directoryFor(study: string, patientName: string | undefined, console: Console): string {
    if (this.#current !== undefined && study === this.#lastStudy) return this.#current;
    this.#lastStudy = study;
    const prefixed = (prefix: string, rest: string) => (prefix ? `${prefix}_${rest}` : rest);
    let name: string;
    if (this.options.sortOnPatientname) {
      if (!patientName)
        console.warn(
          "element PatientName (0010,0010) absent or empty in data set, using 'ANONYMOUS' instead",
        );
      name = `${asciiName(patientName || 'ANONYMOUS')}_${timestamp()}`;
    } else if (this.options.sortOnStudyUid !== undefined) {
      name = prefixed(this.options.sortOnStudyUid, study);
    } else {
      name = prefixed(this.options.sortConcStudies ?? '', timestamp());
    }
    const dir = join(this.root, name);
    if (existsSync(dir)) console.info(`using existing subdirectory for study: ${dir}`);
    else {
      mkdirSync(dir);
      console.info(`created new subdirectory for study: ${dir}`);
    }
    this.#current = dir;
    return dir;
  }
}

/**
 * `dicomkit storescp port`: DCMTK's storescp. Accepts every storage SOP class and, unless a
 * +x flag narrows it, every transfer syntax dicomkit can store; writes each object as it
 * arrives (bit-preserving), named as DCMTK names it (`CT.1.2.3...`).
 */
export function storescpCommand(): Command {
  const command = new Command('storescp')
    .description(
      'DICOM storage (C-STORE) SCP, as DCMTK storescp: every storage SOP class and transfer syntax, files named like DCMTK',
    )
    .argument('[port]', 'tcp/ip port number to listen on (required unless --inetd)')
    .option(
      '--host <address>',
      'address to listen on: all interfaces as DCMTK, or 127.0.0.1 for this machine only',
      '0.0.0.0',
    )
    .option('--output-directory <dir>', 'write received objects to existing directory dir (DCMTK -od)', '.')
    .option('--sort-conc-studies <prefix>', 'sort studies using prefix and a timestamp (DCMTK -ss)')
    .option(
      '--sort-on-study-uid <prefix>',
      'sort studies using prefix and the Study Instance UID (DCMTK -su)',
    )
    .option('--sort-on-patientname', "sort studies using the Patient's Name and a timestamp (DCMTK -sp)")
    .option('--default-filenames', 'generate filename from instance UID: MODALITY.UID (DCMTK -uf, default)')
    .option('--unique-filenames', 'generate unique filenames: MODALITY.X.NEWUID (DCMTK +uf)')
    .option('--timenames', 'generate filename from creation time: YYYYMMDDHHMMSSPPP.MODALITY (DCMTK -tn)')
    .option('--filename-extension <ext>', 'append ext to all filenames (DCMTK -fe)')
    .option(
      '--rename-on-eostudy',
      "rename a study's files to MD000001, MD000002... when it ends, with a --sort option (DCMTK -rns)",
    )
    .option('--ignore', 'ignore store data, receive but do not store (DCMTK --ignore)')
    .option('--refuse', 'refuse association (DCMTK --refuse)')
    .option('--reject', 'reject association if no implementation class UID (DCMTK --reject)')
    .option(
      '--normal',
      'accepted for DCMTK compatibility (DCMTK -B): objects are written as received unless an output option below asks otherwise',
    )
    .option('--bit-preserving', 'write data exactly as read (DCMTK +B, the default here)')
    .option(
      '--exec-on-reception <command>',
      'execute command after having received and processed one C-STORE-RQ; #p directory, #f file name, #a calling AE, #c called AE, #r peer address; unusual characters of values from the peer become _ (DCMTK -xcr)',
    )
    .option(
      '--exec-on-eostudy <command>',
      'execute command after having received all objects of one study, with a --sort option; placeholders as above but #f (DCMTK -xcs)',
    )
    .option('--eostudy-timeout <seconds>', 'a study also ends after seconds without an object (DCMTK -tos)')
    .option('--exec-sync', 'execute commands in the foreground: the response waits for them (DCMTK -xs)')
    .option('--write-file', 'write file format: preamble, file meta and data set (DCMTK +F, default)')
    .option('--uid-padding', 'silently correct space-padded UIDs (DCMTK -up; dicomkit always tolerates them)')
    .option('--write-dataset', 'write data set without file meta information (DCMTK -F)')

    .option('--promiscuous', 'promiscuous mode, accept unknown SOP classes as storage (DCMTK -pm)')
    .option('--sleep-after <seconds>', 'sleep seconds after store, before the response (DCMTK --sleep-after)')
    .option(
      '--sleep-during <seconds>',
      'sleep seconds during store, before reading the data (DCMTK --sleep-during)',
    )
    .option(
      '--abort-after',
      'abort association after receipt of C-STORE-RQ, before the response (DCMTK --abort-after)',
    )
    .option('--abort-during', 'abort association during receipt of C-STORE-RQ (DCMTK --abort-during)')
    .option('--access-full', 'accept connections from any host (DCMTK -ac, default; --refuse to refuse all)')
    .option('--disable-host-lookup', 'disable hostname lookup (DCMTK -dhl; dicomkit never looks hosts up)')
    .option('--fork', 'accepted for DCMTK compatibility: associations are always served concurrently')
    .option(
      '--inetd',
      'run from inetd super server: serve the one association on standard input, discard standard output and error (DCMTK -id; not with --fork)',
    )
    .option('--single-process', 'accepted for DCMTK compatibility (DCMTK default)');
  addPreferenceOptions(command, ', default here; DCMTK default +x=');
  addOutputEncodingOptions(command)
    .option('--retain-un', 'retain elements as UN (DCMTK -uc, default)')
    .option(
      '--convert-un',
      'convert defined length UN elements to their real VR if known, by the data or private dictionary (DCMTK +uc; re-encodes)',
    );
  addProfileOptions(command);
  return addAcceptorOptions(command, { aet: 'STORESCP' }).action(
    async (port: string | undefined, options: StorescpOptions) => {
      // Under inetd the standard streams are the peer's connection: nothing may be written to
      // them, usage errors included, as DCMTK discards them (-lc files still log).
      if (options.inetd) discardStandardOutput();
      let console = new Console({});
      try {
        console = new Console(options, 'storescp');
        if (options.inetd && options.fork) throw new UsageError('--fork not allowed with --inetd');
        const listenPort = Number(port);
        if (!options.inetd) {
          if (port === undefined) throw new UsageError('Missing parameter port');
          if (!Number.isInteger(listenPort) || listenPort < 0 || listenPort > 65535)
            throw new UsageError(`invalid port: ${port}`);
        }
        const root = options.outputDirectory;
        if (!options.ignore && (!existsSync(root) || !statSync(root).isDirectory()))
          throw new UsageError(`specified output directory does not exist: ${root}`);
        const sorter = new StudySorter(root, options);
        if (options.execOnEostudy !== undefined && !sorter.active) {
          throw new UsageError(
            '--exec-on-eostudy only allowed with --sort-conc-studies, --sort-on-study-uid or --sort-on-patientname',
          );
        }
        let eostudyTimeout: number | undefined;
        if (options.eostudyTimeout !== undefined) {
          if (!sorter.active && options.execOnEostudy === undefined && !options.renameOnEostudy) {
            throw new UsageError(
              '--eostudy-timeout only allowed with --sort-conc-studies, --sort-on-study-uid, --sort-on-patientname, --exec-on-eostudy or --rename-on-eostudy',
            );
          }
          eostudyTimeout = seconds(options.eostudyTimeout, '--eostudy-timeout');
        }
        const sleepAfter = seconds(options.sleepAfter, '--sleep-after');
        const sleepDuring = seconds(options.sleepDuring, '--sleep-during');
        const fileOptions = options.writeDataset ? { fileMeta: false } : {};
        const reencode = outputEncodingOf(options);
        const wait = options.execSync === true;
        const onReception = options.execOnReception;
        const onEostudy = options.execOnEostudy;
        if (options.renameOnEostudy && !sorter.active) {
          throw new UsageError(
            '--rename-on-eostudy only allowed with --sort-conc-studies, --sort-on-study-uid or --sort-on-patientname',
          );
        }
        const timeNames = options.timenames ? new TimeNames() : undefined;
        // DCMTK renames the study's files first, then runs the command (PS: storescp(1)).
        const studyEnded = async (values: PlaceholderValues, files: readonly string[]): Promise<void> => {
          if (options.renameOnEostudy) {
            const names = endOfStudyNames(
              files.map((f) => basename(f)),
              timeNames !== undefined,
            );
            files.forEach((file, i) => {
              const target = join(dirname(file), names[i]!);
              try {
                renameSync(file, target);
              } catch (error) {
                console.warn(`cannot rename file '${file}' to '${target}': ${(error as Error).message}`);
              }
            });
          }
          if (onEostudy !== undefined)
            await runHook(substitutePlaceholders(onEostudy, values, console), wait, console);
        };
        const endOfStudy =
          onEostudy === undefined && !options.renameOnEostudy
            ? undefined
            : new EndOfStudy(eostudyTimeout, studyEnded);
        const placeholders = (ctx: RequestContext, path: string): PlaceholderValues => ({
          directory: dirname(path),
          fileName: basename(path),
          callingAeTitle: ctx.association.callingAeTitle,
          calledAeTitle: ctx.association.calledAeTitle,
          remoteAddress: ctx.association.remoteAddress,
        });
        const received = async (ctx: RequestContext, path: string, study?: string): Promise<void> => {
          if (onReception === undefined && endOfStudy === undefined) return;
          const values = placeholders(ctx, path);
          // DCMTK's order: the object's command, then the end of the study it ended.
          if (onReception !== undefined)
            await runHook(substitutePlaceholders(onReception, values, console), wait, console);
          if (study !== undefined) await endOfStudy?.received(study, values, path);
        };
        const extension = options.filenameExtension ?? '';
        let lastDirectory: string | undefined;
        const store = async (req: StoreRequest, ctx: RequestContext) => {
          console.info(
            `Received Store Request (MsgID ${ctx.messageId}, ${modalityOf(req.sopClassUid, 'OT')})`,
          );
          // Test aids for SCUs: a slow or vanishing peer, where DCMTK's storescp puts them.
          if (sleepDuring) await sleep(sleepDuring);
          if (options.abortDuring) {
            console.info('Aborting Association (--abort-during)');
            req.data.discard();
            await ctx.association.abort();
            return undefined;
          }
          const stored = await storeOne(req, ctx);
          if (sleepAfter) await sleep(sleepAfter);
          if (options.abortAfter) {
            console.info('Aborting Association (--abort-after)');
            await ctx.association.abort();
          }
          return stored;
        };
        const storeOne = async (req: StoreRequest, ctx: RequestContext) => {
          if (options.ignore) {
            req.data.discard();
            return undefined;
          }
          let name: string;
          try {
            name = options.uniqueFilenames
              ? `${modalityOf(req.sopClassUid)}.X.${generateUid()}${extension}`
              : timeNames
                ? timeNames.next(modalityOf(req.sopClassUid), extension)
                : receivedFileName(req.sopClassUid, req.sopInstanceUid, extension);
          } catch (error) {
            req.data.discard();
            console.error((error as Error).message);
            return { status: 0xc000, errorComment: (error as Error).message };
          }
          if (!sorter.active) {
            const path = join(root, name);
            console.info(`storing DICOM file: ${path}`);
            const written = await req.writeFile(path, fileOptions);
            if (reencode) await reencodeFile(path, reencode, options.writeDataset === true, console);
            await received(ctx, path);
            return written;
          }
          // The subdirectory depends on the data set: stream it to a hidden file first, then
          // read its header and move it into place.
          const incoming = join(
            root,
            `.incoming.${process.pid}.${ctx.association.remotePort}.${ctx.messageId}`,
          );
          const written = await req.writeFile(incoming, fileOptions);
          try {
            if (reencode) await reencodeFile(incoming, reencode, options.writeDataset === true, console);
            const head = await readDicomFile(incoming, { stopAtTag: STUDY_INSTANCE_UID + 1 });
            const study = head.dataset.string(STUDY_INSTANCE_UID)?.trim();
            if (!study || !isSafeUid(study)) {
              console.error('element StudyInstanceUID (0020,000d) absent, empty or not a UID in data set');
              rmSync(incoming, { force: true });
              return { status: 0xc000, errorComment: 'Study Instance UID absent, empty or not a UID' };
            }
            const dir = sorter.directoryFor(study, head.dataset.string(PATIENT_NAME)?.trim(), console);
            if (dir !== lastDirectory) timeNames?.reset();
            lastDirectory = dir;
            const path = join(dir, name);
            renameSync(incoming, path);
            console.info(`storing DICOM file: ${path}`);
            await received(ctx, path, study);
            return { ...written, path };
          } catch (error) {
            rmSync(incoming, { force: true });
            throw error;
          }
        };
        // -xf: exactly the profile's contexts, the transfer syntaxes in its order of preference.
        const profile = profileFromOptions(
          options as StorescpOptions & Record<string, unknown>,
          'acceptor',
          (key) =>
            key.startsWith('prefer') || key === 'implicit' || key === 'acceptAll' || key === 'promiscuous',
        );
        const ae = new ApplicationEntity({
          aeTitle: options.aetitle,
          logger: console.logger,
          ...(options.maxPdu ? { maxPduLength: Number(options.maxPdu) } : {}),
        });
        const tls = serverTls(options);
        const serverOptions = {
          handlers: { echo: () => undefined, store },
          ...(profile
            ? {
                contexts: profileContexts(profile, 'acceptor'),
                transferSyntaxPreference: 'acceptor' as const,
              }
            : {
                // With an output syntax, DCMTK's default (+x=): the uncompressed ones only.
                storageTransferSyntaxes: acceptedSyntaxes(
                  options as unknown as Record<string, unknown>,
                  reencode?.transferSyntax ? 'uncompressed' : 'all',
                ),
              }),
          ...(options.promiscuous ? { acceptUnknownSopClasses: true } : {}),
          ...(options.refuse
            ? { accessControl: REFUSE_ALL }
            : options.reject
              ? { accessControl: REJECT_WITHOUT_IMPLEMENTATION_UID }
              : {}),
        };
        if (options.inetd) {
          await serveInetdConnection(ae.serve(serverOptions), console, tls);
          return;
        }
        let server: Awaited<ReturnType<ApplicationEntity['listen']>>;
        try {
          server = await ae.listen({
            ...serverOptions,
            port: listenPort,
            host: options.host,
            ...(tls ? { tls } : {}),
          });
        } catch (error) {
          console.fatal(`cannot create network: ${(error as Error).message}`);
          process.exitCode = NET_EXIT.failure;
          return;
        }
        logServerEvents(server, console);
        console.info(`listening on ${options.host}:${server.port} as ${options.aetitle}`);
        await new Promise<void>((resolve) => {
          const stop = (): void => void server.close({ abort: true }).then(resolve, resolve);
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
      } catch (error) {
        reportFailure(console, error);
        process.exitCode = NET_EXIT.failure;
      }
    },
  );
}

/**
 * storescp -id: the connection inetd accepted is standard input. The association on it is
 * served as one accepted by listening would be, and the tool ends with it (inetd starts one
 * process per connection).
 */
async function serveInetdConnection(
  server: DicomServer,
  console: Console,
  tls: TlsOptions | undefined,
): Promise<void> {
  let socket: Socket;
  try {
    socket = new Socket({ fd: 0, readable: true, writable: true });
  } catch (error) {
    console.fatal(`--inetd: standard input is not a network connection (${(error as Error).message})`);
    process.exitCode = NET_EXIT.failure;
    return;
  }
  if (tls) {
    // The TLS server side on the connection inetd accepted, with the options listening uses.
    const { TLSSocket, createSecureContext } = nodeTls();
    const secure = new TLSSocket(socket, {
      isServer: true,
      secureContext: createSecureContext(tls),
      requestCert: tls.requestCert ?? false,
      rejectUnauthorized: tls.rejectUnauthorized ?? true,
    });
    secure.on('error', (error) => console.warn(`TLS handshake failed: ${error.message}`));
    socket = secure;
  }
  logServerEvents(server, console);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  server.accept(socket);
  await closed;
  await server.close();
}
