"""The single sigmoid neuron of the teaching notebook, rebuilt from tinygrad_edu's parts.

The notebook trains one neuron (three inputs, three weights, no bias, a
sigmoid) to output its second input, starting from the weights that
numpy.random.seed(42) gives, with 10,000 steps of

    weights += X.T @ ((y - out) * out * (1 - out))

written out by hand. That update is gradient descent with learning rate 1 on
half the summed squared error, so here it is Linear(3, 1, bias=False),
Sigmoid, MSELoss(reduction="sum") times 0.5 and SGD(lr=1): the same numbers,
to every printed digit, with the derivative worked out by backward().

Run:  python examples/single_neuron.py [--graph neuron.svg]
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np

from tinygrad_edu import nn, optim, viz

TRAIN_INPUTS = np.array([[0, 0, 0], [0, 0, 1], [0, 1, 0], [1, 0, 0], [1, 1, 0], [1, 1, 1]], dtype=float)
TRAIN_OUTPUTS = np.array([[0, 0, 1, 0, 1, 1]], dtype=float).T


def notebook_initial_weights() -> np.ndarray:
    """The notebook's starting weights: numpy.random.seed(42), then 2 * random((3, 1)) - 1."""
    return 2 * np.random.RandomState(42).random_sample((3, 1)) - 1


# The three argparse types below are small enough to repeat in each example that needs them, so that
# every example reads, runs and can be copied on its own.


def at_least_one(text: str) -> int:
    """An argparse type: a whole number of at least 1 (with no step there is no loss to draw)."""
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {number}")
    return number


def learning_rate(text: str) -> float:
    """An argparse type: a finite number above 0 (float() also accepts 'nan' and 'inf')."""
    try:
        number = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not (math.isfinite(number) and number > 0):
        raise argparse.ArgumentTypeError(f"must be a finite number above 0, got {text!r}")
    return number


def graph_path(text: str) -> str:
    """An argparse type: a file name ending in .svg or .png (what viz.draw writes), in a folder that exists.

    Checked here, so that a bad name stops the script before training, not after it.
    """
    path = Path(text)
    if path.suffix.lower() not in (".svg", ".png"):
        raise argparse.ArgumentTypeError(f"must end in .svg or .png, got {text!r}")
    if not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"the folder {str(path.parent)!r} does not exist")
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a folder, not a file name")
    return text


def main() -> None:
    """Train the neuron as the notebook does and print its numbers."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=at_least_one, default=10_000, help="training steps (default: 10000)")
    parser.add_argument("--lr", type=learning_rate, default=1.0, help="learning rate (default: 1, as the notebook)")
    parser.add_argument("--graph", metavar="PATH", type=graph_path,
                        help="also draw the graph of the loss to PATH (.svg or .png)")
    args = parser.parse_args()

    linear = nn.Linear(3, 1, bias=False)
    linear.load_state_dict({"weight": notebook_initial_weights().T})  # Linear keeps weights as (out, in)
    neuron = nn.Sequential(linear, nn.Sigmoid())
    squared_error = nn.MSELoss(reduction="sum")
    optimizer = optim.SGD(neuron.parameters(), lr=args.lr)

    print("Neural network weights before training (random initialization): ")
    print(linear.weight.data.T)

    for _ in range(args.steps):
        optimizer.zero_grad()
        loss = 0.5 * squared_error(neuron(TRAIN_INPUTS), TRAIN_OUTPUTS)
        loss.backward()
        optimizer.step()

    print("Neural network weights after training: ")
    print(linear.weight.data.T)
    print("Inferring predicting from the network for [1, 0, 0] -> ?: ")
    print(neuron(np.array([1, 0, 0])).data)
    print("Inferring predicting from the network for [0, 1, 1] -> ?: ")
    print(neuron(np.array([0, 1, 1])).data)

    if args.graph:
        if viz.draw(loss, args.graph):
            print(f"graph of the loss written to {args.graph}")


if __name__ == "__main__":
    main()
