package org.autoprop.viz;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A line chart as a standalone SVG document: one or more named series of (x, y) points sharing
 * the axes, with ticks, a title and a legend.
 *
 * <pre>{@code
 * String svg = new SvgChart("Loss", "epoch", "loss")
 *     .series("train", epochs, trainLoss)
 *     .series("validation", epochs, valLoss)
 *     .toSvg();
 * }</pre>
 */
public final class SvgChart {
  private static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd"};
  private static final int WIDTH = 520;
  private static final int HEIGHT = 320;
  private static final int LEFT = 64;
  private static final int RIGHT = 20;
  private static final int TOP = 52;
  private static final int BOTTOM = 48;

  private final String title;
  private final String xLabel;
  private final String yLabel;
  private final List<Series> series = new ArrayList<>();

  private record Series(String name, double[] x, double[] y) {}

  /** A chart with a title and axis labels. */
  public SvgChart(String title, String xLabel, String yLabel) {
    this.title = title;
    this.xLabel = xLabel;
    this.yLabel = yLabel;
  }

  /** Adds a series; {@code x} and {@code y} must have the same length. Non-finite points are skipped. */
  public SvgChart series(String name, double[] x, double[] y) {
    if (x.length != y.length) {
      throw new IllegalArgumentException(
          "series '" + name + "': " + x.length + " x values and " + y.length + " y values (expected: equal)");
    }
    series.add(new Series(name, x.clone(), y.clone()));
    return this;
  }

  /** The chart as an SVG element of {@link #width()} x {@link #height()} pixels at (dx, dy). */
  String toSvgGroup(int dx, int dy) {
    double xMin = Double.POSITIVE_INFINITY;
    double xMax = Double.NEGATIVE_INFINITY;
    double yMin = Double.POSITIVE_INFINITY;
    double yMax = Double.NEGATIVE_INFINITY;
    for (Series s : series) {
      for (int i = 0; i < s.x().length; i++) {
        if (Double.isFinite(s.x()[i]) && Double.isFinite(s.y()[i])) {
          xMin = Math.min(xMin, s.x()[i]);
          xMax = Math.max(xMax, s.x()[i]);
          yMin = Math.min(yMin, s.y()[i]);
          yMax = Math.max(yMax, s.y()[i]);
        }
      }
    }
    boolean integerX = true;
    for (Series s : series) {
      for (int i = 0; i < s.x().length; i++) {
        if (Double.isFinite(s.x()[i]) && Double.isFinite(s.y()[i]) && s.x()[i] != Math.rint(s.x()[i])) {
          integerX = false;
        }
      }
    }
    if (xMin > xMax) {
      xMin = 0;
      xMax = 1;
      yMin = 0;
      yMax = 1;
    }
    // x: half a step of margin on both sides, so that no point sits on the frame and a single
    // point is centred; epochs (integer x) get integer ticks only.
    double xStep = niceStep(xMax - xMin, 6, integerX);
    double xPad = xMax == xMin ? xStep : Math.max(0.04 * (xMax - xMin), integerX ? 0.25 : 0);
    double x0 = xMin - xPad;
    double x1 = xMax + xPad;
    // y: a 5% margin, then the range widened to whole steps of 1, 2 or 5 x 10^k.
    if (yMax == yMin) {
      double d = Math.max(1e-6, Math.abs(yMin) * 0.1);
      yMin -= d;
      yMax += d;
    }
    double pad = (yMax - yMin) * 0.05;
    double yStep = niceStep(yMax - yMin + 2 * pad, 5, false);
    double y0 = Math.floor((yMin - pad) / yStep) * yStep;
    double y1 = Math.ceil((yMax + pad) / yStep) * yStep;
    int plotW = WIDTH - LEFT - RIGHT;
    int plotH = HEIGHT - TOP - BOTTOM;
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "<g transform=\"translate(%d,%d)\">%n", dx, dy));
    sb.append(String.format(Locale.ROOT,
        "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"white\"/>%n", WIDTH, HEIGHT));
    sb.append(String.format(Locale.ROOT,
        "<text x=\"%d\" y=\"22\" font-size=\"15\" text-anchor=\"middle\" font-weight=\"bold\">%s</text>%n",
        WIDTH / 2, escape(title)));
    sb.append(String.format(Locale.ROOT,
        "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#444\"/>%n",
        LEFT, TOP, plotW, plotH));
    for (long k = Math.round(Math.ceil(y0 / yStep - 1e-9)); k * yStep <= y1 + 1e-9 * yStep; k++) {
      double v = k * yStep;
      double py = TOP + plotH - plotH * (v - y0) / (y1 - y0);
      sb.append(String.format(Locale.ROOT,
          "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
              + "<text class=\"ytick\" x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%s</text>%n",
          LEFT, LEFT + plotW, py, py, LEFT - 6, py + 4, tick(v, yStep)));
    }
    for (long k = Math.round(Math.ceil(x0 / xStep - 1e-9)); k * xStep <= x1 + 1e-9 * xStep; k++) {
      double v = k * xStep;
      double px = LEFT + plotW * (v - x0) / (x1 - x0);
      sb.append(String.format(Locale.ROOT,
          "<text class=\"xtick\" x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%s</text>%n",
          px, TOP + plotH + 16, tick(v, xStep)));
    }
    sb.append(String.format(Locale.ROOT,
        "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">%s</text>%n",
        LEFT + plotW / 2, HEIGHT - 8, escape(xLabel)));
    sb.append(String.format(Locale.ROOT,
        "<text x=\"14\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 14 %d)\">%s</text>%n",
        TOP + plotH / 2, TOP + plotH / 2, escape(yLabel)));
    for (int s = 0; s < series.size(); s++) {
      Series ser = series.get(s);
      String color = COLORS[s % COLORS.length];
      StringBuilder points = new StringBuilder();
      for (int i = 0; i < ser.x().length; i++) {
        if (!Double.isFinite(ser.x()[i]) || !Double.isFinite(ser.y()[i])) {
          continue;
        }
        double px = LEFT + plotW * (ser.x()[i] - x0) / (x1 - x0);
        double py = TOP + plotH - plotH * (ser.y()[i] - y0) / (y1 - y0);
        points.append(String.format(Locale.ROOT, "%.1f,%.1f ", px, py));
        sb.append(String.format(Locale.ROOT,
            "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/>%n", px, py, color));
      }
      sb.append(String.format(Locale.ROOT,
          "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"%s\"/>%n", color, points.toString().trim()));
      // Legend in a row between the title and the plot, so it never hides a curve.
      int lx = LEFT + 110 * s;
      int ly = TOP - 12;
      sb.append(String.format(Locale.ROOT,
          "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"/>"
              + "<text x=\"%d\" y=\"%d\" font-size=\"11\">%s</text>%n",
          lx, lx + 18, ly, ly, color, lx + 22, ly + 4, escape(ser.name())));
    }
    sb.append("</g>\n");
    return sb.toString();
  }

  /** The chart as a standalone SVG document. */
  public String toSvg() {
    return document(WIDTH, HEIGHT, toSvgGroup(0, 0));
  }

  /** Several charts side by side in one SVG document. */
  public static String sideBySide(SvgChart... charts) {
    StringBuilder body = new StringBuilder();
    for (int i = 0; i < charts.length; i++) {
      body.append(charts[i].toSvgGroup(i * WIDTH, 0));
    }
    return document(WIDTH * charts.length, HEIGHT, body.toString());
  }

  /** Width of one chart in pixels. */
  public static int width() {
    return WIDTH;
  }

  /** Height of one chart in pixels. */
  public static int height() {
    return HEIGHT;
  }

  private static String document(int w, int h, String body) {
    return String.format(Locale.ROOT,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>%n"
            + "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\""
            + " font-family=\"sans-serif\">%n%s</svg>%n",
        w, h, w, h, body);
  }

  /**
   * The smallest step of 1, 2 or 5 x 10^k that covers {@code range} in at most {@code maxTicks}
   * intervals (at least 1 when {@code integer}).
   */
  static double niceStep(double range, int maxTicks, boolean integer) {
    double raw = range > 0 ? range / maxTicks : 1;
    double mag = Math.pow(10, Math.floor(Math.log10(raw)));
    double step = 10 * mag;
    for (double m : new double[] {1, 2, 5}) {
      if (m * mag >= raw * (1 - 1e-9)) {
        step = m * mag;
        break;
      }
    }
    return integer ? Math.max(1, Math.rint(step)) : step;
  }

  /** A tick label with the fewest digits that tell ticks {@code step} apart. */
  static String tick(double v, double step) {
    if (Math.abs(v) < step * 1e-6) {
      return "0";
    }
    double a = Math.max(Math.abs(v), step);
    if (a >= 1e6 || step < 1e-4) {
      int digits = Math.max(0, (int) Math.floor(Math.log10(Math.abs(v))) - (int) Math.floor(Math.log10(step)));
      return String.format(Locale.ROOT, "%." + digits + "e", v);
    }
    int decimals = Math.max(0, -(int) Math.floor(Math.log10(step) + 1e-9));
    return String.format(Locale.ROOT, "%." + decimals + "f", v);
  }

  static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
