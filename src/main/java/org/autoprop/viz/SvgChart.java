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
    if (xMin > xMax) {
      xMin = 0;
      xMax = 1;
      yMin = 0;
      yMax = 1;
    }
    if (xMax == xMin) {
      xMax = xMin + 1;
    }
    if (yMax == yMin) {
      yMax = yMin + Math.max(1e-6, Math.abs(yMin) * 0.1);
    }
    double pad = (yMax - yMin) * 0.05;
    yMin -= pad;
    yMax += pad;
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
    for (int t = 0; t <= 4; t++) {
      double v = yMin + (yMax - yMin) * t / 4;
      double py = TOP + plotH - plotH * t / 4.0;
      sb.append(String.format(Locale.ROOT,
          "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
              + "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%s</text>%n",
          LEFT, LEFT + plotW, py, py, LEFT - 6, py + 4, tick(v)));
      double xv = xMin + (xMax - xMin) * t / 4;
      double px = LEFT + plotW * t / 4.0;
      sb.append(String.format(Locale.ROOT,
          "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%s</text>%n",
          px, TOP + plotH + 16, tick(xv)));
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
        double px = LEFT + plotW * (ser.x()[i] - xMin) / (xMax - xMin);
        double py = TOP + plotH - plotH * (ser.y()[i] - yMin) / (yMax - yMin);
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

  private static String tick(double v) {
    double a = Math.abs(v);
    if (a != 0 && (a < 1e-3 || a >= 1e5)) {
      return String.format(Locale.ROOT, "%.2e", v);
    }
    return String.format(Locale.ROOT, a >= 100 ? "%.0f" : a >= 10 ? "%.1f" : "%.3f", v);
  }

  static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
