/** What the global setup hands every integration test file. */
export interface TestStack {
  readonly servers: {
    readonly temporalAddress: string;
    /** The Temporal Web UI (absent for servers run by hand without MEMOTUNE_TEST_UI_URL). */
    readonly uiUrl?: string;
    readonly s3: {
      readonly endpoint: string;
      readonly bucket: string;
      readonly accessKeyId: string;
      readonly secretAccessKey: string;
    };
  };
  readonly workflowBundlePath: string;
  /** The interpreter of the Python stage workers' venv. */
  readonly python: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    memotuneStack: TestStack;
  }
}
