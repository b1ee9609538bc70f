import java.lang.reflect.Method;
import java.util.Arrays;

/**
 * Runs another class's main method, and exits the JVM when standard input reaches end-of-file.
 *
 * probestream starts its local services (Kafka, the Mongo-wire server) as child JVMs with a pipe on stdin.
 * When the Node.js parent exits, however it exits, the pipe closes and this watcher stops the child, so no
 * broker outlives the test run or demo that started it. System.exit runs the target's shutdown hooks, so a
 * broker still shuts down cleanly.
 *
 * Usage: java -cp ... ParentWatchLauncher <main class> [args...]
 */
public final class ParentWatchLauncher {
  private ParentWatchLauncher() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println("usage: ParentWatchLauncher <main class> [args...]");
      System.exit(2);
    }
    Thread watcher = new Thread(() -> {
      try {
        byte[] buffer = new byte[256];
        while (System.in.read(buffer) >= 0) {
          // Anything written to stdin is ignored: only end-of-file matters.
        }
      } catch (Exception ignored) {
        // A broken pipe means the parent is gone, just like end-of-file.
      }
      System.err.println("[probestream] parent process gone, stopping " + args[0]);
      System.exit(0);
    }, "probestream-parent-watch");
    watcher.setDaemon(true);
    watcher.start();

    Method main = Class.forName(args[0]).getMethod("main", String[].class);
    main.invoke(null, (Object) Arrays.copyOfRange(args, 1, args.length));
  }
}
