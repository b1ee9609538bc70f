package probestream.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * Reads a `pcap` value (the flat JSON of `tshark -T ek | jq`) the way probestream's src/probes/pcap.ts
 * does: null for a frame that is not a probe request or for an index line, an IllegalArgumentException
 * for a record that cannot be read; subtypes `"4"`, `"0x0004"` or 4; SSIDs as text, or as hex bytes with
 * `<MISSING>` for a zero-length one when the subtype is hex (tshark 3.6+); field [0] counts.
 */
final class PcapReader {
  static final int PROBE_REQUEST_SUBTYPE = 4;
  static final int MAX_SSID_BYTES = 32;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern MAC =
      Pattern.compile(
          "^([0-9a-f]{2})[:-]?([0-9a-f]{2})[:-]?([0-9a-f]{2})[:-]?([0-9a-f]{2})[:-]?([0-9a-f]{2})[:-]?([0-9a-f]{2})$",
          Pattern.CASE_INSENSITIVE);
  private static final Pattern HEX_SUBTYPE = Pattern.compile("^0x[0-9a-f]+$", Pattern.CASE_INSENSITIVE);
  private static final Pattern DECIMAL = Pattern.compile("^\\d+$");
  private static final Pattern HEX_BYTES = Pattern.compile("^([0-9a-f]{2})+$", Pattern.CASE_INSENSITIVE);

  private PcapReader() {}

  static Probe read(byte[] data) {
    Frame frame = readFrame(data);
    return frame == null ? null : frame.probe();
  }

  /** Any frame: null for an index line; a frame other than a probe request is read no further than its type and time. */
  static Frame readFrame(byte[] data) {
    JsonNode frame;
    try {
      frame = JSON.readTree(data);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("not UTF-8 JSON: " + e.getMessage(), e);
    }
    if (frame == null || !frame.isObject()) throw new IllegalArgumentException("the value is not a JSON object");
    JsonNode timestamp = frame.get("timestamp");
    if (timestamp != null && timestamp.isNull() && frame.size() == 1) return null;
    Integer subtype = subtype(first(frame.get("wlan_fc_type_subtype")));
    if (subtype == null) throw new IllegalArgumentException("wlan_fc_type_subtype is not a frame type/subtype");
    if (subtype != PROBE_REQUEST_SUBTYPE) {
      Long time = null;
      try {
        time = timestamp(timestamp);
      } catch (IllegalArgumentException e) {
        // Only probe requests must carry their time: another frame is counted at its record's time.
      }
      return new Frame(subtype, time, null);
    }
    long ms = timestamp(timestamp);
    JsonNode sa = first(frame.get("wlan_sa"));
    String mac = sa != null && sa.isTextual() ? normalizeMac(sa.asText()) : null;
    if (mac == null) throw new IllegalArgumentException("wlan_sa is not a MAC address");
    Probe probe = new Probe(ms, mac, ssid(frame), optionalNumber(first(frame.get("wlan_radio_signal_dbm"))), null);
    return new Frame(subtype, ms, probe);
  }

  private static JsonNode first(JsonNode node) {
    return node != null && node.isArray() ? node.get(0) : node;
  }

  private static Integer subtype(JsonNode raw) {
    if (raw == null) return null;
    if (raw.isNumber()) return raw.canConvertToExactIntegral() ? raw.intValue() : null;
    if (!raw.isTextual()) return null;
    String text = raw.asText().trim();
    if (HEX_SUBTYPE.matcher(text).matches()) return Integer.parseInt(text.substring(2), 16);
    if (DECIMAL.matcher(text).matches()) return Integer.parseInt(text);
    return null;
  }

  private static boolean hexEra(JsonNode frame) {
    JsonNode raw = first(frame.get("wlan_fc_type_subtype"));
    return raw != null && raw.isTextual() && raw.asText().trim().toLowerCase().startsWith("0x");
  }

  private static long timestamp(JsonNode raw) {
    long ms = -1;
    if (raw != null && raw.isIntegralNumber()) ms = raw.asLong();
    else if (raw != null && raw.isTextual() && DECIMAL.matcher(raw.asText()).matches()) {
      ms = Long.parseLong(raw.asText());
    }
    if (ms < 0 || ms > ProbeStats.MAX_SAFE_INTEGER) {
      throw new IllegalArgumentException("timestamp is not epoch milliseconds");
    }
    return ms;
  }

  static String normalizeMac(String text) {
    var match = MAC.matcher(text.trim());
    if (!match.matches()) return null;
    StringBuilder mac = new StringBuilder(17);
    for (int i = 1; i <= 6; i++) {
      if (i > 1) mac.append(':');
      mac.append(match.group(i).toLowerCase());
    }
    return mac.toString();
  }

  private static String ssid(JsonNode frame) {
    JsonNode raw = first(frame.get("wlan_ssid"));
    if (raw == null || raw.isNull() || raw.isMissingNode()) return null;
    if (!raw.isTextual() && !raw.isNumber()) throw new IllegalArgumentException("wlan_ssid is not text");
    String text = raw.asText();
    if (!hexEra(frame)) return checked(text, text.getBytes(StandardCharsets.UTF_8).length);
    if (text.equals("<MISSING>") || text.isEmpty()) return "";
    if (HEX_BYTES.matcher(text).matches()) return checked(decodeSsidBytes(HexFormat.of().parseHex(text)), text.length() / 2);
    return checked(text, text.getBytes(StandardCharsets.UTF_8).length);
  }

  private static String checked(String ssid, int bytes) {
    if (bytes > MAX_SSID_BYTES) {
      throw new IllegalArgumentException("wlan_ssid is " + bytes + " bytes long; an 802.11 SSID has at most 32");
    }
    return ssid;
  }

  /** UTF-8 when the bytes are valid UTF-8; else each byte outside a valid sequence written `\xNN`. */
  static String decodeSsidBytes(byte[] bytes) {
    String whole = strictUtf8(bytes, 0, bytes.length);
    if (whole != null) return whole;
    StringBuilder text = new StringBuilder();
    int i = 0;
    while (i < bytes.length) {
      int length = sequenceLength(bytes, i);
      if (length == 0) {
        text.append(String.format("\\x%02x", bytes[i] & 0xff));
        i += 1;
      } else {
        text.append(new String(bytes, i, length, StandardCharsets.UTF_8));
        i += length;
      }
    }
    return text.toString();
  }

  private static int sequenceLength(byte[] bytes, int i) {
    int b0 = bytes[i] & 0xff;
    if (b0 < 0x80) return 1;
    int length = b0 >= 0xc2 && b0 <= 0xdf ? 2 : b0 >= 0xe0 && b0 <= 0xef ? 3 : b0 >= 0xf0 && b0 <= 0xf4 ? 4 : 0;
    if (length == 0 || i + length > bytes.length) return 0;
    return strictUtf8(bytes, i, length) == null ? 0 : length;
  }

  private static String strictUtf8(byte[] bytes, int offset, int length) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes, offset, length))
          .toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  private static Double optionalNumber(JsonNode raw) {
    if (raw == null) return null;
    if (raw.isNumber()) return raw.asDouble();
    if (!raw.isTextual() || raw.asText().isEmpty()) return null;
    try {
      double n = Double.parseDouble(raw.asText().trim());
      return Double.isFinite(n) ? n : null;
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
