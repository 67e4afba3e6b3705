// Entry point of the benchmark's peak module (bench/conv.bench.ts): the machine's f32x4
// multiply-add peak as each build's madd4 sees it, in a module of its own so that the kernels the
// package ships do not carry a loop only the benchmark runs (the main module is within bytes of
// its 15 KB gzipped budget, test/runtimes/browser.test.ts).
export { simdPeakLoop, simdPeakFlopsPerIter } from './conv/peak';
