// Malformed and hostile checkpoints: each must give an Error (not a TypeError/RangeError from inside)
// whose message names the file, within 1 s, and leave the reader working. The pickles are assembled
// here byte by byte, so each case holds exactly the defect it tests; the truncation cases cut the
// files Debian's torch wrote (test/fixtures/torch/).

import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readStateDict, readTorchCheckpoint } from '../runtime/weights/torch/index.js';
import { rng } from './helpers/random.js';

const TORCH = new URL('./fixtures/torch/', import.meta.url);
function load(name: string): Uint8Array {
  const b = readFileSync(new URL(name, TORCH));
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
const LEGACY = load('wrapped.legacy.pth');
const ZIP = load('bare.zip.pth');
const SOURCE = 'hostile.pth';

/** Asserts a prompt, clear Error naming the file (and, optionally, the problem); returns its message. */
function refuses(bytes: Uint8Array, pattern?: RegExp, read: (b: Uint8Array, s: string) => unknown = readTorchCheckpoint): string {
  const t0 = performance.now();
  let error: unknown;
  try {
    read(bytes, SOURCE);
  } catch (e) {
    error = e;
  }
  const ms = performance.now() - t0;
  assert.ok(error !== undefined, 'expected an Error, the file was accepted');
  assert.ok(error instanceof Error && error.constructor === Error, `expected a plain Error, got ${String(error)}`);
  const message = (error as Error).message;
  assert.ok(message.startsWith(`${SOURCE}: `), `message does not name the file: ${message}`);
  if (pattern) assert.match(message, pattern);
  assert.ok(ms < 1000, `took ${ms.toFixed(0)} ms: ${message}`);
  return message;
}

// --- a pickle assembler: just the opcodes the cases need
const enc = new TextEncoder();
type Part = number | number[] | Uint8Array;
function bytesOf(...parts: Part[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === 'number') out.push(p);
    else for (const b of p) out.push(b);
  }
  return Uint8Array.from(out);
}
const u32 = (v: number): number[] => [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255];
const i64 = (v: bigint): number[] => [...new Uint8Array(BigInt64Array.of(v).buffer)];
const str = (s: string): number[] => [0x58, ...u32(enc.encode(s).length), ...enc.encode(s)];
const int = (v: number): number[] => [0x4a, ...u32(v)];
const global = (module: string, name: string): number[] => [0x63, ...enc.encode(`${module}\n${name}\n`)];
const tuple = (...items: number[][]): number[] => [0x28, ...items.flat(), 0x74];
const PROTO = [0x80, 0x02];
const STOP = 0x2e;
const EMPTY_DICT = 0x7d;
const SETITEM = 0x73;
const REDUCE = 0x52;
const EMPTY_TUPLE = 0x29;
const NEWFALSE = 0x89;

function storage(key: string, numel: number, type = 'FloatStorage', extra: number[][] = [[0x4e]]): number[] {
  return [...tuple(str('storage'), global('torch', type), str(key), str('cpu'), int(numel), ...extra), 0x51];
}
function tensor(pid: number[], offset: number[], size: number[][], stride: number[][]): number[] {
  const hooks = [...global('collections', 'OrderedDict'), EMPTY_TUPLE, REDUCE];
  return [...global('torch._utils', '_rebuild_tensor_v2'), ...tuple(pid, offset, tuple(...size), tuple(...stride), [NEWFALSE], hooks), REDUCE];
}
/** A dict pickle {name: value, ...} in protocol 2. */
function dictPickle(entries: Array<[string, number[]]>): number[] {
  return [...PROTO, EMPTY_DICT, ...entries.flatMap(([k, v]) => [...str(k), ...v, SETITEM]), STOP];
}
const MAGIC = bytesOf(PROTO, 0x8a, 10, [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19], STOP);
const VERSION = bytesOf(PROTO, 0x4d, [0xe9, 0x03], STOP);
const SYS_INFO = bytesOf(dictPickle([['little_endian', [0x88]]]));

/** A legacy torch.save stream: the header pickles, `object`, the key list, then each storage. */
function legacy(object: Part[], keys: string[], storages: Array<{ count: bigint; data: Uint8Array }>, header: Part[] = [MAGIC, VERSION, SYS_INFO]): Uint8Array {
  const keyList = [...PROTO, 0x5d, ...keys.flatMap((k) => [...str(k), 0x61]), STOP];
  return bytesOf(...header, ...object, keyList, ...storages.flatMap((s) => [i64(s.count), s.data]));
}
const f32 = (...v: number[]): Uint8Array => new Uint8Array(Float32Array.from(v).buffer);
/** {'w': tensor of `size`/`stride`/`offset` on a FloatStorage of `numel` elements with `have` elements of data}. */
function oneTensor(numel: number, size: number[], stride: number[], offset = 0, have = numel): Uint8Array {
  const obj = dictPickle([['w', tensor(storage('0', numel), int(offset), size.map(int), stride.map(int))]]);
  return legacy([obj], ['0'], [{ count: BigInt(numel), data: f32(...new Array(have).fill(1)) }]);
}

// --- a stored-zip writer (no compression), for archive cases
function crc32(data: Uint8Array): number {
  let c = ~0;
  for (const b of data) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}
function zip(entries: Array<[string, Uint8Array]>, opts: { method?: number; cdOffsetDelta?: number } = {}): Uint8Array {
  const local: number[] = [];
  const central: number[] = [];
  const u16 = (v: number): number[] => [v & 255, (v >>> 8) & 255];
  for (const [name, data] of entries) {
    const n = enc.encode(name);
    const fixed = [...u16(20), ...u16(0), ...u16(opts.method ?? 0), ...u16(0), ...u16(0), ...u32(crc32(data)), ...u32(data.length), ...u32(data.length)];
    central.push(...u32(0x02014b50), ...u16(20), ...fixed, ...u16(n.length), ...u16(0), ...u16(0), ...u16(0), ...u16(0), ...u32(0), ...u32(local.length), ...n);
    local.push(...u32(0x04034b50), ...fixed, ...u16(n.length), ...u16(0), ...n, ...data);
  }
  const eocd = [...u32(0x06054b50), ...u16(0), ...u16(0), ...u16(entries.length), ...u16(entries.length), ...u32(central.length), ...u32(local.length + (opts.cdOffsetDelta ?? 0)), ...u16(0)];
  return Uint8Array.from([...local, ...central, ...eocd]);
}
function zipCheckpoint(pkl: number[], storages: Array<[string, Uint8Array]>, opts?: { method?: number; cdOffsetDelta?: number }): Uint8Array {
  return zip([['archive/data.pkl', Uint8Array.from(pkl)], ...storages.map(([k, d]): [string, Uint8Array] => [`archive/data/${k}`, d]), ['archive/version', enc.encode('3\n')]], opts);
}

test('the assemblers make files the reader accepts (so each refusal below is the defect alone)', () => {
  const ok = readStateDict(oneTensor(6, [2, 3], [3, 1]), SOURCE);
  assert.equal(ok.tensors.get('w')!.shape, [2, 3]);
  const pkl = dictPickle([['w', tensor(storage('0', 2), int(0), [int(2)], [int(1)]).map((b) => b)]]);
  // The zip-era persistent id has no view field: 5 items.
  const zipPkl = dictPickle([['w', tensor([...tuple(str('storage'), global('torch', 'FloatStorage'), str('0'), str('cpu'), int(2)), 0x51], int(0), [int(2)], [int(1)])]]);
  const z = readStateDict(zipCheckpoint(zipPkl, [['0', f32(1, 2)]]), SOURCE);
  assert.equal([...(z.tensors.get('w')!.data as Float32Array)], [1, 2]);
  assert.ok(pkl.length > 0);
});

test('truncated: every prefix of a legacy file and of a zip file', () => {
  let worst = 0;
  for (const file of [LEGACY, ZIP]) {
    for (let n = 0; n < file.length; n++) {
      const t0 = performance.now();
      refuses(file.subarray(0, n));
      worst = Math.max(worst, performance.now() - t0);
    }
  }
  assert.ok(worst < 1000);
});

test('random corruption: 1 to 4 bytes changed anywhere read or give a plain Error naming the file', () => {
  const random = rng(8);
  let refused = 0;
  for (const file of [LEGACY, ZIP]) {
    for (let trial = 0; trial < 500; trial++) {
      const bad = file.slice();
      const changes = 1 + Math.floor(random() * 4);
      for (let c = 0; c < changes; c++) bad[Math.floor(random() * bad.length)] = Math.floor(random() * 256);
      const t0 = performance.now();
      try {
        readStateDict(bad, SOURCE);
      } catch (e) {
        assert.ok(e instanceof Error && e.constructor === Error && e.message.startsWith(`${SOURCE}: `), String(e));
        refused++;
      }
      assert.ok(performance.now() - t0 < 1000);
    }
  }
  assert.ok(refused > 0);
});

test('wrong magic, wrong version, big-endian, not a checkpoint at all', () => {
  const bad = LEGACY.slice();
  bad[5] ^= 0xff;
  refuses(bad, /magic number/);
  refuses(legacy([], [], [], [MAGIC, bytesOf(PROTO, 0x4d, [0xea, 0x03], STOP)]), /version/);
  refuses(legacy([], [], [], [MAGIC, VERSION, bytesOf(dictPickle([['little_endian', [NEWFALSE]]]))]), /big-endian/);
  refuses(new Uint8Array(0), /not a PyTorch checkpoint/);
  refuses(enc.encode('{"not": "a checkpoint"}'), /not a PyTorch checkpoint/);
  refuses(Uint8Array.from([0x80, 0x04, 0x95]), /not a PyTorch checkpoint/);
  refuses(enc.encode('x'.repeat(300)), /not a PyTorch checkpoint/);
});

test('globals outside the allow-list are refused by name, in both formats and with STACK_GLOBAL', () => {
  for (const [module, name] of [['os', 'system'], ['builtins', 'eval'], ['posix', 'system'], ['subprocess', 'Popen'], ['builtins', 'getattr'], ['torch', 'load']]) {
    const call = [...global(module, name), ...tuple(str('echo pwned')), REDUCE];
    const message = refuses(legacy([dictPickle([['x', call]])], [], []), /refused global/);
    assert.ok(message.includes(`${module}.${name}`), message);
    refuses(zipCheckpoint(dictPickle([['x', call]]), []), new RegExp(`refused global ${module}\\.${name}`));
    const stacked = [...str(module), ...str(name), 0x93, ...tuple(str('id')), REDUCE];
    refuses(legacy([dictPickle([['x', stacked]])], [], []), new RegExp(`${module}\\.${name}`));
  }
  // The classic protocol-0 payload.
  refuses(legacy([[...enc.encode("cos\nsystem\n(S'echo pwned'\ntR."), ]], [], []), /os\.system/);
});

test('allow-listed names are not callable beyond their purpose', () => {
  // REDUCE on a storage class, OrderedDict with arguments, BUILD on a tensor, persistent ids of other kinds.
  refuses(legacy([dictPickle([['x', [...global('torch', 'FloatStorage'), ...tuple(int(10)), REDUCE]]])], [], []), /not callable/);
  refuses(legacy([dictPickle([['x', [...global('collections', 'OrderedDict'), ...tuple(tuple()), REDUCE]]])], [], []), /OrderedDict/);
  refuses(legacy([dictPickle([['x', [...tuple(str('module'), str('os')), 0x51]]])], [], []), /persistent id/);
  refuses(legacy([dictPickle([['x', [...tuple(str('storage'), global('collections', 'OrderedDict'), str('0'), str('cpu'), int(1), [0x4e]), 0x51]]])], [], []), /storage type/);
  const withBuild = [...tensor(storage('0', 2), int(0), [int(2)], [int(1)]), EMPTY_DICT, 0x62];
  refuses(legacy([dictPickle([['w', withBuild]])], ['0'], [{ count: 2n, data: f32(1, 2) }]), /BUILD/);
  // A REDUCE on something that is not a global at all.
  refuses(legacy([dictPickle([['x', [...str('os.system'), EMPTY_TUPLE, REDUCE]]])], [], []), /REDUCE/);
});

test('storages shorter than their tensors, bad offsets, counts and sizes', () => {
  refuses(oneTensor(5, [10], [1]), /storage 0 holds 5 elements but the tensor needs 10/);
  refuses(oneTensor(5, [2], [1], 100), /tensor "w".*storage 0 holds 5/);
  refuses(oneTensor(6, [2, 3], [4, 1]), /needs 7/); // a stride that walks off the end
  refuses(oneTensor(5, [5], [1], 0, 3), /run past the end/); // the data itself is short
  // The element count in the data section disagrees with the pickle, or is absurd.
  const obj = dictPickle([['w', tensor(storage('0', 4), int(0), [int(4)], [int(1)])]]);
  refuses(legacy([obj], ['0'], [{ count: 3n, data: f32(1, 2, 3) }]), /holds 3 elements but the pickle says 4/);
  refuses(legacy([obj], ['0'], [{ count: 2n ** 62n, data: f32(1, 2, 3, 4) }]), /elements/);
  refuses(legacy([obj], ['0'], [{ count: -1n, data: f32(1, 2, 3, 4) }]), /elements/);
  // Negative and non-integer sizes, a size beyond 2^53, mismatched ranks.
  const sized = (size: number[][], stride: number[][]) => legacy([dictPickle([['w', tensor(storage('0', 4), int(0), size, stride)]])], ['0'], [{ count: 4n, data: f32(1, 2, 3, 4) }]);
  refuses(sized([int(-1 >>> 0)], [int(1)]), /size\[0\]/);
  refuses(sized([[0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0, 1]], [int(1)]), /size\[0\]/);
  refuses(sized([[0x47, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0]], [int(1)]), /size\[0\]/);
  refuses(sized([int(2), int(2)], [int(1)]), /dimensions/);
  refuses(oneTensor(4, [2], [1], -1 >>> 0), /offset|needs/);
});

test('a 2^40-element shape is refused before any allocation (also as a stride-0 broadcast)', () => {
  const msg = refuses(oneTensor(4, [1 << 20, 1 << 20], [1 << 20, 1]), /more elements than the file could hold/);
  assert.ok(msg.includes('1048576, 1048576'), msg);
  refuses(oneTensor(4, [1 << 20, 1 << 20], [0, 0]), /more elements than the file could hold/);
  const long = (v: number): number[] => [0x8a, 8, ...i64(BigInt(v))];
  const flat = legacy([dictPickle([['w', tensor(storage('0', 4), int(0), [long(2 ** 40)], [int(0)])]])], ['0'], [{ count: 4n, data: f32(1, 2, 3, 4) }]);
  refuses(flat, /\[1099511627776\]: more elements than the file could hold/);
  // Many tensors viewing one storage cannot multiply the allocation past the file's size either.
  const numel = 4096;
  const many = dictPickle(Array.from({ length: 64 }, (_, i): [string, number[]] => [`w${i}`, tensor(storage('0', numel), int(0), [int(numel)], [int(1)])]));
  refuses(legacy([many], ['0'], [{ count: BigInt(numel), data: new Uint8Array(numel * 4) }]), /more elements than the file could hold/);
});

test('deep nesting: 100000 nested lists, tuples and marks give an Error, not a stack overflow', () => {
  const depth = 100_000;
  const lists = [...PROTO, ...new Array(depth).fill(0x5d), ...new Array(depth - 1).fill(0x61), STOP];
  refuses(legacy([lists], [], []), /nested deeper than 1000/);
  const tuples = [...PROTO, ...new Array(depth).fill(0x28), ...new Array(depth).fill(0x74), STOP];
  refuses(legacy([tuples], [], []), /nested deeper than 1000/);
  const marks = [...PROTO, ...new Array(depth).fill(0x28), STOP];
  refuses(legacy([marks], [], []), /MARK/);
  const dicts = [...PROTO, ...new Array(depth).fill(0).flatMap(() => [EMPTY_DICT, ...str('k')]), ...new Array(depth).fill(0).flatMap(() => [0x7d]).slice(0, 1), ...new Array(depth).fill(SETITEM), STOP];
  refuses(legacy([dicts], [], []), /nested deeper than 1000|underflow/);
});

test('memo: huge or missing indices, and a structure that contains itself', () => {
  refuses(legacy([[...PROTO, 0x6a, 0xff, 0xff, 0xff, 0xff, STOP]], [], []), /memo index 4294967295/);
  refuses(legacy([[...PROTO, 0x68, 200, STOP]], [], []), /memo index 200/);
  refuses(legacy([[...PROTO, 0x67, ...enc.encode('99999999999999999999\n'), STOP]], [], []), /GET/);
  // l = []; l.append(l)
  refuses(legacy([[...PROTO, 0x5d, 0x71, 0, 0x68, 0, 0x61, STOP]], [], []), /recursive/);
  // a = []; b = [a]; a.append(b)
  refuses(legacy([[...PROTO, 0x5d, 0x71, 0, 0x5d, 0x68, 0, 0x61, 0x71, 1, 0x30, 0x68, 0, 0x68, 1, 0x61, STOP]], [], []), /recursive/);
});

test('unknown and unsupported opcodes, broken stacks', () => {
  for (const op of [0xff, 0xa0, 0x00, 0x69, 0x6f, 0x92, 0x82, 0x50, 0x97]) {
    refuses(legacy([[...PROTO, op, STOP]], [], []), /not supported|opcode/);
  }
  refuses(legacy([[...PROTO, 0x61, STOP]], [], []), /underflow/);
  refuses(legacy([[...PROTO, 0x4e, 0x4e, STOP]], [], []), /2 values on the stack/);
  refuses(legacy([[...PROTO, 0x80, 9, STOP]], [], []), /protocol 9/);
  refuses(legacy([[...PROTO, 0x4e, 0x4e, 0x75, STOP]], [], []), /MARK|SETITEM/);
  refuses(legacy([[...PROTO, 0x58, 0xff, 0xff, 0xff, 0x7f, STOP]], [], []), /truncated/);
  refuses(legacy([[...PROTO, 0x58, 2, 0, 0, 0, 0xff, 0xfe, STOP]], [], []), /UTF-8/);
  // Integers so long that reading them would take quadratic time.
  const longLength = 4_000_000;
  const huge = new Uint8Array(2 + 5 + longLength + 1);
  huge.set([...PROTO, 0x8b, ...u32(longLength)]);
  huge[huge.length - 1] = STOP;
  refuses(legacy([huge], [], []), /integer of 4000000 bytes/);
  refuses(legacy([[...PROTO, 0x49, ...enc.encode('9'.repeat(100000) + '\n'), STOP]], [], []), /INT/);
});

test('storage keys: duplicates, unlisted, listed without a tensor, one key with two types', () => {
  const obj = dictPickle([['w', tensor(storage('0', 2), int(0), [int(2)], [int(1)])]]);
  const data = { count: 2n, data: f32(1, 2) };
  refuses(legacy([obj], ['0', '0'], [data, data]), /listed twice/);
  refuses(legacy([obj], [], []), /missing from the storage key list/);
  refuses(legacy([obj], ['0', '1'], [data, data]), /storage key 1 is listed but no tensor names it/);
  const twice = dictPickle([
    ['a', tensor(storage('0', 2), int(0), [int(2)], [int(1)])],
    ['b', tensor(storage('0', 1, 'DoubleStorage'), int(0), [int(1)], [int(1)])],
  ]);
  refuses(legacy([twice], ['0'], [data]), /storage 0 is named twice/);
});

test('PyTorch 0.4 storage views: read within their root, refused outside it', () => {
  // ('storage', type, root_key, location, root_numel, (view_key, offset, view_size)), offsets in elements.
  const viewed = (offset: number, size: number) =>
    legacy(
      [dictPickle([['w', tensor(storage('0', 6, 'FloatStorage', [tuple(str('v'), int(offset), int(size))]), int(1), [int(2)], [int(1)])]])],
      ['0'],
      [{ count: 6n, data: f32(10, 11, 12, 13, 14, 15) }],
    );
  const sd = readStateDict(viewed(2, 4), SOURCE);
  assert.equal([...(sd.tensors.get('w')!.data as Float32Array)], [13, 14]);
  refuses(viewed(4, 4), /view v covers elements 4\.\.8 of 6/);
  refuses(viewed(4, 2), /storage 0 holds 2 elements but the tensor needs 3/);
});

test('zip archives: compressed entries, bad central directory, duplicates, overlaps, short storages', () => {
  const pkl = dictPickle([['w', tensor([...tuple(str('storage'), global('torch', 'FloatStorage'), str('0'), str('cpu'), int(4)), 0x51], int(0), [int(4)], [int(1)])]]);
  const good = f32(1, 2, 3, 4);
  refuses(zipCheckpoint(pkl, [['0', good]], { method: 8 }), /compressed/);
  refuses(zipCheckpoint(pkl, [['0', good]], { cdOffsetDelta: 7 }), /central directory|signature/);
  refuses(zipCheckpoint(pkl, [['0', good]], { cdOffsetDelta: 1 << 30 }), /central directory/);
  refuses(zipCheckpoint(pkl, [['0', good], ['0', good]]), /appears twice/);
  refuses(zipCheckpoint(pkl, [['0', f32(1, 2)]]), /holds 8 bytes but 4 x float32 needs 16/);
  refuses(zipCheckpoint(pkl, []), /no entry archive\/data\/0/);
  refuses(zip([['archive/other.bin', good]]), /data\.pkl/);
  // Two central entries pointing at one local header: overlapping data.
  const z = zipCheckpoint(pkl, [['0', good], ['1', good]]);
  const view = new DataView(z.buffer);
  const cd = view.getUint32(z.length - 6, true);
  let at = cd;
  const offsets: number[] = [];
  for (let i = 0; i < 4; i++) {
    offsets.push(at);
    at += 46 + view.getUint16(at + 28, true);
  }
  view.setUint32(offsets[2] + 42, view.getUint32(offsets[1] + 42, true), true);
  refuses(z, /overlap/);
  // A zip whose byteorder entry says big.
  refuses(zip([['a/data.pkl', Uint8Array.from(pkl)], ['a/byteorder', enc.encode('big')]]), /big/);
});

test('readStateDict: no state dict, or non-tensor entries, is an Error naming the file and the entry', () => {
  refuses(legacy([dictPickle([['epoch', int(3)], ['lr', int(1)]])], [], []), /no state dict.*"epoch"/, readStateDict);
  refuses(legacy([dictPickle([['state_dict', [0x5d]]])], [], []), /state_dict/, readStateDict);
  refuses(legacy([[...PROTO, 0x5d, STOP]], [], []), /expected a dict/, readStateDict);
  const mixed = dictPickle([['w', tensor(storage('0', 2), int(0), [int(2)], [int(1)])], ['x', str('not a tensor')]]);
  refuses(legacy([mixed], ['0'], [{ count: 2n, data: f32(1, 2) }]), /entry "x"/, readStateDict);
});

test('bad arguments to the public functions', () => {
  refuses('not bytes' as unknown as Uint8Array, /Uint8Array/);
  assert.throws(() => readTorchCheckpoint(new Uint8Array(4), ''), /source/);
});

test('after all of the above the reader still reads valid files', () => {
  const sd = readStateDict(LEGACY, 'wrapped.legacy.pth');
  assert.is(sd.tensors.size, 18);
  assert.is(readStateDict(ZIP, 'bare.zip.pth').wrapper, 'bare');
});

test.run();
