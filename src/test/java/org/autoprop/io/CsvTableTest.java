package org.autoprop.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.autoprop.tensor.Shape;
import org.autoprop.train.Dataset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** CSV tables: parsing, labels, standardisation against a direct computation, and every bad cell by line and column. */
class CsvTableTest {
  @TempDir Path dir;

  private Path csv(String text) throws IOException {
    Path f = dir.resolve("data.csv");
    Files.writeString(f, text, StandardCharsets.UTF_8);
    return f;
  }

  @Test
  void readsFeaturesAndNamedClassesInSortedOrder() throws IOException {
    Path f = csv("\uFEFFsepal length,species,\"width, cm\"\r\n5.1,setosa,3.5\r\n\r\n 7.0 ,versicolor,\"3.2\"\r\n"
        + "-1e-1,\"virginica\",+.5\n6.3,setosa,2");
    CsvTable t = CsvTable.read(f, "species");
    assertEquals(List.of("sepal length", "width, cm"), t.features());
    assertEquals(List.of("setosa", "versicolor", "virginica"), t.classes());
    Dataset d = t.dataset();
    assertEquals(Shape.of(4, 2), d.inputs().shape());
    assertArrayEquals(new float[] {5.1f, 3.5f, 7.0f, 3.2f, -0.1f, 0.5f, 6.3f, 2f}, d.inputs().toArray());
    assertArrayEquals(new int[] {0, 1, 2, 0}, d.labels());
  }

  @Test
  void integerLabelsAreTheIdsAndATestSetUsesTheTrainingClasses() throws IOException {
    CsvTable ids = CsvTable.read(csv("y,x\n3,1\n0,2\n+7,3\n"), "y");
    assertNull(ids.classes());
    assertArrayEquals(new int[] {3, 0, 7}, ids.labels());
    CsvTable mixed = CsvTable.read(csv("y,x\n3,1\nb,2\n10,3\n"), "y");
    assertEquals(List.of("10", "3", "b"), mixed.classes(), "not all integers: names, sorted as strings");
    assertArrayEquals(new int[] {1, 2, 0}, mixed.labels());
    CsvTable test = CsvTable.read(csv("x,y\n1,b\n2,b\n"), "y", List.of("a", "b", "c"));
    assertArrayEquals(new int[] {1, 1}, test.labels());
    IOException e = assertThrows(IOException.class,
        () -> CsvTable.read(csv("x,y\n1,b\n2,d\n"), "y", List.of("a", "b", "c")));
    assertEquals(dir.resolve("data.csv") + ": line 3, column 'y': class 'd' is not one of [a, b, c]", e.getMessage());
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#fewSeeds")
  void standardisationUsesTheTrainingStatistics(long seed) throws IOException {
    SplittableRandom r = new SplittableRandom(seed);
    int f = 1 + r.nextInt(4);
    double[][] train = table(r, 2 + r.nextInt(30), f);
    double[][] test = table(r, 1 + r.nextInt(10), f);
    CsvTable tr = CsvTable.read(write("train.csv", train), "label");
    CsvTable te = CsvTable.read(write("test.csv", test), "label");
    CsvTable.Standardizer s = tr.standardizer();
    for (int c = 0; c < f; c++) {
      double m = 0;
      for (double[] row : train) {
        m += (float) row[c];
      }
      m /= train.length;
      double v = 0;
      for (double[] row : train) {
        v += ((float) row[c] - m) * ((float) row[c] - m);
      }
      double sd = Math.sqrt(v / train.length);
      assertEquals(m, s.mean()[c], 1e-9 * (1 + Math.abs(m)));
      assertEquals(sd, s.std()[c], 1e-9 * (1 + sd));
      float[] x = s.apply(te).inputs().toArray();
      for (int i = 0; i < test.length; i++) {
        assertEquals((float) (((float) test[i][c] - s.mean()[c]) / s.std()[c]), x[i * f + c]);
      }
    }
    float[] self = s.apply(tr).inputs().toArray();
    for (int c = 0; c < f; c++) {
      double sum = 0;
      for (int i = 0; i < train.length; i++) {
        sum += self[i * f + c];
      }
      assertEquals(0, sum / train.length, 1e-5, "a standardised training column has mean 0");
    }
    CsvTable constant = CsvTable.read(csv("a,label\n2,0\n2,1\n"), "label");
    assertArrayEquals(new float[] {0, 0}, constant.standardizer().apply(constant).inputs().toArray());
  }

  private static double[][] table(SplittableRandom r, int n, int f) {
    double[][] t = new double[n][f];
    for (double[] row : t) {
      for (int c = 0; c < f; c++) {
        row[c] = (float) (r.nextGaussian() * 10 + c); // a float, written exactly below
      }
    }
    return t;
  }

  private Path write(String name, double[][] t) throws IOException {
    StringBuilder sb = new StringBuilder();
    List<String> cols = new ArrayList<>();
    for (int c = 0; c < t[0].length; c++) {
      cols.add("f" + c);
    }
    sb.append(String.join(",", cols)).append(",label\n");
    for (int i = 0; i < t.length; i++) {
      for (double v : t[i]) {
        sb.append(v).append(','); // the double's exact shortest form: parses back to the same float
      }
      sb.append(i % 3).append('\n');
    }
    Path p = dir.resolve(name);
    Files.writeString(p, sb);
    return p;
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
    "a,b,y\\n1,2,0\\n3,0\\n|line 3 has 2 cells (expected: 3, as the header)",
    "a,b,y\\n1,2,0\\n3,4,5,0\\n|line 3 has 4 cells (expected: 3, as the header)",
    "a,b,y\\n1,,0\\n|line 2, column 'b': missing value (empty cell)",
    "a,b,y\\n\\n1,2,0\\n1,NA,0\\n|line 4, column 'b': missing value ('NA')",
    "a,b,y\\n1,nan,0\\n|line 2, column 'b': missing value ('nan')",
    "a,b,y\\n1,2,0\\nabc,2,1\\n|line 3, column 'a': 'abc' is not a number",
    "a,b,y\\n1,0x10,0\\n|line 2, column 'b': '0x10' is not a number",
    "a,b,y\\n1,Infinity,0\\n|line 2, column 'b': 'Infinity' is not a number",
    "a,b,y\\n1,1e39,0\\n|line 2, column 'b': 1e39 is beyond float32's range",
    "a,b,y\\n1,2,\\n|line 2, column 'y': missing label",
    "a,b,y\\n1,2,99999999999\\n|line 2, column 'y': label 99999999999 (expected: 0 <= label <= 2147483647)",
    "a,b,z\\n1,2,0\\n|no column 'y' in the header [a, b, z]",
    "y,b,y\\n1,2,0\\n|the label column 'y' appears twice in the header",
    "\\n\\n|empty file (expected: a header row of column names)",
    "a,b,y\\n\"1,2,0\\n|line 2: a quoted field is not closed",
  })
  void badTablesAreRefusedByLineAndColumn(String text, String expected) throws IOException {
    Path f = csv(text.replace("\\n", "\n"));
    IOException e = assertThrows(IOException.class, () -> CsvTable.read(f, "y"));
    assertEquals(f + ": " + expected, e.getMessage());
  }

  @Test
  void aTestTableWithOtherColumnsIsRefused() throws IOException {
    CsvTable train = CsvTable.read(csv("a,b,y\n1,2,0\n"), "y");
    Path g = dir.resolve("test.csv");
    Files.writeString(g, "b,a,y\n1,2,0\n");
    CsvTable test = CsvTable.read(g, "y");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> train.standardizer().apply(test));
    assertEquals("Standardizer: " + g + " has feature columns [b, a] (expected: [a, b], those of the training table)",
        e.getMessage());
    Files.write(g, new byte[] {'a', ',', 'y', '\n', (byte) 0xff, ',', '1'});
    assertEquals(g + ": not valid UTF-8 text", assertThrows(IOException.class, () -> CsvTable.read(g, "y")).getMessage());
  }
}
