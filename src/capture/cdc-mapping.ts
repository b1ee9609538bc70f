/**
 * How a UniFi controller's `ace.device` and `ace.user` documents become `devices` records (docs/architecture.md, "Topic
 * contracts"). Pure functions, without I/O, so that every naming rule can be tested on its own.
 */
import { normalizeMac } from '../probes/pcap.js';
import type { DeviceRecord } from '../probes/schemas.js';

/** A document as the MongoDB driver returns it. */
export type AceDocument = Readonly<Record<string, unknown>>;

/** The collections the CDC follows, by their name in the `ace` database. */
export type AceCollection = 'device' | 'user';

export const ACE_COLLECTIONS: readonly AceCollection[] = ['device', 'user'];

/** The only fields the mapping reads: reads of the collections fetch these and nothing else. */
export const ACE_PROJECTION = Object.freeze({
  _id: 1,
  mac: 1,
  name: 1,
  hostname: 1,
  ip: 1,
  model: 1,
  type: 1,
  oui: 1,
  is_guest: 1,
});

/** The `oui` of the network's own gear in `ace.user`: `ace.device` already describes it. */
const OWN_GEAR_OUI = 'ubiquiti';

/** A scalar field as text; absent, null and non-scalar fields (objects, arrays) are null. */
function text(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
    return String(value);
  return null;
}

/** As `text`, but an empty or all-blank string counts as absent: UniFi leaves unset names as `""`. */
function present(value: unknown): string | null {
  const found = text(value);
  return found !== null && found.trim() !== '' ? found : null;
}

/** The document's `mac`, lower-case and colon-separated; undefined when it is missing or not a MAC. */
export function aceDocumentMac(doc: AceDocument): string | undefined {
  return typeof doc.mac === 'string' ? normalizeMac(doc.mac) : undefined;
}

/** Whether an `ace.user` document is the network's own gear (its `oui` is `Ubiquiti`, in any case). */
export function isOwnGear(doc: AceDocument): boolean {
  return typeof doc.oui === 'string' && doc.oui.trim().toLowerCase() === OWN_GEAR_OUI;
}

/**
 * An `ace.device` document (the network's access points, switches and gateways), field for field: `name`,
 * `ip`, `model` and `type` as they are (null when absent), `is_guest` false. Undefined without a valid MAC.
 */
export function deviceFromAceDevice(doc: AceDocument): DeviceRecord | undefined {
  const mac = aceDocumentMac(doc);
  if (mac === undefined) return undefined;
  return {
    mac,
    source: 'device',
    name: text(doc.name),
    ip: text(doc.ip),
    model: text(doc.model),
    type: text(doc.type),
    is_guest: false,
  };
}

/**
 * An `ace.user` document (a client the controller has seen). Its `name` is `name (hostname)` when it has
 * both, the one it has when it has one, and otherwise `guest_<oui>` or `nonguest_<oui>` by `is_guest` (null
 * when the document has no `oui` either). `model` is the `oui`; `ip` and `type` are taken when present.
 * Undefined without a valid MAC, and for the network's own gear (`oui` Ubiquiti), which writes nothing.
 */
export function deviceFromAceUser(doc: AceDocument): DeviceRecord | undefined {
  if (isOwnGear(doc)) return undefined;
  const mac = aceDocumentMac(doc);
  if (mac === undefined) return undefined;
  const isGuest = doc.is_guest === true;
  const name = present(doc.name);
  const hostname = present(doc.hostname);
  const oui = present(doc.oui);
  let deviceName: string | null;
  if (name !== null && hostname !== null) deviceName = `${name} (${hostname})`;
  else if (name !== null || hostname !== null) deviceName = name ?? hostname;
  else deviceName = oui === null ? null : `${isGuest ? 'guest' : 'nonguest'}_${oui}`;
  return {
    mac,
    source: 'user',
    name: deviceName,
    ip: text(doc.ip),
    model: oui,
    type: text(doc.type),
    is_guest: isGuest,
  };
}

/** What a document of either collection writes, and why it writes nothing when it does not. */
export type AceMapping =
  | { readonly kind: 'record'; readonly record: DeviceRecord }
  /** The network's own gear in `ace.user`: deliberately not a device of its own. */
  | { readonly kind: 'excluded' }
  /** No `mac`, or one that is not six hex pairs: logged and counted as skipped. */
  | { readonly kind: 'invalid-mac'; readonly mac: unknown };

export function mapAceDocument(collection: AceCollection, doc: AceDocument): AceMapping {
  if (collection === 'user' && isOwnGear(doc)) return { kind: 'excluded' };
  const record = collection === 'device' ? deviceFromAceDevice(doc) : deviceFromAceUser(doc);
  return record === undefined ? { kind: 'invalid-mac', mac: doc.mac } : { kind: 'record', record };
}

/** Whether two records say the same: a write that would repeat the last one is left out. */
export function sameDevice(a: DeviceRecord | null | undefined, b: DeviceRecord | null | undefined): boolean {
  if (a == null || b == null) return a == null && b == null;
  return (
    a.mac === b.mac &&
    a.source === b.source &&
    a.name === b.name &&
    a.ip === b.ip &&
    a.model === b.model &&
    a.type === b.type &&
    a.is_guest === b.is_guest
  );
}
