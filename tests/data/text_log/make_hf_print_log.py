"""GENERATES generated_hf_print_tqdm__train.log: a real HF Trainer run's captured output.

Run from this folder: ``OMP_NUM_THREADS=1 python -u make_hf_print_log.py > train.log 2>&1``
(stdout and stderr together, unbuffered, as ``nohup python -u`` captures them), then
rename. A linear regression on 300 seeded random examples, batch 8 (38 steps per
epoch), 3 epochs, loss printed every 10 steps, evaluation every epoch. Made with
transformers 5.25.0, tqdm 4.70.1, torch 2.13 (CPU); about a second.
"""

import torch
from torch import nn
from transformers import Trainer, TrainingArguments

torch.manual_seed(0)


class Linear(nn.Module):
    """y = w.x + b with a squared-error loss, in the shape the Trainer expects."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(8, 1)

    def forward(self, x=None, labels=None):
        y = self.linear(x).squeeze(-1)
        return {"loss": ((y - labels) ** 2).mean(), "logits": y}


X = torch.randn(300, 8)
Y = X @ torch.randn(8)
data = [{"x": X[i], "labels": Y[i]} for i in range(300)]
args = TrainingArguments(
    output_dir="out", per_device_train_batch_size=8, num_train_epochs=3, logging_steps=10,
    eval_strategy="epoch", report_to=[], save_strategy="no", learning_rate=1e-2, use_cpu=True,
)
Trainer(model=Linear(), args=args, train_dataset=data, eval_dataset=data[:64]).train()
