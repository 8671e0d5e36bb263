;; SIMD (f64x2) kernels for the hot loops of src/linalg. Compiled to wasm-kernels.ts by
;; scripts/reference/build-wasm.mjs; cholesky.ts keeps plain-JS versions of the same arithmetic.
;; Memory is imported so each caller sizes its own.
(module
  (import "env" "memory" (memory 1))
  ;; solve4(l, v, n): forward substitution L·v_p = b_p in place for 4 right-hand sides stored
  ;; interleaved (V[k*4 + p], byte offset v), L row-major n×n at byte offset l. Two rows of L per
  ;; sweep; per right-hand side the arithmetic is exactly that of solveLowerRowsInPlace in
  ;; cholesky.ts (same operations in the same order), so results are bit-identical.
  (func (export "solve4") (param $l i32) (param $v i32) (param $n i32)
    (local $i i32) (local $li i32) (local $lj i32) (local $vi i32) (local $pi i32) (local $pj i32) (local $pv i32) (local $end i32) (local $rb i32)
    (local $a0 v128) (local $a1 v128) (local $c0 v128) (local $c1 v128) (local $x v128) (local $y v128) (local $w0 v128) (local $w1 v128)
    (local.set $rb (i32.shl (local.get $n) (i32.const 3)))
    (block $done
      (loop $rows
        (br_if $done (i32.gt_u (i32.add (local.get $i) (i32.const 2)) (local.get $n)))
        (local.set $li (i32.add (local.get $l) (i32.mul (local.get $i) (local.get $rb))))
        (local.set $lj (i32.add (local.get $li) (local.get $rb)))
        (local.set $vi (i32.add (local.get $v) (i32.shl (local.get $i) (i32.const 5))))
        (local.set $a0 (v128.load (local.get $vi)))
        (local.set $a1 (v128.load offset=16 (local.get $vi)))
        (local.set $c0 (v128.load offset=32 (local.get $vi)))
        (local.set $c1 (v128.load offset=48 (local.get $vi)))
        (local.set $pi (local.get $li))
        (local.set $pj (local.get $lj))
        (local.set $pv (local.get $v))
        (local.set $end (i32.add (local.get $li) (i32.shl (local.get $i) (i32.const 3))))
        (block $kdone
          (loop $k
            (br_if $kdone (i32.ge_u (local.get $pi) (local.get $end)))
            (local.set $x (f64x2.splat (f64.load (local.get $pi))))
            (local.set $y (f64x2.splat (f64.load (local.get $pj))))
            (local.set $w0 (v128.load (local.get $pv)))
            (local.set $w1 (v128.load offset=16 (local.get $pv)))
            (local.set $a0 (f64x2.sub (local.get $a0) (f64x2.mul (local.get $x) (local.get $w0))))
            (local.set $a1 (f64x2.sub (local.get $a1) (f64x2.mul (local.get $x) (local.get $w1))))
            (local.set $c0 (f64x2.sub (local.get $c0) (f64x2.mul (local.get $y) (local.get $w0))))
            (local.set $c1 (f64x2.sub (local.get $c1) (f64x2.mul (local.get $y) (local.get $w1))))
            (local.set $pi (i32.add (local.get $pi) (i32.const 8)))
            (local.set $pj (i32.add (local.get $pj) (i32.const 8)))
            (local.set $pv (i32.add (local.get $pv) (i32.const 32)))
            (br $k)))
        ;; a = acc · (1 / L_ii)
        (local.set $x (f64x2.splat (f64.div (f64.const 1) (f64.load (local.get $pi)))))
        (local.set $a0 (f64x2.mul (local.get $a0) (local.get $x)))
        (local.set $a1 (f64x2.mul (local.get $a1) (local.get $x)))
        (v128.store (local.get $vi) (local.get $a0))
        (v128.store offset=16 (local.get $vi) (local.get $a1))
        ;; c = (acc − L_{i+1,i}·a) · (1 / L_{i+1,i+1})
        (local.set $y (f64x2.splat (f64.load (local.get $pj))))
        (local.set $x (f64x2.splat (f64.div (f64.const 1) (f64.load offset=8 (local.get $pj)))))
        (v128.store offset=32 (local.get $vi) (f64x2.mul (f64x2.sub (local.get $c0) (f64x2.mul (local.get $y) (local.get $a0))) (local.get $x)))
        (v128.store offset=48 (local.get $vi) (f64x2.mul (f64x2.sub (local.get $c1) (f64x2.mul (local.get $y) (local.get $a1))) (local.get $x)))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $rows)))
    ;; odd n: last row
    (if (i32.lt_u (local.get $i) (local.get $n))
      (then
        (local.set $li (i32.add (local.get $l) (i32.mul (local.get $i) (local.get $rb))))
        (local.set $vi (i32.add (local.get $v) (i32.shl (local.get $i) (i32.const 5))))
        (local.set $a0 (v128.load (local.get $vi)))
        (local.set $a1 (v128.load offset=16 (local.get $vi)))
        (local.set $pi (local.get $li))
        (local.set $pv (local.get $v))
        (local.set $end (i32.add (local.get $li) (i32.shl (local.get $i) (i32.const 3))))
        (block $kdone2
          (loop $k2
            (br_if $kdone2 (i32.ge_u (local.get $pi) (local.get $end)))
            (local.set $x (f64x2.splat (f64.load (local.get $pi))))
            (local.set $a0 (f64x2.sub (local.get $a0) (f64x2.mul (local.get $x) (v128.load (local.get $pv)))))
            (local.set $a1 (f64x2.sub (local.get $a1) (f64x2.mul (local.get $x) (v128.load offset=16 (local.get $pv)))))
            (local.set $pi (i32.add (local.get $pi) (i32.const 8)))
            (local.set $pv (i32.add (local.get $pv) (i32.const 32)))
            (br $k2)))
        (local.set $x (f64x2.splat (f64.div (f64.const 1) (f64.load (local.get $pi)))))
        (v128.store (local.get $vi) (f64x2.mul (local.get $a0) (local.get $x)))
        (v128.store offset=16 (local.get $vi) (f64x2.mul (local.get $a1) (local.get $x)))))
  )

  ;; solve8(l, v, n, m): the same for 8 right-hand sides (V[k*8 + p]): half the loads of L per
  ;; multiply-add; 8 accumulators + 6 temporaries fit the 16 SIMD registers of x86-64. Only the
  ;; first m ≤ n rows are solved (L's row stride stays n): they are the first m entries of the
  ;; full solve, bit for bit, since row i reads rows < i only.
  (func (export "solve8") (param $l i32) (param $v i32) (param $n i32) (param $m i32)
    (local $i i32) (local $li i32) (local $lj i32) (local $vi i32) (local $pi i32) (local $pj i32) (local $pv i32) (local $end i32) (local $rb i32)
    (local $a0 v128) (local $c0 v128) (local $w0 v128) (local $a1 v128) (local $c1 v128) (local $w1 v128) (local $a2 v128) (local $c2 v128) (local $w2 v128) (local $a3 v128) (local $c3 v128) (local $w3 v128) (local $x v128) (local $y v128)
    (local.set $rb (i32.shl (local.get $n) (i32.const 3)))
    (block $done
      (loop $rows
        (br_if $done (i32.gt_u (i32.add (local.get $i) (i32.const 2)) (local.get $m)))
        (local.set $li (i32.add (local.get $l) (i32.mul (local.get $i) (local.get $rb))))
        (local.set $lj (i32.add (local.get $li) (local.get $rb)))
        (local.set $vi (i32.add (local.get $v) (i32.shl (local.get $i) (i32.const 6))))
        (local.set $a0 (v128.load offset=0 (local.get $vi)))
        (local.set $c0 (v128.load offset=64 (local.get $vi)))
        (local.set $a1 (v128.load offset=16 (local.get $vi)))
        (local.set $c1 (v128.load offset=80 (local.get $vi)))
        (local.set $a2 (v128.load offset=32 (local.get $vi)))
        (local.set $c2 (v128.load offset=96 (local.get $vi)))
        (local.set $a3 (v128.load offset=48 (local.get $vi)))
        (local.set $c3 (v128.load offset=112 (local.get $vi)))
        (local.set $pi (local.get $li))
        (local.set $pj (local.get $lj))
        (local.set $pv (local.get $v))
        (local.set $end (i32.add (local.get $li) (i32.shl (local.get $i) (i32.const 3))))
        (block $kdone
          (loop $k
            (br_if $kdone (i32.ge_u (local.get $pi) (local.get $end)))
            (local.set $x (f64x2.splat (f64.load (local.get $pi))))
            (local.set $y (f64x2.splat (f64.load (local.get $pj))))
            (local.set $w0 (v128.load offset=0 (local.get $pv)))
            (local.set $w1 (v128.load offset=16 (local.get $pv)))
            (local.set $w2 (v128.load offset=32 (local.get $pv)))
            (local.set $w3 (v128.load offset=48 (local.get $pv)))
            (local.set $a0 (f64x2.sub (local.get $a0) (f64x2.mul (local.get $x) (local.get $w0))))
            (local.set $c0 (f64x2.sub (local.get $c0) (f64x2.mul (local.get $y) (local.get $w0))))
            (local.set $a1 (f64x2.sub (local.get $a1) (f64x2.mul (local.get $x) (local.get $w1))))
            (local.set $c1 (f64x2.sub (local.get $c1) (f64x2.mul (local.get $y) (local.get $w1))))
            (local.set $a2 (f64x2.sub (local.get $a2) (f64x2.mul (local.get $x) (local.get $w2))))
            (local.set $c2 (f64x2.sub (local.get $c2) (f64x2.mul (local.get $y) (local.get $w2))))
            (local.set $a3 (f64x2.sub (local.get $a3) (f64x2.mul (local.get $x) (local.get $w3))))
            (local.set $c3 (f64x2.sub (local.get $c3) (f64x2.mul (local.get $y) (local.get $w3))))
            (local.set $pi (i32.add (local.get $pi) (i32.const 8)))
            (local.set $pj (i32.add (local.get $pj) (i32.const 8)))
            (local.set $pv (i32.add (local.get $pv) (i32.const 64)))
            (br $k)))
        ;; a = acc · (1 / L_ii)
        (local.set $x (f64x2.splat (f64.div (f64.const 1) (f64.load (local.get $pi)))))
        (local.set $a0 (f64x2.mul (local.get $a0) (local.get $x)))
        (v128.store offset=0 (local.get $vi) (local.get $a0))
        (local.set $a1 (f64x2.mul (local.get $a1) (local.get $x)))
        (v128.store offset=16 (local.get $vi) (local.get $a1))
        (local.set $a2 (f64x2.mul (local.get $a2) (local.get $x)))
        (v128.store offset=32 (local.get $vi) (local.get $a2))
        (local.set $a3 (f64x2.mul (local.get $a3) (local.get $x)))
        (v128.store offset=48 (local.get $vi) (local.get $a3))
        ;; c = (acc − L_{i+1,i}·a) · (1 / L_{i+1,i+1})
        (local.set $y (f64x2.splat (f64.load (local.get $pj))))
        (local.set $x (f64x2.splat (f64.div (f64.const 1) (f64.load offset=8 (local.get $pj)))))
        (v128.store offset=64 (local.get $vi) (f64x2.mul (f64x2.sub (local.get $c0) (f64x2.mul (local.get $y) (local.get $a0))) (local.get $x)))
        (v128.store offset=80 (local.get $vi) (f64x2.mul (f64x2.sub (local.get $c1) (f64x2.mul (local.get $y) (local.get $a1))) (local.get $x)))
        (v128.store offset=96 (local.get $vi) (f64x2.mul (f64x2.sub (local.get $c2) (f64x2.mul (local.get $y) (local.get $a2))) (local.get $x)))
        (v128.store offset=112 (local.get $vi) (f64x2.mul (f64x2.sub (local.get $c3) (f64x2.mul (local.get $y) (local.get $a3))) (local.get $x)))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $rows)))
    ;; odd m: last row
    (if (i32.lt_u (local.get $i) (local.get $m))
      (then
        (local.set $li (i32.add (local.get $l) (i32.mul (local.get $i) (local.get $rb))))
        (local.set $vi (i32.add (local.get $v) (i32.shl (local.get $i) (i32.const 6))))
        (local.set $a0 (v128.load offset=0 (local.get $vi)))
        (local.set $a1 (v128.load offset=16 (local.get $vi)))
        (local.set $a2 (v128.load offset=32 (local.get $vi)))
        (local.set $a3 (v128.load offset=48 (local.get $vi)))
        (local.set $pi (local.get $li))
        (local.set $pv (local.get $v))
        (local.set $end (i32.add (local.get $li) (i32.shl (local.get $i) (i32.const 3))))
        (block $kdone2
          (loop $k2
            (br_if $kdone2 (i32.ge_u (local.get $pi) (local.get $end)))
            (local.set $x (f64x2.splat (f64.load (local.get $pi))))
            (local.set $a0 (f64x2.sub (local.get $a0) (f64x2.mul (local.get $x) (v128.load offset=0 (local.get $pv)))))
            (local.set $a1 (f64x2.sub (local.get $a1) (f64x2.mul (local.get $x) (v128.load offset=16 (local.get $pv)))))
            (local.set $a2 (f64x2.sub (local.get $a2) (f64x2.mul (local.get $x) (v128.load offset=32 (local.get $pv)))))
            (local.set $a3 (f64x2.sub (local.get $a3) (f64x2.mul (local.get $x) (v128.load offset=48 (local.get $pv)))))
            (local.set $pi (i32.add (local.get $pi) (i32.const 8)))
            (local.set $pv (i32.add (local.get $pv) (i32.const 64)))
            (br $k2)))
        (local.set $x (f64x2.splat (f64.div (f64.const 1) (f64.load (local.get $pi)))))
        (v128.store offset=0 (local.get $vi) (f64x2.mul (local.get $a0) (local.get $x)))
        (v128.store offset=16 (local.get $vi) (f64x2.mul (local.get $a1) (local.get $x)))
        (v128.store offset=32 (local.get $vi) (f64x2.mul (local.get $a2) (local.get $x)))
        (v128.store offset=48 (local.get $vi) (f64x2.mul (local.get $a3) (local.get $x)))
        ))
  )

  ;; forward1(l, b, n): L·x = b in place for one right-hand side (byte offsets). Two rows of L at
  ;; a time, dot products two lanes wide (summation order differs from the JS loop: results agree
  ;; to rounding, not bit for bit).
  (func $forward1 (export "forward1") (param $l i32) (param $b i32) (param $n i32)
    (local $i i32) (local $rb i32) (local $li i32) (local $lj i32) (local $pi i32) (local $pj i32) (local $pb i32) (local $end i32)
    (local $a v128) (local $c v128) (local $w v128) (local $sa f64) (local $sc f64) (local $xa f64)
    (local.set $rb (i32.shl (local.get $n) (i32.const 3)))
    (block $done
      (loop $rows
        (br_if $done (i32.gt_u (i32.add (local.get $i) (i32.const 2)) (local.get $n)))
        (local.set $li (i32.add (local.get $l) (i32.mul (local.get $i) (local.get $rb))))
        (local.set $lj (i32.add (local.get $li) (local.get $rb)))
        (local.set $a (f64x2.splat (f64.const 0)))
        (local.set $c (f64x2.splat (f64.const 0)))
        (local.set $pi (local.get $li))
        (local.set $pj (local.get $lj))
        (local.set $pb (local.get $b))
        ;; i is even, so k runs over whole pairs 0..i-1.
        (local.set $end (i32.add (local.get $li) (i32.shl (local.get $i) (i32.const 3))))
        (block $kdone
          (loop $k
            (br_if $kdone (i32.ge_u (local.get $pi) (local.get $end)))
            (local.set $w (v128.load (local.get $pb)))
            (local.set $a (f64x2.add (local.get $a) (f64x2.mul (v128.load (local.get $pi)) (local.get $w))))
            (local.set $c (f64x2.add (local.get $c) (f64x2.mul (v128.load (local.get $pj)) (local.get $w))))
            (local.set $pi (i32.add (local.get $pi) (i32.const 16)))
            (local.set $pj (i32.add (local.get $pj) (i32.const 16)))
            (local.set $pb (i32.add (local.get $pb) (i32.const 16)))
            (br $k)))
        (local.set $sa (f64.add (f64x2.extract_lane 0 (local.get $a)) (f64x2.extract_lane 1 (local.get $a))))
        (local.set $sc (f64.add (f64x2.extract_lane 0 (local.get $c)) (f64x2.extract_lane 1 (local.get $c))))
        ;; x_i = (b_i − sa) / L_ii ; x_{i+1} = (b_{i+1} − sc − L_{i+1,i}·x_i) / L_{i+1,i+1}
        (local.set $xa (f64.div (f64.sub (f64.load (local.get $pb)) (local.get $sa)) (f64.load (local.get $pi))))
        (f64.store (local.get $pb) (local.get $xa))
        (f64.store offset=8 (local.get $pb)
          (f64.div
            (f64.sub (f64.sub (f64.load offset=8 (local.get $pb)) (local.get $sc)) (f64.mul (f64.load (local.get $pj)) (local.get $xa)))
            (f64.load offset=8 (local.get $pj))))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $rows)))
    (if (i32.lt_u (local.get $i) (local.get $n))
      (then
        (local.set $li (i32.add (local.get $l) (i32.mul (local.get $i) (local.get $rb))))
        (local.set $a (f64x2.splat (f64.const 0)))
        (local.set $pi (local.get $li))
        (local.set $pb (local.get $b))
        (local.set $end (i32.add (local.get $li) (i32.shl (local.get $i) (i32.const 3))))
        (block $kdone2
          (loop $k2
            (br_if $kdone2 (i32.ge_u (local.get $pi) (local.get $end)))
            (local.set $a (f64x2.add (local.get $a) (f64x2.mul (v128.load (local.get $pi)) (v128.load (local.get $pb)))))
            (local.set $pi (i32.add (local.get $pi) (i32.const 16)))
            (local.set $pb (i32.add (local.get $pb) (i32.const 16)))
            (br $k2)))
        (local.set $sa (f64.add (f64x2.extract_lane 0 (local.get $a)) (f64x2.extract_lane 1 (local.get $a))))
        (f64.store (local.get $pb) (f64.div (f64.sub (f64.load (local.get $pb)) (local.get $sa)) (f64.load (local.get $pi))))))
  )

  ;; backward1(l, b, n): Lᵀ·x = b in place for one right-hand side. Rows i and i−1 of L per sweep
  ;; over b[0..i−2], two lanes wide.
  (func $backward1 (export "backward1") (param $l i32) (param $b i32) (param $n i32)
    (local $i i32) (local $rb i32) (local $li i32) (local $lh i32) (local $pi i32) (local $ph i32) (local $pb i32) (local $end i32)
    (local $xi f64) (local $xh f64) (local $vi v128) (local $vh v128) (local $kk i32)
    (local.set $rb (i32.shl (local.get $n) (i32.const 3)))
    (local.set $i (i32.sub (local.get $n) (i32.const 1)))
    (block $done
      (loop $rows
        (br_if $done (i32.lt_s (local.get $i) (i32.const 1)))
        (local.set $li (i32.add (local.get $l) (i32.mul (local.get $i) (local.get $rb))))
        (local.set $lh (i32.sub (local.get $li) (local.get $rb)))
        ;; x_i = b_i / L_ii ; x_{i−1} = (b_{i−1} − L_{i,i−1}·x_i) / L_{i−1,i−1}
        (local.set $xi (f64.div
          (f64.load (i32.add (local.get $b) (i32.shl (local.get $i) (i32.const 3))))
          (f64.load (i32.add (local.get $li) (i32.shl (local.get $i) (i32.const 3))))))
        (f64.store (i32.add (local.get $b) (i32.shl (local.get $i) (i32.const 3))) (local.get $xi))
        (local.set $kk (i32.sub (local.get $i) (i32.const 1)))
        (local.set $xh (f64.div
          (f64.sub
            (f64.load (i32.add (local.get $b) (i32.shl (local.get $kk) (i32.const 3))))
            (f64.mul (f64.load (i32.add (local.get $li) (i32.shl (local.get $kk) (i32.const 3)))) (local.get $xi)))
          (f64.load (i32.add (local.get $lh) (i32.shl (local.get $kk) (i32.const 3))))))
        (f64.store (i32.add (local.get $b) (i32.shl (local.get $kk) (i32.const 3))) (local.get $xh))
        (local.set $vi (f64x2.splat (local.get $xi)))
        (local.set $vh (f64x2.splat (local.get $xh)))
        (local.set $pi (local.get $li))
        (local.set $ph (local.get $lh))
        (local.set $pb (local.get $b))
        ;; k over 0..i−2: pairs while two remain, then at most one single.
        (local.set $end (i32.add (local.get $b) (i32.shl (i32.and (local.get $kk) (i32.const -2)) (i32.const 3))))
        (block $kdone
          (loop $k
            (br_if $kdone (i32.ge_u (local.get $pb) (local.get $end)))
            (v128.store (local.get $pb)
              (f64x2.sub (v128.load (local.get $pb))
                (f64x2.add (f64x2.mul (v128.load (local.get $pi)) (local.get $vi))
                           (f64x2.mul (v128.load (local.get $ph)) (local.get $vh)))))
            (local.set $pi (i32.add (local.get $pi) (i32.const 16)))
            (local.set $ph (i32.add (local.get $ph) (i32.const 16)))
            (local.set $pb (i32.add (local.get $pb) (i32.const 16)))
            (br $k)))
        (if (i32.and (local.get $kk) (i32.const 1))
          (then
            (f64.store (local.get $pb)
              (f64.sub (f64.load (local.get $pb))
                (f64.add (f64.mul (f64.load (local.get $pi)) (local.get $xi))
                         (f64.mul (f64.load (local.get $ph)) (local.get $xh)))))))
        (local.set $i (i32.sub (local.get $i) (i32.const 2)))
        (br $rows)))
    (if (i32.eqz (local.get $i))
      (then (f64.store (local.get $b) (f64.div (f64.load (local.get $b)) (f64.load (local.get $l))))))
  )

  ;; cross8(q, x, out, n, d, s, e): Matérn-5/2 covariances of 8 query points against n training
  ;; points. q: the queries dimension-major (q + 8i + p), x: training points row-major (x + dj + i),
  ;; both scaled by the lengthscales; out + 8j + p receives s·(1 + √5·r + 5r²/3)·e^(−√5·r); e:
  ;; scratch of 8n doubles. First r² of every pair (into out), then the exponentials in one batch,
  ;; then the covariances: the arithmetic of src/gp/kernel.ts (maternValue) operation for
  ;; operation except the exponential; test/unit/gp/kernel.test.ts checks they agree.
  (func (export "cross8") (param $q i32) (param $x i32) (param $out i32) (param $n i32) (param $d i32) (param $s f64) (param $e i32)
    (local $j i32) (local $px i32) (local $pq i32) (local $qe i32) (local $po i32) (local $pe i32) (local $end i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $xv v128) (local $t v128)
    (local $sv v128) (local $r v128) (local $r2 v128)
    (local.set $px (local.get $x))
    (local.set $po (local.get $out))
    (local.set $qe (i32.add (local.get $q) (i32.shl (local.get $d) (i32.const 6))))
    (block $jd (loop $jl
      (br_if $jd (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $a0 (f64x2.splat (f64.const 0)))
      (local.set $a1 (f64x2.splat (f64.const 0)))
      (local.set $a2 (f64x2.splat (f64.const 0)))
      (local.set $a3 (f64x2.splat (f64.const 0)))
      (local.set $pq (local.get $q))
      (block $id (loop $il
        (br_if $id (i32.ge_u (local.get $pq) (local.get $qe)))
        (local.set $xv (f64x2.splat (f64.load (local.get $px))))
        (local.set $t (f64x2.sub (v128.load (local.get $pq)) (local.get $xv)))
        (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $t) (local.get $t))))
        (local.set $t (f64x2.sub (v128.load offset=16 (local.get $pq)) (local.get $xv)))
        (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (local.get $t) (local.get $t))))
        (local.set $t (f64x2.sub (v128.load offset=32 (local.get $pq)) (local.get $xv)))
        (local.set $a2 (f64x2.add (local.get $a2) (f64x2.mul (local.get $t) (local.get $t))))
        (local.set $t (f64x2.sub (v128.load offset=48 (local.get $pq)) (local.get $xv)))
        (local.set $a3 (f64x2.add (local.get $a3) (f64x2.mul (local.get $t) (local.get $t))))
        (local.set $px (i32.add (local.get $px) (i32.const 8)))
        (local.set $pq (i32.add (local.get $pq) (i32.const 64)))
        (br $il)))
      (v128.store (local.get $po) (local.get $a0))
      (v128.store offset=16 (local.get $po) (local.get $a1))
      (v128.store offset=32 (local.get $po) (local.get $a2))
      (v128.store offset=48 (local.get $po) (local.get $a3))
      (local.set $po (i32.add (local.get $po) (i32.const 64)))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $jl)))
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 6))))
    (local.set $po (local.get $out))
    (local.set $pe (local.get $e))
    (block $yd (loop $yl
      (br_if $yd (i32.ge_u (local.get $po) (local.get $end)))
      (v128.store (local.get $pe) (f64x2.mul (f64x2.splat (f64.const -2.23606797749979)) (f64x2.sqrt (v128.load (local.get $po)))))
      (local.set $po (i32.add (local.get $po) (i32.const 16)))
      (local.set $pe (i32.add (local.get $pe) (i32.const 16)))
      (br $yl)))
    (call $expInPlace (local.get $e) (local.get $pe))
    (local.set $sv (f64x2.splat (local.get $s)))
    (local.set $po (local.get $out))
    (local.set $pe (local.get $e))
    (block $kd (loop $kl
      (br_if $kd (i32.ge_u (local.get $po) (local.get $end)))
      (local.set $r2 (v128.load (local.get $po)))
      (local.set $r (f64x2.sqrt (local.get $r2)))
      (v128.store (local.get $po)
        (f64x2.mul
          (f64x2.mul (local.get $sv)
            (f64x2.add
              (f64x2.add (f64x2.splat (f64.const 1)) (f64x2.mul (f64x2.splat (f64.const 2.23606797749979)) (local.get $r)))
              (f64x2.mul (f64x2.splat (f64.const 1.6666666666666667)) (local.get $r2))))
          (v128.load (local.get $pe))))
      (local.set $po (i32.add (local.get $po) (i32.const 16)))
      (local.set $pe (i32.add (local.get $pe) (i32.const 16)))
      (br $kl))))

  ;; pairs(xt, k, k2, g, n, d, s, wantG, e): for every pair a > b of n points stored dimension-major
  ;; (xt + n·i + a, scaled by the lengthscales), k + n·a + b and k2 + n·a + b receive
  ;; s·(1 + √5·r + 5r²/3)·e^(−√5·r) (k2: a second copy, e.g. the one a Cholesky factorizes in place,
  ;; written here instead of copied afterwards; k2 = k for one copy) and, when wantG ≠ 0,
  ;; g + n·a + b receives (5/3)·s·(1 + √5·r)·e^(−√5·r) (src/gp/kernel.ts,
  ;; maternValue and maternRadialDerivative, operation for operation except the exponential). e:
  ;; scratch of 2n + 2 doubles. Row by row: r² of two values of b per lane pair (summed over i in
  ;; order, as in the JS loop), then the row's exponentials in one batch, then the covariances.
  ;; Rows a < from are skipped (a row's values do not depend on the others).
  (func (export "pairs") (param $xt i32) (param $k i32) (param $k2 i32) (param $g i32) (param $n i32) (param $d i32) (param $s f64) (param $wantG i32) (param $e i32) (param $from i32)
    (local $a i32) (local $b i32) (local $i i32) (local $rb i32) (local $pa i32) (local $pb i32)
    (local $acc v128) (local $t v128) (local $r v128) (local $ev v128) (local $sv v128) (local $gs v128) (local $one v128)
    (local $off i32) (local $ra i32) (local $r2s i32) (local $ye i32) (local $kv v128)
    (local.set $rb (i32.shl (local.get $n) (i32.const 3)))
    (local.set $sv (f64x2.splat (local.get $s)))
    (local.set $gs (f64x2.splat (f64.mul (f64.const 1.6666666666666667) (local.get $s))))
    (local.set $one (f64x2.splat (f64.const 1)))
    ;; e: exponents, then exponentials (n + 1 doubles); r2s: r² (n + 1 doubles)
    (local.set $r2s (i32.add (local.get $e) (i32.shl (i32.add (local.get $n) (i32.const 1)) (i32.const 3))))
    (local.set $a (select (local.get $from) (i32.const 1) (i32.gt_u (local.get $from) (i32.const 1))))
    (block $ad (loop $al
      (br_if $ad (i32.ge_u (local.get $a) (local.get $n)))
      (local.set $ra (i32.mul (local.get $a) (local.get $rb)))
      (local.set $b (i32.const 0))
      (block $bd (loop $bl
        (br_if $bd (i32.ge_u (local.get $b) (local.get $a)))
        ;; lanes (b, b + 1); when b + 1 = a the second lane is a wasted (a, a) pair, not stored
        (local.set $acc (f64x2.splat (f64.const 0)))
        (local.set $pa (i32.add (local.get $xt) (i32.shl (local.get $a) (i32.const 3))))
        (local.set $pb (i32.add (local.get $xt) (i32.shl (local.get $b) (i32.const 3))))
        (local.set $i (i32.const 0))
        (block $id (loop $il
          (br_if $id (i32.ge_u (local.get $i) (local.get $d)))
          (local.set $t (f64x2.sub (v128.load (local.get $pb)) (f64x2.splat (f64.load (local.get $pa)))))
          (local.set $acc (f64x2.add (local.get $acc) (f64x2.mul (local.get $t) (local.get $t))))
          (local.set $pa (i32.add (local.get $pa) (local.get $rb)))
          (local.set $pb (i32.add (local.get $pb) (local.get $rb)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $il)))
        (local.set $off (i32.shl (local.get $b) (i32.const 3)))
        (v128.store (i32.add (local.get $r2s) (local.get $off)) (local.get $acc))
        (v128.store (i32.add (local.get $e) (local.get $off))
          (f64x2.mul (f64x2.splat (f64.const -2.23606797749979)) (f64x2.sqrt (local.get $acc))))
        (local.set $b (i32.add (local.get $b) (i32.const 2)))
        (br $bl)))
      (local.set $ye (i32.add (local.get $e) (i32.shl (local.get $b) (i32.const 3))))
      (call $expInPlace (local.get $e) (local.get $ye))
      (local.set $b (i32.const 0))
      (block $cd (loop $cl
        (br_if $cd (i32.ge_u (local.get $b) (local.get $a)))
        (local.set $off (i32.shl (local.get $b) (i32.const 3)))
        (local.set $acc (v128.load (i32.add (local.get $r2s) (local.get $off))))
        (local.set $ev (v128.load (i32.add (local.get $e) (local.get $off))))
        (local.set $r (f64x2.sqrt (local.get $acc)))
        (local.set $t (f64x2.add (local.get $one) (f64x2.mul (f64x2.splat (f64.const 2.23606797749979)) (local.get $r))))
        (local.set $off (i32.add (local.get $ra) (local.get $off)))
        (if (i32.lt_u (i32.add (local.get $b) (i32.const 1)) (local.get $a))
          (then
            (local.set $kv (f64x2.mul (f64x2.mul (local.get $sv) (f64x2.add (local.get $t) (f64x2.mul (f64x2.splat (f64.const 1.6666666666666667)) (local.get $acc)))) (local.get $ev)))
            (v128.store (i32.add (local.get $k) (local.get $off)) (local.get $kv))
            (v128.store (i32.add (local.get $k2) (local.get $off)) (local.get $kv))
            (if (local.get $wantG) (then
              (v128.store (i32.add (local.get $g) (local.get $off))
                (f64x2.mul (f64x2.mul (local.get $gs) (local.get $t)) (local.get $ev))))))
          (else
            (local.set $kv (f64x2.mul (f64x2.mul (local.get $sv) (f64x2.add (local.get $t) (f64x2.mul (f64x2.splat (f64.const 1.6666666666666667)) (local.get $acc)))) (local.get $ev)))
            (f64.store (i32.add (local.get $k) (local.get $off)) (f64x2.extract_lane 0 (local.get $kv)))
            (f64.store (i32.add (local.get $k2) (local.get $off)) (f64x2.extract_lane 0 (local.get $kv)))
            (if (local.get $wantG) (then
              (f64.store (i32.add (local.get $g) (local.get $off))
                (f64x2.extract_lane 0 (f64x2.mul (f64x2.mul (local.get $gs) (local.get $t)) (local.get $ev))))))))
        (local.set $b (i32.add (local.get $b) (i32.const 2)))
        (br $cl)))
      (local.set $a (i32.add (local.get $a) (i32.const 1)))
      (br $al))))

  ;; lengthGrad(xt, c, n, d, out): out + i = Σ_{a>b} c[n·a + b]·(xt[n·i + a] − xt[n·i + b])² for
  ;; each dimension i (xt dimension-major as in pairs), two values of b per lane pair.
  (func (export "lengthGrad") (param $xt i32) (param $c i32) (param $n i32) (param $d i32) (param $out i32)
    (local $i i32) (local $a i32) (local $b i32) (local $rb i32) (local $row i32) (local $pc i32) (local $pb i32) (local $end i32)
    (local $acc v128) (local $xa v128) (local $t v128) (local $sum f64)
    (local.set $rb (i32.shl (local.get $n) (i32.const 3)))
    (block $id (loop $il
      (br_if $id (i32.ge_u (local.get $i) (local.get $d)))
      (local.set $row (i32.add (local.get $xt) (i32.mul (local.get $i) (local.get $rb))))
      (local.set $acc (f64x2.splat (f64.const 0)))
      (local.set $sum (f64.const 0))
      (local.set $a (i32.const 1))
      (block $ad (loop $al
        (br_if $ad (i32.ge_u (local.get $a) (local.get $n)))
        (local.set $xa (f64x2.splat (f64.load (i32.add (local.get $row) (i32.shl (local.get $a) (i32.const 3))))))
        (local.set $pc (i32.add (local.get $c) (i32.mul (local.get $a) (local.get $rb))))
        (local.set $pb (local.get $row))
        (local.set $end (i32.add (local.get $row) (i32.shl (i32.and (local.get $a) (i32.const -2)) (i32.const 3))))
        (block $bd (loop $bl
          (br_if $bd (i32.ge_u (local.get $pb) (local.get $end)))
          (local.set $t (f64x2.sub (local.get $xa) (v128.load (local.get $pb))))
          (local.set $acc (f64x2.add (local.get $acc) (f64x2.mul (v128.load (local.get $pc)) (f64x2.mul (local.get $t) (local.get $t)))))
          (local.set $pb (i32.add (local.get $pb) (i32.const 16)))
          (local.set $pc (i32.add (local.get $pc) (i32.const 16)))
          (br $bl)))
        (if (i32.and (local.get $a) (i32.const 1))
          (then
            (local.set $t (f64x2.sub (local.get $xa) (f64x2.splat (f64.load (local.get $pb)))))
            (local.set $sum (f64.add (local.get $sum)
              (f64.mul (f64.load (local.get $pc)) (f64x2.extract_lane 0 (f64x2.mul (local.get $t) (local.get $t))))))))
        (local.set $a (i32.add (local.get $a) (i32.const 1)))
        (br $al)))
      (f64.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 3)))
        (f64.add (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc))) (local.get $sum)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $il))))

  ;; BEGIN GENERATED by scripts/reference/gen_kernels.py

  ;; chol(a, n, shift, from) -> 1 | 0: in-place lower Cholesky of the row-major n×n matrix at
  ;; byte offset a (lower triangle read, L written there, strict upper triangle zeroed), with shift
  ;; added to the diagonal. 0 when a pivot is not finite or ≤ 1e-14 × its diagonal entry.
  ;; Four rows × two columns of L per dot-product sweep, two lanes wide. Rows below `from` (a
  ;; multiple of 4) already hold their rows of L: each row of L depends only on the rows above
  ;; it, and the blocks of four start at 0 either way, so the rows computed are the same bits as
  ;; those of a call with from = 0.
  (func (export "chol") (param $a i32) (param $n i32) (param $shift f64) (param $from i32) (result i32)
    (local $rb i32) (local $i0 i32) (local $j i32) (local $i i32) (local $r0 i32) (local $r1 i32) (local $r2 i32) (local $r3 i32)
    (local $rj i32) (local $rk i32) (local $p i32) (local $end i32) (local $ri i32) (local $jj i32)
    (local $pa i32) (local $pb i32) (local $pe i32) (local $dv v128)
    (local $x0 v128) (local $x1 v128) (local $y0 v128) (local $y1 v128) (local $y2 v128) (local $y3 v128)
    (local $s00 v128) (local $s01 v128) (local $s10 v128) (local $s11 v128) (local $s20 v128) (local $s21 v128) (local $s30 v128) (local $s31 v128)
    (local $inv f64) (local $v0 f64) (local $v1 f64) (local $v2 f64) (local $v3 f64) (local $lj f64) (local $s f64) (local $diag f64)
    (local.set $rb (i32.shl (local.get $n) (i32.const 3)))
    (local.set $i0 (local.get $from))
    (block $rowsdone (loop $rows
      (br_if $rowsdone (i32.gt_u (i32.add (local.get $i0) (i32.const 4)) (local.get $n)))
      (local.set $r0 (i32.add (local.get $a) (i32.mul (local.get $i0) (local.get $rb))))
      (local.set $r1 (i32.add (local.get $r0) (local.get $rb)))
      (local.set $r2 (i32.add (local.get $r1) (local.get $rb)))
      (local.set $r3 (i32.add (local.get $r2) (local.get $rb)))
      (local.set $j (i32.const 0))
      (block $colsdone (loop $cols
        (br_if $colsdone (i32.ge_u (local.get $j) (local.get $i0)))
        (local.set $rj (i32.add (local.get $a) (i32.mul (local.get $j) (local.get $rb))))
        (local.set $rk (i32.add (local.get $rj) (local.get $rb)))
        (local.set $s00 (f64x2.splat (f64.const 0))) (local.set $s01 (f64x2.splat (f64.const 0))) (local.set $s10 (f64x2.splat (f64.const 0))) (local.set $s11 (f64x2.splat (f64.const 0))) (local.set $s20 (f64x2.splat (f64.const 0))) (local.set $s21 (f64x2.splat (f64.const 0))) (local.set $s30 (f64x2.splat (f64.const 0))) (local.set $s31 (f64x2.splat (f64.const 0)))
        (local.set $p (i32.const 0))
        (local.set $end (i32.shl (local.get $j) (i32.const 3)))
        (block $kdone (loop $k
          (br_if $kdone (i32.ge_u (local.get $p) (local.get $end)))
          (local.set $x0 (v128.load (i32.add (local.get $rj) (local.get $p))))
          (local.set $x1 (v128.load (i32.add (local.get $rk) (local.get $p))))
          (local.set $y0 (v128.load (i32.add (local.get $r0) (local.get $p)))) (local.set $y1 (v128.load (i32.add (local.get $r1) (local.get $p)))) (local.set $y2 (v128.load (i32.add (local.get $r2) (local.get $p)))) (local.set $y3 (v128.load (i32.add (local.get $r3) (local.get $p))))
          (local.set $s00 (f64x2.add (local.get $s00) (f64x2.mul (local.get $y0) (local.get $x0)))) (local.set $s01 (f64x2.add (local.get $s01) (f64x2.mul (local.get $y0) (local.get $x1)))) (local.set $s10 (f64x2.add (local.get $s10) (f64x2.mul (local.get $y1) (local.get $x0)))) (local.set $s11 (f64x2.add (local.get $s11) (f64x2.mul (local.get $y1) (local.get $x1)))) (local.set $s20 (f64x2.add (local.get $s20) (f64x2.mul (local.get $y2) (local.get $x0)))) (local.set $s21 (f64x2.add (local.get $s21) (f64x2.mul (local.get $y2) (local.get $x1)))) (local.set $s30 (f64x2.add (local.get $s30) (f64x2.mul (local.get $y3) (local.get $x0)))) (local.set $s31 (f64x2.add (local.get $s31) (f64x2.mul (local.get $y3) (local.get $x1))))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (br $k)))
        ;; column j, then column j + 1 (which still lacks the k = j term)
        (local.set $p (i32.shl (local.get $j) (i32.const 3)))
        (local.set $inv (f64.div (f64.const 1) (f64.load (i32.add (local.get $rj) (local.get $p)))))
        (local.set $v0 (f64.mul (f64.sub (f64.load (i32.add (local.get $r0) (local.get $p))) (f64.add (f64x2.extract_lane 0 (local.get $s00)) (f64x2.extract_lane 1 (local.get $s00)))) (local.get $inv))) (local.set $v1 (f64.mul (f64.sub (f64.load (i32.add (local.get $r1) (local.get $p))) (f64.add (f64x2.extract_lane 0 (local.get $s10)) (f64x2.extract_lane 1 (local.get $s10)))) (local.get $inv))) (local.set $v2 (f64.mul (f64.sub (f64.load (i32.add (local.get $r2) (local.get $p))) (f64.add (f64x2.extract_lane 0 (local.get $s20)) (f64x2.extract_lane 1 (local.get $s20)))) (local.get $inv))) (local.set $v3 (f64.mul (f64.sub (f64.load (i32.add (local.get $r3) (local.get $p))) (f64.add (f64x2.extract_lane 0 (local.get $s30)) (f64x2.extract_lane 1 (local.get $s30)))) (local.get $inv)))
        (f64.store (i32.add (local.get $r0) (local.get $p)) (local.get $v0)) (f64.store (i32.add (local.get $r1) (local.get $p)) (local.get $v1)) (f64.store (i32.add (local.get $r2) (local.get $p)) (local.get $v2)) (f64.store (i32.add (local.get $r3) (local.get $p)) (local.get $v3))
        (local.set $lj (f64.load (i32.add (local.get $rk) (local.get $p))))
        (local.set $inv (f64.div (f64.const 1) (f64.load offset=8 (i32.add (local.get $rk) (local.get $p)))))
        (f64.store offset=8 (i32.add (local.get $r0) (local.get $p)) (f64.mul (f64.sub (f64.sub (f64.load offset=8 (i32.add (local.get $r0) (local.get $p))) (f64.add (f64x2.extract_lane 0 (local.get $s01)) (f64x2.extract_lane 1 (local.get $s01)))) (f64.mul (local.get $v0) (local.get $lj))) (local.get $inv))) (f64.store offset=8 (i32.add (local.get $r1) (local.get $p)) (f64.mul (f64.sub (f64.sub (f64.load offset=8 (i32.add (local.get $r1) (local.get $p))) (f64.add (f64x2.extract_lane 0 (local.get $s11)) (f64x2.extract_lane 1 (local.get $s11)))) (f64.mul (local.get $v1) (local.get $lj))) (local.get $inv))) (f64.store offset=8 (i32.add (local.get $r2) (local.get $p)) (f64.mul (f64.sub (f64.sub (f64.load offset=8 (i32.add (local.get $r2) (local.get $p))) (f64.add (f64x2.extract_lane 0 (local.get $s21)) (f64x2.extract_lane 1 (local.get $s21)))) (f64.mul (local.get $v2) (local.get $lj))) (local.get $inv))) (f64.store offset=8 (i32.add (local.get $r3) (local.get $p)) (f64.mul (f64.sub (f64.sub (f64.load offset=8 (i32.add (local.get $r3) (local.get $p))) (f64.add (f64x2.extract_lane 0 (local.get $s31)) (f64x2.extract_lane 1 (local.get $s31)))) (f64.mul (local.get $v3) (local.get $lj))) (local.get $inv)))
        (local.set $j (i32.add (local.get $j) (i32.const 2)))
        (br $cols)))
      ;; 4×4 diagonal block
      (local.set $i (local.get $i0))
      (block $bd (loop $bl
        (br_if $bd (i32.ge_u (local.get $i) (i32.add (local.get $i0) (i32.const 4))))
        (if (i32.eqz (call $finishRow (local.get $a) (local.get $n) (local.get $i) (local.get $i0) (local.get $shift))) (then (return (i32.const 0))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $bl)))
      (local.set $i0 (i32.add (local.get $i0) (i32.const 4)))
      (br $rows)))
    ;; leftover rows: every column by single dot products
    (local.set $i (local.get $i0))
    (block $ld (loop $ll
      (br_if $ld (i32.ge_u (local.get $i) (local.get $n)))
      (if (i32.eqz (call $finishRow (local.get $a) (local.get $n) (local.get $i) (i32.const 0) (local.get $shift))) (then (return (i32.const 0))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $ll)))
    ;; zero the strict upper triangle
    (local.set $i (i32.const 0))
    (block $zd (loop $zl
      (br_if $zd (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $ri (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $rb))))
      (memory.fill (i32.add (local.get $ri) (i32.shl (i32.add (local.get $i) (i32.const 1)) (i32.const 3))) (i32.const 0)
        (i32.shl (i32.sub (i32.sub (local.get $n) (local.get $i)) (i32.const 1)) (i32.const 3)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $zl)))
    (i32.const 1))

  ;; finishRow(a, n, i, from, shift) -> 1 | 0: entries L_ij for from ≤ j ≤ i of row i, each as
  ;; (A_ij − Σ_{k<j} L_ik·L_jk) / L_jj, and the pivot L_ii = √(A_ii + shift − Σ L_ik²).
  (func $finishRow (param $a i32) (param $n i32) (param $i i32) (param $from i32) (param $shift f64) (result i32)
    (local $rb i32) (local $ri i32) (local $rj i32) (local $j i32) (local $s f64) (local $t f64)
    (local $pa i32) (local $pb i32) (local $pe i32) (local $dv v128)
    (local.set $rb (i32.shl (local.get $n) (i32.const 3)))
    (local.set $ri (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $rb))))
    (local.set $j (local.get $from))
    (block $done (loop $cols
      (br_if $done (i32.gt_u (local.get $j) (local.get $i)))
      (local.set $rj (i32.add (local.get $a) (i32.mul (local.get $j) (local.get $rb))))
      
    (local.set $dv (f64x2.splat (f64.const 0)))
    (local.set $pa (local.get $ri))
    (local.set $pb (local.get $rj))
    (local.set $pe (i32.add (local.get $pa) (i32.and (i32.shl (local.get $j) (i32.const 3)) (i32.const -16))))
    (block $dfr (loop $lfr
      (br_if $dfr (i32.ge_u (local.get $pa) (local.get $pe)))
      (local.set $dv (f64x2.add (local.get $dv) (f64x2.mul (v128.load (local.get $pa)) (v128.load (local.get $pb)))))
      (local.set $pa (i32.add (local.get $pa) (i32.const 16)))
      (local.set $pb (i32.add (local.get $pb) (i32.const 16)))
      (br $lfr)))
    (local.set $t (f64.add (f64x2.extract_lane 0 (local.get $dv)) (f64x2.extract_lane 1 (local.get $dv))))
    (if (i32.and (i32.shl (local.get $j) (i32.const 3)) (i32.const 8))
      (then (local.set $t (f64.add (local.get $t) (f64.mul (f64.load (local.get $pa)) (f64.load (local.get $pb)))))))
      (local.set $s (f64.sub (f64.load (i32.add (local.get $ri) (i32.shl (local.get $j) (i32.const 3)))) (local.get $t)))
      (if (i32.eq (local.get $j) (local.get $i))
        (then
          (local.set $t (f64.add (f64.load (i32.add (local.get $ri) (i32.shl (local.get $i) (i32.const 3)))) (local.get $shift)))
          (local.set $s (f64.add (local.get $s) (local.get $shift)))
          ;; s > 1e-14·(A_ii + shift) and finite (s − s = 0 fails for ±∞ and NaN)
          (if (i32.or (i32.eqz (f64.gt (local.get $s) (f64.mul (f64.const 1e-14) (local.get $t))))
                      (i32.eqz (f64.eq (f64.sub (local.get $s) (local.get $s)) (f64.const 0))))
            (then (return (i32.const 0))))
          (f64.store (i32.add (local.get $ri) (i32.shl (local.get $i) (i32.const 3))) (f64.sqrt (local.get $s))))
        (else
          (f64.store (i32.add (local.get $ri) (i32.shl (local.get $j) (i32.const 3)))
            (f64.div (local.get $s) (f64.load (i32.add (local.get $rj) (i32.shl (local.get $j) (i32.const 3))))))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $cols)))
    (i32.const 1))

  ;; inv(l, t, out, n): A⁻¹ (lower triangle, row-major at out) from the factor at l, using t (n×n,
  ;; zeroed by the caller) for T = L⁻ᵀ: T_jj = 1/L_jj, T_ji = −(Σ_{k=j}^{i−1} L_ik·T_jk)/L_ii;
  ;; then (A⁻¹)_ab = Σ_{k≥a} T_ak·T_bk. Dot products two lanes wide.
  (func (export "inv") (param $l i32) (param $t i32) (param $out i32) (param $n i32)
    (local $rb i32) (local $j i32) (local $i i32) (local $ri i32) (local $rj i32) (local $kb i32) (local $b i32)
    (local $pa i32) (local $pb i32) (local $pe i32) (local $dv v128) (local $s f64)
    (local $t0 i32) (local $t1 i32) (local $t2 i32) (local $t3 i32) (local $p i32) (local $end i32)
    (local $q0 v128) (local $q1 v128) (local $q2 v128) (local $q3 v128) (local $x v128) (local $y v128)
    (local $ra i32) (local $rc i32)
    (local $u00 v128) (local $u01 v128) (local $u02 v128) (local $u03 v128) (local $u10 v128) (local $u11 v128) (local $u12 v128) (local $u13 v128)
    (local.set $rb (i32.shl (local.get $n) (i32.const 3)))
    ;; pass 1: row j of T, entry i ≥ j. Rows j0..j0+3 together for i ≥ j0 + 4 (T_jk = 0 for k < j).
    (local.set $j (i32.const 0))
    (block $jd (loop $jl
      (br_if $jd (i32.ge_u (local.get $j) (local.get $n)))
      ;; the triangle i < j0 + 4 entry by entry (j here runs over j0..j0+3)
      (local.set $b (i32.const 0))
      (block $td (loop $tl
        (br_if $td (i32.or (i32.ge_u (local.get $b) (i32.const 4)) (i32.ge_u (i32.add (local.get $j) (local.get $b)) (local.get $n))))
        (local.set $rj (i32.add (local.get $t) (i32.mul (i32.add (local.get $j) (local.get $b)) (local.get $rb))))
        (local.set $kb (i32.shl (i32.add (local.get $j) (local.get $b)) (i32.const 3)))
        (f64.store (i32.add (local.get $rj) (local.get $kb))
          (f64.div (f64.const 1) (f64.load (i32.add (i32.add (local.get $l) (i32.mul (i32.add (local.get $j) (local.get $b)) (local.get $rb))) (local.get $kb)))))
        (local.set $i (i32.add (i32.add (local.get $j) (local.get $b)) (i32.const 1)))
        (block $id (loop $il
          (br_if $id (i32.or (i32.ge_u (local.get $i) (i32.add (local.get $j) (i32.const 4))) (i32.ge_u (local.get $i) (local.get $n))))
          (local.set $ri (i32.add (local.get $l) (i32.mul (local.get $i) (local.get $rb))))
          ;; Σ over k from j (even) to i − 1; entries k < j + b of row j + b of T are zero
          
    (local.set $dv (f64x2.splat (f64.const 0)))
    (local.set $pa (i32.add (local.get $ri) (i32.shl (local.get $j) (i32.const 3))))
    (local.set $pb (i32.add (local.get $rj) (i32.shl (local.get $j) (i32.const 3))))
    (local.set $pe (i32.add (local.get $pa) (i32.and (i32.shl (i32.sub (local.get $i) (local.get $j)) (i32.const 3)) (i32.const -16))))
    (block $dtr (loop $ltr
      (br_if $dtr (i32.ge_u (local.get $pa) (local.get $pe)))
      (local.set $dv (f64x2.add (local.get $dv) (f64x2.mul (v128.load (local.get $pa)) (v128.load (local.get $pb)))))
      (local.set $pa (i32.add (local.get $pa) (i32.const 16)))
      (local.set $pb (i32.add (local.get $pb) (i32.const 16)))
      (br $ltr)))
    (local.set $s (f64.add (f64x2.extract_lane 0 (local.get $dv)) (f64x2.extract_lane 1 (local.get $dv))))
    (if (i32.and (i32.shl (i32.sub (local.get $i) (local.get $j)) (i32.const 3)) (i32.const 8))
      (then (local.set $s (f64.add (local.get $s) (f64.mul (f64.load (local.get $pa)) (f64.load (local.get $pb)))))))
          (f64.store (i32.add (local.get $rj) (i32.shl (local.get $i) (i32.const 3)))
            (f64.div (f64.neg (local.get $s)) (f64.load (i32.add (local.get $ri) (i32.shl (local.get $i) (i32.const 3))))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $il)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $tl)))
      (if (i32.le_u (i32.add (local.get $j) (i32.const 4)) (local.get $n))
        (then
          (local.set $t0 (i32.add (local.get $t) (i32.mul (local.get $j) (local.get $rb))))
          (local.set $t1 (i32.add (local.get $t0) (local.get $rb)))
          (local.set $t2 (i32.add (local.get $t1) (local.get $rb)))
          (local.set $t3 (i32.add (local.get $t2) (local.get $rb)))
          (local.set $i (i32.add (local.get $j) (i32.const 4)))
          (block $ad (loop $al
            (br_if $ad (i32.ge_u (local.get $i) (local.get $n)))
            (local.set $ri (i32.add (local.get $l) (i32.mul (local.get $i) (local.get $rb))))
            (local.set $q0 (f64x2.splat (f64.const 0))) (local.set $q1 (f64x2.splat (f64.const 0))) (local.set $q2 (f64x2.splat (f64.const 0))) (local.set $q3 (f64x2.splat (f64.const 0)))
            (local.set $p (i32.shl (local.get $j) (i32.const 3)))
            (local.set $end (i32.add (local.get $p) (i32.and (i32.shl (i32.sub (local.get $i) (local.get $j)) (i32.const 3)) (i32.const -16))))
            (block $kd (loop $kl
              (br_if $kd (i32.ge_u (local.get $p) (local.get $end)))
              (local.set $x (v128.load (i32.add (local.get $ri) (local.get $p))))
              (local.set $q0 (f64x2.add (local.get $q0) (f64x2.mul (local.get $x) (v128.load (i32.add (local.get $t0) (local.get $p)))))) (local.set $q1 (f64x2.add (local.get $q1) (f64x2.mul (local.get $x) (v128.load (i32.add (local.get $t1) (local.get $p)))))) (local.set $q2 (f64x2.add (local.get $q2) (f64x2.mul (local.get $x) (v128.load (i32.add (local.get $t2) (local.get $p)))))) (local.set $q3 (f64x2.add (local.get $q3) (f64x2.mul (local.get $x) (v128.load (i32.add (local.get $t3) (local.get $p))))))
              (local.set $p (i32.add (local.get $p) (i32.const 16)))
              (br $kl)))
            (local.set $s (f64.div (f64.const -1) (f64.load (i32.add (local.get $ri) (i32.shl (local.get $i) (i32.const 3))))))
            ;; odd length: one more term at k = i − 1 (p points there)
            (if (i32.and (i32.sub (local.get $i) (local.get $j)) (i32.const 1))
              (then
                (local.set $x (f64x2.replace_lane 1 (f64x2.splat (f64.load (i32.add (local.get $ri) (local.get $p)))) (f64.const 0)))
                (local.set $q0 (f64x2.add (local.get $q0) (f64x2.mul (local.get $x) (f64x2.splat (f64.load (i32.add (local.get $t0) (local.get $p))))))) (local.set $q1 (f64x2.add (local.get $q1) (f64x2.mul (local.get $x) (f64x2.splat (f64.load (i32.add (local.get $t1) (local.get $p))))))) (local.set $q2 (f64x2.add (local.get $q2) (f64x2.mul (local.get $x) (f64x2.splat (f64.load (i32.add (local.get $t2) (local.get $p))))))) (local.set $q3 (f64x2.add (local.get $q3) (f64x2.mul (local.get $x) (f64x2.splat (f64.load (i32.add (local.get $t3) (local.get $p)))))))))
            (f64.store (i32.add (local.get $t0) (i32.shl (local.get $i) (i32.const 3))) (f64.mul (f64.add (f64x2.extract_lane 0 (local.get $q0)) (f64x2.extract_lane 1 (local.get $q0))) (local.get $s))) (f64.store (i32.add (local.get $t1) (i32.shl (local.get $i) (i32.const 3))) (f64.mul (f64.add (f64x2.extract_lane 0 (local.get $q1)) (f64x2.extract_lane 1 (local.get $q1))) (local.get $s))) (f64.store (i32.add (local.get $t2) (i32.shl (local.get $i) (i32.const 3))) (f64.mul (f64.add (f64x2.extract_lane 0 (local.get $q2)) (f64x2.extract_lane 1 (local.get $q2))) (local.get $s))) (f64.store (i32.add (local.get $t3) (i32.shl (local.get $i) (i32.const 3))) (f64.mul (f64.add (f64x2.extract_lane 0 (local.get $q3)) (f64x2.extract_lane 1 (local.get $q3))) (local.get $s)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $al)))))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $jl)))
    ;; pass 2: rows a, a+1 against rows b..b+3 (b + 4 ≤ a), k from a (even) to n − 1
    (local.set $i (i32.const 0))
    (block $pd (loop $pl
      (br_if $pd (i32.gt_u (i32.add (local.get $i) (i32.const 2)) (local.get $n)))
      (local.set $ra (i32.add (local.get $t) (i32.mul (local.get $i) (local.get $rb))))
      (local.set $rc (i32.add (local.get $ra) (local.get $rb)))
      (local.set $b (i32.const 0))
      (block $bd (loop $bl
        (br_if $bd (i32.gt_u (i32.add (local.get $b) (i32.const 4)) (local.get $i)))
        (local.set $t0 (i32.add (local.get $t) (i32.mul (local.get $b) (local.get $rb))))
        (local.set $t1 (i32.add (local.get $t0) (local.get $rb)))
        (local.set $t2 (i32.add (local.get $t1) (local.get $rb)))
        (local.set $t3 (i32.add (local.get $t2) (local.get $rb)))
        (local.set $u00 (f64x2.splat (f64.const 0))) (local.set $u01 (f64x2.splat (f64.const 0))) (local.set $u02 (f64x2.splat (f64.const 0))) (local.set $u03 (f64x2.splat (f64.const 0))) (local.set $u10 (f64x2.splat (f64.const 0))) (local.set $u11 (f64x2.splat (f64.const 0))) (local.set $u12 (f64x2.splat (f64.const 0))) (local.set $u13 (f64x2.splat (f64.const 0)))
        (local.set $p (i32.shl (local.get $i) (i32.const 3)))
        (local.set $end (i32.add (local.get $p) (i32.and (i32.shl (i32.sub (local.get $n) (local.get $i)) (i32.const 3)) (i32.const -16))))
        (block $kd2 (loop $kl2
          (br_if $kd2 (i32.ge_u (local.get $p) (local.get $end)))
          (local.set $x (v128.load (i32.add (local.get $ra) (local.get $p))))
          (local.set $y (v128.load (i32.add (local.get $rc) (local.get $p))))
          (local.set $q0 (v128.load (i32.add (local.get $t0) (local.get $p)))) (local.set $q1 (v128.load (i32.add (local.get $t1) (local.get $p)))) (local.set $q2 (v128.load (i32.add (local.get $t2) (local.get $p)))) (local.set $q3 (v128.load (i32.add (local.get $t3) (local.get $p))))
          (local.set $u00 (f64x2.add (local.get $u00) (f64x2.mul (local.get $x) (local.get $q0)))) (local.set $u01 (f64x2.add (local.get $u01) (f64x2.mul (local.get $x) (local.get $q1)))) (local.set $u02 (f64x2.add (local.get $u02) (f64x2.mul (local.get $x) (local.get $q2)))) (local.set $u03 (f64x2.add (local.get $u03) (f64x2.mul (local.get $x) (local.get $q3))))
          (local.set $u10 (f64x2.add (local.get $u10) (f64x2.mul (local.get $y) (local.get $q0)))) (local.set $u11 (f64x2.add (local.get $u11) (f64x2.mul (local.get $y) (local.get $q1)))) (local.set $u12 (f64x2.add (local.get $u12) (f64x2.mul (local.get $y) (local.get $q2)))) (local.set $u13 (f64x2.add (local.get $u13) (f64x2.mul (local.get $y) (local.get $q3))))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (br $kl2)))
        (if (i32.and (i32.sub (local.get $n) (local.get $i)) (i32.const 1))
          (then
            (local.set $x (f64x2.replace_lane 1 (f64x2.splat (f64.load (i32.add (local.get $ra) (local.get $p)))) (f64.const 0)))
            (local.set $y (f64x2.replace_lane 1 (f64x2.splat (f64.load (i32.add (local.get $rc) (local.get $p)))) (f64.const 0)))
            (local.set $q0 (f64x2.splat (f64.load (i32.add (local.get $t0) (local.get $p))))) (local.set $q1 (f64x2.splat (f64.load (i32.add (local.get $t1) (local.get $p))))) (local.set $q2 (f64x2.splat (f64.load (i32.add (local.get $t2) (local.get $p))))) (local.set $q3 (f64x2.splat (f64.load (i32.add (local.get $t3) (local.get $p)))))
            (local.set $u00 (f64x2.add (local.get $u00) (f64x2.mul (local.get $x) (local.get $q0)))) (local.set $u01 (f64x2.add (local.get $u01) (f64x2.mul (local.get $x) (local.get $q1)))) (local.set $u02 (f64x2.add (local.get $u02) (f64x2.mul (local.get $x) (local.get $q2)))) (local.set $u03 (f64x2.add (local.get $u03) (f64x2.mul (local.get $x) (local.get $q3))))
            (local.set $u10 (f64x2.add (local.get $u10) (f64x2.mul (local.get $y) (local.get $q0)))) (local.set $u11 (f64x2.add (local.get $u11) (f64x2.mul (local.get $y) (local.get $q1)))) (local.set $u12 (f64x2.add (local.get $u12) (f64x2.mul (local.get $y) (local.get $q2)))) (local.set $u13 (f64x2.add (local.get $u13) (f64x2.mul (local.get $y) (local.get $q3))))))
        (local.set $kb (i32.shl (local.get $b) (i32.const 3)))
        (local.set $p (i32.add (local.get $out) (i32.mul (local.get $i) (local.get $rb))))
        (f64.store offset=0 (i32.add (local.get $p) (local.get $kb)) (f64.add (f64x2.extract_lane 0 (local.get $u00)) (f64x2.extract_lane 1 (local.get $u00)))) (f64.store offset=8 (i32.add (local.get $p) (local.get $kb)) (f64.add (f64x2.extract_lane 0 (local.get $u01)) (f64x2.extract_lane 1 (local.get $u01)))) (f64.store offset=16 (i32.add (local.get $p) (local.get $kb)) (f64.add (f64x2.extract_lane 0 (local.get $u02)) (f64x2.extract_lane 1 (local.get $u02)))) (f64.store offset=24 (i32.add (local.get $p) (local.get $kb)) (f64.add (f64x2.extract_lane 0 (local.get $u03)) (f64x2.extract_lane 1 (local.get $u03))))
        (local.set $p (i32.add (local.get $p) (local.get $rb)))
        (f64.store offset=0 (i32.add (local.get $p) (local.get $kb)) (f64.add (f64x2.extract_lane 0 (local.get $u10)) (f64x2.extract_lane 1 (local.get $u10)))) (f64.store offset=8 (i32.add (local.get $p) (local.get $kb)) (f64.add (f64x2.extract_lane 0 (local.get $u11)) (f64x2.extract_lane 1 (local.get $u11)))) (f64.store offset=16 (i32.add (local.get $p) (local.get $kb)) (f64.add (f64x2.extract_lane 0 (local.get $u12)) (f64x2.extract_lane 1 (local.get $u12)))) (f64.store offset=24 (i32.add (local.get $p) (local.get $kb)) (f64.add (f64x2.extract_lane 0 (local.get $u13)) (f64x2.extract_lane 1 (local.get $u13))))
        (local.set $b (i32.add (local.get $b) (i32.const 4)))
        (br $bl)))
      (call $invRows (local.get $t) (local.get $out) (local.get $n) (local.get $i) (i32.add (local.get $i) (i32.const 2)) (local.get $b))
      (local.set $i (i32.add (local.get $i) (i32.const 2)))
      (br $pl)))
    (call $invRows (local.get $t) (local.get $out) (local.get $n) (local.get $i) (local.get $n) (i32.const 0)))

  ;; invRows(t, out, n, from, to, c0): (A⁻¹)_ab = Σ_{k≥a} T_ak·T_bk for rows from ≤ a < to,
  ;; columns c0 ≤ b ≤ a, one dot product at a time.
  (func $invRows (param $t i32) (param $out i32) (param $n i32) (param $from i32) (param $to i32) (param $c0 i32)
    (local $rb i32) (local $a i32) (local $b i32) (local $ra i32) (local $s f64)
    (local $pa i32) (local $pb i32) (local $pe i32) (local $dv v128)
    (local.set $rb (i32.shl (local.get $n) (i32.const 3)))
    (local.set $a (local.get $from))
    (block $ad (loop $al
      (br_if $ad (i32.ge_u (local.get $a) (local.get $to)))
      (local.set $ra (i32.add (local.get $t) (i32.mul (local.get $a) (local.get $rb))))
      (local.set $b (local.get $c0))
      (block $bd (loop $bl
        (br_if $bd (i32.gt_u (local.get $b) (local.get $a)))
        
    (local.set $dv (f64x2.splat (f64.const 0)))
    (local.set $pa (i32.add (local.get $ra) (i32.shl (local.get $a) (i32.const 3))))
    (local.set $pb (i32.add (i32.add (local.get $t) (i32.mul (local.get $b) (local.get $rb))) (i32.shl (local.get $a) (i32.const 3))))
    (local.set $pe (i32.add (local.get $pa) (i32.and (i32.shl (i32.sub (local.get $n) (local.get $a)) (i32.const 3)) (i32.const -16))))
    (block $dir (loop $lir
      (br_if $dir (i32.ge_u (local.get $pa) (local.get $pe)))
      (local.set $dv (f64x2.add (local.get $dv) (f64x2.mul (v128.load (local.get $pa)) (v128.load (local.get $pb)))))
      (local.set $pa (i32.add (local.get $pa) (i32.const 16)))
      (local.set $pb (i32.add (local.get $pb) (i32.const 16)))
      (br $lir)))
    (local.set $s (f64.add (f64x2.extract_lane 0 (local.get $dv)) (f64x2.extract_lane 1 (local.get $dv))))
    (if (i32.and (i32.shl (i32.sub (local.get $n) (local.get $a)) (i32.const 3)) (i32.const 8))
      (then (local.set $s (f64.add (local.get $s) (f64.mul (f64.load (local.get $pa)) (f64.load (local.get $pb)))))))
        (f64.store (i32.add (i32.add (local.get $out) (i32.mul (local.get $a) (local.get $rb))) (i32.shl (local.get $b) (i32.const 3))) (local.get $s))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $bl)))
      (local.set $a (i32.add (local.get $a) (i32.const 1)))
      (br $al))))
  ;; END GENERATED

;; ---- Likelihood kernels (hand-written) ----

  ;; solve2(l, v, n): A·x = b in place for 2 right-hand sides stored interleaved (v + 16k + 8p), A = L·Lᵀ
  ;; with L row-major n×n at l: forward then back substitution, one right-hand side per lane. Per
  ;; right-hand side the arithmetic of choleskySolveInPlace in cholesky.ts (solveLowerRowsInPlace
  ;; then solveLowerTransposeInPlace: same operations, same order), so results are bit-identical.
  (func (export "solve2") (param $l i32) (param $v i32) (param $n i32)
    (local $i i32) (local $rb i32) (local $li i32) (local $lj i32) (local $pi i32) (local $pj i32) (local $pv i32) (local $end i32) (local $vi i32)
    (local $a v128) (local $c v128) (local $w v128) (local $xi v128) (local $xh v128)
    (local.set $rb (i32.shl (local.get $n) (i32.const 3)))
    ;; Forward: rows i and i + 1 per sweep.
    (block $done
      (loop $rows
        (br_if $done (i32.gt_u (i32.add (local.get $i) (i32.const 2)) (local.get $n)))
        (local.set $li (i32.add (local.get $l) (i32.mul (local.get $i) (local.get $rb))))
        (local.set $lj (i32.add (local.get $li) (local.get $rb)))
        (local.set $vi (i32.add (local.get $v) (i32.shl (local.get $i) (i32.const 4))))
        (local.set $a (v128.load (local.get $vi)))
        (local.set $c (v128.load offset=16 (local.get $vi)))
        (local.set $pi (local.get $li))
        (local.set $pj (local.get $lj))
        (local.set $pv (local.get $v))
        (local.set $end (i32.add (local.get $li) (i32.shl (local.get $i) (i32.const 3))))
        (block $kdone
          (loop $k
            (br_if $kdone (i32.ge_u (local.get $pi) (local.get $end)))
            (local.set $w (v128.load (local.get $pv)))
            (local.set $a (f64x2.sub (local.get $a) (f64x2.mul (v128.load64_splat (local.get $pi)) (local.get $w))))
            (local.set $c (f64x2.sub (local.get $c) (f64x2.mul (v128.load64_splat (local.get $pj)) (local.get $w))))
            (local.set $pi (i32.add (local.get $pi) (i32.const 8)))
            (local.set $pj (i32.add (local.get $pj) (i32.const 8)))
            (local.set $pv (i32.add (local.get $pv) (i32.const 16)))
            (br $k)))
        ;; a = acc · (1 / L_ii); c = (acc − L_{i+1,i}·a) · (1 / L_{i+1,i+1})
        (local.set $a (f64x2.mul (local.get $a) (f64x2.splat (f64.div (f64.const 1) (f64.load (local.get $pi))))))
        (v128.store (local.get $vi) (local.get $a))
        (v128.store offset=16 (local.get $vi)
          (f64x2.mul (f64x2.sub (local.get $c) (f64x2.mul (v128.load64_splat (local.get $pj)) (local.get $a)))
            (f64x2.splat (f64.div (f64.const 1) (f64.load offset=8 (local.get $pj))))))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $rows)))
    ;; odd n: last row
    (if (i32.lt_u (local.get $i) (local.get $n))
      (then
        (local.set $li (i32.add (local.get $l) (i32.mul (local.get $i) (local.get $rb))))
        (local.set $vi (i32.add (local.get $v) (i32.shl (local.get $i) (i32.const 4))))
        (local.set $a (v128.load (local.get $vi)))
        (local.set $pi (local.get $li))
        (local.set $pv (local.get $v))
        (local.set $end (i32.add (local.get $li) (i32.shl (local.get $i) (i32.const 3))))
        (block $kdone2
          (loop $k2
            (br_if $kdone2 (i32.ge_u (local.get $pi) (local.get $end)))
            (local.set $a (f64x2.sub (local.get $a) (f64x2.mul (v128.load64_splat (local.get $pi)) (v128.load (local.get $pv)))))
            (local.set $pi (i32.add (local.get $pi) (i32.const 8)))
            (local.set $pv (i32.add (local.get $pv) (i32.const 16)))
            (br $k2)))
        (v128.store (local.get $vi) (f64x2.mul (local.get $a) (f64x2.splat (f64.div (f64.const 1) (f64.load (local.get $pi))))))))
    ;; Back substitution: rows i and i − 1 per sweep over x_0..x_{i−2}.
    (local.set $i (i32.sub (local.get $n) (i32.const 1)))
    (block $bdone
      (loop $brows
        (br_if $bdone (i32.lt_s (local.get $i) (i32.const 1)))
        (local.set $li (i32.add (local.get $l) (i32.mul (local.get $i) (local.get $rb))))
        (local.set $lj (i32.sub (local.get $li) (local.get $rb)))
        (local.set $vi (i32.add (local.get $v) (i32.shl (local.get $i) (i32.const 4))))
        ;; x_i = b_i / L_ii ; x_{i−1} = (b_{i−1} − L_{i,i−1}·x_i) / L_{i−1,i−1}
        (local.set $pi (i32.add (local.get $li) (i32.shl (local.get $i) (i32.const 3))))
        (local.set $xi (f64x2.div (v128.load (local.get $vi)) (v128.load64_splat (local.get $pi))))
        (v128.store (local.get $vi) (local.get $xi))
        (local.set $vi (i32.sub (local.get $vi) (i32.const 16)))
        (local.set $pi (i32.sub (local.get $pi) (i32.const 8)))
        (local.set $xh (f64x2.div
          (f64x2.sub (v128.load (local.get $vi)) (f64x2.mul (v128.load64_splat (local.get $pi)) (local.get $xi)))
          (v128.load64_splat (i32.sub (local.get $pi) (local.get $rb)))))
        (v128.store (local.get $vi) (local.get $xh))
        (local.set $pi (local.get $li))
        (local.set $pj (local.get $lj))
        (local.set $pv (local.get $v))
        (local.set $end (i32.add (local.get $v) (i32.shl (i32.sub (local.get $i) (i32.const 1)) (i32.const 4))))
        (block $kd (loop $kl
          (br_if $kd (i32.ge_u (local.get $pv) (local.get $end)))
          (v128.store (local.get $pv)
            (f64x2.sub (v128.load (local.get $pv))
              (f64x2.add (f64x2.mul (v128.load64_splat (local.get $pi)) (local.get $xi))
                         (f64x2.mul (v128.load64_splat (local.get $pj)) (local.get $xh)))))
          (local.set $pi (i32.add (local.get $pi) (i32.const 8)))
          (local.set $pj (i32.add (local.get $pj) (i32.const 8)))
          (local.set $pv (i32.add (local.get $pv) (i32.const 16)))
          (br $kl)))
        (local.set $i (i32.sub (local.get $i) (i32.const 2)))
        (br $brows)))
    (if (i32.eqz (local.get $i))
      (then (v128.store (local.get $v) (f64x2.div (v128.load (local.get $v)) (v128.load64_splat (local.get $l)))))))

  ;; gradientTerms(alpha, kinv, k, g, n, out): the sums of the likelihood gradient over the pairs
  ;; a > b with w_ab = α_a·α_b − (K⁻¹)_ab: out[0] = Σ_a (α_a² − (K⁻¹)_aa), out[1] = Σ_{a>b} w_ab·K_ab,
  ;; and g_ab ← w_ab·g_ab. Row by row, b ascending: the loop of LikelihoodEvaluator.evaluate in
  ;; likelihood.ts (same operations, same order: bit-identical), w two at a time.
  (func (export "gradientTerms") (param $alpha i32) (param $kinv i32) (param $k i32) (param $g i32) (param $n i32) (param $out i32)
    (local $a i32) (local $ra i32) (local $pb i32) (local $end i32) (local $off i32)
    (local $alphaA f64) (local $traceW f64) (local $sumWK f64) (local $w f64)
    (local $av v128) (local $wv v128) (local $pv v128)
    (block $ad (loop $al
      (br_if $ad (i32.ge_u (local.get $a) (local.get $n)))
      (local.set $ra (i32.mul (local.get $a) (i32.shl (local.get $n) (i32.const 3))))
      (local.set $alphaA (f64.load (i32.add (local.get $alpha) (i32.shl (local.get $a) (i32.const 3)))))
      (local.set $av (f64x2.splat (local.get $alphaA)))
      (local.set $pb (i32.const 0))
      (local.set $end (i32.shl (i32.and (local.get $a) (i32.const -2)) (i32.const 3)))
      (block $bd (loop $bl
        (br_if $bd (i32.ge_u (local.get $pb) (local.get $end)))
        (local.set $off (i32.add (local.get $ra) (local.get $pb)))
        (local.set $wv (f64x2.sub (f64x2.mul (local.get $av) (v128.load (i32.add (local.get $alpha) (local.get $pb))))
          (v128.load (i32.add (local.get $kinv) (local.get $off)))))
        (local.set $pv (f64x2.mul (local.get $wv) (v128.load (i32.add (local.get $k) (local.get $off)))))
        (local.set $sumWK (f64.add (f64.add (local.get $sumWK) (f64x2.extract_lane 0 (local.get $pv))) (f64x2.extract_lane 1 (local.get $pv))))
        (v128.store (i32.add (local.get $g) (local.get $off)) (f64x2.mul (local.get $wv) (v128.load (i32.add (local.get $g) (local.get $off)))))
        (local.set $pb (i32.add (local.get $pb) (i32.const 16)))
        (br $bl)))
      (if (i32.and (local.get $a) (i32.const 1))
        (then
          (local.set $off (i32.add (local.get $ra) (local.get $pb)))
          (local.set $w (f64.sub (f64.mul (local.get $alphaA) (f64.load (i32.add (local.get $alpha) (local.get $pb))))
            (f64.load (i32.add (local.get $kinv) (local.get $off)))))
          (local.set $sumWK (f64.add (local.get $sumWK) (f64.mul (local.get $w) (f64.load (i32.add (local.get $k) (local.get $off))))))
          (f64.store (i32.add (local.get $g) (local.get $off)) (f64.mul (local.get $w) (f64.load (i32.add (local.get $g) (local.get $off)))))))
      (local.set $traceW (f64.add (local.get $traceW)
        (f64.sub (f64.mul (local.get $alphaA) (local.get $alphaA))
          (f64.load (i32.add (local.get $kinv) (i32.add (local.get $ra) (i32.shl (local.get $a) (i32.const 3))))))))
      (local.set $a (i32.add (local.get $a) (i32.const 1)))
      (br $al)))
    (f64.store (local.get $out) (local.get $traceW))
    (f64.store offset=8 (local.get $out) (local.get $sumWK)))

    ;; ---- Prediction and acquisition kernels (hand-written) ----

  ;; dot8(w, v, n, out): out + 8p ← Σ_j w[j]·v[8j + p] for 8 vectors stored interleaved at v
  ;; (w: n doubles). j ascending, as the JS loop: bit-identical to it. With w = α and v = k*
  ;; rows this is the posterior mean of 8 queries.
  (func (export "dot8") (param $w i32) (param $v i32) (param $n i32) (param $out i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $s v128)
    (local $pw i32) (local $pv i32) (local $end i32)
    (local.set $pw (local.get $w))
    (local.set $pv (local.get $v))
    (local.set $end (i32.add (local.get $w) (i32.shl (local.get $n) (i32.const 3))))
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $pw) (local.get $end)))
      (local.set $s (v128.load64_splat (local.get $pw)))
      (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $s) (v128.load (local.get $pv)))))
      (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (local.get $s) (v128.load offset=16 (local.get $pv)))))
      (local.set $a2 (f64x2.add (local.get $a2) (f64x2.mul (local.get $s) (v128.load offset=32 (local.get $pv)))))
      (local.set $a3 (f64x2.add (local.get $a3) (f64x2.mul (local.get $s) (v128.load offset=48 (local.get $pv)))))
      (local.set $pw (i32.add (local.get $pw) (i32.const 8)))
      (local.set $pv (i32.add (local.get $pv) (i32.const 64)))
      (br $l)))
    (v128.store (local.get $out) (local.get $a0))
    (v128.store offset=16 (local.get $out) (local.get $a1))
    (v128.store offset=32 (local.get $out) (local.get $a2))
    (v128.store offset=48 (local.get $out) (local.get $a3)))

  ;; sumsq8(v, n, out): out + 8p ← Σ_j v[8j + p]² (j ascending, bit-identical to the JS loop).
  (func (export "sumsq8") (param $v i32) (param $n i32) (param $out i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $t v128)
    (local $pv i32) (local $end i32)
    (local.set $pv (local.get $v))
    (local.set $end (i32.add (local.get $v) (i32.shl (local.get $n) (i32.const 6))))
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $pv) (local.get $end)))
      (local.set $t (v128.load (local.get $pv)))
      (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $t) (local.get $t))))
      (local.set $t (v128.load offset=16 (local.get $pv)))
      (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (local.get $t) (local.get $t))))
      (local.set $t (v128.load offset=32 (local.get $pv)))
      (local.set $a2 (f64x2.add (local.get $a2) (f64x2.mul (local.get $t) (local.get $t))))
      (local.set $t (v128.load offset=48 (local.get $pv)))
      (local.set $a3 (f64x2.add (local.get $a3) (f64x2.mul (local.get $t) (local.get $t))))
      (local.set $pv (i32.add (local.get $pv) (i32.const 64)))
      (br $l)))
    (v128.store (local.get $out) (local.get $a0))
    (v128.store offset=16 (local.get $out) (local.get $a1))
    (v128.store offset=32 (local.get $out) (local.get $a2))
    (v128.store offset=48 (local.get $out) (local.get $a3)))

;; radialRow(q, xt, n, d, k, e): for ONE query q (d doubles divided by the lengthscales, and one
  ;; more readable) against n training points stored dimension-major at xt (xt + n·i + j, likewise,
  ;; and one more readable double): k_j ← r_j² (summed over i in order, two points at a time) and
  ;; e_j ← e^(−√5·r_j) (in one batch); even n + 1 entries of each are written. Per point the
  ;; arithmetic of cross8's lanes.
  (func $radialRow (param $q i32) (param $xt i32) (param $n i32) (param $d i32) (param $k i32) (param $e i32)
    (local $j i32) (local $pq i32) (local $px i32) (local $qe i32) (local $acc v128) (local $t v128)
    (local.set $qe (i32.add (local.get $q) (i32.shl (local.get $d) (i32.const 3))))
    (block $jd (loop $jl
      (br_if $jd (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $acc (f64x2.splat (f64.const 0)))
      (local.set $pq (local.get $q))
      (local.set $px (i32.add (local.get $xt) (i32.shl (local.get $j) (i32.const 3))))
      (block $id (loop $il
        (br_if $id (i32.ge_u (local.get $pq) (local.get $qe)))
        (local.set $t (f64x2.sub (v128.load64_splat (local.get $pq)) (v128.load (local.get $px))))
        (local.set $acc (f64x2.add (local.get $acc) (f64x2.mul (local.get $t) (local.get $t))))
        (local.set $pq (i32.add (local.get $pq) (i32.const 8)))
        (local.set $px (i32.add (local.get $px) (i32.shl (local.get $n) (i32.const 3))))
        (br $il)))
      (v128.store (i32.add (local.get $k) (i32.shl (local.get $j) (i32.const 3))) (local.get $acc))
      (v128.store (i32.add (local.get $e) (i32.shl (local.get $j) (i32.const 3)))
        (f64x2.mul (f64x2.splat (f64.const -2.23606797749979)) (f64x2.sqrt (local.get $acc))))
      (local.set $j (i32.add (local.get $j) (i32.const 2)))
      (br $jl)))
    (call $expInPlace (local.get $e) (i32.add (local.get $e) (i32.shl (local.get $j) (i32.const 3)))))

  ;; forwardRows1(l, b, n): L·x = b in place for one right-hand side with the arithmetic of
  ;; solveLowerRowsInPlace in cholesky.ts (and of solve4/solve8 per right-hand side: bit-identical):
  ;; row i's sum runs over k in increasing order, subtracting one product at a time, and rows are
  ;; finished in pairs (i, i + 1). Four rows per sweep over x (four independent chains of
  ;; subtractions); rows i + 2 and i + 3 take their terms k = i, i + 1 once x_i and x_{i+1} are known.
  (func $forwardRows1 (param $l i32) (param $b i32) (param $n i32)
    (local $i i32) (local $rb i32) (local $l0 i32) (local $l1 i32) (local $l2 i32) (local $l3 i32) (local $pk i32) (local $end i32) (local $pb i32)
    (local $a0 f64) (local $c0 f64) (local $a2 f64) (local $c2 f64) (local $w f64)
    (local.set $rb (i32.shl (local.get $n) (i32.const 3)))
    (block $d4 (loop $r4
      (br_if $d4 (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $n)))
      (local.set $l0 (i32.add (local.get $l) (i32.mul (local.get $i) (local.get $rb))))
      (local.set $l1 (i32.add (local.get $l0) (local.get $rb)))
      (local.set $l2 (i32.add (local.get $l1) (local.get $rb)))
      (local.set $l3 (i32.add (local.get $l2) (local.get $rb)))
      (local.set $pb (i32.add (local.get $b) (i32.shl (local.get $i) (i32.const 3))))
      (local.set $a0 (f64.load (local.get $pb)))
      (local.set $c0 (f64.load offset=8 (local.get $pb)))
      (local.set $a2 (f64.load offset=16 (local.get $pb)))
      (local.set $c2 (f64.load offset=24 (local.get $pb)))
      (local.set $pk (i32.const 0))
      (local.set $end (i32.shl (local.get $i) (i32.const 3)))
      (block $kd (loop $kl
        (br_if $kd (i32.ge_u (local.get $pk) (local.get $end)))
        (local.set $w (f64.load (i32.add (local.get $b) (local.get $pk))))
        (local.set $a0 (f64.sub (local.get $a0) (f64.mul (f64.load (i32.add (local.get $l0) (local.get $pk))) (local.get $w))))
        (local.set $c0 (f64.sub (local.get $c0) (f64.mul (f64.load (i32.add (local.get $l1) (local.get $pk))) (local.get $w))))
        (local.set $a2 (f64.sub (local.get $a2) (f64.mul (f64.load (i32.add (local.get $l2) (local.get $pk))) (local.get $w))))
        (local.set $c2 (f64.sub (local.get $c2) (f64.mul (f64.load (i32.add (local.get $l3) (local.get $pk))) (local.get $w))))
        (local.set $pk (i32.add (local.get $pk) (i32.const 8)))
        (br $kl)))
      ;; rows i, i + 1
      (local.set $a0 (f64.mul (local.get $a0) (f64.div (f64.const 1) (f64.load (i32.add (local.get $l0) (local.get $end))))))
      (f64.store (local.get $pb) (local.get $a0))
      (local.set $c0 (f64.mul
        (f64.sub (local.get $c0) (f64.mul (f64.load (i32.add (local.get $l1) (local.get $end))) (local.get $a0)))
        (f64.div (f64.const 1) (f64.load offset=8 (i32.add (local.get $l1) (local.get $end))))))
      (f64.store offset=8 (local.get $pb) (local.get $c0))
      ;; rows i + 2, i + 3: terms k = i, i + 1, then as a pair
      (local.set $a2 (f64.sub (local.get $a2) (f64.mul (f64.load (i32.add (local.get $l2) (local.get $end))) (local.get $a0))))
      (local.set $c2 (f64.sub (local.get $c2) (f64.mul (f64.load (i32.add (local.get $l3) (local.get $end))) (local.get $a0))))
      (local.set $a2 (f64.sub (local.get $a2) (f64.mul (f64.load offset=8 (i32.add (local.get $l2) (local.get $end))) (local.get $c0))))
      (local.set $c2 (f64.sub (local.get $c2) (f64.mul (f64.load offset=8 (i32.add (local.get $l3) (local.get $end))) (local.get $c0))))
      (local.set $a2 (f64.mul (local.get $a2) (f64.div (f64.const 1) (f64.load offset=16 (i32.add (local.get $l2) (local.get $end))))))
      (f64.store offset=16 (local.get $pb) (local.get $a2))
      (f64.store offset=24 (local.get $pb) (f64.mul
        (f64.sub (local.get $c2) (f64.mul (f64.load offset=16 (i32.add (local.get $l3) (local.get $end))) (local.get $a2)))
        (f64.div (f64.const 1) (f64.load offset=24 (i32.add (local.get $l3) (local.get $end))))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $r4)))
    ;; the last 1–3 rows: a pair, then a single row
    (if (i32.le_u (i32.add (local.get $i) (i32.const 2)) (local.get $n))
      (then
        (local.set $l0 (i32.add (local.get $l) (i32.mul (local.get $i) (local.get $rb))))
        (local.set $l1 (i32.add (local.get $l0) (local.get $rb)))
        (local.set $pb (i32.add (local.get $b) (i32.shl (local.get $i) (i32.const 3))))
        (local.set $a0 (f64.load (local.get $pb)))
        (local.set $c0 (f64.load offset=8 (local.get $pb)))
        (local.set $pk (i32.const 0))
        (local.set $end (i32.shl (local.get $i) (i32.const 3)))
        (block $kd2 (loop $kl2
          (br_if $kd2 (i32.ge_u (local.get $pk) (local.get $end)))
          (local.set $w (f64.load (i32.add (local.get $b) (local.get $pk))))
          (local.set $a0 (f64.sub (local.get $a0) (f64.mul (f64.load (i32.add (local.get $l0) (local.get $pk))) (local.get $w))))
          (local.set $c0 (f64.sub (local.get $c0) (f64.mul (f64.load (i32.add (local.get $l1) (local.get $pk))) (local.get $w))))
          (local.set $pk (i32.add (local.get $pk) (i32.const 8)))
          (br $kl2)))
        (local.set $a0 (f64.mul (local.get $a0) (f64.div (f64.const 1) (f64.load (i32.add (local.get $l0) (local.get $end))))))
        (f64.store (local.get $pb) (local.get $a0))
        (f64.store offset=8 (local.get $pb) (f64.mul
          (f64.sub (local.get $c0) (f64.mul (f64.load (i32.add (local.get $l1) (local.get $end))) (local.get $a0)))
          (f64.div (f64.const 1) (f64.load offset=8 (i32.add (local.get $l1) (local.get $end))))))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))))
    (if (i32.lt_u (local.get $i) (local.get $n))
      (then
        (local.set $l0 (i32.add (local.get $l) (i32.mul (local.get $i) (local.get $rb))))
        (local.set $pb (i32.add (local.get $b) (i32.shl (local.get $i) (i32.const 3))))
        (local.set $a0 (f64.load (local.get $pb)))
        (local.set $pk (i32.const 0))
        (local.set $end (i32.shl (local.get $i) (i32.const 3)))
        (block $kd3 (loop $kl3
          (br_if $kd3 (i32.ge_u (local.get $pk) (local.get $end)))
          (local.set $a0 (f64.sub (local.get $a0)
            (f64.mul (f64.load (i32.add (local.get $l0) (local.get $pk))) (f64.load (i32.add (local.get $b) (local.get $pk))))))
          (local.set $pk (i32.add (local.get $pk) (i32.const 8)))
          (br $kl3)))
        (f64.store (local.get $pb) (f64.mul (local.get $a0) (f64.div (f64.const 1) (f64.load (i32.add (local.get $l0) (local.get $end)))))))))

  ;; predict1(q, xt, alpha, l, n, d, s, k, e, out): the posterior at ONE query (q and xt as in
  ;; radialRow) with the arithmetic of one lane of cross8, dot8, solve8 and sumsq8, so bit-identical
  ;; to predicting it in a block of eight, at an eighth of the work: out[0] = k*ᵀα (j ascending),
  ;; out[1] = |L⁻¹k*|²; k, e: scratch of n + 1 doubles each.
  (func (export "predict1") (param $q i32) (param $xt i32) (param $alpha i32) (param $l i32) (param $n i32)
      (param $d i32) (param $s f64) (param $k i32) (param $e i32) (param $out i32)
    (local $j i32) (local $pk i32) (local $rr v128) (local $r v128) (local $sv v128) (local $mu f64) (local $vv f64) (local $t f64)
    (call $radialRow (local.get $q) (local.get $xt) (local.get $n) (local.get $d) (local.get $k) (local.get $e))
    (local.set $sv (f64x2.splat (local.get $s)))
    (block $cd (loop $cl
      (br_if $cd (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $pk (i32.add (local.get $k) (i32.shl (local.get $j) (i32.const 3))))
      (local.set $rr (v128.load (local.get $pk)))
      (local.set $r (f64x2.sqrt (local.get $rr)))
      (v128.store (local.get $pk)
        (f64x2.mul
          (f64x2.mul (local.get $sv)
            (f64x2.add
              (f64x2.add (f64x2.splat (f64.const 1)) (f64x2.mul (f64x2.splat (f64.const 2.23606797749979)) (local.get $r)))
              (f64x2.mul (f64x2.splat (f64.const 1.6666666666666667)) (local.get $rr))))
          (v128.load (i32.add (local.get $e) (i32.shl (local.get $j) (i32.const 3))))))
      (local.set $j (i32.add (local.get $j) (i32.const 2)))
      (br $cl)))
    (local.set $j (i32.const 0))
    (block $md (loop $ml
      (br_if $md (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $mu (f64.add (local.get $mu)
        (f64.mul (f64.load (i32.add (local.get $alpha) (i32.shl (local.get $j) (i32.const 3))))
                 (f64.load (i32.add (local.get $k) (i32.shl (local.get $j) (i32.const 3)))))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $ml)))
    (call $forwardRows1 (local.get $l) (local.get $k) (local.get $n))
    (local.set $j (i32.const 0))
    (block $vd (loop $vl
      (br_if $vd (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $t (f64.load (i32.add (local.get $k) (i32.shl (local.get $j) (i32.const 3)))))
      (local.set $vv (f64.add (local.get $vv) (f64.mul (local.get $t) (local.get $t))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $vl)))
    (f64.store (local.get $out) (local.get $mu))
    (f64.store offset=8 (local.get $out) (local.get $vv)))

  
  ;; gradPoint(q, x, xt, alpha, l, n, d, s, k, c, out): everything the posterior at ONE query needs
  ;; for its value and gradient. q: the query divided by the lengthscales (d doubles, and one more
  ;; readable); x: training inputs likewise, row-major n×d, and xt the same dimension-major (xt +
  ;; n·i + j, and one more readable double); alpha = K⁻¹(z − m); l: the Cholesky factor; k, c:
  ;; scratch of n + 1 doubles each (even n + 1 is written). Writes out[0] = k*ᵀα, out[1] = |L⁻¹k*|²,
  ;; out[2 + i] = Σ_j α_j·c_j·t_ji and out[2 + d + i] = Σ_j −2·w_j·c_j·t_ji with t_ji = q_i − x_ji,
  ;; c_j = −(5/3)·s·(1 + √5·r_j)·e^(−√5·r_j) and w = K⁻¹k*. Same order of operations as
  ;; GaussianProcess.predictWithGradient, except the exponential (polynomial) and the solves.
  (func (export "gradPoint") (param $q i32) (param $x i32) (param $xt i32) (param $alpha i32) (param $l i32) (param $n i32)
      (param $d i32) (param $s f64) (param $k i32) (param $c i32) (param $out i32)
    (local $j i32) (local $i i32) (local $px i32) (local $t f64)
    (local $r v128) (local $rr v128) (local $e v128) (local $sv v128) (local $one v128)
    (local $mu f64) (local $vv f64) (local $pm i32) (local $pg i32) (local $qv v128) (local $tv v128) (local $am v128) (local $ag v128)
    ;; r² into k, the exponentials into c; then k_j and c_j two at a time.
    (call $radialRow (local.get $q) (local.get $xt) (local.get $n) (local.get $d) (local.get $k) (local.get $c))
    (local.set $sv (f64x2.splat (local.get $s)))
    (local.set $one (f64x2.splat (f64.const 1)))
    (block $pd (loop $pl
      (br_if $pd (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $pm (i32.add (local.get $k) (i32.shl (local.get $j) (i32.const 3))))
      (local.set $pg (i32.add (local.get $c) (i32.shl (local.get $j) (i32.const 3))))
      (local.set $rr (v128.load (local.get $pm)))
      (local.set $r (f64x2.sqrt (local.get $rr)))
      (local.set $e (v128.load (local.get $pg)))
      (v128.store (local.get $pm)
        (f64x2.mul
          (f64x2.mul (local.get $sv)
            (f64x2.add
              (f64x2.add (local.get $one) (f64x2.mul (f64x2.splat (f64.const 2.23606797749979)) (local.get $r)))
              (f64x2.mul (f64x2.splat (f64.const 1.6666666666666667)) (local.get $rr))))
          (local.get $e)))
      (v128.store (local.get $pg)
        (f64x2.mul
          (f64x2.mul
            (f64x2.mul (f64x2.splat (f64.const -1.6666666666666667)) (local.get $sv))
            (f64x2.add (local.get $one) (f64x2.mul (f64x2.splat (f64.const 2.23606797749979)) (local.get $r))))
          (local.get $e)))
      (local.set $j (i32.add (local.get $j) (i32.const 2)))
      (br $pl)))
    ;; μ = Σ α_j k_j.
    (local.set $j (i32.const 0))
    (block $md (loop $ml
      (br_if $md (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $mu (f64.add (local.get $mu)
        (f64.mul (f64.load (i32.add (local.get $alpha) (i32.shl (local.get $j) (i32.const 3))))
                 (f64.load (i32.add (local.get $k) (i32.shl (local.get $j) (i32.const 3)))))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $ml)))
    ;; v = L⁻¹k, vv = |v|², then w = L⁻ᵀv = K⁻¹k, all in place.
    (call $forward1 (local.get $l) (local.get $k) (local.get $n))
    (local.set $j (i32.const 0))
    (block $vd (loop $vl
      (br_if $vd (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $t (f64.load (i32.add (local.get $k) (i32.shl (local.get $j) (i32.const 3)))))
      (local.set $vv (f64.add (local.get $vv) (f64.mul (local.get $t) (local.get $t))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $vl)))
    (call $backward1 (local.get $l) (local.get $k) (local.get $n))
    ;; Gradient sums: c_j ← α_j·c_j and k_j ← −2·w_j·c_j, then the sums over j for two dimensions
    ;; at a time, in registers (for each dimension over j in increasing order, as the JS loop does;
    ;; one pass over the training points per pair of dimensions instead of one load and store of
    ;; every sum per point). For an odd d the last pass's second lane reads one double past each
    ;; point and past the query, and is dropped.
    (local.set $j (i32.const 0))
    (block $cd (loop $cl
      (br_if $cd (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $pm (i32.add (local.get $c) (i32.shl (local.get $j) (i32.const 3))))
      (local.set $pg (i32.add (local.get $k) (i32.shl (local.get $j) (i32.const 3))))
      (local.set $t (f64.load (local.get $pm)))
      (f64.store (local.get $pm) (f64.mul (f64.load (i32.add (local.get $alpha) (i32.shl (local.get $j) (i32.const 3)))) (local.get $t)))
      (f64.store (local.get $pg) (f64.mul (f64.mul (f64.const -2) (f64.load (local.get $pg))) (local.get $t)))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $cl)))
    (local.set $pm (i32.add (local.get $out) (i32.const 16)))
    (local.set $pg (i32.add (local.get $pm) (i32.shl (local.get $d) (i32.const 3))))
    (local.set $i (i32.const 0))
    (block $hd (loop $hl
      (br_if $hd (i32.ge_u (local.get $i) (local.get $d)))
      (local.set $qv (v128.load (i32.add (local.get $q) (i32.shl (local.get $i) (i32.const 3)))))
      (local.set $am (f64x2.splat (f64.const 0)))
      (local.set $ag (f64x2.splat (f64.const 0)))
      (local.set $px (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 3))))
      (local.set $j (i32.const 0))
      (block $gd (loop $gl
        (br_if $gd (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $tv (f64x2.sub (local.get $qv) (v128.load (local.get $px))))
        (local.set $am (f64x2.add (local.get $am)
          (f64x2.mul (v128.load64_splat (i32.add (local.get $c) (i32.shl (local.get $j) (i32.const 3)))) (local.get $tv))))
        (local.set $ag (f64x2.add (local.get $ag)
          (f64x2.mul (v128.load64_splat (i32.add (local.get $k) (i32.shl (local.get $j) (i32.const 3)))) (local.get $tv))))
        (local.set $px (i32.add (local.get $px) (i32.shl (local.get $d) (i32.const 3))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $gl)))
      (if (i32.lt_u (i32.add (local.get $i) (i32.const 1)) (local.get $d))
        (then
          (v128.store (i32.add (local.get $pm) (i32.shl (local.get $i) (i32.const 3))) (local.get $am))
          (v128.store (i32.add (local.get $pg) (i32.shl (local.get $i) (i32.const 3))) (local.get $ag)))
        (else
          (f64.store (i32.add (local.get $pm) (i32.shl (local.get $i) (i32.const 3))) (f64x2.extract_lane 0 (local.get $am)))
          (f64.store (i32.add (local.get $pg) (i32.shl (local.get $i) (i32.const 3))) (f64x2.extract_lane 0 (local.get $ag)))))
      (local.set $i (i32.add (local.get $i) (i32.const 2)))
      (br $hl)))
    (f64.store (local.get $out) (local.get $mu))
    (f64.store offset=8 (local.get $out) (local.get $vv)))

  ;; e^y of double pairs (the SIMD exponential of every kernel here). y = k·ln2 + r with
  ;; |r| ≤ ln2/2 (Cody–Waite split of ln2), e^r by its Taylor polynomial to degree 13 (truncation
  ;; < 1e−17) in Estrin's scheme (a dependency chain of four multiply-adds instead of Horner's
  ;; thirteen), times 2^k built in the exponent bits. Within a few ulp of Math.exp for y ≤ 709; y
  ;; below −700 gives e^−700 ≈ 1e−304 instead of a smaller value (negligible wherever it is used).
  ;; Its constants are mutable globals so that V8 loads them once per call, before the loop: a
  ;; constant operand (f64x2.splat of f64.const) is rebuilt from an immediate at every use, three
  ;; instructions each, twenty times per pair. For the same reason callers batch their exponents
  ;; (V8 does not inline wasm calls). 2^k: k + 1.5·2^52 holds the integer k in its low mantissa
  ;; bits (exact for |k| < 2^51), so subtracting the bits of 1.5·2^52 − 1023 and shifting gives
  ;; the exponent field of 2^k; the floor at −700 is a pseudo-maximum (one instruction; for this
  ;; constant it equals f64x2.max, NaN included); the Taylor term 1·r is r itself (exactly).
  (global $exp_lo (mut v128) (v128.const f64x2 -700 -700))
  (global $exp_log2e (mut v128) (v128.const f64x2 1.4426950408889634 1.4426950408889634))
  (global $exp_ln2hi (mut v128) (v128.const f64x2 0.6931471803691238 0.6931471803691238))
  (global $exp_ln2lo (mut v128) (v128.const f64x2 1.9082149292705877e-10 1.9082149292705877e-10))
  (global $exp_c0 (mut v128) (v128.const f64x2 1 1))
  (global $exp_c2 (mut v128) (v128.const f64x2 0.5 0.5))
  (global $exp_c3 (mut v128) (v128.const f64x2 0.16666666666666666 0.16666666666666666))
  (global $exp_c4 (mut v128) (v128.const f64x2 0.041666666666666664 0.041666666666666664))
  (global $exp_c5 (mut v128) (v128.const f64x2 0.008333333333333333 0.008333333333333333))
  (global $exp_c6 (mut v128) (v128.const f64x2 0.001388888888888889 0.001388888888888889))
  (global $exp_c7 (mut v128) (v128.const f64x2 0.0001984126984126984 0.0001984126984126984))
  (global $exp_c8 (mut v128) (v128.const f64x2 2.48015873015873e-05 2.48015873015873e-05))
  (global $exp_c9 (mut v128) (v128.const f64x2 2.7557319223985893e-06 2.7557319223985893e-06))
  (global $exp_c10 (mut v128) (v128.const f64x2 2.755731922398589e-07 2.755731922398589e-07))
  (global $exp_c11 (mut v128) (v128.const f64x2 2.505210838544172e-08 2.505210838544172e-08))
  (global $exp_c12 (mut v128) (v128.const f64x2 2.08767569878681e-09 2.08767569878681e-09))
  (global $exp_c13 (mut v128) (v128.const f64x2 1.6059043836821613e-10 1.6059043836821613e-10))
  (global $exp_round (mut v128) (v128.const f64x2 6755399441055744 6755399441055744))
  (global $exp_bias (mut v128) (v128.const i64x2 0x4337FFFFFFFFFC01 0x4337FFFFFFFFFC01))

  ;; expInPlace(p, end): e^y in place for every double pair from byte offset p up to end.
  (func $expInPlace (param $p i32) (param $end i32)
    (local $y v128) (local $k v128) (local $r v128) (local $r2 v128) (local $r4 v128)
    (local $lo v128) (local $log2e v128) (local $ln2hi v128) (local $ln2lo v128) (local $c0 v128) (local $c2 v128) (local $c3 v128) (local $c4 v128) (local $c5 v128) (local $c6 v128) (local $c7 v128) (local $c8 v128) (local $c9 v128) (local $c10 v128) (local $c11 v128) (local $c12 v128) (local $c13 v128) (local $round v128) (local $bias v128)
    (local.set $lo (global.get $exp_lo))
    (local.set $log2e (global.get $exp_log2e))
    (local.set $ln2hi (global.get $exp_ln2hi))
    (local.set $ln2lo (global.get $exp_ln2lo))
    (local.set $c0 (global.get $exp_c0))
    (local.set $c2 (global.get $exp_c2))
    (local.set $c3 (global.get $exp_c3))
    (local.set $c4 (global.get $exp_c4))
    (local.set $c5 (global.get $exp_c5))
    (local.set $c6 (global.get $exp_c6))
    (local.set $c7 (global.get $exp_c7))
    (local.set $c8 (global.get $exp_c8))
    (local.set $c9 (global.get $exp_c9))
    (local.set $c10 (global.get $exp_c10))
    (local.set $c11 (global.get $exp_c11))
    (local.set $c12 (global.get $exp_c12))
    (local.set $c13 (global.get $exp_c13))
    (local.set $round (global.get $exp_round))
    (local.set $bias (global.get $exp_bias))
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $y (f64x2.pmax (v128.load (local.get $p)) (local.get $lo)))
      (local.set $k (f64x2.nearest (f64x2.mul (local.get $y) (local.get $log2e))))
      (local.set $r (f64x2.sub
        (f64x2.sub (local.get $y) (f64x2.mul (local.get $k) (local.get $ln2hi)))
        (f64x2.mul (local.get $k) (local.get $ln2lo))))
      (local.set $r2 (f64x2.mul (local.get $r) (local.get $r)))
      (local.set $r4 (f64x2.mul (local.get $r2) (local.get $r2)))
      (v128.store (local.get $p)
        (f64x2.mul
          (f64x2.add
            (f64x2.add
              (f64x2.add (f64x2.add (local.get $c0) (local.get $r)) (f64x2.mul (f64x2.add (local.get $c2) (f64x2.mul (local.get $c3) (local.get $r))) (local.get $r2)))
              (f64x2.mul (f64x2.add (f64x2.add (local.get $c4) (f64x2.mul (local.get $c5) (local.get $r))) (f64x2.mul (f64x2.add (local.get $c6) (f64x2.mul (local.get $c7) (local.get $r))) (local.get $r2))) (local.get $r4)))
            (f64x2.mul
              (f64x2.add
                (f64x2.add (f64x2.add (local.get $c8) (f64x2.mul (local.get $c9) (local.get $r))) (f64x2.mul (f64x2.add (local.get $c10) (f64x2.mul (local.get $c11) (local.get $r))) (local.get $r2)))
                (f64x2.mul (f64x2.add (local.get $c12) (f64x2.mul (local.get $c13) (local.get $r))) (local.get $r4)))
              (f64x2.mul (local.get $r4) (local.get $r4))))
          (i64x2.shl (i64x2.sub (f64x2.add (local.get $k) (local.get $round)) (local.get $bias)) (i32.const 52))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br $l))))

  ;; hsum(v) = lane 0 + lane 1.
  (func $hsum (param $v v128) (result f64)
    (f64.add (f64x2.extract_lane 0 (local.get $v)) (f64x2.extract_lane 1 (local.get $v))))

  ;; drawMask(kk, m): both lanes of the draw pair (kk, kk + 1), or only the first when kk + 1 = m
  ;; (odd m: the padding lane's contributions are zeroed by a bit mask, since a multiplication by 0
  ;; would turn an overflowed Inf into NaN).
  (func $drawMask (param $kk i32) (param $m i32) (result v128)
    (if (result v128) (i32.lt_u (i32.add (local.get $kk) (i32.const 1)) (local.get $m))
      (then (v128.const i64x2 -1 -1))
      (else (v128.const i64x2 -1 0))))

  ;; stageCosts(a, b, ns, z, m, acc): c_sm = e^min(a_s + b_s·z_m, 709) for every stage s < ns and
  ;; draw m (z: m doubles followed by one 0) into row s of acc (rows of (m + 1) & ~1 doubles), i.e.
  ;; the exponential clamped to [−700, 709] (e^709 ≈ 8.2e307 instead of Inf above, e^−700 below: costs
  ;; that far out do not occur, and the JS cost bounds in src/acquisition/cost.ts clamp the same
  ;; way). Returns the byte offset just past the last row.
  (func $stageCosts (param $a i32) (param $b i32) (param $ns i32) (param $z i32) (param $m i32) (param $acc i32) (result i32)
    (local $s i32) (local $pe i32) (local $pz i32) (local $ze i32) (local $as v128) (local $bs v128)
    (local.set $ze (i32.add (local.get $z) (i32.shl (i32.and (i32.add (local.get $m) (i32.const 1)) (i32.const -2)) (i32.const 3))))
    (local.set $pe (local.get $acc))
    (block $sd (loop $sl
      (br_if $sd (i32.ge_u (local.get $s) (local.get $ns)))
      (local.set $as (v128.load64_splat (i32.add (local.get $a) (i32.shl (local.get $s) (i32.const 3)))))
      (local.set $bs (v128.load64_splat (i32.add (local.get $b) (i32.shl (local.get $s) (i32.const 3)))))
      (local.set $pz (local.get $z))
      (block $kd (loop $kl
        (br_if $kd (i32.ge_u (local.get $pz) (local.get $ze)))
        (v128.store (local.get $pe)
          (f64x2.min (f64x2.add (local.get $as) (f64x2.mul (local.get $bs) (v128.load (local.get $pz)))) (f64x2.splat (f64.const 709))))
        (local.set $pe (i32.add (local.get $pe) (i32.const 16)))
        (local.set $pz (i32.add (local.get $pz) (i32.const 16)))
        (br $kl)))
      (local.set $s (i32.add (local.get $s) (i32.const 1)))
      (br $sl)))
    (call $expInPlace (local.get $acc) (local.get $pe))
    (local.get $pe))

  ;; invCostGrad(a, b, ns, fixed, z, m, acc, out): Monte-Carlo E[1/C] with C_m = fixed +
  ;; Σ_s c_sm over ns stages and m draws (c_sm from $stageCosts), and its gradient. acc: scratch of
  ;; ns + 1 rows of (m + 1) & ~1 doubles. Writes out[0] = E[1/C], out[1] = E[C],
  ;; out[2 + s] = ∂E/∂a_s = −(1/m)Σ_m c_sm/C_m², out[2 + ns + s] = ∂E/∂b_s = −(1/m)Σ_m z_m·c_sm/C_m².
  ;; Draws two at a time, each sum over the draws in increasing order (C_m over the stages in
  ;; increasing order); the stage costs are computed for all draws first, then C, then the
  ;; gradient stage by stage with its sums in registers.
  (func (export "invCostGrad") (param $a i32) (param $b i32) (param $ns i32) (param $fixed f64) (param $z i32)
      (param $m i32) (param $acc i32) (param $out i32)
    (local $kk i32) (local $s i32) (local $row i32) (local $ce i32) (local $pe i32) (local $pw i32)
    (local $mask v128) (local $total v128) (local $inv v128) (local $g v128) (local $value v128) (local $cost v128)
    (local $da v128) (local $db v128) (local $md f64)
    (local.set $row (i32.shl (i32.and (i32.add (local.get $m) (i32.const 1)) (i32.const -2)) (i32.const 3)))
    ;; rows 0..ns−1: c_s; row ns: 1/C² per draw
    (local.set $ce (call $stageCosts (local.get $a) (local.get $b) (local.get $ns) (local.get $z) (local.get $m) (local.get $acc)))
    (local.set $pw (local.get $ce))
    (block $kd (loop $kl
      (br_if $kd (i32.ge_u (local.get $kk) (local.get $m)))
      (local.set $mask (call $drawMask (local.get $kk) (local.get $m)))
      (local.set $total (f64x2.splat (local.get $fixed)))
      (local.set $pe (i32.add (local.get $acc) (i32.shl (local.get $kk) (i32.const 3))))
      (block $sd (loop $sl
        (br_if $sd (i32.ge_u (local.get $pe) (local.get $ce)))
        (local.set $total (f64x2.add (local.get $total) (v128.load (local.get $pe))))
        (local.set $pe (i32.add (local.get $pe) (local.get $row)))
        (br $sl)))
      (local.set $inv (v128.and (f64x2.div (f64x2.splat (f64.const 1)) (local.get $total)) (local.get $mask)))
      (local.set $value (f64x2.add (local.get $value) (local.get $inv)))
      (local.set $cost (f64x2.add (local.get $cost) (v128.and (local.get $total) (local.get $mask))))
      (v128.store (local.get $pw) (f64x2.mul (local.get $inv) (local.get $inv)))
      (local.set $pw (i32.add (local.get $pw) (i32.const 16)))
      (local.set $kk (i32.add (local.get $kk) (i32.const 2)))
      (br $kl)))
    (local.set $md (f64.convert_i32_u (local.get $m)))
    (f64.store (local.get $out) (f64.div (call $hsum (local.get $value)) (local.get $md)))
    (f64.store offset=8 (local.get $out) (f64.div (call $hsum (local.get $cost)) (local.get $md)))
    (local.set $pe (local.get $acc))
    (block $sd (loop $sl
      (br_if $sd (i32.ge_u (local.get $s) (local.get $ns)))
      (local.set $da (f64x2.splat (f64.const 0)))
      (local.set $db (f64x2.splat (f64.const 0)))
      (local.set $pw (local.get $ce))
      (local.set $kk (i32.const 0))
      (block $gd (loop $gl
        (br_if $gd (i32.ge_u (local.get $kk) (local.get $m)))
        (local.set $g (v128.and (f64x2.mul (v128.load (local.get $pe)) (v128.load (local.get $pw)))
          (call $drawMask (local.get $kk) (local.get $m))))
        (local.set $da (f64x2.sub (local.get $da) (local.get $g)))
        (local.set $db (f64x2.sub (local.get $db)
          (f64x2.mul (v128.load (i32.add (local.get $z) (i32.shl (local.get $kk) (i32.const 3)))) (local.get $g))))
        (local.set $pe (i32.add (local.get $pe) (i32.const 16)))
        (local.set $pw (i32.add (local.get $pw) (i32.const 16)))
        (local.set $kk (i32.add (local.get $kk) (i32.const 2)))
        (br $gl)))
      (f64.store offset=16 (i32.add (local.get $out) (i32.shl (local.get $s) (i32.const 3)))
        (f64.div (call $hsum (local.get $da)) (local.get $md)))
      (f64.store offset=16 (i32.add (local.get $out) (i32.shl (i32.add (local.get $s) (local.get $ns)) (i32.const 3)))
        (f64.div (call $hsum (local.get $db)) (local.get $md)))
      (local.set $s (i32.add (local.get $s) (i32.const 1)))
      (br $sl))))

  ;; invCostPrefix(a, b, ns, eps, z, m, acc, out, mean): E[1/C_δ] for every δ = 0..ns−1 at once,
  ;; C_δ = δ·eps + Σ_{s≥δ} c_s (c_s from $stageCosts), by suffix sums over the stages (acc: scratch
  ;; of ns + 1 rows of (m + 1) & ~1 doubles, the last one for the suffix sums; z as in invCostGrad).
  ;; out[δ] = E[1/C_δ], mean[δ] = E[C_δ].
  (func (export "invCostPrefix") (param $a i32) (param $b i32) (param $ns i32) (param $eps f64) (param $z i32)
      (param $m i32) (param $acc i32) (param $out i32) (param $mean i32)
    (local $kk i32) (local $s i32) (local $pa i32) (local $pt i32) (local $pe i32) (local $row i32) (local $tail i32)
    (local $mask v128) (local $t v128) (local $inverse v128) (local $cost v128) (local $fixed f64)
    (local.set $row (i32.shl (i32.and (i32.add (local.get $m) (i32.const 1)) (i32.const -2)) (i32.const 3)))
    (local.set $tail (call $stageCosts (local.get $a) (local.get $b) (local.get $ns) (local.get $z) (local.get $m) (local.get $acc)))
    (memory.fill (local.get $tail) (i32.const 0) (local.get $row))
    (local.set $s (local.get $ns))
    (block $sd (loop $sl
      (br_if $sd (i32.eqz (local.get $s)))
      (local.set $s (i32.sub (local.get $s) (i32.const 1)))
      (local.set $pa (i32.shl (local.get $s) (i32.const 3)))
      (local.set $fixed (f64.mul (f64.convert_i32_u (local.get $s)) (local.get $eps)))
      (local.set $inverse (f64x2.splat (f64.const 0)))
      (local.set $cost (f64x2.splat (f64.const 0)))
      (local.set $pe (i32.add (local.get $acc) (i32.mul (local.get $s) (local.get $row))))
      (local.set $pt (local.get $tail))
      (local.set $kk (i32.const 0))
      (block $kd (loop $kl
        (br_if $kd (i32.ge_u (local.get $kk) (local.get $m)))
        (local.set $mask (call $drawMask (local.get $kk) (local.get $m)))
        (local.set $t (f64x2.add (v128.load (local.get $pt)) (v128.load (local.get $pe))))
        (v128.store (local.get $pt) (local.get $t))
        (local.set $inverse (f64x2.add (local.get $inverse)
          (v128.and (f64x2.div (f64x2.splat (f64.const 1)) (f64x2.add (f64x2.splat (local.get $fixed)) (local.get $t))) (local.get $mask))))
        (local.set $cost (f64x2.add (local.get $cost) (v128.and (local.get $t) (local.get $mask))))
        (local.set $pe (i32.add (local.get $pe) (i32.const 16)))
        (local.set $pt (i32.add (local.get $pt) (i32.const 16)))
        (local.set $kk (i32.add (local.get $kk) (i32.const 2)))
        (br $kl)))
      (f64.store (i32.add (local.get $out) (local.get $pa))
        (f64.div (call $hsum (local.get $inverse)) (f64.convert_i32_u (local.get $m))))
      (f64.store (i32.add (local.get $mean) (local.get $pa))
        (f64.add (local.get $fixed) (f64.div (call $hsum (local.get $cost)) (f64.convert_i32_u (local.get $m)))))
      (br $sl))))
)
