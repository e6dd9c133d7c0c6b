"""Chat about one ECG with a local GGUF language model: grounded, cited, claim-checked.

Modules (one job each):
    models       which GGUF files exist (embedded default, user folder, added files)
    templates    chat templates (the GGUF's own, or explicit ones per model family)
    engine       ChatEngine (one llama-cpp model) and EngineWorker (its own thread + job queue)
    soft_tokens  ECG embedding vectors placed into the prompt at a marker (LLaVA-style)
"""
