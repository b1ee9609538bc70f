import type { TestProject } from 'vitest/node';
import { startTestServices } from '../support/services.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Bootstrap servers of the run's one broker, comma-separated. */
    kafkaBrokers: string;
    /** A MongoDB-wire server with change streams. */
    mongodbUrl: string;
  }
}

/** Starts one broker and one Mongo-wire server for the whole integration run, and stops them after it. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const services = await startTestServices();
  console.log(`[probestream] test services ready in ${Date.now() - started} ms: ${services.description}`);
  project.provide('kafkaBrokers', services.kafkaBrokers);
  project.provide('mongodbUrl', services.mongodbUrl);
  return () => services.stop();
}
