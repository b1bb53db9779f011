package org.autoprop.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.autoprop.train.DenseFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Paths that cannot be files give errors naming them; interrupted saves leave nothing behind for long. */
class AtomicFilesTest {
  @TempDir Path dir;

  private static final FileTime AN_HOUR_AGO = FileTime.fromMillis(System.currentTimeMillis() - 3_600_000);

  @Test
  void aFolderGivenAsAFileIsNamed() throws IOException {
    Path folder = Files.createDirectory(dir.resolve("weights.safetensors"));
    IOException e = assertThrows(IOException.class, () -> SafeTensors.read(folder));
    assertEquals(folder + ": is a folder (expected: a file)", e.getMessage());
    e = assertThrows(IOException.class, () -> Idx.readImages(folder));
    assertEquals(folder + ": is a folder (expected: a file)", e.getMessage());
    e = assertThrows(IOException.class, () -> StateDict.save(new DenseFixture("fc", 2, 2, 1), folder));
    assertEquals(folder + ": is a folder (expected: a file path)", e.getMessage());
    assertTrue(Files.isDirectory(folder), "the empty folder is not replaced");
    try (Stream<Path> s = Files.list(dir)) {
      assertEquals(List.of(folder), s.toList(), "no temporary file left");
    }
  }

  @Test
  void aParentThatIsAFileIsNamed() throws IOException {
    Path file = Files.write(dir.resolve("runs"), new byte[] {1});
    Path inside = file.resolve("fmnist").resolve("w.safetensors");
    IOException e = assertThrows(IOException.class, () -> SafeTensors.read(inside));
    assertEquals(inside + ": no such file (" + file + " is a file, not a folder)", e.getMessage());
    e = assertThrows(IOException.class, () -> StateDict.save(new DenseFixture("fc", 2, 2, 1), inside));
    assertEquals(inside + ": cannot create the folder: " + file + " is a file, not a folder", e.getMessage());
    e = assertThrows(IOException.class, () -> Idx.readLabels(dir.resolve("missing.idx")));
    assertEquals(dir.resolve("missing.idx") + ": no such file", e.getMessage());
  }

  @Test
  void aSaveRemovesStaleTemporaryFilesOfItsTarget() throws IOException {
    Path target = dir.resolve("w.safetensors");
    Path stale = Files.write(dir.resolve(".w.safetensors.123456789.tmp"), new byte[1 << 20]);
    Files.setLastModifiedTime(stale, AN_HOUR_AGO);
    Path recent = Files.write(dir.resolve(".w.safetensors.42.tmp"), new byte[10]); // maybe being created now
    Path otherTarget = Files.write(dir.resolve(".x.safetensors.123.tmp"), new byte[10]);
    Files.setLastModifiedTime(otherTarget, AN_HOUR_AGO);
    Path notOurs = Files.write(dir.resolve(".w.safetensors.backup.tmp"), new byte[10]);
    Files.setLastModifiedTime(notOurs, AN_HOUR_AGO);
    StateDict.save(new DenseFixture("fc", 2, 2, 1), target);
    assertFalse(Files.exists(stale), "stale temporary file removed");
    assertTrue(Files.exists(recent), "a recent temporary file may belong to a save in progress");
    assertTrue(Files.exists(otherTarget), "another target's temporary file is left");
    assertTrue(Files.exists(notOurs), "a name the writer never makes is left");
    assertEquals(List.of("fc.weight", "fc.bias", "fc.running_mean"), List.copyOf(SafeTensors.read(target).names()));
  }

  @Test
  void aTemporaryFileLockedByAnotherProcessIsLeft() throws Exception {
    Path stale = Files.write(dir.resolve(".w.safetensors.777.tmp"), new byte[100]);
    Files.setLastModifiedTime(stale, AN_HOUR_AGO);
    Path holder = Files.writeString(dir.resolve("Hold.java"), String.join("\n",
        "import java.nio.channels.FileChannel;",
        "import java.nio.file.*;",
        "public class Hold {",
        "  public static void main(String[] a) throws Exception {",
        "    try (FileChannel ch = FileChannel.open(Path.of(a[0]), StandardOpenOption.WRITE)) {",
        "      ch.lock();",
        "      System.out.println(\"locked\");",
        "      System.out.flush();",
        "      System.in.read();",
        "    }",
        "  }",
        "}"));
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process p = new ProcessBuilder(java.toString(), holder.toString(), stale.toString())
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    try {
      BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      assertEquals("locked", r.readLine());
      Files.setLastModifiedTime(stale, AN_HOUR_AGO);
      StateDict.save(new DenseFixture("fc", 2, 2, 1), dir.resolve("w.safetensors"));
      assertTrue(Files.exists(stale), "a locked temporary file belongs to a live writer");
    } finally {
      p.getOutputStream().close();
      assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    }
    StateDict.save(new DenseFixture("fc", 2, 2, 1), dir.resolve("w.safetensors"));
    assertFalse(Files.exists(stale), "removed once its writer is gone");
  }

  @Test
  void aSaveInProgressInThisProcessIsLeftAlone() throws Exception {
    Path target = dir.resolve("w.bin");
    CountDownLatch writing = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread slow = new Thread(() -> {
      try {
        AtomicFiles.write(target, out -> {
          out.write(new byte[] {1, 2, 3});
          out.flush();
          writing.countDown();
          try {
            release.await();
          } catch (InterruptedException e) {
            throw new IOException(e);
          }
        });
      } catch (Throwable t) {
        failure.set(t);
      }
    });
    slow.start();
    assertTrue(writing.await(60, TimeUnit.SECONDS));
    Path tmp;
    try (Stream<Path> s = Files.list(dir)) {
      tmp = s.filter(f -> f.getFileName().toString().startsWith(".w.bin.")).findFirst().orElseThrow();
    }
    Files.setLastModifiedTime(tmp, AN_HOUR_AGO); // a slow writer: old, but in use
    AtomicFiles.write(target, out -> out.write(new byte[] {9}));
    assertTrue(Files.exists(tmp));
    release.countDown();
    slow.join(60_000);
    assertEquals(null, failure.get());
    assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(target));
  }

  @Test
  void nullArgumentsAreNamed() {
    NullPointerException e = assertThrows(NullPointerException.class,
        () -> AtomicFiles.write(null, out -> { }));
    assertEquals("target", e.getMessage());
    e = assertThrows(NullPointerException.class, () -> AtomicFiles.write(dir.resolve("x"), null));
    assertEquals("writer", e.getMessage());
  }
}
