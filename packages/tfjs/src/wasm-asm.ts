/**
 * A minimal WebAssembly assembler: enough to write small SIMD kernels that run on the tfjs
 * wasm backend's own memory (the module imports it as env.memory), without a compiler
 * toolchain at build or run time. Opcodes follow the WebAssembly 2.0 / SIMD specification
 * (checked against llvm-mc's encodings).
 */

export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;
export type ValType = typeof I32 | typeof F32 | typeof V128;

function uleb(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

function sleb(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

function f32Bytes(value: number): number[] {
  return Array.from(new Uint8Array(new Float32Array([value]).buffer));
}

function name(text: string): number[] {
  const bytes = Array.from(new TextEncoder().encode(text));
  return [...uleb(bytes.length), ...bytes];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, content: number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}

const SIMD = 0xfd;

/**
 * Emits one function body. Locals are numbered after the parameters, in the order `local`
 * declares them. Every method returns `this`, so bodies read like the text format.
 */
export class Code {
  readonly bytes: number[] = [];
  readonly locals: ValType[] = [];

  constructor(readonly params: ValType[]) {}

  /** Declares a local and returns its index. */
  local(type: ValType): number {
    this.locals.push(type);
    return this.params.length + this.locals.length - 1;
  }

  private emit(...bytes: number[]): this {
    this.bytes.push(...bytes);
    return this;
  }

  get(index: number): this {
    return this.emit(0x20, ...uleb(index));
  }
  set(index: number): this {
    return this.emit(0x21, ...uleb(index));
  }
  tee(index: number): this {
    return this.emit(0x22, ...uleb(index));
  }
  drop(): this {
    return this.emit(0x1a);
  }

  i32(value: number): this {
    return this.emit(0x41, ...sleb(value));
  }
  f32(value: number): this {
    return this.emit(0x43, ...f32Bytes(value));
  }

  i32Add(): this {
    return this.emit(0x6a);
  }
  i32Sub(): this {
    return this.emit(0x6b);
  }
  i32Mul(): this {
    return this.emit(0x6c);
  }
  i32Shl(): this {
    return this.emit(0x74);
  }
  i32And(): this {
    return this.emit(0x71);
  }
  i32Eqz(): this {
    return this.emit(0x45);
  }
  i32LtS(): this {
    return this.emit(0x48);
  }
  i32LtU(): this {
    return this.emit(0x49);
  }
  i32GeS(): this {
    return this.emit(0x4e);
  }
  i32GeU(): this {
    return this.emit(0x4f);
  }
  i32Or(): this {
    return this.emit(0x72);
  }
  i32DivU(): this {
    return this.emit(0x6e);
  }
  i32RemU(): this {
    return this.emit(0x70);
  }

  f32Add(): this {
    return this.emit(0x92);
  }
  f32Sub(): this {
    return this.emit(0x93);
  }
  f32Mul(): this {
    return this.emit(0x94);
  }
  f32Div(): this {
    return this.emit(0x95);
  }
  f32Sqrt(): this {
    return this.emit(0x91);
  }

  /** f32.load / f32.store with a constant byte offset (alignment hint 4 bytes). */
  f32Load(offset = 0): this {
    return this.emit(0x2a, 2, ...uleb(offset));
  }
  f32Store(offset = 0): this {
    return this.emit(0x38, 2, ...uleb(offset));
  }

  /** v128.load / v128.store with a constant byte offset; the hint claims only 4-byte alignment. */
  v128Load(offset = 0): this {
    return this.emit(SIMD, 0x00, 2, ...uleb(offset));
  }
  v128Store(offset = 0): this {
    return this.emit(SIMD, 0x0b, 2, ...uleb(offset));
  }
  f32x4Splat(): this {
    return this.emit(SIMD, 0x13);
  }
  f32x4ExtractLane(lane: number): this {
    return this.emit(SIMD, 0x1f, lane);
  }
  f32x4Add(): this {
    return this.emit(SIMD, 0xe4, 0x01);
  }
  f32x4Sub(): this {
    return this.emit(SIMD, 0xe5, 0x01);
  }
  f32x4Mul(): this {
    return this.emit(SIMD, 0xe6, 0x01);
  }
  f32x4Div(): this {
    return this.emit(SIMD, 0xe7, 0x01);
  }
  f32x4Sqrt(): this {
    return this.emit(SIMD, 0xe3, 0x01);
  }

  /** `block ... end` around body; br depth 0 inside jumps past the end. */
  block(body: (c: this) => void): this {
    this.emit(0x02, 0x40);
    body(this);
    return this.emit(0x0b);
  }
  /** `loop ... end`; br depth 0 inside jumps back to the start. */
  loop(body: (c: this) => void): this {
    this.emit(0x03, 0x40);
    body(this);
    return this.emit(0x0b);
  }
  /** `if ... end` on the i32 on the stack. */
  if(body: (c: this) => void): this {
    this.emit(0x04, 0x40);
    body(this);
    return this.emit(0x0b);
  }
  br(depth: number): this {
    return this.emit(0x0c, ...uleb(depth));
  }
  brIf(depth: number): this {
    return this.emit(0x0d, ...uleb(depth));
  }

  /**
   * for (i = from; i < to; i += step) body, with signed i32 bounds pushed by the emitters and
   * a constant step or one pushed by an emitter. At the top level of body, br 0 continues with
   * the next iteration and br 2 leaves the loop.
   */
  for(
    i: number,
    from: (c: this) => void,
    to: (c: this) => void,
    step: number | ((c: this) => void),
    body: (c: this) => void,
  ): this {
    from(this);
    this.set(i);
    return this.block((c) =>
      c.loop((c) => {
        c.get(i);
        to(c);
        c.i32GeS().brIf(1);
        c.block((c) => body(c));
        c.get(i);
        if (typeof step === "number") c.i32(step);
        else step(c);
        c.i32Add().set(i).br(0);
      }),
    );
  }
}

export interface FunctionDef {
  name: string;
  code: Code;
}

/** A module that imports env.memory and exports the given functions (no results). */
export function assemble(functions: FunctionDef[]): Uint8Array {
  const types = functions.map((f) => [0x60, ...vec(f.code.params.map((p) => [p])), ...vec([])]);
  const imports = vec([[...name("env"), ...name("memory"), 0x02, 0x00, ...uleb(1)]]);
  const funcs = vec(functions.map((_, i) => uleb(i)));
  const exports = vec(functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]));
  const bodies = vec(
    functions.map((f) => {
      const locals = vec(f.code.locals.map((t) => [1, t]));
      const body = [...locals, ...f.code.bytes, 0x0b];
      return [...uleb(body.length), ...body];
    }),
  );
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, imports),
    ...section(3, funcs),
    ...section(7, exports),
    ...section(10, bodies),
  ]);
}
