package probestream.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * The Kafka Streams side of `npm run bench -- kafka-streams`: runs the probe topology with the settings the
 * bench gives probestream (at-least-once, one stream thread, commit interval 1 s, RocksDB stores), prints
 * its state changes as JSON lines on stdout, and answers the bench on stdin:
 * `get <store> <key>` prints `{"store","key","stats"}` (stats null when the key is not there); `close`
 * closes the application and exits.
 *
 * Arguments: --brokers --application-id --state-dir --pcap --devices --ssid-alert-list --alerts.
 */
public final class ProbeTopologyApp {
  private static final ObjectMapper JSON = new ObjectMapper();

  private ProbeTopologyApp() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> options = options(args);
    Properties config = new Properties();
    config.put(StreamsConfig.APPLICATION_ID_CONFIG, required(options, "application-id"));
    config.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, required(options, "brokers"));
    config.put(StreamsConfig.STATE_DIR_CONFIG, required(options, "state-dir"));
    config.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
    config.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE);
    config.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 1000);
    config.put(
        StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndContinueExceptionHandler.class);
    ProbeTopology.Topics topics =
        new ProbeTopology.Topics(
            required(options, "pcap"),
            required(options, "devices"),
            required(options, "ssid-alert-list"),
            required(options, "alerts"));

    KafkaStreams streams = new KafkaStreams(ProbeTopology.build(topics), config);
    streams.setStateListener(
        (next, previous) -> {
          say(JSON.createObjectNode().put("state", next.name()).put("previous", previous.name()));
          // The bench waits on the lag, which an application in ERROR never brings down: end at once.
          if (next == KafkaStreams.State.ERROR) new Thread(() -> System.exit(1)).start();
        });
    streams.setUncaughtExceptionHandler(
        error -> {
          say(JSON.createObjectNode().put("error", String.valueOf(error)));
          return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse
              .SHUTDOWN_CLIENT;
        });
    streams.start();
    answer(streams);
    streams.close(Duration.ofSeconds(30));
    say(JSON.createObjectNode().put("state", "CLOSED"));
  }

  /** Answers the bench's lines until `close` or the end of stdin. */
  private static void answer(KafkaStreams streams) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      String[] words = line.split(" ", 3);
      if (words[0].equals("close")) return;
      if (words[0].equals("get") && words.length == 3) {
        ReadOnlyKeyValueStore<String, ProbeStats> store =
            streams.store(StoreQueryParameters.fromNameAndType(words[1], QueryableStoreTypes.keyValueStore()));
        ObjectNode reply = JSON.createObjectNode().put("store", words[1]).put("key", words[2]);
        ProbeStats stats = store.get(words[2]);
        if (stats == null) reply.putNull("stats");
        else {
          ObjectNode value = reply.putObject("stats");
          value.put("probeCount", stats.probeCount());
          value.put("firstProbe", stats.firstProbe());
          value.put("lastProbe", stats.lastProbe());
          ArrayNode ssids = value.putArray("ssidsProbed");
          for (String ssid : stats.ssidsProbed()) ssids.add(ssid);
        }
        say(reply);
      } else {
        say(JSON.createObjectNode().put("error", "unknown command: " + line));
      }
    }
  }

  private static synchronized void say(ObjectNode line) {
    System.out.println(line.toString());
    System.out.flush();
  }

  private static Map<String, String> options(String[] args) {
    Map<String, String> options = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (!args[i].startsWith("--")) throw new IllegalArgumentException("expected --name value, got " + args[i]);
      options.put(args[i].substring(2), args[i + 1]);
    }
    return options;
  }

  private static String required(Map<String, String> options, String name) {
    String value = options.get(name);
    if (value == null) throw new IllegalArgumentException("--" + name + " is required");
    return value;
  }
}
