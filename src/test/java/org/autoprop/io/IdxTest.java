package org.autoprop.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.autoprop.train.Dataset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IdxTest {
  @TempDir Path dir;

  private static Idx.Images images(int n, int rows, int cols) {
    byte[] px = new byte[n * rows * cols];
    for (int i = 0; i < px.length; i++) {
      px[i] = (byte) (i * 37 + 11);
    }
    return new Idx.Images(n, rows, cols, px);
  }

  @ParameterizedTest(name = "gzip={0}")
  @ValueSource(booleans = {false, true})
  void roundTripsAndLoadsANormalisedDataset(boolean gzip) throws IOException {
    Idx.Images im = images(5, 3, 4);
    byte[] labels = {0, 9, (byte) 200, 3, 1};
    Path pi = dir.resolve("im.idx");
    Path pl = dir.resolve("lb.idx");
    Idx.writeImages(pi, im, gzip);
    Idx.writeLabels(pl, labels, gzip);
    byte[] raw = Files.readAllBytes(pi);
    assertEquals(gzip, (raw[0] & 0xff) == 0x1f && (raw[1] & 0xff) == 0x8b, "gzip magic");
    if (!gzip) {
      assertEquals(16 + 60, raw.length);
      assertArrayEquals(new byte[] {0, 0, 8, 3, 0, 0, 0, 5, 0, 0, 0, 3, 0, 0, 0, 4}, Arrays.copyOf(raw, 16));
    }
    Idx.Images back = Idx.readImages(pi);
    assertEquals(5, back.count());
    assertEquals(3, back.rows());
    assertEquals(4, back.cols());
    assertArrayEquals(im.pixels(), back.pixels());
    assertArrayEquals(labels, Idx.readLabels(pl));

    Dataset d = Idx.load(pi, pl, 201, 0.5, 0.25);
    assertEquals("[5, 1, 3, 4]", d.inputs().shape().toString());
    assertArrayEquals(new int[] {0, 9, 200, 3, 1}, d.labels());
    assertEquals(201, d.classCount());
    for (int i = 0; i < im.pixels().length; i++) {
      double expected = ((im.pixels()[i] & 0xff) / 255.0 - 0.5) / 0.25;
      assertEquals(expected, d.inputs().getFlat(i), 1e-5);
    }
  }

  @Test
  void wrongMagicNumber() throws IOException {
    Path pl = dir.resolve("labels.idx");
    Idx.writeLabels(pl, new byte[] {1, 2}, false);
    IOException e = assertThrows(IOException.class, () -> Idx.readImages(pl));
    assertEquals(pl + ": magic number 0x00000801 (expected: 0x00000803 for IDX images)", e.getMessage());
  }

  @ParameterizedTest(name = "gzip={0}")
  @ValueSource(booleans = {false, true})
  void truncatedFiles(boolean gzip) throws IOException {
    Path pi = dir.resolve("im.idx");
    Idx.writeImages(pi, images(4, 5, 5), false);
    byte[] raw = Files.readAllBytes(pi);
    Path cut = dir.resolve("cut.idx");
    if (gzip) {
      Path gz = dir.resolve("im.gz");
      Idx.writeImages(gz, images(4, 5, 5), true);
      byte[] g = Files.readAllBytes(gz);
      Files.write(cut, Arrays.copyOf(g, g.length - 12));
      IOException e = assertThrows(IOException.class, () -> Idx.readImages(cut));
      assertEquals(cut + ": truncated gzip stream", e.getMessage());
    } else {
      Files.write(cut, Arrays.copyOf(raw, raw.length - 7));
      IOException e = assertThrows(IOException.class, () -> Idx.readImages(cut));
      assertEquals(cut + ": 93 bytes of pixel data (expected: 4 x 5 x 5 = 100), file truncated", e.getMessage());
    }
    Files.write(cut, Arrays.copyOf(raw, 10));
    IOException e = assertThrows(IOException.class, () -> Idx.readImages(cut));
    assertTrue(e.getMessage().startsWith(cut + ": truncated IDX header"), e.getMessage());
    Path pl = dir.resolve("lb.idx");
    Idx.writeLabels(pl, new byte[] {1, 2, 3}, false);
    Files.write(pl, Arrays.copyOf(Files.readAllBytes(pl), 10));
    e = assertThrows(IOException.class, () -> Idx.readLabels(pl));
    assertEquals(pl + ": 2 bytes of label data (expected: 3), file truncated", e.getMessage());
  }

  @Test
  void countMismatchNamesBothFiles() throws IOException {
    Path pi = dir.resolve("im.idx");
    Path pl = dir.resolve("lb.idx");
    Idx.writeImages(pi, images(4, 2, 2), true);
    Idx.writeLabels(pl, new byte[] {1, 2, 3}, true);
    IOException e = assertThrows(IOException.class, () -> Idx.load(pi, pl, 0, 1));
    assertEquals("IDX count mismatch: " + pi + " has 4 images but " + pl + " has 3 labels", e.getMessage());
  }
}
