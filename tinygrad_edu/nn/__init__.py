"""Neural-network building blocks: Module, Sequential, Linear, activations and losses."""

from .layers import Linear, ReLU, Sigmoid, Tanh
from .losses import (
                     BCELoss,
                     BCEWithLogitsLoss,
                     CrossEntropyLoss,
                     MSELoss,
                     binary_cross_entropy,
                     binary_cross_entropy_with_logits,
                     cross_entropy,
                     mse_loss,
)
from .module import Module, Sequential

__all__ = [
    "Module", "Sequential", "Linear", "Sigmoid", "Tanh", "ReLU",
    "MSELoss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss",
    "mse_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy",
]
