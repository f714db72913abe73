"""Write the GENERATED fairseq logs of this folder (not from a real run).

The line layouts are fairseq's (fairseq_cli/train.py with --log-format simple,
fairseq >= 0.10 with the "date | INFO | name |" prefix, and the older prefix-free
layout); the values are made up: a loss that falls, a validation loss that
falls then rises (overfitting), a test subset evaluated once at the end.
Run: python tests/data/fairseq/make_fairseq_logs.py
"""

from pathlib import Path

HERE = Path(__file__).parent
UPDATES_PER_EPOCH = 200


def new_style() -> str:
    lines = ["2024-01-02 10:00:00 | INFO | fairseq_cli.train | task: TranslationTask"]
    for epoch in range(1, 7):
        for inner in (100, 200):
            updates = (epoch - 1) * UPDATES_PER_EPOCH + inner
            loss = 9.0 / (1 + 0.004 * updates)
            lines.append(
                f"2024-01-02 10:{epoch:02d}:{inner // 10:02d} | INFO | train_inner | "
                f"epoch {epoch:03d}:    {inner} / {UPDATES_PER_EPOCH} loss={loss:.3f}, "
                f"nll_loss={loss * 0.9:.3f}, "
                f"ppl={2 ** (loss * 0.9):.2f}, wps=10234.5, ups=3.1, wpb=3300.2, bsz=110.4, "
                f"num_updates={updates}, lr={0.0005 * min(1, updates / 400):.6g}, gnorm=1.234, "
                f"train_wall=30, gb_free=10.1, wall={epoch * 70}")
        updates = epoch * UPDATES_PER_EPOCH
        valid = [None, 6.8, 5.9, 5.4, 5.3, 5.45, 5.7][epoch]
        lines.append(
            f"2024-01-02 10:{epoch:02d}:59 | INFO | valid | epoch {epoch:03d} | valid on 'valid' "
            f"subset | loss {valid:.3f} | nll_loss {valid * 0.9:.3f} "
            f"| ppl {2 ** (valid * 0.9):.2f} "
            f"| bleu {[None, 3.1, 8.2, 12.5, 14.0, 13.6, 13.1][epoch]} | wps 25000 | wpb 3000 "
            f"| bsz 100 | num_updates {updates} | best_loss {min(valid, 5.3):.3f}")
        lines.append(
            f"2024-01-02 10:{epoch:02d}:59 | INFO | train | epoch {epoch:03d} | loss "
            f"{9.0 / (1 + 0.004 * (updates - 100)):.3f} | nll_loss 4.1 | ppl 17.15 | wps 10200 "
            f"| ups 3.1 | wpb 3300 | bsz 110 | num_updates {updates} | lr 0.0005 | gnorm 1.2 "
            f"| train_wall 60 | gb_free 10.1 | wall {epoch * 70}")
    lines.append("2024-01-02 10:07:30 | INFO | valid | epoch 006 | valid on 'test' subset | "
                 "loss 5.650 | nll_loss 5.085 | ppl 33.94 | bleu 13.3 | num_updates 1200")
    lines.append("2024-01-02 10:07:31 | INFO | fairseq_cli.train | done training in 450.1 seconds")
    return "\n".join(lines) + "\n"


def old_style() -> str:
    lines = ["| distributed init (rank 0): tcp://localhost:12345"]
    for epoch in range(1, 4):
        updates = epoch * UPDATES_PER_EPOCH
        lines.append(f"| epoch {epoch:03d} | loss {8 - epoch:.3f} | nll_loss {7.5 - epoch:.3f} | "
                     f"ppl {2 ** (7.5 - epoch):.2f} | wps 102922 | ups 1 | num_updates {updates} "
                     f"| lr 0.174875 | gnorm 0.249 | clip 1.000 | wall {epoch * 700}")
        lines.append(f"| epoch {epoch:03d} | valid on 'valid' subset | loss {7.6 - epoch * 0.8:.3f}"
                     f" | nll_loss {7.6 - epoch * 0.8:.3f} | ppl {2 ** (7.6 - epoch * 0.8):.2f} | "
                     f"num_updates {updates}")
    lines.append("| done training in 2100.0 seconds")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    (HERE / "generated_new_style").mkdir(exist_ok=True)
    (HERE / "generated_new_style" / "train.log").write_text(new_style(), encoding="utf-8")
    (HERE / "generated_old_style.log").write_text(old_style(), encoding="utf-8")
