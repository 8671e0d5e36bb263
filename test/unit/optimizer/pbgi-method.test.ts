import { describe, expect, it } from 'vitest';
import { PBGI_DECAY } from '../../../src/acquisition/index.js';
import { costAwareHalt } from '../../../src/core/study-loop.js';
import type { MethodName, Observation, OptimizerSettings, Suggestion } from '../../../src/core/types.js';
import { suggest } from '../../../src/optimizer/index.js';
import { mixedSpace, observationsFrom, request } from './fixtures.js';

/** A sequential study on the fixture, handing each step's state to the next as a study does. */
function study(method: MethodName, steps: number, settings: OptimizerSettings = {}): Suggestion[] {
  const history: Observation[] = [];
  const out: Suggestion[] = [];
  let state: Suggestion['state'];
  for (let i = 0; i < steps; i++) {
    const base = request(mixedSpace, history, method);
    const s = suggest({ ...base, settings: { ...base.settings, ...settings }, ...(state ? { state } : {}) });
    out.push(s);
    state = s.state;
    const [obs] = observationsFrom([s.config], s.phase);
    history.push({ ...obs!, cachedPrefix: s.cachedPrefix });
  }
  return out;
}

describe("methods 'pbgi' and 'pbgi-memo'", () => {
  for (const method of ['pbgi', 'pbgi-memo'] as const) {
    it(`${method}: PBGI-D's λ starts at λ₀ and halves after a winner not above the incumbent`, () => {
      const first = study(method, 12);
      expect(study(method, 12).map((s) => s.config)).toEqual(first.map((s) => s.config));
      const bo = first.filter((s) => s.phase === 'bo');
      expect(bo.length).toBe(7);
      expect(bo[0]!.diagnostics.pbgiLambda).toBe(PBGI_DECAY.initialLambda);
      for (let t = 1; t < bo.length; t++) {
        const previous = bo[t - 1]!;
        const halved = previous.acquisition! <= (previous.diagnostics.bestObserved as number);
        const lambda = previous.diagnostics.pbgiLambda as number;
        expect(bo[t]!.diagnostics.pbgiLambda).toBe(halved ? lambda / 2 : lambda);
      }
      for (const s of bo) {
        expect(Number.isFinite(s.acquisition)).toBe(true);
        expect(s.predictedCost).toBeGreaterThan(0);
        if (method === 'pbgi') expect(s.cachedPrefix).toBe(0);
      }
    });
  }

  it('carries λ in the state, and restarts the schedule at λ₀ when the state is lost', () => {
    const history: Observation[] = [];
    let state: Suggestion['state'];
    for (let i = 0; i < 12; i++) {
      const s = suggest({ ...request(mixedSpace, history, 'pbgi'), ...(state ? { state } : {}) });
      state = s.state;
      const [obs] = observationsFrom([s.config], s.phase);
      history.push(obs!);
    }
    const lambda = state!.pbgiLambda as number;
    expect(lambda).toBeGreaterThan(0);
    const carried = suggest({ ...request(mixedSpace, history, 'pbgi'), state: state! });
    expect(carried.diagnostics.pbgiLambda).toBe(lambda);
    const { pbgiLambda: _lost, ...withoutLambda } = state!;
    const restarted = suggest({ ...request(mixedSpace, history, 'pbgi'), state: withoutLambda });
    expect(restarted.diagnostics.pbgiLambda).toBe(PBGI_DECAY.initialLambda);
  });

  it('leaves the states of the other methods without λ', () => {
    for (const s of study('eeipu', 7).filter((t) => t.phase === 'bo')) {
      expect(s.state?.pbgiLambda).toBeUndefined();
      expect(s.diagnostics.pbgiLambda).toBeUndefined();
    }
  });
});

describe('cost-aware stopping', () => {
  it('adds the evidence only when on, and leaves the trials unchanged', () => {
    for (const method of ['eeipu', 'pbgi-memo', 'eips'] as const) {
      const off = study(method, 8);
      const on = study(method, 8, { costAwareStopping: true });
      expect(on.map((s) => [s.config, s.cachedPrefix, s.acquisition])).toEqual(
        off.map((s) => [s.config, s.cachedPrefix, s.acquisition]),
      );
      for (const s of off) expect(s.diagnostics.stoppingLogEipc).toBeUndefined();
      for (const s of on.filter((t) => t.phase === 'bo')) {
        expect(typeof s.diagnostics.stoppingLogEipc).toBe('number');
        expect(s.diagnostics.stoppingCostWeight).toBeGreaterThan(0);
      }
    }
  });

  it('uses the given weight, and has no evidence without a cost model', () => {
    const [s] = study('eeipu', 7, { costAwareStopping: true, stoppingCostWeight: 0.25 }).slice(-1);
    expect(s!.diagnostics.stoppingCostWeight).toBe(0.25);
    const [ei] = study('ei', 7, { costAwareStopping: true }).slice(-1);
    expect(ei!.diagnostics.stoppingLogEipc).toBeNull();
    expect(costAwareHalt(ei!)).toBeNull();
  });

  it('halts when max EI per expected cost is at most the weight, with the reason', () => {
    const [on] = study('eeipu', 7, { costAwareStopping: true }).slice(-1);
    const logEipc = on!.diagnostics.stoppingLogEipc as number;
    const at = (weight: number) => ({ ...on!, diagnostics: { ...on!.diagnostics, stoppingCostWeight: weight } });
    expect(costAwareHalt(at(2 * Math.exp(logEipc)))).toEqual({
      status: 'completed',
      error: null,
      earlyStop: 'costAwareStopping',
      // What it compared: the best log(EI / cost) and log(weight), for `study status` to show.
      evidence: { bestLogEipc: logEipc, logThreshold: Math.log(2 * Math.exp(logEipc)) },
    });
    expect(costAwareHalt(at(0.5 * Math.exp(logEipc)))).toBeNull();
    // Warm-up trials are never stopped.
    expect(costAwareHalt({ ...at(2 * Math.exp(logEipc)), phase: 'warmup' })).toBeNull();
  });
});
