// Running `dicomkit <tool>` and DCMTK's tool of the same name side by side, and reading what
// they print and write in a form that can be compared.

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readDicom } from '../../src/object/index.ts';
import { type BackgroundPeer, type PeerResult, runPeerAsync, startPeer } from './net-peers.ts';
import { isSpare } from './stored-files.ts';

export type Tool = 'dicomkit' | 'dcmtk';
export const TOOLS: readonly Tool[] = ['dicomkit', 'dcmtk'];

const BIN = resolve('bin/dicomkit.js');
/** Runs start here unless told otherwise, so that no tool drops files into the checkout. */
const SCRATCH = mkdtempSync(join(tmpdir(), 'dicomkit-cli-runs-'));
process.once('exit', () => rmSync(SCRATCH, { recursive: true, force: true }));

/** Runs `dicomkit <program> args` or DCMTK's `<program> args` (TCP_NODELAY set, see net-peers). */
export function runTool(
  tool: Tool,
  program: string,
  args: readonly string[],
  options: { cwd?: string; timeoutMs?: number } = {},
): Promise<PeerResult> {
  const opts = { timeoutMs: options.timeoutMs ?? 30_000, cwd: options.cwd ?? SCRATCH };
  return tool === 'dicomkit'
    ? runPeerAsync(process.execPath, [BIN, program, ...args], opts)
    : runPeerAsync(program, args, opts);
}

/** Starts `dicomkit <args>` in the background (storescp, pacs) and waits for its port. */
export function startDicomkit(args: readonly string[], port: number): Promise<BackgroundPeer> {
  return startPeer(process.execPath, [BIN, ...args], port);
}

/** `dicomkit storescp` (on loopback) or DCMTK's storescp with the same arguments, port last. */
export function startStorescp(tool: Tool, args: readonly string[], port: number): Promise<BackgroundPeer> {
  return tool === 'dicomkit'
    ? startDicomkit(['storescp', '--host', '127.0.0.1', ...args, String(port)], port)
    : startPeer('storescp', [...args, String(port)], port);
}

/**
 * The log lines a run printed (DCMTK writes some to stdout, some to stderr), without the
 * prefix-less noise (storescu's "XMIT:" dots, the summary line dicomkit adds), normalised where
 * the two legitimately differ: DCMTK shows received text values with their padding (space or NUL), and
 * the largest PDU each side offers differs.
 */
export function logLines(result: PeerResult): string[] {
  return `${result.stdout}\n${result.stderr}`
    .split('\n')
    .filter((l) => /^[DIWEF]: /.test(l) && !/^I: sent \d+, failed \d+, warnings \d+$/.test(l))
    .map((l) =>
      l
        .replace(/Max Send PDV: \d+/, 'Max Send PDV: N')
        .replace(/\[([^\]]*?)[ \0]+\]/g, '[$1]')
        .replace(/ {2,}/g, ' ')
        .trimEnd(),
    );
}

/** Each C-FIND response findscu printed, as a map from "(gggg,eeee)" to the value text. */
export function findResponses(result: PeerResult): Map<string, string>[] {
  const out: Map<string, string>[] = [];
  let current: Map<string, string> | undefined;
  for (const line of logLines(result)) {
    if (/^I: Find Response: \d+/.test(line)) {
      current = new Map();
      out.push(current);
      continue;
    }
    const m = /^I: (\([0-9a-f]{4},[0-9a-f]{4}\)) \S\S (.*?) # /.exec(line);
    if (current && m)
      current.set(m[1]!, m[2] === '(no value available)' ? '' : m[2]!.replace(/^\[|\]$/g, ''));
    if (/^I: Received Final/.test(line)) current = undefined;
  }
  return out;
}

/** The data set bytes of a Part 10 file: everything after the file meta information. */
export function dataSetBytes(path: string): Buffer {
  const bytes = new Uint8Array(readFileSync(path));
  return Buffer.from(bytes.subarray(readDicom(bytes, { stopAtTag: 0x00080000 }).dataSetOffset));
}

/** Files under a directory (recursively), relative names sorted, with their data set bytes. */
export function receivedFiles(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (sub: string): void => {
    for (const entry of readdirSync(join(dir, sub), { withFileTypes: true })) {
      const name = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(name);
      else if (!isSpare(name)) out.set(name, dataSetBytes(join(dir, name)));
    }
  };
  walk('');
  return new Map([...out].sort(([a], [b]) => a.localeCompare(b)));
}
