package probestream.bench;

import java.util.Map;
import java.util.TreeMap;

/** A name's devices, each MAC with its own stats (first, last and the SSID set cannot be subtracted). */
record Members(Map<String, ProbeStats> byMac) {
  static Members empty() {
    return new Members(Map.of());
  }

  Members with(String mac, ProbeStats stats) {
    TreeMap<String, ProbeStats> next = new TreeMap<>(byMac);
    next.put(mac, stats);
    return new Members(next);
  }

  Members without(String mac) {
    TreeMap<String, ProbeStats> next = new TreeMap<>(byMac);
    next.remove(mac);
    return new Members(next);
  }

  /** Every device's stats as one, or null (the name is deleted) when no device is left. */
  ProbeStats merged() {
    ProbeStats all = null;
    for (ProbeStats stats : byMac.values()) all = all == null ? stats : all.merge(stats);
    return all;
  }
}
