/**
 * What the CDC makes of a change event and of a MongoDB failure. Pure functions over the driver's objects.
 *
 * The events of the Mongo-wire test server (mongo-java-server 1.47.0) are not MongoDB's: an update event's
 * `documentKey` holds the update's operators (`{$set: …}`) and its `fullDocument` only the changed fields;
 * a replacement comes as an `update` whose `documentKey` is the new document and whose `fullDocument` is
 * empty; no event has `ns`. Such an event does not say which document changed, so it asks for a resync (a
 * snapshot of the collection, compared with what was written). MongoDB's own events are used as they come.
 */
import { MongoError, MongoNetworkError, MongoServerError, MongoServerSelectionError } from 'mongodb';
import type { AceDocument } from './cdc-mapping.js';
import { canonicalEjson } from './cdc-offsets.js';

/** A change event as the driver returns it, typed down to the fields the CDC reads. */
export interface ChangeEvent {
  readonly _id?: unknown;
  readonly operationType?: string;
  readonly documentKey?: Readonly<Record<string, unknown>> | null;
  readonly fullDocument?: AceDocument | null;
}

export type EventAction =
  /** The document as it is now: write what it maps to. */
  | { readonly kind: 'document'; readonly id: unknown; readonly document: AceDocument }
  /** The document changed but the event does not carry it (any more): read it by `_id`. */
  | { readonly kind: 'lookup'; readonly id: unknown }
  | { readonly kind: 'delete'; readonly id: unknown }
  /** Which documents changed is unknown (a broken event, a dropped or renamed collection): resync. */
  | { readonly kind: 'resync'; readonly why: string }
  /** The stream has ended (its collection was dropped or renamed): reopen it after this event, and resync. */
  | { readonly kind: 'invalidate' }
  /** An event that changes no document (index builds and the like, with expanded events). */
  | { readonly kind: 'ignore' };

function hasId(value: unknown): value is { readonly _id: unknown } {
  return typeof value === 'object' && value !== null && '_id' in value && value._id !== undefined;
}

/** Reads a change event. See the file's doc for why some events ask for a resync. */
export function eventAction(event: ChangeEvent): EventAction {
  switch (event.operationType) {
    case 'insert':
    case 'replace':
    case 'update': {
      const key = event.documentKey;
      if (!hasId(key)) return { kind: 'resync', why: `${event.operationType} event without documentKey._id` };
      const full = event.fullDocument;
      // MongoDB's updateLookup answers null when the document was deleted before the lookup.
      if (full === null || full === undefined) {
        return event.operationType === 'update'
          ? { kind: 'lookup', id: key._id }
          : { kind: 'resync', why: `${event.operationType} event without fullDocument` };
      }
      if (!hasId(full) || canonicalEjson(full._id) !== canonicalEjson(key._id)) {
        return { kind: 'resync', why: `${event.operationType} event whose fullDocument is not the document` };
      }
      return { kind: 'document', id: key._id, document: full };
    }
    case 'delete':
      return hasId(event.documentKey)
        ? { kind: 'delete', id: event.documentKey._id }
        : { kind: 'resync', why: 'delete event without documentKey._id' };
    case 'drop':
    case 'rename':
    case 'dropDatabase':
      return { kind: 'resync', why: `${event.operationType} event` };
    case 'invalidate':
      return { kind: 'invalidate' };
    default:
      return { kind: 'ignore' };
  }
}

// Server error codes after which the same request may succeed: MongoDB's own list of retryable reads, plus
// the ones of a change stream that the driver could not resume itself.
const TRANSIENT_CODES = new Set([
  6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13388, 13435, 13436, 63, 150, 133, 134, 234,
]);

/** Errors that a change stream cannot resume from: the token is too old, or the server lost its history. */
const RESUME_FAILED_CODES = new Set([/** ChangeStreamFatalError */ 280, /** ChangeStreamHistoryLost */ 286]);

/** Whether retrying the same work later may help: a lost connection, no server reachable, a failover. */
export function isTransientMongoError(error: unknown): boolean {
  if (error instanceof MongoNetworkError || error instanceof MongoServerSelectionError) return true;
  if (error instanceof MongoError) {
    if (error.hasErrorLabel('ResumableChangeStreamError') || error.hasErrorLabel('RetryableWriteError')) {
      return true;
    }
    if (typeof error.code === 'number' && TRANSIENT_CODES.has(error.code)) return true;
  }
  return false;
}

/**
 * Whether the server answered an opening change stream with an error of its own (a standalone server:
 * "The $changeStream stage is only supported on replica sets", code 40573; no permission; an old server).
 */
export function isServerRefusal(error: unknown): boolean {
  return error instanceof MongoServerError && !isTransientMongoError(error);
}

/** Whether resuming from a stored token failed because the server no longer has its history. */
export function isResumeFailure(error: unknown): boolean {
  return (
    error instanceof MongoServerError && typeof error.code === 'number' && RESUME_FAILED_CODES.has(error.code)
  );
}

/** Text fit for a log line: any `scheme://user:password@` in it loses its credentials. */
export function redactCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/\s@]*@/gi, '$1***@');
}

/** An error's message for a log line, without credentials; with its server code when it has one. */
export function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof MongoError && error.code !== undefined ? ` (code ${error.code})` : '';
  return redactCredentials(message) + code;
}
