"""The same pipeline's `train` stage in Python (optional): give the stage `"taskQueue": "python"`
in src/study.ts and run `python -m memotune worker --stages stages.py --task-queue memotune-python`
(pip install node_modules/memotune/python first)."""

from memotune import StageContext, StageResult, TrialPruned, stage


@stage("train")
def train(ctx: StageContext) -> StageResult:
    rows = ctx.require_parent().json()
    lr, epochs = float(ctx.params["lr"]), int(ctx.params["epochs"])
    def mse(w: float) -> float:
        return sum((row["y"] - w * row["x"]) ** 2 for row in rows) / len(rows)

    w = 0.0
    for epoch in range(epochs):
        if ctx.cancelled.is_set():
            break
        for row in rows:
            w += lr * (row["y"] - w * row["x"]) * row["x"]
        ctx.heartbeat({"epoch": epoch})
        # The objective so far: a trial behind the earlier ones' median at this epoch stops here.
        ctx.report(epoch, -mse(w))
        if ctx.should_prune():
            raise TrialPruned()
    return StageResult(output={"w": w}, metrics={"score": -mse(w)})
