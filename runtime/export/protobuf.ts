// A minimal protocol-buffers writer (proto3 wire format): varints, length-delimited strings,
// bytes, packed repeated numbers and nested messages, enough to write an ONNX ModelProto.
// A message is a list of byte chunks plus its total length, so nesting a message or embedding a
// large weight tensor copies nothing until finish() joins the chunks once.

const WIRE_VARINT = 0;
const WIRE_FIXED32 = 5;
const WIRE_LEN = 2;

const utf8 = new TextEncoder();
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];
  /** Small values are staged here and flushed as one chunk, so a message is not thousands of 1-byte chunks. */
  private scratch = new Uint8Array(256);
  private used = 0;
  private flushed = 0;

  /** Bytes written so far. */
  get length(): number {
    return this.flushed + this.used;
  }

  /** An unsigned or non-negative integer field (int32 / int64 / enum / bool on the wire). */
  uint(field: number, value: number): this {
    this.tag(field, WIRE_VARINT);
    this.varint(value);
    return this;
  }

  /** A float field (fixed32). */
  float(field: number, value: number): this {
    this.tag(field, WIRE_FIXED32);
    this.reserve(4);
    new DataView(this.scratch.buffer, this.scratch.byteOffset).setFloat32(this.used, value, true);
    this.used += 4;
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, utf8.encode(value));
  }

  /** A bytes field; the array is referenced, not copied, until finish(). */
  bytes(field: number, value: Uint8Array): this {
    this.tag(field, WIRE_LEN);
    this.varint(value.length);
    this.append(value);
    return this;
  }

  /** An embedded message (written completely before this call; referenced, not copied). */
  message(field: number, sub: ProtoWriter): this {
    this.tag(field, WIRE_LEN);
    this.varint(sub.length);
    sub.flush();
    for (const c of sub.chunks) this.append(c);
    return this;
  }

  /** A packed repeated non-negative integer field (repeated int64 / int32). */
  packedUints(field: number, values: readonly number[]): this {
    const inner = new ProtoWriter();
    for (const v of values) inner.varint(v);
    this.tag(field, WIRE_LEN);
    this.varint(inner.length);
    inner.flush();
    for (const c of inner.chunks) this.append(c);
    return this;
  }

  /** A packed repeated float field (little-endian fixed32 values). */
  packedFloats(field: number, values: ArrayLike<number>): this {
    return this.bytes(field, float32LE(values));
  }

  /** The whole message as one array. */
  finish(): Uint8Array {
    this.flush();
    if (this.chunks.length === 1) return this.chunks[0];
    const out = new Uint8Array(this.flushed);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }

  private tag(field: number, wire: number): void {
    if (!Number.isInteger(field) || field < 1 || field > 536870911) throw new Error(`protobuf: field number must be an integer in 1..2^29-1, got ${field}`);
    this.varint(field * 8 + wire);
  }

  /** Base-128 varint of a non-negative safe integer (negative int64s are never written here). */
  private varint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) throw new Error(`protobuf: varint must be a non-negative safe integer, got ${value}`);
    this.reserve(10);
    let v = value;
    while (v >= 0x80) {
      this.scratch[this.used++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.scratch[this.used++] = v;
  }

  private reserve(n: number): void {
    if (this.used + n > this.scratch.length) this.flush();
  }

  private append(bytes: Uint8Array): void {
    if (bytes.length <= 64) {
      this.reserve(bytes.length);
      this.scratch.set(bytes, this.used);
      this.used += bytes.length;
      return;
    }
    this.flush();
    this.chunks.push(bytes);
    this.flushed += bytes.length;
  }

  private flush(): void {
    if (this.used === 0) return;
    this.chunks.push(this.scratch.subarray(0, this.used));
    this.flushed += this.used;
    this.scratch = new Uint8Array(256);
    this.used = 0;
  }
}

/** Little-endian float32 bytes (a view of the data itself on little-endian hosts). */
export function float32LE(values: ArrayLike<number>): Uint8Array {
  if (LITTLE_ENDIAN && values instanceof Float32Array) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return out;
}
