/** `memotune bench --set key=value` (src/cli/commands/bench.ts): values checked by the optimizer's rules. */
import { describe, expect, it } from 'vitest';
import { collectSetting } from '../../../src/cli/commands/bench.js';

describe('bench --set', () => {
  it('takes the unpinned check as true, false or guarded', () => {
    expect(collectSetting('unpinnedCheck=guarded', {})).toEqual({ unpinnedCheck: 'guarded' });
    expect(collectSetting('unpinnedCheck=false', { topQ: 3 })).toEqual({ topQ: 3, unpinnedCheck: false });
    expect(collectSetting('unpinnedCheck=true', {})).toEqual({ unpinnedCheck: true });
    expect(() => collectSetting('unpinnedCheck=always', {})).toThrow("unpinnedCheck must be true, false or 'guarded'");
  });

  it("takes the unpinned search's share of local runs as shared, full or auto", () => {
    expect(collectSetting('unpinnedSearch=full', { topQ: 3 })).toEqual({ topQ: 3, unpinnedSearch: 'full' });
    expect(() => collectSetting('unpinnedSearch=true', {})).toThrow(
      "unpinnedSearch must be 'shared', 'full' or 'auto'",
    );
  });

  it('takes cost-aware stopping as true or false only', () => {
    expect(collectSetting('costAwareStopping=true', {})).toEqual({ costAwareStopping: true });
    expect(() => collectSetting('costAwareStopping=guarded', {})).toThrow('costAwareStopping must be true or false');
  });

  it('takes the local search from the best configuration as true or false only', () => {
    expect(collectSetting('localSearchFromBest=false', {})).toEqual({ localSearchFromBest: false });
    expect(() => collectSetting('localSearchFromBest=1', {})).toThrow('localSearchFromBest must be true or false');
    expect(collectSetting('keepReuseSaving=true', {})).toEqual({ keepReuseSaving: true });
    expect(() => collectSetting('keepReuseSaving=yes', {})).toThrow('keepReuseSaving must be true or false');
  });
});
