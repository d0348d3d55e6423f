#!/usr/bin/python3
"""PyTorch reference for `radfed bench train --model resnet-18`: ResNet-18 for grayscale images, trained on
random data, in plain PyTorch (no torchvision: Debian's python3-torch does not ship it).

The layout is torchvision's resnet18 with one input channel and `--classes` outputs, the same as
main/site/train/models/resnet18.ts: conv7x7/2 (64, pad 3) bn relu -> maxpool3x3/2 (pad 1) -> four layers
of two basic blocks (64, 128, 256, 512; the first block of layers 2-4 has stride 2 and a 1x1/2 conv + bn
shortcut) -> global average pool -> linear. Softmax cross-entropy, Adam(lr=1e-3), float32.

Usage: resnet18_reference.py [--device cpu|cuda] [--size 224] [--batch 32] [--batches 4] [--epochs 3]
                             [--threads N] [--classes 2] [--describe]
--describe prints the model's trainable tensors (name, shape) and their count as one JSON line and trains
nothing: main/site/train/models/torch-reference-layout.spec.ts checks RadFed's ResNet-18 against it.
Prints one JSON line per epoch and a final line {"impl":"torch",...,"images_per_s":<median of epochs after
the first>}, as ../shared/bench/torch_reference.py does (the loop is
reference_training.py's, shared with the other reference). On Debian: apt-get install python3-torch.
"""
import torch
from torch import nn

from reference_training import run


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False); self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False); self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        h = torch.relu(self.bn1(self.conv1(x)))
        h = self.bn2(self.conv2(h))
        return torch.relu(h + (x if self.shortcut is None else self.shortcut(x)))


def resnet18(channels, classes):
    layers, cin = [], 64
    for i, cout in enumerate([64, 128, 256, 512]):
        layers += [BasicBlock(cin, cout, 2 if i > 0 else 1), BasicBlock(cout, cout, 1)]
        cin = cout
    return nn.Sequential(
        nn.Conv2d(channels, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(3, 2, 1),
        *layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, classes))


if __name__ == '__main__':
    run(resnet18, 'resnet-18')
