/**
 * WebAssembly SIMD (f64x2) versions of the triangular solves that dominate GP prediction
 * (source: kernels.wat; about 3× faster than the plain-JS loops in V8). Each caller owns a
 * {@link WasmKernels} with its own linear memory, so a model's Cholesky factor is copied in once
 * and stays there. When WebAssembly SIMD is unavailable, {@link createWasmKernels} returns `null`
 * and callers use the JS loops of ./cholesky.ts.
 */
import { KERNELS_WASM_BASE64 } from './wasm-kernels.js';

/** Kernels bound to one linear memory; all offsets are in doubles (8-byte units). */
export interface WasmKernels {
  /** The whole linear memory as doubles. */
  readonly heap: Float64Array;
  /**
   * Forward substitution for 4 right-hand sides stored interleaved at `v` (element k of
   * right-hand side p at v + 4k + p), L row-major n×n at `l`. Bit-identical to
   * `solveLowerRowsInPlace` for each right-hand side.
   */
  solve4(l: number, v: number, n: number): void;
  /** {@link solve4} for 8 interleaved right-hand sides (v + 8k + p); also bit-identical. */
  solve8(l: number, v: number, n: number): void;
  /** L·x = b in place for one right-hand side at `b` (agrees with the JS loop to rounding). */
  forward1(l: number, b: number, n: number): void;
  /** Lᵀ·x = b in place for one right-hand side at `b`. */
  backward1(l: number, b: number, n: number): void;
}

/** The part of the WebAssembly JS API used here (the project's `lib` has no DOM types). */
interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Memory: new (descriptor: { initial: number }) => { readonly buffer: ArrayBuffer };
  readonly Instance: new (module: object, imports: object) => { readonly exports: unknown };
}

const wasmApi = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
let compiled: object | null | undefined;
let enabled = true;

function kernelsModule(): object | null {
  if (compiled === undefined) {
    compiled = null;
    if (wasmApi !== undefined) {
      try {
        const binary = atob(KERNELS_WASM_BASE64);
        const bytes = new Uint8Array(binary.length);
        for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
        compiled = new wasmApi.Module(bytes);
      } catch {
        // No SIMD support: the JS loops take over.
        compiled = null;
      }
    }
  }
  return compiled;
}

/**
 * Kernels with a private linear memory of at least `doubles` doubles, or `null` when WebAssembly
 * SIMD is not available (or has been switched off by {@link setWasmEnabled}).
 */
export function createWasmKernels(doubles: number): WasmKernels | null {
  const module = enabled ? kernelsModule() : null;
  if (module === null || wasmApi === undefined) return null;
  const pages = Math.max(1, Math.ceil((doubles * 8) / 65536));
  if (pages > 65536) return null;
  let memory: { readonly buffer: ArrayBuffer };
  try {
    memory = new wasmApi.Memory({ initial: pages });
  } catch {
    return null;
  }
  const instance = new wasmApi.Instance(module, { env: { memory } });
  const exports = instance.exports as unknown as {
    solve4(l: number, v: number, n: number): void;
    solve8(l: number, v: number, n: number): void;
    forward1(l: number, b: number, n: number): void;
    backward1(l: number, b: number, n: number): void;
  };
  return {
    heap: new Float64Array(memory.buffer),
    solve4: (l, v, n) => exports.solve4(l * 8, v * 8, n),
    solve8: (l, v, n) => exports.solve8(l * 8, v * 8, n),
    forward1: (l, b, n) => exports.forward1(l * 8, b * 8, n),
    backward1: (l, b, n) => exports.backward1(l * 8, b * 8, n),
  };
}

/**
 * Switches the WebAssembly kernels on or off for models created afterwards (for tests and
 * benchmarks comparing both paths). @default true
 */
export function setWasmEnabled(value: boolean): void {
  enabled = value;
}
