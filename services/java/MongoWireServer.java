import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import java.net.InetSocketAddress;

/**
 * An in-memory MongoDB-wire server with change streams, for probestream's tests and demo.
 *
 * The oplog must be enabled explicitly: without it, change streams open without error and never return an
 * event. Prints "LISTENING host:port" on stdout once it accepts connections.
 *
 * Usage: java -cp ... MongoWireServer [host] [port]   (port 0 picks a free one)
 */
public final class MongoWireServer {
  private MongoWireServer() {}

  public static void main(String[] args) {
    String host = args.length > 0 ? args[0] : "127.0.0.1";
    int port = args.length > 1 ? Integer.parseInt(args[1]) : 0;

    MemoryBackend backend = new MemoryBackend();
    backend.enableOplog();
    MongoServer server = new MongoServer(backend);
    server.bind(host, port);
    Runtime.getRuntime().addShutdownHook(new Thread(server::shutdownNow, "mongo-wire-shutdown"));

    InetSocketAddress address = server.getLocalAddress();
    System.out.println("LISTENING " + address.getHostString() + ":" + address.getPort());
    System.out.flush();
  }
}
