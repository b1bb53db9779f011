package org.autoprop.io;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Path checks that turn the file system's terse errors ("Is a directory", "Not a directory",
 * a bare path) into one line naming the path and what is wrong with it.
 */
final class FileChecks {
  /** The largest file read whole: a Java array's limit. */
  static final long MAX_FILE_BYTES = Integer.MAX_VALUE - 8;

  private FileChecks() {}

  /** Reads a whole file, with an error naming the path if it is missing, a folder or unreadable. */
  static byte[] readAllBytes(Path file) throws IOException {
    checkReadable(file);
    long size = Files.size(file);
    if (size > MAX_FILE_BYTES) {
      throw new IOException(file + ": " + size + " bytes (expected: at most " + MAX_FILE_BYTES
          + "; larger files are not supported)");
    }
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw explain(file, e);
    }
  }

  /** Checks that {@code file} is an existing regular file (not a folder), naming the path if not. */
  static void checkReadable(Path file) throws IOException {
    if (Files.isDirectory(file)) {
      throw new IOException(file + ": is a folder (expected: a file)");
    }
    if (!Files.exists(file)) {
      Path blocker = fileAmongParents(file);
      throw new IOException(blocker != null
          ? file + ": no such file (" + blocker + " is a file, not a folder)"
          : file + ": no such file");
    }
  }

  /**
   * Checks that {@code target} can be written as a file: it is not a folder, and no existing
   * parent is a file.
   */
  static void checkWritable(Path target) throws IOException {
    if (Files.isDirectory(target)) {
      throw new IOException(target + ": is a folder (expected: a file path)");
    }
    Path blocker = fileAmongParents(target);
    if (blocker != null) {
      throw new IOException(target + ": cannot create the folder: " + blocker + " is a file, not a folder");
    }
  }

  /** The nearest existing parent of {@code p} that is not a folder, or null. */
  private static Path fileAmongParents(Path p) {
    for (Path q = p.toAbsolutePath().getParent(); q != null; q = q.getParent()) {
      if (Files.exists(q)) {
        return Files.isDirectory(q) ? null : q;
      }
    }
    return null;
  }

  /** The same failure with a message that names {@code path} and the reason, on one line. */
  static IOException explain(Path path, IOException e) {
    String reason;
    if (e instanceof NoSuchFileException) {
      reason = "no such file";
    } else if (e instanceof AccessDeniedException) {
      reason = "permission denied";
    } else if (e instanceof FileSystemException && ((FileSystemException) e).getReason() != null) {
      reason = ((FileSystemException) e).getReason();
    } else {
      reason = String.valueOf(e.getMessage());
    }
    return new IOException(path + ": " + reason, e);
  }
}
