package probestream.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.GlobalKTable;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.TimestampExtractor;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * probestream's probe topology (src/probes/topology.ts) in the Kafka Streams DSL, with the two small tables
 * as GlobalKTables, as a Kafka Streams developer would join them: the devices join and the alert-list join
 * need no repartition of the stream (probestream joins its devices table, co-partitioned, after the
 * repartition by MAC that the stats need anyway).
 */
final class ProbeTopology {
  static final String STATS_BY_MAC = "pcap-stats";
  static final String STATS_BY_NAME = "pcap-stats-by-name";
  static final String BY_MAC = "probes-by-mac";
  static final String BY_NAME = "probes-by-name";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final DateTimeFormatter ISO_MILLIS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private ProbeTopology() {}

  record Topics(String pcap, String devices, String ssidAlertList, String alerts) {}

  /** Event time from the probe's `timestamp`; the record's own time for what is not a probe request. */
  static final TimestampExtractor EVENT_TIME =
      (record, partitionTime) ->
          record.value() instanceof Probe probe ? probe.timestamp() : record.timestamp();

  static Topology build(Topics topics) {
    StreamsBuilder builder = new StreamsBuilder();
    KStream<String, Probe> probes =
        builder.stream(
                topics.pcap(), Consumed.with(Serdes.String(), BenchSerdes.pcap()).withTimestampExtractor(EVENT_TIME))
            .filter((key, probe) -> probe != null)
            .map((key, probe) -> KeyValue.pair(probe.mac(), probe))
            .repartition(Repartitioned.with(Serdes.String(), BenchSerdes.probe()).withName(BY_MAC));

    probes
        .groupByKey()
        .aggregate(
            ProbeStats::empty,
            (mac, probe, stats) -> stats.add(probe),
            Materialized.<String, ProbeStats, KeyValueStore<Bytes, byte[]>>as(STATS_BY_MAC)
                .withKeySerde(Serdes.String())
                .withValueSerde(BenchSerdes.stats()));

    GlobalKTable<String, String> devices =
        builder.globalTable(topics.devices(), Consumed.with(Serdes.String(), BenchSerdes.deviceName()));
    // "" is a device whose name is null (a null value would be a tombstone to the table).
    KStream<String, Probe> enriched =
        probes.leftJoin(
            devices,
            (mac, probe) -> mac,
            (probe, name) -> probe.withDeviceName(name == null || name.isEmpty() ? null : name));

    enriched
        .filter((mac, probe) -> probe.deviceName() != null)
        .groupBy(
            (mac, probe) -> probe.deviceName(),
            Grouped.with(BY_NAME, Serdes.String(), BenchSerdes.probe()))
        .aggregate(
            ProbeStats::empty,
            (name, probe, stats) -> stats.add(probe),
            Materialized.<String, ProbeStats, KeyValueStore<Bytes, byte[]>>as(STATS_BY_NAME)
                .withKeySerde(Serdes.String())
                .withValueSerde(BenchSerdes.stats()));

    GlobalKTable<String, String> alertList =
        builder.globalTable(topics.ssidAlertList(), Consumed.with(Serdes.String(), BenchSerdes.alertReason()));
    enriched
        .filter((mac, probe) -> probe.ssid() != null && !probe.ssid().isEmpty())
        .join(alertList, (mac, probe) -> probe.ssid(), ProbeTopology::alert)
        .to(topics.alerts(), Produced.with(Serdes.String(), Serdes.String()));

    return builder.build();
  }

  /** An `alerts` value: `{ts, mac, ssid, reason, deviceName}`, ts in ISO-8601 UTC with milliseconds. */
  private static String alert(Probe probe, String reason) {
    ObjectNode alert = JSON.createObjectNode();
    alert.put("ts", ISO_MILLIS.format(Instant.ofEpochMilli(probe.timestamp())));
    alert.put("mac", probe.mac());
    alert.put("ssid", probe.ssid());
    alert.put("reason", reason);
    alert.put("deviceName", probe.deviceName());
    return alert.toString();
  }
}
