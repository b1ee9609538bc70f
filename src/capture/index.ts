/**
 * Sources into Kafka: pcap/pcapng/tshark-EK readers, live tshark capture, and MongoDB change data capture.
 * Empty until the probes issue lands.
 */
export {};
