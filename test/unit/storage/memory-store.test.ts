import { MemoryObjectStore } from '../../../src/storage/object-store.js';
import { describeObjectStore } from '../../conformance/object-store.js';

describeObjectStore('in-memory', () => Promise.resolve(new MemoryObjectStore()));
