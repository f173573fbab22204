/**
 * `dicomkit dump` against DCMTK's dcmdump, option by option, byte for byte: the output
 * options (+T, +C, +Qn, +Qo, +U8, +L, +Un, +P with +p and -s, +F, +Fs, +W), the input options
 * (-f with -te/-tb/-ti, +fo, -td, -M/+R, +st/+sb, +bz, +sd/+r/+sp) and the exit code.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { deflateSync } from 'node:zlib';
import { inflateRaw } from '../../src/object/deflate.ts';
import { readDicom } from '../../src/object/part10.ts';
import { requirePeer } from '../helpers/peers.ts';

const CORPUS = 'test/fixtures/pydicom';
const work = mkdtempSync(join(tmpdir(), 'dicomkit-dump-options-'));
after(() => rmSync(work, { recursive: true, force: true }));

/**
 * Files whose dumps agree with dcmdump's apart from the options under test: implicit and
 * explicit, big endian, deflated, no meta, encapsulated, nested sequences, UN of undefined
 * length, a DICOMDIR and text in several character sets. (Files with GE private elements
 * are left out: DCMTK's private dictionary names them its own way.)
 */
const FILES = [
  'rtplan.dcm',
  'rtstruct.dcm',
  'test-SR.dcm',
  'UN_sequence.dcm',
  'image_dfl.dcm',
  'ExplVR_BigEndNoMeta.dcm',
  'MR_small_bigendian.dcm',
  'SC_rgb_rle_2frame.dcm',
  'charset/chrFren.dcm',
  'charset/chrX1.dcm',
  'charset/chrRuss.dcm',
  'charset/chrGreek.dcm',
  'charset/chrArab.dcm',
  'dicomdirtests/DICOMDIR',
  'waveform_ecg.dcm',
  'reportsi.dcm',
  'priv_SQ.dcm',
  'no_meta_group_length.dcm',
  'MR_small_implicit.dcm',
  'rtdose.dcm',
].map((name) => join(CORPUS, name));

interface Run {
  /** Standard output, one character per byte. */
  stdout: string;
  stderr: string;
  status: number;
}

function run(program: string, args: readonly string[]): Run {
  const result = spawnSync(program, args, { encoding: 'latin1', timeout: 60_000, maxBuffer: 256 << 20 });
  if (result.error) throw result.error;
  return { stdout: result.stdout, stderr: result.stderr, status: result.status ?? -1 };
}

const dcmdump = (...args: string[]) => run('dcmdump', args);
const dicomkit = (...args: string[]) => run(process.execPath, ['bin/dicomkit.js', 'dump', ...args]);

/** Both tools' output and exit code for the same command line. */
function same(args: string[], message = args.join(' ')): void {
  const theirs = dcmdump(...args);
  const ours = dicomkit(...args);
  assert.equal(ours.status, theirs.status, `${message}: exit code (${ours.stderr})`);
  // A first differing line says more than two megabytes of output.
  const a = ours.stdout.split('\n');
  const b = theirs.stdout.split('\n');
  const at = a.findIndex((line, i) => line !== b[i]);
  assert.equal(
    at === -1 && a.length === b.length ? -1 : at,
    -1,
    `${message}: line ${at + 1}: ${a[at]} | ${b[at]}`,
  );
}

describe('dicomkit dump options, byte for byte against dcmdump', () => {
  requirePeer('dcmdump');

  const OUTPUT_OPTIONS = [
    [],
    ['+T'],
    ['+C'],
    ['+T', '+C', '+U8'],
    ['+L', '+C'],
    ['+Qn'],
    ['+Qo', '+U8'],
    ['+U8', '+L'],
    ['-Un', '+T'],
    ['+P', '0008,1150', '+p'],
    ['+P', '0008,1150', '-s', '+C'],
    ['+P', '0040,a730', '+P', '0008,0100', '+p'],
    ['+P', '0008,0005', '+U8', '+p', '+C'],
    ['+P', 'PatientName', '+P', '300a,00b0', '+Fs'],
    ['-M', '+R', '5'],
  ];
  for (const options of OUTPUT_OPTIONS) {
    test(`+F ${options.join(' ') || '(defaults)'}`, () => same(['+F', ...options, ...FILES]));
  }

  test('without +F: one dump after another; with +P a blank line only between files with a match', () => {
    same(['+P', '300a,00b0', ...FILES]);
    same([join(CORPUS, 'rtplan.dcm'), join(CORPUS, 'rtstruct.dcm')]);
  });

  test('+W writes the pixel data and every fragment to the same files as dcmdump, words little endian', () => {
    const files = ['MR_small_bigendian.dcm', 'SC_rgb_rle_2frame.dcm', 'JPEG2000.dcm', 'CT_small.dcm'].map(
      (f) => join(CORPUS, f),
    );
    const ourDir = join(work, 'pixel-ours');
    const theirDir = join(work, 'pixel-theirs');
    mkdirSync(ourDir);
    mkdirSync(theirDir);
    const ours = dicomkit('-Un', '+W', ourDir, ...files);
    const theirs = dcmdump('-Un', '+W', theirDir, ...files);
    assert.equal(ours.status, 0, ours.stderr);
    const pixelLines = (text: string, dir: string) =>
      text
        .split('\n')
        .filter((line) => line.includes(' =') && line.includes('.raw'))
        .map((line) => line.replaceAll(dir, 'DIR').replace(/\s+#.*$/, ''));
    assert.deepEqual(pixelLines(ours.stdout, ourDir), pixelLines(theirs.stdout, theirDir));
    const names = readdirSync(theirDir).sort();
    assert.deepEqual(readdirSync(ourDir).sort(), names);
    assert.ok(names.length >= 7, `${names.length} raw files`);
    for (const name of names) {
      assert.ok(readFileSync(join(ourDir, name)).equals(readFileSync(join(theirDir, name))), name);
    }
    // A second run leaves the files and warns, as dcmdump does.
    const again = dicomkit('-Un', '+W', ourDir, files[0]!);
    assert.match(again.stderr, /already exists, skipping/);
  });

  test('input options: -f with -te/-tb/-ti, +fo, -M/+R, +st and +sb', () => {
    same(['-f', '-te', join(CORPUS, 'ExplVR_LitEndNoMeta.dcm')]);
    same(['-f', '-tb', join(CORPUS, 'ExplVR_BigEndNoMeta.dcm')]);
    same(['-f', '-ti', join(CORPUS, 'no_meta_group_length.dcm')]);
    same(['-f', join(CORPUS, 'ExplVR_BigEndNoMeta.dcm')]);
    same(['-M', '+R', '4', join(CORPUS, 'rtdose.dcm'), join(CORPUS, 'image_dfl.dcm')]);
    same(['+st', '0008,0020', join(CORPUS, 'rtplan.dcm')]);
    same(['+st', 'StudyDate', '+sb', 'PatientName', join(CORPUS, 'rtplan.dcm')]);
    same(['+sb', '300a,0010', join(CORPUS, 'rtplan.dcm')]);
    // +fo refuses a data set without meta; both tools exit 1 and print nothing.
    same(['+fo', join(CORPUS, 'ExplVR_LitEndNoMeta.dcm')]);
    // -f on a Part 10 file: dcmdump reads the preamble as elements and fails; we say why.
    const dataset = dicomkit('-f', join(CORPUS, 'CT_small.dcm'));
    assert.equal(dataset.status, 1);
    assert.match(dataset.stderr, /has file meta information/);
  });

  test('-td reads a data set whose meta names the wrong syntax as dcmdump -td does', () => {
    // rtplan.dcm is implicit VR little endian; its meta is rewritten to say explicit.
    const bytes = readFileSync(join(CORPUS, 'rtplan.dcm'));
    const text = bytes.toString('latin1');
    const at = text.indexOf('1.2.840.10008.1.2\0');
    assert.ok(at > 0, 'rtplan.dcm names implicit VR little endian in its meta');
    const lying = Buffer.from(`${text.slice(0, at)}1.2.840.10008.1.2.1\0${text.slice(at + 18)}`, 'latin1');
    // The UID grew by two bytes: fix the element's length and the group length.
    lying.writeUInt16LE(20, at - 2);
    lying.writeUInt32LE(lying.readUInt32LE(140) + 2, 140);
    const path = join(work, 'lying-meta.dcm');
    writeFileSync(path, lying);
    same(['-td', '-Un', path]);
    assert.match(
      dicomkit('-td', path).stdout,
      /# Dicom-Data-Set\n# Used TransferSyntax: Little Endian Implicit/,
    );
    // Without -td the meta is believed (the reader still copes with implicit VR elements).
    assert.match(dicomkit(path).stdout, /# Dicom-Data-Set\n# Used TransferSyntax: Little Endian Explicit/);
  });

  test('a deflated data set wrapped in zlib format reads as with dcmdump +bz', () => {
    const source = readFileSync(join(CORPUS, 'image_dfl.dcm'));
    const file = readDicom(source);
    const body = inflateRaw(source.subarray(file.dataSetOffset), file.dataSetOffset);
    const path = join(work, 'zlib.dcm');
    writeFileSync(path, Buffer.concat([source.subarray(0, file.dataSetOffset), deflateSync(body)]));
    const theirs = dcmdump('+bz', path);
    assert.equal(theirs.status, 0, theirs.stderr);
    for (const options of [['+bz'], []]) {
      const ours = dicomkit(...options, path);
      assert.equal(ours.stdout, theirs.stdout, `dicomkit dump ${options.join(' ')}`);
    }
  });

  test('+sd, +r and +sp find the same files as dcmdump; a directory without +sd is skipped with a warning', () => {
    const paths = (text: string) =>
      text
        .split('\n')
        .filter((line) => line.startsWith('# dcmdump ('))
        .map((line) => line.replace(/^# dcmdump \(\d+\/(\d+)\): /, '$1 '))
        .sort();
    for (const options of [['+sd'], ['+sd', '+r'], ['+sd', '+r', '+sp', 'DICOMDIR-*']]) {
      const ours = dicomkit('+F', '-q', ...options, join(CORPUS, 'dicomdirtests'));
      const theirs = dcmdump('+F', '-q', ...options, join(CORPUS, 'dicomdirtests'));
      assert.deepEqual(paths(ours.stdout), paths(theirs.stdout), options.join(' '));
      assert.ok(paths(ours.stdout).length > 0);
    }
    const skipped = dicomkit(join(CORPUS, 'dicomdirtests'));
    assert.equal(skipped.status, 1);
    assert.match(skipped.stderr, /ignoring directory because option --scan-directories is not set/);
    assert.match(skipped.stderr, /no input files to be dumped/);
  });

  test('the exit code counts the files that could not be read, as dcmdump', () => {
    const missing = [join(work, 'none-1.dcm'), join(CORPUS, 'rtplan.dcm'), join(work, 'none-2.dcm')];
    same(missing);
    assert.equal(dicomkit(...missing).status, 2);
  });

  test('options that need --search, and +p with +T, are refused as by dcmdump', () => {
    for (const options of [['+Fs'], ['-s'], ['+p'], ['+P', '0010,0010', '+p', '+T'], ['-te'], ['+R', '2']]) {
      const ours = dicomkit(...options, join(CORPUS, 'rtplan.dcm'));
      assert.equal(ours.status, 1, options.join(' '));
      assert.equal(ours.stdout, '');
      assert.match(ours.stderr, /only allowed with|not allowed with|kbytes/, options.join(' '));
      assert.equal(dcmdump(...options, join(CORPUS, 'rtplan.dcm')).status, 1, `dcmdump ${options.join(' ')}`);
    }
  });
});
