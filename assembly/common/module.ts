// Facts about this module that the TypeScript loader needs.
import { IS_RELAXED } from './simd';

/** First free byte after static data: the TypeScript allocator starts here. */
export function heapBase(): usize {
  return __heap_base;
}

/** 1 for the relaxed-SIMD build, 0 for the SIMD128 build. */
export function isRelaxedBuild(): i32 {
  return IS_RELAXED ? 1 : 0;
}
