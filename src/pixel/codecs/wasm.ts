import { DicomError } from '../../core/errors.ts';

/**
 * The WebAssembly builds of libjpeg-turbo (8-bit), CharLS, OpenJPEG and OpenJPH published
 * as @cornerstonejs/codec-*, loaded on first use. Each package's `wasmjs` entry is an
 * Emscripten factory; in Node it reads its `.wasm` beside itself in node_modules, in a
 * browser the bundler serves it (or `configureWasm({ locateFile })` says where it is).
 */

/** The image description the embind wrappers take and give (FrameInfo.hpp). */
export interface WasmFrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned?: boolean;
  isUsingColorTransform?: boolean;
}

interface Deletable {
  delete(): void;
}

export interface WasmDecoder extends Deletable {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getFrameInfo(): WasmFrameInfo;
  getDecodedBuffer(): Uint8Array;
  getInterleaveMode?(): number;
  getNearLossless?(): number;
}

export interface WasmEncoder extends Deletable {
  getDecodedBuffer(info: WasmFrameInfo): Uint8Array;
  encode(): void;
  getEncodedBuffer(): Uint8Array;
  setQuality?(...args: (number | boolean)[]): void;
  setProgressive?(progressive: number): void;
  setSubSampling?(subsampling: number): void;
  setNearLossless?(near: number): void;
  setInterleaveMode?(mode: number): void;
  setCompressionRatio?(layer: number, ratio: number): void;
  setProgressionOrder?(order: number): void;
  setTLMMarker?(on: boolean): void;
  setTilePartDivisionsAtResolutions?(on: boolean): void;
  setDecompositions?(n: number): void;
}

export interface WasmCodecModule {
  [name: string]: unknown;
}

export type WasmLibrary = 'libjpeg-turbo' | 'charls' | 'openjpeg' | 'openjph';

export interface WasmOptions {
  /** Emscripten's locateFile(path, prefix): where a `.wasm` file is served (browsers). */
  locateFile?: (path: string, prefix: string) => string;
}

let options: WasmOptions = {};
/** What the C libraries printed lately (OpenJPEG reports errors so): quoted in errors, never logged. */
const printed: string[] = [];
function capture(text: string): void {
  printed.push(text);
  if (printed.length > 20) printed.shift();
}

const loaded = new Map<WasmLibrary, Promise<WasmCodecModule>>();

/** Settings for loading the WASM codecs; call before the first decode. */
export function configureWasm(next: WasmOptions): void {
  options = { ...next };
}

async function factory(library: WasmLibrary): Promise<(o?: Record<string, unknown>) => Promise<unknown>> {
  switch (library) {
    case 'libjpeg-turbo':
      return (await import('@cornerstonejs/codec-libjpeg-turbo-8bit/wasmjs')).default;
    case 'charls':
      return (await import('@cornerstonejs/codec-charls/wasmjs')).default;
    case 'openjpeg':
      return (await import('@cornerstonejs/codec-openjpeg/wasmjs')).default;
    case 'openjph':
      return (await import('@cornerstonejs/codec-openjph/wasmjs')).default;
  }
}

/** The instantiated module of a library, loaded once. */
export function loadWasm(library: WasmLibrary): Promise<WasmCodecModule> {
  let module = loaded.get(library);
  if (!module) {
    module = (async () => {
      const create = await factory(library);
      const settings: Record<string, unknown> = { print: capture, printErr: capture };
      if (options.locateFile) settings['locateFile'] = options.locateFile;
      return (await create(settings)) as WasmCodecModule;
    })();
    module.catch(() => loaded.delete(library));
    loaded.set(library, module);
  }
  return module;
}

/** A new instance of an embind class of a loaded module. */
export function construct<T>(module: WasmCodecModule, className: string): T {
  const Class = module[className] as (new () => T) | undefined;
  if (typeof Class !== 'function') {
    throw new DicomError('ERR_UNSUPPORTED_TRANSFER_SYNTAX', `the WASM codec module has no ${className}`);
  }
  return new Class();
}

/**
 * Emscripten throws C++ exceptions as numbers (or strings); this turns anything a WASM call
 * threw into a DicomError that says which codec failed.
 */
export function wasmError(
  codec: string,
  error: unknown,
  code: 'ERR_MALFORMED' | 'ERR_INVALID_VALUE' = 'ERR_MALFORMED',
): DicomError {
  if (error instanceof DicomError) return error;
  const detail =
    error instanceof Error ? error.message : typeof error === 'string' ? error : `exception ${String(error)}`;
  return new DicomError(code, `${codec}: ${detail}`, { cause: error });
}

/**
 * Runs a decoder over one codestream and copies out its frame info and pixels, deleting
 * the instance (and its WASM memory) whatever happens.
 */
export async function runDecoder(
  library: WasmLibrary,
  className: string,
  encoded: Uint8Array,
): Promise<{ info: WasmFrameInfo; decoded: Uint8Array; interleaveMode?: number; nearLossless?: number }> {
  const module = await loadWasm(library);
  const decoder = construct<WasmDecoder>(module, className);
  printed.length = 0;
  try {
    decoder.getEncodedBuffer(encoded.length).set(encoded);
    decoder.decode();
    const info = { ...decoder.getFrameInfo() };
    const decoded = decoder.getDecodedBuffer().slice();
    if (decoded.length === 0) {
      const errors = printed.filter((line) => /error/i.test(line)).map((line) => line.trim());
      throw new DicomError(
        'ERR_MALFORMED',
        `${className}: the codestream could not be decoded${errors.length ? ` (${errors.join('; ')})` : ''}`,
      );
    }
    const result: {
      info: WasmFrameInfo;
      decoded: Uint8Array;
      interleaveMode?: number;
      nearLossless?: number;
    } = { info, decoded };
    if (decoder.getInterleaveMode) result.interleaveMode = decoder.getInterleaveMode();
    if (decoder.getNearLossless) result.nearLossless = decoder.getNearLossless();
    return result;
  } catch (error) {
    throw wasmError(className, error);
  } finally {
    decoder.delete();
  }
}

/** Runs an encoder over one frame; `setup` sets its parameters. */
export async function runEncoder(
  library: WasmLibrary,
  className: string,
  info: WasmFrameInfo,
  samples: Uint8Array,
  setup: (encoder: WasmEncoder) => void,
): Promise<Uint8Array> {
  const module = await loadWasm(library);
  const encoder = construct<WasmEncoder>(module, className);
  printed.length = 0;
  try {
    const input = encoder.getDecodedBuffer(info);
    if (input.length !== samples.length) {
      throw new DicomError(
        'ERR_INVALID_VALUE',
        `${className} expects ${input.length} bytes of samples, was given ${samples.length}`,
      );
    }
    input.set(samples);
    setup(encoder);
    encoder.encode();
    const out = encoder.getEncodedBuffer();
    if (out.length === 0) throw new DicomError('ERR_INVALID_VALUE', `${className} produced no data`);
    return new Uint8Array(out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength));
  } catch (error) {
    const errors = printed.filter((line) => /error/i.test(line)).map((line) => line.trim());
    if (errors.length > 0 && !(error instanceof DicomError)) {
      throw new DicomError('ERR_INVALID_VALUE', `${className}: ${errors.join('; ')}`, { cause: error });
    }
    throw wasmError(className, error, 'ERR_INVALID_VALUE');
  } finally {
    encoder.delete();
  }
}
