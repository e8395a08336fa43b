"""Classic baselines (docs/method.md section 5), RecBole-style: one model per file, one base class.

- `config.py`: `ClassicTrainConfig` (training recipe and model sizes; imports no torch).
- `base.py`: `ClassicRecommender` (fit / score / save / load); `training.py`: the shared loop
  with validations spaced through each epoch and early stopping on the validation loss.
- `mf.py`, `deepmusic.py`, `gru4rec.py`, `caser.py`, `sasrec.py`: the models; `layers.py`:
  pieces the sequential ones share. `registry.py`: `BASELINES`, `FLOORS`, `build_baseline`,
  `load_baseline`.
- `floor.py`: `FloorRecommender`, the closed-form floors' base (docs/method.md section 9);
  `popularity.py` (smoothed item like-rate) and `logreg.py` (one-hot logistic regression).
- `vocab.py`: id-to-row maps with an unknown slot that only grow (fine-tuning keeps rows);
  `samples.py`: stream samples to index tensors.
- `text_features.py`: MiniLM title embeddings for DeepMusic, cached per title list.
- `synthetic.py`: planted-signal streams in the sample schema for tests and benchmarks.
"""
