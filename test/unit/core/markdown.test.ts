import { describe, expect, it } from 'vitest';
import { markdownText } from '../../../src/core/markdown.js';

describe('markdownText', () => {
  it('writes HTML as text and escapes Markdown punctuation, so a name renders as itself', () => {
    expect(markdownText('<img src=x onerror=alert("s")>')).toBe('&lt;img src=x onerror=alert\\("s"\\)&gt;');
    expect(markdownText('[click](https://evil) *b* `c` a_b #h x.y &amp;')).toBe(
      '\\[click\\]\\(https://evil\\) \\*b\\* \\`c\\` a\\_b \\#h x\\.y &amp;amp;',
    );
    expect(markdownText('digits-pipeline v2')).toBe('digits\\-pipeline v2');
  });
});
