import { renameSync, statSync } from 'node:fs';
import type cliProgress from 'cli-progress';
import { Command } from 'commander';
import { DicomError, formatTag, generateUid } from '../core/index.ts';
import { type Keyword, tagOf } from '../dictionary/index.ts';
import { transferSyntax } from '../encoding/index.ts';
import type { NegotiatedContext, ProposedContext } from '../net/association/index.ts';
import { DimseStatusError } from '../net/dimse/index.ts';
import { readDicomFile } from '../object/file.node.ts';
import { DataSet, type DicomFile } from '../object/index.ts';
import { closeCodecWorkers } from '../pixel/codecs/codec-pool.node.ts';
import { pixelWithNodeCodecs } from '../pixel/codecs/load.node.ts';
import { type Association, type PreparedInstance, prepareSource } from '../services/index.ts';
import {
  addProfileOptions,
  PROFILE_ALIASES,
  type ProfileCliOptions,
  profileContexts,
  profileFromOptions,
} from './common/association-profiles.ts';
import { NET_EXIT } from './common/exit.ts';
import { modalityOf } from './common/file-names.ts';
import {
  addInputFilesOptions,
  INPUT_FILES_ALIASES,
  type InputFilesOptions,
  inputFiles,
} from './common/input-files.ts';
import {
  addRequestorOptions,
  applicationEntity,
  Console,
  closeAssociation,
  maxSendPduOf,
  NETWORK_ALIASES,
  type NetworkCliOptions,
  openAssociation,
  repeatCount,
  reportFailure,
  UsageError,
  userIdentityOf,
} from './common/network.ts';
import { statusText } from './common/status-text.ts';
import {
  addCompressionLevelOption,
  addProposalOptions,
  COMPRESSION_LEVEL_ALIASES,
  compressionLevelOf,
  DEFLATED,
  EBE,
  ELE,
  ILE,
  type Proposal,
  proposalAliases,
  proposalOf,
  syntaxName,
} from './common/transfer-syntaxes.ts';

/** What DCMTK's +cl needs beside it in this tool. */
const STORESCU_CL_ONLY_WITH = '--propose-deflated or --config-file';

export const STORESCU_ALIASES = {
  ...NETWORK_ALIASES,
  ...PROFILE_ALIASES,
  ...proposalAliases('storage'),
  ...COMPRESSION_LEVEL_ALIASES,
  '+f': '--read-file',
  '+fo': '--read-file-only',
  '-f': '--read-dataset',
  '-up': '--uid-padding',
  '-u': '--disable-new-vr',
  ...INPUT_FILES_ALIASES,
  '-rn': '--no-rename',
  '+rn': '--rename',
  '-R': '--required',
  '+C': '--combine',
  '-nh': '--no-halt',
  '+II': '--invent-instance',
  '+IR': '--invent-series',
  '+IS': '--invent-study',
  '+IP': '--invent-patient',
};

interface StorescuOptions extends NetworkCliOptions, ProfileCliOptions, InputFilesOptions {
  compressionLevel?: string;
  proposeDeflated?: boolean;
  rename?: boolean;
  required?: boolean;
  combine?: boolean;
  halt?: boolean;
  progress?: boolean;
  readFileOnly?: boolean;
  readDataset?: boolean;
  inventInstance?: boolean;
  inventSeries?: string;
  inventStudy?: string;
  inventPatient?: string;
}

/** Files read ahead of the one being sent. */
const READ_AHEAD = 4;
/**
 * The input check reads the first 16 KB of each file anyway: a file that small is kept from
 * that read (up to this much in all), instead of being opened and read a second time to send.
 */
const CHECK_KEEPS_FILES_UP_TO = 16 * 1024;
const CHECK_KEEPS_AT_MOST = 64 * 1024 * 1024;
/** PS3.8 §9.3.2.2: presentation context IDs are odd numbers 1-255, so 128 per association. */
const MAX_CONTEXTS = 128;

/** Lossless syntaxes whose encoding keeps the instance (and its UID) as it is. */
const LOSSLESS_ENCODINGS = new Set([
  '1.2.840.10008.1.2.4.57',
  '1.2.840.10008.1.2.4.70',
  '1.2.840.10008.1.2.4.80',
  '1.2.840.10008.1.2.4.90',
  '1.2.840.10008.1.2.4.201',
  '1.2.840.10008.1.2.5',
]);

/**
 * The presentation contexts DCMTK's storescu proposes, for the SOP classes actually sent: per
 * class the preferred syntax in one context and the uncompressed fallback in another (one
 * context with both under +C); and each stored compressed syntax in a context of its own, so
 * a compressed file goes as it lies on disk when the peer takes it. Groups of at most 128
 * contexts, one association each.
 */
export function storageProposals(
  instances: readonly PreparedInstance[],
  proposal: Proposal,
  combine: boolean,
): ProposedContext[][] {
  const bySopClass = new Map<string, Set<string>>();
  for (const i of instances) {
    if (!bySopClass.has(i.sopClassUid)) bySopClass.set(i.sopClassUid, new Set());
    bySopClass.get(i.sopClassUid)!.add(i.transferSyntax.uid);
  }
  const offered = new Set([proposal.preferred, ...proposal.fallback]);
  const groups: ProposedContext[][] = [];
  let current: ProposedContext[] = [];
  for (const [abstractSyntax, stored] of bySopClass) {
    const contexts: ProposedContext[] = combine
      ? [{ abstractSyntax, transferSyntaxes: [proposal.preferred, ...proposal.fallback] }]
      : [
          { abstractSyntax, transferSyntaxes: [proposal.preferred] },
          ...(proposal.fallback.length > 0 ? [{ abstractSyntax, transferSyntaxes: proposal.fallback }] : []),
        ];
    for (const ts of stored) if (!offered.has(ts)) contexts.push({ abstractSyntax, transferSyntaxes: [ts] });
    if (current.length + contexts.length > MAX_CONTEXTS) {
      groups.push(current);
      current = [];
    }
    current.push(...contexts);
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/**
 * The accepted context DCMTK picks for a file (ASC_findAcceptedPresentationContextID): its own
 * syntax, else explicit VR uncompressed, else implicit VR, else any accepted one. A native file
 * looks for deflated first when deflated is preferred (-xd).
 */
export function chooseContext(
  contexts: readonly NegotiatedContext[],
  sopClassUid: string,
  stored: string,
  preferred: string,
): NegotiatedContext | undefined {
  const accepted = contexts.filter(
    (c) => c.accepted && c.abstractSyntax === sopClassUid && c.scuRole !== false,
  );
  const native = [ELE, EBE, ILE, DEFLATED].includes(stored);
  const wanted = native && preferred === DEFLATED ? DEFLATED : stored;
  return (
    accepted.find((c) => c.transferSyntax === wanted) ??
    accepted.find((c) => c.transferSyntax === ELE || c.transferSyntax === EBE) ??
    accepted.find((c) => c.transferSyntax === ILE) ??
    accepted[0]
  );
}

/**
 * A file to be sent in a compressed syntax other than its own: decoded if need be and encoded
 * losslessly here (DCMTK compresses on the fly too). Lossy targets are refused: the result
 * would be a new instance with a new UID, which a C-STORE of this one must not invent.
 */
async function encodedFor(path: string, target: string): Promise<DicomFile> {
  if (!LOSSLESS_ENCODINGS.has(target)) {
    throw new Error(
      `the peer accepted only ${syntaxName(target)}, a lossy syntax: convert the file with dicomkit transcode first`,
    );
  }
  const { compressPixelData, decompressPixelData } = await pixelWithNodeCodecs();
  const file = await readDicomFile(path);
  const source = file.transferSyntax.encapsulated ? await decompressPixelData(file) : file.dataset;
  const dataset = await compressPixelData(source, target);
  return { ...file, dataset, transferSyntax: transferSyntax(target) };
}

interface Tally {
  sent: number;
  failed: number;
  warnings: number;
  bytes: number;
  /** The status of the last unsuccessful store, for DCMTK's exit code. */
  lastFailure?: number;
  /** The association's end was reported; a request queued behind the failed one is not a store of its own. */
  closeReported?: boolean;
}

function renameDone(
  path: string,
  suffix: '.done' | '.bad',
  options: StorescuOptions,
  console: Console,
): void {
  if (!options.rename) return;
  try {
    renameSync(path, `${path}${suffix}`);
  } catch (error) {
    console.warn(`cannot rename ${path}: ${(error as Error).message}`);
  }
}

/** `dicomkit storescu peer port files...`: DCMTK's storescu. */
export function storescuCommand(): Command {
  const command = new Command('storescu')
    .description(
      'DICOM storage (C-STORE) SCU, as DCMTK storescu: files go as they are stored when the peer takes their syntax',
    )
    .argument('<peer>', 'hostname of DICOM peer')
    .argument('<port>', 'tcp/ip port number of peer')
    .argument('<dcmfile-in...>', 'DICOM file or directory to be transmitted')
    .option('--read-file', 'read file format or data set (DCMTK +f, default)')
    .option('--read-file-only', 'read file format only: files without file meta are bad (DCMTK +fo)')
    .option('--read-dataset', 'read data set without file meta information: files with it are bad (DCMTK -f)')
    .option('--uid-padding', 'silently correct space-padded UIDs (DCMTK -up; dicomkit always tolerates them)')
    .option(
      '--disable-new-vr',
      'disable support for new VRs, convert to OB (DCMTK -u): files in an explicit VR syntax are re-encoded',
    );
  addInputFilesOptions(command)
    .option('--rename', 'append .done/.bad to processed files (DCMTK +rn)')
    .option('--no-rename', 'do not rename processed files (DCMTK -rn, default)');
  addProfileOptions(addProposalOptions(command, 'storage'))
    .option(
      '--required',
      'propose only required presentation contexts (DCMTK -R; dicomkit always proposes only the SOP classes and syntaxes of the files)',
    )
    .option('--combine', 'combine proposed transfer syntaxes in one context (DCMTK +C)');
  addCompressionLevelOption(command, STORESCU_CL_ONLY_WITH)
    .option('--no-halt', 'do not halt if unsuccessful store encountered (DCMTK -nh, default: do halt)')
    .option(
      '--invent-instance',
      'invent a new SOP instance UID for every image sent, and new series, study and patient identities (DCMTK +II)',
    )
    .option(
      '--invent-series <n>',
      'invent a new series UID after n images (DCMTK +IR, default 100; implies +II)',
    )
    .option(
      '--invent-study <n>',
      'invent a new study UID after n series (DCMTK +IS, default 50; implies +II)',
    )
    .option(
      '--invent-patient <n>',
      'invent a new patient ID and name after n studies (DCMTK +IP, default 25; implies +II)',
    )
    .option('--progress', 'show the progress bar even when stderr is not a terminal')
    .option('--no-progress', 'never show the progress bar (default when stderr is not a terminal)');
  return addRequestorOptions(command, { aet: 'STORESCU', repeat: true, abort: true }).action(
    async (peer: string, port: string, paths: string[], options: StorescuOptions) => {
      let console = new Console({});
      const halt = options.halt !== false;
      const tally: Tally = { sent: 0, failed: 0, warnings: 0, bytes: 0 };
      let bar: cliProgress.SingleBar | undefined;
      let exitCode: number = NET_EXIT.ok;
      let summary = false;
      try {
        console = new Console(options, 'storescu');
        const repeat = repeatCount(options);
        // The identity flags are checked before the input files, as DCMTK checks every flag first.
        userIdentityOf(options);
        maxSendPduOf(options);
        const deflateLevel = compressionLevelOf(options, STORESCU_CL_ONLY_WITH);
        const deflate = deflateLevel === undefined ? {} : { deflateLevel };
        const files = inputFiles(paths, options, console);
        if (files.length === 0) throw new UsageError('no input files to be sent');
        console.info('checking input files ...');
        const instances: PreparedInstance[] = [];
        let keepBudget = CHECK_KEEPS_AT_MOST;
        const check = async (path: string): Promise<PreparedInstance | string> => {
          try {
            // Nothing else to do before the association: blocking reads are the fastest.
            const instance = await prepareSource(path, {
              blocking: true,
              preload: keepBudget > 0 ? CHECK_KEEPS_FILES_UP_TO : false,
            });
            if (instance.preloaded) keepBudget -= instance.fileSize ?? 0;
            // DCMTK's read modes: +fo wants Part 10 files, -f bare data sets.
            if (options.readFileOnly && !instance.hasMeta)
              return `bad DICOM file: ${path}: File meta information header missing`;
            if (options.readDataset && instance.hasMeta)
              return `bad DICOM file: ${path}: File meta information header present (--read-dataset)`;
            return instance;
          } catch (error) {
            const cause = (error as { cause?: NodeJS.ErrnoException }).cause;
            if (cause?.code === 'ENOENT') return `cannot access file: ${path}`;
            return `bad DICOM file: ${path}: ${(error as Error).message}`;
          }
        };
        // In the files' order, as DCMTK reports them.
        for (const path of files) {
          const outcome = await check(path);
          if (typeof outcome !== 'string') {
            instances.push(outcome);
            continue;
          }
          if (halt) throw new UsageError(outcome);
          console.warn(`${outcome}, ignoring file`);
          tally.failed++;
        }
        const inventor = inventorOf(options);
        const ae = applicationEntity(options, console);
        const proposal = proposalOf(options as unknown as Record<string, unknown>, 'storage');
        summary = true;
        const showBar =
          !console.verbose &&
          console.enabled('warn') &&
          (options.progress === true || (options.progress !== false && process.stderr.isTTY === true));
        // cli-progress is loaded only when a bar is shown: most runs (piped, -q, -v) never need it.
        const progress = showBar ? (await import('cli-progress')).default : undefined;
        bar = progress
          ? new progress.SingleBar(
              {
                format: ' {bar} {value}/{total} files | {rate} files/s | {mbps} MB/s',
                stream: process.stderr,
                hideCursor: true,
                // Redraw at most 10 times a second; the last state is drawn on stop().
                fps: 10,
              },
              progress.Presets.shades_classic,
            )
          : undefined;
        const start = performance.now();
        bar?.start(instances.length * repeat, 0, { rate: '0', mbps: '0.0' });
        // -xf: the profile's contexts, all in one association, whatever the files are (DCMTK).
        const profile = profileFromOptions(
          options as StorescuOptions & Record<string, unknown>,
          'requestor',
          (key) => key.startsWith('propose') || key === 'combine' || key === 'required',
        );
        const groups = profile
          ? [profileContexts(profile, 'requestor')]
          : storageProposals(instances, proposal, options.combine === true);
        for (const contexts of groups) {
          const classes = new Set(contexts.map((c) => c.abstractSyntax));
          const batch = profile ? instances : instances.filter((i) => classes.has(i.sopClassUid));
          let assoc: Association;
          try {
            assoc = await openAssociation(ae, options, { peer, port, contexts, ...deflate }, console);
          } catch (error) {
            reportFailure(console, error);
            exitCode = NET_EXIT.failure;
            break;
          }
          const sent = await sendBatch(assoc, batch, {
            inventor,
            repeat,
            halt,
            proposal,
            tally,
            console,
            options,
            // Only with a bar: otherwise nothing reads the rate.
            progress: (count) => {
              if (!bar) return;
              const seconds = Math.max((performance.now() - start) / 1000, 1e-3);
              bar.increment(count, {
                rate: (tally.sent / seconds).toFixed(0),
                mbps: (tally.bytes / 1e6 / seconds).toFixed(1),
              });
            },
          });
          if (sent !== undefined) {
            exitCode = sent;
            break;
          }
          await closeAssociation(assoc, options, console);
        }
        bar?.stop();
        bar = undefined;
        if (exitCode === NET_EXIT.ok && halt && tally.lastFailure !== undefined) {
          // DCMTK's storescu: the high byte of the failed store's status (0xA700 -> 167).
          exitCode = tally.lastFailure >> 8 || NET_EXIT.storeNetworkFailure;
        }
      } catch (error) {
        bar?.stop();
        reportFailure(console, error);
        exitCode = NET_EXIT.failure;
      } finally {
        await closeCodecWorkers();
      }
      if (summary && console.enabled('warn')) {
        process.stderr.write(`I: sent ${tally.sent}, failed ${tally.failed}, warnings ${tally.warnings}\n`);
      }
      process.exitCode = exitCode;
    },
  );
}

interface BatchContext {
  /** +II: each file is sent with invented identities instead of as it is. */
  inventor: IdentityInventor | undefined;
  /** +II: the file read last, kept for its repeats (--repeat), which send copies of it. */
  invented?: InventedSource;
  repeat: number;
  halt: boolean;
  proposal: Proposal;
  tally: Tally;
  console: Console;
  options: StorescuOptions;
  progress: (count: number) => void;
}

/**
 * Sends one association's files, reading the next ones while one is on the wire. Returns the
 * exit code when the run must end (the association was aborted or halted), else undefined.
 * A function of its own because it is the hot loop: V8 optimizes what runs hot as a whole
 * function, and this keeps the command's long set-up code out of that compilation.
 *
 * The next request is made before the current one's response arrives: the association holds
 * it (one operation at a time, PS3.7 §D.3.3.3) and sends it from the response's own read
 * callback, so the peer waits for a socket write, not for this loop's bookkeeping. With --halt
 * (the default) a failed store aborts the request waiting behind it before it can start, so
 * nothing is sent after a failure, as with DCMTK. Not with info logging, whose lines keep
 * DCMTK's order (each file's "Sending" after the previous file's response).
 */
async function sendBatch(
  assoc: Association,
  batch: PreparedInstance[],
  run: BatchContext,
): Promise<number | undefined> {
  const { repeat, halt, proposal, tally, console, options } = run;
  const queued = console.enabled('info') ? 0 : 1;
  // --halt: the first failure stops the run (see StoreOptions.failureAborts).
  const haltRun = halt ? new AbortController() : undefined;
  let messageId = 0;
  // The next files are read whole (up to 8 MiB each) while one is on the wire, with
  // blocking reads: a tool has nothing else for its event loop to do meanwhile.
  const preloaded = new Map<number, Promise<PreparedInstance>>();
  const preload = (index: number): void => {
    const next = batch[index];
    if (!next || preloaded.has(index)) return;
    preloaded.set(
      index,
      // Small files kept by the input check are ready as they are.
      next.preloaded
        ? Promise.resolve(next)
        : prepareSource(next.label, { preload: true, blocking: true }).catch(() => next),
    );
  };
  interface InFlight {
    instance: PreparedInstance;
    /** Shared by an instance's repeats: whether all of them succeeded so far. */
    file: { succeeded: boolean };
    lastRepeat: boolean;
    outcome: Promise<StoreOutcome>;
  }
  const inFlight: InFlight[] = [];
  /** What the run does after a store: go on, stop sending (then release), or end with a code. */
  const complete = async (entry: InFlight): Promise<'next' | 'stop' | number> => {
    const outcome = await entry.outcome;
    if (outcome === 'cancelled') return 'stop';
    run.progress(1);
    let next: 'next' | 'stop' | number = 'next';
    if (outcome !== 'ok') entry.file.succeeded = false;
    if (outcome === 'aborted') {
      next = halt ? NET_EXIT.storeNetworkFailure : NET_EXIT.failure;
    } else if (outcome === 'local' && halt) {
      console.info('Aborting Association');
      await assoc.abort();
      next = NET_EXIT.failure;
    } else if (outcome === 'status' && halt) {
      // DCMTK sends nothing after an unsuccessful store and releases as usual.
      next = 'stop';
    }
    if (entry.lastRepeat || next !== 'next')
      renameDone(entry.instance.label, entry.file.succeeded ? '.done' : '.bad', options, console);
    return next;
  };
  const drain = async (keep: number): Promise<'next' | 'stop' | number> => {
    while (inFlight.length > keep) {
      const next = await complete(inFlight.shift()!);
      if (next !== 'next') return next;
    }
    return 'next';
  };
  for (let index = 0; index < batch.length; index++) {
    preload(index);
    const instance = (await preloaded.get(index)) ?? batch[index]!;
    preloaded.delete(index);
    // The next files are read once this one is handed to the socket (the send runs in
    // microtasks, before an immediate): read first, they sat between a response and
    // the next request.
    setImmediate(() => {
      for (let k = 1; k <= READ_AHEAD; k++) preload(index + k);
    });
    const file = { succeeded: true };
    for (let n = 0; n < repeat; n++) {
      // Resolves once the request is sent or queued, so requests keep the files' order.
      const started = await startStore(assoc, instance, proposal, tally, console, ++messageId, haltRun, run);
      inFlight.push({ instance, file, lastRepeat: n === repeat - 1, outcome: started.done });
      // A store that failed before a request was made ends a halting run before the next one.
      const next = await drain(!started.made && halt ? 0 : queued);
      if (next === 'stop') return undefined;
      if (next !== 'next') return next;
    }
  }
  const next = await drain(0);
  return next === 'next' || next === 'stop' ? undefined : next;
}

function countOption(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag}: '${value}' is not a count from 1`);
  return n;
}

function inventorOf(options: StorescuOptions): IdentityInventor | undefined {
  const on =
    options.inventInstance === true ||
    options.inventSeries !== undefined ||
    options.inventStudy !== undefined ||
    options.inventPatient !== undefined;
  if (!on) return undefined;
  return new IdentityInventor(
    countOption(options.inventSeries, '--invent-series', 100),
    countOption(options.inventStudy, '--invent-study', 50),
    countOption(options.inventPatient, '--invent-patient', 25),
  );
}

/**
 * storescu +II/+IR/+IS/+IP, as DCMTK's: every image sent gets a new SOP Instance UID and
 * Instance Number; a new series every `imagesPerSeries` images, a new study every
 * `seriesPerStudy` series, a new patient every `studiesPerPatient` studies. Series, study and
 * patient identities are invented from the first image on, so nothing sent names a real
 * patient. Only attributes the data set has are replaced (DCMTK logs the others as errors).
 * Load tests send one file thousands of times this way, each a distinct instance.
 */
export class IdentityInventor {
  #image = 0;
  #series = 0;
  #study = 0;
  #patient = 0;
  #seriesUid = generateUid();
  #studyUid = generateUid();
  #studyId: string;
  #patientId: string;
  #patientName: string;

  constructor(
    readonly imagesPerSeries: number,
    readonly seriesPerStudy: number,
    readonly studiesPerPatient: number,
    readonly now: () => number = Date.now,
  ) {
    this.#studyId = this.#stamped('SID_', 0);
    this.#patientId = this.#stamped('PID_', 0);
    this.#patientName = this.#stamped('DICOMKIT^TEST_PN_', 0);
  }

  /** A prefix, the seconds since 1970 and a counter: distinct across runs as across studies. */
  #stamped(prefix: string, counter: number): string {
    return `${prefix}${Math.floor(this.now() / 1000)}${counter}`;
  }

  apply(dataset: DataSet, console: Console): void {
    if (this.#image >= this.imagesPerSeries) {
      this.#image = 0;
      this.#series++;
      this.#seriesUid = generateUid();
    }
    if (this.#series >= this.seriesPerStudy) {
      this.#series = 0;
      this.#study++;
      this.#studyUid = generateUid();
      this.#studyId = this.#stamped('SID_', this.#study);
    }
    if (this.#study >= this.studiesPerPatient) {
      this.#study = 0;
      this.#patient++;
      this.#patientId = this.#stamped('PID_', this.#patient);
      this.#patientName = this.#stamped('DICOMKIT^TEST_PN_', this.#patient);
    }
    const values: [keyword: Keyword, value: string][] = [
      ['PatientName', this.#patientName],
      ['PatientID', this.#patientId],
      ['StudyInstanceUID', this.#studyUid],
      ['StudyID', this.#studyId],
      ['SeriesInstanceUID', this.#seriesUid],
      ['SeriesNumber', String(this.#series)],
      ['SOPInstanceUID', generateUid()],
      ['InstanceNumber', String(this.#image)],
    ];
    console.info(
      `Inventing Identifying Information (pa${this.#patient}, st${this.#study}, se${this.#series}, im${this.#image}):`,
    );
    for (const [keyword, value] of values) {
      console.info(`  ${keyword === 'InstanceNumber' ? 'ImageNumber' : keyword}=${value}`);
      if (!dataset.has(keyword)) {
        console.error(`cannot find ${keyword} ${formatTag(tagOf(keyword))} in the data set: not invented`);
        continue;
      }
      dataset.set(keyword, value);
    }
    this.#image++;
  }
}

/** 'cancelled': a request that waited behind a failure and was not sent (--halt). */
type StoreOutcome = 'ok' | 'status' | 'local' | 'aborted' | 'cancelled';

/** The file +II read last, as sent in `target` (a repeat reads and parses it no more). */
interface InventedSource {
  path: string;
  target: string;
  file: DicomFile;
}

/**
 * One C-STORE as DCMTK's storeSCU does it: resolves once the request is made (sent, or queued
 * behind the one outstanding), with the outcome to come; the outcome decides whether to go on.
 */
async function startStore(
  assoc: Association,
  instance: PreparedInstance,
  proposal: Proposal,
  tally: Tally,
  console: Console,
  messageId: number,
  haltRun: AbortController | undefined,
  run: BatchContext,
): Promise<{ done: Promise<StoreOutcome>; made: boolean }> {
  const { inventor } = run;
  const path = instance.label;
  console.info(`Sending file: ${path}`);
  const stored = instance.transferSyntax.uid;
  const context = chooseContext(assoc.contexts, instance.sopClassUid, stored, proposal.preferred);
  if (!context) {
    console.error(
      `No presentation context for: (${modalityOf(instance.sopClassUid, 'OT')}) ${instance.sopClassUid}`,
    );
    tally.failed++;
    return { done: Promise.resolve('local'), made: false };
  }
  const target = context.transferSyntax!;
  if (console.enabled('info'))
    console.info(`Converting transfer syntax: ${syntaxName(stored)} -> ${syntaxName(target)}`);
  let source: PreparedInstance | DicomFile = instance;
  try {
    if (inventor) {
      // The data set is re-encoded with the invented values (the file as it lies no longer fits).
      // Repeats of a file (--repeat) send copies of the one read: set() replaces elements, so
      // a copy sharing the others leaves the read file as it was for the next repeat.
      let read = run.invented;
      if (read?.path !== path || read.target !== target) {
        const file =
          target !== stored && transferSyntax(target).encapsulated
            ? await encodedFor(path, target)
            : await readDicomFile(path);
        read = { path, target, file };
        run.invented = read;
      }
      const dataset = new DataSet();
      for (const element of read.file.dataset.elements()) dataset.add(element);
      inventor.apply(dataset, console);
      source = { ...read.file, dataset };
    } else if (target !== stored && transferSyntax(target).encapsulated) {
      source = await encodedFor(path, target);
    }
  } catch (error) {
    return { done: Promise.resolve(storeFailed(assoc, path, error, tally, console)), made: false };
  }
  if (console.enabled('info'))
    console.info(`Sending Store Request (MsgID ${messageId}, ${modalityOf(instance.sopClassUid, 'OT')})`);
  const storing = assoc.store(source, haltRun ? { signal: haltRun.signal, failureAborts: haltRun } : {});
  return {
    made: true,
    done: storing.then(
      (result) => {
        tally.sent++;
        tally.bytes += instance.fileSize ?? statSync(path).size;
        if (result.status !== 0) tally.warnings++;
        if (console.enabled('info'))
          console.info(`Received Store Response (${statusText('C-STORE', result.status)})`);
        return 'ok' as const;
      },
      (error: unknown) => storeFailed(assoc, path, error, tally, console),
    ),
  };
}

/** A store that failed: counted, reported as DCMTK does, and the outcome that decides what follows. */
function storeFailed(
  assoc: Association,
  path: string,
  error: unknown,
  tally: Tally,
  console: Console,
): StoreOutcome {
  if (!assoc.isEstablished && tally.closeReported) return 'aborted';
  // Waited behind a failed store and was never sent (--halt).
  if (error instanceof DicomError && error.code === 'ERR_CANCELLED') return 'cancelled';
  tally.failed++;
  if (error instanceof DimseStatusError) {
    tally.lastFailure = error.status;
    console.error(
      `Store Failed, file: ${path}: ${statusText('C-STORE', error.status)}${error.errorComment ? ` (${error.errorComment})` : ''}`,
    );
    return 'status';
  }
  if (!assoc.isEstablished) {
    tally.lastFailure = 0;
    tally.closeReported = true;
    reportFailure(console, error);
    return 'aborted';
  }
  console.error(`Store Failed, file: ${path}: ${(error as Error).message}`);
  return 'local';
}
