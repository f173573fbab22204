import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { readAssociationProfile, uidForDcmtkName } from './association-profiles.ts';

const work = mkdtempSync(join(tmpdir(), 'dicomkit-profiles-'));
after(() => rmSync(work, { recursive: true, force: true }));

function config(text: string): string {
  const path = join(work, `${Math.random().toString(36).slice(2)}.cfg`);
  writeFileSync(path, text);
  return path;
}

const BASE = `# comment
[[TransferSyntaxes]]
[ Uncompressed ]
TransferSyntax1 = LocalEndianExplicit
TransferSyntax2 = LittleEndianImplicit
[Lossless]
TransferSyntax1 = JPEGLossless:Non-hierarchical-1stOrderPrediction
[[PresentationContexts]]
[Two]
PresentationContext1 = CTImageStorage\\Lossless
PresentationContext2 = CTImageStorage\\Uncompressed
[[SCPSCURoleSelection]]
[Roles]
Role1 = CTImageStorage\\BOTH
[[Profiles]]
[Sender]
PresentationContexts = Two
SCPSCURoleSelection = Roles
`;

describe('DCMTK association profiles (-xf)', () => {
  test("DCMTK's symbolic names resolve to the standard's UIDs", () => {
    const cases: Array<[string, string]> = [
      ['VerificationSOPClass', '1.2.840.10008.1.1'],
      ['CTImageStorage', '1.2.840.10008.5.1.4.1.1.2'],
      ['MultiframeGrayscaleByteSecondaryCaptureImageStorage', '1.2.840.10008.5.1.4.1.1.7.2'],
      ['RETIRED_UltrasoundImageStorage', '1.2.840.10008.5.1.4.1.1.6'],
      ['RETIRED_VLImageStorage', '1.2.840.10008.5.1.4.1.1.77.1'],
      ['DRAFT_SRTextStorage', '1.2.840.10008.5.1.4.1.1.88.1'],
      ['DRAFT_WaveformStorage', '1.2.840.10008.5.1.4.1.1.9.1'],
      ['LocalEndianExplicit', '1.2.840.10008.1.2.1'],
      ['JPEGExtended:Process2+4', '1.2.840.10008.1.2.4.51'],
      ['1.2.3.4', '1.2.3.4'],
    ];
    for (const [name, uid] of cases) assert.equal(uidForDcmtkName(name), uid, name);
    assert.equal(uidForDcmtkName('NoSuchStorage'), undefined);
    assert.equal(uidForDcmtkName('1.2.03'), undefined);
  });

  test('a profile: its contexts in order, names folded, role selection', () => {
    const profile = readAssociationProfile(config(BASE), 'SENDER', 'requestor');
    assert.deepEqual(profile.contexts, [
      { abstractSyntax: '1.2.840.10008.5.1.4.1.1.2', transferSyntaxes: ['1.2.840.10008.1.2.4.70'] },
      {
        abstractSyntax: '1.2.840.10008.5.1.4.1.1.2',
        transferSyntaxes: ['1.2.840.10008.1.2.1', '1.2.840.10008.1.2'],
      },
    ]);
    assert.deepEqual(profile.roles.get('1.2.840.10008.5.1.4.1.1.2'), { scu: true, scp: true });
    assert.equal(profile.extendedNegotiation.size, 0);
    const extended = readAssociationProfile(
      config(
        `${BASE}ExtendedNegotiation = E\n[[ExtendedNegotiation]]\n[E]\nExtendedNegotiation1 = CTImageStorage\\020003000000\n`,
      ),
      'Sender',
      'requestor',
    );
    assert.deepEqual(
      [...extended.extendedNegotiation],
      [['1.2.840.10008.5.1.4.1.1.2', Uint8Array.of(2, 0, 3, 0, 0, 0)]],
    );
  });

  test('mistakes are named', () => {
    const path = config(BASE);
    const fails = (run: () => unknown, pattern: RegExp): void => assert.throws(run, pattern);
    fails(
      () => readAssociationProfile(path, 'Nope', 'requestor'),
      /unknown configuration profile name: Nope/,
    );
    // An acceptor may list a SOP class once (asconfig.txt §2.2).
    fails(() => readAssociationProfile(path, 'Sender', 'acceptor'), /more than once/);
    fails(() => readAssociationProfile(join(work, 'absent.cfg'), 'Sender', 'requestor'), /cannot read/);
    fails(
      () =>
        readAssociationProfile(
          config(BASE.replace('CTImageStorage\\Lossless', 'NoSuchStorage\\Lossless')),
          'Sender',
          'requestor',
        ),
      /unknown SOP class NoSuchStorage/,
    );
    fails(
      () => readAssociationProfile(config(BASE.replace('\\Lossless', '\\Missing')), 'Sender', 'requestor'),
      /no transfer syntax list \[Missing\]/,
    );
    fails(
      () => readAssociationProfile(config(`${BASE}ExtendedNegotiation = X\n`), 'Sender', 'requestor'),
      /no extended negotiation list \[X\]/,
    );
    fails(
      () =>
        readAssociationProfile(
          config(
            `${BASE}ExtendedNegotiation = E\n[[ExtendedNegotiation]]\n[E]\nExtendedNegotiation1 = CTImageStorage\\0G\n`,
          ),
          'Sender',
          'requestor',
        ),
      /hexadecimal/,
    );
    fails(() => readAssociationProfile(config('Key = value\n'), 'Sender', 'requestor'), /line 1/);
  });
});
