/**
 * A minimal protobuf wire reader with gogo-protobuf's (the Kubernetes generated code's) rules:
 * unknown fields are skipped, a known field with the wrong wire type or any truncation is an
 * error, strings must be UTF-8. Group wire types (3/4), which no Kubernetes message uses, are
 * refused rather than skipped.
 */

/** Thrown inside the decoder only; the exported decode functions turn it into a typed result. */
export class MalformedProtobuf extends Error {
  override readonly name = 'MalformedProtobuf';
}

/** Wire type of varint fields (ints, bools, enums). */
export const WIRE_VARINT = 0;
/** Wire type of 8-byte fields. */
export const WIRE_FIXED64 = 1;
/** Wire type of length-delimited fields (strings, bytes, messages, map entries). */
export const WIRE_BYTES = 2;
/** Wire type of 4-byte fields. */
export const WIRE_FIXED32 = 5;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const TWO_POW_63 = 2 ** 63;
const TWO_POW_64 = 2 ** 64;

/** Reads one message's fields from `bytes[start, end)`. */
export class ProtoReader {
  private pos: number;

  constructor(private readonly bytes: Uint8Array, start = 0, private readonly end = bytes.length) {
    this.pos = start;
  }

  /** True when every byte of the message has been read. */
  done(): boolean {
    return this.pos >= this.end;
  }

  /** The next field's number and wire type. */
  tag(): { field: number; wire: number } {
    const key = this.varint();
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (field <= 0 || field > 0x1fffffff) throw new MalformedProtobuf(`illegal field number ${field}`);
    return { field, wire };
  }

  /** An unsigned varint (exact up to 2^53, as Kubernetes values are). */
  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new MalformedProtobuf('truncated varint');
      const b = this.bytes[this.pos++]!;
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 128;
    }
    throw new MalformedProtobuf('varint longer than 10 bytes');
  }

  /** A two's-complement int64 varint. */
  int64(): number {
    const value = this.varint();
    return value >= TWO_POW_63 ? value - TWO_POW_64 : value;
  }

  /** The byte range of a length-delimited field. */
  span(): { start: number; end: number } {
    const length = this.varint();
    if (length > this.end - this.pos) throw new MalformedProtobuf('length-delimited field runs past its message');
    const start = this.pos;
    this.pos += length;
    return { start, end: this.pos };
  }

  /** A length-delimited field's bytes (a view, not a copy). */
  bytesField(): Uint8Array {
    const { start, end } = this.span();
    return this.bytes.subarray(start, end);
  }

  /** A UTF-8 string field. */
  string(): string {
    try {
      return strictUtf8.decode(this.bytesField());
    } catch (e) {
      if (e instanceof MalformedProtobuf) throw e;
      throw new MalformedProtobuf('string field is not UTF-8');
    }
  }

  /** A nested message's reader. */
  message(): ProtoReader {
    const { start, end } = this.span();
    return new ProtoReader(this.bytes, start, end);
  }

  /** Skips a field of an unknown number. */
  skip(wire: number): void {
    if (wire === WIRE_VARINT) this.varint();
    else if (wire === WIRE_BYTES) this.span();
    else if (wire === WIRE_FIXED64) this.advance(8);
    else if (wire === WIRE_FIXED32) this.advance(4);
    else throw new MalformedProtobuf(`unsupported wire type ${wire}`);
  }

  private advance(n: number): void {
    if (n > this.end - this.pos) throw new MalformedProtobuf('truncated fixed-width field');
    this.pos += n;
  }
}

/** Throws unless a known field arrived with the wire type its schema declares. */
export function expectWire(actual: number, expected: number, field: number): void {
  if (actual !== expected) throw new MalformedProtobuf(`wrong wire type ${actual} for field ${field}`);
}
