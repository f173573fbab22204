/**
 * Read -> write round trips on the corpus: the same syntax reproduces the file byte for
 * byte; a chain of syntax changes loses nothing (DCMTK dcmdump of the result equals the
 * original's); and dciodvfy (dicom3tools) reports no error on our output that it does not
 * report on the input.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { readDicom } from '../../src/object/part10.ts';
import { writeDicom } from '../../src/object/part10-writer.ts';
import { requirePeer, runPeer } from '../helpers/peers.ts';

const CORPUS = 'test/fixtures/pydicom';
/** Well-formed files in uncompressed syntaxes, with file meta. */
const NATIVE_FILES = [
  'CT_small.dcm',
  'MR_small.dcm',
  'MR_small_implicit.dcm',
  'MR_small_bigendian.dcm',
  'MR_small_expb.dcm',
  'ExplVR_BigEnd.dcm',
  'rtplan.dcm',
  'rtstruct.dcm',
  'rtdose.dcm',
  'rtdose_expb.dcm',
  'test-SR.dcm',
  'reportsi.dcm',
  'waveform_ecg.dcm',
  'liver_1frame.dcm',
  'liver_expb_1frame.dcm',
  'image_dfl.dcm',
  'priv_SQ.dcm',
  'SC_rgb_small_odd.dcm',
  'SC_ybr_full_422_uncompressed.dcm',
  'charset/chrH31.dcm',
  'charset/chrX2.dcm',
  'charset/chrSQEncoding.dcm',
];
/**
 * What an implicit VR hop loses by design, per file: lines left out of the comparison.
 * Implicit VR carries no VR, so the reader takes it from the dictionary, as DCMTK does.
 */
const IMPLICIT_VR_LOSSES: Record<string, { pattern: RegExp; reason: string }> = {
  'waveform_ecg.dcm': {
    pattern: /^\((1455|7001),/,
    reason: 'private elements of a creator not in the private dictionary come back as UN',
  },
  'SC_rgb_small_odd.dcm': {
    pattern: /^\(7fe0,0010\)/,
    reason: '8-bit Pixel Data stored as OW comes back as OB (PS3.5 §A.2), same bytes (checked below)',
  },
};

/** Encapsulated files are written back in their own syntax: fragments untouched. */
const ENCAPSULATED_FILES = ['JPEG2000.dcm', 'MR_small_RLE.dcm', 'SC_rgb_jpeg_dcmtk.dcm', 'JPGExtended.dcm'];

const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const IMPLICIT_LE = '1.2.840.10008.1.2';
const EXPLICIT_BE = '1.2.840.10008.1.2.2';
const DEFLATED = '1.2.840.10008.1.2.1.99';

const work = mkdtempSync(join(tmpdir(), 'dicomkit-roundtrip-'));
after(() => rmSync(work, { recursive: true, force: true }));

function load(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(CORPUS, name)));
}

/** dcmdump of a file, without the header lines that name the transfer syntax. */
function dcmdump(path: string): string {
  const result = runPeer('dcmdump', ['-q', '+L', '-Un', path]);
  assert.equal(result.status, 0, result.stderr);
  return result.stdout
    .split('\n')
    .filter((line) => !line.startsWith('#') && !line.startsWith('(0002,'))
    .join('\n');
}

describe('round trip', () => {
  requirePeer('dcmdump');

  for (const name of [...NATIVE_FILES, ...ENCAPSULATED_FILES]) {
    test(`${name}: read -> write in the same syntax is byte for byte`, () => {
      const bytes = load(name);
      const written = writeDicom(readDicom(bytes));
      if (name === 'image_dfl.dcm') {
        // Deflate output depends on the compressor: compare the inflated data sets.
        assert.deepEqual(readDicom(written).dataset.tags(), readDicom(bytes).dataset.tags());
        const path = join(work, 'dfl.dcm');
        writeFileSync(path, written);
        assert.equal(dcmdump(path), dcmdump(join(CORPUS, name)));
        return;
      }
      assert.equal(written.length, bytes.length, 'same length');
      assert.ok(Buffer.from(written).equals(Buffer.from(bytes)), 'same bytes');
    });
  }

  for (const name of NATIVE_FILES) {
    test(`${name}: explicit LE -> implicit LE -> explicit LE -> big endian -> deflated -> explicit LE`, () => {
      const original = join(CORPUS, name);
      let current = readDicom(load(name));
      const own = current.transferSyntax.uid;
      for (const syntax of [EXPLICIT_LE, IMPLICIT_LE, EXPLICIT_LE, EXPLICIT_BE, DEFLATED, EXPLICIT_LE]) {
        current = readDicom(writeDicom(current, { transferSyntax: syntax }));
        assert.equal(current.transferSyntax.uid, syntax);
      }
      // Back in the original's syntax, so that dcmdump's length columns compare too.
      const path = join(work, name.replace('/', '_'));
      writeFileSync(path, writeDicom(current, { transferSyntax: own }));
      const loss = IMPLICIT_VR_LOSSES[name];
      const keep = (text: string): string =>
        loss
          ? text
              .split('\n')
              .filter((line) => !loss.pattern.test(line))
              .join('\n')
          : text;
      assert.equal(keep(dcmdump(path)), keep(dcmdump(original)), 'dcmdump of the result equals the original');
      if (name === 'SC_rgb_small_odd.dcm') {
        assert.deepEqual(
          current.dataset.bytes('PixelData'),
          readDicom(load(name)).dataset.bytes('PixelData'),
        );
      }
    });
  }

  test('dciodvfy reports no error on our output that it does not report on the input', () => {
    requirePeer('dciodvfy', 'apt-get install dicom3tools');
    const errors = (path: string): Set<string> => {
      const result = runPeer('dciodvfy', ['-new', path]);
      return new Set(
        (result.stdout + result.stderr)
          .split('\n')
          .filter((line) => line.startsWith('Error'))
          .map((line) => line.replace(/\s+/g, ' ').trim()),
      );
    };
    for (const name of ['CT_small.dcm', 'MR_small.dcm', 'rtplan.dcm', 'rtstruct.dcm', 'test-SR.dcm']) {
      for (const syntax of [EXPLICIT_LE, IMPLICIT_LE, EXPLICIT_BE]) {
        const path = join(work, `v-${syntax}-${name}`);
        writeFileSync(path, writeDicom(readDicom(load(name)), { transferSyntax: syntax }));
        const before = errors(join(CORPUS, name));
        const added = [...errors(path)].filter((line) => !before.has(line));
        assert.deepEqual(added, [], `${name} as ${syntax}`);
      }
    }
  });
});
