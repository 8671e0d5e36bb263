/**
 * `text` as literal Markdown text: HTML's `<`, `>`, `&` as entities, Markdown's punctuation
 * backslash-escaped. The Temporal UI renders a workflow's details as Markdown (HTML included):
 * a stage named `<img src=x onerror=…>` became an image there (a security review; the UI's
 * sandbox stopped the script, not the markup).
 */
export function markdownText(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|~<>&]/g, (character) =>
    character === '<' ? '&lt;' : character === '>' ? '&gt;' : character === '&' ? '&amp;' : `\\${character}`,
  );
}
