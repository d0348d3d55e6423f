"""What the PyTorch references of `radfed bench train` share: the command line, `--describe`, and the
timed training loop on random data, with the JSON lines ../shared/bench/torch_reference.py prints (one per
epoch, then {"impl":"torch",...,"images_per_s":<median of epochs after the first>}). Each model's script
(resnet18_reference.py, densenet121_reference.py) defines only its model and calls run().
"""
import argparse, json, statistics, time
import torch
from torch import nn


def run(build_model, model_name):
    """build_model(channels, classes) -> nn.Module; model_name as RadFed's bench names it."""
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
    m = build_model(1, a.classes).to(dev)
    parameters = sum(p.numel() for p in m.parameters())
    if a.describe:
        print(json.dumps(dict(parameters=parameters,
                              tensors=[dict(name=k, shape=list(p.shape)) for k, p in m.named_parameters()])))
        return
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)
    n = a.batch * a.batches
    x = torch.randn(n, 1, a.size, a.size, device=dev); y = torch.randint(0, a.classes, (n,), device=dev)
    rates = []
    for e in range(a.epochs):
        if dev == 'cuda': torch.cuda.synchronize()
        t0 = time.perf_counter()
        for i in range(0, n, a.batch):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(m(x[i:i + a.batch]), y[i:i + a.batch])
            loss.backward(); opt.step()
        if dev == 'cuda': torch.cuda.synchronize()
        s = time.perf_counter() - t0; rates.append(n / s)
        print(json.dumps(dict(epoch=e, seconds=round(s, 4), images_per_s=round(n / s, 1), loss=round(loss.item(), 4))))
    steady = rates[1:] or rates
    print(json.dumps(dict(impl='torch', device=dev, threads=torch.get_num_threads(), size=a.size, batch=a.batch,
                          model=model_name, parameters=parameters,
                          images_per_s=round(statistics.median(steady), 1))))
