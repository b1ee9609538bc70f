package probestream.bench;

/**
 * A probe request read from a `pcap` record, and after the devices join the device's name (null when the
 * table does not know the MAC). The same fields as probestream's EnrichedProbe.
 */
public record Probe(long timestamp, String mac, String ssid, Double signalDbm, String deviceName) {
  Probe withDeviceName(String name) {
    return new Probe(timestamp, mac, ssid, signalDbm, name);
  }
}
