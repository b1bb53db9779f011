package org.autoprop.viz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

class SvgChartTest {
  @Test
  void writesWellFormedSvgWithOnePolylinePerSeriesAndEscapedText() throws Exception {
    String svg = SvgChart.sideBySide(
        new SvgChart("Loss <train & val>", "epoch", "loss")
            .series("train", new double[] {1, 2, 3}, new double[] {2.0, 1.0, 0.5})
            .series("validation", new double[] {1, 2, 3}, new double[] {2.1, 1.2, Double.NaN}),
        new SvgChart("Accuracy", "epoch", "accuracy")
            .series("validation", new double[] {1, 2, 3}, new double[] {0.7, 0.8, 0.85}));
    Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
        .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
    assertEquals("svg", doc.getDocumentElement().getTagName());
    assertEquals(3, doc.getElementsByTagName("polyline").getLength());
    // 3 + 2 (the NaN point is skipped) + 3 markers
    assertEquals(8, doc.getElementsByTagName("circle").getLength());
    assertTrue(svg.contains("Loss &lt;train &amp; val&gt;"));
    assertTrue(svg.contains("width=\"" + 2 * SvgChart.width() + "\""));
  }

  @Test
  void rejectsSeriesOfUnequalLength() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new SvgChart("t", "x", "y").series("s", new double[2], new double[3]));
    assertEquals("series 's': 2 x values and 3 y values (expected: equal)", e.getMessage());
  }

  @Test
  void singlePointAndEmptyChartsStillRender() {
    assertTrue(new SvgChart("t", "x", "y").series("s", new double[] {1}, new double[] {5}).toSvg().contains("<polyline"));
    assertTrue(new SvgChart("t", "x", "y").toSvg().startsWith("<?xml"));
  }
}
