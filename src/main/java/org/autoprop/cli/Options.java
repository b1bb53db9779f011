package org.autoprop.cli;

import java.util.LinkedHashMap;
import java.util.Map;

/** {@code --name value} command-line options with defaults; unknown or malformed options are errors. */
final class Options {
  private final Map<String, String> values;

  private Options(Map<String, String> values) {
    this.values = values;
  }

  /**
   * Parses {@code args} against the known options given as name/default pairs. Flags without a
   * value are given as default {@code "false"} and become {@code "true"} when present.
   */
  static Options parse(String[] args, String... namesAndDefaults) {
    Map<String, String> values = new LinkedHashMap<>();
    for (int i = 0; i < namesAndDefaults.length; i += 2) {
      values.put(namesAndDefaults[i], namesAndDefaults[i + 1]);
    }
    for (int i = 0; i < args.length; i++) {
      String name = args[i];
      String value = null;
      int eq = name.indexOf('=');
      if (name.startsWith("--") && eq > 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      }
      if (!values.containsKey(name)) {
        throw new IllegalArgumentException("unknown option '" + args[i] + "' (expected one of " + values.keySet() + ")");
      }
      boolean flag = "false".equals(values.get(name)) || "true".equals(values.get(name));
      if (value == null) {
        if (flag) {
          value = "true";
        } else if (i + 1 < args.length) {
          value = args[++i];
        } else {
          throw new IllegalArgumentException("option " + name + " needs a value");
        }
      }
      values.put(name, value);
    }
    return new Options(values);
  }

  String string(String name) {
    return values.get(name);
  }

  boolean flag(String name) {
    return Boolean.parseBoolean(values.get(name));
  }

  int positiveInt(String name) {
    String v = values.get(name);
    try {
      int n = Integer.parseInt(v);
      if (n > 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException("option " + name + " = '" + v + "' (expected: a positive integer)");
  }

  long longValue(String name) {
    String v = values.get(name);
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("option " + name + " = '" + v + "' (expected: an integer)");
    }
  }

  double positiveDouble(String name) {
    String v = values.get(name);
    try {
      double d = Double.parseDouble(v);
      if (d > 0 && Double.isFinite(d)) {
        return d;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException("option " + name + " = '" + v + "' (expected: a positive number)");
  }
}
