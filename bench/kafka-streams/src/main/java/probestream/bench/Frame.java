package probestream.bench;

/**
 * Any frame of `pcap`, as probestream's PcapFrame: its type/subtype, its event time (null when a frame
 * other than a probe request has none that can be read) and the probe request it is, if one.
 */
public record Frame(int subtype, Long timestamp, Probe probe) {}
