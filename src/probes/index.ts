/**
 * The Wi-Fi probe application: its topic schemas and the topology built with src/topology. Empty until the
 * probes issue lands.
 */
export {};
