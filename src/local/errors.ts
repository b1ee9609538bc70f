import { CodedError } from '../errors/index.js';
/**
 * Errors of the local services (the Kafka broker and Mongo-wire server that probestream runs on loopback
 * for its tests and demo). Codes are stable; messages may change.
 */
export const localServiceErrorCodes = [
  /** No `java` on PATH or in JAVA_HOME. Install a JDK 17 or newer. */
  'LOCAL_JAVA_NOT_FOUND',
  /** `mvn` could not resolve the service's jars. Check network access to Maven Central. */
  'LOCAL_MAVEN_FAILED',
  /** `javac` could not compile the small launcher classes. */
  'LOCAL_COMPILE_FAILED',
  /** The service process exited, or never became ready. The message carries the tail of its log. */
  'LOCAL_SERVICE_START_FAILED',
  /** The service did not stop within its grace period and was killed. */
  'LOCAL_SERVICE_STOP_TIMEOUT',
] as const;

export type LocalServiceErrorCode = (typeof localServiceErrorCodes)[number];

export class LocalServiceError extends CodedError<LocalServiceErrorCode> {
  override readonly name: string = 'LocalServiceError';
}
