package org.autoprop.viz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The training curves' axes, read back from the SVG text: integer epochs, nice y steps, margins. */
class SvgChartAxisTest {
  private static final Pattern TICK = Pattern.compile("<text class=\"(xtick|ytick)\" x=\"([-0-9.]+)\" y=\"([-0-9.]+)\"[^>]*>([^<]*)</text>");
  private static final Pattern POINT = Pattern.compile("<circle cx=\"([-0-9.]+)\" cy=\"([-0-9.]+)\"");
  private static final Pattern FRAME = Pattern.compile("<rect x=\"(\\d+)\" y=\"(\\d+)\" width=\"(\\d+)\" height=\"(\\d+)\" fill=\"none\"");

  static List<String> labels(String svg, String axis) {
    List<String> out = new ArrayList<>();
    Matcher m = TICK.matcher(svg);
    while (m.find()) {
      if (m.group(1).equals(axis)) {
        out.add(m.group(4));
      }
    }
    return out;
  }

  static double[] epochs(int n) {
    double[] e = new double[n];
    for (int i = 0; i < n; i++) {
      e[i] = i + 1;
    }
    return e;
  }

  static double[] curve(int n, double from, double to) {
    double[] y = new double[n];
    for (int i = 0; i < n; i++) {
      y[i] = n == 1 ? from : from + (to - from) * i / (n - 1) + 0.013 * Math.sin(7 * i);
    }
    return y;
  }

  @ParameterizedTest(name = "{0} epochs")
  @ValueSource(ints = {1, 2, 3, 4, 5, 7, 10, 13, 30, 100})
  void epochTicksAreIntegersAndYTicksNiceSteps(int n) {
    String svg = new SvgChart("Loss", "epoch", "loss")
        .series("train", epochs(n), curve(n, 1.132, 0.355))
        .series("test", epochs(n), curve(n, 0.855, 0.412)).toSvg();
    List<String> x = labels(svg, "xtick");
    assertTrue(x.size() >= 2, svg);
    for (String label : x) {
      assertTrue(label.matches("-?\\d+"), () -> "epoch tick '" + label + "' in " + x);
    }
    assertNiceSteps(labels(svg, "ytick"));
  }

  @ParameterizedTest(name = "range {0}")
  @ValueSource(doubles = {1e-5, 3e-3, 0.07, 0.855, 1, 12.5, 97.3, 4321, 2e7})
  void yTicksAreEqualStepsOfOneTwoOrFiveTimesAPowerOfTen(double scale) {
    double[] y = {0.855 * scale, 1.132 * scale, 0.977 * scale, 0.901 * scale};
    String svg = new SvgChart("t", "epoch", "y").series("s", epochs(4), y).toSvg();
    assertNiceSteps(labels(svg, "ytick"));
  }

  /** Equal steps of 1, 2 or 5 x 10^k, each label with no more digits than the step needs. */
  static void assertNiceSteps(List<String> labels) {
    assertTrue(labels.size() >= 3 && labels.size() <= 12, labels::toString);
    List<BigDecimal> v = new ArrayList<>();
    for (String l : labels) {
      v.add(new BigDecimal(l));
    }
    BigDecimal step = v.get(1).subtract(v.get(0));
    for (int i = 1; i < v.size(); i++) {
      assertEquals(0, step.compareTo(v.get(i).subtract(v.get(i - 1))), labels::toString);
    }
    String mantissa = step.stripTrailingZeros().unscaledValue().abs().toString();
    assertTrue(List.of("1", "2", "5").contains(mantissa), () -> "step " + step + " in " + labels);
    for (String l : labels) {
      if (!l.contains("e") && l.contains(".")) {
        // No trailing digit beyond the step's: 0.855-style labels are gone.
        assertTrue(new BigDecimal(l).scale() <= Math.max(0, step.stripTrailingZeros().scale()), () -> l + " in " + labels);
      }
    }
  }

  @Test
  void aOneEpochRunIsCentredNotOnTheFrame() {
    String svg = new SvgChart("Loss", "epoch", "loss").series("train", new double[] {1}, new double[] {0.7}).toSvg();
    Matcher f = FRAME.matcher(svg);
    assertTrue(f.find(), svg);
    double left = Double.parseDouble(f.group(1));
    double top = Double.parseDouble(f.group(2));
    double width = Double.parseDouble(f.group(3));
    double height = Double.parseDouble(f.group(4));
    Matcher p = POINT.matcher(svg);
    assertTrue(p.find(), svg);
    double cx = Double.parseDouble(p.group(1));
    double cy = Double.parseDouble(p.group(2));
    assertEquals(left + width / 2, cx, 1.0, svg);
    assertTrue(cy > top + 5 && cy < top + height - 5, svg);
    assertEquals(List.of("0", "1", "2"), labels(svg, "xtick"));
  }

  @Test
  void pointsOfALongerRunStayOffTheFrame() {
    String svg = new SvgChart("Loss", "epoch", "loss").series("train", epochs(6), curve(6, 2.3, 0.4)).toSvg();
    Matcher f = FRAME.matcher(svg);
    assertTrue(f.find());
    double left = Double.parseDouble(f.group(1));
    double right = left + Double.parseDouble(f.group(3));
    double top = Double.parseDouble(f.group(2));
    double bottom = top + Double.parseDouble(f.group(4));
    Matcher p = POINT.matcher(svg);
    int points = 0;
    while (p.find()) {
      double cx = Double.parseDouble(p.group(1));
      double cy = Double.parseDouble(p.group(2));
      assertTrue(cx > left + 5 && cx < right - 5, () -> "x " + cx);
      assertTrue(cy > top + 2 && cy < bottom - 2, () -> "y " + cy);
      points++;
    }
    assertEquals(6, points);
    assertFalse(svg.contains("1.750") || svg.contains("2.500"), svg);
  }
}
