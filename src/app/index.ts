/**
 * The composition root: the one place that wires the engine, the probe domain, the API, the CDC and the
 * bot into the application `probestream start` and `probestream demo` run (see docs/architecture.md).
 */
export * from './probe-application.js';
