package org.autoprop.layer;

import org.autoprop.tensor.Tensor;

/**
 * A trainable tensor and its gradient, under a dotted name ({@code block1.conv1.weight}), like an
 * entry of PyTorch's {@code state_dict}.
 *
 * <p>A layer names its parameters locally ({@code weight}, {@code bias}); containers prefix them
 * with the child's name through {@link #withPrefix}, sharing the tensors.
 */
public final class Parameter {
  private final String name;
  private final Tensor value;
  private final Tensor grad;

  /** A parameter whose gradient starts at zero, with the value's shape. */
  public Parameter(String name, Tensor value) {
    this(name, value, Tensor.zeros(value.shape()));
  }

  private Parameter(String name, Tensor value, Tensor grad) {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException("Parameter name must not be empty");
    }
    if (!value.isContiguous()) {
      throw new IllegalArgumentException("Parameter '" + name + "' value must be contiguous");
    }
    this.name = name;
    this.value = value;
    this.grad = grad;
  }

  /** The dotted name. */
  public String name() {
    return name;
  }

  /** The value, updated in place by optimizers. */
  public Tensor value() {
    return value;
  }

  /** The accumulated gradient of the loss with respect to {@link #value()}. */
  public Tensor grad() {
    return grad;
  }

  /** The same tensors under {@code prefix + "." + name()}. */
  public Parameter withPrefix(String prefix) {
    return new Parameter(prefix + "." + name, value, grad);
  }

  /**
   * The same tensors under another name: for a block that exposes a child's parameter as its own
   * bare parameter, as a PyTorch module holding an {@code nn.Parameter} directly (ConvNeXt's
   * {@code layer_scale}).
   */
  public Parameter renamed(String newName) {
    return new Parameter(newName, value, grad);
  }

  /** Sets the gradient to zero. */
  public void zeroGrad() {
    grad.fill(0f);
  }

  @Override
  public String toString() {
    return "Parameter " + name + " " + value.shape();
  }
}
