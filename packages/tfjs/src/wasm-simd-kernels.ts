/**
 * Hand-written WebAssembly SIMD kernels for what XNNPACK has no fast operator for, run on the
 * tfjs wasm backend's own heap: the module imports the backend's WebAssembly.Memory, and
 * kernels take the byte offsets of tensor buffers (`dataIdMap.get(dataId).memoryOffset`).
 * - convolution gradients: depthwise filter and input (tfjs has none; the XNNPACK-based
 *   versions in wasm-gradients.ts need copies and a fresh XNNPACK operator per call), the
 *   filter gradient of any convolution without transposes or weight packing, and the input
 *   gradient of non-1x1 convolutions (wasm's own is a scalar loop);
 * - one-pass per-channel batch-norm passes and the swish gradient (wasm-fast-layers.ts);
 * - one-pass Adam and momentum-SGD steps (tfjs runs ~14 and ~4 ops per variable).
 * Every kernel writes fresh outputs and never aliases its inputs.
 *
 * Where the module cannot be used (no SIMD support, a wasm backend without an exported memory
 * or with a shared one) or is still compiling, `simdKernels` returns undefined and callers keep
 * their XNNPACK-based versions.
 */
import type { KernelBackend, TensorInfo } from "@tensorflow/tfjs-core";
import { assemble, Code, F32, I32, V128 } from "./wasm-asm.ts";

type Indices<N extends number, R extends number[] = []> = R["length"] extends N ? R : Indices<N, [...R, number]>;

/** Indices 0..n-1 of a function's parameters, for destructuring. */
function params<N extends number>(n: N): Indices<N> {
  return Array.from({ length: n }, (_, i) => i) as Indices<N>;
}

/** n new i32 locals. */
function locals<N extends number>(c: Code, n: N): Indices<N> {
  return Array.from({ length: n }, () => c.local(I32)) as Indices<N>;
}

/** A new float32 tensor on the wasm backend (uninitialised). */
export function allocate(backend: KernelBackend, shape: number[]): TensorInfo {
  return (backend as unknown as { makeOutput(shape: number[], dtype: "float32"): TensorInfo }).makeOutput(shape, "float32");
}

/** The locals and parameters the depthwise gradient loops share (indices into one function). */
interface DepthwiseLoop {
  b: number; oy: number; ox: number; ty: number; tx: number; iy: number; ix: number;
  batch: number; inH: number; inW: number; outH: number; outW: number;
  kh: number; kw: number; sh: number; sw: number; padTop: number; padLeft: number;
  /** Walks dy one row (rowBytes) per output position, from `dy`. */
  dy: number; dyRow: number; rowBytes: number;
}

/**
 * For every output position (b, oy, ox) and every tap (ty, tx) that lands inside the input,
 * with iy, ix set to the input position: `tap`. dyRow points at dy[b, oy, ox].
 */
function depthwiseTaps(c: Code, v: DepthwiseLoop, tap: (c: Code) => void): void {
  c.get(v.dy).set(v.dyRow);
  c.for(v.b, (c) => c.i32(0), (c) => c.get(v.batch), 1, (c) =>
    c.for(v.oy, (c) => c.i32(0), (c) => c.get(v.outH), 1, (c) =>
      c.for(v.ox, (c) => c.i32(0), (c) => c.get(v.outW), 1, (c) => {
        c.for(v.ty, (c) => c.i32(0), (c) => c.get(v.kh), 1, (c) => {
          // iy = oy*sh + ty - padTop; rows outside [0, inH) (negative ones too, as unsigned) skip.
          c.get(v.oy).get(v.sh).i32Mul().get(v.ty).i32Add().get(v.padTop).i32Sub().tee(v.iy);
          c.get(v.inH).i32GeU().brIf(0);
          c.for(v.tx, (c) => c.i32(0), (c) => c.get(v.kw), 1, (c) => {
            c.get(v.ox).get(v.sw).i32Mul().get(v.tx).i32Add().get(v.padLeft).i32Sub().tee(v.ix);
            c.get(v.inW).i32GeU().brIf(0);
            tap(c);
          });
        });
        c.get(v.dyRow).get(v.rowBytes).i32Add().set(v.dyRow);
      }),
    ),
  );
}

/** The byte offset of row (b, iy, ix) of an NHWC tensor at `base`, into `row`. */
function pixelRow(c: Code, v: DepthwiseLoop, base: number, row: number): void {
  c.get(base).get(v.b).get(v.inH).i32Mul().get(v.iy).i32Add().get(v.inW).i32Mul().get(v.ix).i32Add().get(v.rowBytes).i32Mul().i32Add().set(row);
}

/** The byte offset of tap (ty, tx)'s row of a [kh, kw, channels] array at `base`, into `row`. */
function tapRow(c: Code, v: DepthwiseLoop, base: number, row: number): void {
  c.get(base).get(v.ty).get(v.kw).i32Mul().get(v.tx).i32Add().get(v.rowBytes).i32Mul().i32Add().set(row);
}

/**
 * acc[ch] += a[ch] * dyRow[ch] for byte offsets ch from `start` to `end`: 16 channels per step
 * up to end16, then 4 up to end4, then 1.
 */
function fmaChannels(
  c: Code,
  rows: { acc: number; a: number; dy: number },
  ch: number,
  bounds: { start: (c: Code) => void; end16: number; end4: number; end: number },
): void {
  const fma4 = (c: Code, offset: number) =>
    c
      .get(rows.acc).get(ch).i32Add()
      .get(rows.acc).get(ch).i32Add().v128Load(offset)
      .get(rows.a).get(ch).i32Add().v128Load(offset)
      .get(rows.dy).get(ch).i32Add().v128Load(offset)
      .f32x4Mul().f32x4Add()
      .v128Store(offset);
  c.for(ch, bounds.start, (c) => c.get(bounds.end16), 16 * 4, (c) => {
    for (const offset of [0, 16, 32, 48]) fma4(c, offset);
  });
  c.for(ch, (c) => c.get(bounds.end16), (c) => c.get(bounds.end4), 16, (c) => fma4(c, 0));
  c.for(ch, (c) => c.get(bounds.end4), (c) => c.get(bounds.end), 4, (c) =>
    c
      .get(rows.acc).get(ch).i32Add()
      .get(rows.acc).get(ch).i32Add().f32Load()
      .get(rows.a).get(ch).i32Add().f32Load()
      .get(rows.dy).get(ch).i32Add().f32Load()
      .f32Mul().f32Add()
      .f32Store(),
  );
}

/**
 * dW[ty,tx,c] = sum over b,oy,ox of x[b, oy*sh+ty-padTop, ox*sw+tx-padLeft, c] * dy[b,oy,ox,c]
 * (taps outside x contribute zero). Runs over blocks of channels (blockBytes, a multiple of
 * 64) small enough that the block's kh*kw accumulator rows stay in L1; within a block, each dy
 * row meets the kh*kw x rows it touched, 16 (then 4, then 1) channels per step.
 */
function depthwiseFilterGradient(): Code {
  const c = new Code(Array<typeof I32>(16).fill(I32));
  const [x, dy, out, batch, inH, inW, channels, outH, outW, kh, kw, sh, sw, padTop, padLeft, blockBytes] =
    params(16);
  const [b, oy, ox, ty, tx, iy, ix, ch, dyRow, xRow, accRow, rowBytes, end16, end4, i] = locals(c, 15);
  const [block, blockEnd] = locals(c, 2);
  const v = { b, oy, ox, ty, tx, iy, ix, batch, inH, inW, outH, outW, kh, kw, sh, sw, padTop, padLeft, dy, dyRow, rowBytes };

  c.get(channels).i32(2).i32Shl().set(rowBytes);
  zero(c, out, (c) => c.get(kh).get(kw).i32Mul().get(rowBytes).i32Mul(), i);
  c.for(block, (c) => c.i32(0), (c) => c.get(rowBytes), (c) => c.get(blockBytes), (c) => {
    // blockEnd = min(block + blockBytes, rowBytes); end16, end4: ends of the 16- and 4-channel steps.
    c.get(block).get(blockBytes).i32Add().set(blockEnd);
    c.get(blockEnd).get(rowBytes).i32GeS().if((c) => c.get(rowBytes).set(blockEnd));
    c.get(blockEnd).get(block).i32Sub().i32(-64).i32And().get(block).i32Add().set(end16);
    c.get(blockEnd).get(block).i32Sub().i32(-16).i32And().get(block).i32Add().set(end4);
    depthwiseTaps(c, v, (c) => {
      pixelRow(c, v, x, xRow);
      tapRow(c, v, out, accRow);
      fmaChannels(c, { acc: accRow, a: xRow, dy: dyRow }, ch, { start: (c) => c.get(block), end16, end4, end: blockEnd });
    });
  });
  return c;
}

/** out[0 .. bytes) = 0 */
function zero(c: Code, out: number, bytes: (c: Code) => void, i: number): void {
  c.for(i, (c) => c.i32(0), bytes, 4, (c) => c.get(out).get(i).i32Add().f32(0).f32Store());
}

/**
 * dW[i,o] = sum over p of x[p,i] * dy[p,o] for x [P,ci], dy [P,co]: the filter gradient of a
 * 1x1 stride-1 convolution, without the transposes and weight packing a matrix product needs.
 * Four positions per step: each accumulator vector is loaded and stored once per four
 * multiply-adds; co is vectorised 8 (then 4, then 1) at a time.
 */
function pointwiseFilterGradient(): Code {
  const c = new Code(Array<typeof I32>(6).fill(I32));
  const [x, dy, out, positions, inC, outC] = params(6);
  const [p, i, o, xRow, dy0, dy1, dy2, dy3, accRow, rowX, rowDy, end8, end4, p4, k] = locals(c, 15);
  const [s0, s1, s2, s3] = [c.local(V128), c.local(V128), c.local(V128), c.local(V128)];
  const [f0, f1, f2, f3] = [c.local(F32), c.local(F32), c.local(F32), c.local(F32)];

  c.get(inC).i32(2).i32Shl().set(rowX);
  c.get(outC).i32(2).i32Shl().set(rowDy);
  c.get(outC).i32(-8).i32And().i32(2).i32Shl().set(end8);
  c.get(outC).i32(-4).i32And().i32(2).i32Shl().set(end4);
  c.get(positions).i32(-4).i32And().set(p4);
  zero(c, out, (c) => c.get(inC).get(rowDy).i32Mul(), k);

  // acc[o..o+4) += s0*dy0[o..] + s1*dy1[o..] + s2*dy2[o..] + s3*dy3[o..]
  const quad = (c: Code, offset: number) =>
    c
      .get(accRow).get(o).i32Add()
      .get(accRow).get(o).i32Add().v128Load(offset)
      .get(s0).get(dy0).get(o).i32Add().v128Load(offset).f32x4Mul().f32x4Add()
      .get(s1).get(dy1).get(o).i32Add().v128Load(offset).f32x4Mul().f32x4Add()
      .get(s2).get(dy2).get(o).i32Add().v128Load(offset).f32x4Mul().f32x4Add()
      .get(s3).get(dy3).get(o).i32Add().v128Load(offset).f32x4Mul().f32x4Add()
      .v128Store(offset);

  c.for(p, (c) => c.i32(0), (c) => c.get(p4), 4, (c) => {
    c.get(x).get(p).get(rowX).i32Mul().i32Add().set(xRow);
    c.get(dy).get(p).get(rowDy).i32Mul().i32Add().tee(dy0).get(rowDy).i32Add().tee(dy1).get(rowDy).i32Add().tee(dy2);
    c.get(rowDy).i32Add().set(dy3);
    c.for(i, (c) => c.i32(0), (c) => c.get(inC), 1, (c) => {
      // the four positions' x[p+k, i]
      c.get(xRow).get(i).i32(2).i32Shl().i32Add().set(k);
      c.get(k).f32Load().tee(f0).f32x4Splat().set(s0);
      c.get(k).get(rowX).i32Add().tee(k).f32Load().tee(f1).f32x4Splat().set(s1);
      c.get(k).get(rowX).i32Add().tee(k).f32Load().tee(f2).f32x4Splat().set(s2);
      c.get(k).get(rowX).i32Add().f32Load().tee(f3).f32x4Splat().set(s3);
      c.get(out).get(i).get(rowDy).i32Mul().i32Add().set(accRow);
      c.for(o, (c) => c.i32(0), (c) => c.get(end8), 32, (c) => {
        quad(c, 0);
        quad(c, 16);
      });
      c.for(o, (c) => c.get(end8), (c) => c.get(end4), 16, (c) => quad(c, 0));
      c.for(o, (c) => c.get(end4), (c) => c.get(rowDy), 4, (c) =>
        c
          .get(accRow).get(o).i32Add()
          .get(accRow).get(o).i32Add().f32Load()
          .get(f0).get(dy0).get(o).i32Add().f32Load().f32Mul().f32Add()
          .get(f1).get(dy1).get(o).i32Add().f32Load().f32Mul().f32Add()
          .get(f2).get(dy2).get(o).i32Add().f32Load().f32Mul().f32Add()
          .get(f3).get(dy3).get(o).i32Add().f32Load().f32Mul().f32Add()
          .f32Store(),
      );
    });
  });
  // The last positions % 4, one at a time.
  c.for(p, (c) => c.get(p4), (c) => c.get(positions), 1, (c) => {
    c.get(x).get(p).get(rowX).i32Mul().i32Add().set(xRow);
    c.get(dy).get(p).get(rowDy).i32Mul().i32Add().set(dy0);
    c.for(i, (c) => c.i32(0), (c) => c.get(inC), 1, (c) => {
      c.get(xRow).get(i).i32(2).i32Shl().i32Add().f32Load().tee(f0).f32x4Splat().set(s0);
      c.get(out).get(i).get(rowDy).i32Mul().i32Add().set(accRow);
      c.for(o, (c) => c.i32(0), (c) => c.get(end4), 16, (c) =>
        c
          .get(accRow).get(o).i32Add()
          .get(accRow).get(o).i32Add().v128Load()
          .get(s0).get(dy0).get(o).i32Add().v128Load().f32x4Mul().f32x4Add()
          .v128Store(),
      );
      c.for(o, (c) => c.get(end4), (c) => c.get(rowDy), 4, (c) =>
        c
          .get(accRow).get(o).i32Add()
          .get(accRow).get(o).i32Add().f32Load()
          .get(f0).get(dy0).get(o).i32Add().f32Load().f32Mul().f32Add()
          .f32Store(),
      );
    });
  });
  return c;
}

/**
 * pointwiseFilterGradient for ci % 4 == 0 and co % 8 == 0, register-blocked like a GEMM: a
 * 4 x 8 tile of dW stays in eight vector locals while the positions stream by, in chunks of
 * `chunk` positions whose x and dy rows stay in L2 across the tiles.
 */
function pointwiseFilterGradientTiled(): Code {
  const c = new Code(Array<typeof I32>(7).fill(I32));
  const [x, dy, out, positions, inC, outC, chunk] = params(7);
  const [p0, pEnd, i0, o0, p, xp, dp, rowX, rowDy, accPtr, k] = locals(c, 11);
  const acc = Array.from({ length: 8 }, () => c.local(V128));
  const [s, d0, d1] = [c.local(V128), c.local(V128), c.local(V128)];
  c.get(inC).i32(2).i32Shl().set(rowX);
  c.get(outC).i32(2).i32Shl().set(rowDy);
  zero(c, out, (c) => c.get(inC).get(rowDy).i32Mul(), k);
  const tileRow = (c: Code, r: number) =>
    c.get(out).get(i0).i32(r).i32Add().get(rowDy).i32Mul().i32Add().get(o0).i32(2).i32Shl().i32Add().set(accPtr);
  c.for(p0, (c) => c.i32(0), (c) => c.get(positions), (c) => c.get(chunk), (c) => {
    c.get(p0).get(chunk).i32Add().set(pEnd);
    c.get(pEnd).get(positions).i32GeS().if((c) => c.get(positions).set(pEnd));
    c.for(i0, (c) => c.i32(0), (c) => c.get(inC), 4, (c) =>
      c.for(o0, (c) => c.i32(0), (c) => c.get(outC), 8, (c) => {
        for (let r = 0; r < 4; r++) {
          tileRow(c, r);
          c.get(accPtr).v128Load(0).set(acc[2 * r]!);
          c.get(accPtr).v128Load(16).set(acc[2 * r + 1]!);
        }
        c.get(x).get(p0).get(rowX).i32Mul().i32Add().get(i0).i32(2).i32Shl().i32Add().set(xp);
        c.get(dy).get(p0).get(rowDy).i32Mul().i32Add().get(o0).i32(2).i32Shl().i32Add().set(dp);
        c.for(p, (c) => c.get(p0), (c) => c.get(pEnd), 1, (c) => {
          c.get(dp).v128Load(0).set(d0);
          c.get(dp).v128Load(16).set(d1);
          for (let r = 0; r < 4; r++) {
            c.get(xp).f32Load(4 * r).f32x4Splat().set(s);
            c.get(acc[2 * r]!).get(s).get(d0).f32x4Mul().f32x4Add().set(acc[2 * r]!);
            c.get(acc[2 * r + 1]!).get(s).get(d1).f32x4Mul().f32x4Add().set(acc[2 * r + 1]!);
          }
          c.get(xp).get(rowX).i32Add().set(xp);
          c.get(dp).get(rowDy).i32Add().set(dp);
        });
        for (let r = 0; r < 4; r++) {
          tileRow(c, r);
          c.get(accPtr).get(acc[2 * r]!).v128Store(0);
          c.get(accPtr).get(acc[2 * r + 1]!).v128Store(16);
        }
      }),
    );
  });
  return c;
}

/**
 * dW[ty,tx,i,o] = sum over b,oy,ox of x[b, oy*sh+ty-padTop, ox*sw+tx-padLeft, i] * dy[b,oy,ox,o]:
 * the filter gradient of any NHWC convolution (used for those that are not 1x1 stride 1, such
 * as a network's stem), one position and tap at a time, co vectorised.
 */
function convFilterGradient(): Code {
  const c = new Code(Array<typeof I32>(16).fill(I32));
  const [x, dy, out, batch, inH, inW, inC, outH, outW, outC, kh, kw, sh, sw, padTop, padLeft] = params(16);
  const [b, oy, ox, ty, tx, iy, ix, i, o, dyRow, xRow, accRow, rowX, rowDy, end4, k] = locals(c, 16);
  const s = c.local(V128);
  const f = c.local(F32);
  c.get(inC).i32(2).i32Shl().set(rowX);
  c.get(outC).i32(2).i32Shl().set(rowDy);
  c.get(outC).i32(-4).i32And().i32(2).i32Shl().set(end4);
  zero(c, out, (c) => c.get(kh).get(kw).i32Mul().get(inC).i32Mul().get(rowDy).i32Mul(), k);
  c.get(dy).set(dyRow);
  c.for(b, (c) => c.i32(0), (c) => c.get(batch), 1, (c) =>
    c.for(oy, (c) => c.i32(0), (c) => c.get(outH), 1, (c) =>
      c.for(ox, (c) => c.i32(0), (c) => c.get(outW), 1, (c) => {
        c.for(ty, (c) => c.i32(0), (c) => c.get(kh), 1, (c) => {
          c.get(oy).get(sh).i32Mul().get(ty).i32Add().get(padTop).i32Sub().tee(iy);
          c.get(inH).i32GeU().brIf(0);
          c.for(tx, (c) => c.i32(0), (c) => c.get(kw), 1, (c) => {
            c.get(ox).get(sw).i32Mul().get(tx).i32Add().get(padLeft).i32Sub().tee(ix);
            c.get(inW).i32GeU().brIf(0);
            c.get(x).get(b).get(inH).i32Mul().get(iy).i32Add().get(inW).i32Mul().get(ix).i32Add().get(rowX).i32Mul().i32Add().set(xRow);
            c.for(i, (c) => c.i32(0), (c) => c.get(inC), 1, (c) => {
              c.get(xRow).get(i).i32(2).i32Shl().i32Add().f32Load().tee(f).f32x4Splat().set(s);
              // accRow = out + ((ty*kw + tx)*inC + i)*rowDy
              c.get(out).get(ty).get(kw).i32Mul().get(tx).i32Add().get(inC).i32Mul().get(i).i32Add().get(rowDy).i32Mul().i32Add().set(accRow);
              c.for(o, (c) => c.i32(0), (c) => c.get(end4), 16, (c) =>
                c
                  .get(accRow).get(o).i32Add()
                  .get(accRow).get(o).i32Add().v128Load()
                  .get(s).get(dyRow).get(o).i32Add().v128Load().f32x4Mul().f32x4Add()
                  .v128Store(),
              );
              c.for(o, (c) => c.get(end4), (c) => c.get(rowDy), 4, (c) =>
                c
                  .get(accRow).get(o).i32Add()
                  .get(accRow).get(o).i32Add().f32Load()
                  .get(f).get(dyRow).get(o).i32Add().f32Load().f32Mul().f32Add()
                  .f32Store(),
              );
            });
          });
        });
        c.get(dyRow).get(rowDy).i32Add().set(dyRow);
      }),
    ),
  );
  return c;
}

/**
 * dx[b, oy*sh+ty-padTop, ox*sw+tx-padLeft, c] += dy[b,oy,ox,c] * w[ty,tx,c] over all positions
 * and taps inside dx: the input gradient of a depthwise convolution (multiplier 1), scattered
 * from each dy row into the kh*kw dx rows it came from (which stay in cache between
 * neighbouring positions), 16 (then 4, then 1) channels per step.
 */
function depthwiseInputGradient(): Code {
  const c = new Code(Array<typeof I32>(15).fill(I32));
  const [dy, w, dx, batch, inH, inW, channels, outH, outW, kh, kw, sh, sw, padTop, padLeft] = params(15);
  const [b, oy, ox, ty, tx, iy, ix, ch, dxRow, dyRow, wRow, rowBytes, end16, end4, i] = locals(c, 15);
  const v = { b, oy, ox, ty, tx, iy, ix, batch, inH, inW, outH, outW, kh, kw, sh, sw, padTop, padLeft, dy, dyRow, rowBytes };
  c.get(channels).i32(2).i32Shl().set(rowBytes);
  c.get(channels).i32(-16).i32And().i32(2).i32Shl().set(end16);
  c.get(channels).i32(-4).i32And().i32(2).i32Shl().set(end4);
  zero(c, dx, (c) => c.get(batch).get(inH).i32Mul().get(inW).i32Mul().get(rowBytes).i32Mul(), i);
  depthwiseTaps(c, v, (c) => {
    pixelRow(c, v, dx, dxRow);
    tapRow(c, v, w, wRow);
    fmaChannels(c, { acc: dxRow, a: wRow, dy: dyRow }, ch, { start: (c) => c.i32(0), end16, end4, end: rowBytes });
  });
  return c;
}

/**
 * dx[b,iy,ix,i] = sum over taps with (iy+padTop-ty) = oy*sh, (ix+padLeft-tx) = ox*sw and over o
 * of dy[b,oy,ox,o] * w[ty,tx,i,o]: the input gradient of any NHWC convolution (wasm's own
 * kernel is a scalar loop), gathered per dx row; dot products over co vectorised 4 at a time.
 */
function convInputGradient(): Code {
  const c = new Code(Array<typeof I32>(16).fill(I32));
  const [dy, w, dx, batch, inH, inW, inC, outH, outW, outC, kh, kw, sh, sw, padTop, padLeft] = params(16);
  const [b, iy, ix, ty, tx, t, oy, ox, i, o, dxRow, dyRow, wRow, rowX, rowDy, end4] = locals(c, 16);
  const acc = c.local(V128);
  const sum = c.local(F32);
  c.get(inC).i32(2).i32Shl().set(rowX);
  c.get(outC).i32(2).i32Shl().set(rowDy);
  c.get(outC).i32(-4).i32And().i32(2).i32Shl().set(end4);
  c.get(dx).set(dxRow);
  c.for(b, (c) => c.i32(0), (c) => c.get(batch), 1, (c) =>
    c.for(iy, (c) => c.i32(0), (c) => c.get(inH), 1, (c) =>
      c.for(ix, (c) => c.i32(0), (c) => c.get(inW), 1, (c) => {
        c.for(i, (c) => c.i32(0), (c) => c.get(rowX), 4, (c) => c.get(dxRow).get(i).i32Add().f32(0).f32Store());
        c.for(ty, (c) => c.i32(0), (c) => c.get(kh), 1, (c) => {
          c.get(iy).get(padTop).i32Add().get(ty).i32Sub().tee(t);
          c.i32(0).i32LtS().brIf(0);
          c.get(t).get(sh).i32RemU().brIf(0);
          c.get(t).get(sh).i32DivU().tee(oy).get(outH).i32GeU().brIf(0);
          c.for(tx, (c) => c.i32(0), (c) => c.get(kw), 1, (c) => {
            c.get(ix).get(padLeft).i32Add().get(tx).i32Sub().tee(t);
            c.i32(0).i32LtS().brIf(0);
            c.get(t).get(sw).i32RemU().brIf(0);
            c.get(t).get(sw).i32DivU().tee(ox).get(outW).i32GeU().brIf(0);
            c.get(dy).get(b).get(outH).i32Mul().get(oy).i32Add().get(outW).i32Mul().get(ox).i32Add().get(rowDy).i32Mul().i32Add().set(dyRow);
            c.for(i, (c) => c.i32(0), (c) => c.get(inC), 1, (c) => {
              // wRow = w + ((ty*kw + tx)*inC + i)*rowDy
              c.get(w).get(ty).get(kw).i32Mul().get(tx).i32Add().get(inC).i32Mul().get(i).i32Add().get(rowDy).i32Mul().i32Add().set(wRow);
              c.f32(0).f32x4Splat().set(acc);
              c.for(o, (c) => c.i32(0), (c) => c.get(end4), 16, (c) =>
                c.get(acc).get(dyRow).get(o).i32Add().v128Load().get(wRow).get(o).i32Add().v128Load().f32x4Mul().f32x4Add().set(acc),
              );
              c.get(acc).f32x4ExtractLane(0).get(acc).f32x4ExtractLane(1).f32Add();
              c.get(acc).f32x4ExtractLane(2).get(acc).f32x4ExtractLane(3).f32Add().f32Add().set(sum);
              c.for(o, (c) => c.get(end4), (c) => c.get(rowDy), 4, (c) =>
                c.get(sum).get(dyRow).get(o).i32Add().f32Load().get(wRow).get(o).i32Add().f32Load().f32Mul().f32Add().set(sum),
              );
              c.get(dxRow).get(i).i32(2).i32Shl().i32Add();
              c.get(dxRow).get(i).i32(2).i32Shl().i32Add().f32Load().get(sum).f32Add().f32Store();
            });
          });
        });
        c.get(dxRow).get(rowX).i32Add().set(dxRow);
      }),
    ),
  );
  return c;
}

/**
 * Names under which wasm-fast-kernels.ts registers the per-channel kernels below as wasm
 * kernels, so that tf-level code (wasm-fast-layers.ts) can run them with engine().runKernel.
 */
export const HIWL_KERNELS = {
  normalize: "HiwlNormalize",
  centeredSquareSums: "HiwlCenteredSquareSums",
  batchNormGradientSums: "HiwlBatchNormGradientSums",
  batchNormInputGradient: "HiwlBatchNormInputGradient",
  swishGradient: "HiwlSwishGradient",
  adam: "HiwlAdam",
  momentum: "HiwlMomentum",
} as const;

type Operand = (index: number) => void;

/**
 * A kernel over [M, C] rows and per-channel [C] vectors: params are the row pointers, the
 * vector pointers, the output pointer, M and C. `vector` pushes 4 output channels given
 * emitters that push the operands' matching 4 channels (`scalar`: 1 channel, for the tail).
 * With M = 1 and no vectors it is a plain elementwise kernel over C elements.
 */
interface ChannelMap {
  rows: number;
  vectors: number;
  vector(c: Code, row: Operand, vec: Operand): void;
  scalar(c: Code, row: Operand, vec: Operand): void;
}

function channelMap(spec: ChannelMap): Code {
  const c = new Code(Array<typeof I32>(spec.rows + spec.vectors + 3).fill(I32));
  const rowPtr = (k: number) => k;
  const vecPtr = (k: number) => spec.rows + k;
  const out = spec.rows + spec.vectors;
  const [m, ch, rowOff, rowBytes, end4] = locals(c, 5);
  c.get(out + 2).i32(2).i32Shl().set(rowBytes);
  c.get(out + 2).i32(-4).i32And().i32(2).i32Shl().set(end4);
  c.i32(0).set(rowOff);
  const at = (base: number, row: boolean) => {
    c.get(base);
    if (row) c.get(rowOff).i32Add();
    c.get(ch).i32Add();
  };
  c.for(m, (c) => c.i32(0), (c) => c.get(out + 1), 1, (c) => {
    c.for(ch, (c) => c.i32(0), (c) => c.get(end4), 16, (c) => {
      at(out, true);
      spec.vector(
        c,
        (k) => (at(rowPtr(k), true), c.v128Load()),
        (k) => (at(vecPtr(k), false), c.v128Load()),
      );
      c.v128Store();
    });
    c.for(ch, (c) => c.get(end4), (c) => c.get(rowBytes), 4, (c) => {
      at(out, true);
      spec.scalar(
        c,
        (k) => (at(rowPtr(k), true), c.f32Load()),
        (k) => (at(vecPtr(k), false), c.f32Load()),
      );
      c.f32Store();
    });
    c.get(rowOff).get(rowBytes).i32Add().set(rowOff);
  });
  return c;
}

/**
 * Per-channel sums over the M rows: out[k*C + c] = sum over m of term k. Params as for
 * channelMap; `vector(c, k, ...)` pushes term k for 4 channels.
 */
interface ChannelSums {
  rows: number;
  vectors: number;
  sums: number;
  vector(c: Code, sum: number, row: Operand, vec: Operand): void;
  scalar(c: Code, sum: number, row: Operand, vec: Operand): void;
}

function channelSums(spec: ChannelSums): Code {
  const c = new Code(Array<typeof I32>(spec.rows + spec.vectors + 3).fill(I32));
  const out = spec.rows + spec.vectors;
  const [m, ch, rowOff, rowBytes, end4, i] = locals(c, 6);
  c.get(out + 2).i32(2).i32Shl().set(rowBytes);
  c.get(out + 2).i32(-4).i32And().i32(2).i32Shl().set(end4);
  zero(c, out, (c) => c.get(rowBytes).i32(spec.sums).i32Mul(), i);
  c.i32(0).set(rowOff);
  const at = (base: number, row: boolean) => {
    c.get(base);
    if (row) c.get(rowOff).i32Add();
    c.get(ch).i32Add();
  };
  const accAt = (k: number) => c.get(out).get(ch).i32Add().get(rowBytes).i32(k).i32Mul().i32Add();
  c.for(m, (c) => c.i32(0), (c) => c.get(out + 1), 1, (c) => {
    c.for(ch, (c) => c.i32(0), (c) => c.get(end4), 16, (c) => {
      for (let k = 0; k < spec.sums; k++) {
        accAt(k);
        accAt(k);
        c.v128Load();
        spec.vector(c, k, (r) => (at(r, true), c.v128Load()), (v) => (at(spec.rows + v, false), c.v128Load()));
        c.f32x4Add().v128Store();
      }
    });
    c.for(ch, (c) => c.get(end4), (c) => c.get(rowBytes), 4, (c) => {
      for (let k = 0; k < spec.sums; k++) {
        accAt(k);
        accAt(k);
        c.f32Load();
        spec.scalar(c, k, (r) => (at(r, true), c.f32Load()), (v) => (at(spec.rows + v, false), c.f32Load()));
        c.f32Add().f32Store();
      }
    });
    c.get(rowOff).get(rowBytes).i32Add().set(rowOff);
  });
  return c;
}

/** (x - mean) * k + beta; rows: x; vectors: mean, k, beta. */
const normalize = (): Code =>
  channelMap({
    rows: 1,
    vectors: 3,
    vector: (c, row, vec) => (row(0), vec(0), c.f32x4Sub(), vec(1), c.f32x4Mul(), vec(2), c.f32x4Add()),
    scalar: (c, row, vec) => (row(0), vec(0), c.f32Sub(), vec(1), c.f32Mul(), vec(2), c.f32Add()),
  });

/** sum over rows of (x - mean)^2; rows: x; vectors: mean. */
const centeredSquareSums = (): Code =>
  channelSums({
    rows: 1,
    vectors: 1,
    sums: 1,
    vector: (c, _k, row, vec) => (row(0), vec(0), c.f32x4Sub(), row(0), vec(0), c.f32x4Sub(), c.f32x4Mul()),
    scalar: (c, _k, row, vec) => (row(0), vec(0), c.f32Sub(), row(0), vec(0), c.f32Sub(), c.f32Mul()),
  });

/** [sum dy, sum dy*(x - mean)]; rows: dy, x; vectors: mean. */
const batchNormGradientSums = (): Code =>
  channelSums({
    rows: 2,
    vectors: 1,
    sums: 2,
    vector: (c, k, row, vec) => (k === 0 ? row(0) : (row(0), row(1), vec(0), c.f32x4Sub(), c.f32x4Mul())),
    scalar: (c, k, row, vec) => (k === 0 ? row(0) : (row(0), row(1), vec(0), c.f32Sub(), c.f32Mul())),
  });

/** (dy - (x - mean) * a - b) * k; rows: dy, x; vectors: mean, a, b, k. */
const batchNormInputGradient = (): Code =>
  channelMap({
    rows: 2,
    vectors: 4,
    vector: (c, row, vec) => (
      row(0), row(1), vec(0), c.f32x4Sub(), vec(1), c.f32x4Mul(), c.f32x4Sub(), vec(2), c.f32x4Sub(), vec(3), c.f32x4Mul()
    ),
    scalar: (c, row, vec) => (
      row(0), row(1), vec(0), c.f32Sub(), vec(1), c.f32Mul(), c.f32Sub(), vec(2), c.f32Sub(), vec(3), c.f32Mul()
    ),
  });

/** dy * s * (1 + x - x*s), the gradient of x*sigmoid(x) with s = sigmoid(x); rows: dy, x, s. */
const swishGradient = (): Code =>
  channelMap({
    rows: 3,
    vectors: 0,
    vector: (c, row) => (
      row(0), row(2), c.f32x4Mul(),
      c.f32(1).f32x4Splat(), row(1), c.f32x4Add(), row(1), row(2), c.f32x4Mul(), c.f32x4Sub(),
      c.f32x4Mul()
    ),
    scalar: (c, row) => (
      row(0), row(2), c.f32Mul(),
      c.f32(1), row(1), c.f32Add(), row(1), row(2), c.f32Mul(), c.f32Sub(),
      c.f32Mul()
    ),
  });

/**
 * One Adam step for one variable, as tfjs-core's AdamOptimizer computes it:
 *   m' = beta1*m + (1-beta1)*g,  v' = beta2*v + (1-beta2)*g^2,
 *   w' = w + (m'/(1-beta1^t)) / (sqrt(v'/(1-beta2^t)) + eps) * -lr
 * Params: w, g, m, v, wOut, mOut, vOut, n (i32), then beta1, 1-beta1, beta2, 1-beta2,
 * 1-beta1^t, 1-beta2^t, eps, -lr (f32).
 */
function adam(): Code {
  const c = new Code([I32, I32, I32, I32, I32, I32, I32, I32, F32, F32, F32, F32, F32, F32, F32, F32]);
  const [w, g, m, v, wOut, mOut, vOut, n] = params(8);
  const [beta1, oneMinusBeta1, beta2, oneMinusBeta2, correction1, correction2, eps, negLr] = [8, 9, 10, 11, 12, 13, 14, 15];
  const [i, bytes, end4] = locals(c, 3);
  const splats = [beta1, oneMinusBeta1, beta2, oneMinusBeta2, correction1, correction2, eps, negLr].map((p) => {
    const local = c.local(V128);
    c.get(p).f32x4Splat().set(local);
    return local;
  });
  const [vBeta1, vOneMinusBeta1, vBeta2, vOneMinusBeta2, vCorrection1, vCorrection2, vEps, vNegLr] = splats as Indices<8>;
  const [mNew, vNew] = [c.local(V128), c.local(V128)];
  const [fm, fv] = [c.local(F32), c.local(F32)];
  c.get(n).i32(2).i32Shl().set(bytes);
  c.get(n).i32(-4).i32And().i32(2).i32Shl().set(end4);
  const at = (base: number) => c.get(base).get(i).i32Add();
  c.for(i, (c) => c.i32(0), (c) => c.get(end4), 16, (c) => {
    at(m); c.v128Load().get(vBeta1).f32x4Mul(); at(g); c.v128Load().get(vOneMinusBeta1).f32x4Mul().f32x4Add().set(mNew);
    at(v); c.v128Load().get(vBeta2).f32x4Mul(); at(g); c.v128Load(); at(g); c.v128Load().f32x4Mul().get(vOneMinusBeta2).f32x4Mul().f32x4Add().set(vNew);
    at(mOut); c.get(mNew).v128Store();
    at(vOut); c.get(vNew).v128Store();
    at(wOut);
    c.get(mNew).get(vCorrection1).f32x4Div();
    c.get(vNew).get(vCorrection2).f32x4Div().f32x4Sqrt().get(vEps).f32x4Add().f32x4Div();
    c.get(vNegLr).f32x4Mul();
    at(w); c.v128Load().f32x4Add().v128Store();
  });
  c.for(i, (c) => c.get(end4), (c) => c.get(bytes), 4, (c) => {
    at(m); c.f32Load().get(beta1).f32Mul(); at(g); c.f32Load().get(oneMinusBeta1).f32Mul().f32Add().set(fm);
    at(v); c.f32Load().get(beta2).f32Mul(); at(g); c.f32Load(); at(g); c.f32Load().f32Mul().get(oneMinusBeta2).f32Mul().f32Add().set(fv);
    at(mOut); c.get(fm).f32Store();
    at(vOut); c.get(fv).f32Store();
    at(wOut);
    c.get(fm).get(correction1).f32Div();
    c.get(fv).get(correction2).f32Div().f32Sqrt().get(eps).f32Add().f32Div();
    c.get(negLr).f32Mul();
    at(w); c.f32Load().f32Add().f32Store();
  });
  return c;
}

/**
 * One momentum-SGD step for one variable, as tfjs-core's MomentumOptimizer computes it:
 *   acc' = m*acc + g,  w' = c*acc' + w  (Nesterov: w' = c*(g + acc'*m) + w),  c = -lr.
 * Params: w, g, acc, wOut, accOut, n, nesterov (i32), then m, c (f32).
 */
function momentum(): Code {
  const c = new Code([I32, I32, I32, I32, I32, I32, I32, F32, F32]);
  const [w, g, acc, wOut, accOut, n, nesterov, m, scale] = params(9);
  const [i, bytes, end4] = locals(c, 3);
  const [vm, vc, accNew] = [c.local(V128), c.local(V128), c.local(V128)];
  const facc = c.local(F32);
  c.get(m).f32x4Splat().set(vm);
  c.get(scale).f32x4Splat().set(vc);
  c.get(n).i32(2).i32Shl().set(bytes);
  c.get(n).i32(-4).i32And().i32(2).i32Shl().set(end4);
  const at = (base: number) => c.get(base).get(i).i32Add();
  c.for(i, (c) => c.i32(0), (c) => c.get(end4), 16, (c) => {
    c.get(vm); at(acc); c.v128Load().f32x4Mul(); at(g); c.v128Load().f32x4Add().set(accNew);
    at(accOut); c.get(accNew).v128Store();
    at(wOut);
    c.get(vc);
    c.get(nesterov).if((c) => {
      at(g); c.v128Load().get(accNew).get(vm).f32x4Mul().f32x4Add().set(accNew);
    });
    c.get(accNew).f32x4Mul();
    at(w); c.v128Load().f32x4Add().v128Store();
  });
  c.for(i, (c) => c.get(end4), (c) => c.get(bytes), 4, (c) => {
    c.get(m); at(acc); c.f32Load().f32Mul(); at(g); c.f32Load().f32Add().set(facc);
    at(accOut); c.get(facc).f32Store();
    at(wOut);
    c.get(scale);
    c.get(nesterov).if((c) => {
      at(g); c.f32Load().get(facc).get(m).f32Mul().f32Add().set(facc);
    });
    c.get(facc).f32Mul();
    at(w); c.f32Load().f32Add().f32Store();
  });
  return c;
}

interface Exports {
  depthwiseFilterGradient: (...args: number[]) => void;
  pointwiseFilterGradient: (...args: number[]) => void;
  pointwiseFilterGradientTiled: (...args: number[]) => void;
  convFilterGradient: (...args: number[]) => void;
  depthwiseInputGradient: (...args: number[]) => void;
  convInputGradient: (...args: number[]) => void;
  normalize: (...args: number[]) => void;
  centeredSquareSums: (...args: number[]) => void;
  batchNormGradientSums: (...args: number[]) => void;
  batchNormInputGradient: (...args: number[]) => void;
  swishGradient: (...args: number[]) => void;
  adam: (...args: number[]) => void;
  momentum: (...args: number[]) => void;
}

/** Where a convolution's window starts: strides and the top/left padding. */
export interface ConvGeometry {
  kh: number;
  kw: number;
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
}

export interface SimdKernels {
  /** The depthwise filter gradient [kh,kw,C,1] of x [B,H,W,C] and dy [B,oh,ow,C], into out. */
  depthwiseFilterGradient(x: TensorInfo, dy: TensorInfo, out: TensorInfo, geometry: ConvGeometry): void;
  /** The depthwise input gradient [B,H,W,C] of dy [B,oh,ow,C] and filter [kh,kw,C,1], into dx. */
  depthwiseInputGradient(dy: TensorInfo, filter: TensorInfo, dx: TensorInfo, geometry: ConvGeometry): void;
  /** The input gradient [B,H,W,ci] of dy [B,oh,ow,co] and filter [kh,kw,ci,co], into dx. */
  convInputGradient(dy: TensorInfo, filter: TensorInfo, dx: TensorInfo, geometry: ConvGeometry): void;
  /**
   * Per-channel kernels over x viewed as [M, C] (C = its last dimension) with [C] vectors; each
   * returns a new tensor. `normalize`: (x - mean) * k + beta.
   */
  normalize(x: TensorInfo, mean: TensorInfo, k: TensorInfo, beta: TensorInfo): TensorInfo;
  /** [C]: sum over rows of (x - mean)^2. */
  centeredSquareSums(x: TensorInfo, mean: TensorInfo): TensorInfo;
  /** [2, C]: sum over rows of dy, and of dy * (x - mean). */
  batchNormGradientSums(dy: TensorInfo, x: TensorInfo, mean: TensorInfo): TensorInfo;
  /** (dy - (x - mean) * a - b) * k, shaped like dy. */
  batchNormInputGradient(
    dy: TensorInfo,
    x: TensorInfo,
    mean: TensorInfo,
    a: TensorInfo,
    b: TensorInfo,
    k: TensorInfo,
  ): TensorInfo;
  /** dy * s * (1 + x - x*s), shaped like dy. */
  swishGradient(dy: TensorInfo, x: TensorInfo, s: TensorInfo): TensorInfo;
  /** One Adam step (see adam() above): new [w, m, v] tensors. */
  adam(
    w: TensorInfo,
    g: TensorInfo,
    m: TensorInfo,
    v: TensorInfo,
    hyper: { beta1: number; beta2: number; epsilon: number; learningRate: number; accBeta1: number; accBeta2: number },
  ): [TensorInfo, TensorInfo, TensorInfo];
  /** One momentum-SGD step (see momentum() above): new [w, accumulation] tensors. */
  momentum(
    w: TensorInfo,
    g: TensorInfo,
    accumulation: TensorInfo,
    hyper: { momentum: number; scale: number; nesterov: boolean },
  ): [TensorInfo, TensorInfo];
  /** The filter gradient [kh,kw,ci,co] of x [B,H,W,ci] and dy [B,oh,ow,co], into out. */
  convFilterGradient(x: TensorInfo, dy: TensorInfo, out: TensorInfo, geometry: ConvGeometry): void;
}

interface WasmBackendLike {
  wasm: { asm?: { memory?: unknown } };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
}

const instances = new WeakMap<object, SimdKernels | null>();
let compiled: WebAssembly.Module | null | undefined;
let compiling = false;

/**
 * The compiled module; undefined while it compiles, null if it cannot. Node compiles it
 * synchronously; browsers refuse synchronous compiles of this size on the main thread, so
 * there it compiles in the background and the kernels apply from the next call on.
 */
function compiledModule(): WebAssembly.Module | null | undefined {
  if (compiled !== undefined || compiling) return compiled;
  const bytes = assemble([
    { name: "depthwiseFilterGradient", code: depthwiseFilterGradient() },
    { name: "pointwiseFilterGradient", code: pointwiseFilterGradient() },
    { name: "pointwiseFilterGradientTiled", code: pointwiseFilterGradientTiled() },
    { name: "convFilterGradient", code: convFilterGradient() },
    { name: "depthwiseInputGradient", code: depthwiseInputGradient() },
    { name: "convInputGradient", code: convInputGradient() },
    { name: "normalize", code: normalize() },
    { name: "centeredSquareSums", code: centeredSquareSums() },
    { name: "batchNormGradientSums", code: batchNormGradientSums() },
    { name: "batchNormInputGradient", code: batchNormInputGradient() },
    { name: "swishGradient", code: swishGradient() },
    { name: "adam", code: adam() },
    { name: "momentum", code: momentum() },
  ]) as BufferSource;
  if (!WebAssembly.validate(bytes)) return (compiled = null);
  try {
    compiled = new WebAssembly.Module(bytes);
  } catch {
    compiling = true;
    WebAssembly.compile(bytes).then(
      (module) => (compiled = module),
      () => (compiled = null),
    );
  }
  return compiled;
}

/** The kernels bound to this backend's memory; undefined while compiling, null where impossible. */
function build(backend: WasmBackendLike): SimdKernels | null | undefined {
  const memory = backend.wasm?.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) return null;
  const module = compiledModule();
  if (module == null) return module;
  let exports: Exports;
  try {
    // Fails against a shared (threaded build's) memory: this module imports an unshared one.
    exports = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as Exports;
  } catch {
    return null;
  }
  const offset = (t: TensorInfo) => {
    const data = backend.dataIdMap.get(t.dataId);
    if (data === undefined) throw new Error("tensor data is not on the wasm backend");
    return data.memoryOffset;
  };
  const nhwc = (t: TensorInfo) => t.shape as [number, number, number, number];
  const kernelBackend = backend as unknown as KernelBackend;
  /** [M, C] of a tensor whose last dimension is C. */
  const rowsOf = (t: TensorInfo) => {
    const channels = t.shape.at(-1) ?? 1;
    return [t.shape.reduce((a, b) => a * b, 1) / channels, channels] as const;
  };
  return {
    normalize(x, mean, k, beta) {
      const out = allocate(kernelBackend, x.shape);
      const [rows, channels] = rowsOf(x);
      exports.normalize(offset(x), offset(mean), offset(k), offset(beta), offset(out), rows, channels);
      return out;
    },
    centeredSquareSums(x, mean) {
      const [rows, channels] = rowsOf(x);
      const out = allocate(kernelBackend, [channels]);
      exports.centeredSquareSums(offset(x), offset(mean), offset(out), rows, channels);
      return out;
    },
    batchNormGradientSums(dy, x, mean) {
      const [rows, channels] = rowsOf(x);
      const out = allocate(kernelBackend, [2, channels]);
      exports.batchNormGradientSums(offset(dy), offset(x), offset(mean), offset(out), rows, channels);
      return out;
    },
    batchNormInputGradient(dy, x, mean, a, b, k) {
      const out = allocate(kernelBackend, dy.shape);
      const [rows, channels] = rowsOf(x);
      exports.batchNormInputGradient(
        offset(dy), offset(x), offset(mean), offset(a), offset(b), offset(k), offset(out), rows, channels,
      );
      return out;
    },
    adam(w, g, m, v, h) {
      const outs = [w, m, v].map((t) => allocate(kernelBackend, t.shape)) as [TensorInfo, TensorInfo, TensorInfo];
      exports.adam(
        offset(w), offset(g), offset(m), offset(v), offset(outs[0]), offset(outs[1]), offset(outs[2]),
        w.shape.reduce((a, b) => a * b, 1),
        h.beta1, 1 - h.beta1, h.beta2, 1 - h.beta2, 1 - h.accBeta1, 1 - h.accBeta2, h.epsilon, -h.learningRate,
      );
      return outs;
    },
    momentum(w, g, accumulation, h) {
      const outs = [w, accumulation].map((t) => allocate(kernelBackend, t.shape)) as [TensorInfo, TensorInfo];
      exports.momentum(
        offset(w), offset(g), offset(accumulation), offset(outs[0]), offset(outs[1]),
        w.shape.reduce((a, b) => a * b, 1), h.nesterov ? 1 : 0, h.momentum, h.scale,
      );
      return outs;
    },
    swishGradient(dy, x, sig) {
      const out = allocate(kernelBackend, dy.shape);
      exports.swishGradient(offset(dy), offset(x), offset(sig), offset(out), 1, out.shape.reduce((a, b) => a * b, 1));
      return out;
    },
    depthwiseFilterGradient(x, dy, out, g) {
      const [batch, inH, inW, channels] = nhwc(x);
      const [, outH, outW] = nhwc(dy);
      // Channel blocks whose kh*kw accumulator rows fit in ~24 KB of L1.
      const rowBytes = channels * 4;
      const fit = Math.max(64, Math.floor(24576 / (g.kh * g.kw) / 64) * 64);
      exports.depthwiseFilterGradient(
        offset(x), offset(dy), offset(out),
        batch, inH, inW, channels, outH, outW,
        g.kh, g.kw, g.strideH, g.strideW, g.padTop, g.padLeft,
        rowBytes <= fit ? rowBytes : fit,
      );
    },
    depthwiseInputGradient(dy, filter, dx, g) {
      const [batch, inH, inW, channels] = nhwc(dx);
      const [, outH, outW] = nhwc(dy);
      exports.depthwiseInputGradient(
        offset(dy), offset(filter), offset(dx),
        batch, inH, inW, channels, outH, outW,
        g.kh, g.kw, g.strideH, g.strideW, g.padTop, g.padLeft,
      );
    },
    convInputGradient(dy, filter, dx, g) {
      const [batch, inH, inW, inC] = nhwc(dx);
      const [, outH, outW, outC] = nhwc(dy);
      exports.convInputGradient(
        offset(dy), offset(filter), offset(dx),
        batch, inH, inW, inC, outH, outW, outC,
        g.kh, g.kw, g.strideH, g.strideW, g.padTop, g.padLeft,
      );
    },
    convFilterGradient(x, dy, out, g) {
      const [batch, inH, inW, inC] = nhwc(x);
      const [, outH, outW, outC] = nhwc(dy);
      const pointwise =
        g.kh === 1 && g.kw === 1 && g.strideH === 1 && g.strideW === 1 && g.padTop === 0 && g.padLeft === 0 &&
        outH === inH && outW === inW;
      if (pointwise) {
        const positions = batch * inH * inW;
        if (inC % 4 === 0 && outC % 8 === 0) {
          // Chunks of x and dy rows of ~192 KB.
          const chunk = Math.max(16, Math.floor(196608 / ((inC + outC) * 4)));
          exports.pointwiseFilterGradientTiled(offset(x), offset(dy), offset(out), positions, inC, outC, chunk);
        } else {
          exports.pointwiseFilterGradient(offset(x), offset(dy), offset(out), positions, inC, outC);
        }
        return;
      }
      exports.convFilterGradient(
        offset(x), offset(dy), offset(out),
        batch, inH, inW, inC, outH, outW, outC,
        g.kh, g.kw, g.strideH, g.strideW, g.padTop, g.padLeft,
      );
    },
  };
}

let enabled = true;

/**
 * Turns the SIMD kernels off (callers then use their XNNPACK-based versions) or back on: for
 * tests of those fallbacks and for benchmarks.
 */
export function setWasmSimdKernelsEnabled(on: boolean): void {
  enabled = on;
}

/** The SIMD kernels bound to this wasm backend's memory, or undefined where unavailable. */
export function simdKernels(backend: KernelBackend): SimdKernels | undefined {
  if (!enabled) return undefined;
  let kernels = instances.get(backend);
  if (kernels === undefined) {
    kernels = build(backend as unknown as WasmBackendLike);
    if (kernels !== undefined) instances.set(backend, kernels);
  }
  return kernels ?? undefined;
}
