import { type Tag, UNDEFINED_LENGTH } from '../core/tag.ts';
import type { VR } from '../core/vr.ts';
import type { ParseHandler } from '../parser/handler.ts';
import type { DicomParser } from '../parser/parser.ts';
import { DataSet } from './dataset.ts';
import { Element } from './element.ts';

/**
 * Builds a DataSet tree from parser events. Values stay views on the parsed bytes; values
 * the parser passed over become byte-range references to `source`.
 */
export class DataSetBuilder implements ParseHandler {
  readonly root: DataSet;
  readonly #source: string | undefined;
  #parser: DicomParser | undefined;
  /** The data set elements are added to. */
  #current: DataSet;
  /** Open sequences and encapsulated pixel data, innermost last. */
  readonly #open: Element[] = [];

  constructor(root = new DataSet(), source?: string) {
    this.root = root;
    this.#current = root;
    this.#source = source;
  }

  /** The builder asks the parser for the byte order of elements inside UN sequences. */
  attach(parser: DicomParser): void {
    this.#parser = parser;
  }

  #little(): boolean {
    return this.#parser ? this.#parser.littleEndian : true;
  }

  element(
    tag: Tag,
    vr: VR,
    value: Uint8Array | undefined,
    _offset: number,
    valueOffset: number,
    length: number,
  ): void {
    const element = new Element(tag, vr, value, this.#little());
    if (this.#parser && !this.#parser.explicitVR) element.implicitVR = true;
    if (value === undefined) {
      element.bulk = {
        offset: valueOffset,
        length,
        source: this.#source,
        littleEndian: element.littleEndian,
      };
    }
    this.#current.add(element);
  }

  sequenceStart(tag: Tag, vr: VR, length: number, _offset: number): void {
    const element = new Element(tag, vr, undefined, this.#little());
    element.items = [];
    element.undefinedLength = length === UNDEFINED_LENGTH;
    if (!element.undefinedLength) element.readLength = length;
    this.#current.add(element);
    this.#open.push(element);
  }

  itemStart(length: number, offset: number): void {
    const sequence = this.#open[this.#open.length - 1]!;
    const item = new DataSet(this.#current);
    item.undefinedLength = length === UNDEFINED_LENGTH;
    if (!item.undefinedLength) item.readLength = length;
    item.readOffset = offset;
    sequence.items!.push(item);
    this.#current = item;
  }

  itemEnd(): void {
    this.#current = this.#current.parent ?? this.root;
  }

  sequenceEnd(): void {
    this.#open.pop();
  }

  encapsulatedStart(tag: Tag, vr: VR, _offset: number): void {
    const element = new Element(tag, vr, undefined, this.#little());
    element.fragments = [];
    element.undefinedLength = true;
    this.#current.add(element);
    this.#open.push(element);
  }

  fragment(value: Uint8Array | undefined, _offset: number, valueOffset: number, length: number): void {
    const pixelData = this.#open[this.#open.length - 1]!;
    pixelData.fragments!.push(
      value ?? { offset: valueOffset, length, source: this.#source, littleEndian: pixelData.littleEndian },
    );
  }

  encapsulatedEnd(): void {
    this.#open.pop();
  }
}
