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

  ;; forward1(l, b, n): L·x = b in place for one right-hand side (byte offsets). Two rows of L at
  ;; a time, dot products two lanes wide (summation order differs from the JS loop: results agree
  ;; to rounding, not bit for bit).
  (func (export "forward1") (param $l i32) (param $b i32) (param $n i32)
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
  (func (export "backward1") (param $l i32) (param $b i32) (param $n i32)
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
)
