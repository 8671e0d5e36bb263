// Starts the study with the Temporal client and waits for its result (or: memotune study start).
import { Client, Connection } from '@temporalio/client';
import { getStudyOutcome, startStudy } from 'memotune';
import { study } from './study.js';

const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233' });
try {
  const client = new Client({ connection });
  const { plan } = await startStudy(client, study, { studyId: `${study.name}-${Date.now()}` });
  console.log(`study ${plan.studyId} started; watch it with: npx memotune study status ${plan.studyId}`);
  // The outcome: status, trials, best. Every trial record: getStudyResult(client, id, { store })
  // with the workers' S3ObjectStore from 'memotune/storage', or `npx memotune study trials <id>`.
  const result = await getStudyOutcome(client, plan.studyId, { wait: true });
  console.log(`${result.status}: ${result.trials} trials, best ${JSON.stringify(result.best)}`);
} finally {
  await connection.close();
}
