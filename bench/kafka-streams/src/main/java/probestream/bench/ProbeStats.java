package probestream.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.TreeSet;

/**
 * Per-device statistics, as probestream's `addProbe` keeps them: the count, the earliest and latest event
 * time, and the SSIDs probed for, each once, null (no SSID element) first, then in UTF-16 code-unit order
 * (String.compareTo's order, which is JavaScript's `<` on strings).
 */
public record ProbeStats(long probeCount, long firstProbe, long lastProbe, List<String> ssidsProbed) {
  /** probestream's emptyStats: MAX_SAFE_INTEGER as the first probe of a device that has not probed. */
  static final long MAX_SAFE_INTEGER = 9_007_199_254_740_991L;

  static ProbeStats empty() {
    return new ProbeStats(0, MAX_SAFE_INTEGER, 0, List.of());
  }

  static int compareSsids(String a, String b) {
    if (a == null) return b == null ? 0 : -1;
    if (b == null) return 1;
    return a.compareTo(b);
  }

  /** Two sessions' stats as one (a session merger): counts added, the outer times, SSIDs united. */
  ProbeStats merge(ProbeStats other) {
    TreeSet<String> ssids = new TreeSet<>(ProbeStats::compareSsids);
    ssids.addAll(ssidsProbed);
    ssids.addAll(other.ssidsProbed);
    return new ProbeStats(
        probeCount + other.probeCount,
        Math.min(firstProbe, other.firstProbe),
        Math.max(lastProbe, other.lastProbe),
        Collections.unmodifiableList(new ArrayList<>(ssids)));
  }

  /** A new value with one more probe request; the SSID list is copied only when the SSID is new. */
  ProbeStats add(Probe probe) {
    int low = 0;
    int high = ssidsProbed.size();
    while (low < high) {
      int mid = (low + high) >>> 1;
      if (compareSsids(ssidsProbed.get(mid), probe.ssid()) < 0) low = mid + 1;
      else high = mid;
    }
    List<String> ssids = ssidsProbed;
    if (low == ssids.size() || compareSsids(ssids.get(low), probe.ssid()) != 0) {
      List<String> grown = new ArrayList<>(ssids.size() + 1);
      grown.addAll(ssids);
      grown.add(low, probe.ssid());
      ssids = Collections.unmodifiableList(grown);
    }
    return new ProbeStats(
        probeCount + 1,
        Math.min(firstProbe, probe.timestamp()),
        Math.max(lastProbe, probe.timestamp()),
        ssids);
  }
}
