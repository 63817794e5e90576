"""XOR: what one neuron cannot learn, and a small network that can.

XOR is 1 when exactly one of its two inputs is 1. No straight line separates
those inputs from the others, and a single sigmoid neuron only draws straight
lines, so it ends up unsure of everything. Put a hidden layer of four sigmoid
neurons in front of it (a 2-4-1 network) and gradient descent finds the two
lines it needs.

Run:  python examples/xor.py [--plot xor.png] [--seed N] [--steps N]
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

import tinygrad_edu
from tinygrad_edu import nn, optim

INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
TARGETS = np.array([[0], [1], [1], [0]], dtype=float)


def progress(steps: int, label: str, show: bool) -> Iterator[int] | Iterable[int]:
    """range(steps), with a tqdm progress bar when tqdm is installed and wanted."""
    if show:
        try:
            from tqdm import tqdm
            return tqdm(range(steps), desc=label, unit="step", mininterval=0.2, leave=True)
        except ImportError:
            print(f"({label}: install tqdm, e.g. pip install -e \".[examples]\", for a progress bar)")
    return range(steps)


def train(model: nn.Module, steps: int, lr: float, label: str, show_progress: bool) -> list[float]:
    """Full-batch gradient descent on the mean squared error; returns the loss at every step."""
    loss_fn = nn.MSELoss()
    optimizer = optim.SGD(model.parameters(), lr=lr)
    losses = []
    bar = progress(steps, label, show_progress)
    for step in bar:
        optimizer.zero_grad()
        loss = loss_fn(model(INPUTS), TARGETS)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if hasattr(bar, "set_postfix") and step % 100 == 0:
            bar.set_postfix(loss=f"{losses[-1]:.5f}", refresh=False)
    return losses


def truth_table(model: nn.Module, title: str) -> bool:
    """Print inputs, target and output; return True when every output is on the target's side of 0.5."""
    with tinygrad_edu.no_grad():
        outputs = model(INPUTS).data.ravel()
    print(f"\n{title}")
    print("  x1  x2 | XOR | output")
    verdicts = []
    for (x1, x2), target, out in zip(INPUTS.astype(int), TARGETS.ravel().astype(int), outputs):
        if not np.isfinite(out):
            verdicts.append("WRONG")  # a nan (or infinite) output is no answer, whatever the target
        elif abs(out - 0.5) < 1e-3:
            verdicts.append("undecided")
        else:
            verdicts.append("right" if (out > 0.5) == (target == 1) else "WRONG")
        print(f"   {x1}   {x2} |  {target}  | {out:.4f}  {verdicts[-1]}")
    return all(verdict == "right" for verdict in verdicts)


def plot(model: nn.Module, losses: list[float], path: str) -> None:
    """Save the loss curve and the learned decision boundary over the unit square to path."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise SystemExit("--plot needs matplotlib: pip install -e \".[examples]\"") from None
    grid = np.linspace(-0.25, 1.25, 151)
    xx, yy = np.meshgrid(grid, grid)
    with tinygrad_edu.no_grad():
        zz = model(np.stack([xx.ravel(), yy.ravel()], axis=1)).data.reshape(xx.shape)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2))
    left.semilogy(losses)
    left.set(title="training loss (mean squared error)", xlabel="step", ylabel="loss")
    filled = right.contourf(xx, yy, zz, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.8)
    right.contour(xx, yy, zz, levels=[0.5], colors="black", linewidths=2)
    right.scatter(INPUTS[:, 0], INPUTS[:, 1], c=TARGETS.ravel(), cmap="RdBu_r", edgecolors="black", s=120)
    right.set(title="network output; black line: output = 0.5", xlabel="x1", ylabel="x2", aspect="equal")
    fig.colorbar(filled, ax=right)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print(f"\nplot written to {path}")


def whole_number(text: str, smallest: int) -> int:
    """int(text), or an argparse error when it is not a whole number of at least smallest."""
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if number < smallest:
        raise argparse.ArgumentTypeError(f"must be at least {smallest}, got {number}")
    return number


def at_least_one(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    return whole_number(text, 1)


def seed(text: str) -> int:
    """An argparse type: a seed for manual_seed, a whole number from 0 to 2**64 - 1."""
    number = whole_number(text, 0)
    if number >= 2**64:
        raise argparse.ArgumentTypeError(f"must be below 2**64, got {number}")
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


def plot_path(text: str) -> str:
    """An argparse type: a file name ending in .png, .svg or .pdf, in a folder that exists.

    Checked here, so that a bad name stops the script before training, not after it.
    """
    path = Path(text)
    if path.suffix.lower() not in (".png", ".svg", ".pdf"):  # matplotlib picks the format from the extension
        raise argparse.ArgumentTypeError(f"must end in .png, .svg or .pdf, got {text!r}")
    if not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"the folder {str(path.parent)!r} does not exist")
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a folder, not a file name")
    return text


def main() -> None:
    """Train one neuron and then a 2-4-1 network on XOR, and print both truth tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=seed, default=0, help="seed for the initial weights (default: 0)")
    parser.add_argument("--steps", type=at_least_one, default=5000,
                        help="training steps for each model (default: 5000)")
    parser.add_argument("--lr", type=learning_rate, default=1.0, help="learning rate (default: 1.0)")
    parser.add_argument("--hidden", type=at_least_one, default=4, help="hidden neurons of the network (default: 4)")
    parser.add_argument("--plot", metavar="PATH", type=plot_path,
                        help="save the loss curve and decision boundary to PATH; the format follows the extension "
                             "(.png, .svg or .pdf)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    args = parser.parse_args()

    tinygrad_edu.manual_seed(args.seed)
    neuron = nn.Sequential(nn.Linear(2, 1), nn.Sigmoid())
    train(neuron, args.steps, args.lr, "one neuron", not args.no_progress)
    truth_table(neuron, "One neuron (2-1): a single straight line cannot separate XOR")

    network = nn.Sequential(nn.Linear(2, args.hidden), nn.Sigmoid(), nn.Linear(args.hidden, 1), nn.Sigmoid())
    losses = train(network, args.steps, args.lr, f"2-{args.hidden}-1 network", not args.no_progress)
    learned = truth_table(network, f"A 2-{args.hidden}-1 network (final loss {losses[-1]:.6f}):")
    print("\nAll four right: the hidden layer made XOR separable." if learned else
          "\nNot all four right yet: try more --steps or another --seed.")
    if args.plot:
        plot(network, losses, args.plot)


if __name__ == "__main__":
    main()
