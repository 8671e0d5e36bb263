import { randomUUID } from 'node:crypto';
import { S3ObjectStore } from '../../src/storage/s3-object-store.js';
import { describeObjectStore } from '../conformance/object-store.js';
import { testStack } from './harness.js';

// The same conformance suite as the in-memory store, against the real S3 server.
describeObjectStore('S3 (versitygw)', async () => {
  const store = S3ObjectStore.fromSettings({ ...testStack().servers.s3, keyPrefix: `conformance-${randomUUID()}/` });
  await store.ensureBucket();
  return store;
});
