package probestream.bench;

/** A device's stats under a name: the name as the join gives it, then the MAC once regrouped by name. */
record Member(String name, ProbeStats stats) {}
