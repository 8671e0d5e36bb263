/**
 * One Bayesian-optimization step of the EEIPU family (shared/docs/eeipu.md):
 *
 *   maximize over prefixes p ∈ P and free dims x:  α(x; δ) = log EI(x) + η·log E[1/C_δ(x)]
 *
 * 1. Models (models.ts): objective GP on successful trials (y' = ±objective; with
 *    `settings.failedTrials` 'worst' failed ones too, at the worst y' seen); cost models per
 *    method; hyperparameters from `state` are reused until the history grows by `settings.refitGrowth`;
 *    above SCREEN_MAX_POINTS trials (DataLimits) the search runs on a screening GP (screening.ts) and
 *    finalists are re-scored.
 * 2. η (cost-cooling.ts) = (B − B_used)/(B − B_0) clamped to [0, 1] (B_0 = charged cost of
 *    warm-up trials), or the fixed `settings.eta` when given; 1 for `eips`; the cost term is
 *    dropped when η = 0 (then α = log EI exactly) and for `ei`. α itself: acquisition/eeipu.ts.
 * 3. Pool P (prefix-pool.ts) = {∅} ∪ proper prefixes of the top-Q post-warm-up trials (eeipu
 *    only), deduplicated by canonical JSON of the raw prefix values.
 * 4. R scrambled-Sobol raw points (shared by all prefixes), snapped to representable values;
 *    for prefix p the first δ stages are overwritten by p's encoding (raw-scoring.ts). Each
 *    stage's cost draws are computed once per raw point and reused by every prefix (suffix sums),
 *    and only for raw points whose α upper bound can still reach the refinement starts.
 * 5. (refinement.ts) The best `startsPerPrefix` raw points of each prefix and the restarts − 1
 *    best other (prefix, point) pairs overall start a bounded L-BFGS on the free continuous
 *    dims (floats and relaxed ints of the unpinned stages; categorical one-hot dims stay at the
 *    start's choice, so categories are searched by the raw samples), with analytic gradients
 *    through log EI and the Monte-Carlo cost mean. With `settings.localSearchFromBest` one more
 *    unpinned run starts next to the best observed configuration. Results are snapped (ints
 *    rounded) and re-scored.
 * 6. Winner (candidate-order.ts): highest α; ties → shorter prefix; candidates whose
 *    configuration was already observed or is running are skipped unless nothing else is left
 *    (exhausted space, or only running configurations left: wait for them). With the option
 *    `settings.unpinnedCheck` a pinned winner must also beat one unpinned local run started at
 *    its point (unpinned-check.ts; `'guarded'`: and the run's point must have a posterior mean
 *    at least the winner's).
 * Finite spaces with at most ENUMERATION_LIMIT configurations are enumerated instead of sampled.
 *
 * PBGI ('pbgi': total-cost model; 'pbgi-memo': stage-cost models and the prefix pool) runs the same
 * step with α = the Pandora's Box Gittins index at cost w·E[C_δ] (acquisition/pbgi-acquisition.ts),
 * w = λ × the study's exchange rate (cost-exchange.ts), λ on PBGI-D's schedule carried in the state.
 * With `costAwareStopping` the step also returns the stopping evidence (stopping-evidence.ts).
 *
 * Running trials (`request.pending`, see PendingHandling in pending-handling.ts): the objective
 * GP is conditioned on them at its posterior mean (kriging believer), the proper prefixes of
 * those started after warm-up join the pool at ε per stage (single flight: they are in the cache
 * by the time a new trial needs them), and η counts their predicted cost as used. With nothing
 * running every step is exactly the sequential one.
 */
import { reusesPrefixes } from '../core/methods.js';
import type { Configuration, MethodName, OptimizerSettings, SuggestRequest, Suggestion } from '../core/types.js';
import { Acquisition, decayedLambda, GittinsAcquisition, PBGI_DECAY, type CostKind } from '../acquisition/index.js';
import { GaussianProcess } from '../gp/index.js';
import { createRandom, hashIntegers, quasiNormals, SobolSequence } from '../random/index.js';
import type { SpaceEncoding } from '../space/index.js';
import { CandidateOrder, type Candidate } from './candidate-order.js';
import { costExponent } from './cost-cooling.js';
import { objectivePerCost } from './cost-exchange.js';
import { configKey, ENUMERATION_LIMIT, nearPending, type Exclusions } from './design.js';
import { fitStageCostModels, fitTotalCostModel } from './models.js';
import type { CostModel } from './models.js';
import { DEFAULT_PENDING_HANDLING, runningBoTrials, type PendingHandling } from './pending-handling.js';
import { candidateConfig, prefixPool } from './prefix-pool.js';
import { scoreRawPairs } from './raw-scoring.js';
import { refineStarts } from './refinement.js';
import { SHIPPED_DATA_LIMITS, screeningSubset, type DataLimits } from './screening.js';
import { readState, writeState } from './state.js';
import { stoppingWeight } from './stopping-evidence.js';
import { STREAM_BEST, STREAM_GP, STREAM_MC, STREAM_RAW } from './streams.js';
import { unpinnedAlternative, unpinnedWins } from './unpinned-check.js';

/** Which cost models a method's α uses (shared/docs/eeipu.md, the methods' table; PBGI likewise). */
function costKindOf(method: MethodName): CostKind {
  if (method === 'eeipu' || method === 'ms-carbo' || method === 'pbgi-memo') return 'stage';
  if (method === 'carbo' || method === 'eips' || method === 'pbgi') return 'total';
  return 'none';
}

/**
 * Runs one BO step; returns null when no trial has succeeded yet (nothing to model).
 */
export function boSuggest(
  request: SuggestRequest,
  encoding: SpaceEncoding,
  settings: Required<OptimizerSettings>,
  excluded: Exclusions,
  handling: PendingHandling = DEFAULT_PENDING_HANDLING,
  limits: DataLimits = SHIPPED_DATA_LIMITS,
): Suggestion | null {
  const started = performance.now();
  const { history, seed } = request;
  const pending = request.pending ?? [];
  const n = history.length;
  // Index of the trial being suggested: keys every random stream (= n when nothing is running).
  const k = n + pending.length;
  const sign = request.direction === 'minimize' ? -1 : 1;
  const method = settings.method;
  const kind = costKindOf(method);
  const successful = history.filter((obs) => obs.objective !== null);
  if (successful.length === 0) return null;

  const encoded = history.map((obs) => encoding.encode(obs.config));
  const xs: Float64Array[] = [];
  const ys: number[] = [];
  history.forEach((obs, i) => {
    if (obs.objective === null) return;
    xs.push(encoded[i]!);
    ys.push(sign * obs.objective);
  });
  // f* stays the best OBSERVED value: neither a failed trial's stand-in nor a believed (fantasy)
  // value is an improvement.
  const best = Math.max(...ys);
  if (settings.failedTrials === 'worst') {
    // A failed trial as the worst value seen so far (SMAC's crash cost): the GP learns that the
    // region around it is bad, and EI stops proposing its neighbours.
    const worst = Math.min(...ys);
    history.forEach((obs, i) => {
      if (obs.objective !== null) return;
      xs.push(encoded[i]!);
      ys.push(worst);
    });
  }
  const previous = readState(request.state, encoding.dimension, kind);
  const gpSeed = hashIntegers([seed, k, STREAM_GP], 1)[0]!;

  // Hyperparameters are refitted (warm-started) once the history has grown by refitGrowth since
  // the state's fit, otherwise reused as they are: one more point hardly moves a MAP estimate.
  const reuse =
    previous.objective !== undefined &&
    previous.fittedAt > 0 &&
    previous.fittedAt <= n &&
    n - previous.fittedAt < Math.max(1, Math.floor(settings.refitGrowth * previous.fittedAt));
  const fittedAt = reuse ? previous.fittedAt : n;
  const fitted = reuse
    ? GaussianProcess.fromHyperparameters(xs, ys, previous.objective!)
    : GaussianProcess.fit(xs, ys, {
        seed: gpSeed,
        ...(previous.objective ? { warmStart: previous.objective } : {}),
        ...(previous.objective && previous.objectiveCurvature ? { warmCurvature: previous.objectiveCurvature } : {}),
        ...(limits.fitPoints === undefined ? {} : { maxFitPoints: limits.fitPoints }),
      });
  const screenRows = screeningSubset(ys, limits.screenPoints);
  const exactScreen = screenRows.length === ys.length;
  // Kriging believer: the running configurations as if observed at the posterior mean (same
  // hyperparameters, no refit). The mean is unchanged; the variance around them shrinks, so EI
  // stops pointing at what is already being evaluated.
  const believed = handling.believe ? pending.map((trial) => encoding.encode(trial.config)) : [];
  const objective = fitted.believe(believed);
  let incumbent = best;
  if (handling.incumbent === 'believed' && believed.length > 0) {
    for (const value of fitted.predict(believed).mean) if (value > incumbent) incumbent = value;
  }
  const screening = exactScreen
    ? objective
    : GaussianProcess.fromHyperparameters(
        screenRows.map((i) => xs[i]!),
        screenRows.map((i) => ys[i]!),
        fitted.hyperparameters,
      ).believe(believed);
  const tObjective = performance.now();

  let costs: CostModel[] = [];
  if (kind === 'stage') costs = fitStageCostModels(encoding, history, encoded, gpSeed, previous.costs, reuse);
  else if (kind === 'total')
    costs = [fitTotalCostModel(encoding, history, encoded, gpSeed, previous.costs?.[0], reuse)];
  const tCosts = performance.now();

  const z = kind === 'none' ? new Float64Array(0) : quasiNormals(settings.mcSamples, createRandom(seed, k, STREAM_MC));
  const gittins = method === 'pbgi' || method === 'pbgi-memo';
  // Cost cooling under running trials: their predicted cost is as good as spent (they will be
  // charged whatever happens), so η sees the budget left for this decision, like the study loop's
  // reservation rule. Measured in docs/optimizer.md ("Pending trials").
  let committedCost = 0;
  if (handling.eta === 'committed' && kind !== 'none' && !gittins && pending.length > 0) {
    const pricing = new Acquisition(objective, screening, incumbent, costs, kind, 1, settings.epsilon, z);
    for (const trial of pending) {
      committedCost += pricing.predictedCost(encoding.encode(trial.config), trial.cachedPrefix) ?? 0;
    }
  }
  const used = request.budget.spent + committedCost;
  // η is not PBGI's (its cost is never cooled); 1 as for eips, where the cost also counts in full.
  const eta =
    method === 'eips' || gittins
      ? 1
      : kind === 'none'
        ? 0
        : (settings.eta ?? costExponent(history, request.budget.total, used));
  const exchangeRate = objectivePerCost(ys, history);
  // PBGI-D (Xie et al. 2024): λ starts at λ₀ and halves after a step whose winner's index did not
  // beat the incumbent (decayedLambda below), carried in the optimizer state (state.ts).
  const lambda = gittins ? (previous.pbgiLambda ?? PBGI_DECAY.initialLambda) : null;
  const acquisition =
    lambda !== null && kind !== 'none'
      ? new GittinsAcquisition(objective, screening, incumbent, costs, kind, settings.epsilon, z, lambda * exchangeRate)
      : new Acquisition(
          objective,
          screening,
          incumbent,
          costs,
          kind,
          eta,
          settings.epsilon,
          z,
          settings.keepReuseSaving && reusesPrefixes(method),
        );
  // Running trials' prefixes are priced at ε like cached ones: by the time the new trial needs
  // them a running trial has committed them (single flight), so only retrieval is charged.
  const shared =
    handling.sharePrefixes === 'none'
      ? []
      : handling.sharePrefixes === 'bo'
        ? runningBoTrials(history, pending, settings.warmup)
        : pending;
  const pool = reusesPrefixes(method)
    ? prefixPool(encoding, history, sign, settings.topQ, shared)
    : prefixPool(encoding, [], sign, 0);

  // Raw candidates: enumeration for small finite spaces, otherwise snapped scrambled Sobol.
  const enumerated = encoding.cardinality <= ENUMERATION_LIMIT;
  let raw: Float64Array[];
  if (enumerated) {
    raw = encoding.enumerate(ENUMERATION_LIMIT).map((config) => encoding.encode(config));
  } else {
    const d = encoding.dimension;
    const u = new SobolSequence(d, { scramble: createRandom(seed, k, STREAM_RAW) }).points(settings.rawSamples);
    raw = [];
    for (let j = 0; j < settings.rawSamples; j++) raw.push(encoding.snap(u.subarray(j * d, (j + 1) * d)));
  }
  const tTable = performance.now();

  const t0 = performance.now();
  const { scored, costRows, stoppingLogEipc } = scoreRawPairs(acquisition, screening, pool, raw, enumerated, settings);
  const tRaw = performance.now() - t0;

  const t1 = performance.now();
  // The best observed configuration: successful trials come first in xs, so never a failed one's stand-in.
  const bestStart = { point: xs[ys.indexOf(best)]!, random: createRandom(seed, k, STREAM_BEST) };
  const { refined, localRuns, localEvaluations } = refineStarts(
    acquisition,
    encoding,
    scored,
    enumerated,
    settings,
    bestStart,
  );
  const tLocal = performance.now() - t1;

  // The winner: the first candidate neither observed nor running (nor next to a running one:
  // design.ts, PENDING_RADIUS) in the order (exactly scored first — screening scores are not
  // comparable with them —, then α, then shorter prefix, then raw points by prefix and index, then
  // refined ones). Candidates are taken best-first by linear
  // scans: the first one almost always wins, so sorting thousands of raw pairs would be wasted.
  const ordering = new CandidateOrder(scored, refined, exactScreen);
  let winner: Candidate | undefined;
  let config: Configuration | undefined;
  let firstRunning: { candidate: Candidate; config: Configuration } | undefined;
  for (let c = ordering.next(); c !== undefined; c = ordering.next()) {
    const configuration = candidateConfig(encoding, c.prefix, c.x);
    const key = configKey(configuration);
    if (excluded.observed.has(key)) continue;
    if (!excluded.pending.has(key) && !nearPending(encoding, configuration, excluded)) {
      winner = c;
      config = configuration;
      break;
    }
    firstRunning ??= { candidate: c, config: configuration };
  }
  // Nothing new left: if some candidates are only running, the study should wait for them
  // (the returned running configuration is not to be run); otherwise the space is exhausted.
  const waitForPending = winner === undefined && firstRunning !== undefined;
  const exhausted = winner === undefined && firstRunning === undefined;
  if (firstRunning !== undefined && winner === undefined) {
    winner = firstRunning.candidate;
    config = firstRunning.config;
  }
  if (winner === undefined) {
    winner = ordering.first();
    config = candidateConfig(encoding, winner.prefix, winner.x);
  }
  // Option (unpinned-check.ts): a pinned winner must beat the unpinned search started at its point.
  let unpinnedCheck: 'kept' | 'replaced' | null = null;
  let checkEvaluations = 0;
  if (settings.unpinnedCheck && !enumerated && !waitForPending && !exhausted && winner.prefix.delta > 0) {
    unpinnedCheck = 'kept';
    const alternative = unpinnedAlternative(acquisition, encoding, winner);
    checkEvaluations = alternative?.evaluations ?? 0;
    const guard =
      settings.unpinnedCheck === 'guarded' ? (x: Float64Array) => objective.predict([x]).mean[0]! : undefined;
    if (alternative !== null && unpinnedWins(alternative.candidate, winner, guard)) {
      const configuration = candidateConfig(encoding, alternative.candidate.prefix, alternative.candidate.x);
      const key = configKey(configuration);
      if (
        !excluded.observed.has(key) &&
        !excluded.pending.has(key) &&
        !nearPending(encoding, configuration, excluded)
      ) {
        winner = alternative.candidate;
        config = configuration;
        unpinnedCheck = 'replaced';
      }
    }
  }
  const predictedCost = acquisition.predictedCost(winner.x, winner.prefix.delta);
  const finished = performance.now();

  return {
    config: config!,
    cachedPrefix: winner.prefix.delta,
    phase: 'bo',
    acquisition: Number.isFinite(winner.value) ? winner.value : null,
    predictedCost,
    diagnostics: {
      method,
      exhausted,
      waitForPending,
      pending: pending.length,
      eta,
      committedCost,
      ...(lambda === null ? {} : { pbgiLambda: lambda }),
      // Cost-aware stopping's evidence and weight (src/core/study-loop.ts decides), only when on.
      ...(settings.costAwareStopping
        ? { stoppingLogEipc, stoppingCostWeight: stoppingWeight(settings, exchangeRate) }
        : {}),
      poolSize: pool.length,
      runningPrefixes: pool.reduce((count, p) => count + (p.running ? 1 : 0), 0),
      delta: winner.prefix.delta,
      sharesRunningPrefix: winner.prefix.running,
      rawSamples: raw.length,
      enumerated,
      localRuns: localRuns + (unpinnedCheck === null ? 0 : 1),
      localEvaluations: localEvaluations + checkEvaluations,
      ...(unpinnedCheck === null ? {} : { unpinnedCheck }),
      observations: n,
      successful: successful.length,
      bestObserved: sign * best,
      refit: !reuse,
      warmStarted: !reuse && previous.objective !== undefined,
      objectiveJitter: objective.jitter,
      screeningPoints: screenRows.length,
      costJitterMax: costs.reduce((m, c) => Math.max(m, c.jitter), 0),
      fitObjectiveMs: tObjective - started,
      fitCostMs: tCosts - tObjective,
      costRows,
      setupMs: tTable - tCosts,
      rawScoreMs: tRaw,
      localOptMs: tLocal,
      totalMs: finished - started,
    },
    state: writeState(
      encoding.dimension,
      kind,
      fittedAt,
      objective.hyperparameters,
      costs.map((c) => c.hyperparameters),
      reuse ? previous.objectiveCurvature : fitted.fitInfo?.curvature,
      lambda === null ? null : decayedLambda(lambda, winner.value, best),
    ),
  };
}
