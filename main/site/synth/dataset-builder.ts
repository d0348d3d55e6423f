// Builds data sets for the generator over the codec's model, and records every fake identifier it
// plants (with the attribute it went into), so tests downstream can look for each one.
import {
  encodeNumbers,
  encodeText,
  setString,
  type DicomDataset,
  type Tag,
  type TransferSyntax,
  type Vr,
} from '../dicom/index.ts';

/** What a planted value is, so a leak test can allow what an option keeps (e.g. dates, device IDs). */
export type PlantedKind =
  'name' | 'id' | 'date' | 'uid' | 'contact' | 'institution' | 'device' | 'free-text' | 'category';

export interface PlantedValue {
  /** Where it went: a keyword path such as `RequestAttributesSequence/AccessionNumber`. */
  attribute: string;
  value: string;
  kind: PlantedKind;
}

export class DatasetBuilder {
  readonly ds: DicomDataset = new Map();

  constructor(
    readonly ts: TransferSyntax,
    readonly planted: PlantedValue[] = [],
    private readonly path = '',
  ) {}

  text(t: Tag, vr: Vr, value: string): this {
    setString(this.ds, t, vr, value);
    return this;
  }

  /** A text value that is fake PHI; `also` lists identifiers embedded in free text. */
  phi(
    attribute: string,
    t: Tag,
    vr: Vr,
    value: string,
    kind: PlantedKind,
    also: { value: string; kind: PlantedKind }[] = [],
  ): this {
    setString(this.ds, t, vr, value);
    const where = this.path + attribute;
    this.planted.push({ attribute: where, value, kind });
    for (const inner of also) this.planted.push({ attribute: where, value: inner.value, kind: inner.kind });
    return this;
  }

  /** Numbers in the data set's byte order (US, SS, ...) or as DS / IS text. */
  numbers(t: Tag, vr: Vr, values: number[]): this {
    this.ds.set(t, { tag: t, vr, value: encodeNumbers(values, vr, this.ts) });
    return this;
  }

  bytes(t: Tag, vr: Vr, value: Uint8Array): this {
    this.ds.set(t, { tag: t, vr, value });
    return this;
  }

  /** A sequence whose items are filled by `fill`; planted values inside are recorded with their path. */
  sequence(attribute: string, t: Tag, fills: ((item: DatasetBuilder) => void)[]): this {
    const items = fills.map((fill) => {
      const item = new DatasetBuilder(this.ts, this.planted, `${this.path}${attribute}/`);
      fill(item);
      return item.ds;
    });
    this.ds.set(t, { tag: t, vr: 'SQ', items });
    return this;
  }

  /** A private creator (gggg,00bb) reserving block bb (PS3.5 7.8.1); returns the block's first element. */
  privateBlock(group: number, block: number, creator: string): number {
    const t = ((group << 16) | block) >>> 0;
    this.ds.set(t, { tag: t, vr: 'LO', value: encodeText(creator, 'LO') });
    return ((group << 16) | (block << 8)) >>> 0;
  }
}

/** Text joined into a multi-valued element (PS3.5 6.4). */
export const multi = (...values: (string | number)[]): string => values.join('\\');
