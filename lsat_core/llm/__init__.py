"""The TALLRec recommender (docs/method.md sections 2, 3 and 7): backbone, scoring, LoRA, merging.

- `backbone`: load a causal LM and its tokenizer (`load_backbone`), the default SmolLM2 GGUF
  converted once into a plain safetensors folder (`gguf_backbones`);
- `answer_tokens`: where "Yes." and "No." start after a prompt, for the backbone's tokenizer;
- `adapters`: LoRA adapters as plain CPU tensors, saved and loaded atomically;
- `peft_host`: the one PEFT wrapper per backbone into which adapters are loaded to run;
- `scoring`: P(Yes) for prompts, with an adapter or with the untuned base model;
- `training`: train (or fine-tune) a LoRA adapter with early stopping on validation AUC;
- `merging`: LSAT-TA task arithmetic (the ensemble and the coefficient search are numpy-only:
  `lsat_core.evaluation.coefficients`).
"""
