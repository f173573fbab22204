// Units of the DCMTK-compatible network tools: argument translation, -k keys, the presentation
// contexts storescu proposes and the one it picks, DCMTK's status words and file names.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { transferSyntax } from '../encoding/index.ts';
import type { NegotiatedContext } from '../net/association/index.ts';
import { DataSet } from '../object/index.ts';
import type { PreparedInstance } from '../services/index.ts';
import {
  argumentsLine,
  commandFileWords,
  expandCommandFiles,
  translateDcmtkArgs,
} from './common/dcmtk-args.ts';
import { receivedFileName } from './common/file-names.ts';
import { Console } from './common/network.ts';
import { applyKey } from './common/query-keys.ts';
import { statusText } from './common/status-text.ts';
import { acceptedSyntaxes, DEFLATED, EBE, ELE, ILE, proposalOf } from './common/transfer-syntaxes.ts';
import { FINDSCU_ALIASES } from './findscu.ts';
import { chooseContext, IdentityInventor, STORESCU_ALIASES, storageProposals } from './storescu.ts';

const JPEG_LOSSLESS = '1.2.840.10008.1.2.4.70';
const RLE = '1.2.840.10008.1.2.5';

test('DCMTK spellings become long options; option values are left alone; +tls takes two', () => {
  const takesValue = (long: string) => ['--aetitle', '--key', '--call'].includes(long);
  assert.deepEqual(
    translateDcmtkArgs(
      ['-aet', '-v', '-k', '-P', '+tls', 'k.pem', 'c.pem', '-v', 'host', '104'],
      {
        ...FINDSCU_ALIASES,
      },
      takesValue,
    ),
    [
      '--aetitle',
      '-v',
      '--key',
      '-P',
      '--tls-key',
      'k.pem',
      '--tls-cert',
      'c.pem',
      '--verbose',
      'host',
      '104',
    ],
  );
  assert.deepEqual(translateDcmtkArgs(['-xs', '--', '-xs'], STORESCU_ALIASES), [
    '--propose-lossless',
    '--',
    '-xs',
  ]);
});

test('@file command files expand to their words, quotes keeping spaces; --arguments prints them as DCMTK does', () => {
  assert.deepEqual(commandFileWords('-aet "MY AE"\n  -k \'PatientName=DOE^J*\'\t-v\n'), [
    '-aet',
    'MY AE',
    '-k',
    'PatientName=DOE^J*',
    '-v',
  ]);
  const files: Record<string, string> = { 'opts.txt': '-aet "MY AE" -v' };
  const expanded = expandCommandFiles(['--arguments', '@opts.txt', 'host', '104', '--', '@opts.txt'], (p) => {
    const text = files[p];
    if (text === undefined) throw new Error(`no ${p}`);
    return text;
  });
  assert.deepEqual(expanded, ['--arguments', '-aet', 'MY AE', '-v', 'host', '104', '--', '@opts.txt']);
  assert.throws(
    () =>
      expandCommandFiles(['@missing.txt'], () => {
        throw new Error('cannot read command file missing.txt');
      }),
    /missing\.txt/,
  );
  // DCMTK: "calling 'echoscu' with 6 arguments: '--arguments' '--aetitle' 'MY AE' '--verbose' '127.0.0.1' '1' "
  const args = translateDcmtkArgs(
    ['--arguments', '-aet', 'MY AE', '-v', '127.0.0.1', '1'],
    STORESCU_ALIASES,
    (l) => l === '--aetitle',
  );
  assert.equal(
    argumentsLine('echoscu', args),
    "calling 'echoscu' with 6 arguments: '--arguments' '--aetitle' 'MY AE' '--verbose' '127.0.0.1' '1' ",
  );
});

test('-k keys: keyword, gggg,eeee, (gggg,eeee), with and without values, sequence paths', () => {
  const q = new DataSet();
  applyKey(q, '(0008,0052)=PATIENT');
  applyKey(q, '0010,0020=X\\Y');
  applyKey(q, 'PatientName');
  applyKey(q, 'ScheduledProcedureStepSequence[0].Modality=CT');
  applyKey(q, 'ScheduledProcedureStepSequence[0].ScheduledStationAETitle');
  applyKey(q, 'ReferencedStudySequence');
  assert.equal(q.string('QueryRetrieveLevel'), 'PATIENT');
  assert.deepEqual(q.strings('PatientID'), ['X', 'Y']);
  assert.ok(q.has('PatientName') && !q.string('PatientName'));
  const item = q.sequence('ScheduledProcedureStepSequence')![0]!;
  assert.equal(item.string('Modality'), 'CT');
  assert.ok(item.has('ScheduledStationAETitle'));
  assert.deepEqual(q.sequence('ReferencedStudySequence'), []);
  // A later key without a value empties an earlier one, as DCMTK's -k does.
  applyKey(q, 'PatientID');
  assert.ok(!q.string('PatientID'));
  assert.throws(() => applyKey(q, 'NoSuchKeyword=1'), /unknown attribute 'NoSuchKeyword'/);
  assert.throws(() => applyKey(q, 'PatientID[0].Modality=CT'), /not a sequence/);
});

function instance(sopClassUid: string, ts: string, n: number): PreparedInstance {
  return {
    sopClassUid,
    sopInstanceUid: `2.25.${n}`,
    transferSyntax: transferSyntax(ts),
    label: `f${n}`,
    canSendAs: () => true,
    data: () => [],
  };
}

test('storescu proposes per SOP class the preferred syntax and the fallback, a stored compressed one apart', () => {
  const files = [instance('1.2.3.1', ELE, 1), instance('1.2.3.1', RLE, 2), instance('1.2.3.2', ILE, 3)];
  const [contexts] = storageProposals(files, proposalOf({ proposeLossless: true }, 'storage'), false);
  assert.deepEqual(
    contexts!.map((c) => [c.abstractSyntax, c.transferSyntaxes]),
    [
      ['1.2.3.1', [JPEG_LOSSLESS]],
      ['1.2.3.1', [ELE, EBE, ILE]],
      ['1.2.3.1', [RLE]],
      ['1.2.3.2', [JPEG_LOSSLESS]],
      ['1.2.3.2', [ELE, EBE, ILE]],
    ],
  );
  const [combined] = storageProposals(files.slice(0, 1), proposalOf({}, 'storage'), true);
  assert.deepEqual(
    combined!.map((c) => c.transferSyntaxes),
    [[ELE, EBE, ILE]],
  );
  const [implicitOnly] = storageProposals(
    files.slice(2),
    proposalOf({ proposeImplicit: true }, 'storage'),
    false,
  );
  assert.deepEqual(
    implicitOnly!.map((c) => c.transferSyntaxes),
    [[ILE]],
  );
});

test('more than 128 contexts: several associations, a SOP class never split', () => {
  const files = Array.from({ length: 70 }, (_, i) => instance(`1.2.3.${i}`, ELE, i));
  const groups = storageProposals(files, proposalOf({}, 'storage'), false);
  assert.deepEqual(
    groups.map((g) => g.length),
    [128, 12],
  );
  assert.ok(groups.every((g) => g.length <= 128));
});

test('the accepted context storescu picks: own syntax, explicit, implicit, then any (DCMTK order)', () => {
  let id = 1;
  const ctx = (ts: string | undefined, accepted = true): NegotiatedContext =>
    ({
      id: (id += 2),
      abstractSyntax: '1.2.3',
      accepted,
      transferSyntax: ts,
      scuRole: true,
      scpRole: false,
    }) as never;
  const all = [ctx(JPEG_LOSSLESS), ctx(ILE), ctx(EBE), ctx(RLE)];
  assert.equal(chooseContext(all, '1.2.3', RLE, ELE)?.transferSyntax, RLE);
  assert.equal(chooseContext(all, '1.2.3', ELE, ELE)?.transferSyntax, EBE);
  assert.equal(chooseContext([ctx(JPEG_LOSSLESS), ctx(ILE)], '1.2.3', ELE, ELE)?.transferSyntax, ILE);
  assert.equal(
    chooseContext([ctx(JPEG_LOSSLESS), ctx(ELE, false)], '1.2.3', ELE, ELE)?.transferSyntax,
    JPEG_LOSSLESS,
  );
  assert.equal(chooseContext([ctx(ELE), ctx(DEFLATED)], '1.2.3', ELE, DEFLATED)?.transferSyntax, DEFLATED);
  assert.equal(chooseContext([ctx(ELE)], '9.9', ELE, ELE), undefined);
});

test('what an acceptor takes: everything by default for storescp, DCMTK order first; +xi, +xs narrow it', () => {
  const all = acceptedSyntaxes({}, 'all');
  assert.deepEqual(all.slice(0, 3), [ELE, EBE, ILE]);
  assert.ok(all.includes(JPEG_LOSSLESS) && all.includes(RLE));
  assert.deepEqual(acceptedSyntaxes({}, 'uncompressed'), [ELE, EBE, ILE]);
  assert.deepEqual(acceptedSyntaxes({ preferLossless: true }, 'all'), [JPEG_LOSSLESS, ELE, EBE, ILE]);
  assert.deepEqual(acceptedSyntaxes({ implicit: true }, 'all'), [ILE]);
  assert.equal(acceptedSyntaxes({ preferLossless: true, acceptAll: true }, 'uncompressed')[0], JPEG_LOSSLESS);
});

test("DCMTK's status words and file names", () => {
  assert.equal(statusText('C-FIND', 0xa900), 'Error: DataSetDoesNotMatchSOPClass');
  assert.equal(statusText('C-FIND', 0xc123), 'Failed: UnableToProcess');
  assert.equal(statusText('C-MOVE', 0xa801), 'Refused: MoveDestinationUnknown');
  assert.equal(statusText('C-STORE', 0xa7ff), 'Refused: OutOfResources');
  assert.equal(statusText('C-STORE', 0xc001), 'Error: CannotUnderstand');
  assert.equal(statusText('C-GET', 0x1234), 'Unknown Status: 0x1234');
  assert.equal(receivedFileName('1.2.840.10008.5.1.4.1.1.2', '1.2.3'), 'CT.1.2.3');
  assert.equal(receivedFileName('1.2.840.10008.5.1.4.1.1.7', '1.2.3', '.dcm'), 'SC.1.2.3.dcm');
  assert.equal(receivedFileName('1.2.840.10008.5.1.4.1.1.481.5', '1.2.3'), 'RP.1.2.3');
  assert.equal(receivedFileName('1.2.3.4', '1.2.3'), 'UNKNOWN.1.2.3');
  assert.throws(() => receivedFileName('1.2.840.10008.5.1.4.1.1.2', '../../etc/passwd'), /not a UID/);
});

test('storescu +II: identities roll over at the counts; an attribute the data set lacks is left out', () => {
  const inventor = new IdentityInventor(2, 2, 2, () => 1_700_000_000_000);
  const quiet = new Console({ quiet: true });
  const sent: DataSet[] = [];
  for (let i = 0; i < 9; i++) {
    const ds = new DataSet();
    for (const keyword of [
      'PatientName',
      'PatientID',
      'StudyInstanceUID',
      'SeriesInstanceUID',
      'SOPInstanceUID',
    ] as const)
      ds.set(keyword, keyword === 'PatientName' ? 'REAL^PATIENT' : '1.2.3');
    ds.set('SeriesNumber', 7);
    ds.set('InstanceNumber', 9);
    inventor.apply(ds, quiet);
    sent.push(ds);
  }
  const distinct = (keyword: 'SOPInstanceUID' | 'SeriesInstanceUID' | 'StudyInstanceUID' | 'PatientID') =>
    new Set(sent.map((ds) => ds.string(keyword))).size;
  // 9 images: series of 2 (5 series), studies of 2 series (3 studies), patients of 2 studies (2).
  assert.deepEqual(
    [
      distinct('SOPInstanceUID'),
      distinct('SeriesInstanceUID'),
      distinct('StudyInstanceUID'),
      distinct('PatientID'),
    ],
    [9, 5, 3, 2],
  );
  assert.deepEqual(
    sent.map((ds) => ds.number('InstanceNumber')),
    [0, 1, 0, 1, 0, 1, 0, 1, 0],
  );
  assert.deepEqual(
    sent.map((ds) => ds.number('SeriesNumber')),
    [0, 0, 1, 1, 0, 0, 1, 1, 0],
  );
  assert.equal(sent[0]!.string('PatientID'), 'PID_17000000000');
  assert.equal(sent[8]!.string('PatientName'), 'DICOMKIT^TEST_PN_17000000001');
  // StudyID was not in these data sets: it is not added (DCMTK logs it and goes on).
  assert.equal(sent[0]!.has('StudyID'), false);
});
