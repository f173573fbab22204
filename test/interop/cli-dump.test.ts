/**
 * The file tools as a user runs them: `dicomkit dump` with dcmdump's flags and exit codes,
 * `dicomkit dump2dcm` on dump2dcm's text format (checked with DCMTK's dcmdump), and
 * `dicomkit json` / `json2dcm`.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { requirePeer, runPeer } from '../helpers/peers.ts';

const CORPUS = 'test/fixtures/pydicom';
const work = mkdtempSync(join(tmpdir(), 'dicomkit-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));

function dicomkit(...args: string[]): { stdout: string; stderr: string; status: number } {
  return runPeer(process.execPath, ['bin/dicomkit.js', ...args], { timeoutMs: 60_000 });
}

/**
 * dcmdump's element lines without the padding that aligns the comment column and without
 * the names of private elements (DCMTK's private dictionary spells them its own way).
 */
function lines(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('(') || line.startsWith(' '))
    .map((line) => line.replace(/\s+#/, ' #').trimEnd())
    .map((line) =>
      /^\s*\([0-9a-f]{3}[13579bdf],/.test(line) ? line.replace(/(#\s*\S+,\s*\d+) .*$/, '$1') : line,
    );
}

describe('dicomkit dump', () => {
  requirePeer('dcmdump');

  test('prints dcmdump layout and exits 0', () => {
    const ours = dicomkit('dump', join(CORPUS, 'CT_small.dcm'));
    assert.equal(ours.status, 0, ours.stderr);
    assert.match(ours.stdout, /^\(0010,0010\) PN \[CompressedSamples\^CT1\] {18}# {2}22, 1 PatientName$/m);
    assert.match(ours.stdout, /^# Dicom-Meta-Information-Header$/m);
    const theirs = runPeer('dcmdump', [join(CORPUS, 'CT_small.dcm')]);
    // Same lines, except pixel data and UID names where DCMTK uses its own spellings; FL and FD
    // digit for digit (DCMTK's own ftoa, not C's %g).
    const comparable = (l: string) => !l.startsWith('(7fe0,0010)') && !/ UI =/.test(l);
    assert.deepEqual(lines(ours.stdout).filter(comparable), lines(theirs.stdout).filter(comparable));
  });

  test('+P prints only matching elements, at any depth, like dcmdump +P', () => {
    const path = join(CORPUS, 'rtplan.dcm');
    const ours = dicomkit('dump', '+P', '0008,1150', '+P', 'PatientName', '-Un', path);
    const theirs = runPeer('dcmdump', ['+P', '0008,1150', '+P', 'PatientName', '-Un', path]);
    assert.equal(ours.status, 0, ours.stderr);
    assert.deepEqual(lines(ours.stdout), lines(theirs.stdout));
    const prefixed = dicomkit('dump', '+P', '0008,1150', '+p', '-Un', path);
    assert.deepEqual(
      lines(prefixed.stdout),
      lines(runPeer('dcmdump', ['+P', '0008,1150', '+p', '-Un', path]).stdout),
    );
  });

  test('an unreadable file: non-zero exit and one clear line naming the file and offset', () => {
    const missing = dicomkit('dump', join(work, 'nope.dcm'));
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /ERR_IO: cannot open .*nope\.dcm/);
    const truncated = dicomkit('dump', join(CORPUS, 'MR_truncated.dcm'));
    assert.equal(truncated.status, 1);
    assert.match(truncated.stderr, /ERR_UNEXPECTED_END: .*\(7FE0,0010\).* at byte offset \d+/);
    assert.equal(truncated.stdout, '', 'nothing printed of a damaged file without +E');
    const partial = dicomkit('dump', '+E', join(CORPUS, 'MR_truncated.dcm'));
    assert.equal(partial.status, 1);
    assert.match(partial.stdout, /PatientName/);
  });

  test('an unknown flag is a clear error', () => {
    const result = dicomkit('dump', '--no-such-flag', join(CORPUS, 'CT_small.dcm'));
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /unknown option '--no-such-flag'/);
  });
});

describe('dicomkit dump2dcm', () => {
  requirePeer('dcmdump');

  test('turns a query written in dump2dcm format into a file DCMTK reads', () => {
    const text = join(work, 'query.txt');
    writeFileSync(
      text,
      [
        '# a C-FIND query',
        '(0008,0052) CS [PATIENT]                                # QueryRetrieveLevel',
        '(0010,0010) PN [Doe^J*]',
        'PatientID LO [12345]',
        '(0010,0030) DA (no value available)',
        '(0008,1110) SQ (Sequence with explicit length #=1)',
        '  (fffe,e000) na (Item with explicit length #=1)',
        '    (0008,1150) UI =CTImageStorage',
        '  (fffe,e00d) na (ItemDelimitationItem for re-encoding)',
        '(fffe,e0dd) na (SequenceDelimitationItem for re-encod.)',
        '(0028,0010) US 512',
        '(0020,0032) DS [-125.0\\-125.0\\0]',
      ].join('\n'),
    );
    const out = join(work, 'query.dcm');
    const result = dicomkit('dump2dcm', text, out);
    assert.equal(result.status, 0, result.stderr);
    const dump = runPeer('dcmdump', ['-q', out]);
    assert.equal(dump.status, 0, dump.stderr);
    assert.match(dump.stdout, /\(0008,0052\) CS \[PATIENT\]/);
    assert.match(dump.stdout, /\(0010,0010\) PN \[Doe\^J\*\]/);
    assert.match(dump.stdout, /\(0010,0020\) LO \[12345\]/);
    assert.match(dump.stdout, /\(0010,0030\) DA \(no value available\)/);
    assert.match(dump.stdout, /\(0008,1150\) UI =CTImageStorage/);
    assert.match(dump.stdout, /\(0028,0010\) US 512/);
    assert.match(dump.stdout, /\(0020,0032\) DS \[-125.0\\-125.0\\0\]\s+# {2}16, 3/);
  });

  test('dcmdump output of a corpus file converts back to the same data set', () => {
    for (const name of ['rtplan.dcm', 'CT_small.dcm', 'MR_small_bigendian.dcm']) {
      const source = join(CORPUS, name);
      const text = join(work, `${name}.txt`);
      writeFileSync(text, runPeer('dcmdump', ['+L', '-Un', source]).stdout);
      const out = join(work, name);
      // -p=: CT_small ends with a trailing padding, which dump2dcm (as DCMTK's) drops unless told.
      const result = dicomkit('dump2dcm', '-p=', text, out);
      assert.equal(result.status, 0, result.stderr);
      const strip = (t: string) => lines(t).filter((l) => !l.startsWith('(0002,'));
      assert.deepEqual(
        strip(runPeer('dcmdump', ['+L', '-Un', out]).stdout),
        strip(runPeer('dcmdump', ['+L', '-Un', source]).stdout),
        name,
      );
    }
  });

  test('a syntax error names the line', () => {
    const text = join(work, 'bad.txt');
    writeFileSync(text, '(0010,0010) PN [ok]\n(0028,0010) US twelve\n');
    const result = dicomkit('dump2dcm', text, join(work, 'bad.dcm'));
    assert.equal(result.status, 1);
    assert.match(result.stderr, /ERR_DUMP_SYNTAX: line 2: not a number: 'twelve'/);
  });

  test('dump2dcm options write what DCMTK dump2dcm writes; pixel data comes back from dcmdump +W files', () => {
    requirePeer('dump2dcm');
    const dir = join(work, 'dump2dcm-options');
    mkdirSync(dir);
    // dcmdump +W writes the (big endian) file's pixel data little endian to a .raw file and
    // prints =path, which dump2dcm reads back.
    const text = join(dir, 'mr.dump');
    const dumped = runPeer('dcmdump', ['+L', '-Un', '+W', dir, join(CORPUS, 'MR_small_bigendian.dcm')]);
    writeFileSync(text, dumped.stdout);
    // UIDs that +Ug +Uo makes anew, and the writers' identities, differ between the tools.
    const comparable = (path: string) =>
      runPeer('dcmdump', ['+L', '-Un', path])
        .stdout.split('\n')
        .filter((line) => !/^\((0002,000[03]|0002,001[23]|0008,0018|0020,000[de])\)/.test(line));
    for (const options of [
      [],
      ['-f'],
      ['+g'],
      ['-e', '+te'],
      ['+tb'],
      ['+td', '+cl', '1'],
      ['+Fu'],
      ['-F'],
      ['+Ug', '+Uo'],
    ]) {
      const ours = join(dir, 'ours.dcm');
      const theirs = join(dir, 'theirs.dcm');
      const result = dicomkit('dump2dcm', ...options, text, ours);
      assert.equal(result.status, 0, result.stderr);
      assert.equal(runPeer('dump2dcm', [...options, text, theirs]).status, 0);
      assert.deepEqual(comparable(ours), comparable(theirs), options.join(' '));
    }
    const original = runPeer('dcmdump', [
      '+L',
      '-Un',
      '+P',
      'PixelData',
      join(CORPUS, 'MR_small_bigendian.dcm'),
    ]).stdout;
    assert.equal(
      runPeer('dcmdump', ['+L', '-Un', '+P', 'PixelData', join(dir, 'ours.dcm')]).stdout,
      original,
    );
    // +Ug +Uo: new Study, Series and SOP Instance UIDs, the meta's following the SOP Instance UID.
    const renewed = runPeer('dcmdump', [
      '-Un',
      '+P',
      '0002,0003',
      '+P',
      '0008,0018',
      join(dir, 'ours.dcm'),
    ]).stdout;
    const [metaUid, sopUid] = [...renewed.matchAll(/\[([0-9.]+)\]/g)].map((m) => m[1]);
    assert.equal(metaUid, sopUid);
    assert.notEqual(sopUid, '1.3.6.1.4.1.5962.1.1.4.1.1.20040826185059.5457');
  });

  test('dump2dcm -u, +p f i, -p= and its default (no padding) write what DCMTK dump2dcm writes', () => {
    requirePeer('dump2dcm');
    const dir = join(work, 'dump2dcm-padding');
    mkdirSync(dir);
    // New VRs, nested items, and a padding at the top and in an item.
    const text = join(dir, 'newvr.dump');
    writeFileSync(
      text,
      [
        '(0002,0002) UI =CTImageStorage',
        '(0002,0003) UI [2.25.7071]',
        '(0002,0010) UI =LittleEndianExplicit',
        '(0008,0016) UI =CTImageStorage',
        '(0008,0018) UI [2.25.7071]',
        '(0008,0119) UC [long code value]',
        '(0008,0120) UR [http://example.com/x]',
        '(0008,1115) SQ (Sequence with explicit length #=2)',
        '  (fffe,e000) na (Item with explicit length #=3)',
        '    (0008,1155) UI [2.25.7072]',
        '    (0040,a730) SQ (Sequence with explicit length #=1)',
        '      (fffe,e000) na (Item with explicit length #=1)',
        '        (0040,a160) UT [text in an item]',
        '      (fffe,e00d) na (ItemDelimitationItem for re-encoding)',
        '    (fffe,e0dd) na (SequenceDelimitationItem for re-encoding)',
        '    (fffc,fffc) OB 00\\00\\00\\00',
        '  (fffe,e00d) na (ItemDelimitationItem for re-encoding)',
        '  (fffe,e000) na (Item with explicit length #=1)',
        '    (0020,000e) UI [2.25.7073]',
        '  (fffe,e00d) na (ItemDelimitationItem for re-encoding)',
        '(fffe,e0dd) na (SequenceDelimitationItem for re-encoding)',
        '(0010,0010) PN [Doe^John]',
        '(0040,a160) UT [text]',
        '(0066,0016) OF 1.5\\2.5',
        '(0066,0040) OL 1\\2\\3',
        '(0011,0010) LO [PRIVATE]',
        '(0011,1001) UN 01\\02\\03\\04',
        '(fffc,fffc) OB 00\\00\\00\\00\\00\\00',
        '',
      ].join('\n'),
    );
    // The meta differs between the tools (implementation names), and with it the length of the
    // top-level padding: compared apart, as the file length.
    const dataSet = (path: string) =>
      runPeer('dcmdump', ['+L', '-Un', path])
        .stdout.split('\n')
        .filter((line) => /^\s*\(/.test(line) && !/^\((0002,|fffc,fffc)/.test(line));
    const topPadding = (path: string) => /^\(fffc,fffc\)/m.test(runPeer('dcmdump', ['-Un', path]).stdout);
    for (const options of [
      [],
      ['-p='],
      ['-u'],
      ['-u', '+tb'],
      ['+p', '256', '16'],
      ['+p', '100', '6', '+ti', '-e'],
      ['+p', '0', '8'],
    ]) {
      const ours = join(dir, 'ours.dcm');
      const theirs = join(dir, 'theirs.dcm');
      const result = dicomkit('dump2dcm', ...options, text, ours);
      assert.equal(result.status, 0, result.stderr);
      assert.equal(runPeer('dump2dcm', [...options, text, theirs]).status, 0);
      const label = options.join(' ') || '(default)';
      assert.deepEqual(dataSet(ours), dataSet(theirs), label);
      assert.equal(topPadding(ours), topPadding(theirs), `${label}: top-level padding`);
      if (options[0] === '+p' && options[1] !== '0') {
        for (const path of [ours, theirs]) assert.equal(statSync(path).size % Number(options[1]), 0, label);
      }
      if (options.includes('-u')) assert.ok(dataSet(ours).some((line) => line.startsWith('(0040,a160) OB')));
    }
    // Odd lengths: refused before anything is written (DCMTK's writer fails on them).
    const odd = dicomkit('dump2dcm', '+p', '255', '0', text, join(dir, 'odd.dcm'));
    assert.equal(odd.status, 1);
    assert.match(odd.stderr, /file padding 255 is odd/);
    assert.equal(existsSync(join(dir, 'odd.dcm')), false);
    // The second value of +p on its own is refused, not ignored.
    const alone = dicomkit('dump2dcm', '--padding-item', '16', text, join(dir, 'alone.dcm'));
    assert.equal(alone.status, 1);
    assert.match(alone.stderr, /--padding-item is the second value of \+p/);
    assert.equal(existsSync(join(dir, 'alone.dcm')), false);
  });

  test('dump2dcm +E writes what parses and names the line it skipped; -E writes nothing', () => {
    const text = join(work, 'damaged.txt');
    writeFileSync(text, '(0010,0010) PN [ok]\n(0028,0010) US twelve\n(0010,0020) LO [id]\n');
    const skipped = dicomkit('dump2dcm', '+E', text, join(work, 'damaged.dcm'));
    assert.equal(skipped.status, 0, skipped.stderr);
    assert.match(skipped.stderr, /line 2: not a number: 'twelve' \(skipped, \+E\)/);
    const dump = runPeer('dcmdump', ['-q', join(work, 'damaged.dcm')]).stdout;
    assert.match(dump, /\(0010,0010\) PN \[ok\]/);
    assert.match(dump, /\(0010,0020\) LO \[id\]/);
    const stopped = dicomkit('dump2dcm', text, join(work, 'stopped.dcm'));
    assert.equal(stopped.status, 1);
    assert.equal(existsSync(join(work, 'stopped.dcm')), false);
    const longLine = join(work, 'long.txt');
    writeFileSync(longLine, `(0010,0010) PN [ok]\n(0008,1030) LO [${'x'.repeat(64)}]    # a comment\n`);
    const long = dicomkit('dump2dcm', '+l', '80', longLine, join(work, 'long.dcm'));
    assert.equal(long.status, 1);
    assert.match(long.stderr, /line 2: line longer than 80 characters/);
  });
});

function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      if (depth === 1) keys.push(text.slice(i + 1, text.indexOf('"', i + 1)));
      inString = true;
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
  }
  return keys.filter((k) => /^[0-9A-F]{8}$/.test(k));
}

describe('dicomkit json and json2dcm', () => {
  requirePeer('dcmdump');

  test('a file -> DICOM JSON -> a file DCMTK dumps the same (tag order kept)', () => {
    for (const name of ['CT_small.dcm', 'rtstruct.dcm']) {
      const json = dicomkit('json', join(CORPUS, name));
      assert.equal(json.status, 0, json.stderr);
      // Read the top-level keys from the text: JSON.parse would reorder index-like keys.
      const keys = topLevelKeys(json.stdout);
      assert.deepEqual(keys, [...keys].sort(), 'attributes in tag order (PS3.18 §F.2.2)');
      const jsonPath = join(work, `${name}.json`);
      writeFileSync(jsonPath, json.stdout);
      const out = join(work, `${name}.json.dcm`);
      const back = dicomkit('json2dcm', jsonPath, out);
      assert.equal(back.status, 0, back.stderr);
      // Group lengths are not part of DICOM JSON (PS3.18 §F.2.2); DS values are JSON numbers
      // (§F.2.3.1), so '5.000000' comes back as '5': compare DS by value, not spelling.
      const ds = (l: string) =>
        l.replace(
          / DS \[(.*)\] #\s*\d+,\s*(\d+)/,
          (_m, v: string, vm: string) => ` DS ${v.split('\\').map(Number).join('\\')} #${vm}`,
        );
      const strip = (t: string) =>
        lines(t)
          .filter((l) => !l.startsWith('(0002,') && !/^\s*\([0-9a-f]{4},0000\)/.test(l))
          // JSON does not say whether sequences had defined or undefined length.
          .filter((l) => !/^\s*\(fffe,/.test(l))
          .map((l) => l.replace(/ SQ \(Sequence with \w+ length (#=\d+)\).*$/, ' SQ $1'))
          .map(ds);
      assert.deepEqual(
        strip(runPeer('dcmdump', ['+L', '-Un', out]).stdout),
        strip(runPeer('dcmdump', ['+L', '-Un', join(CORPUS, name)]).stdout),
        name,
      );
    }
  });
});
