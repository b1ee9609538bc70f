import { frameSsid, frameSubtype, type PcapValue, PROBE_REQUEST_SUBTYPE } from '../probes/pcap.js';
import type { DeviceRecord } from '../probes/schemas.js';

/**
 * Whether an SSID reads as a network name when the API shows it: the capture also holds SSIDs of stray
 * bytes (written `\xNN`) and control characters, which make a poor first impression in JSON.
 */
export function isReadableSsid(ssid: string): boolean {
  return ssid !== '' && !ssid.includes('\\x') && !/[\p{Cc}\p{Cf}\p{Co}\p{Cn}\uFFFD]/u.test(ssid);
}

/** A name that can be typed into a shell command and a URL as it is: no quotes, `&`, `$` or the like. */
function isPlainName(name: string): boolean {
  return /^[\p{L}\p{N} ()._-]+$/u.test(name);
}

/**
 * The device the demo suggests trying: the first device of the list with a plain name that probes in the
 * capture for at least one network, every one of them readable. Falls back to the first named device that
 * probes at all, then to the first of the list.
 */
export async function chooseDemoSample(
  devices: readonly DeviceRecord[],
  frames: AsyncIterable<PcapValue>,
): Promise<DeviceRecord | undefined> {
  const ssidsByMac = new Map<string, Set<string | null>>();
  for await (const frame of frames) {
    const sa = Array.isArray(frame.wlan_sa) ? frame.wlan_sa[0] : undefined;
    if (frameSubtype(frame) !== PROBE_REQUEST_SUBTYPE || typeof sa !== 'string') continue;
    const mac = sa.toLowerCase();
    let ssids = ssidsByMac.get(mac);
    if (ssids === undefined) {
      ssids = new Set();
      ssidsByMac.set(mac, ssids);
    }
    ssids.add(frameSsid(frame));
  }
  const named = devices.filter((device) => device.name !== null && ssidsByMac.has(device.mac));
  const readable = named.find((device) => {
    if (!isPlainName(device.name as string)) return false;
    const named = [...(ssidsByMac.get(device.mac) ?? [])].filter((ssid) => ssid !== null && ssid !== '');
    return named.length > 0 && named.every((ssid) => isReadableSsid(ssid as string));
  });
  return readable ?? named[0] ?? devices[0];
}
