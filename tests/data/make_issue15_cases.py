"""Write the GENERATED edge cases of issue 15 (not from real runs; values made up).

Each case is a run folder in the layout its framework writes:

- ``keras/generated_semicolon_title/training.log``: ``CSVLogger(separator=";")``
  with a title line before the header;
- ``keras/generated_tab/training.log``: a tab-separated history;
- ``keras/generated_negative_loss/training.log``: a custom loss unbounded below:
  negative and growing a thousandfold in magnitude (a broken objective);
- ``keras/generated_constant_loss/training.log``: loss stuck at ln(10) with
  accuracy at chance (10 classes): a model that learned nothing;
- ``lightning/generated_test_row/metrics.csv``: ``valid_loss`` every epoch and
  one ``test_loss``/``test_acc`` row after training;
- ``wandb/generated_hf_history/files``: a W&B run of the Hugging Face
  integration (``train/global_step``), history exported as CSV, with
  wandb-summary.json and config.yaml;
- ``mmengine/generated_mmdet2/20240101_000000.log.json``: mmdetection 2.x's
  log.json (env line, train lines every 50 iters, one val line per epoch).

Run: python tests/data/make_issue15_cases.py
"""

from __future__ import annotations

import json
import math
from pathlib import Path

HERE = Path(__file__).parent


def write(relative: str, text: str) -> None:
    path = HERE / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def keras_cases() -> None:
    rows = [(e, 0.5 + 0.04 * e, 1.2 - 0.08 * e, 0.45 + 0.03 * e, 1.25 - 0.05 * e)
            for e in range(10)]
    body = "".join(f"{e};{a:.4f};{lo:.4f};{va:.4f};{vl:.4f}\n" for e, a, lo, va, vl in rows)
    write("keras/generated_semicolon_title/training.log",
          "Emotion model, run 7\nepoch;accuracy;loss;val_accuracy;val_loss\n" + body)
    write("keras/generated_tab/training.log",
          "epoch\taccuracy\tloss\tval_accuracy\tval_loss\n" + body.replace(";", "\t"))
    # -0.01, -0.02, -0.04 ... doubling: a thousandfold growth in magnitude over 11 epochs.
    negative = "".join(f"{e},{-0.01 * 2 ** e:.6g},{-0.011 * 2 ** e:.6g}\n" for e in range(11))
    write("keras/generated_negative_loss/training.log", "epoch,loss,val_loss\n" + negative)
    stuck = math.log(10)
    constant = "".join(f"{e},0.1000,{stuck:.4f},0.1000,{stuck:.4f}\n" for e in range(8))
    write("keras/generated_constant_loss/training.log",
          "epoch,accuracy,loss,val_accuracy,val_loss\n" + constant)


def lightning_case() -> None:
    lines = ["epoch,step,test_acc,test_loss,train_loss,valid_acc,valid_loss"]
    for epoch in range(8):
        step = (epoch + 1) * 100 - 1
        lines.append(f"{epoch},{step},,,{1.0 / (epoch + 1):.4f},,")
        lines.append(f"{epoch},{step},,,,{0.6 + 0.03 * epoch:.4f},{0.9 - 0.05 * epoch:.4f}")
    lines.append("8,800,0.7900,0.5200,,,")
    write("lightning/generated_test_row/metrics.csv", "\n".join(lines) + "\n")


def wandb_case() -> None:
    lines = ["_step,_runtime,_timestamp,train/global_step,train/loss,train/learning_rate,"
             "train/epoch,eval/loss,eval/accuracy"]
    for call in range(20):
        step = (call + 1) * 50
        epoch = step / 250
        if call % 5 == 4:
            lines.append(f"{call},{call * 10.5},{1700000000 + call * 10.5},{step},,,{epoch},"
                         f"{1.1 - 0.04 * call:.4f},{0.5 + 0.02 * call:.4f}")
        else:
            lines.append(f"{call},{call * 10.5},{1700000000 + call * 10.5},{step},"
                         f"{1.5 - 0.05 * call:.4f},{5e-5 * (1 - call / 20):.6g},{epoch},,")
    write("wandb/generated_hf_history/files/history.csv", "\n".join(lines) + "\n")
    write("wandb/generated_hf_history/files/wandb-summary.json",
          json.dumps({"train/loss": 0.55, "eval/loss": 0.34, "_runtime": 199.5, "_step": 19}))
    write("wandb/generated_hf_history/files/config.yaml",
          "wandb_version: 1\n\n_wandb:\n  desc: null\n  value:\n    cli_version: 0.16.0\n"
          "model_name_or_path:\n  desc: null\n  value: distilbert-base-uncased\n"
          "seed:\n  desc: null\n  value: 42\n")


def mmdet2_case() -> None:
    records = [{"env_info": "sys.platform: linux", "config": "model = dict(type='FasterRCNN')",
                "seed": 7, "exp_name": "faster_rcnn_r50_fpn_1x_coco.py"}]
    iters = 200
    for epoch in range(1, 5):
        for it in range(50, iters + 1, 50):
            loss = 1.2 / (1 + 0.001 * ((epoch - 1) * iters + it))
            records.append({"mode": "train", "epoch": epoch, "iter": it, "lr": 0.02,
                            "memory": 3767, "data_time": 0.01, "loss_rpn_cls": loss * 0.1,
                            "loss_rpn_bbox": loss * 0.05, "loss_cls": loss * 0.5,
                            "acc": 90.0 + epoch, "loss_bbox": loss * 0.35, "loss": loss,
                            "time": 0.4})
        records.append({"mode": "val", "epoch": epoch, "iter": iters, "lr": 0.02,
                        "bbox_mAP": 0.2 + 0.03 * epoch, "bbox_mAP_50": 0.4 + 0.03 * epoch,
                        "bbox_mAP_75": 0.2 + 0.02 * epoch, "bbox_mAP_s": 0.1,
                        "bbox_mAP_m": 0.25, "bbox_mAP_l": 0.3,
                        "bbox_mAP_copypaste": "0.230 0.430 0.220 0.100 0.250 0.300"})
    write("mmengine/generated_mmdet2/20240101_000000.log.json",
          "".join(json.dumps(r) + "\n" for r in records))


if __name__ == "__main__":
    keras_cases()
    lightning_case()
    wandb_case()
    mmdet2_case()
