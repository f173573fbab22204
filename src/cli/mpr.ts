import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { readDicomFile } from '../object/file.node.ts';
import type { DicomFile } from '../object/part10.ts';
import { fileBulkSource } from '../pixel/bulk-source.node.ts';
import { closeCodecWorkers, registerNodeCodecs } from '../pixel/codecs/node-codecs.node.ts';
import {
  buildVolume,
  defaultCodecs,
  encodePng,
  groupBySeries,
  renderMpr,
  type Vec3,
  type Window,
} from '../pixel/index.ts';
import { describeError, EXIT } from './common/exit.ts';

/** Values above this stay in the file until their frame is decoded: headers only in memory. */
const BULK_THRESHOLD = 16 * 1024;

interface MprCliOptions {
  output: string;
  at?: Vec3;
  window?: Window;
  interpolation: 'nearest' | 'linear';
  pixelSize?: number;
  series?: string;
  json?: boolean;
  verbose?: boolean;
}

function numbers(text: string, count: number, what: string): number[] {
  const values = text.split(',').map((v) => Number(v.trim()));
  if (values.length !== count || !values.every(Number.isFinite)) throw new Error(`${what}`);
  return values;
}

function parseAt(text: string): Vec3 {
  return numbers(text, 3, '--at is X,Y,Z in mm (patient coordinates)') as Vec3;
}

function parseWindow(text: string): Window {
  const [center, width] = numbers(text, 2, '--window is CENTER,WIDTH');
  if (!(width! > 0)) throw new Error('--window is CENTER,WIDTH with a width above 0');
  return { center: center!, width: width! };
}

function parsePixelSize(text: string): number {
  const size = Number(text);
  if (!(size > 0)) throw new Error('--pixel-size is a size in mm above 0');
  return size;
}

function parseInterpolation(text: string): 'nearest' | 'linear' {
  if (text !== 'nearest' && text !== 'linear') throw new Error('--interpolation is nearest or linear');
  return text;
}

/** Files under the given paths (folders walked recursively), sorted. */
function listFiles(paths: string[]): string[] {
  const out: string[] = [];
  const walk = (path: string) => {
    if (statSync(path).isDirectory()) {
      for (const name of readdirSync(path).sort()) if (!name.startsWith('.')) walk(join(path, name));
    } else out.push(path);
  };
  for (const path of paths) walk(path);
  return out;
}

/**
 * `dicomkit mpr DIR -o out.png`: the series in DIR as a volume (slices ordered by position along
 * their normal), axial, coronal and sagittal planes through one point, side by side.
 */
export function mprCommand(): Command {
  return new Command('mpr')
    .description(
      'render axial, coronal and sagittal reformats of a series side by side to PNG ' +
        '(slices sorted by Image Position (Patient) along the slice normal; square pixels in mm)',
    )
    .argument('<paths...>', 'folders (read recursively) or files of one series')
    .requiredOption('-o, --output <png>', 'PNG file to write')
    .option(
      '--at <x,y,z>',
      'the point the planes pass through, patient coordinates in mm (default: centre)',
      parseAt,
    )
    .option(
      '--window <center,width>',
      'window in modality units (default: the stored one, else min-max)',
      parseWindow,
    )
    .option('--interpolation <method>', 'nearest or linear', parseInterpolation, 'linear')
    .option('--pixel-size <mm>', 'output pixel size (default: the smallest voxel spacing)', parsePixelSize)
    .option('--series <uid>', 'Series Instance UID to use when the paths hold several (default: the largest)')
    .option('--json', 'print the volume and the panel geometry (pixel to patient mapping) as JSON')
    .option('-v, --verbose', 'print the files skipped and the volume read')
    .action(async (paths: string[], options: MprCliOptions) => {
      try {
        registerNodeCodecs(defaultCodecs);
        process.exitCode = await runMpr(paths, options);
      } catch (error) {
        process.stderr.write(`E: ${describeError(error)}\n`);
        process.exitCode = EXIT.inputFile;
      } finally {
        await closeCodecWorkers();
      }
    });
}

async function runMpr(paths: string[], options: MprCliOptions): Promise<number> {
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const files: DicomFile[] = [];
  for (const path of listFiles(paths)) {
    try {
      files.push(await readDicomFile(path, { bulkDataThreshold: BULK_THRESHOLD }));
    } catch (error) {
      if (options.verbose) say(`I: skipping ${path}: ${describeError(error)}`);
    }
  }
  const groups = groupBySeries(files);
  if (groups.size === 0) {
    say(`E: no DICOM image in ${paths.join(', ')}`);
    return EXIT.inputFile;
  }
  let series = options.series;
  if (series === undefined && groups.size > 1) {
    series = [...groups].sort((a, b) => b[1].length - a[1].length)[0]![0];
    const list = [...groups].map(([uid, items]) => `${uid || '(none)'} (${items.length})`).join(', ');
    say(`W: ${groups.size} series: ${list}; using ${series} (choose with --series)`);
  }
  const volume = await buildVolume(files, {
    ...(series !== undefined ? { seriesInstanceUid: series } : {}),
    bulkSource: fileBulkSource,
  });
  for (const warning of volume.warnings) say(`W: ${warning}`);
  if (options.verbose) {
    say(
      `I: ${volume.slices.length} slices -> ${volume.dims.join(' x ')} voxels of ` +
        `${volume.spacing.map((s) => +s.toFixed(4)).join(' x ')} mm; window ${volume.window.center}/${volume.window.width} (${volume.windowSource})`,
    );
  }
  const image = renderMpr(volume, {
    interpolation: options.interpolation,
    ...(options.at ? { at: options.at } : {}),
    ...(options.window ? { window: options.window } : {}),
    ...(options.pixelSize ? { pixelSize: options.pixelSize } : {}),
  });
  writeFileSync(options.output, encodePng(image));
  if (options.json) {
    const report = {
      seriesInstanceUid: volume.seriesInstanceUid,
      dims: volume.dims,
      spacing: volume.spacing,
      origin: volume.origin,
      direction: volume.direction,
      sliceSpacing: volume.sliceSpacing,
      resampled: volume.resampled,
      warnings: volume.warnings,
      window: image.window,
      at: image.at,
      width: image.width,
      height: image.height,
      panels: image.panels,
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  }
  return EXIT.ok;
}
