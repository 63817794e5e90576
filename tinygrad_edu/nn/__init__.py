"""Neural-network building blocks: Module, Parameter, containers, layers, activations and losses.

``nn.functional`` (usually imported as ``F``) has the same computations as
functions, ``nn.init`` the initializers. Layers PyTorch has and tinygrad_edu
does not (``nn.Conv2d``, ``nn.LSTM``...) are an AttributeError that says so.
"""

from typing import Any

from . import functional, init
from .layers import (
                     Dropout,
                     Flatten,
                     Identity,
                     LeakyReLU,
                     Linear,
                     LogSoftmax,
                     ReLU,
                     Sigmoid,
                     Softmax,
                     Tanh,
                     Unflatten,
)
from .losses import (
                     BCELoss,
                     BCEWithLogitsLoss,
                     CrossEntropyLoss,
                     MSELoss,
                     NLLLoss,
                     binary_cross_entropy,
                     binary_cross_entropy_with_logits,
                     cross_entropy,
                     mse_loss,
                     nll_loss,
)
from .module import Module, ModuleList, Sequential
from .parameter import Parameter

__all__ = [
    "Module", "Sequential", "ModuleList", "Parameter",
    "Linear", "Identity", "Flatten", "Unflatten", "Dropout",
    "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "Softmax", "LogSoftmax",
    "MSELoss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss",
    "mse_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss",
    "functional", "init",
]

# PyTorch's nn names that are not offered here: asking for one is an error that says so, rather
# than Python's bare "has no attribute".
NOT_OFFERED = (
    "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d",
    "MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d",
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d",
    "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LayerNorm", "GroupNorm", "InstanceNorm2d", "LocalResponseNorm",
    "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell",
    "Embedding", "EmbeddingBag", "Transformer", "TransformerEncoder", "TransformerEncoderLayer",
    "TransformerDecoder", "TransformerDecoderLayer", "MultiheadAttention",
    "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
    "GELU", "SiLU", "ELU", "SELU", "CELU", "Mish", "Softplus", "Softsign", "Hardtanh", "ReLU6", "PReLU",
    "Hardswish", "Hardsigmoid", "LogSigmoid", "Softmin", "Threshold", "GLU",
    "L1Loss", "SmoothL1Loss", "HuberLoss", "KLDivLoss", "HingeEmbeddingLoss", "MarginRankingLoss",
    "CosineEmbeddingLoss", "TripletMarginLoss", "MultiMarginLoss", "MultiLabelMarginLoss",
    "MultiLabelSoftMarginLoss", "SoftMarginLoss", "PoissonNLLLoss", "GaussianNLLLoss", "CTCLoss",
    "ModuleDict", "ParameterList", "ParameterDict", "Bilinear", "LazyLinear", "Upsample", "PixelShuffle",
    "ZeroPad2d", "ConstantPad2d", "ReflectionPad2d", "Fold", "Unfold", "CosineSimilarity", "PairwiseDistance",
    "DataParallel", "utils", "parallel", "attention", "quantized", "qat",
)


from ..checks import not_offered  # noqa: E402


def __getattr__(name: str) -> Any:
    if name in NOT_OFFERED:
        raise not_offered(name, "nn", [n for n in __all__ if n[0].isupper()])
    raise AttributeError(f"module 'tinygrad_edu.nn' has no attribute '{name}'")
