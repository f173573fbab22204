import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  closeSpareFiles,
  completeModeIn,
  isMarkedComplete,
  MARKED_SUFFIX,
  PartFile,
  SpareFiles,
  sparesIn,
} from './part-file.ts';

const root = mkdtempSync(join(tmpdir(), 'dicomkit-part-file-'));
after(() => rmSync(root, { recursive: true, force: true }));

function freshDir(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 50));

describe('PartFile', () => {
  it('writes, renames into place, and leaves nothing else', async () => {
    const dir = freshDir('plain');
    const file = await PartFile.create(join(dir, 'x.part'));
    await file.write(new Uint8Array([1, 2, 3]));
    await file.write(new Uint8Array([4]));
    await file.finish(true);
    await file.commit(join(dir, 'x.dcm'), true);
    assert.deepEqual([...readFileSync(join(dir, 'x.dcm'))], [1, 2, 3, 4]);
    assert.deepEqual(readdirSync(dir), ['x.dcm']);
    assert.equal(file.size, 4);
  });

  it('still commits when its temporary name was removed meanwhile (the data is in the open file)', async () => {
    const dir = freshDir('removed');
    const file = await PartFile.create(join(dir, 'gone.part'));
    const data = new Uint8Array(3 * 1024 * 1024).map((_, i) => i % 251);
    await file.write(data);
    await file.finish(false);
    unlinkSync(file.temporary);
    await file.commit(join(dir, 'kept.dcm'), true);
    assert.deepEqual(readFileSync(join(dir, 'kept.dcm')), Buffer.from(data));
    assert.deepEqual(readdirSync(dir), ['kept.dcm']);
  });

  it('commits across file systems (EXDEV) by copying, e.g. into a directory linked to another disk', async () => {
    // /dev/shm is a tmpfs on Linux; when it shares a device with the temp folder the rename
    // simply works, and that is checked instead.
    const other = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'dicomkit-part-xdev-'));
    try {
      const target = freshDir('xdev');
      const crossing = statSync(other).dev !== statSync(target).dev;
      const file = await new SpareFiles(other, 1).take();
      const data = new Uint8Array(100_000).map((_, i) => (i * 7) & 0xff);
      await file.write(data);
      await file.finish(true);
      await file.commit(join(target, 'moved.dcm'), true);
      assert.deepEqual(readFileSync(join(target, 'moved.dcm')), Buffer.from(data), `crossing: ${crossing}`);
      assert.deepEqual(readdirSync(target), ['moved.dcm']);
      assert.ok(!existsSync(file.temporary), 'the temporary file is gone');
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('discard removes the temporary file', async () => {
    const dir = freshDir('discard');
    const file = await PartFile.create(join(dir, 'y.part'));
    await file.write(new Uint8Array(10));
    file.discard();
    assert.deepEqual(readdirSync(dir), []);
  });
});

describe('marked files (one flush per durable store)', () => {
  it('the complete mode is the one a new file gets under the umask', () => {
    const dir = freshDir('mode');
    writeFileSync(join(dir, 'plain'), '');
    assert.equal(completeModeIn(dir), statSync(join(dir, 'plain')).mode & 0o777);
    assert.deepEqual(readdirSync(dir), ['plain'], 'the probe leaves nothing');
  });

  it('has no permission bits until finished; only then is it complete', async () => {
    const dir = freshDir('marked');
    const mode = completeModeIn(dir)!;
    const spares = new SpareFiles(dir, 1, { completeMode: mode });
    assert.equal(spares.marked, true);
    const file = await spares.take();
    assert.ok(file.temporary.endsWith(MARKED_SUFFIX), file.temporary);
    const modeNow = (): number => statSync(file.temporary).mode & 0o777;
    await file.write(new Uint8Array(100_000).fill(3));
    assert.equal(modeNow(), 0);
    assert.equal(isMarkedComplete(file.temporary), false);
    // Read back before it is kept (a deflated data set): readable, still not complete.
    await file.writeQueued();
    assert.equal(readFileSync(file.temporary).length, 100_000);
    assert.equal(isMarkedComplete(file.temporary), false);
    await file.finish(true);
    assert.equal(modeNow(), mode);
    assert.equal(isMarkedComplete(file.temporary), true);
    await file.commit(join(dir, 'kept.dcm'), true);
    assert.equal(statSync(join(dir, 'kept.dcm')).mode & 0o777, mode);
    assert.equal(isMarkedComplete(join(dir, 'kept.dcm')), false, 'only temporary names are looked at');
    spares.close();
    await settle();
    assert.deepEqual(readdirSync(dir), ['kept.dcm']);
  });

  it('a marked file copied across file systems gets the complete mode too', async () => {
    const other = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'dicomkit-part-xdev-'));
    try {
      const target = freshDir('marked-xdev');
      const mode = completeModeIn(other)!;
      const file = await new SpareFiles(other, 1, { completeMode: mode }).take();
      await file.write(new Uint8Array([1, 2, 3]));
      await file.finish(true);
      await file.commit(join(target, 'moved.dcm'), true);
      assert.deepEqual([...readFileSync(join(target, 'moved.dcm'))], [1, 2, 3]);
      assert.equal(statSync(join(target, 'moved.dcm')).mode & 0o777, mode);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});

describe('SpareFiles', () => {
  it('hands out open files made ahead of need, each with a unique hidden .part name', async () => {
    const dir = freshDir('spares');
    const spares = new SpareFiles(dir, 2);
    const first = await spares.take();
    await settle();
    // The one taken plus two spares waiting.
    assert.equal(readdirSync(dir).length, 3);
    const second = await spares.take();
    assert.notEqual(first.temporary, second.temporary);
    await settle();
    // A taken spare is replaced once its file is committed, not while it is being written.
    const parts = (): number => readdirSync(dir).filter((name) => name.endsWith('.part')).length;
    assert.equal(parts(), 3);
    for (const [n, file] of [first, second].entries()) {
      assert.match(file.temporary, /\/\.\d+\.[0-9a-z]+\.part$/);
      await file.write(new Uint8Array([n]));
      await file.finish(false);
      await file.commit(join(dir, `${n}.dcm`), false);
      await settle();
    }
    // Two spares again, the two files in place.
    assert.equal(parts(), 2);
    spares.close();
    await settle();
    assert.deepEqual(readdirSync(dir).sort(), ['0.dcm', '1.dcm']);
    // Closed: a take still works, making its file on demand and leaving no spare behind.
    const late = await spares.take();
    late.discard();
    assert.deepEqual(readdirSync(dir).sort(), ['0.dcm', '1.dcm']);
  });

  it('renames across directories of one file system', async () => {
    const incoming = freshDir('across/.incoming');
    const target = freshDir('across/ab');
    const spares = new SpareFiles(incoming);
    const file = await spares.take();
    await file.write(new Uint8Array([7, 7]));
    await file.finish(true);
    await file.commit(join(target, 'z.dcm'), true);
    assert.deepEqual([...readFileSync(join(target, 'z.dcm'))], [7, 7]);
    spares.close();
  });

  it('recovers when its directory was missing while a spare was being made', async () => {
    const dir = join(root, 'late-dir');
    const spares = new SpareFiles(dir, 1);
    await assert.rejects(spares.take(), { code: 'ENOENT' });
    mkdirSync(dir);
    // The spare made while the directory was missing failed; the take makes a new file.
    const file = await spares.take();
    await file.commit(join(dir, 'ok.dcm'), false);
    spares.close();
    await settle();
    assert.deepEqual(readdirSync(dir), ['ok.dcm']);
  });

  it('sparesIn keeps one pool per directory and removes every spare on closeSpareFiles', async () => {
    const a = freshDir('pool-a');
    const b = freshDir('pool-b');
    assert.equal(sparesIn(a), sparesIn(a));
    assert.notEqual(sparesIn(a), sparesIn(b));
    (await sparesIn(a).take()).discard();
    (await sparesIn(b).take()).discard();
    await settle();
    assert.ok(readdirSync(a).length > 0);
    closeSpareFiles();
    await settle();
    assert.deepEqual([...readdirSync(a), ...readdirSync(b)], []);
  });

  it('a process that exits leaves no spare behind', () => {
    const dir = freshDir('exit');
    const script = `
      import { SpareFiles } from ${JSON.stringify(new URL('./part-file.ts', import.meta.url).href)};
      const spares = new SpareFiles(${JSON.stringify(dir)}, 3);
      const file = await spares.take();
      await file.commit(${JSON.stringify(join(dir, 'done.dcm'))}, false);
      await new Promise((resolve) => setTimeout(resolve, 100));
      process.exit(0);
    `;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(readdirSync(dir), ['done.dcm']);
  });
});
