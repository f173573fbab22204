// storescp -id (--inetd), run the way inetd runs it: the test plays inetd, accepting each
// connection on 127.0.0.1 and starting the tool with that connection as its descriptors 0, 1
// and 2. DCMTK's storescp and `dicomkit storescp` are run alike and DCMTK's storescu and
// echoscu talk to them; both must write the same files, keep the connection clean of log
// output (a stray line would break the peer's PDUs) and end with their association.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { readDicomFile } from '../../src/object/file.node.ts';
import { CLI_NODE_ARGS } from '../helpers/cli-node-args.ts';
import { receivedFiles, runTool, TOOLS, type Tool } from '../helpers/cli-runs.ts';
import { DCMTK_ENV, runPeerAsync } from '../helpers/net-peers.ts';
import { requirePeer } from '../helpers/peers.ts';
import { selfSignedCertificate } from '../helpers/tls.ts';

for (const program of ['storescp', 'storescu', 'echoscu', 'openssl']) requirePeer(program);

const BIN = resolve('bin/dicomkit.js');
const FIXTURES = resolve('test/fixtures/pydicom');
const SENT = ['CT_small.dcm', 'MR_small.dcm', 'rtplan.dcm'].map((name) => join(FIXTURES, name));

/** The command line that runs `tool`'s storescp with `args`. */
function storescp(tool: Tool, args: readonly string[]): [string, string[]] {
  return tool === 'dicomkit'
    ? [process.execPath, [...CLI_NODE_ARGS, BIN, 'storescp', ...args]]
    : ['storescp', [...args]];
}

interface Inetd {
  port: number;
  /** How each started process ended, in the order of the connections. */
  exits: Promise<number | null>[];
  close(): Promise<void>;
}

/** A one-service inetd on 127.0.0.1 ("nowait": a process per connection, the socket as 0, 1, 2). */
async function startInetd(command: [string, string[]]): Promise<Inetd> {
  const children: ChildProcess[] = [];
  const exits: Promise<number | null>[] = [];
  // Paused: no byte of the connection is read here, all of it goes to the child.
  const server: Server = createServer({ pauseOnConnect: true }, (socket) => {
    const child = spawn(command[0], command[1], {
      stdio: [socket, socket, socket],
      env: { ...process.env, ...DCMTK_ENV },
    });
    children.push(child);
    exits.push(
      new Promise((resolveExit) =>
        child.once('exit', (code) => {
          socket.destroy();
          resolveExit(code);
        }),
      ),
    );
  });
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    exits,
    close: async () => {
      for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
      await new Promise<void>((resolveClose) => server.close(() => resolveClose()));
    },
  };
}

describe('storescp --inetd (-id), both tools under the same inetd', () => {
  const work = mkdtempSync(join(tmpdir(), 'dicomkit-inetd-'));
  after(() => rmSync(work, { recursive: true, force: true }));
  const received = new Map<Tool, Map<string, Buffer>>();

  for (const tool of TOOLS) {
    test(`${tool}: storescu's association and echoscu's each get a process that stores and ends`, async () => {
      const out = join(work, tool);
      mkdirSync(out);
      const logFile = join(work, `${tool}.log`);
      const config = join(work, `${tool}.cfg`);
      writeFileSync(
        config,
        [
          'log4cplus.rootLogger = DEBUG, file, out, err',
          'log4cplus.appender.out = log4cplus::ConsoleAppender',
          'log4cplus.appender.err = log4cplus::ConsoleAppender',
          'log4cplus.appender.err.logToStderr = true',
          'log4cplus.appender.file = log4cplus::FileAppender',
          `log4cplus.appender.file.File = ${logFile}`,
          'log4cplus.appender.file.layout = log4cplus::SimpleLayout',
          '',
        ].join('\n'),
      );
      // The -lc file's console appenders (stdout and stderr) would write into the connection if
      // the tool did not discard its standard streams; its file appender must still log.
      const inetd = await startInetd(storescp(tool, ['-id', '-od', out, '-lc', config]));
      try {
        const store = await runPeerAsync('storescu', ['-v', '127.0.0.1', String(inetd.port), ...SENT], {
          timeoutMs: 30_000,
        });
        assert.equal(store.status, 0, store.stdout + store.stderr);
        assert.equal(store.stderr.match(/Received Store Response \(Success\)/g)?.length, SENT.length);
        const echo = await runTool('dcmtk', 'echoscu', ['-v', '127.0.0.1', String(inetd.port)]);
        assert.equal(echo.status, 0, echo.stdout + echo.stderr);
        assert.match(echo.stderr, /Received Echo Response \(Success\)/);
        // One process per connection, each ending by itself once its association is released.
        assert.equal(inetd.exits.length, 2);
        assert.deepEqual(await Promise.all(inetd.exits), [0, 0]);
      } finally {
        await inetd.close();
      }
      const files = receivedFiles(out);
      assert.equal(files.size, SENT.length);
      received.set(tool, files);
      // Named as DCMTK names them: modality, then the SOP Instance UID of each file sent.
      const uids = SENT.map((path) => readDicomFile(path, { stopAtTag: 0x00080019 }));
      for (const file of await Promise.all(uids)) {
        const uid = file.dataset.string('SOPInstanceUID')?.trim();
        assert.ok(
          [...files.keys()].some((name) => name.endsWith(`.${uid}`)),
          `${uid} in ${[...files.keys()]}`,
        );
      }
      assert.match(readFileSync(logFile, 'utf8'), /Association Received/);
    });
  }

  test('the two wrote the same files: names and data sets byte for byte', () => {
    assert.deepEqual(received.get('dicomkit'), received.get('dcmtk'));
  });

  test('with TLS (+tls): both tools serve the association on the connection inetd hands over', async () => {
    const { key, cert } = selfSignedCertificate(work, { name: 'inetd-tls' });
    const tls = ['+tls', key, cert, '+cf', cert];
    const files = new Map<Tool, Map<string, Buffer>>();
    for (const tool of TOOLS) {
      const out = join(work, `${tool}-tls`);
      mkdirSync(out);
      const inetd = await startInetd(storescp(tool, ['-id', ...tls, '-od', out]));
      try {
        const store = await runPeerAsync(
          'storescu',
          [...tls, '-v', '127.0.0.1', String(inetd.port), ...SENT],
          {
            timeoutMs: 30_000,
          },
        );
        assert.equal(store.status, 0, `${tool}: ${store.stdout}${store.stderr}`);
        assert.deepEqual(await Promise.all(inetd.exits), [0]);
      } finally {
        await inetd.close();
      }
      files.set(tool, receivedFiles(out));
    }
    assert.equal(files.get('dicomkit')?.size, SENT.length);
    assert.deepEqual(files.get('dicomkit'), files.get('dcmtk'));
  });

  test('--inetd with --fork ends in failure and writes nothing to the standard streams', async () => {
    for (const tool of TOOLS) {
      const [program, args] = storescp(tool, ['-id', '--fork', '-od', work]);
      const result = await runPeerAsync(program, args, { timeoutMs: 20_000 });
      assert.equal(result.status, 1, `${tool}: ${result.stdout}${result.stderr}`);
      assert.equal(result.stdout + result.stderr, '', tool);
    }
  });

  test('without --inetd the port is still required', async () => {
    const result = await runTool('dicomkit', 'storescp', ['-od', work]);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /Missing parameter port/);
  });
});
