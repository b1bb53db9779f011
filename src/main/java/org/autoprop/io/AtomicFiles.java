package org.autoprop.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Writes a file all-or-nothing: into a hidden temporary file in the same folder
 * ({@code .<name>.<random digits>.tmp}), flushed to disk, then renamed over the target in one
 * atomic step. If anything fails (the writer throws, the disk is full), the temporary file is
 * deleted and the previous target file, if any, is left intact.
 *
 * <p>A process killed mid-save cannot delete its temporary file, so each save first removes
 * the stale temporary files of the same target: those unchanged for
 * {@link #STALE_AFTER_MILLIS} and not locked (a writer holds an exclusive {@link FileLock} on
 * its temporary file while writing, which the operating system releases if the process dies).
 */
public final class AtomicFiles {
  /** How long a temporary file must have been unchanged before a later save may remove it. */
  public static final long STALE_AFTER_MILLIS = 60_000;
  private static final System.Logger LOG = System.getLogger(AtomicFiles.class.getName());
  /**
   * Temporary files this JVM is writing now. They are never opened by the clean-up: closing any
   * channel of a file releases all of this process's locks on it (POSIX record locks).
   */
  private static final Set<Path> ACTIVE = ConcurrentHashMap.newKeySet();

  private AtomicFiles() {}

  /** Writes the content of a file to a stream. */
  @FunctionalInterface
  public interface Writer {
    /**
     * Writes everything to {@code out} (do not close it).
     *
     * @param out the stream to the temporary file
     * @throws IOException to abandon the write (the target is left as it was)
     */
    void writeTo(OutputStream out) throws IOException;
  }

  /**
   * Writes {@code target} atomically with the bytes that {@code writer} produces, creating its
   * folder if needed.
   *
   * @param target the file to write or replace
   * @param writer produces the content
   * @throws IOException naming the path if {@code target} is a folder or a parent is a file, or
   *     on a write error (the previous target is then left intact)
   */
  public static void write(Path target, Writer writer) throws IOException {
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(writer, "writer");
    FileChecks.checkWritable(target);
    Path abs = target.toAbsolutePath();
    Path dir = abs.getParent();
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw FileChecks.explain(dir, e);
    }
    String name = abs.getFileName().toString();
    removeStaleTemporaries(dir, name);
    Path tmp = Files.createTempFile(dir, "." + name + ".", ".tmp");
    ACTIVE.add(tmp);
    boolean done = false;
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        lock(ch);
        OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16);
        writer.writeTo(out);
        out.flush();
        ch.force(true);
      }
      // createTempFile makes an owner-only file; give the result the permissions a plain write
      // would (those of the file it replaces, else rw-r--r--).
      setPermissionsLike(abs, tmp);
      try {
        Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
      }
      done = true;
    } finally {
      ACTIVE.remove(tmp);
      if (!done) {
        Files.deleteIfExists(tmp);
      }
    }
  }

  /** Locks the temporary file for the clean-up of other processes; file systems without locks go on unlocked. */
  private static void lock(FileChannel ch) {
    try {
      ch.tryLock();
    } catch (IOException | OverlappingFileLockException e) {
      // No lock support (some network file systems): the age rule alone protects the file.
    }
  }

  /**
   * Deletes the temporary files of {@code name} in {@code dir} left by interrupted saves: unchanged
   * for {@link #STALE_AFTER_MILLIS}, and not locked by a live writer. Best effort: a file that
   * cannot be checked or deleted is left.
   */
  static void removeStaleTemporaries(Path dir, String name) {
    String prefix = "." + name + ".";
    long before = System.currentTimeMillis() - STALE_AFTER_MILLIS;
    List<Path> candidates = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, p -> isTemporaryName(p, prefix))) {
      files.forEach(candidates::add);
    } catch (IOException | DirectoryIteratorException e) {
      return;
    }
    for (Path p : candidates) {
      if (ACTIVE.contains(p)) {
        continue;
      }
      try {
        BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (!a.isRegularFile() || a.lastModifiedTime().toMillis() > before) {
          continue;
        }
        boolean free = false;
        boolean deleted = false;
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
          FileLock lock = ch.tryLock();
          free = lock != null;
          if (free) {
            deleted = Files.deleteIfExists(p); // POSIX: delete while no writer can take the lock
          }
        } catch (OverlappingFileLockException e) {
          continue; // locked by this JVM
        } catch (IOException e) {
          // Windows cannot delete an open file: retried below once the channel is closed.
        }
        if (free && !deleted) {
          Files.deleteIfExists(p);
        }
        if (free) {
          LOG.log(System.Logger.Level.INFO, "removed " + p + " (" + a.size()
              + " bytes), the temporary file of an interrupted save");
        }
      } catch (IOException e) {
        // Not ours to remove (another user's, or just gone): leave it.
      }
    }
  }

  private static boolean isTemporaryName(Path p, String prefix) {
    String n = p.getFileName().toString();
    if (!n.startsWith(prefix) || !n.endsWith(".tmp") || n.length() <= prefix.length() + 4) {
      return false;
    }
    for (int i = prefix.length(); i < n.length() - 4; i++) {
      if (n.charAt(i) < '0' || n.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }

  private static void setPermissionsLike(Path previous, Path tmp) throws IOException {
    if (!tmp.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      return;
    }
    java.util.Set<java.nio.file.attribute.PosixFilePermission> perms = Files.exists(previous)
        ? Files.getPosixFilePermissions(previous)
        : java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--");
    Files.setPosixFilePermissions(tmp, perms);
  }
}
