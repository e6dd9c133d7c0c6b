"""Rule-based interpretation statements over `Measurements` (no Qt/torch/llama).
Entry point: `interpret(measurements, patient) -> list[Statement]`."""
