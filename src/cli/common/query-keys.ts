import { type Tag, tryParseTag } from '../../core/index.ts';
import { lookupKeyword, lookupTag } from '../../dictionary/index.ts';
import { readDicomFile } from '../../object/file.node.ts';
import { DataSet } from '../../object/index.ts';
import { UsageError } from './network.ts';

function tagOfName(name: string, key: string): Tag {
  const text = name.trim();
  const tag = tryParseTag(text.replace(/^\((.*)\)$/, '$1')) ?? lookupKeyword(text)?.tag;
  if (tag === undefined) throw new UsageError(`bad key in -k ${key}: unknown attribute '${text}'`);
  return tag;
}

/**
 * Applies a DCMTK -k key to an identifier: `Keyword`, `gggg,eeee` or `(gggg,eeee)`, with
 * `=value` or without (a return key), and paths into sequences such as
 * `ScheduledProcedureStepSequence[0].Modality=CT` (an item number defaults to 0).
 */
export function applyKey(identifier: DataSet, key: string): void {
  const eq = key.indexOf('=');
  const path = eq >= 0 ? key.slice(0, eq) : key;
  const value = eq >= 0 ? key.slice(eq + 1) : undefined;
  const steps = path.split('.');
  if (steps.some((s) => s.trim() === '')) throw new UsageError(`bad key in -k ${key}: empty path step`);
  let target = identifier;
  for (const step of steps.slice(0, -1)) {
    const m = /^(.+?)\[(\d+)\]$/.exec(step.trim());
    const tag = tagOfName(m ? m[1]! : step, key);
    if (lookupTag(tag)?.vr !== undefined && lookupTag(tag)?.vr !== 'SQ') {
      throw new UsageError(`bad key in -k ${key}: '${step}' is not a sequence`);
    }
    const index = m ? Number(m[2]) : 0;
    const items = target.sequence(tag) ?? [];
    while (items.length <= index) items.push(new DataSet(target));
    if (!target.has(tag)) target.set(tag, items, 'SQ');
    else target.element(tag)!.items = items;
    target = items[index]!;
  }
  const tag = tagOfName(steps[steps.length - 1]!, key);
  if (lookupTag(tag)?.vr === 'SQ') {
    if (value) throw new UsageError(`bad key in -k ${key}: a sequence takes no value`);
    if (!target.has(tag)) target.set(tag, [], 'SQ');
    return;
  }
  target.set(tag, value === undefined || value === '' ? undefined : value.split('\\'));
}

/** One identifier per query file (or one empty one), with the -k keys applied on top, as DCMTK does. */
export async function queryIdentifiers(
  files: readonly string[],
  keys: readonly string[] = [],
): Promise<{ identifier: DataSet; transferSyntax: string }[]> {
  // DCMTK's findscu, movescu and getscu refuse to send an empty identifier.
  if (files.length === 0 && keys.length === 0) {
    throw new UsageError('either query file or override keys (or both) must be specified');
  }
  const out: { identifier: DataSet; transferSyntax: string }[] = [];
  for (const file of files.length > 0 ? files : [undefined]) {
    let identifier = new DataSet();
    let transferSyntax = '1.2.840.10008.1.2.1';
    if (file !== undefined) {
      const read = await readDicomFile(file).catch((error: Error) => {
        throw new UsageError(`cannot read query file ${file}: ${error.message}`);
      });
      identifier = read.dataset;
      transferSyntax = read.transferSyntax.uid;
    }
    for (const key of keys) applyKey(identifier, key);
    out.push({ identifier, transferSyntax });
  }
  return out;
}
