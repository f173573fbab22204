import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DictgenError, generate, HEADER } from '../../tools/dictgen.ts';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const COMMITTED = join(ROOT, 'src/dictionary/generated');

describe('tools/dictgen', () => {
  const temp = mkdtempSync(join(tmpdir(), 'dictgen-'));
  after(() => rmSync(temp, { recursive: true, force: true }));

  it('reproduces the committed files byte for byte', () => {
    const out = join(temp, 'out');
    const run = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'tools/dictgen.ts'), out], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    assert.equal(run.status, 0, run.stderr);
    const names = readdirSync(out).sort();
    assert.deepEqual(names, readdirSync(COMMITTED).sort());
    for (const name of names) {
      const text = readFileSync(join(out, name), 'utf8');
      assert.ok(text.startsWith(`${HEADER}\n`), name);
      assert.ok(
        text === readFileSync(join(COMMITTED, name), 'utf8'),
        `${name} is stale: run npm run dictgen`,
      );
    }
  });

  it('writes ASCII only, so V8 keeps a one-byte source', () => {
    for (const [name, text] of generate()) assert.doesNotMatch(text, /[^\x00-\x7f]/, name);
  });

  function dataDir(files: Record<string, string>): string {
    const dir = mkdtempSync(join(temp, 'data-'));
    const defaults: Record<string, string> = {
      'elements.tsv':
        "tag\tvr\tvm\tname\tkeyword\tretired\n(0010,0010)\tPN\t1\tPatient's Name\tPatientName\t\n",
      'uids.tsv':
        'uid\tname\ttype\tinfo\tretired\tkeyword\n1.2.840.10008.1.1\tVerification SOP Class\tSOP Class\t\t\tVerification\n',
      'private.tsv': 'creator\ttag\tvr\tvm\tname\tretired\nACME 1.0\t0029xx10\tOB\t1\tBlob\t\n',
      'dcmtk-uid-names.tsv':
        '# where the names come from\nuid\tname\n1.2.840.10008.1.1\tVerificationSOPClass\n',
    };
    for (const [name, text] of Object.entries({ ...defaults, ...files }))
      writeFileSync(join(dir, name), text);
    return dir;
  }

  it('accepts a minimal data set, trailing tabs stripped', () => {
    const files = generate(
      dataDir({
        'elements.tsv': 'tag\tvr\tvm\tname\tkeyword\tretired\n(0010,0010)\tPN\t1\tName\tPatientName\n',
      }),
    );
    assert.match(files.get('elements.ts')!, /"00100010\|PatientName\|PN\|1\|Name\|"/);
    assert.match(files.get('keywords.ts')!, /PatientName: \{ vr: 'PN'; vm: '1' \};/);
    // The comment line before the header says where DCMTK's names come from.
    assert.match(files.get('dcmtk-uid-names.ts')!, /"1\.2\.840\.10008\.1\.1\|VerificationSOPClass"/);
  });

  for (const [what, file, text, message] of [
    ['an unknown VR', 'elements.tsv', '(0010,0010)\tPX\t1\tName\tPatientName\t', /unknown VR 'PX'/],
    [
      'a duplicate keyword',
      'elements.tsv',
      '(0010,0010)\tPN\t1\tA\tX\t\n(0010,0020)\tLO\t1\tB\tX\t',
      /keyword X/,
    ],
    [
      'a duplicate tag',
      'elements.tsv',
      '(0010,0010)\tPN\t1\tA\tX\t\n(0010,0010)\tLO\t1\tB\tY\t',
      /duplicate tag/,
    ],
    ['a bad tag', 'elements.tsv', '(0010,001)\tPN\t1\tA\tX\t', /bad tag/],
    [
      'overlapping repeating entries',
      'elements.tsv',
      '(60xx,0010)\tUS\t1\tA\tX\t\n(60x0,0010)\tUS\t1\tB\tY\t',
      /overlaps/,
    ],
    ['a bad UID', 'uids.tsv', '1.2.03\tX\tSOP Class\t\t\tX', /bad UID/],
    ['a bad private tag', 'private.tsv', 'ACME\t0029xy10\tOB\t1\tBlob\t', /bad tag/],
    ['a | in a field', 'private.tsv', 'ACME\t0029xx10\tOB\t1\tA|B\t', /'\|' is not allowed/],
  ] as const) {
    it(`rejects ${what} with file and line`, () => {
      const header = {
        'elements.tsv': 'tag\tvr\tvm\tname\tkeyword\tretired',
        'uids.tsv': 'uid\tname\ttype\tinfo\tretired\tkeyword',
        'private.tsv': 'creator\ttag\tvr\tvm\tname\tretired',
      }[file];
      const dir = dataDir({ [file]: `${header}\n${text}\n` });
      assert.throws(
        () => generate(dir),
        (e: unknown) =>
          e instanceof DictgenError && message.test(e.message) && e.message.includes(`${file}:`),
      );
    });
  }
});
