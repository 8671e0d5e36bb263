import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..', '..');
const eslint = new ESLint({ cwd: root });

/** Lints `code` as if it were the workflow module at workflows/trial.ts. */
async function lintAsWorkflow(code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, 'workflows', 'trial.ts') });
  return (result?.messages ?? []).map((message) => message.message);
}

describe('the workflow lint rules', () => {
  it('reject Node built-ins, the AWS SDK and numeric code in workflow modules', async () => {
    const messages = await lintAsWorkflow(
      [
        "import { readFileSync } from 'node:fs';",
        "import { S3Client } from '@aws-sdk/client-s3';",
        "import { Matrix } from 'ml-matrix';",
        "import { suggest } from '../src/optimizer/index.js';",
        'export const used = [readFileSync, S3Client, Matrix, suggest];',
      ].join('\n'),
    );
    expect(messages.filter((m) => m.includes('Node built-ins'))).toHaveLength(1);
    expect(messages.filter((m) => m.includes('must not do I/O'))).toHaveLength(1);
    expect(messages.filter((m) => m.includes('no numeric work in workflow code'))).toHaveLength(2);
  });

  it('allow activities as types only', async () => {
    const typeOnly = await lintAsWorkflow(
      "import type { Activities } from '../activities/index.js';\nexport type A = Activities;\n",
    );
    expect(typeOnly).toEqual([]);
    const value = await lintAsWorkflow(
      "import { createActivities } from '../activities/index.js';\nexport const c = createActivities;\n",
    );
    expect(value.some((m) => m.includes('import activities as types only'))).toBe(true);
  });
});
