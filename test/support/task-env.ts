import type { TaskEnvironment } from '../../src/topology/runtime/task.js';

/** A StreamTask's environment for tests that run tasks by hand: application `app`, nothing produced. */
export function testTaskEnvironment(partitions: number): TaskEnvironment {
  return {
    applicationId: 'app',
    collector: { send: () => {} },
    topicName: (topic) => topic,
    changelogTopic: (store) => `app-${store}-changelog`,
    partitions: () => partitions,
    deserializationExceptionHandler: 'fail',
    processingExceptionHandler: 'fail',
    productionExceptionHandler: 'fail',
    maxRecordBytes: () => 1_000_000,
  };
}
