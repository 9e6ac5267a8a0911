"""Training: the Trainer (SGD in timed, stoppable steps), its mini-batches, augmentation, counting
what a model gets right, and what a run will cost in memory before it starts."""
