"""The chain rule by hand and by backward(), side by side, for one sigmoid neuron.

The neuron is the one from the notebook this project grew from: three inputs,
three weights, no bias, a sigmoid, and half the squared error as the loss:

    z    = w1*x1 + w2*x2 + w3*x3
    out  = sigmoid(z)
    loss = 0.5 * (y - out)**2

By the chain rule, dloss/dwi = dloss/dout * dout/dz * dz/dwi
                             = (out - y) * out * (1 - out) * xi.

Run:  python examples/chain_rule.py
"""

from __future__ import annotations

import argparse

from tinygrad_edu import Value


def main() -> None:
    """Build the neuron from Values, backpropagate, and print both columns."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=float, nargs=3, default=[1.0, 1.0, 0.0], metavar="X",
                        help="the three inputs x1 x2 x3 (default: 1 1 0)")
    parser.add_argument("--target", type=float, default=1.0, help="the wanted output y (default: 1)")
    args = parser.parse_args()

    # The notebook's starting weights: 2 * numpy.random.random((3, 1)) - 1 with seed 42.
    w = [Value(-0.25091976, name="w1"), Value(0.90142861, name="w2"), Value(0.46398788, name="w3")]
    x = [Value(xi, requires_grad=False) for xi in args.inputs]
    y = args.target

    z = w[0] * x[0] + w[1] * x[1] + w[2] * x[2]
    out = z.sigmoid()
    loss = 0.5 * (y - out) ** 2
    loss.backward()

    o = out.item()
    print(f"z = {z.item():.8f}   out = sigmoid(z) = {o:.8f}   loss = {loss.item():.8f}\n")
    print(f"{'':12}{'by hand: (out - y) * out * (1 - out) * xi':44}by backward()")
    for i, (wi, xi) in enumerate(zip(w, args.inputs), start=1):
        by_hand = (o - y) * o * (1 - o) * xi + 0.0  # + 0.0 turns -0.0 into 0.0
        print(f"dloss/dw{i}   {by_hand:<+44.10f}{wi.grad.item() + 0.0:+.10f}")
    print(f"\nintermediate gradients: dloss/dout = {out.grad.item() + 0.0:+.10f} (= out - y = {o - y + 0.0:+.10f})")
    print(f"                        dloss/dz   = {z.grad.item() + 0.0:+.10f} (= (out - y) * out * (1 - out))")


if __name__ == "__main__":
    main()
