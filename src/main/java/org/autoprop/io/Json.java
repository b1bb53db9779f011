package org.autoprop.io;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A minimal JSON reader and writer for file headers (safetensors, checkpoints): objects become
 * insertion-ordered {@code Map<String, Object>}, arrays {@code List<Object>}, numbers
 * {@code Long} (written without fraction or exponent) or {@code Double}, plus {@code String},
 * {@code Boolean} and {@code null}.
 *
 * <p>Input comes from files, so it is bounded: at most {@link #MAX_DEPTH} nested arrays and
 * objects (the parser recurses; a hostile header of thousands of {@code [} would otherwise
 * overflow the stack) and at most {@link #MAX_LENGTH} characters.
 */
final class Json {
  /** The deepest nesting of arrays and objects accepted. */
  static final int MAX_DEPTH = 64;
  /** The longest text accepted, in characters (safetensors' own header limit is 100 MB). */
  static final int MAX_LENGTH = 100_000_000;
  private static final java.util.regex.Pattern NUMBER =
      java.util.regex.Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?");

  private final String s;
  private int pos;
  private int depth;

  private Json(String s) {
    this.s = s;
  }

  /** Parses one JSON value; throws {@link IllegalArgumentException} with the position on bad input. */
  static Object parse(String text) {
    if (text.length() > MAX_LENGTH) {
      throw new IllegalArgumentException("JSON text of " + text.length() + " characters (expected: at most "
          + MAX_LENGTH + ")");
    }
    Json p = new Json(text);
    p.skipWhitespace();
    Object v = p.value();
    p.skipWhitespace();
    if (p.pos != text.length()) {
      throw p.error("trailing characters");
    }
    return v;
  }

  private Object value() {
    if (pos >= s.length()) {
      throw error("unexpected end");
    }
    char c = s.charAt(pos);
    switch (c) {
      case '{':
      case '[':
        if (++depth > MAX_DEPTH) {
          throw error("arrays and objects nested deeper than " + MAX_DEPTH);
        }
        Object v = c == '{' ? object() : array();
        depth--;
        return v;
      case '"':
        return string();
      case 't':
        return literal("true", Boolean.TRUE);
      case 'f':
        return literal("false", Boolean.FALSE);
      case 'n':
        return literal("null", null);
      default:
        return number();
    }
  }

  private Map<String, Object> object() {
    Map<String, Object> m = new LinkedHashMap<>();
    pos++;
    skipWhitespace();
    if (peek() == '}') {
      pos++;
      return m;
    }
    while (true) {
      skipWhitespace();
      if (peek() != '"') {
        throw error("expected a key");
      }
      String key = string();
      skipWhitespace();
      expect(':');
      skipWhitespace();
      if (m.put(key, value()) != null) {
        throw error("duplicate key '" + key + "'");
      }
      skipWhitespace();
      char c = next();
      if (c == '}') {
        return m;
      }
      if (c != ',') {
        throw error("expected ',' or '}'");
      }
    }
  }

  private List<Object> array() {
    List<Object> list = new ArrayList<>();
    pos++;
    skipWhitespace();
    if (peek() == ']') {
      pos++;
      return list;
    }
    while (true) {
      skipWhitespace();
      list.add(value());
      skipWhitespace();
      char c = next();
      if (c == ']') {
        return list;
      }
      if (c != ',') {
        throw error("expected ',' or ']'");
      }
    }
  }

  private String string() {
    expect('"');
    StringBuilder sb = new StringBuilder();
    while (true) {
      char c = next();
      if (c == '"') {
        return sb.toString();
      }
      if (c != '\\') {
        sb.append(c);
        continue;
      }
      char e = next();
      switch (e) {
        case 'n': sb.append('\n'); break;
        case 't': sb.append('\t'); break;
        case 'r': sb.append('\r'); break;
        case 'b': sb.append('\b'); break;
        case 'f': sb.append('\f'); break;
        case 'u':
          if (pos + 4 > s.length()) {
            throw error("truncated \\u escape");
          }
          String hex = s.substring(pos, pos + 4);
          for (int i = 0; i < 4; i++) {
            if (Character.digit(hex.charAt(i), 16) < 0) {
              throw error("bad \\u escape '" + hex + "'");
            }
          }
          sb.append((char) Integer.parseInt(hex, 16));
          pos += 4;
          break;
        case '"':
        case '\\':
        case '/':
          sb.append(e);
          break;
        default:
          pos--;
          throw error("bad escape '\\" + e + "'");
      }
    }
  }

  private Object number() {
    int start = pos;
    while (pos < s.length() && "+-0123456789.eE".indexOf(s.charAt(pos)) >= 0) {
      pos++;
    }
    String t = s.substring(start, pos);
    if (t.isEmpty()) {
      throw error("unexpected character '" + s.charAt(start) + "'");
    }
    if (!NUMBER.matcher(t).matches()) {
      pos = start;
      throw error("bad number '" + t + "'");
    }
    try {
      if (t.indexOf('.') < 0 && t.indexOf('e') < 0 && t.indexOf('E') < 0) {
        return Long.parseLong(t);
      }
      return Double.parseDouble(t);
    } catch (NumberFormatException e) {
      throw error("bad number '" + t + "'");
    }
  }

  private Object literal(String word, Object v) {
    if (!s.startsWith(word, pos)) {
      throw error("unexpected token");
    }
    pos += word.length();
    return v;
  }

  private void skipWhitespace() {
    while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
      pos++;
    }
  }

  private char peek() {
    if (pos >= s.length()) {
      throw error("unexpected end");
    }
    return s.charAt(pos);
  }

  private char next() {
    char c = peek();
    pos++;
    return c;
  }

  private void expect(char c) {
    if (next() != c) {
      pos--;
      throw error("expected '" + c + "'");
    }
  }

  private IllegalArgumentException error(String what) {
    return new IllegalArgumentException("Bad JSON at character " + pos + ": " + what);
  }

  /** Writes a string as a JSON string literal. */
  static String quote(String v) {
    StringBuilder sb = new StringBuilder("\"");
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      switch (c) {
        case '"': sb.append("\\\""); break;
        case '\\': sb.append("\\\\"); break;
        case '\n': sb.append("\\n"); break;
        case '\r': sb.append("\\r"); break;
        case '\t': sb.append("\\t"); break;
        default:
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
      }
    }
    return sb.append('"').toString();
  }
}
