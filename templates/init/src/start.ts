// Starts the study with the Temporal client and waits for its result (or: memotune study start).
// The connection: TEMPORAL_* variables, the Temporal config file's profile (TLS, API key), else
// the local stack of `memotune dev` — the same rules as the CLI and the workers.
import { connectTemporalClient, getStudyOutcome, startStudy } from 'memotune';
import { study } from './study.js';

const { client, close } = await connectTemporalClient();
try {
  const { plan } = await startStudy(client, study, { studyId: `${study.name}-${Date.now()}` });
  console.log(`study ${plan.studyId} started; watch it with: npx memotune study status ${plan.studyId}`);
  // The outcome: status, trials, best. Every trial record: getStudyResult(client, id, { store })
  // with the workers' S3ObjectStore from 'memotune/storage', or `npx memotune study trials <id>`.
  const result = await getStudyOutcome(client, plan.studyId, { wait: true });
  console.log(`${result.status}: ${result.trials} trials, best ${JSON.stringify(result.best)}`);
} finally {
  await close();
}
