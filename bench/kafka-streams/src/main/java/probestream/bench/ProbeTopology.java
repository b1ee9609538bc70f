package probestream.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
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
import org.apache.kafka.streams.kstream.KGroupedStream;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.kstream.SessionWindows;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.processor.TimestampExtractor;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.SessionStore;
import org.apache.kafka.streams.state.WindowStore;

/**
 * probestream's probe topology (src/probes/topology.ts) in the Kafka Streams DSL. The devices are a KTable,
 * co-partitioned with the probes after their repartition by MAC, as in probestream: each probe is enriched
 * with its device's name by a stream-table join, and the stats by name are the stats by MAC joined with the
 * named devices (a table-table join) and regrouped by name with an adder and a subtractor, so that a name
 * covers its devices' whole history (src/probes/stats-by-name.ts). The small alert list is a GlobalKTable
 * on both sides. The windowed views (src/probes/windowed-views.ts) are the same windows, retention and
 * grace, and the same repartition of every frame by its type/subtype.
 */
final class ProbeTopology {
  static final String STATS_BY_MAC = "pcap-stats";
  static final String STATS_BY_NAME = "pcap-stats-by-name";
  static final String BY_MAC = "probes-by-mac";
  static final String BY_NAME = "stats-by-name";
  static final String NAME_MEMBERS = "pcap-stats-by-name-members";
  static final String DEVICES = "devices";
  static final String BY_SUBTYPE = "frames-by-subtype";
  static final String ACTIVITY_HOURLY = "probe-activity-1h";
  static final String ACTIVITY_DAILY = "probe-activity-1d";
  static final String SESSIONS = "probe-sessions";
  static final String FRAMES_DAILY = "frames-daily";
  /** As src/probes/windowed-views.ts keeps them. */
  static final Duration HOUR = Duration.ofHours(1);
  static final Duration DAY = Duration.ofDays(1);
  static final Duration SESSION_GAP = Duration.ofMinutes(5);
  static final int MAX_FRAME_SUBTYPE = 63;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final DateTimeFormatter ISO_MILLIS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private ProbeTopology() {}

  record Topics(String pcap, String devices, String ssidAlertList, String alerts) {}

  /** Event time from the frame's `timestamp`; the record's own time for a frame without one. */
  static final TimestampExtractor EVENT_TIME =
      (record, partitionTime) ->
          record.value() instanceof Frame frame && frame.timestamp() != null
              ? frame.timestamp()
              : record.timestamp();

  static Topology build(Topics topics) {
    StreamsBuilder builder = new StreamsBuilder();
    KStream<String, Frame> frames =
        builder.stream(
            topics.pcap(), Consumed.with(Serdes.String(), BenchSerdes.pcap()).withTimestampExtractor(EVENT_TIME));
    dailyFrames(frames);
    KStream<String, Probe> probes =
        frames
            .filter((key, frame) -> frame != null && frame.probe() != null)
            .map((key, frame) -> KeyValue.pair(frame.probe().mac(), frame.probe()))
            .repartition(Repartitioned.with(Serdes.String(), BenchSerdes.probe()).withName(BY_MAC));
    probeActivity(probes);

    KTable<String, ProbeStats> statsByMac =
        probes
            .groupByKey()
            .aggregate(
                ProbeStats::empty,
                (mac, probe, stats) -> stats.add(probe),
                Materialized.<String, ProbeStats, KeyValueStore<Bytes, byte[]>>as(STATS_BY_MAC)
                    .withKeySerde(Serdes.String())
                    .withValueSerde(BenchSerdes.stats()));

    // "" is a device whose name is null (a null value would be a tombstone to the table).
    // A stream made a table: the store keeps the name alone, as a string (the topic's Avro is read only).
    KTable<String, String> devices =
        builder.stream(topics.devices(), Consumed.with(Serdes.String(), BenchSerdes.deviceName()))
            .toTable(
                Materialized.<String, String, KeyValueStore<Bytes, byte[]>>as(DEVICES)
                    .withKeySerde(Serdes.String())
                    .withValueSerde(Serdes.String()));
    KStream<String, Probe> enriched =
        probes.leftJoin(
            devices, (probe, name) -> probe.withDeviceName(name == null || name.isEmpty() ? null : name));
    statsByName(statsByMac, devices);

    GlobalKTable<String, String> alertList =
        builder.globalTable(topics.ssidAlertList(), Consumed.with(Serdes.String(), BenchSerdes.alertReason()));
    enriched
        .filter((mac, probe) -> probe.ssid() != null && !probe.ssid().isEmpty())
        .join(alertList, (mac, probe) -> probe.ssid(), ProbeTopology::alert)
        .to(topics.alerts(), Produced.with(Serdes.String(), Serdes.String()));

    return builder.build();
  }

  /**
   * The stats by MAC joined with the named devices, regrouped by name: each name keeps its devices' stats
   * apart (first and last probe and the SSID set cannot be subtracted) and the store read holds them merged.
   */
  private static void statsByName(KTable<String, ProbeStats> statsByMac, KTable<String, String> devices) {
    KTable<String, String> named = devices.filter((mac, name) -> name != null && !name.isEmpty());
    statsByMac
        .join(named, (stats, name) -> new Member(name, stats))
        .groupBy(
            (mac, member) -> KeyValue.pair(member.name(), new Member(mac, member.stats())),
            Grouped.with(BY_NAME, Serdes.String(), BenchSerdes.member()))
        .aggregate(
            Members::empty,
            (name, member, members) -> members.with(member.name(), member.stats()),
            (name, member, members) -> members.without(member.name()),
            Materialized.<String, Members, KeyValueStore<Bytes, byte[]>>as(NAME_MEMBERS)
                .withKeySerde(Serdes.String())
                .withValueSerde(BenchSerdes.members()))
        .mapValues(
            Members::merged,
            Materialized.<String, ProbeStats, KeyValueStore<Bytes, byte[]>>as(STATS_BY_NAME)
                .withKeySerde(Serdes.String())
                .withValueSerde(BenchSerdes.stats()));
  }

  /** Per MAC: probe requests per hour and per UTC day, and sessions split by 5 minutes without a probe. */
  private static void probeActivity(KStream<String, Probe> probes) {
    KGroupedStream<String, Probe> byMac = probes.groupByKey(Grouped.with(Serdes.String(), BenchSerdes.probe()));
    windowCounts(byMac, HOUR, Duration.ofDays(7), ACTIVITY_HOURLY);
    windowCounts(byMac, DAY, Duration.ofDays(90), ACTIVITY_DAILY);
    Duration sessionRetention = Duration.ofDays(7);
    byMac
        .windowedBy(SessionWindows.ofInactivityGapAndGrace(SESSION_GAP, sessionRetention.minus(SESSION_GAP)))
        .aggregate(
            ProbeStats::empty,
            (mac, probe, stats) -> stats.add(probe),
            (mac, left, right) -> left.merge(right),
            Materialized.<String, ProbeStats, SessionStore<Bytes, byte[]>>as(SESSIONS)
                .withKeySerde(Serdes.String())
                .withValueSerde(BenchSerdes.stats())
                .withRetention(sessionRetention));
  }

  /** Tumbling counts that take a record however late, as long as its window is kept. */
  private static void windowCounts(
      KGroupedStream<String, Probe> byMac, Duration size, Duration retention, String store) {
    byMac
        .windowedBy(TimeWindows.ofSizeAndGrace(size, retention.minus(size)))
        .count(
            Materialized.<String, Long, WindowStore<Bytes, byte[]>>as(store)
                .withKeySerde(Serdes.String())
                .withValueSerde(Serdes.Long())
                .withRetention(retention));
  }

  /** Every frame, repartitioned by type/subtype, per UTC day: count, first and last event time. */
  private static void dailyFrames(KStream<String, Frame> frames) {
    Duration retention = Duration.ofDays(90);
    frames
        .process(BySubtype::new)
        .repartition(Repartitioned.with(Serdes.String(), Serdes.Long()).withName(BY_SUBTYPE))
        .groupByKey(Grouped.with(Serdes.String(), Serdes.Long()))
        .windowedBy(TimeWindows.ofSizeAndGrace(DAY, retention.minus(DAY)))
        .aggregate(
            FrameDay::empty,
            (subtype, time, day) -> day.add(time),
            Materialized.<String, FrameDay, WindowStore<Bytes, byte[]>>as(FRAMES_DAILY)
                .withKeySerde(Serdes.String())
                .withValueSerde(BenchSerdes.frameDay())
                .withRetention(retention));
  }

  /** Keys a frame by its type/subtype, its event time (the record's, as the extractor chose it) the value. */
  private static final class BySubtype implements Processor<String, Frame, String, Long> {
    private ProcessorContext<String, Long> context;

    @Override
    public void init(ProcessorContext<String, Long> context) {
      this.context = context;
    }

    @Override
    public void process(Record<String, Frame> record) {
      Frame frame = record.value();
      if (frame == null || frame.subtype() < 0 || frame.subtype() > MAX_FRAME_SUBTYPE) return;
      context.forward(record.withKey(String.valueOf(frame.subtype())).withValue(record.timestamp()));
    }
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
