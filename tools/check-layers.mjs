#!/usr/bin/env node
// Fails when a module imports from a layer below it (ARCHITECTURE.md "Layers"): each
// folder of src/ may import only from folders listed before it here, and nothing imports
// from cli/. Isomorphic layers (core..pixel) must not import node: built-ins.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const LAYERS = [
  'core',
  'dictionary',
  'encoding',
  'parser',
  'object',
  'json',
  'pixel',
  'net/pdu',
  'net/dul',
  'net/transport',
  'net/association',
  'net/dimse',
  'services',
  'pacs',
  'cli',
];
// Layers that run in the browser too; files named *.node.ts are their Node-only adapters.
const ISOMORPHIC = new Set(['core', 'dictionary', 'encoding', 'parser', 'object', 'json', 'pixel']);
// net/pdu imports only core and encoding (ARCHITECTURE.md).
const RESTRICTED = { 'net/pdu': new Set(['core', 'dictionary', 'encoding', 'net/pdu']) };

const srcRoot = resolve('src');
function layerOf(file) {
  const rel = relative(srcRoot, file).split('\\').join('/');
  let best;
  for (const layer of LAYERS) {
    if (rel === layer || rel.startsWith(layer + '/')) {
      if (!best || layer.length > best.length) best = layer;
    }
  }
  return best ?? 'root';
}
const problems = [];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) check(path);
  }
}
function check(file) {
  const from = layerOf(file);
  const text = readFileSync(file, 'utf8');
  const re = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const m of text.matchAll(re)) {
    const spec = m[1] ?? m[2];
    const where = relative(process.cwd(), file);
    if (spec.startsWith('node:')) {
      if (ISOMORPHIC.has(from) && !file.endsWith('.node.ts')) {
        problems.push(`${where}: isomorphic layer '${from}' imports ${spec} (move it to a *.node.ts file)`);
      }
      continue;
    }
    if (!spec.startsWith('.')) continue;
    const to = layerOf(resolve(dirname(file), spec));
    if (from === 'root' || to === from) continue;
    if (to === 'cli') problems.push(`${where}: imports from cli/ (${spec})`);
    else if (to === 'root') problems.push(`${where}: imports the package entry (${spec})`);
    else if (LAYERS.indexOf(to) > LAYERS.indexOf(from)) {
      problems.push(`${where}: layer '${from}' imports '${to}' below it (${spec})`);
    } else if (RESTRICTED[from] && !RESTRICTED[from].has(to)) {
      problems.push(`${where}: layer '${from}' may not import '${to}' (${spec})`);
    }
  }
}
walk(srcRoot);
if (problems.length > 0) {
  console.error(problems.join('\n'));
  console.error(`check-layers: ${problems.length} import(s) against the layer direction`);
  process.exit(1);
}
console.log('check-layers: import direction ok');
