/**
 * PACS index at scale (on demand):
 *   node --import tsx bench/pacs-index.ts [--instances 1000000] [--batch 1000] [--dir DIR] [--keep]
 *
 * Generates synthetic instances (10 per study: 2 series of 5; 2 studies per patient; random
 * study UID roots, so the UID indexes grow as with real data; ~1.2 KB headers) into an
 * on-disk SQLite index in batches of --batch, one transaction each, as the PACS commits the
 * rows of concurrent associations. Prints the insert rate of the first and the last
 * twentieth (the aim: rate with 1M indexed >= 0.8x the rate on an empty index), the WAL
 * checkpoints its worker thread made (sqlite.ts checkpoints them off the writer), then the
 * median latency over 21 runs of study-level C-FIND (a typical viewer's return keys, all
 * responses built) for a PatientName wildcard, a StudyDate range and an AccessionNumber
 * (the aim: < 20 ms at 1M instances), with each query's plan.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DataSet } from '../src/object/index.ts';
import { openSqliteIndex } from '../src/pacs/index/sqlite.ts';
import type { StoredInstance } from '../src/pacs/index/types.ts';

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const total = option('--instances', 1_000_000);
const batch = option('--batch', 1000);
const dirAt = args.indexOf('--dir');
const work = dirAt >= 0 ? args[dirAt + 1]! : mkdtempSync(join(tmpdir(), 'dicomkit-bench-index-'));
if (!args.includes('--keep') && dirAt < 0)
  process.on('exit', () => rmSync(work, { recursive: true, force: true }));

const PER_STUDY = 10;
const PER_SERIES = 5;
const STUDIES_PER_PATIENT = 2;
const DAYS = 3650;
const FIRST_DAY = Date.UTC(2015, 0, 1);
const MODALITIES = ['CT', 'MR', 'US', 'CR', 'DX', 'MG', 'PT', 'NM'];

/** A deterministic pseudo-random generator (mulberry32), so runs compare. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = random(42);
const pad = (n: number, width: number): string => String(n).padStart(width, '0');
const studyDay = (study: number): number => (study * 7919) % DAYS;
const dateOf = (day: number): string =>
  new Date(FIRST_DAY + day * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '');
const patientName = (patient: number): string => `DOE${pad(patient, 6)}^JOHN`;
const studyUids: string[] = [];

function header(i: number): DataSet {
  const study = Math.floor(i / PER_STUDY);
  const seriesIndex = Math.floor((i % PER_STUDY) / PER_SERIES);
  const patient = Math.floor(study / STUDIES_PER_PATIENT);
  let studyUid = studyUids[study];
  if (!studyUid) {
    studyUid = `1.2.826.0.1.3680043.10.543.${Math.floor(rand() * 1e15)}.${Math.floor(rand() * 1e9)}`;
    studyUids[study] = studyUid;
  }
  const seriesUid = `${studyUid}.${seriesIndex + 1}`;
  const modality = seriesIndex === 0 ? MODALITIES[study % MODALITIES.length]! : 'SR';
  const ds = new DataSet();
  ds.set('SpecificCharacterSet', 'ISO_IR 192');
  ds.set('ImageType', ['ORIGINAL', 'PRIMARY', 'AXIAL']);
  ds.set('SOPClassUID', seriesIndex === 0 ? '1.2.840.10008.5.1.4.1.1.2' : '1.2.840.10008.5.1.4.1.1.88.22');
  ds.set('SOPInstanceUID', `${seriesUid}.${(i % PER_SERIES) + 1}`);
  ds.set('StudyDate', dateOf(studyDay(study)));
  ds.set('SeriesDate', dateOf(studyDay(study)));
  ds.set('StudyTime', `${pad(7 + (study % 12), 2)}${pad(study % 60, 2)}00`);
  ds.set('AccessionNumber', `ACC${pad(study, 8)}`);
  ds.set('Modality', modality);
  ds.set('Manufacturer', 'DICOMKIT BENCH');
  ds.set('InstitutionName', 'General Hospital');
  ds.set('ReferringPhysicianName', `REFERRER${study % 50}^ANNE`);
  ds.set('StationName', 'STATION1');
  ds.set('StudyDescription', `Study ${modality} ${study % 30}`);
  ds.set('SeriesDescription', `Series ${seriesIndex + 1}`);
  ds.set('PatientName', patientName(patient));
  ds.set('PatientID', `PID${pad(patient, 7)}`);
  ds.set('PatientBirthDate', dateOf((patient * 31) % DAYS).replace(/^20/, '19'));
  ds.set('PatientSex', patient % 2 === 0 ? 'F' : 'M');
  ds.set('BodyPartExamined', 'CHEST');
  ds.set('SliceThickness', '2.5');
  ds.set('ProtocolName', 'ROUTINE CHEST');
  ds.set('StudyInstanceUID', studyUid);
  ds.set('SeriesInstanceUID', seriesUid);
  ds.set('StudyID', String(study));
  ds.set('SeriesNumber', seriesIndex + 1);
  ds.set('InstanceNumber', (i % PER_SERIES) + 1);
  ds.set('ImagePositionPatient', ['-250.0', '-250.0', String(-(i % PER_SERIES) * 2.5)]);
  ds.set('ImageOrientationPatient', ['1', '0', '0', '0', '1', '0']);
  ds.set('FrameOfReferenceUID', `${studyUid}.9`);
  ds.set('ImageComments', 'synthetic instance for the index benchmark '.repeat(12));
  ds.set('SamplesPerPixel', 1);
  ds.set('PhotometricInterpretation', 'MONOCHROME2');
  ds.set('Rows', 512);
  ds.set('Columns', 512);
  ds.set('PixelSpacing', ['0.7', '0.7']);
  ds.set('BitsAllocated', 16);
  ds.set('BitsStored', 12);
  ds.set('HighBit', 11);
  ds.set('PixelRepresentation', 0);
  ds.set('WindowCenter', '40');
  ds.set('WindowWidth', '400');
  ds.set('RescaleIntercept', '-1024');
  ds.set('RescaleSlope', '1');
  return ds;
}

const path = join(work, 'index.sqlite');
const index = openSqliteIndex(path, { retrieveAeTitle: 'DICOMKIT' });
const windowSize = Math.max(batch, Math.floor(total / 20));
const rates: number[] = [];
let windowStart = performance.now();
let windowDone = 0;
let busy = 0;
const started = performance.now();
for (let done = 0; done < total; ) {
  const rows: StoredInstance[] = [];
  for (let k = 0; k < batch && done < total; k++, done++) {
    rows.push({
      header: header(done),
      path: `ab/${done}.dcm`,
      size: 520_000,
      transferSyntax: '1.2.840.10008.1.2.1',
      sourceAeTitle: 'BENCH',
      receivedAt: Date.now(),
    });
  }
  // Only the index's work is timed, not the generation of the headers.
  const t0 = performance.now();
  index.add(rows);
  busy += performance.now() - t0;
  windowDone += rows.length;
  if (windowDone >= windowSize || done === total) {
    const rate = windowDone / (busy / 1000);
    rates.push(rate);
    process.stderr.write(`indexed ${done} (${rate.toFixed(0)}/s)\n`);
    windowDone = 0;
    busy = 0;
    windowStart = performance.now();
  }
}
void windowStart;
const loadSeconds = (performance.now() - started) / 1000;
index.optimize();

const studies = Math.ceil(total / PER_STUDY);
const patients = Math.ceil(studies / STUDIES_PER_PATIENT);
function latency(make: (i: number) => Record<string, string>): { median: number; matches: string } {
  const times: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < 21; i++) {
    const identifier = new DataSet();
    identifier.set('SpecificCharacterSet', 'ISO_IR 192');
    identifier.set('QueryRetrieveLevel', 'STUDY');
    for (const k of [
      'StudyInstanceUID',
      'PatientName',
      'PatientID',
      'PatientBirthDate',
      'StudyDate',
      'StudyTime',
      'AccessionNumber',
      'StudyDescription',
      'ModalitiesInStudy',
      'NumberOfStudyRelatedInstances',
    ] as const) {
      identifier.set(k, undefined);
    }
    for (const [k, v] of Object.entries(make(i))) identifier.set(k as never, v);
    const start = performance.now();
    let n = 0;
    for (const response of index.find({ model: 'study', level: 'STUDY', identifier })) {
      if (response.size > 0) n++;
    }
    times.push(performance.now() - start);
    counts.push(n);
  }
  times.sort((a, b) => a - b);
  return { median: times[10]!, matches: `${Math.min(...counts)}-${Math.max(...counts)}` };
}

const at = (i: number): number => Math.floor(((i + 1) * 104729) % patients);
const queries: [string, (i: number) => Record<string, string>][] = [
  [
    'PatientName wildcard `DOE0nnnn*` (10 patients)',
    (i) => ({ PatientName: `${patientName(at(i)).slice(0, 8)}*` }),
  ],
  [
    'PatientName wildcard, lower case `doe0nnnn*`',
    (i) => ({ PatientName: `${patientName(at(i)).slice(0, 8).toLowerCase()}*` }),
  ],
  [
    'StudyDate range, 7 days',
    (i) => {
      const day = (i * 173) % (DAYS - 7);
      return { StudyDate: `${dateOf(day)}-${dateOf(day + 6)}` };
    },
  ],
  [
    'StudyDate+StudyTime combined, 2 days',
    (i) => {
      const day = (i * 173) % (DAYS - 7);
      return { StudyDate: `${dateOf(day)}-${dateOf(day + 1)}`, StudyTime: '1000-1200' };
    },
  ],
  ['AccessionNumber', (i) => ({ AccessionNumber: `ACC${pad((i * 7777) % studies, 8)}` })],
];

const stats = index.statistics();
const walSize = statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0;
const size = statSync(path).size + walSize;
const { checkpoints, restarts } = index.backgroundCheckpoints;
console.log(
  `\nindex: ${stats.instances} instances, ${stats.series} series, ${stats.studies} studies, ${stats.patients} patients; ${(size / 1e6).toFixed(0)} MB (WAL ${(walSize / 1e6).toFixed(0)} MB); loaded in ${loadSeconds.toFixed(1)} s (batches of ${batch}); ${checkpoints} checkpoints on the worker thread, ${restarts} of them RESTART`,
);
console.log('| measure | value |');
console.log('|---|---:|');
console.log(`| insert rate, first ${windowSize} instances | ${rates[0]!.toFixed(0)} instances/s |`);
console.log(
  `| insert rate, last ${windowSize} instances | ${rates[rates.length - 1]!.toFixed(0)} instances/s |`,
);
console.log(`| last / first | ${(rates[rates.length - 1]! / rates[0]!).toFixed(2)}x |`);
for (const [label, make] of queries) {
  const { median, matches } = latency(make);
  console.log(`| C-FIND STUDY, ${label}: median ms (matches) | ${median.toFixed(2)} (${matches}) |`);
}
index.close();
