import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CPRL,
  codestreamOffset,
  LRCP,
  mergeComponents,
  parseCodestream,
  parseSiz,
  RPCL,
  readSiz,
  setSigned,
  splitComponents,
  writeCodestream,
} from './j2k-codestream.ts';

/**
 * Codestreams built marker by marker (ISO 15444-1 Annex A), so each test reads as the
 * syntax it exercises. Packet data is opaque to the code under test: short byte runs
 * stand for it.
 */

const be16 = (v: number) => [v >> 8, v & 0xff];
const be32 = (v: number) => [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];

/** A marker segment: marker, Lxxx (counting itself), body. */
const segment = (marker: number, body: number[]) => [...be16(marker), ...be16(body.length + 2), ...body];

interface Component {
  precision: number;
  signed?: boolean;
}

/** SIZ (§A.5.1): Rsiz 0, no offsets, one tile of `tile` (default: the image), 1x1 sampling. */
function siz(width: number, height: number, components: Component[], tile = [width, height]) {
  return segment(0xff51, [
    ...be16(0),
    ...be32(width),
    ...be32(height),
    ...be32(0),
    ...be32(0),
    ...be32(tile[0]!),
    ...be32(tile[1]!),
    ...be32(0),
    ...be32(0),
    ...be16(components.length),
    ...components.flatMap((c) => [(c.signed ? 0x80 : 0) | (c.precision - 1), 1, 1]),
  ]);
}

/** COD (§A.6.1): 64x64 code-blocks, 5/3 wavelet; `precincts` (PPy << 4 | PPx per resolution) sets Scod bit 0. */
function cod(
  progression: number,
  levels: number,
  options: { mct?: number; sop?: boolean; precincts?: number[] } = {},
) {
  const scod = (options.precincts ? 1 : 0) | (options.sop ? 2 : 0);
  return segment(0xff52, [
    scod,
    progression,
    ...be16(1),
    options.mct ?? 0,
    levels,
    4,
    4,
    0,
    1,
    ...(options.precincts ?? []),
  ]);
}

/** QCD (§A.6.4): no quantization, guard bits 2, one exponent byte per sub-band (3 levels + 1). */
const qcd = (exponent = 0x48) => segment(0xff5c, [0x40, ...Array<number>(10).fill(exponent)]);
const qcc = (component: number, exponent: number) =>
  segment(0xff5d, [component, 0x40, ...Array<number>(10).fill(exponent)]);
const coc = (component: number, levels: number) => segment(0xff53, [component, 0, levels, 4, 4, 0, 1]);
const com = (text: string) => segment(0xff64, [...be16(1), ...[...text].map((c) => c.charCodeAt(0))]);

/** A tile-part: SOT (§A.4.2) with Psot covering `header` and `data`, then SOD. `psot` overrides it. */
function tilePart(
  tile: number,
  part: number,
  parts: number,
  data: number[],
  header: number[] = [],
  psot?: number,
) {
  const length = 12 + header.length + 2 + data.length;
  return [
    ...be16(0xff90),
    ...be16(10),
    ...be16(tile),
    ...be32(psot ?? length),
    part,
    parts,
    ...header,
    0xff,
    0x93,
    ...data,
  ];
}

const codestream = (...parts: number[][]) => new Uint8Array([0xff, 0x4f, ...parts.flat(), 0xff, 0xd9]);

/** A single-component codestream as the WASM encoders give one: SIZ, COD, QCD, COM, tile-parts. */
function single(
  precision: number,
  tileParts: number[][],
  options: { progression?: number; levels?: number; exponent?: number; signed?: boolean } = {},
) {
  return codestream(
    siz(16, 8, [{ precision, signed: options.signed ?? false }]),
    cod(options.progression ?? CPRL, options.levels ?? 3),
    qcd(options.exponent),
    com('test'),
    ...tileParts,
  );
}

const bytes = (a: Uint8Array) => [...a];

describe('parsing (ISO 15444-1 §A.4, §A.5.1, §A.6.1)', () => {
  test('main header, SIZ and COD fields, tile-parts by Psot and the last one by Psot 0', () => {
    const stream = codestream(
      siz(300, 200, [{ precision: 12 }, { precision: 8, signed: true }], [256, 256]),
      cod(RPCL, 5, { mct: 1 }),
      qcd(),
      tilePart(0, 0, 2, [1, 2, 3]),
      tilePart(0, 1, 2, [4, 5], [], 0),
    );
    // Psot 0 runs to EOC, before the padding of an odd-length fragment.
    const padded = new Uint8Array([...stream, 0]);
    const parsed = parseCodestream(stream);
    assert.deepEqual(
      parsed.main.map((s) => s.marker),
      [0xff51, 0xff52, 0xff5c],
    );
    assert.deepEqual(parsed.siz.components, [
      { precision: 12, signed: false, dx: 1, dy: 1 },
      { precision: 8, signed: true, dx: 1, dy: 1 },
    ]);
    assert.equal(parsed.siz.width, 300);
    assert.equal(parsed.siz.tileWidth, 256);
    assert.deepEqual(
      { ...parsed.cod, precincts: parsed.cod.precincts.length },
      { style: 0, progression: RPCL, layers: 1, mct: 1, decompositions: 5, precincts: 6 },
    );
    assert.deepEqual(parsed.cod.precincts[0], { ppx: 15, ppy: 15 });
    assert.deepEqual(
      parsed.tileParts.map((t) => [t.tile, t.part, t.parts, bytes(t.data)]),
      [
        [0, 0, 2, [1, 2, 3]],
        [0, 1, 2, [4, 5]],
      ],
    );
    assert.deepEqual(bytes(parseCodestream(padded).tileParts[1]!.data), [4, 5]);
  });

  test('precinct sizes from COD when Scod bit 0 is set (Table A.21)', () => {
    const parsed = parseCodestream(
      codestream(
        siz(8, 8, [{ precision: 8 }]),
        cod(LRCP, 1, { precincts: [0x54, 0x76] }),
        qcd(),
        tilePart(0, 0, 1, []),
      ),
    );
    assert.deepEqual(parsed.cod.precincts, [
      { ppx: 4, ppy: 5 },
      { ppx: 6, ppy: 7 },
    ]);
  });

  test('a JP2 file: the codestream is found in its jp2c box (§I.5.4)', () => {
    const inner = single(8, [tilePart(0, 0, 1, [9])]);
    const box = (type: string, content: number[]) => [
      ...be32(8 + content.length),
      ...[...type].map((c) => c.charCodeAt(0)),
      ...content,
    ];
    const jp2 = new Uint8Array([
      ...box('jP  ', [0x0d, 0x0a, 0x87, 0x0a]),
      ...box(
        'ftyp',
        [...'jp2 '].map((c) => c.charCodeAt(0)),
      ),
      ...box('jp2h', [1, 2, 3, 4]),
      ...box('jp2c', [...inner]),
    ]);
    assert.equal(codestreamOffset(jp2), jp2.length - inner.length);
    assert.equal(readSiz(jp2)?.components[0]?.precision, 8);
    assert.deepEqual(bytes(parseCodestream(jp2).tileParts[0]!.data), [9]);
  });

  test('lengths that point past the end, and non-codestreams, are typed errors with an offset', () => {
    const good = single(8, [tilePart(0, 0, 1, [1, 2, 3])]);
    const sot = good.findIndex((_, i) => good[i] === 0xff && good[i + 1] === 0x90);
    const badPsot = good.slice();
    badPsot.set(be32(5000), sot + 6);
    assert.throws(() => parseCodestream(badPsot), { code: 'ERR_MALFORMED', offset: sot });
    assert.throws(() => parseCodestream(good.subarray(0, 20)), { code: 'ERR_MALFORMED' });
    assert.throws(() => parseCodestream(new Uint8Array([0xff, 0xd8, 0xff, 0xe0])), { code: 'ERR_MALFORMED' });
    assert.equal(readSiz(new Uint8Array([1, 2, 3])), undefined);
    assert.throws(() => parseSiz(new Uint8Array(36)), { code: 'ERR_MALFORMED' });
  });
});

describe('the sign bit of Ssiz (§A.5.1, Table A.11)', () => {
  test('setSigned changes only the Ssiz bytes, in a copy', () => {
    const stream = codestream(
      siz(16, 8, [{ precision: 8 }, { precision: 8 }, { precision: 8 }]),
      cod(LRCP, 3),
      qcd(),
      tilePart(0, 0, 1, [0x80, 0x81]),
    );
    const signed = setSigned(stream, true);
    const changed = bytes(signed).flatMap((b, i) => (b === stream[i] ? [] : [i]));
    assert.deepEqual(changed, [42, 45, 48]); // SOC, SIZ marker, Lsiz, then 36 bytes of fields
    assert.deepEqual(
      readSiz(signed)?.components.map((c) => [c.precision, c.signed]),
      [
        [8, true],
        [8, true],
        [8, true],
      ],
    );
    assert.deepEqual(bytes(setSigned(signed, false)), bytes(stream));
    assert.equal(readSiz(stream)?.components[0]?.signed, false, 'the input is untouched');
  });
});

describe('writing', () => {
  test('Psot of each tile-part counts SOT, its header, SOD and the data; TLM lists them (§A.7.1)', () => {
    const parsed = parseCodestream(single(12, [tilePart(0, 0, 1, [1, 2, 3, 4])]));
    const out = writeCodestream(
      parsed.main,
      [
        { tile: 0, part: 0, parts: 2, header: [], data: new Uint8Array([1, 2]) },
        { tile: 0, part: 1, parts: 2, header: [], data: new Uint8Array([3, 4, 5]) },
      ],
      { tlm: true },
    );
    const again = parseCodestream(out);
    assert.deepEqual(
      again.tileParts.map((t) => bytes(t.data)),
      [
        [1, 2],
        [3, 4, 5],
      ],
    );
    const tlm = again.main.find((s) => s.marker === 0xff55)!;
    // Ztlm 0, Stlm 0x60 (16-bit Ttlm, 32-bit Ptlm), then (tile, length) per tile-part.
    assert.deepEqual(bytes(tlm.body), [0, 0x60, ...be16(0), ...be32(16), ...be16(0), ...be32(17)]);
    assert.deepEqual(bytes(out.subarray(-2)), [0xff, 0xd9]);
  });

  test('a codestream written back from its parse is the same bytes', () => {
    const stream = single(16, [tilePart(0, 0, 1, [7, 7, 7])]);
    const parsed = parseCodestream(stream);
    assert.deepEqual(bytes(writeCodestream(parsed.main, parsed.tileParts)), bytes(stream));
  });
});

describe('merging single-component codestreams', () => {
  const red = single(16, [tilePart(0, 0, 1, [0xa0, 0xa1])]);
  const green = single(16, [tilePart(0, 0, 1, [0xb0])]);
  const blue = single(16, [tilePart(0, 0, 1, [0xc0, 0xc1, 0xc2])]);

  test('CPRL: one SIZ of every component, no colour transform, a tile-part per component', () => {
    const merged = parseCodestream(mergeComponents([red, green, blue], { progression: CPRL }));
    assert.equal(merged.siz.components.length, 3);
    assert.equal(merged.cod.progression, CPRL);
    assert.equal(merged.cod.mct, 0);
    assert.deepEqual(
      merged.main.map((s) => s.marker),
      [0xff51, 0xff52, 0xff5c, 0xff64],
    );
    assert.deepEqual(
      merged.tileParts.map((t) => [t.tile, t.part, t.parts, bytes(t.data)]),
      [
        [0, 0, 3, [0xa0, 0xa1]],
        [0, 1, 3, [0xb0]],
        [0, 2, 3, [0xc0, 0xc1, 0xc2]],
      ],
    );
  });

  test('split(merge(x)) gives back x', () => {
    const merged = mergeComponents([red, green, blue], { progression: CPRL });
    assert.deepEqual(splitComponents(merged).map(bytes), [red, green, blue].map(bytes));
  });

  test('a component quantized otherwise gets a QCC (§A.6.5); signedness stays per component', () => {
    const other = single(16, [tilePart(0, 0, 1, [1])], { exponent: 0x50, signed: true });
    const merged = parseCodestream(mergeComponents([red, other], { progression: CPRL }));
    const qccs = merged.main.filter((s) => s.marker === 0xff5d);
    assert.deepEqual(
      qccs.map((s) => bytes(s.body)),
      [[1, 0x40, ...Array<number>(10).fill(0x50)]],
    );
    assert.deepEqual(
      merged.siz.components.map((c) => c.signed),
      [false, true],
    );
  });

  test('several tile-parts of a component in a tile are joined; tiles stay apart', () => {
    const a = codestream(
      siz(16, 8, [{ precision: 12 }], [8, 8]),
      cod(CPRL, 3),
      qcd(),
      tilePart(0, 0, 2, [1]),
      tilePart(0, 1, 2, [2]),
      tilePart(1, 0, 1, [3]),
    );
    const b = codestream(
      siz(16, 8, [{ precision: 12 }], [8, 8]),
      cod(CPRL, 3),
      qcd(),
      tilePart(0, 0, 1, [4]),
      tilePart(1, 0, 1, [5]),
    );
    const merged = parseCodestream(mergeComponents([a, b], { progression: CPRL }));
    assert.deepEqual(
      merged.tileParts.map((t) => [t.tile, t.part, t.parts, bytes(t.data)]),
      [
        [0, 0, 2, [1, 2]],
        [0, 1, 2, [4]],
        [1, 0, 2, [3]],
        [1, 1, 2, [5]],
      ],
    );
  });

  test('RPCL: tile-parts divided at resolutions are interleaved resolution by resolution, with TLM', () => {
    const byResolution = (tag: number) =>
      single(
        12,
        [0, 1, 2].map((r) => tilePart(0, r, 3, [tag + r])),
        { progression: RPCL, levels: 2 },
      );
    const merged = parseCodestream(
      mergeComponents([byResolution(0x10), byResolution(0x20), byResolution(0x30)], {
        progression: RPCL,
        tlm: true,
      }),
    );
    assert.equal(merged.cod.progression, RPCL);
    assert.deepEqual(
      merged.tileParts.map((t) => [t.part, t.parts, bytes(t.data)]),
      [
        [0, 3, [0x10, 0x20, 0x30]],
        [1, 3, [0x11, 0x21, 0x31]],
        [2, 3, [0x12, 0x22, 0x32]],
      ],
    );
    assert.ok(merged.main.some((s) => s.marker === 0xff55));
  });

  test('RPCL refuses inputs not divided at resolutions, or with several precincts in a resolution', () => {
    const whole = single(12, [tilePart(0, 0, 1, [1])], { progression: RPCL, levels: 2 });
    assert.throws(() => mergeComponents([whole, whole], { progression: RPCL }), {
      code: 'ERR_INVALID_VALUE',
      message: /not one per resolution/,
    });
    // 2^2 x 2^2 precincts at full resolution of a 16x8 image: eight of them.
    const small = codestream(
      siz(16, 8, [{ precision: 12 }]),
      cod(RPCL, 1, { precincts: [0x22, 0x22] }),
      qcd(),
      tilePart(0, 0, 2, [1]),
      tilePart(0, 1, 2, [2]),
    );
    assert.throws(() => mergeComponents([small, small], { progression: RPCL }), {
      message: /several precincts/,
    });
  });

  test('inputs that do not fit together are refused', () => {
    const other = codestream(siz(17, 8, [{ precision: 16 }]), cod(CPRL, 3), qcd(), tilePart(0, 0, 1, [1]));
    assert.throws(() => mergeComponents([red, other], { progression: CPRL }), { message: /geometry/ });
    const sop = codestream(
      siz(16, 8, [{ precision: 16 }]),
      cod(CPRL, 3, { sop: true }),
      qcd(),
      tilePart(0, 0, 1, []),
    );
    assert.throws(() => mergeComponents([sop, sop], { progression: CPRL }), { message: /SOP/ });
    assert.throws(() => mergeComponents([red, single(16, [], { levels: 4 })], { progression: CPRL }), {
      code: 'ERR_MALFORMED', // no tile-part at all
    });
    const fiveLevels = single(16, [tilePart(0, 0, 1, [1])], { levels: 5 });
    assert.throws(() => mergeComponents([red, fiveLevels], { progression: CPRL }), {
      message: /coding style/,
    });
  });
});

describe('splitting a codestream by components', () => {
  test('a COC and a QCC for a component become its COD and QCD (§A.6.2, §A.6.5)', () => {
    const stream = codestream(
      siz(16, 8, [{ precision: 12 }, { precision: 12 }]),
      cod(CPRL, 3),
      coc(1, 2),
      qcd(0x48),
      qcc(1, 0x58),
      tilePart(0, 0, 2, [1]),
      tilePart(0, 1, 2, [2]),
    );
    const [first, second] = splitComponents(stream).map(parseCodestream);
    assert.equal(first!.cod.decompositions, 3);
    assert.equal(second!.cod.decompositions, 2);
    const qcdOf = (s: typeof first) => bytes(s!.main.find((m) => m.marker === 0xff5c)!.body);
    assert.deepEqual(qcdOf(first), [0x40, ...Array<number>(10).fill(0x48)]);
    assert.deepEqual(qcdOf(second), [0x40, ...Array<number>(10).fill(0x58)]);
    assert.ok(!second!.main.some((m) => m.marker === 0xff53 || m.marker === 0xff5d));
    assert.deepEqual(bytes(second!.tileParts[0]!.data), [2]);
  });

  test('tile-parts divided at components and resolutions: k = resolutions per component', () => {
    const parts = [0, 1, 2, 3, 4, 5].map((i) => tilePart(0, i, 6, [i]));
    const stream = codestream(
      siz(16, 8, [{ precision: 16 }, { precision: 16 }]),
      cod(CPRL, 2),
      qcd(),
      ...parts,
    );
    const split = splitComponents(stream).map(parseCodestream);
    assert.deepEqual(
      split.map((s) => s.tileParts.map((t) => [t.part, t.parts, bytes(t.data)])),
      [
        [
          [0, 3, [0]],
          [1, 3, [1]],
          [2, 3, [2]],
        ],
        [
          [0, 3, [3]],
          [1, 3, [4]],
          [2, 3, [5]],
        ],
      ],
    );
  });

  test('what only the packet headers could split is refused with the reason', () => {
    const three = [{ precision: 16 }, { precision: 16 }, { precision: 16 }];
    const cases: [Uint8Array, RegExp][] = [
      [codestream(siz(16, 8, three), cod(LRCP, 3), qcd(), tilePart(0, 0, 1, [1])), /progression LRCP/],
      [
        codestream(
          siz(16, 8, three),
          cod(CPRL, 3, { mct: 1 }),
          qcd(),
          ...[0, 1, 2].map((i) => tilePart(0, i, 3, [])),
        ),
        /colour-transformed/,
      ],
      [
        codestream(siz(16, 8, three), cod(CPRL, 3), qcd(), tilePart(0, 0, 1, [1])),
        /1 tile-parts for 3 components/,
      ],
    ];
    for (const [stream, reason] of cases) {
      assert.throws(() => splitComponents(stream), {
        code: 'ERR_UNSUPPORTED_TRANSFER_SYNTAX',
        message: reason,
      });
    }
  });

  test('a single-component codestream is returned as it is', () => {
    const stream = single(16, [tilePart(0, 0, 1, [1])]);
    assert.equal(splitComponents(stream)[0], stream);
  });
});
