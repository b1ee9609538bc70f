package probestream.bench;

/** One UTC day of one frame type/subtype, as probestream's FrameDay: the count, first and last event time. */
public record FrameDay(long count, long first, long last) {
  static FrameDay empty() {
    return new FrameDay(0, ProbeStats.MAX_SAFE_INTEGER, 0);
  }

  FrameDay add(long time) {
    return new FrameDay(count + 1, Math.min(first, time), Math.max(last, time));
  }
}
