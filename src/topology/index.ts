/**
 * The engine: a Kafka-Streams-style DSL (StreamsBuilder, KStream, KTable) compiled into a Topology of
 * processors, and the runtime (KafkaStreams) that runs its tasks on a consumer group. It knows nothing of
 * Wi-Fi, HTTP or Telegram. Empty until the engine issue lands.
 */
export {};
