"""Names shared by senders and workers: task names and queues. Imports nothing heavy, so the
dashboard can enqueue work without importing torch or the engine."""

LAUNCH_EXPERIMENT = "lsat.launch_experiment"
"""args: (experiment_id,). Creates the experiment's runs and sends its work plan."""
TRAIN_MODEL = "lsat.train_model"
"""args: (experiment_id, spec) with spec = {"family", "role", "period"}."""
EVALUATE_STEP = "lsat.evaluate_step"
"""args: (experiment_id, run_id, train_period)."""

GPU_QUEUE = "gpu"
"""LLM training and scoring when a worker with a GPU serves this queue."""
CPU_QUEUE = "cpu"
"""Launching, classic models, and LLM work when no GPU worker is present."""
QUEUES = (GPU_QUEUE, CPU_QUEUE)


def launch_task_id(experiment_id: int) -> str:
    return f"e{experiment_id}-launch"
