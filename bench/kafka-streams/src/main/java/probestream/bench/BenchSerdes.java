package probestream.bench;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The serdes of the Kafka Streams side. Repartition topics and stores use a compact binary form of their
 * own (what a Kafka Streams developer would write; probestream uses Avro there). The two tables are read
 * as probestream writes them: Avro binary of DEVICE_SCHEMA and SSID_ALERT_SCHEMA (src/probes/schemas.ts),
 * decoded here by hand for the fields the topology uses.
 */
final class BenchSerdes {
  private BenchSerdes() {}

  /** The `pcap` topic: any Frame, or null for an index line. Throws on a bad record. */
  static Serde<Frame> pcap() {
    Serializer<Frame> unused = (topic, frame) -> {
      throw new UnsupportedOperationException("the bench never writes pcap records from Kafka Streams");
    };
    Deserializer<Frame> read = (topic, data) -> data == null ? null : PcapReader.readFrame(data);
    return Serdes.serdeFrom(unused, read);
  }

  static Serde<FrameDay> frameDay() {
    Serializer<FrameDay> write =
        (topic, d) ->
            d == null
                ? null
                : encode(
                    out -> {
                      out.writeLong(d.count());
                      out.writeLong(d.first());
                      out.writeLong(d.last());
                    });
    Deserializer<FrameDay> read =
        (topic, data) ->
            data == null ? null : decode(data, in -> new FrameDay(in.readLong(), in.readLong(), in.readLong()));
    return Serdes.serdeFrom(write, read);
  }

  static Serde<Probe> probe() {
    Serializer<Probe> write =
        (topic, p) ->
            p == null
                ? null
                : encode(
                    out -> {
                      out.writeLong(p.timestamp());
                      out.writeUTF(p.mac());
                      writeNullable(out, p.ssid());
                      out.writeBoolean(p.signalDbm() != null);
                      if (p.signalDbm() != null) out.writeDouble(p.signalDbm());
                      writeNullable(out, p.deviceName());
                    });
    Deserializer<Probe> read =
        (topic, data) ->
            data == null
                ? null
                : decode(
                    data,
                    in ->
                        new Probe(
                            in.readLong(),
                            in.readUTF(),
                            readNullable(in),
                            in.readBoolean() ? in.readDouble() : null,
                            readNullable(in)));
    return Serdes.serdeFrom(write, read);
  }

  static Serde<ProbeStats> stats() {
    Serializer<ProbeStats> write = (topic, s) -> s == null ? null : encode(out -> writeStats(out, s));
    Deserializer<ProbeStats> read =
        (topic, data) -> data == null ? null : decode(data, BenchSerdes::readStats);
    return Serdes.serdeFrom(write, read);
  }

  /** A `stats-by-name` repartition value: a device's MAC and stats. */
  static Serde<Member> member() {
    Serializer<Member> write =
        (topic, m) ->
            m == null
                ? null
                : encode(
                    out -> {
                      out.writeUTF(m.name());
                      writeStats(out, m.stats());
                    });
    Deserializer<Member> read =
        (topic, data) ->
            data == null ? null : decode(data, in -> new Member(in.readUTF(), readStats(in)));
    return Serdes.serdeFrom(write, read);
  }

  /** A name's devices: each MAC with its stats. */
  static Serde<Members> members() {
    Serializer<Members> write =
        (topic, members) ->
            members == null
                ? null
                : encode(
                    out -> {
                      out.writeInt(members.byMac().size());
                      for (var entry : members.byMac().entrySet()) {
                        out.writeUTF(entry.getKey());
                        writeStats(out, entry.getValue());
                      }
                    });
    Deserializer<Members> read =
        (topic, data) ->
            data == null
                ? null
                : decode(
                    data,
                    in -> {
                      int n = in.readInt();
                      java.util.TreeMap<String, ProbeStats> byMac = new java.util.TreeMap<>();
                      for (int i = 0; i < n; i++) byMac.put(in.readUTF(), readStats(in));
                      return new Members(byMac);
                    });
    return Serdes.serdeFrom(write, read);
  }

  private static void writeStats(DataOutputStream out, ProbeStats s) throws IOException {
    out.writeLong(s.probeCount());
    out.writeLong(s.firstProbe());
    out.writeLong(s.lastProbe());
    out.writeInt(s.ssidsProbed().size());
    for (String ssid : s.ssidsProbed()) writeNullable(out, ssid);
  }

  private static ProbeStats readStats(DataInputStream in) throws IOException {
    long count = in.readLong();
    long first = in.readLong();
    long last = in.readLong();
    int n = in.readInt();
    List<String> ssids = new ArrayList<>(n);
    for (int i = 0; i < n; i++) ssids.add(readNullable(in));
    return new ProbeStats(count, first, last, Collections.unmodifiableList(ssids));
  }

  /** A `devices` value: only its name (Avro: mac, source, then the union name), "" for a null name. */
  static Serde<String> deviceName() {
    Deserializer<String> read =
        (topic, data) -> {
          if (data == null) return null;
          Avro in = new Avro(data);
          in.skipString(); // mac
          in.skipString(); // source
          String name = in.readNullableString();
          return name == null ? "" : name;
        };
    return Serdes.serdeFrom(readOnly("devices"), read);
  }

  /** An `ssid_alert_list` value: its reason. */
  static Serde<String> alertReason() {
    Deserializer<String> read = (topic, data) -> data == null ? null : new Avro(data).readString();
    return Serdes.serdeFrom(readOnly("ssid_alert_list"), read);
  }

  private static Serializer<String> readOnly(String what) {
    return (topic, value) -> {
      throw new UnsupportedOperationException("the bench never writes " + what + " from Kafka Streams");
    };
  }

  interface Writer {
    void write(DataOutputStream out) throws IOException;
  }

  interface Reader<T> {
    T read(DataInputStream in) throws IOException;
  }

  private static byte[] encode(Writer writer) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      writer.write(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  private static <T> T decode(byte[] data, Reader<T> reader) {
    try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(data))) {
      return reader.read(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void writeNullable(DataOutputStream out, String text) throws IOException {
    out.writeBoolean(text != null);
    if (text != null) out.writeUTF(text);
  }

  private static String readNullable(DataInputStream in) throws IOException {
    return in.readBoolean() ? in.readUTF() : null;
  }

  /** Avro's binary encoding, the little of it the two tables need: zig-zag varints, strings, unions. */
  private static final class Avro {
    private final byte[] data;
    private int at;

    Avro(byte[] data) {
      this.data = data;
    }

    long readLong() {
      long raw = 0;
      int shift = 0;
      for (; ; ) {
        int b = data[at++] & 0xff;
        raw |= (long) (b & 0x7f) << shift;
        if ((b & 0x80) == 0) break;
        shift += 7;
      }
      return (raw >>> 1) ^ -(raw & 1);
    }

    String readString() {
      int length = (int) readLong();
      String text = new String(data, at, length, StandardCharsets.UTF_8);
      at += length;
      return text;
    }

    void skipString() {
      // Not `at += (int) readLong()`: Java reads `at` before readLong moves it.
      int length = (int) readLong();
      at += length;
    }

    /** A `["null", "string"]` union. */
    String readNullableString() {
      return readLong() == 0 ? null : readString();
    }
  }
}
