/** The error base every layer extends (see docs/architecture.md, "Errors"). Imports nothing of ours. */
export { CodedError, type RecordPosition } from './coded-error.js';
