package org.autoprop.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every Java block of the module's README compiles against the module. */
class ReadmeTest {
  private static final Pattern JAVA_BLOCK = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL);
  private static final Pattern CLASS_NAME = Pattern.compile("(?m)^(?:public )?(?:final )?class (\\w+)");

  @Test
  void javaBlocksCompile(@TempDir Path dir) throws Exception {
    String readme = Files.readString(Path.of("README.md"));
    Matcher block = JAVA_BLOCK.matcher(readme);
    List<String> files = new ArrayList<>();
    while (block.find()) {
      Matcher name = CLASS_NAME.matcher(block.group(1));
      assertFalse(!name.find(), "a Java block of README.md declares no class:\n" + block.group(1));
      Path file = dir.resolve(name.group(1) + ".java");
      Files.writeString(file, block.group(1));
      files.add(file.toString());
    }
    assertFalse(files.isEmpty(), "README.md has no Java block");
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    List<String> args = new ArrayList<>(List.of("-d", dir.toString(), "-cp", System.getProperty("java.class.path")));
    args.addAll(files);
    StringWriter errors = new StringWriter();
    int status = javac.run(null, null, new java.io.PrintStream(new java.io.OutputStream() {
      @Override
      public void write(int b) {
        errors.write(b);
      }
    }), args.toArray(String[]::new));
    assertEquals(0, status, "README.md's Java does not compile:\n" + errors);
  }
}
