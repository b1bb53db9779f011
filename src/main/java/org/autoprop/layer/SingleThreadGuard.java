package org.autoprop.layer;

import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * Fails at once when a second thread enters a model that one thread is running: the check the
 * containers ({@link Sequential}, {@code LayerGraph}) make on every forward and backward, since
 * their layers reuse buffers from call to call (see the {@link Layer} contract). One
 * compare-and-set per call, no allocation.
 */
public final class SingleThreadGuard {
  private final AtomicReference<Thread> runner = new AtomicReference<>();
  private final Supplier<String> owner;
  private final String why;
  // Only read for the message.
  private String runnerOp;

  /**
   * @param owner names the model in the message (called only when the check fails)
   * @param why the sentence that explains the rule, e.g. {@code "a graph is single-threaded: its
   *     layers reuse their buffers"}
   */
  public SingleThreadGuard(Supplier<String> owner, String why) {
    this.owner = owner;
    this.why = why;
  }

  /**
   * Marks the calling thread as inside {@code op}.
   *
   * @param op {@code "forward"} or {@code "backward"}
   * @throws IllegalStateException naming both threads if another thread is inside
   */
  public void enter(String op) {
    Thread me = Thread.currentThread();
    if (!runner.compareAndSet(null, me)) {
      Thread other = runner.get();
      throw new IllegalStateException(owner.get() + ": " + op + " called on thread '" + me.getName()
          + "' while thread '" + (other == null ? "(just left)" : other.getName()) + "' is inside its " + runnerOp
          + " (" + why + "; give each thread its own copy of the model)");
    }
    runnerOp = op;
  }

  /** Marks the calling thread as outside; call in a {@code finally} after {@link #enter}. */
  public void leave() {
    runner.set(null);
  }
}
