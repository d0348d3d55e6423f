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
the first>}, as ../shared/bench/torch_reference.py does. On Debian: apt-get install python3-torch.
"""
import argparse, json, statistics, time
import torch
from torch import nn


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


ap = argparse.ArgumentParser()
ap.add_argument('--device', default='cpu'); ap.add_argument('--size', type=int, default=224)
ap.add_argument('--batch', type=int, default=32); ap.add_argument('--batches', type=int, default=4)
ap.add_argument('--epochs', type=int, default=3); ap.add_argument('--threads', type=int, default=0)
ap.add_argument('--classes', type=int, default=2)
ap.add_argument('--describe', action='store_true')
a = ap.parse_args()
if a.threads: torch.set_num_threads(a.threads)
torch.manual_seed(0)
dev = a.device
m = resnet18(1, a.classes).to(dev)
if a.describe:
    print(json.dumps(dict(parameters=sum(p.numel() for p in m.parameters()),
                          tensors=[dict(name=k, shape=list(p.shape)) for k, p in m.named_parameters()])))
    raise SystemExit(0)
opt = torch.optim.Adam(m.parameters(), lr=1e-3)
n = a.batch * a.batches
x = torch.randn(n, 1, a.size, a.size, device=dev); y = torch.randint(0, a.classes, (n,), device=dev)
rates = []
for e in range(a.epochs):
    if dev == 'cuda': torch.cuda.synchronize()
    t0 = time.perf_counter()
    for i in range(0, n, a.batch):
        opt.zero_grad(); loss = nn.functional.cross_entropy(m(x[i:i + a.batch]), y[i:i + a.batch]); loss.backward(); opt.step()
    if dev == 'cuda': torch.cuda.synchronize()
    s = time.perf_counter() - t0; rates.append(n / s)
    print(json.dumps(dict(epoch=e, seconds=round(s, 4), images_per_s=round(n / s, 1), loss=round(loss.item(), 4))))
steady = rates[1:] or rates
print(json.dumps(dict(impl='torch', device=dev, threads=torch.get_num_threads(), size=a.size, batch=a.batch,
                      model='resnet-18', parameters=sum(p.numel() for p in m.parameters()),
                      images_per_s=round(statistics.median(steady), 1))))
