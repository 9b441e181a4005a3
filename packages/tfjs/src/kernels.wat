;; WebAssembly SIMD kernels for training on the tfjs wasm backend, for what XNNPACK has no fast
;; operator for. Assembled at build time (`npm run build -w @hiwl/tfjs`, scripts/build.mjs) into
;; dist/kernels.wasm, which src/wasm-simd-kernels.ts loads and binds to the backend's memory.
;;
;; Conventions
;; - The module imports the tfjs wasm backend's own memory (env.memory), so kernels work on tensor
;;   buffers in place: every pointer parameter is a byte offset into that memory
;;   (`dataIdMap.get(dataId).memoryOffset`), every tensor is float32 and row-major (NHWC for
;;   images), and every kernel writes fresh outputs that never alias its inputs.
;; - Sizes and loop counters are in bytes where they index memory ("rowBytes", "end4", ...), in
;;   elements where they count positions, rows or taps.
;; - Vector loads and stores claim only 4-byte alignment (align=4): tensors are float aligned,
;;   not 16-byte aligned. Vector loops (4, 8 or 16 floats a step) end at "endN" = the count
;;   rounded down to a multiple of N; scalar loops finish the tail.
;; - Every loop is written the same way, as `for (i = from; i < to; i += step) body`:
;;
;;     (local.set $i <from>)
;;     (block $i_end (loop $i_loop
;;       (br_if $i_end (i32.ge_s (local.get $i) <to>))
;;       (block $i_next <body>)          ;; (br $i_next) / (br_if $i_next ...) = continue
;;       (local.set $i (i32.add (local.get $i) <step>))
;;       (br $i_loop)))
;;
;;   The bound is re-evaluated on each iteration; the comparison is signed.
;; - The instruction sequences are exactly those of the run-time assembler these kernels replaced
;;   (test/simd-kernels-fixture.test.ts holds their recorded outputs), which is why a few
;;   expressions are spelled as they are (`i + 0`, `x * 0` in row offsets, the order of
;;   additions in accumulations: float addition is not associative).
(module
  (import "env" "memory" (memory 1))

  ;; ---------------------------------------------------------------------------------------------
  ;; Matrix products. XNNPACK packs a matrix product's or a convolution's weights into a new
  ;; operator for every weight tensor it has not seen, and training makes new weights every step:
  ;; packing B0's head weights (320 x 1280) costs 25 times the product itself on one 2x2 image.
  ;; These read the weights as they lie.
  ;; ---------------------------------------------------------------------------------------------

  ;; c[M,N] = a[M,K] b[K,N] (+ bias[N] where hasBias): a 1x1 stride-1 convolution's forward pass
  ;; (a = the input's pixels, b = the filter as [ci, co]) and its input gradient (a = dy's pixels,
  ;; b = the filter transposed). Register-blocked: a 4 x 8 tile of c (rows m .. m+3, columns
  ;; n0 .. n0+7) stays in eight vector locals while k runs, as pointwiseFilterGradientTiled's;
  ;; rows go in chunks of `chunk` (a multiple of 4) whose a rows stay in L2 while every column
  ;; block passes over them, and each column block's b panel (K x 8) stays in L1 meanwhile.
  ;; acc{2r}, acc{2r+1}: row m+r of the tile, columns n0 .. n0+3 and n0+4 .. n0+7. Rows past
  ;; M4 (M rounded down to 4) and columns past N8 go to $matMulEdge.
  (func $matMul (export "matMul")
    (param $a i32) (param $b i32) (param $bias i32) (param $hasBias i32) (param $c i32)
    (param $M i32) (param $K i32) (param $N i32) (param $chunk i32)
    (local $M4 i32) (local $N8 i32) (local $rowA i32) (local $rowB i32) (local $m0 i32) (local $mEnd i32)
    (local $n0 i32) (local $m i32) (local $k i32) (local $a0 i32) (local $a1 i32) (local $a2 i32) (local $a3 i32)
    (local $bp i32) (local $cp i32)
    (local $init0 v128) (local $init1 v128)
    (local $acc0 v128) (local $acc1 v128) (local $acc2 v128) (local $acc3 v128)
    (local $acc4 v128) (local $acc5 v128) (local $acc6 v128) (local $acc7 v128)
    (local $s v128) (local $d0 v128) (local $d1 v128)
    (local.set $M4 (i32.and (local.get $M) (i32.const -4)))
    (local.set $N8 (i32.and (local.get $N) (i32.const -8)))
    (local.set $rowA (i32.shl (local.get $K) (i32.const 2)))
    (local.set $rowB (i32.shl (local.get $N) (i32.const 2)))
    ;; for each chunk of rows [m0, mEnd)
    (local.set $m0 (i32.const 0))
    (block $m0_end (loop $m0_loop
      (br_if $m0_end (i32.ge_s (local.get $m0) (local.get $M4)))
      (block $m0_next
        (local.set $mEnd (i32.add (local.get $m0) (local.get $chunk)))
        (if (i32.ge_s (local.get $mEnd) (local.get $M4))
          (then (local.set $mEnd (local.get $M4))))
        ;; for each column block [n0, n0 + 8)
        (local.set $n0 (i32.const 0))
        (block $n0_end (loop $n0_loop
          (br_if $n0_end (i32.ge_s (local.get $n0) (local.get $N8)))
          (block $n0_next
            (if (local.get $hasBias)
              (then
                (local.set $init0 (v128.load align=4 (i32.add (local.get $bias) (i32.shl (local.get $n0) (i32.const 2)))))
                (local.set $init1 (v128.load offset=16 align=4 (i32.add (local.get $bias) (i32.shl (local.get $n0) (i32.const 2))))))
              (else
                (local.set $init0 (f32x4.splat (f32.const 0)))
                (local.set $init1 (f32x4.splat (f32.const 0)))))
            ;; for each row block [m, m + 4) of the chunk
            (local.set $m (local.get $m0))
            (block $m_end (loop $m_loop
              (br_if $m_end (i32.ge_s (local.get $m) (local.get $mEnd)))
              (block $m_next
                (local.set $acc0 (local.get $init0))
                (local.set $acc1 (local.get $init1))
                (local.set $acc2 (local.get $init0))
                (local.set $acc3 (local.get $init1))
                (local.set $acc4 (local.get $init0))
                (local.set $acc5 (local.get $init1))
                (local.set $acc6 (local.get $init0))
                (local.set $acc7 (local.get $init1))
                ;; a0 .. a3 = &a[m + r, 0]; bp = &b[0, n0]
                (local.set $a0 (i32.add (local.get $a) (i32.mul (local.get $m) (local.get $rowA))))
                (local.set $a1 (i32.add (local.get $a0) (local.get $rowA)))
                (local.set $a2 (i32.add (local.get $a1) (local.get $rowA)))
                (local.set $a3 (i32.add (local.get $a2) (local.get $rowA)))
                (local.set $bp (i32.add (local.get $b) (i32.shl (local.get $n0) (i32.const 2))))
                ;; for k in [0, K): tile row r += a[m + r, k] * b[k, n0 .. n0+7]
                (local.set $k (i32.const 0))
                (block $k_end (loop $k_loop
                  (br_if $k_end (i32.ge_s (local.get $k) (local.get $rowA)))
                  (block $k_next
                    (local.set $d0 (v128.load align=4 (local.get $bp)))
                    (local.set $d1 (v128.load offset=16 align=4 (local.get $bp)))
                    (local.set $s (v128.load32_splat align=4 (i32.add (local.get $a0) (local.get $k))))
                    (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (local.get $s) (local.get $d0))))
                    (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul (local.get $s) (local.get $d1))))
                    (local.set $s (v128.load32_splat align=4 (i32.add (local.get $a1) (local.get $k))))
                    (local.set $acc2 (f32x4.add (local.get $acc2) (f32x4.mul (local.get $s) (local.get $d0))))
                    (local.set $acc3 (f32x4.add (local.get $acc3) (f32x4.mul (local.get $s) (local.get $d1))))
                    (local.set $s (v128.load32_splat align=4 (i32.add (local.get $a2) (local.get $k))))
                    (local.set $acc4 (f32x4.add (local.get $acc4) (f32x4.mul (local.get $s) (local.get $d0))))
                    (local.set $acc5 (f32x4.add (local.get $acc5) (f32x4.mul (local.get $s) (local.get $d1))))
                    (local.set $s (v128.load32_splat align=4 (i32.add (local.get $a3) (local.get $k))))
                    (local.set $acc6 (f32x4.add (local.get $acc6) (f32x4.mul (local.get $s) (local.get $d0))))
                    (local.set $acc7 (f32x4.add (local.get $acc7) (f32x4.mul (local.get $s) (local.get $d1))))
                    (local.set $bp (i32.add (local.get $bp) (local.get $rowB))))
                  (local.set $k (i32.add (local.get $k) (i32.const 4)))
                  (br $k_loop)))
                ;; store the tile: cp = &c[m + r, n0]
                (local.set $cp (i32.add (i32.add (local.get $c) (i32.mul (local.get $m) (local.get $rowB)))
                  (i32.shl (local.get $n0) (i32.const 2))))
                (v128.store align=4 (local.get $cp) (local.get $acc0))
                (v128.store offset=16 align=4 (local.get $cp) (local.get $acc1))
                (local.set $cp (i32.add (local.get $cp) (local.get $rowB)))
                (v128.store align=4 (local.get $cp) (local.get $acc2))
                (v128.store offset=16 align=4 (local.get $cp) (local.get $acc3))
                (local.set $cp (i32.add (local.get $cp) (local.get $rowB)))
                (v128.store align=4 (local.get $cp) (local.get $acc4))
                (v128.store offset=16 align=4 (local.get $cp) (local.get $acc5))
                (local.set $cp (i32.add (local.get $cp) (local.get $rowB)))
                (v128.store align=4 (local.get $cp) (local.get $acc6))
                (v128.store offset=16 align=4 (local.get $cp) (local.get $acc7)))
              (local.set $m (i32.add (local.get $m) (i32.const 4)))
              (br $m_loop))))
          (local.set $n0 (i32.add (local.get $n0) (i32.const 8)))
          (br $n0_loop))))
      (local.set $m0 (i32.add (local.get $m0) (local.get $chunk)))
      (br $m0_loop)))
    (call $matMulEdge (local.get $a) (local.get $b) (local.get $bias) (local.get $hasBias) (local.get $c)
      (i32.const 0) (local.get $M4) (local.get $N8) (local.get $N) (local.get $K) (local.get $N))
    (call $matMulEdge (local.get $a) (local.get $b) (local.get $bias) (local.get $hasBias) (local.get $c)
      (local.get $M4) (local.get $M) (i32.const 0) (local.get $N) (local.get $K) (local.get $N)))

  ;; $matMul on rows [m0, m1) and columns [n0, n1) only, one row at a time: 4 columns per step,
  ;; then 1. For the edges the 4 x 8 tiles leave (and the narrow products of squeeze-excite).
  (func $matMulEdge
    (param $a i32) (param $b i32) (param $bias i32) (param $hasBias i32) (param $c i32)
    (param $m0 i32) (param $m1 i32) (param $n0 i32) (param $n1 i32) (param $K i32) (param $N i32)
    (local $m i32) (local $n i32) (local $k i32) (local $rowA i32) (local $rowB i32) (local $ap i32) (local $bp i32)
    (local $end4 i32) (local $acc v128) (local $sum f32)
    (local.set $rowA (i32.shl (local.get $K) (i32.const 2)))
    (local.set $rowB (i32.shl (local.get $N) (i32.const 2)))
    (local.set $end4 (i32.add (local.get $n0) (i32.and (i32.sub (local.get $n1) (local.get $n0)) (i32.const -4))))
    (local.set $m (local.get $m0))
    (block $m_end (loop $m_loop
      (br_if $m_end (i32.ge_s (local.get $m) (local.get $m1)))
      (block $m_next
        (local.set $ap (i32.add (local.get $a) (i32.mul (local.get $m) (local.get $rowA))))
        ;; for n in [n0, end4), 4 columns at a time
        (local.set $n (local.get $n0))
        (block $n4_end (loop $n4_loop
          (br_if $n4_end (i32.ge_s (local.get $n) (local.get $end4)))
          (block $n4_next
            (local.set $acc (if (result v128) (local.get $hasBias)
              (then (v128.load align=4 (i32.add (local.get $bias) (i32.shl (local.get $n) (i32.const 2)))))
              (else (f32x4.splat (f32.const 0)))))
            (local.set $bp (i32.add (local.get $b) (i32.shl (local.get $n) (i32.const 2))))
            (local.set $k (i32.const 0))
            (block $k_end (loop $k_loop
              (br_if $k_end (i32.ge_s (local.get $k) (local.get $rowA)))
              (block $k_next
                (local.set $acc (f32x4.add (local.get $acc)
                  (f32x4.mul (v128.load32_splat align=4 (i32.add (local.get $ap) (local.get $k)))
                    (v128.load align=4 (local.get $bp)))))
                (local.set $bp (i32.add (local.get $bp) (local.get $rowB))))
              (local.set $k (i32.add (local.get $k) (i32.const 4)))
              (br $k_loop)))
            (v128.store align=4
              (i32.add (i32.add (local.get $c) (i32.mul (local.get $m) (local.get $rowB))) (i32.shl (local.get $n) (i32.const 2)))
              (local.get $acc)))
          (local.set $n (i32.add (local.get $n) (i32.const 4)))
          (br $n4_loop)))
        ;; for n in [end4, n1), one column at a time
        (local.set $n (local.get $end4))
        (block $n1_end (loop $n1_loop
          (br_if $n1_end (i32.ge_s (local.get $n) (local.get $n1)))
          (block $n1_next
            (local.set $sum (if (result f32) (local.get $hasBias)
              (then (f32.load (i32.add (local.get $bias) (i32.shl (local.get $n) (i32.const 2)))))
              (else (f32.const 0))))
            (local.set $bp (i32.add (local.get $b) (i32.shl (local.get $n) (i32.const 2))))
            (local.set $k (i32.const 0))
            (block $k1_end (loop $k1_loop
              (br_if $k1_end (i32.ge_s (local.get $k) (local.get $rowA)))
              (block $k1_next
                (local.set $sum (f32.add (local.get $sum)
                  (f32.mul (f32.load (i32.add (local.get $ap) (local.get $k))) (f32.load (local.get $bp)))))
                (local.set $bp (i32.add (local.get $bp) (local.get $rowB))))
              (local.set $k (i32.add (local.get $k) (i32.const 4)))
              (br $k1_loop)))
            (f32.store
              (i32.add (i32.add (local.get $c) (i32.mul (local.get $m) (local.get $rowB))) (i32.shl (local.get $n) (i32.const 2)))
              (local.get $sum)))
          (local.set $n (i32.add (local.get $n) (i32.const 1)))
          (br $n1_loop))))
      (local.set $m (i32.add (local.get $m) (i32.const 1)))
      (br $m_loop))))

  ;; out[C, R] = in[R, C]: the transposed filter that a 1x1 convolution's input gradient
  ;; multiplies by (wasm's Transpose walks an index per element). 4 x 4 blocks go through four
  ;; vector loads, eight shuffles and four vector stores; the rows past R4 and columns past C4
  ;; (R and C rounded down to 4) one element at a time.
  (func $transpose (export "transpose")
    (param $in i32) (param $out i32) (param $R i32) (param $C i32)
    (local $R4 i32) (local $C4 i32) (local $r i32) (local $c i32) (local $rowIn i32) (local $rowOut i32)
    (local $src i32) (local $dst i32)
    (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128) (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $R4 (i32.and (local.get $R) (i32.const -4)))
    (local.set $C4 (i32.and (local.get $C) (i32.const -4)))
    (local.set $rowIn (i32.shl (local.get $C) (i32.const 2)))
    (local.set $rowOut (i32.shl (local.get $R) (i32.const 2)))
    ;; for each 4 x 4 block (r, c)
    (local.set $r (i32.const 0))
    (block $r_end (loop $r_loop
      (br_if $r_end (i32.ge_s (local.get $r) (local.get $R4)))
      (block $r_next
        (local.set $c (i32.const 0))
        (block $c_end (loop $c_loop
          (br_if $c_end (i32.ge_s (local.get $c) (local.get $C4)))
          (block $c_next
            ;; src = &in[r, c]; x0 .. x3 = rows r .. r+3, columns c .. c+3
            (local.set $src (i32.add (i32.add (local.get $in) (i32.mul (local.get $r) (local.get $rowIn))) (i32.shl (local.get $c) (i32.const 2))))
            (local.set $x0 (v128.load align=4 (local.get $src)))
            (local.set $x1 (v128.load align=4 (i32.add (local.get $src) (local.get $rowIn))))
            (local.set $x2 (v128.load align=4 (i32.add (local.get $src) (i32.shl (local.get $rowIn) (i32.const 1)))))
            (local.set $x3 (v128.load align=4 (i32.add (local.get $src) (i32.mul (local.get $rowIn) (i32.const 3)))))
            ;; t0 = x0[0] x1[0] x0[1] x1[1], t1 = x0[2] x1[2] x0[3] x1[3], t2 and t3 the same of x2, x3
            (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $x0) (local.get $x1)))
            (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $x0) (local.get $x1)))
            (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $x2) (local.get $x3)))
            (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $x2) (local.get $x3)))
            ;; dst = &out[c, r]; out row c+k = column k of the block
            (local.set $dst (i32.add (i32.add (local.get $out) (i32.mul (local.get $c) (local.get $rowOut))) (i32.shl (local.get $r) (i32.const 2))))
            (v128.store align=4 (local.get $dst) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
            (v128.store align=4 (i32.add (local.get $dst) (local.get $rowOut))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
            (v128.store align=4 (i32.add (local.get $dst) (i32.shl (local.get $rowOut) (i32.const 1)))
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
            (v128.store align=4 (i32.add (local.get $dst) (i32.mul (local.get $rowOut) (i32.const 3)))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3))))
          (local.set $c (i32.add (local.get $c) (i32.const 4)))
          (br $c_loop))))
      (local.set $r (i32.add (local.get $r) (i32.const 4)))
      (br $r_loop)))
    ;; columns [C4, C) of rows [0, R4), then every column of rows [R4, R)
    (local.set $r (i32.const 0))
    (block $er_end (loop $er_loop
      (br_if $er_end (i32.ge_s (local.get $r) (local.get $R)))
      (block $er_next
        (local.set $c (if (result i32) (i32.lt_s (local.get $r) (local.get $R4)) (then (local.get $C4)) (else (i32.const 0))))
        (block $ec_end (loop $ec_loop
          (br_if $ec_end (i32.ge_s (local.get $c) (local.get $C)))
          (block $ec_next
            (f32.store
              (i32.add (i32.add (local.get $out) (i32.mul (local.get $c) (local.get $rowOut))) (i32.shl (local.get $r) (i32.const 2)))
              (f32.load (i32.add (i32.add (local.get $in) (i32.mul (local.get $r) (local.get $rowIn))) (i32.shl (local.get $c) (i32.const 2))))))
          (local.set $c (i32.add (local.get $c) (i32.const 1)))
          (br $ec_loop))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $er_loop))))

  ;; ---------------------------------------------------------------------------------------------
  ;; Convolution gradients. tfjs 4.22's wasm backend has no depthwise gradients; the
  ;; XNNPACK-based versions in wasm-gradients.ts need copies and a fresh XNNPACK operator per call,
  ;; and wasm's own Conv2DBackpropInput is a scalar loop.
  ;; ---------------------------------------------------------------------------------------------

  ;; dW[ty,tx,c] = sum over b,oy,ox of x[b, oy*sh+ty-padTop, ox*sw+tx-padLeft, c] * dy[b,oy,ox,c]
  ;; (taps outside x contribute zero): the filter gradient [kh,kw,C,1] of a depthwise convolution
  ;; of x [B,H,W,C] with dy [B,oh,ow,C]. Runs over blocks of channels (blockBytes, a multiple of
  ;; 64) small enough that the block's kh*kw accumulator rows stay in L1; within a block, each dy
  ;; row meets the kh*kw x rows it touched, 16 (then 4, then 1) channels per step.
  (func $depthwiseFilterGradient (export "depthwiseFilterGradient")
    (param $x i32) (param $dy i32) (param $out i32)
    (param $batch i32) (param $inH i32) (param $inW i32) (param $channels i32) (param $outH i32) (param $outW i32)
    (param $kh i32) (param $kw i32) (param $sh i32) (param $sw i32) (param $padTop i32) (param $padLeft i32)
    (param $blockBytes i32)
    (local $b i32) (local $oy i32) (local $ox i32) (local $ty i32) (local $tx i32) (local $iy i32) (local $ix i32)
    (local $ch i32) (local $dyRow i32) (local $xRow i32) (local $accRow i32) (local $rowBytes i32)
    (local $end16 i32) (local $end4 i32) (local $i i32) (local $block i32) (local $blockEnd i32)
    (local.set $rowBytes (i32.shl (local.get $channels) (i32.const 2)))
    ;; out = 0
    (local.set $i (i32.const 0))
    (block $zero_end (loop $zero_loop
      (br_if $zero_end (i32.ge_s (local.get $i) (i32.mul (i32.mul (local.get $kh) (local.get $kw)) (local.get $rowBytes))))
      (block $zero_next
        (f32.store (i32.add (local.get $out) (local.get $i)) (f32.const 0)))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $zero_loop)))
    ;; for each block of channels [block, blockEnd), in bytes
    (local.set $block (i32.const 0))
    (block $block_end (loop $block_loop
      (br_if $block_end (i32.ge_s (local.get $block) (local.get $rowBytes)))
      (block $block_next
        ;; blockEnd = min(block + blockBytes, rowBytes); end16, end4: ends of the 16- and 4-channel steps
        (local.set $blockEnd (i32.add (local.get $block) (local.get $blockBytes)))
        (if (i32.ge_s (local.get $blockEnd) (local.get $rowBytes))
          (then (local.set $blockEnd (local.get $rowBytes))))
        (local.set $end16 (i32.add (i32.and (i32.sub (local.get $blockEnd) (local.get $block)) (i32.const -64)) (local.get $block)))
        (local.set $end4 (i32.add (i32.and (i32.sub (local.get $blockEnd) (local.get $block)) (i32.const -16)) (local.get $block)))
        ;; for every output position (b, oy, ox), dyRow = &dy[b, oy, ox, 0]
        (local.set $dyRow (local.get $dy))
        (local.set $b (i32.const 0))
        (block $b_end (loop $b_loop
          (br_if $b_end (i32.ge_s (local.get $b) (local.get $batch)))
          (block $b_next
            (local.set $oy (i32.const 0))
            (block $oy_end (loop $oy_loop
              (br_if $oy_end (i32.ge_s (local.get $oy) (local.get $outH)))
              (block $oy_next
                (local.set $ox (i32.const 0))
                (block $ox_end (loop $ox_loop
                  (br_if $ox_end (i32.ge_s (local.get $ox) (local.get $outW)))
                  (block $ox_next
                    ;; for every tap (ty, tx) that lands inside x, at (iy, ix)
                    (local.set $ty (i32.const 0))
                    (block $ty_end (loop $ty_loop
                      (br_if $ty_end (i32.ge_s (local.get $ty) (local.get $kh)))
                      (block $ty_next
                        ;; iy = oy*sh + ty - padTop; rows outside [0, inH) (negative ones too, as unsigned) skip
                        (br_if $ty_next (i32.ge_u
                          (local.tee $iy (i32.sub (i32.add (i32.mul (local.get $oy) (local.get $sh)) (local.get $ty)) (local.get $padTop)))
                          (local.get $inH)))
                        (local.set $tx (i32.const 0))
                        (block $tx_end (loop $tx_loop
                          (br_if $tx_end (i32.ge_s (local.get $tx) (local.get $kw)))
                          (block $tx_next
                            (br_if $tx_next (i32.ge_u
                              (local.tee $ix (i32.sub (i32.add (i32.mul (local.get $ox) (local.get $sw)) (local.get $tx)) (local.get $padLeft)))
                              (local.get $inW)))
                            ;; xRow = &x[b, iy, ix, 0]; accRow = &out[ty, tx, 0]
                            (local.set $xRow (i32.add (local.get $x)
                              (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $inH)) (local.get $iy)) (local.get $inW)) (local.get $ix))
                                (local.get $rowBytes))))
                            (local.set $accRow (i32.add (local.get $out)
                              (i32.mul (i32.add (i32.mul (local.get $ty) (local.get $kw)) (local.get $tx)) (local.get $rowBytes))))
                            ;; accRow[ch] += xRow[ch] * dyRow[ch] over the block: 16 channels per step
                            (local.set $ch (local.get $block))
                            (block $ch16_end (loop $ch16_loop
                              (br_if $ch16_end (i32.ge_s (local.get $ch) (local.get $end16)))
                              (block $ch16_next
                                (v128.store align=4 (i32.add (local.get $accRow) (local.get $ch))
                                  (f32x4.add (v128.load align=4 (i32.add (local.get $accRow) (local.get $ch)))
                                    (f32x4.mul (v128.load align=4 (i32.add (local.get $xRow) (local.get $ch)))
                                      (v128.load align=4 (i32.add (local.get $dyRow) (local.get $ch))))))
                                (v128.store offset=16 align=4 (i32.add (local.get $accRow) (local.get $ch))
                                  (f32x4.add (v128.load offset=16 align=4 (i32.add (local.get $accRow) (local.get $ch)))
                                    (f32x4.mul (v128.load offset=16 align=4 (i32.add (local.get $xRow) (local.get $ch)))
                                      (v128.load offset=16 align=4 (i32.add (local.get $dyRow) (local.get $ch))))))
                                (v128.store offset=32 align=4 (i32.add (local.get $accRow) (local.get $ch))
                                  (f32x4.add (v128.load offset=32 align=4 (i32.add (local.get $accRow) (local.get $ch)))
                                    (f32x4.mul (v128.load offset=32 align=4 (i32.add (local.get $xRow) (local.get $ch)))
                                      (v128.load offset=32 align=4 (i32.add (local.get $dyRow) (local.get $ch))))))
                                (v128.store offset=48 align=4 (i32.add (local.get $accRow) (local.get $ch))
                                  (f32x4.add (v128.load offset=48 align=4 (i32.add (local.get $accRow) (local.get $ch)))
                                    (f32x4.mul (v128.load offset=48 align=4 (i32.add (local.get $xRow) (local.get $ch)))
                                      (v128.load offset=48 align=4 (i32.add (local.get $dyRow) (local.get $ch)))))))
                              (local.set $ch (i32.add (local.get $ch) (i32.const 64)))
                              (br $ch16_loop)))
                            ;; then 4
                            (local.set $ch (local.get $end16))
                            (block $ch4_end (loop $ch4_loop
                              (br_if $ch4_end (i32.ge_s (local.get $ch) (local.get $end4)))
                              (block $ch4_next
                                (v128.store align=4 (i32.add (local.get $accRow) (local.get $ch))
                                  (f32x4.add (v128.load align=4 (i32.add (local.get $accRow) (local.get $ch)))
                                    (f32x4.mul (v128.load align=4 (i32.add (local.get $xRow) (local.get $ch)))
                                      (v128.load align=4 (i32.add (local.get $dyRow) (local.get $ch)))))))
                              (local.set $ch (i32.add (local.get $ch) (i32.const 16)))
                              (br $ch4_loop)))
                            ;; then 1
                            (local.set $ch (local.get $end4))
                            (block $ch1_end (loop $ch1_loop
                              (br_if $ch1_end (i32.ge_s (local.get $ch) (local.get $blockEnd)))
                              (block $ch1_next
                                (f32.store (i32.add (local.get $accRow) (local.get $ch))
                                  (f32.add (f32.load (i32.add (local.get $accRow) (local.get $ch)))
                                    (f32.mul (f32.load (i32.add (local.get $xRow) (local.get $ch)))
                                      (f32.load (i32.add (local.get $dyRow) (local.get $ch)))))))
                              (local.set $ch (i32.add (local.get $ch) (i32.const 4)))
                              (br $ch1_loop))))
                          (local.set $tx (i32.add (local.get $tx) (i32.const 1)))
                          (br $tx_loop))))
                      (local.set $ty (i32.add (local.get $ty) (i32.const 1)))
                      (br $ty_loop)))
                    (local.set $dyRow (i32.add (local.get $dyRow) (local.get $rowBytes))))
                  (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
                  (br $ox_loop))))
              (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
              (br $oy_loop))))
          (local.set $b (i32.add (local.get $b) (i32.const 1)))
          (br $b_loop))))
      (local.set $block (i32.add (local.get $block) (local.get $blockBytes)))
      (br $block_loop))))

  ;; dW[i,o] = sum over p of x[p,i] * dy[p,o] for x [P,ci], dy [P,co]: the filter gradient of a
  ;; 1x1 stride-1 convolution, without the transposes and weight packing a matrix product needs.
  ;; Four positions per step: each accumulator vector is loaded and stored once per four
  ;; multiply-adds; co is vectorised 8 (then 4, then 1) at a time.
  (func $pointwiseFilterGradient (export "pointwiseFilterGradient")
    (param $x i32) (param $dy i32) (param $out i32) (param $positions i32) (param $inC i32) (param $outC i32)
    (local $p i32) (local $i i32) (local $o i32) (local $xRow i32)
    (local $dy0 i32) (local $dy1 i32) (local $dy2 i32) (local $dy3 i32)
    (local $accRow i32) (local $rowX i32) (local $rowDy i32) (local $end8 i32) (local $end4 i32) (local $p4 i32) (local $k i32)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local $f0 f32) (local $f1 f32) (local $f2 f32) (local $f3 f32)
    (local.set $rowX (i32.shl (local.get $inC) (i32.const 2)))
    (local.set $rowDy (i32.shl (local.get $outC) (i32.const 2)))
    (local.set $end8 (i32.shl (i32.and (local.get $outC) (i32.const -8)) (i32.const 2)))
    (local.set $end4 (i32.shl (i32.and (local.get $outC) (i32.const -4)) (i32.const 2)))
    (local.set $p4 (i32.and (local.get $positions) (i32.const -4)))
    ;; out = 0
    (local.set $k (i32.const 0))
    (block $zero_end (loop $zero_loop
      (br_if $zero_end (i32.ge_s (local.get $k) (i32.mul (local.get $inC) (local.get $rowDy))))
      (block $zero_next
        (f32.store (i32.add (local.get $out) (local.get $k)) (f32.const 0)))
      (local.set $k (i32.add (local.get $k) (i32.const 4)))
      (br $zero_loop)))
    ;; positions p .. p+3 at a time
    (local.set $p (i32.const 0))
    (block $p_end (loop $p_loop
      (br_if $p_end (i32.ge_s (local.get $p) (local.get $p4)))
      (block $p_next
        ;; xRow = &x[p, 0]; dy0 .. dy3 = &dy[p .. p+3, 0]
        (local.set $xRow (i32.add (local.get $x) (i32.mul (local.get $p) (local.get $rowX))))
        (local.set $dy3 (i32.add
          (local.tee $dy2 (i32.add
            (local.tee $dy1 (i32.add
              (local.tee $dy0 (i32.add (local.get $dy) (i32.mul (local.get $p) (local.get $rowDy))))
              (local.get $rowDy)))
            (local.get $rowDy)))
          (local.get $rowDy)))
        (local.set $i (i32.const 0))
        (block $i_end (loop $i_loop
          (br_if $i_end (i32.ge_s (local.get $i) (local.get $inC)))
          (block $i_next
            ;; f0 .. f3 = x[p .. p+3, i], s0 .. s3 the same, splatted
            (local.set $k (i32.add (local.get $xRow) (i32.shl (local.get $i) (i32.const 2))))
            (local.set $s0 (f32x4.splat (local.tee $f0 (f32.load (local.get $k)))))
            (local.set $s1 (f32x4.splat (local.tee $f1 (f32.load (local.tee $k (i32.add (local.get $k) (local.get $rowX)))))))
            (local.set $s2 (f32x4.splat (local.tee $f2 (f32.load (local.tee $k (i32.add (local.get $k) (local.get $rowX)))))))
            (local.set $s3 (f32x4.splat (local.tee $f3 (f32.load (i32.add (local.get $k) (local.get $rowX))))))
            ;; accRow = &out[i, 0]; accRow[o] += s0*dy0[o] + s1*dy1[o] + s2*dy2[o] + s3*dy3[o]: 8 channels per step
            (local.set $accRow (i32.add (local.get $out) (i32.mul (local.get $i) (local.get $rowDy))))
            (local.set $o (i32.const 0))
            (block $o8_end (loop $o8_loop
              (br_if $o8_end (i32.ge_s (local.get $o) (local.get $end8)))
              (block $o8_next
                (v128.store align=4 (i32.add (local.get $accRow) (local.get $o))
                  (f32x4.add
                    (f32x4.add
                      (f32x4.add
                        (f32x4.add
                          (v128.load align=4 (i32.add (local.get $accRow) (local.get $o)))
                          (f32x4.mul (local.get $s0) (v128.load align=4 (i32.add (local.get $dy0) (local.get $o)))))
                        (f32x4.mul (local.get $s1) (v128.load align=4 (i32.add (local.get $dy1) (local.get $o)))))
                      (f32x4.mul (local.get $s2) (v128.load align=4 (i32.add (local.get $dy2) (local.get $o)))))
                    (f32x4.mul (local.get $s3) (v128.load align=4 (i32.add (local.get $dy3) (local.get $o))))))
                (v128.store offset=16 align=4 (i32.add (local.get $accRow) (local.get $o))
                  (f32x4.add
                    (f32x4.add
                      (f32x4.add
                        (f32x4.add
                          (v128.load offset=16 align=4 (i32.add (local.get $accRow) (local.get $o)))
                          (f32x4.mul (local.get $s0) (v128.load offset=16 align=4 (i32.add (local.get $dy0) (local.get $o)))))
                        (f32x4.mul (local.get $s1) (v128.load offset=16 align=4 (i32.add (local.get $dy1) (local.get $o)))))
                      (f32x4.mul (local.get $s2) (v128.load offset=16 align=4 (i32.add (local.get $dy2) (local.get $o)))))
                    (f32x4.mul (local.get $s3) (v128.load offset=16 align=4 (i32.add (local.get $dy3) (local.get $o)))))))
              (local.set $o (i32.add (local.get $o) (i32.const 32)))
              (br $o8_loop)))
            ;; then 4
            (local.set $o (local.get $end8))
            (block $o4_end (loop $o4_loop
              (br_if $o4_end (i32.ge_s (local.get $o) (local.get $end4)))
              (block $o4_next
                (v128.store align=4 (i32.add (local.get $accRow) (local.get $o))
                  (f32x4.add
                    (f32x4.add
                      (f32x4.add
                        (f32x4.add
                          (v128.load align=4 (i32.add (local.get $accRow) (local.get $o)))
                          (f32x4.mul (local.get $s0) (v128.load align=4 (i32.add (local.get $dy0) (local.get $o)))))
                        (f32x4.mul (local.get $s1) (v128.load align=4 (i32.add (local.get $dy1) (local.get $o)))))
                      (f32x4.mul (local.get $s2) (v128.load align=4 (i32.add (local.get $dy2) (local.get $o)))))
                    (f32x4.mul (local.get $s3) (v128.load align=4 (i32.add (local.get $dy3) (local.get $o)))))))
              (local.set $o (i32.add (local.get $o) (i32.const 16)))
              (br $o4_loop)))
            ;; then 1
            (local.set $o (local.get $end4))
            (block $o1_end (loop $o1_loop
              (br_if $o1_end (i32.ge_s (local.get $o) (local.get $rowDy)))
              (block $o1_next
                (f32.store (i32.add (local.get $accRow) (local.get $o))
                  (f32.add
                    (f32.add
                      (f32.add
                        (f32.add
                          (f32.load (i32.add (local.get $accRow) (local.get $o)))
                          (f32.mul (local.get $f0) (f32.load (i32.add (local.get $dy0) (local.get $o)))))
                        (f32.mul (local.get $f1) (f32.load (i32.add (local.get $dy1) (local.get $o)))))
                      (f32.mul (local.get $f2) (f32.load (i32.add (local.get $dy2) (local.get $o)))))
                    (f32.mul (local.get $f3) (f32.load (i32.add (local.get $dy3) (local.get $o)))))))
              (local.set $o (i32.add (local.get $o) (i32.const 4)))
              (br $o1_loop))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $i_loop))))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br $p_loop)))
    ;; the last positions % 4, one at a time
    (local.set $p (local.get $p4))
    (block $tail_end (loop $tail_loop
      (br_if $tail_end (i32.ge_s (local.get $p) (local.get $positions)))
      (block $tail_next
        (local.set $xRow (i32.add (local.get $x) (i32.mul (local.get $p) (local.get $rowX))))
        (local.set $dy0 (i32.add (local.get $dy) (i32.mul (local.get $p) (local.get $rowDy))))
        (local.set $i (i32.const 0))
        (block $i_end (loop $i_loop
          (br_if $i_end (i32.ge_s (local.get $i) (local.get $inC)))
          (block $i_next
            (local.set $s0 (f32x4.splat (local.tee $f0 (f32.load (i32.add (local.get $xRow) (i32.shl (local.get $i) (i32.const 2)))))))
            (local.set $accRow (i32.add (local.get $out) (i32.mul (local.get $i) (local.get $rowDy))))
            ;; accRow[o] += s0 * dy0[o]: 4 channels per step, then 1
            (local.set $o (i32.const 0))
            (block $o4_end (loop $o4_loop
              (br_if $o4_end (i32.ge_s (local.get $o) (local.get $end4)))
              (block $o4_next
                (v128.store align=4 (i32.add (local.get $accRow) (local.get $o))
                  (f32x4.add (v128.load align=4 (i32.add (local.get $accRow) (local.get $o)))
                    (f32x4.mul (local.get $s0) (v128.load align=4 (i32.add (local.get $dy0) (local.get $o)))))))
              (local.set $o (i32.add (local.get $o) (i32.const 16)))
              (br $o4_loop)))
            (local.set $o (local.get $end4))
            (block $o1_end (loop $o1_loop
              (br_if $o1_end (i32.ge_s (local.get $o) (local.get $rowDy)))
              (block $o1_next
                (f32.store (i32.add (local.get $accRow) (local.get $o))
                  (f32.add (f32.load (i32.add (local.get $accRow) (local.get $o)))
                    (f32.mul (local.get $f0) (f32.load (i32.add (local.get $dy0) (local.get $o)))))))
              (local.set $o (i32.add (local.get $o) (i32.const 4)))
              (br $o1_loop))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $i_loop))))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $tail_loop))))

  ;; pointwiseFilterGradient for ci % 4 == 0 and co % 8 == 0, register-blocked like a GEMM: a
  ;; 4 x 8 tile of dW (rows i0 .. i0+3, columns o0 .. o0+7) stays in eight vector locals while the
  ;; positions stream by, in chunks of `chunk` positions whose x and dy rows stay in L2 across
  ;; the tiles. acc{2r}, acc{2r+1}: row i0+r of the tile, columns o0 .. o0+3 and o0+4 .. o0+7.
  (func $pointwiseFilterGradientTiled (export "pointwiseFilterGradientTiled")
    (param $x i32) (param $dy i32) (param $out i32) (param $positions i32) (param $inC i32) (param $outC i32)
    (param $chunk i32)
    (local $p0 i32) (local $pEnd i32) (local $i0 i32) (local $o0 i32) (local $p i32) (local $xp i32) (local $dp i32)
    (local $rowX i32) (local $rowDy i32) (local $accPtr i32) (local $k i32)
    (local $acc0 v128) (local $acc1 v128) (local $acc2 v128) (local $acc3 v128)
    (local $acc4 v128) (local $acc5 v128) (local $acc6 v128) (local $acc7 v128)
    (local $s v128) (local $d0 v128) (local $d1 v128)
    (local.set $rowX (i32.shl (local.get $inC) (i32.const 2)))
    (local.set $rowDy (i32.shl (local.get $outC) (i32.const 2)))
    ;; out = 0
    (local.set $k (i32.const 0))
    (block $zero_end (loop $zero_loop
      (br_if $zero_end (i32.ge_s (local.get $k) (i32.mul (local.get $inC) (local.get $rowDy))))
      (block $zero_next
        (f32.store (i32.add (local.get $out) (local.get $k)) (f32.const 0)))
      (local.set $k (i32.add (local.get $k) (i32.const 4)))
      (br $zero_loop)))
    ;; for each chunk of positions [p0, pEnd)
    (local.set $p0 (i32.const 0))
    (block $p0_end (loop $p0_loop
      (br_if $p0_end (i32.ge_s (local.get $p0) (local.get $positions)))
      (block $p0_next
        (local.set $pEnd (i32.add (local.get $p0) (local.get $chunk)))
        (if (i32.ge_s (local.get $pEnd) (local.get $positions))
          (then (local.set $pEnd (local.get $positions))))
        ;; for each 4 x 8 tile (i0, o0)
        (local.set $i0 (i32.const 0))
        (block $i0_end (loop $i0_loop
          (br_if $i0_end (i32.ge_s (local.get $i0) (local.get $inC)))
          (block $i0_next
            (local.set $o0 (i32.const 0))
            (block $o0_end (loop $o0_loop
              (br_if $o0_end (i32.ge_s (local.get $o0) (local.get $outC)))
              (block $o0_next
                ;; load the tile: accPtr = &out[i0 + r, o0]
                (local.set $accPtr (i32.add (i32.add (local.get $out) (i32.mul (i32.add (local.get $i0) (i32.const 0)) (local.get $rowDy)))
                  (i32.shl (local.get $o0) (i32.const 2))))
                (local.set $acc0 (v128.load align=4 (local.get $accPtr)))
                (local.set $acc1 (v128.load offset=16 align=4 (local.get $accPtr)))
                (local.set $accPtr (i32.add (i32.add (local.get $out) (i32.mul (i32.add (local.get $i0) (i32.const 1)) (local.get $rowDy)))
                  (i32.shl (local.get $o0) (i32.const 2))))
                (local.set $acc2 (v128.load align=4 (local.get $accPtr)))
                (local.set $acc3 (v128.load offset=16 align=4 (local.get $accPtr)))
                (local.set $accPtr (i32.add (i32.add (local.get $out) (i32.mul (i32.add (local.get $i0) (i32.const 2)) (local.get $rowDy)))
                  (i32.shl (local.get $o0) (i32.const 2))))
                (local.set $acc4 (v128.load align=4 (local.get $accPtr)))
                (local.set $acc5 (v128.load offset=16 align=4 (local.get $accPtr)))
                (local.set $accPtr (i32.add (i32.add (local.get $out) (i32.mul (i32.add (local.get $i0) (i32.const 3)) (local.get $rowDy)))
                  (i32.shl (local.get $o0) (i32.const 2))))
                (local.set $acc6 (v128.load align=4 (local.get $accPtr)))
                (local.set $acc7 (v128.load offset=16 align=4 (local.get $accPtr)))
                ;; xp = &x[p0, i0]; dp = &dy[p0, o0]
                (local.set $xp (i32.add (i32.add (local.get $x) (i32.mul (local.get $p0) (local.get $rowX)))
                  (i32.shl (local.get $i0) (i32.const 2))))
                (local.set $dp (i32.add (i32.add (local.get $dy) (i32.mul (local.get $p0) (local.get $rowDy)))
                  (i32.shl (local.get $o0) (i32.const 2))))
                ;; for p in [p0, pEnd): tile row r += x[p, i0+r] * dy[p, o0 .. o0+7]
                (local.set $p (local.get $p0))
                (block $p_end (loop $p_loop
                  (br_if $p_end (i32.ge_s (local.get $p) (local.get $pEnd)))
                  (block $p_next
                    (local.set $d0 (v128.load align=4 (local.get $dp)))
                    (local.set $d1 (v128.load offset=16 align=4 (local.get $dp)))
                    (local.set $s (f32x4.splat (f32.load (local.get $xp))))
                    (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (local.get $s) (local.get $d0))))
                    (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul (local.get $s) (local.get $d1))))
                    (local.set $s (f32x4.splat (f32.load offset=4 (local.get $xp))))
                    (local.set $acc2 (f32x4.add (local.get $acc2) (f32x4.mul (local.get $s) (local.get $d0))))
                    (local.set $acc3 (f32x4.add (local.get $acc3) (f32x4.mul (local.get $s) (local.get $d1))))
                    (local.set $s (f32x4.splat (f32.load offset=8 (local.get $xp))))
                    (local.set $acc4 (f32x4.add (local.get $acc4) (f32x4.mul (local.get $s) (local.get $d0))))
                    (local.set $acc5 (f32x4.add (local.get $acc5) (f32x4.mul (local.get $s) (local.get $d1))))
                    (local.set $s (f32x4.splat (f32.load offset=12 (local.get $xp))))
                    (local.set $acc6 (f32x4.add (local.get $acc6) (f32x4.mul (local.get $s) (local.get $d0))))
                    (local.set $acc7 (f32x4.add (local.get $acc7) (f32x4.mul (local.get $s) (local.get $d1))))
                    (local.set $xp (i32.add (local.get $xp) (local.get $rowX)))
                    (local.set $dp (i32.add (local.get $dp) (local.get $rowDy))))
                  (local.set $p (i32.add (local.get $p) (i32.const 1)))
                  (br $p_loop)))
                ;; store the tile
                (local.set $accPtr (i32.add (i32.add (local.get $out) (i32.mul (i32.add (local.get $i0) (i32.const 0)) (local.get $rowDy)))
                  (i32.shl (local.get $o0) (i32.const 2))))
                (v128.store align=4 (local.get $accPtr) (local.get $acc0))
                (v128.store offset=16 align=4 (local.get $accPtr) (local.get $acc1))
                (local.set $accPtr (i32.add (i32.add (local.get $out) (i32.mul (i32.add (local.get $i0) (i32.const 1)) (local.get $rowDy)))
                  (i32.shl (local.get $o0) (i32.const 2))))
                (v128.store align=4 (local.get $accPtr) (local.get $acc2))
                (v128.store offset=16 align=4 (local.get $accPtr) (local.get $acc3))
                (local.set $accPtr (i32.add (i32.add (local.get $out) (i32.mul (i32.add (local.get $i0) (i32.const 2)) (local.get $rowDy)))
                  (i32.shl (local.get $o0) (i32.const 2))))
                (v128.store align=4 (local.get $accPtr) (local.get $acc4))
                (v128.store offset=16 align=4 (local.get $accPtr) (local.get $acc5))
                (local.set $accPtr (i32.add (i32.add (local.get $out) (i32.mul (i32.add (local.get $i0) (i32.const 3)) (local.get $rowDy)))
                  (i32.shl (local.get $o0) (i32.const 2))))
                (v128.store align=4 (local.get $accPtr) (local.get $acc6))
                (v128.store offset=16 align=4 (local.get $accPtr) (local.get $acc7)))
              (local.set $o0 (i32.add (local.get $o0) (i32.const 8)))
              (br $o0_loop))))
          (local.set $i0 (i32.add (local.get $i0) (i32.const 4)))
          (br $i0_loop))))
      (local.set $p0 (i32.add (local.get $p0) (local.get $chunk)))
      (br $p0_loop))))

  ;; dW[ty,tx,i,o] = sum over b,oy,ox of x[b, oy*sh+ty-padTop, ox*sw+tx-padLeft, i] * dy[b,oy,ox,o]:
  ;; the filter gradient [kh,kw,ci,co] of any NHWC convolution of x [B,H,W,ci] with dy
  ;; [B,oh,ow,co] (used for those that are not 1x1 stride 1, such as a network's stem), one
  ;; position and tap at a time, co vectorised.
  (func $convFilterGradient (export "convFilterGradient")
    (param $x i32) (param $dy i32) (param $out i32)
    (param $batch i32) (param $inH i32) (param $inW i32) (param $inC i32) (param $outH i32) (param $outW i32) (param $outC i32)
    (param $kh i32) (param $kw i32) (param $sh i32) (param $sw i32) (param $padTop i32) (param $padLeft i32)
    (local $b i32) (local $oy i32) (local $ox i32) (local $ty i32) (local $tx i32) (local $iy i32) (local $ix i32)
    (local $i i32) (local $o i32) (local $dyRow i32) (local $xRow i32) (local $accRow i32)
    (local $rowX i32) (local $rowDy i32) (local $end4 i32) (local $k i32)
    (local $s v128) (local $f f32)
    (local.set $rowX (i32.shl (local.get $inC) (i32.const 2)))
    (local.set $rowDy (i32.shl (local.get $outC) (i32.const 2)))
    (local.set $end4 (i32.shl (i32.and (local.get $outC) (i32.const -4)) (i32.const 2)))
    ;; out = 0
    (local.set $k (i32.const 0))
    (block $zero_end (loop $zero_loop
      (br_if $zero_end (i32.ge_s (local.get $k)
        (i32.mul (i32.mul (i32.mul (local.get $kh) (local.get $kw)) (local.get $inC)) (local.get $rowDy))))
      (block $zero_next
        (f32.store (i32.add (local.get $out) (local.get $k)) (f32.const 0)))
      (local.set $k (i32.add (local.get $k) (i32.const 4)))
      (br $zero_loop)))
    ;; for every output position (b, oy, ox), dyRow = &dy[b, oy, ox, 0]
    (local.set $dyRow (local.get $dy))
    (local.set $b (i32.const 0))
    (block $b_end (loop $b_loop
      (br_if $b_end (i32.ge_s (local.get $b) (local.get $batch)))
      (block $b_next
        (local.set $oy (i32.const 0))
        (block $oy_end (loop $oy_loop
          (br_if $oy_end (i32.ge_s (local.get $oy) (local.get $outH)))
          (block $oy_next
            (local.set $ox (i32.const 0))
            (block $ox_end (loop $ox_loop
              (br_if $ox_end (i32.ge_s (local.get $ox) (local.get $outW)))
              (block $ox_next
                ;; for every tap (ty, tx) that lands inside x, at (iy, ix) (as in depthwiseFilterGradient)
                (local.set $ty (i32.const 0))
                (block $ty_end (loop $ty_loop
                  (br_if $ty_end (i32.ge_s (local.get $ty) (local.get $kh)))
                  (block $ty_next
                    (br_if $ty_next (i32.ge_u
                      (local.tee $iy (i32.sub (i32.add (i32.mul (local.get $oy) (local.get $sh)) (local.get $ty)) (local.get $padTop)))
                      (local.get $inH)))
                    (local.set $tx (i32.const 0))
                    (block $tx_end (loop $tx_loop
                      (br_if $tx_end (i32.ge_s (local.get $tx) (local.get $kw)))
                      (block $tx_next
                        (br_if $tx_next (i32.ge_u
                          (local.tee $ix (i32.sub (i32.add (i32.mul (local.get $ox) (local.get $sw)) (local.get $tx)) (local.get $padLeft)))
                          (local.get $inW)))
                        ;; xRow = &x[b, iy, ix, 0]
                        (local.set $xRow (i32.add (local.get $x)
                          (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $inH)) (local.get $iy)) (local.get $inW)) (local.get $ix))
                            (local.get $rowX))))
                        (local.set $i (i32.const 0))
                        (block $i_end (loop $i_loop
                          (br_if $i_end (i32.ge_s (local.get $i) (local.get $inC)))
                          (block $i_next
                            ;; f = x[b, iy, ix, i], s the same, splatted
                            (local.set $s (f32x4.splat (local.tee $f (f32.load (i32.add (local.get $xRow) (i32.shl (local.get $i) (i32.const 2)))))))
                            ;; accRow = &out[ty, tx, i, 0] = out + ((ty*kw + tx)*inC + i)*rowDy
                            (local.set $accRow (i32.add (local.get $out)
                              (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $ty) (local.get $kw)) (local.get $tx)) (local.get $inC)) (local.get $i))
                                (local.get $rowDy))))
                            ;; accRow[o] += s * dyRow[o]: 4 channels per step, then 1
                            (local.set $o (i32.const 0))
                            (block $o4_end (loop $o4_loop
                              (br_if $o4_end (i32.ge_s (local.get $o) (local.get $end4)))
                              (block $o4_next
                                (v128.store align=4 (i32.add (local.get $accRow) (local.get $o))
                                  (f32x4.add (v128.load align=4 (i32.add (local.get $accRow) (local.get $o)))
                                    (f32x4.mul (local.get $s) (v128.load align=4 (i32.add (local.get $dyRow) (local.get $o)))))))
                              (local.set $o (i32.add (local.get $o) (i32.const 16)))
                              (br $o4_loop)))
                            (local.set $o (local.get $end4))
                            (block $o1_end (loop $o1_loop
                              (br_if $o1_end (i32.ge_s (local.get $o) (local.get $rowDy)))
                              (block $o1_next
                                (f32.store (i32.add (local.get $accRow) (local.get $o))
                                  (f32.add (f32.load (i32.add (local.get $accRow) (local.get $o)))
                                    (f32.mul (local.get $f) (f32.load (i32.add (local.get $dyRow) (local.get $o)))))))
                              (local.set $o (i32.add (local.get $o) (i32.const 4)))
                              (br $o1_loop))))
                          (local.set $i (i32.add (local.get $i) (i32.const 1)))
                          (br $i_loop))))
                      (local.set $tx (i32.add (local.get $tx) (i32.const 1)))
                      (br $tx_loop))))
                  (local.set $ty (i32.add (local.get $ty) (i32.const 1)))
                  (br $ty_loop)))
                (local.set $dyRow (i32.add (local.get $dyRow) (local.get $rowDy))))
              (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
              (br $ox_loop))))
          (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
          (br $oy_loop))))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $b_loop))))

  ;; dx[b, oy*sh+ty-padTop, ox*sw+tx-padLeft, c] += dy[b,oy,ox,c] * w[ty,tx,c] over all positions
  ;; and taps inside dx: the input gradient [B,H,W,C] of a depthwise convolution (multiplier 1)
  ;; with filter w [kh,kw,C,1], scattered from each dy row into the kh*kw dx rows it came from
  ;; (which stay in cache between neighbouring positions), 16 (then 4, then 1) channels per step.
  (func $depthwiseInputGradient (export "depthwiseInputGradient")
    (param $dy i32) (param $w i32) (param $dx i32)
    (param $batch i32) (param $inH i32) (param $inW i32) (param $channels i32) (param $outH i32) (param $outW i32)
    (param $kh i32) (param $kw i32) (param $sh i32) (param $sw i32) (param $padTop i32) (param $padLeft i32)
    (local $b i32) (local $oy i32) (local $ox i32) (local $ty i32) (local $tx i32) (local $iy i32) (local $ix i32)
    (local $ch i32) (local $dxRow i32) (local $dyRow i32) (local $wRow i32) (local $rowBytes i32)
    (local $end16 i32) (local $end4 i32) (local $i i32)
    (local.set $rowBytes (i32.shl (local.get $channels) (i32.const 2)))
    (local.set $end16 (i32.shl (i32.and (local.get $channels) (i32.const -16)) (i32.const 2)))
    (local.set $end4 (i32.shl (i32.and (local.get $channels) (i32.const -4)) (i32.const 2)))
    ;; dx = 0
    (local.set $i (i32.const 0))
    (block $zero_end (loop $zero_loop
      (br_if $zero_end (i32.ge_s (local.get $i)
        (i32.mul (i32.mul (i32.mul (local.get $batch) (local.get $inH)) (local.get $inW)) (local.get $rowBytes))))
      (block $zero_next
        (f32.store (i32.add (local.get $dx) (local.get $i)) (f32.const 0)))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $zero_loop)))
    ;; for every output position (b, oy, ox), dyRow = &dy[b, oy, ox, 0]
    (local.set $dyRow (local.get $dy))
    (local.set $b (i32.const 0))
    (block $b_end (loop $b_loop
      (br_if $b_end (i32.ge_s (local.get $b) (local.get $batch)))
      (block $b_next
        (local.set $oy (i32.const 0))
        (block $oy_end (loop $oy_loop
          (br_if $oy_end (i32.ge_s (local.get $oy) (local.get $outH)))
          (block $oy_next
            (local.set $ox (i32.const 0))
            (block $ox_end (loop $ox_loop
              (br_if $ox_end (i32.ge_s (local.get $ox) (local.get $outW)))
              (block $ox_next
                ;; for every tap (ty, tx) that lands inside dx, at (iy, ix) (as in depthwiseFilterGradient)
                (local.set $ty (i32.const 0))
                (block $ty_end (loop $ty_loop
                  (br_if $ty_end (i32.ge_s (local.get $ty) (local.get $kh)))
                  (block $ty_next
                    (br_if $ty_next (i32.ge_u
                      (local.tee $iy (i32.sub (i32.add (i32.mul (local.get $oy) (local.get $sh)) (local.get $ty)) (local.get $padTop)))
                      (local.get $inH)))
                    (local.set $tx (i32.const 0))
                    (block $tx_end (loop $tx_loop
                      (br_if $tx_end (i32.ge_s (local.get $tx) (local.get $kw)))
                      (block $tx_next
                        (br_if $tx_next (i32.ge_u
                          (local.tee $ix (i32.sub (i32.add (i32.mul (local.get $ox) (local.get $sw)) (local.get $tx)) (local.get $padLeft)))
                          (local.get $inW)))
                        ;; dxRow = &dx[b, iy, ix, 0]; wRow = &w[ty, tx, 0]
                        (local.set $dxRow (i32.add (local.get $dx)
                          (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $inH)) (local.get $iy)) (local.get $inW)) (local.get $ix))
                            (local.get $rowBytes))))
                        (local.set $wRow (i32.add (local.get $w)
                          (i32.mul (i32.add (i32.mul (local.get $ty) (local.get $kw)) (local.get $tx)) (local.get $rowBytes))))
                        ;; dxRow[ch] += wRow[ch] * dyRow[ch]: 16 channels per step
                        (local.set $ch (i32.const 0))
                        (block $ch16_end (loop $ch16_loop
                          (br_if $ch16_end (i32.ge_s (local.get $ch) (local.get $end16)))
                          (block $ch16_next
                            (v128.store align=4 (i32.add (local.get $dxRow) (local.get $ch))
                              (f32x4.add (v128.load align=4 (i32.add (local.get $dxRow) (local.get $ch)))
                                (f32x4.mul (v128.load align=4 (i32.add (local.get $wRow) (local.get $ch)))
                                  (v128.load align=4 (i32.add (local.get $dyRow) (local.get $ch))))))
                            (v128.store offset=16 align=4 (i32.add (local.get $dxRow) (local.get $ch))
                              (f32x4.add (v128.load offset=16 align=4 (i32.add (local.get $dxRow) (local.get $ch)))
                                (f32x4.mul (v128.load offset=16 align=4 (i32.add (local.get $wRow) (local.get $ch)))
                                  (v128.load offset=16 align=4 (i32.add (local.get $dyRow) (local.get $ch))))))
                            (v128.store offset=32 align=4 (i32.add (local.get $dxRow) (local.get $ch))
                              (f32x4.add (v128.load offset=32 align=4 (i32.add (local.get $dxRow) (local.get $ch)))
                                (f32x4.mul (v128.load offset=32 align=4 (i32.add (local.get $wRow) (local.get $ch)))
                                  (v128.load offset=32 align=4 (i32.add (local.get $dyRow) (local.get $ch))))))
                            (v128.store offset=48 align=4 (i32.add (local.get $dxRow) (local.get $ch))
                              (f32x4.add (v128.load offset=48 align=4 (i32.add (local.get $dxRow) (local.get $ch)))
                                (f32x4.mul (v128.load offset=48 align=4 (i32.add (local.get $wRow) (local.get $ch)))
                                  (v128.load offset=48 align=4 (i32.add (local.get $dyRow) (local.get $ch)))))))
                          (local.set $ch (i32.add (local.get $ch) (i32.const 64)))
                          (br $ch16_loop)))
                        ;; then 4
                        (local.set $ch (local.get $end16))
                        (block $ch4_end (loop $ch4_loop
                          (br_if $ch4_end (i32.ge_s (local.get $ch) (local.get $end4)))
                          (block $ch4_next
                            (v128.store align=4 (i32.add (local.get $dxRow) (local.get $ch))
                              (f32x4.add (v128.load align=4 (i32.add (local.get $dxRow) (local.get $ch)))
                                (f32x4.mul (v128.load align=4 (i32.add (local.get $wRow) (local.get $ch)))
                                  (v128.load align=4 (i32.add (local.get $dyRow) (local.get $ch)))))))
                          (local.set $ch (i32.add (local.get $ch) (i32.const 16)))
                          (br $ch4_loop)))
                        ;; then 1
                        (local.set $ch (local.get $end4))
                        (block $ch1_end (loop $ch1_loop
                          (br_if $ch1_end (i32.ge_s (local.get $ch) (local.get $rowBytes)))
                          (block $ch1_next
                            (f32.store (i32.add (local.get $dxRow) (local.get $ch))
                              (f32.add (f32.load (i32.add (local.get $dxRow) (local.get $ch)))
                                (f32.mul (f32.load (i32.add (local.get $wRow) (local.get $ch)))
                                  (f32.load (i32.add (local.get $dyRow) (local.get $ch)))))))
                          (local.set $ch (i32.add (local.get $ch) (i32.const 4)))
                          (br $ch1_loop))))
                      (local.set $tx (i32.add (local.get $tx) (i32.const 1)))
                      (br $tx_loop))))
                  (local.set $ty (i32.add (local.get $ty) (i32.const 1)))
                  (br $ty_loop)))
                (local.set $dyRow (i32.add (local.get $dyRow) (local.get $rowBytes))))
              (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
              (br $ox_loop))))
          (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
          (br $oy_loop))))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $b_loop))))

  ;; dx[b,iy,ix,i] = sum over taps with iy+padTop-ty = oy*sh, ix+padLeft-tx = ox*sw and over o of
  ;; dy[b,oy,ox,o] * w[ty,tx,i,o]: the input gradient [B,H,W,ci] of any NHWC convolution with
  ;; filter w [kh,kw,ci,co] (wasm's own kernel is a scalar loop), gathered per dx row; dot
  ;; products over co vectorised 4 at a time.
  (func $convInputGradient (export "convInputGradient")
    (param $dy i32) (param $w i32) (param $dx i32)
    (param $batch i32) (param $inH i32) (param $inW i32) (param $inC i32) (param $outH i32) (param $outW i32) (param $outC i32)
    (param $kh i32) (param $kw i32) (param $sh i32) (param $sw i32) (param $padTop i32) (param $padLeft i32)
    (local $b i32) (local $iy i32) (local $ix i32) (local $ty i32) (local $tx i32) (local $t i32) (local $oy i32) (local $ox i32)
    (local $i i32) (local $o i32) (local $dxRow i32) (local $dyRow i32) (local $wRow i32)
    (local $rowX i32) (local $rowDy i32) (local $end4 i32)
    (local $acc v128) (local $sum f32)
    (local.set $rowX (i32.shl (local.get $inC) (i32.const 2)))
    (local.set $rowDy (i32.shl (local.get $outC) (i32.const 2)))
    (local.set $end4 (i32.shl (i32.and (local.get $outC) (i32.const -4)) (i32.const 2)))
    ;; for every input position (b, iy, ix), dxRow = &dx[b, iy, ix, 0]
    (local.set $dxRow (local.get $dx))
    (local.set $b (i32.const 0))
    (block $b_end (loop $b_loop
      (br_if $b_end (i32.ge_s (local.get $b) (local.get $batch)))
      (block $b_next
        (local.set $iy (i32.const 0))
        (block $iy_end (loop $iy_loop
          (br_if $iy_end (i32.ge_s (local.get $iy) (local.get $inH)))
          (block $iy_next
            (local.set $ix (i32.const 0))
            (block $ix_end (loop $ix_loop
              (br_if $ix_end (i32.ge_s (local.get $ix) (local.get $inW)))
              (block $ix_next
                ;; dxRow = 0
                (local.set $i (i32.const 0))
                (block $zero_end (loop $zero_loop
                  (br_if $zero_end (i32.ge_s (local.get $i) (local.get $rowX)))
                  (block $zero_next
                    (f32.store (i32.add (local.get $dxRow) (local.get $i)) (f32.const 0)))
                  (local.set $i (i32.add (local.get $i) (i32.const 4)))
                  (br $zero_loop)))
                ;; for every tap (ty, tx) that some output position (oy, ox) reached this one from
                (local.set $ty (i32.const 0))
                (block $ty_end (loop $ty_loop
                  (br_if $ty_end (i32.ge_s (local.get $ty) (local.get $kh)))
                  (block $ty_next
                    ;; t = iy + padTop - ty must be >= 0, a multiple of sh, and oy = t / sh < outH
                    (br_if $ty_next (i32.lt_s
                      (local.tee $t (i32.sub (i32.add (local.get $iy) (local.get $padTop)) (local.get $ty)))
                      (i32.const 0)))
                    (br_if $ty_next (i32.rem_u (local.get $t) (local.get $sh)))
                    (br_if $ty_next (i32.ge_u (local.tee $oy (i32.div_u (local.get $t) (local.get $sh))) (local.get $outH)))
                    (local.set $tx (i32.const 0))
                    (block $tx_end (loop $tx_loop
                      (br_if $tx_end (i32.ge_s (local.get $tx) (local.get $kw)))
                      (block $tx_next
                        (br_if $tx_next (i32.lt_s
                          (local.tee $t (i32.sub (i32.add (local.get $ix) (local.get $padLeft)) (local.get $tx)))
                          (i32.const 0)))
                        (br_if $tx_next (i32.rem_u (local.get $t) (local.get $sw)))
                        (br_if $tx_next (i32.ge_u (local.tee $ox (i32.div_u (local.get $t) (local.get $sw))) (local.get $outW)))
                        ;; dyRow = &dy[b, oy, ox, 0]
                        (local.set $dyRow (i32.add (local.get $dy)
                          (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $outH)) (local.get $oy)) (local.get $outW)) (local.get $ox))
                            (local.get $rowDy))))
                        (local.set $i (i32.const 0))
                        (block $i_end (loop $i_loop
                          (br_if $i_end (i32.ge_s (local.get $i) (local.get $inC)))
                          (block $i_next
                            ;; wRow = &w[ty, tx, i, 0] = w + ((ty*kw + tx)*inC + i)*rowDy
                            (local.set $wRow (i32.add (local.get $w)
                              (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $ty) (local.get $kw)) (local.get $tx)) (local.get $inC)) (local.get $i))
                                (local.get $rowDy))))
                            ;; sum = dyRow . wRow: 4 lanes, summed (lane0 + lane1) + (lane2 + lane3), then the tail
                            (local.set $acc (f32x4.splat (f32.const 0)))
                            (local.set $o (i32.const 0))
                            (block $o4_end (loop $o4_loop
                              (br_if $o4_end (i32.ge_s (local.get $o) (local.get $end4)))
                              (block $o4_next
                                (local.set $acc (f32x4.add (local.get $acc)
                                  (f32x4.mul (v128.load align=4 (i32.add (local.get $dyRow) (local.get $o)))
                                    (v128.load align=4 (i32.add (local.get $wRow) (local.get $o)))))))
                              (local.set $o (i32.add (local.get $o) (i32.const 16)))
                              (br $o4_loop)))
                            (local.set $sum (f32.add
                              (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
                              (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))
                            (local.set $o (local.get $end4))
                            (block $o1_end (loop $o1_loop
                              (br_if $o1_end (i32.ge_s (local.get $o) (local.get $rowDy)))
                              (block $o1_next
                                (local.set $sum (f32.add (local.get $sum)
                                  (f32.mul (f32.load (i32.add (local.get $dyRow) (local.get $o)))
                                    (f32.load (i32.add (local.get $wRow) (local.get $o)))))))
                              (local.set $o (i32.add (local.get $o) (i32.const 4)))
                              (br $o1_loop)))
                            ;; dxRow[i] += sum
                            (f32.store (i32.add (local.get $dxRow) (i32.shl (local.get $i) (i32.const 2)))
                              (f32.add (f32.load (i32.add (local.get $dxRow) (i32.shl (local.get $i) (i32.const 2)))) (local.get $sum))))
                          (local.set $i (i32.add (local.get $i) (i32.const 1)))
                          (br $i_loop))))
                      (local.set $tx (i32.add (local.get $tx) (i32.const 1)))
                      (br $tx_loop))))
                  (local.set $ty (i32.add (local.get $ty) (i32.const 1)))
                  (br $ty_loop)))
                (local.set $dxRow (i32.add (local.get $dxRow) (local.get $rowX))))
              (local.set $ix (i32.add (local.get $ix) (i32.const 1)))
              (br $ix_loop))))
          (local.set $iy (i32.add (local.get $iy) (i32.const 1)))
          (br $iy_loop))))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $b_loop))))

  ;; ---------------------------------------------------------------------------------------------
  ;; Per-channel kernels for batch norm and swish (fused-layers.ts), one pass each where tfjs
  ;; runs several ops. They view x as M rows of C channels ([M, C], C = its last dimension) with
  ;; per-channel [C] vectors; the last two parameters are M and C. Each row is walked 4 channels
  ;; per step to end4, then 1. rowOff = m * rowBytes is the current row's byte offset.
  ;; ---------------------------------------------------------------------------------------------

  ;; out = (x - mean) * k + beta, for batch norm's forward pass (k = gamma / sqrt(var + eps)).
  (func $normalize (export "normalize")
    (param $x i32) (param $mean i32) (param $k i32) (param $beta i32) (param $out i32) (param $rows i32) (param $channels i32)
    (local $m i32) (local $ch i32) (local $rowOff i32) (local $rowBytes i32) (local $end4 i32)
    (local.set $rowBytes (i32.shl (local.get $channels) (i32.const 2)))
    (local.set $end4 (i32.shl (i32.and (local.get $channels) (i32.const -4)) (i32.const 2)))
    (local.set $rowOff (i32.const 0))
    (local.set $m (i32.const 0))
    (block $m_end (loop $m_loop
      (br_if $m_end (i32.ge_s (local.get $m) (local.get $rows)))
      (block $m_next
        (local.set $ch (i32.const 0))
        (block $ch4_end (loop $ch4_loop
          (br_if $ch4_end (i32.ge_s (local.get $ch) (local.get $end4)))
          (block $ch4_next
            (v128.store align=4 (i32.add (i32.add (local.get $out) (local.get $rowOff)) (local.get $ch))
              (f32x4.add
                (f32x4.mul
                  (f32x4.sub
                    (v128.load align=4 (i32.add (i32.add (local.get $x) (local.get $rowOff)) (local.get $ch)))
                    (v128.load align=4 (i32.add (local.get $mean) (local.get $ch))))
                  (v128.load align=4 (i32.add (local.get $k) (local.get $ch))))
                (v128.load align=4 (i32.add (local.get $beta) (local.get $ch))))))
          (local.set $ch (i32.add (local.get $ch) (i32.const 16)))
          (br $ch4_loop)))
        (local.set $ch (local.get $end4))
        (block $ch1_end (loop $ch1_loop
          (br_if $ch1_end (i32.ge_s (local.get $ch) (local.get $rowBytes)))
          (block $ch1_next
            (f32.store (i32.add (i32.add (local.get $out) (local.get $rowOff)) (local.get $ch))
              (f32.add
                (f32.mul
                  (f32.sub
                    (f32.load (i32.add (i32.add (local.get $x) (local.get $rowOff)) (local.get $ch)))
                    (f32.load (i32.add (local.get $mean) (local.get $ch))))
                  (f32.load (i32.add (local.get $k) (local.get $ch))))
                (f32.load (i32.add (local.get $beta) (local.get $ch))))))
          (local.set $ch (i32.add (local.get $ch) (i32.const 4)))
          (br $ch1_loop)))
        (local.set $rowOff (i32.add (local.get $rowOff) (local.get $rowBytes))))
      (local.set $m (i32.add (local.get $m) (i32.const 1)))
      (br $m_loop))))

  ;; out[c] = sum over rows of (x - mean)^2, for the batch variance.
  (func $centeredSquareSums (export "centeredSquareSums")
    (param $x i32) (param $mean i32) (param $out i32) (param $rows i32) (param $channels i32)
    (local $m i32) (local $ch i32) (local $rowOff i32) (local $rowBytes i32) (local $end4 i32) (local $i i32)
    (local.set $rowBytes (i32.shl (local.get $channels) (i32.const 2)))
    (local.set $end4 (i32.shl (i32.and (local.get $channels) (i32.const -4)) (i32.const 2)))
    ;; out = 0
    (local.set $i (i32.const 0))
    (block $zero_end (loop $zero_loop
      (br_if $zero_end (i32.ge_s (local.get $i) (i32.mul (local.get $rowBytes) (i32.const 1))))
      (block $zero_next
        (f32.store (i32.add (local.get $out) (local.get $i)) (f32.const 0)))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $zero_loop)))
    (local.set $rowOff (i32.const 0))
    (local.set $m (i32.const 0))
    (block $m_end (loop $m_loop
      (br_if $m_end (i32.ge_s (local.get $m) (local.get $rows)))
      (block $m_next
        (local.set $ch (i32.const 0))
        (block $ch4_end (loop $ch4_loop
          (br_if $ch4_end (i32.ge_s (local.get $ch) (local.get $end4)))
          (block $ch4_next
            (v128.store align=4 (i32.add (i32.add (local.get $out) (local.get $ch)) (i32.mul (local.get $rowBytes) (i32.const 0)))
              (f32x4.add
                (v128.load align=4 (i32.add (i32.add (local.get $out) (local.get $ch)) (i32.mul (local.get $rowBytes) (i32.const 0))))
                (f32x4.mul
                  (f32x4.sub
                    (v128.load align=4 (i32.add (i32.add (local.get $x) (local.get $rowOff)) (local.get $ch)))
                    (v128.load align=4 (i32.add (local.get $mean) (local.get $ch))))
                  (f32x4.sub
                    (v128.load align=4 (i32.add (i32.add (local.get $x) (local.get $rowOff)) (local.get $ch)))
                    (v128.load align=4 (i32.add (local.get $mean) (local.get $ch))))))))
          (local.set $ch (i32.add (local.get $ch) (i32.const 16)))
          (br $ch4_loop)))
        (local.set $ch (local.get $end4))
        (block $ch1_end (loop $ch1_loop
          (br_if $ch1_end (i32.ge_s (local.get $ch) (local.get $rowBytes)))
          (block $ch1_next
            (f32.store (i32.add (i32.add (local.get $out) (local.get $ch)) (i32.mul (local.get $rowBytes) (i32.const 0)))
              (f32.add
                (f32.load (i32.add (i32.add (local.get $out) (local.get $ch)) (i32.mul (local.get $rowBytes) (i32.const 0))))
                (f32.mul
                  (f32.sub
                    (f32.load (i32.add (i32.add (local.get $x) (local.get $rowOff)) (local.get $ch)))
                    (f32.load (i32.add (local.get $mean) (local.get $ch))))
                  (f32.sub
                    (f32.load (i32.add (i32.add (local.get $x) (local.get $rowOff)) (local.get $ch)))
                    (f32.load (i32.add (local.get $mean) (local.get $ch))))))))
          (local.set $ch (i32.add (local.get $ch) (i32.const 4)))
          (br $ch1_loop)))
        (local.set $rowOff (i32.add (local.get $rowOff) (local.get $rowBytes))))
      (local.set $m (i32.add (local.get $m) (i32.const 1)))
      (br $m_loop))))

  ;; out [2, C]: out[0, c] = sum over rows of dy, out[1, c] = sum over rows of dy * (x - mean):
  ;; the two reductions of batch norm's backward pass, in one pass.
  (func $batchNormGradientSums (export "batchNormGradientSums")
    (param $dy i32) (param $x i32) (param $mean i32) (param $out i32) (param $rows i32) (param $channels i32)
    (local $m i32) (local $ch i32) (local $rowOff i32) (local $rowBytes i32) (local $end4 i32) (local $i i32)
    (local.set $rowBytes (i32.shl (local.get $channels) (i32.const 2)))
    (local.set $end4 (i32.shl (i32.and (local.get $channels) (i32.const -4)) (i32.const 2)))
    ;; out = 0
    (local.set $i (i32.const 0))
    (block $zero_end (loop $zero_loop
      (br_if $zero_end (i32.ge_s (local.get $i) (i32.mul (local.get $rowBytes) (i32.const 2))))
      (block $zero_next
        (f32.store (i32.add (local.get $out) (local.get $i)) (f32.const 0)))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $zero_loop)))
    (local.set $rowOff (i32.const 0))
    (local.set $m (i32.const 0))
    (block $m_end (loop $m_loop
      (br_if $m_end (i32.ge_s (local.get $m) (local.get $rows)))
      (block $m_next
        (local.set $ch (i32.const 0))
        (block $ch4_end (loop $ch4_loop
          (br_if $ch4_end (i32.ge_s (local.get $ch) (local.get $end4)))
          (block $ch4_next
            ;; out[0, ch] += dy
            (v128.store align=4 (i32.add (i32.add (local.get $out) (local.get $ch)) (i32.mul (local.get $rowBytes) (i32.const 0)))
              (f32x4.add
                (v128.load align=4 (i32.add (i32.add (local.get $out) (local.get $ch)) (i32.mul (local.get $rowBytes) (i32.const 0))))
                (v128.load align=4 (i32.add (i32.add (local.get $dy) (local.get $rowOff)) (local.get $ch)))))
            ;; out[1, ch] += dy * (x - mean)
            (v128.store align=4 (i32.add (i32.add (local.get $out) (local.get $ch)) (i32.mul (local.get $rowBytes) (i32.const 1)))
              (f32x4.add
                (v128.load align=4 (i32.add (i32.add (local.get $out) (local.get $ch)) (i32.mul (local.get $rowBytes) (i32.const 1))))
                (f32x4.mul
                  (v128.load align=4 (i32.add (i32.add (local.get $dy) (local.get $rowOff)) (local.get $ch)))
                  (f32x4.sub
                    (v128.load align=4 (i32.add (i32.add (local.get $x) (local.get $rowOff)) (local.get $ch)))
                    (v128.load align=4 (i32.add (local.get $mean) (local.get $ch))))))))
          (local.set $ch (i32.add (local.get $ch) (i32.const 16)))
          (br $ch4_loop)))
        (local.set $ch (local.get $end4))
        (block $ch1_end (loop $ch1_loop
          (br_if $ch1_end (i32.ge_s (local.get $ch) (local.get $rowBytes)))
          (block $ch1_next
            (f32.store (i32.add (i32.add (local.get $out) (local.get $ch)) (i32.mul (local.get $rowBytes) (i32.const 0)))
              (f32.add
                (f32.load (i32.add (i32.add (local.get $out) (local.get $ch)) (i32.mul (local.get $rowBytes) (i32.const 0))))
                (f32.load (i32.add (i32.add (local.get $dy) (local.get $rowOff)) (local.get $ch)))))
            (f32.store (i32.add (i32.add (local.get $out) (local.get $ch)) (i32.mul (local.get $rowBytes) (i32.const 1)))
              (f32.add
                (f32.load (i32.add (i32.add (local.get $out) (local.get $ch)) (i32.mul (local.get $rowBytes) (i32.const 1))))
                (f32.mul
                  (f32.load (i32.add (i32.add (local.get $dy) (local.get $rowOff)) (local.get $ch)))
                  (f32.sub
                    (f32.load (i32.add (i32.add (local.get $x) (local.get $rowOff)) (local.get $ch)))
                    (f32.load (i32.add (local.get $mean) (local.get $ch))))))))
          (local.set $ch (i32.add (local.get $ch) (i32.const 4)))
          (br $ch1_loop)))
        (local.set $rowOff (i32.add (local.get $rowOff) (local.get $rowBytes))))
      (local.set $m (i32.add (local.get $m) (i32.const 1)))
      (br $m_loop))))

  ;; out = (dy - (x - mean) * a - b) * k: batch norm's input gradient, with the per-channel
  ;; a, b, k that fused-layers.ts derives from batchNormGradientSums.
  (func $batchNormInputGradient (export "batchNormInputGradient")
    (param $dy i32) (param $x i32) (param $mean i32) (param $a i32) (param $b i32) (param $k i32) (param $out i32)
    (param $rows i32) (param $channels i32)
    (local $m i32) (local $ch i32) (local $rowOff i32) (local $rowBytes i32) (local $end4 i32)
    (local.set $rowBytes (i32.shl (local.get $channels) (i32.const 2)))
    (local.set $end4 (i32.shl (i32.and (local.get $channels) (i32.const -4)) (i32.const 2)))
    (local.set $rowOff (i32.const 0))
    (local.set $m (i32.const 0))
    (block $m_end (loop $m_loop
      (br_if $m_end (i32.ge_s (local.get $m) (local.get $rows)))
      (block $m_next
        (local.set $ch (i32.const 0))
        (block $ch4_end (loop $ch4_loop
          (br_if $ch4_end (i32.ge_s (local.get $ch) (local.get $end4)))
          (block $ch4_next
            (v128.store align=4 (i32.add (i32.add (local.get $out) (local.get $rowOff)) (local.get $ch))
              (f32x4.mul
                (f32x4.sub
                  (f32x4.sub
                    (v128.load align=4 (i32.add (i32.add (local.get $dy) (local.get $rowOff)) (local.get $ch)))
                    (f32x4.mul
                      (f32x4.sub
                        (v128.load align=4 (i32.add (i32.add (local.get $x) (local.get $rowOff)) (local.get $ch)))
                        (v128.load align=4 (i32.add (local.get $mean) (local.get $ch))))
                      (v128.load align=4 (i32.add (local.get $a) (local.get $ch)))))
                  (v128.load align=4 (i32.add (local.get $b) (local.get $ch))))
                (v128.load align=4 (i32.add (local.get $k) (local.get $ch))))))
          (local.set $ch (i32.add (local.get $ch) (i32.const 16)))
          (br $ch4_loop)))
        (local.set $ch (local.get $end4))
        (block $ch1_end (loop $ch1_loop
          (br_if $ch1_end (i32.ge_s (local.get $ch) (local.get $rowBytes)))
          (block $ch1_next
            (f32.store (i32.add (i32.add (local.get $out) (local.get $rowOff)) (local.get $ch))
              (f32.mul
                (f32.sub
                  (f32.sub
                    (f32.load (i32.add (i32.add (local.get $dy) (local.get $rowOff)) (local.get $ch)))
                    (f32.mul
                      (f32.sub
                        (f32.load (i32.add (i32.add (local.get $x) (local.get $rowOff)) (local.get $ch)))
                        (f32.load (i32.add (local.get $mean) (local.get $ch))))
                      (f32.load (i32.add (local.get $a) (local.get $ch)))))
                  (f32.load (i32.add (local.get $b) (local.get $ch))))
                (f32.load (i32.add (local.get $k) (local.get $ch))))))
          (local.set $ch (i32.add (local.get $ch) (i32.const 4)))
          (br $ch1_loop)))
        (local.set $rowOff (i32.add (local.get $rowOff) (local.get $rowBytes))))
      (local.set $m (i32.add (local.get $m) (i32.const 1)))
      (br $m_loop))))

  ;; out = dy * s * (1 + x - x*s): the gradient of swish, x*sigmoid(x), with s = sigmoid(x)
  ;; saved from the forward pass. Elementwise: called with rows = 1, channels = the size.
  (func $swishGradient (export "swishGradient")
    (param $dy i32) (param $x i32) (param $s i32) (param $out i32) (param $rows i32) (param $channels i32)
    (local $m i32) (local $ch i32) (local $rowOff i32) (local $rowBytes i32) (local $end4 i32)
    (local.set $rowBytes (i32.shl (local.get $channels) (i32.const 2)))
    (local.set $end4 (i32.shl (i32.and (local.get $channels) (i32.const -4)) (i32.const 2)))
    (local.set $rowOff (i32.const 0))
    (local.set $m (i32.const 0))
    (block $m_end (loop $m_loop
      (br_if $m_end (i32.ge_s (local.get $m) (local.get $rows)))
      (block $m_next
        (local.set $ch (i32.const 0))
        (block $ch4_end (loop $ch4_loop
          (br_if $ch4_end (i32.ge_s (local.get $ch) (local.get $end4)))
          (block $ch4_next
            (v128.store align=4 (i32.add (i32.add (local.get $out) (local.get $rowOff)) (local.get $ch))
              (f32x4.mul
                (f32x4.mul
                  (v128.load align=4 (i32.add (i32.add (local.get $dy) (local.get $rowOff)) (local.get $ch)))
                  (v128.load align=4 (i32.add (i32.add (local.get $s) (local.get $rowOff)) (local.get $ch))))
                (f32x4.sub
                  (f32x4.add
                    (f32x4.splat (f32.const 1))
                    (v128.load align=4 (i32.add (i32.add (local.get $x) (local.get $rowOff)) (local.get $ch))))
                  (f32x4.mul
                    (v128.load align=4 (i32.add (i32.add (local.get $x) (local.get $rowOff)) (local.get $ch)))
                    (v128.load align=4 (i32.add (i32.add (local.get $s) (local.get $rowOff)) (local.get $ch))))))))
          (local.set $ch (i32.add (local.get $ch) (i32.const 16)))
          (br $ch4_loop)))
        (local.set $ch (local.get $end4))
        (block $ch1_end (loop $ch1_loop
          (br_if $ch1_end (i32.ge_s (local.get $ch) (local.get $rowBytes)))
          (block $ch1_next
            (f32.store (i32.add (i32.add (local.get $out) (local.get $rowOff)) (local.get $ch))
              (f32.mul
                (f32.mul
                  (f32.load (i32.add (i32.add (local.get $dy) (local.get $rowOff)) (local.get $ch)))
                  (f32.load (i32.add (i32.add (local.get $s) (local.get $rowOff)) (local.get $ch))))
                (f32.sub
                  (f32.add
                    (f32.const 1)
                    (f32.load (i32.add (i32.add (local.get $x) (local.get $rowOff)) (local.get $ch))))
                  (f32.mul
                    (f32.load (i32.add (i32.add (local.get $x) (local.get $rowOff)) (local.get $ch)))
                    (f32.load (i32.add (i32.add (local.get $s) (local.get $rowOff)) (local.get $ch))))))))
          (local.set $ch (i32.add (local.get $ch) (i32.const 4)))
          (br $ch1_loop)))
        (local.set $rowOff (i32.add (local.get $rowOff) (local.get $rowBytes))))
      (local.set $m (i32.add (local.get $m) (i32.const 1)))
      (br $m_loop))))

  ;; ---------------------------------------------------------------------------------------------
  ;; Optimizer steps, one pass per variable where tfjs runs ~14 (Adam) or ~4 (momentum) ops.
  ;; Over n floats: 4 per step to end4, then 1.
  ;; ---------------------------------------------------------------------------------------------

  ;; One Adam step for one variable, as tfjs-core's AdamOptimizer computes it:
  ;;   m' = beta1*m + (1-beta1)*g,  v' = beta2*v + (1-beta2)*g^2,
  ;;   w' = w + (m'/(1-beta1^t)) / (sqrt(v'/(1-beta2^t)) + eps) * -lr
  ;; into wOut, mOut, vOut. The f32 parameters arrive precomputed; the v* locals are them, splatted.
  (func $adam (export "adam")
    (param $w i32) (param $g i32) (param $m i32) (param $v i32) (param $wOut i32) (param $mOut i32) (param $vOut i32)
    (param $n i32)
    (param $beta1 f32) (param $oneMinusBeta1 f32) (param $beta2 f32) (param $oneMinusBeta2 f32)
    (param $correction1 f32) (param $correction2 f32) (param $eps f32) (param $negLr f32)
    (local $i i32) (local $bytes i32) (local $end4 i32)
    (local $vBeta1 v128) (local $vOneMinusBeta1 v128) (local $vBeta2 v128) (local $vOneMinusBeta2 v128)
    (local $vCorrection1 v128) (local $vCorrection2 v128) (local $vEps v128) (local $vNegLr v128)
    (local $mNew v128) (local $vNew v128) (local $fm f32) (local $fv f32)
    (local.set $vBeta1 (f32x4.splat (local.get $beta1)))
    (local.set $vOneMinusBeta1 (f32x4.splat (local.get $oneMinusBeta1)))
    (local.set $vBeta2 (f32x4.splat (local.get $beta2)))
    (local.set $vOneMinusBeta2 (f32x4.splat (local.get $oneMinusBeta2)))
    (local.set $vCorrection1 (f32x4.splat (local.get $correction1)))
    (local.set $vCorrection2 (f32x4.splat (local.get $correction2)))
    (local.set $vEps (f32x4.splat (local.get $eps)))
    (local.set $vNegLr (f32x4.splat (local.get $negLr)))
    (local.set $bytes (i32.shl (local.get $n) (i32.const 2)))
    (local.set $end4 (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $i (i32.const 0))
    (block $i4_end (loop $i4_loop
      (br_if $i4_end (i32.ge_s (local.get $i) (local.get $end4)))
      (block $i4_next
        (local.set $mNew (f32x4.add
          (f32x4.mul (v128.load align=4 (i32.add (local.get $m) (local.get $i))) (local.get $vBeta1))
          (f32x4.mul (v128.load align=4 (i32.add (local.get $g) (local.get $i))) (local.get $vOneMinusBeta1))))
        (local.set $vNew (f32x4.add
          (f32x4.mul (v128.load align=4 (i32.add (local.get $v) (local.get $i))) (local.get $vBeta2))
          (f32x4.mul
            (f32x4.mul (v128.load align=4 (i32.add (local.get $g) (local.get $i))) (v128.load align=4 (i32.add (local.get $g) (local.get $i))))
            (local.get $vOneMinusBeta2))))
        (v128.store align=4 (i32.add (local.get $mOut) (local.get $i)) (local.get $mNew))
        (v128.store align=4 (i32.add (local.get $vOut) (local.get $i)) (local.get $vNew))
        (v128.store align=4 (i32.add (local.get $wOut) (local.get $i))
          (f32x4.add
            (f32x4.mul
              (f32x4.div
                (f32x4.div (local.get $mNew) (local.get $vCorrection1))
                (f32x4.add (f32x4.sqrt (f32x4.div (local.get $vNew) (local.get $vCorrection2))) (local.get $vEps)))
              (local.get $vNegLr))
            (v128.load align=4 (i32.add (local.get $w) (local.get $i))))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $i4_loop)))
    (local.set $i (local.get $end4))
    (block $i1_end (loop $i1_loop
      (br_if $i1_end (i32.ge_s (local.get $i) (local.get $bytes)))
      (block $i1_next
        (local.set $fm (f32.add
          (f32.mul (f32.load (i32.add (local.get $m) (local.get $i))) (local.get $beta1))
          (f32.mul (f32.load (i32.add (local.get $g) (local.get $i))) (local.get $oneMinusBeta1))))
        (local.set $fv (f32.add
          (f32.mul (f32.load (i32.add (local.get $v) (local.get $i))) (local.get $beta2))
          (f32.mul
            (f32.mul (f32.load (i32.add (local.get $g) (local.get $i))) (f32.load (i32.add (local.get $g) (local.get $i))))
            (local.get $oneMinusBeta2))))
        (f32.store (i32.add (local.get $mOut) (local.get $i)) (local.get $fm))
        (f32.store (i32.add (local.get $vOut) (local.get $i)) (local.get $fv))
        (f32.store (i32.add (local.get $wOut) (local.get $i))
          (f32.add
            (f32.mul
              (f32.div
                (f32.div (local.get $fm) (local.get $correction1))
                (f32.add (f32.sqrt (f32.div (local.get $fv) (local.get $correction2))) (local.get $eps)))
              (local.get $negLr))
            (f32.load (i32.add (local.get $w) (local.get $i))))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $i1_loop))))

  ;; One momentum-SGD step for one variable, as tfjs-core's MomentumOptimizer computes it:
  ;;   acc' = m*acc + g,  w' = c*acc' + w  (Nesterov: w' = c*(g + acc'*m) + w),  c = -lr,
  ;; into wOut and accOut. vm, vc: m and c, splatted.
  (func $momentum (export "momentum")
    (param $w i32) (param $g i32) (param $acc i32) (param $wOut i32) (param $accOut i32) (param $n i32)
    (param $nesterov i32) (param $m f32) (param $c f32)
    (local $i i32) (local $bytes i32) (local $end4 i32)
    (local $vm v128) (local $vc v128) (local $accNew v128) (local $facc f32)
    (local.set $vm (f32x4.splat (local.get $m)))
    (local.set $vc (f32x4.splat (local.get $c)))
    (local.set $bytes (i32.shl (local.get $n) (i32.const 2)))
    (local.set $end4 (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $i (i32.const 0))
    (block $i4_end (loop $i4_loop
      (br_if $i4_end (i32.ge_s (local.get $i) (local.get $end4)))
      (block $i4_next
        (local.set $accNew (f32x4.add
          (f32x4.mul (local.get $vm) (v128.load align=4 (i32.add (local.get $acc) (local.get $i))))
          (v128.load align=4 (i32.add (local.get $g) (local.get $i)))))
        (v128.store align=4 (i32.add (local.get $accOut) (local.get $i)) (local.get $accNew))
        ;; wOut[i] = vc * accNew + w[i], where for Nesterov accNew first becomes g + accNew*vm. The
        ;; store's address and vc are on the stack while the `if` runs (plain instructions).
        (i32.add (local.get $wOut) (local.get $i))
        (local.get $vc)
        (if (local.get $nesterov)
          (then (local.set $accNew (f32x4.add
            (v128.load align=4 (i32.add (local.get $g) (local.get $i)))
            (f32x4.mul (local.get $accNew) (local.get $vm))))))
        (local.get $accNew)
        f32x4.mul
        (v128.load align=4 (i32.add (local.get $w) (local.get $i)))
        f32x4.add
        v128.store align=4)
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $i4_loop)))
    (local.set $i (local.get $end4))
    (block $i1_end (loop $i1_loop
      (br_if $i1_end (i32.ge_s (local.get $i) (local.get $bytes)))
      (block $i1_next
        (local.set $facc (f32.add
          (f32.mul (local.get $m) (f32.load (i32.add (local.get $acc) (local.get $i))))
          (f32.load (i32.add (local.get $g) (local.get $i)))))
        (f32.store (i32.add (local.get $accOut) (local.get $i)) (local.get $facc))
        (i32.add (local.get $wOut) (local.get $i))
        (local.get $c)
        (if (local.get $nesterov)
          (then (local.set $facc (f32.add
            (f32.load (i32.add (local.get $g) (local.get $i)))
            (f32.mul (local.get $facc) (local.get $m))))))
        (local.get $facc)
        f32.mul
        (f32.load (i32.add (local.get $w) (local.get $i)))
        f32.add
        f32.store)
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $i1_loop))))
)
