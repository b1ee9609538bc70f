/**
 * Downloads (once) and compiles what the local services need, so the first test run or demo does not pay
 * for it: the Apache Kafka jars and the mongo-java-server jars from Maven Central, into the cache folder.
 */
import { cacheDir, prepareLocalKafka, prepareLocalMongo } from '../src/local/index.js';

const started = Date.now();
const [kafka, mongo] = await Promise.all([prepareLocalKafka(), prepareLocalMongo()]);
console.log(
  `local services ready in ${Date.now() - started} ms: ${kafka.length} Kafka and ${mongo.length} Mongo-wire classpath entries in ${cacheDir()}`,
);
