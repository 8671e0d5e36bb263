/**
 * The in-process benchmark harness: runs optimizer methods on synthetic pipelines with prefix
 * memoization and the paper's budget accounting, then summarizes and plots the comparison.
 */
export { PrefixMemo } from './memo.js';
export type { PrefixLookup } from './memo.js';
export { runMetrics } from './metrics.js';
export type { RunMetrics } from './metrics.js';
export { DEFAULT_SUGGEST_MODULE, loadSuggest, runBench } from './pool.js';
export type { BenchProgress, RunBenchOptions } from './pool.js';
export { bestSoFarCurve, cumulativeCostCurve, renderSvg, summaryMarkdown, writeReportPlots } from './report.js';
export type { BandPoint } from './report.js';
export { createRng } from './rng.js';
export type { Rng } from './rng.js';
export { runStudy } from './runner.js';
export type { BenchRun, BenchTrial, RunStudyOptions, SuggestFn } from './runner.js';
export { mean, pairedBootstrap, quantile, standardError } from './stats.js';
export type { BootstrapOptions, Interval } from './stats.js';
export { BASELINE_METHODS, summarizeBench } from './summary.js';
export type { BenchSummary, HeadlineComparison, MeanSe, MethodSummary, SummaryOptions } from './summary.js';
