// A strict unpickler for PyTorch checkpoints: the opcodes of protocols 2-5 (and the text-era memo
// opcodes), building plain values only. Nothing in a pickle is ever called: GLOBAL resolves a name
// against a fixed allow-list (anything else is an Error naming it), and REDUCE/NEWOBJ only apply the
// handlers the caller registered for those names. Persistent ids (torch's storages) go to the caller.
//
// Values: None -> null, bool, int -> number (bigint beyond 2^53), float -> number, str -> string,
// bytes -> Uint8Array, list/tuple -> array, dict -> Map (insertion order), set -> Set.
// A container is frozen once it is placed inside another, so the result has no cycles, and its
// nesting depth is capped: a consumer may walk it recursively.

export const MAX_NESTING_DEPTH = 1000;
const MAX_LONG_BYTES = 32;

/** A name from GLOBAL / STACK_GLOBAL that passed the allow-list. */
export class PickleGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}

export interface UnpickleOptions {
  /** Names in the file, e.g. for error messages ("model.pth", "archive/data.pkl"). */
  source: string;
  /** 'module.name' entries that GLOBAL may resolve. */
  allowedGlobals: ReadonlySet<string>;
  /** Callables for REDUCE (and NEWOBJ), by 'module.name'; each gets the argument tuple. */
  reducers: ReadonlyMap<string, (args: unknown[], fail: (msg: string) => never) => unknown>;
  /** BINPERSID: turns the persistent id into a value. Absent: persistent ids are refused. */
  persistentLoad?: (pid: unknown, fail: (msg: string) => never) => unknown;
  /** BUILD on a value: absent or returning false refuses the BUILD. */
  build?: (target: unknown, state: unknown, fail: (msg: string) => never) => boolean;
}

export interface UnpickleResult {
  value: unknown;
  /** Offset just past the STOP opcode (legacy files hold several pickles in a row). */
  end: number;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Unpickles the pickle that starts at `start` in `bytes`. Throws an Error naming `opts.source`, the
 * byte offset and the problem for anything malformed, truncated, unknown or not allow-listed.
 */
export function unpickle(bytes: Uint8Array, start: number, opts: UnpickleOptions): UnpickleResult {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = start;
  let opStart = start;
  const fail = (msg: string): never => {
    throw new Error(`${opts.source}: pickle at byte ${opStart}: ${msg}`);
  };

  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  // Containers already placed inside another container, and each container's nesting depth.
  const frozen = new Set<object>();
  const depth = new Map<object, number>();

  const need = (n: number): void => {
    if (n > bytes.length - pos) fail(`needs ${n} more bytes but the data ends at byte ${bytes.length} (truncated?)`);
  };
  const u8 = (): number => {
    need(1);
    return bytes[pos++];
  };
  const u16 = (): number => {
    need(2);
    const v = view.getUint16(pos, true);
    pos += 2;
    return v;
  };
  const u32 = (): number => {
    need(4);
    const v = view.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const i32 = (): number => {
    need(4);
    const v = view.getInt32(pos, true);
    pos += 4;
    return v;
  };
  const u64 = (): number => {
    need(8);
    const lo = view.getUint32(pos, true);
    const hi = view.getUint32(pos + 4, true);
    pos += 8;
    // Any length beyond 2^53 runs past the end of any buffer anyway.
    if (hi >= 2 ** 21) fail(`length ${hi} * 2^32 + ${lo} is out of range`);
    return hi * 2 ** 32 + lo;
  };
  const take = (n: number): Uint8Array => {
    need(n);
    const out = bytes.subarray(pos, pos + n);
    pos += n;
    return out;
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail('text argument has no terminating newline (truncated?)');
    const text = utf8(end - pos);
    pos = end + 1;
    return text;
  };
  const utf8 = (n: number): string => {
    const raw = take(n);
    try {
      return UTF8.decode(raw);
    } catch {
      return fail('string is not valid UTF-8');
    }
  };

  const push = (v: unknown): void => {
    stack.push(v);
  };
  const pop = (): unknown => {
    const floor = marks.length ? marks[marks.length - 1] : 0;
    if (stack.length <= floor) fail('stack underflow');
    return stack.pop();
  };
  const top = (): unknown => {
    const floor = marks.length ? marks[marks.length - 1] : 0;
    if (stack.length <= floor) fail('stack underflow');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    if (!marks.length) fail('no MARK on the stack');
    const at = marks.pop()!;
    return stack.splice(at);
  };

  const isContainer = (v: unknown): v is object => Array.isArray(v) || v instanceof Map || v instanceof Set;
  /** Places `child` inside `parent`: freezes the child and raises the parent's depth. */
  const attach = (parent: object, child: unknown): void => {
    if (!isContainer(child)) return;
    if (child === parent) fail('a container that contains itself (a recursive structure) is not read');
    frozen.add(child);
    const d = (depth.get(child) ?? 1) + 1;
    if (d > MAX_NESTING_DEPTH) fail(`containers nested deeper than ${MAX_NESTING_DEPTH} levels`);
    if (d > (depth.get(parent) ?? 1)) depth.set(parent, d);
  };
  const mutable = (target: unknown, what: string): void => {
    if (typeof target === 'object' && target !== null && frozen.has(target)) {
      fail(`${what} modifies a container that is already inside another one (a recursive structure?)`);
    }
  };
  const tuple = (items: unknown[]): unknown[] => {
    for (const item of items) attach(items, item);
    frozen.add(items);
    return items;
  };
  const setItems = (target: unknown, items: unknown[]): void => {
    if (!(target instanceof Map)) fail(`SETITEM(S) on ${describe(target)}, expected a dict`);
    if (items.length % 2 !== 0) fail('SETITEMS with an odd number of items');
    mutable(target, 'SETITEM');
    const map = target as Map<unknown, unknown>;
    for (let i = 0; i < items.length; i += 2) {
      const key = items[i];
      if (isContainer(key)) fail(`dict key is ${describe(key)}: only str, int, float, bool and None keys are read`);
      attach(map, items[i + 1]);
      map.set(key, items[i + 1]);
    }
  };
  const appendItems = (target: unknown, items: unknown[]): void => {
    if (!Array.isArray(target)) fail(`APPEND(S) on ${describe(target)}, expected a list`);
    mutable(target, 'APPEND');
    const list = target as unknown[];
    for (const item of items) {
      attach(list, item);
      list.push(item);
    }
  };
  const addItems = (target: unknown, items: unknown[]): void => {
    if (!(target instanceof Set)) fail(`ADDITEMS on ${describe(target)}, expected a set`);
    mutable(target, 'ADDITEMS');
    for (const item of items) {
      if (isContainer(item)) fail(`set item is ${describe(item)}`);
      (target as Set<unknown>).add(item);
    }
  };
  const resolveGlobal = (module: string, name: string): PickleGlobal => {
    const qualified = `${module}.${name}`;
    if (!opts.allowedGlobals.has(qualified)) {
      fail(`refused global ${qualified}: a checkpoint may only name ${[...opts.allowedGlobals].join(', ')}`);
    }
    return new PickleGlobal(module, name);
  };
  const call = (callable: unknown, args: unknown, opcode: string): unknown => {
    if (!(callable instanceof PickleGlobal)) fail(`${opcode} on ${describe(callable)}, expected an allow-listed global`);
    const g = callable as PickleGlobal;
    const reducer = opts.reducers.get(g.qualified);
    if (!reducer) fail(`${opcode} calls ${g.qualified}, which is not callable here`);
    if (!Array.isArray(args)) fail(`${opcode} arguments are ${describe(args)}, expected a tuple`);
    return reducer!(args as unknown[], fail);
  };
  const memoGet = (index: number): unknown => {
    if (!memo.has(index)) fail(`memo index ${index} was never stored`);
    return memo.get(index);
  };
  const memoPut = (index: number): void => {
    memo.set(index, top());
  };
  const long = (raw: Uint8Array): number | bigint => {
    if (raw.length === 0) return 0;
    // Checkpoints hold 80-bit integers at most (the magic number); longer ones cost quadratic time.
    if (raw.length > MAX_LONG_BYTES) fail(`an integer of ${raw.length} bytes; at most ${MAX_LONG_BYTES} are read`);
    let v = 0n;
    for (let i = raw.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(raw[i]);
    if (raw[raw.length - 1] & 0x80) v -= 1n << BigInt(8 * raw.length);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };

  for (;;) {
    opStart = pos;
    const op = u8();
    switch (op) {
      case 0x80: {
        // PROTO
        const proto = u8();
        if (proto > 5) fail(`pickle protocol ${proto} is newer than 5`);
        break;
      }
      case 0x95: // FRAME: framing only, the payload follows inline
        u64();
        break;
      case 0x2e: {
        // STOP
        if (marks.length) fail('STOP with an unclosed MARK');
        if (stack.length !== 1) fail(`STOP with ${stack.length} values on the stack, expected 1`);
        return { value: stack[0], end: pos };
      }
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        push(top());
        break;
      case 0x4e: // NONE
        push(null);
        break;
      case 0x88: // NEWTRUE
        push(true);
        break;
      case 0x89: // NEWFALSE
        push(false);
        break;
      case 0x4a: // BININT
        push(i32());
        break;
      case 0x4b: // BININT1
        push(u8());
        break;
      case 0x4d: // BININT2
        push(u16());
        break;
      case 0x8a: // LONG1
        push(long(take(u8())));
        break;
      case 0x8b: {
        // LONG4
        const n = i32();
        if (n < 0) fail(`LONG4 with negative length ${n}`);
        push(long(take(n)));
        break;
      }
      case 0x49: {
        // INT (text): also True/False as I01/I00
        const text = line();
        if (text === '01') push(true);
        else if (text === '00') push(false);
        else {
          if (!/^[+-]?\d{1,40}$/.test(text)) fail(`INT argument ${JSON.stringify(text.slice(0, 30))} is not an integer`);
          const v = BigInt(text);
          push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
        }
        break;
      }
      case 0x47: {
        // BINFLOAT (big-endian)
        need(8);
        push(view.getFloat64(pos, false));
        pos += 8;
        break;
      }
      case 0x58: // BINUNICODE
        push(utf8(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        push(utf8(u8()));
        break;
      case 0x8d: // BINUNICODE8
        push(utf8(u64()));
        break;
      case 0x54: {
        // BINSTRING (a Python 2 str): decoded as UTF-8, as torch.load does by default
        const n = i32();
        if (n < 0) fail(`BINSTRING with negative length ${n}`);
        push(utf8(n));
        break;
      }
      case 0x55: // SHORT_BINSTRING
        push(utf8(u8()));
        break;
      case 0x42: // BINBYTES
        push(take(u32()).slice());
        break;
      case 0x43: // SHORT_BINBYTES
        push(take(u8()).slice());
        break;
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        push(take(u64()).slice());
        break;
      case 0x5d: // EMPTY_LIST
        push([]);
        break;
      case 0x6c: {
        // LIST
        const items = popMark();
        const list: unknown[] = [];
        appendItems(list, items);
        push(list);
        break;
      }
      case 0x61: {
        // APPEND
        const item = pop();
        appendItems(top(), [item]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x29: // EMPTY_TUPLE
        push(tuple([]));
        break;
      case 0x74: // TUPLE
        push(tuple(popMark()));
        break;
      case 0x85: // TUPLE1
        push(tuple([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        const a = pop();
        push(tuple([a, b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        const a = pop();
        push(tuple([a, b, c]));
        break;
      }
      case 0x7d: // EMPTY_DICT
        push(new Map());
        break;
      case 0x64: {
        // DICT
        const items = popMark();
        const map = new Map();
        setItems(map, items);
        push(map);
        break;
      }
      case 0x73: {
        // SETITEM
        const value = pop();
        const key = pop();
        setItems(top(), [key, value]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x8f: // EMPTY_SET
        push(new Set());
        break;
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        addItems(top(), items);
        break;
      }
      case 0x91: {
        // FROZENSET
        const set = new Set();
        addItems(set, popMark());
        frozen.add(set);
        push(set);
        break;
      }
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = line();
        const name = line();
        push(resolveGlobal(module, name));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings');
        push(resolveGlobal(module as string, name as string));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const callable = pop();
        push(call(callable, args, 'REDUCE'));
        break;
      }
      case 0x81: {
        // NEWOBJ cls.__new__(cls, *args): only for allow-listed classes with a handler
        const args = pop();
        const cls = pop();
        push(call(cls, args, 'NEWOBJ'));
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        const target = top();
        mutable(target, 'BUILD');
        if (!opts.build || !opts.build(target, state, fail)) fail(`BUILD on ${describe(target)} is not supported`);
        if (typeof target === 'object' && target !== null) attach(target, state);
        break;
      }
      case 0x51: {
        // BINPERSID
        const pid = pop();
        if (!opts.persistentLoad) fail('persistent ids are not expected here');
        push(opts.persistentLoad!(pid, fail));
        break;
      }
      case 0x68: // BINGET
        push(memoGet(u8()));
        break;
      case 0x6a: // LONG_BINGET
        push(memoGet(u32()));
        break;
      case 0x67: {
        // GET (text)
        const text = line();
        if (!/^\d{1,15}$/.test(text)) fail(`GET argument ${JSON.stringify(text.slice(0, 30))} is not a memo index`);
        push(memoGet(Number(text)));
        break;
      }
      case 0x71: // BINPUT
        memoPut(u8());
        break;
      case 0x72: // LONG_BINPUT
        memoPut(u32());
        break;
      case 0x70: {
        // PUT (text)
        const text = line();
        if (!/^\d{1,15}$/.test(text)) fail(`PUT argument ${JSON.stringify(text.slice(0, 30))} is not a memo index`);
        memoPut(Number(text));
        break;
      }
      case 0x94: // MEMOIZE
        memoPut(memo.size);
        break;
      default:
        fail(`${OPCODE_NAMES.get(op) ?? 'unknown opcode'} (0x${op.toString(16).padStart(2, '0')}) is not supported in a checkpoint`);
    }
  }
}

/** Opcodes a pickle may hold but a checkpoint never needs; named so the Error says which one. */
const OPCODE_NAMES = new Map<number, string>([
  [0x69, 'INST'],
  [0x6f, 'OBJ'],
  [0x92, 'NEWOBJ_EX'],
  [0x50, 'PERSID'],
  [0x82, 'EXT1'],
  [0x83, 'EXT2'],
  [0x84, 'EXT4'],
  [0x97, 'NEXT_BUFFER'],
  [0x98, 'READONLY_BUFFER'],
  [0x46, 'FLOAT (text)'],
  [0x4c, 'LONG (text)'],
  [0x53, 'STRING (text)'],
  [0x56, 'UNICODE (text)'],
]);

/** A short description of a pickled value for error messages. */
export function describe(v: unknown): string {
  if (v === null) return 'None';
  if (v instanceof PickleGlobal) return `global ${v.qualified}`;
  if (Array.isArray(v)) return `a list/tuple of ${v.length}`;
  if (v instanceof Map) return `a dict of ${v.size}`;
  if (v instanceof Set) return 'a set';
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '...' : v)}`;
  if (typeof v === 'object' && 'dtype' in v && 'shape' in v) return `a ${String(v.dtype)} tensor`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}
