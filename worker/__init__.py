"""Celery workers: an experiment's period loop split into tasks that run on many machines.

Module map:
- `names`: task and queue names (what a sender needs to know; no engine imports).
- `config`: the Celery configuration built from `Settings` (broker, queues, reliability).
- `queue_client`: submit and cancel experiments from the CLI or the dashboard (no torch).
- `reporting`: progress, events and cancellation checks written to the store by a task.
- `canvas`: an experiment's work plan as Celery signatures (a group, and links from each model
  to the models continuing it and the evaluations using it).
- `jobs`: what each task does, over lsat_core (launch, train a model, evaluate a step).
- `tasks` / `app`: the Celery app and its thin task wrappers (`celery -A worker.app worker`).

Results go to the run store, never to a Celery result backend: there is none.
"""
