import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DataSet } from '../../object/index.ts';
import { BackgroundCheckpoints, JOURNAL_SIZE_LIMIT } from './checkpoints.ts';
import { openSqliteIndex } from './sqlite.ts';
import { openDatabase, type SqliteDatabase } from './sqlite-driver.ts';
import type { StoredInstance } from './types.ts';

const work = mkdtempSync(join(tmpdir(), 'dicomkit-checkpoints-'));
after(() => rmSync(work, { recursive: true, force: true }));

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `done` every 20 ms for at most `ms`; false if it never held. */
async function eventually(done: () => boolean, ms = 10_000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(20)) if (done()) return true;
  return done();
}

interface CheckpointResult {
  busy: number;
  log: number;
  checkpointed: number;
}
const walState = (db: SqliteDatabase): CheckpointResult =>
  (db.pragma('wal_checkpoint(PASSIVE)') as CheckpointResult[])[0]!;

/** A WAL database of one table, written by `db` with its automatic checkpoints off. */
function walDatabase(name: string): { path: string; db: SqliteDatabase } {
  const path = join(work, name);
  const db = openDatabase(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('wal_autocheckpoint = 0');
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, data BLOB NOT NULL)');
  return { path, db };
}

function instance(n: number): StoredInstance {
  const header = new DataSet();
  header.set('SOPClassUID', '1.2.840.10008.5.1.4.1.1.7');
  header.set('SOPInstanceUID', `2.25.7.${n}`);
  header.set('StudyInstanceUID', `2.25.7.0.${Math.floor(n / 10)}`);
  header.set('SeriesInstanceUID', `2.25.7.0.${Math.floor(n / 10)}.1`);
  header.set('PatientID', `P${Math.floor(n / 20)}`);
  header.set('PatientName', `NAME^${n}`);
  return { header, path: `files/${n}.dcm`, size: 100, transferSyntax: '1.2.840.10008.1.2.1', receivedAt: 0 };
}

describe('SQLite index: WAL checkpoints on a worker thread', () => {
  test('commits are checkpointed by the worker, not by the writer', async () => {
    const { path, db } = walDatabase('passive.sqlite');
    const failures: Error[] = [];
    const checkpoints = new BackgroundCheckpoints(path, {
      busyTimeoutMs: 1000,
      delayMs: 10,
      onFailure: (error) => failures.push(error),
    });
    try {
      const insert = db.prepare('INSERT INTO t (data) VALUES (?)');
      // ~2,000 pages: past SQLite's 1,000-page automatic checkpoint, which is off here.
      for (let batch = 0; batch < 20; batch++) {
        db.transaction(() => {
          for (let i = 0; i < 100; i++) insert.run(Buffer.alloc(4000, batch));
        }).immediate();
        assert.equal(checkpoints.committed(), true);
      }
      assert.ok(checkpoints.running);
      // The rows reach the database file only through a checkpoint, and this connection
      // makes none: the worker copied them.
      assert.ok(
        await eventually(() => statSync(path).size >= 2000 * 4000 && checkpoints.counts.checkpoints > 0),
        `the worker copied the WAL (database ${statSync(path).size} bytes, ${JSON.stringify(checkpoints.counts)})`,
      );
      assert.deepEqual(failures, []);
    } finally {
      checkpoints.stop();
      db.close();
    }
    assert.equal(checkpoints.running, false);
    assert.equal(checkpoints.committed(), false, 'a stopped checkpointer starts no worker');
    assert.equal(existsSync(`${path}-wal`), false, "the writer's close, after the worker's, removed the WAL");
    const reopened = openDatabase(path, { readonly: true });
    assert.equal(reopened.prepare('SELECT count(*) FROM t').pluck().get(), 2000);
    reopened.close();
  });

  test('a WAL past the restart size starts over, and its file is cut back', async () => {
    const { path, db } = walDatabase('restart.sqlite');
    const checkpoints = new BackgroundCheckpoints(path, {
      busyTimeoutMs: 1000,
      delayMs: 10,
      restartFrames: 200,
      onFailure: (error) => assert.fail(error),
    });
    try {
      db.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT}`);
      const insert = db.prepare('INSERT INTO t (data) VALUES (?)');
      // Commits follow one another with no pause, so the WAL is never found wholly copied
      // between two of them: only the RESTART makes it start over.
      const writeUntil = Date.now() + 3000;
      let batches = 0;
      while (checkpoints.counts.restarts === 0 && Date.now() < writeUntil) {
        db.transaction(() => {
          for (let i = 0; i < 50; i++) insert.run(Buffer.alloc(4000, batches));
        }).immediate();
        checkpoints.committed();
        batches++;
        if (batches % 10 === 0) await sleep(1);
      }
      assert.ok(checkpoints.counts.restarts > 0, `a RESTART ran (${JSON.stringify(checkpoints.counts)})`);
      // The next commit wrote from the WAL's beginning: few frames in it now.
      db.transaction(() => insert.run(Buffer.alloc(100))).immediate();
      assert.ok(walState(db).log < 200, `the WAL started over (${JSON.stringify(walState(db))})`);
      assert.ok(statSync(`${path}-wal`).size <= JOURNAL_SIZE_LIMIT);
    } finally {
      checkpoints.stop();
      db.close();
    }
  });

  test('a worker that fails hands checkpoints back to the writer', async () => {
    const failures: Error[] = [];
    // The worker opens only an existing file: this one is not there.
    const checkpoints = new BackgroundCheckpoints(join(work, 'missing.sqlite'), {
      busyTimeoutMs: 1000,
      onFailure: (error) => failures.push(error),
    });
    assert.equal(checkpoints.committed(), true);
    assert.ok(await eventually(() => failures.length > 0), 'onFailure was called');
    assert.equal(failures.length, 1, 'once');
    assert.equal(checkpoints.running, false);
    assert.equal(checkpoints.committed(), false, 'the writer checkpoints from now on');
    checkpoints.stop();
  });

  test("the index's writes are checkpointed off its thread; closed, it leaves no WAL", async () => {
    const path = join(work, 'index.sqlite');
    const failures: Error[] = [];
    const index = openSqliteIndex(path, { onCheckpointFailure: (error) => failures.push(error) });
    assert.equal(index.backgroundCheckpoints.running, false, 'started by the first write, not before');
    for (let batch = 0; batch < 5; batch++)
      index.add(Array.from({ length: 40 }, (_, i) => instance(batch * 40 + i)));
    assert.equal(index.backgroundCheckpoints.running, true);
    assert.ok(
      await eventually(() => index.backgroundCheckpoints.checkpoints > 0),
      'the worker checkpointed after the writes',
    );
    assert.equal(index.remove('STUDY', '2.25.7.0.0').length, 10);
    assert.equal(index.statistics().instances, 190);
    index.close();
    assert.deepEqual(failures, []);
    assert.equal(existsSync(`${path}-wal`), false);
    const reopened = openSqliteIndex(path, { backgroundCheckpoints: false });
    try {
      assert.equal(reopened.statistics().instances, 190);
      reopened.add([instance(1000)]);
      assert.equal(reopened.backgroundCheckpoints.running, false, 'none when not wanted');
    } finally {
      reopened.close();
    }
  });
});
