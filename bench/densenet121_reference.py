#!/usr/bin/python3
"""PyTorch reference for `radfed bench train --model densenet-121`: DenseNet-121 for grayscale images, trained
on random data, in plain PyTorch (no torchvision: Debian's python3-torch does not ship it).

The layout is torchvision's densenet121 (growth rate 32, blocks of 6/12/24/16 layers, bn_size 4, compression
0.5, no dropout) with one input channel and `--classes` outputs, the same as
main/site/train/models/densenet121.ts: conv7x7/2 (64, pad 3) bn relu -> maxpool3x3/2 (pad 1) -> dense blocks
(each layer: bn relu conv1x1 (128) bn relu conv3x3 (32, pad 1), concatenated to its input) with transitions
(bn relu conv1x1 to half the channels, avgpool2x2/2) between them -> bn relu -> global average pool -> linear.
Kaiming-normal convolutions, linear bias 0 (torchvision's init). Softmax cross-entropy, Adam(lr=1e-3), float32.

Usage: densenet121_reference.py [--device cpu|cuda] [--size 224] [--batch 32] [--batches 4] [--epochs 3]
                                [--threads N] [--classes 2] [--describe]
--describe prints the model's trainable tensors (name, shape) and their count as one JSON line and trains
nothing: main/site/train/models/torch-reference-layout.spec.ts checks RadFed's DenseNet-121 against it.
Prints one JSON line per epoch and a final line {"impl":"torch",...,"images_per_s":<median of epochs after
the first>}, as ../shared/bench/torch_reference.py does (the loop is
reference_training.py's, shared with the other reference). On Debian: apt-get install python3-torch.
"""
import torch
from torch import nn

from reference_training import run

GROWTH, BN_SIZE, BLOCKS, STEM = 32, 4, (6, 12, 24, 16), 64


class DenseLayer(nn.Module):
    def __init__(self, cin):
        super().__init__()
        self.norm1 = nn.BatchNorm2d(cin); self.conv1 = nn.Conv2d(cin, BN_SIZE * GROWTH, 1, bias=False)
        self.norm2 = nn.BatchNorm2d(BN_SIZE * GROWTH)
        self.conv2 = nn.Conv2d(BN_SIZE * GROWTH, GROWTH, 3, 1, 1, bias=False)

    def forward(self, x):
        h = self.conv1(torch.relu(self.norm1(x)))
        return torch.cat([x, self.conv2(torch.relu(self.norm2(h)))], 1)


class Transition(nn.Sequential):
    def __init__(self, cin, cout):
        super().__init__(nn.BatchNorm2d(cin), nn.ReLU(), nn.Conv2d(cin, cout, 1, bias=False), nn.AvgPool2d(2, 2))


def densenet121(channels, classes):
    parts, c = [nn.Conv2d(channels, STEM, 7, 2, 3, bias=False), nn.BatchNorm2d(STEM), nn.ReLU(),
                nn.MaxPool2d(3, 2, 1)], STEM
    for i, n in enumerate(BLOCKS):
        for _ in range(n):
            parts.append(DenseLayer(c)); c += GROWTH
        if i < len(BLOCKS) - 1:
            parts.append(Transition(c, c // 2)); c //= 2
    m = nn.Sequential(*parts, nn.BatchNorm2d(c), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                      nn.Linear(c, classes))
    for mod in m.modules():
        if isinstance(mod, nn.Conv2d): nn.init.kaiming_normal_(mod.weight)
        elif isinstance(mod, nn.Linear): nn.init.constant_(mod.bias, 0)
    return m


if __name__ == '__main__':
    run(densenet121, 'densenet-121')
