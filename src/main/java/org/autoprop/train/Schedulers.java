package org.autoprop.train;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Learning-rate schedules by the names and parameters of Luma's {@code scheduler} module
 * ({@code StepLR}, {@code ExponentialLR}, {@code CosineAnnealingLR}, {@code CyclicLR} (also
 * {@code CycleLR}, Luma's exported name), {@code OneCycleLR}, {@code ReduceLROnPlateau}) and
 * PyTorch's {@code PolynomialLR}, with PyTorch's semantics where Luma's differ.
 *
 * <p>Parameters by Luma's names ({@code init_lr} first); strings for the modes, numbers for the
 * rest. How they map:
 * <ul>
 *   <li>{@code StepLR(init_lr, step_size=1, gamma=0.1)}: {@link LrSchedule#stepDecay}.
 *   <li>{@code ExponentialLR(init_lr, gamma=0.9)}: {@link LrSchedule#exponential}.
 *   <li>{@code CosineAnnealingLR(init_lr, T_max, eta_min=0)}: {@link LrSchedule#cosine} (stays at
 *       {@code eta_min} after {@code T_max}; Luma's rises again).
 *   <li>{@code CyclicLR(init_lr, max_lr, step_size_up, step_size_down=step_size_up, mode="tri",
 *       gamma=1)}: {@link LrSchedule#cyclic} with {@code base_lr = init_lr}; modes {@code tri},
 *       {@code tri2}, {@code exp} (or PyTorch's {@code triangular}, {@code triangular2},
 *       {@code exp_range}); {@code tri2} halves every cycle (Luma never counts the cycles).
 *   <li>{@code OneCycleLR(init_lr, max_lr, total_steps, pct_start=0.3, anneal_strategy="cos",
 *       final_div_factor=1e4)}: {@link LrSchedule#oneCycle} with {@code div_factor = max_lr /
 *       init_lr}, so the cycle starts at {@code init_lr}, with PyTorch's phase ends.
 *   <li>{@code ReduceLROnPlateau(init_lr, mode="min", factor=0.1, patience=10, threshold=1e-4,
 *       threshold_mode="rel", cooldown=0, min_lr=0)}: {@link ReduceLrOnPlateau} (PyTorch's eps
 *       1e-8).
 *   <li>{@code PolynomialLR(init_lr, total_iters=5, power=1)}: {@link LrSchedule#polynomial}.
 * </ul>
 *
 * <p>Luma steps {@code CyclicLR} and {@code OneCycleLR} per batch and the others per epoch:
 * {@link #perStep(String)} says which, for {@link Trainer#schedule(LrSchedule, boolean)}.
 */
public final class Schedulers {
  private Schedulers() {}

  private static final Map<String, List<String>> PARAMETERS = new LinkedHashMap<>();

  static {
    PARAMETERS.put("StepLR", List.of("init_lr", "step_size", "gamma"));
    PARAMETERS.put("ExponentialLR", List.of("init_lr", "gamma"));
    PARAMETERS.put("CosineAnnealingLR", List.of("init_lr", "T_max", "eta_min"));
    PARAMETERS.put("CyclicLR", List.of("init_lr", "max_lr", "step_size_up", "step_size_down", "mode", "gamma"));
    PARAMETERS.put("CycleLR", PARAMETERS.get("CyclicLR"));
    PARAMETERS.put("OneCycleLR",
        List.of("init_lr", "max_lr", "total_steps", "pct_start", "anneal_strategy", "final_div_factor"));
    PARAMETERS.put("ReduceLROnPlateau", List.of("init_lr", "mode", "factor", "patience", "threshold",
        "threshold_mode", "cooldown", "min_lr"));
    PARAMETERS.put("PolynomialLR", List.of("init_lr", "total_iters", "power"));
  }

  /** The names {@link #byName} takes, in Luma's order, then PyTorch's {@code PolynomialLR}. */
  public static List<String> names() {
    return List.copyOf(PARAMETERS.keySet());
  }

  /**
   * Whether Luma steps this schedule per batch ({@code CyclicLR}, {@code CycleLR},
   * {@code OneCycleLR}) rather than per epoch.
   *
   * @throws IllegalArgumentException for an unknown name
   */
  public static boolean perStep(String name) {
    String n = canonical(name);
    return n.equals("CyclicLR") || n.equals("CycleLR") || n.equals("OneCycleLR");
  }

  /**
   * The schedule {@code name} (case-insensitive) with Luma's parameters.
   *
   * @param name a Luma scheduler name, or {@code PolynomialLR}
   * @param params parameters by Luma's names: {@code Number} values, {@code String} modes
   * @return the schedule; a {@link ReduceLrOnPlateau} for {@code ReduceLROnPlateau}
   * @throws IllegalArgumentException for an unknown name or parameter, a missing required one, a
   *     value of the wrong kind, or a value the schedule rejects
   */
  public static LrSchedule byName(String name, Map<String, ?> params) {
    String n = canonical(name);
    Objects.requireNonNull(params, "params");
    for (String key : params.keySet()) {
      if (!PARAMETERS.get(n).contains(key)) {
        throw new IllegalArgumentException(n + ": unknown parameter '" + key + "' (expected one of: "
            + String.join(", ", PARAMETERS.get(n)) + ")");
      }
    }
    Args a = new Args(n, params);
    double lr = a.number("init_lr", null);
    switch (n) {
      case "StepLR":
        return LrSchedule.stepDecay(lr, a.integer("step_size", 1L), a.number("gamma", 0.1));
      case "ExponentialLR":
        return LrSchedule.exponential(lr, a.number("gamma", 0.9));
      case "CosineAnnealingLR":
        return LrSchedule.cosine(lr, a.integer("T_max", null), a.number("eta_min", 0.0));
      case "CyclicLR":
      case "CycleLR": {
        long up = a.integer("step_size_up", null);
        return LrSchedule.cyclic(lr, a.number("max_lr", null), up, a.integer("step_size_down", up),
            cyclicMode(n, a.string("mode", "tri")), a.number("gamma", 1.0));
      }
      case "OneCycleLR": {
        double max = a.number("max_lr", null);
        String anneal = a.string("anneal_strategy", "cos");
        if (!anneal.equals("cos") && !anneal.equals("linear")) {
          throw new IllegalArgumentException(n + ": anneal_strategy '" + anneal + "' (expected: cos or linear)");
        }
        if (!(lr > 0)) {
          throw new IllegalArgumentException(n + ": init_lr " + lr + " (expected: > 0, the cycle's start)");
        }
        return LrSchedule.oneCycle(max, a.integer("total_steps", null), a.number("pct_start", 0.3),
            anneal.equals("cos") ? LrSchedule.Anneal.COS : LrSchedule.Anneal.LINEAR, max / lr,
            a.number("final_div_factor", 1e4), false);
      }
      case "ReduceLROnPlateau": {
        String mode = a.string("mode", "min");
        String thresholdMode = a.string("threshold_mode", "rel");
        if (!mode.equals("min") && !mode.equals("max")) {
          throw new IllegalArgumentException(n + ": mode '" + mode + "' (expected: min or max)");
        }
        if (!thresholdMode.equals("rel") && !thresholdMode.equals("abs")) {
          throw new IllegalArgumentException(n + ": threshold_mode '" + thresholdMode + "' (expected: rel or abs)");
        }
        return ReduceLrOnPlateau.builder(lr)
            .mode(mode.equals("min") ? ReduceLrOnPlateau.Mode.MIN : ReduceLrOnPlateau.Mode.MAX)
            .factor(a.number("factor", 0.1))
            .patience(Math.toIntExact(a.integer("patience", 10L)))
            .threshold(a.number("threshold", 1e-4))
            .thresholdMode(thresholdMode.equals("rel") ? ReduceLrOnPlateau.ThresholdMode.REL
                : ReduceLrOnPlateau.ThresholdMode.ABS)
            .cooldown(Math.toIntExact(a.integer("cooldown", 0L)))
            .minLr(a.number("min_lr", 0.0))
            .build();
      }
      default: // PolynomialLR
        return LrSchedule.polynomial(lr, a.integer("total_iters", 5L), a.number("power", 1.0));
    }
  }

  private static LrSchedule.CyclicMode cyclicMode(String name, String mode) {
    switch (mode) {
      case "tri":
      case "triangular":
        return LrSchedule.CyclicMode.TRIANGULAR;
      case "tri2":
      case "triangular2":
        return LrSchedule.CyclicMode.TRIANGULAR2;
      case "exp":
      case "exp_range":
        return LrSchedule.CyclicMode.EXP_RANGE;
      default:
        throw new IllegalArgumentException(name + ": mode '" + mode
            + "' (expected: tri, tri2, exp, or triangular, triangular2, exp_range)");
    }
  }

  private static String canonical(String name) {
    Objects.requireNonNull(name, "name");
    for (String n : PARAMETERS.keySet()) {
      if (n.toLowerCase(Locale.ROOT).equals(name.toLowerCase(Locale.ROOT))) {
        return n;
      }
    }
    throw new IllegalArgumentException("scheduler '" + name + "' is unknown (expected one of: "
        + String.join(", ", PARAMETERS.keySet()) + ")");
  }

  /** Typed access to the parameters, with the scheduler's name in every error. */
  private static final class Args {
    private final String name;
    private final Map<String, ?> params;

    Args(String name, Map<String, ?> params) {
      this.name = name;
      this.params = params;
    }

    private Object get(String key, Object fallback) {
      Object v = params.get(key);
      if (v == null && fallback == null) {
        throw new IllegalArgumentException(name + ": missing parameter '" + key + "'");
      }
      return v == null ? fallback : v;
    }

    double number(String key, Double fallback) {
      Object v = get(key, fallback);
      if (!(v instanceof Number)) {
        throw new IllegalArgumentException(name + ": " + key + " '" + v + "' (expected: a number)");
      }
      return ((Number) v).doubleValue();
    }

    long integer(String key, Long fallback) {
      Object v = get(key, fallback);
      double d = v instanceof Number ? ((Number) v).doubleValue() : Double.NaN;
      if (!(v instanceof Number) || d != Math.rint(d) || Math.abs(d) > Long.MAX_VALUE / 2) {
        throw new IllegalArgumentException(name + ": " + key + " '" + v + "' (expected: an integer)");
      }
      return (long) d;
    }

    String string(String key, String fallback) {
      Object v = get(key, fallback);
      if (!(v instanceof String)) {
        throw new IllegalArgumentException(name + ": " + key + " '" + v + "' (expected: a string)");
      }
      return (String) v;
    }
  }
}
