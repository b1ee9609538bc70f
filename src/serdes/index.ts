/**
 * Serdes: values to bytes and back (strings, JSON, Avro, numbers). Below both the stores and the engine,
 * importing nothing of ours but the error base (docs/architecture.md, "Layers").
 */
export { SerdeError, type SerdeErrorCode, serdeErrorCodes } from './serde-error.js';
export * from './serdes.js';
