"""Chat templates: the GGUF's own `tokenizer.chat_template`, or an explicit one per family.

A GGUF usually carries its Jinja chat template. Older or hand-converted files do not;
for those we pick a known family from the architecture, the model name and the special
tokens present in the vocabulary, and use a template written out here. Wrong templates
make small models babble, so the choice (and why) is reported with the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

# Explicit templates for families whose file may lack one. Each also names the
# end-of-turn markers that stop generation.
CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
LLAMA3 = (
    "{{ bos_token }}{% for m in messages %}<|start_header_id|>{{ m['role'] }}<|end_header_id|>\n\n"
    "{{ m['content'] | trim }}<|eot_id|>{% endfor %}"
    "{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>\n\n{% endif %}"
)
# Gemma has no system role: the system text opens the first user turn (as Google's template does).
GEMMA = (
    "{{ bos_token }}{% set ns = namespace(sys='') %}"
    "{% for m in messages %}{% if m['role'] == 'system' %}{% set ns.sys = ns.sys + m['content'] + '\n\n' %}"
    "{% else %}<start_of_turn>{{ 'model' if m['role'] == 'assistant' else 'user' }}\n"
    "{% if m['role'] == 'user' and ns.sys %}{{ ns.sys }}{% set ns.sys = '' %}{% endif %}"
    "{{ m['content'] | trim }}<end_of_turn>\n{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}"
)
# Mistral instruct: system text is prepended to the first [INST] block.
MISTRAL = (
    "{{ bos_token }}{% set ns = namespace(sys='') %}"
    "{% for m in messages %}{% if m['role'] == 'system' %}{% set ns.sys = m['content'] + '\n\n' %}"
    "{% elif m['role'] == 'user' %}[INST] {{ ns.sys }}{{ m['content'] | trim }} [/INST]{% set ns.sys = '' %}"
    "{% else %}{{ m['content'] | trim }}{{ eos_token }}{% endif %}{% endfor %}"
)
PHI3 = (
    "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}<|end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)

FAMILY_TEMPLATES: dict[str, tuple[str, tuple[str, ...]]] = {
    "chatml": (CHATML, ("<|im_end|>",)),
    "llama3": (LLAMA3, ("<|eot_id|>", "<|end_of_text|>")),
    "gemma": (GEMMA, ("<end_of_turn>",)),
    "mistral": (MISTRAL, ("</s>",)),
    "phi3": (PHI3, ("<|end|>", "<|endoftext|>")),
}

# Special tokens whose presence in the vocabulary identifies a family.
_FAMILY_MARKER_TOKENS: tuple[tuple[str, str], ...] = (
    ("llama3", "<|eot_id|>"),
    ("gemma", "<start_of_turn>"),
    ("phi3", "<|assistant|>"),
    ("chatml", "<|im_start|>"),
    ("mistral", "[INST]"),
)

# End-of-turn markers of common templates, used as stop strings for metadata templates too.
KNOWN_END_MARKERS: tuple[str, ...] = (
    "<|im_end|>", "<|eot_id|>", "<end_of_turn>", "<|end|>", "<|endoftext|>", "<|end_of_text|>",
)


def guess_family(architecture: str, name: str, has_token) -> str | None:
    """The chat family of a model without a template. `has_token(text)` says whether
    `text` is one special token of the vocabulary."""
    arch = (architecture or "").lower()
    lowered = (name or "").lower()
    if arch.startswith("gemma"):
        return "gemma"
    if arch.startswith("phi3"):
        return "phi3"
    for family, marker in _FAMILY_MARKER_TOKENS:
        if has_token(marker):
            return family
    if "llama-3" in lowered or "llama3" in lowered:
        return "llama3"
    if "mistral" in lowered or "mixtral" in lowered:
        return "mistral"
    if "smollm" in lowered or "qwen" in lowered:
        return "chatml"
    return None


def _raise(message: str):
    raise jinja2.TemplateError(message)


@dataclass
class ChatTemplate:
    source: str                  # "gguf" (the file's own) or "builtin:<family>"
    template: str
    stop_markers: tuple[str, ...] = ()
    bos_token: str = ""
    eos_token: str = ""
    _compiled: jinja2.Template | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
        self._compiled = env.from_string(self.template)

    def render(self, messages: list[dict], add_generation_prompt: bool = True) -> str:
        """The prompt text. Templates that reject a system role (some Gemma files) get the
        system text folded into the first user message instead."""
        try:
            return self._render(messages, add_generation_prompt)
        except jinja2.TemplateError:
            if not any(m["role"] == "system" for m in messages):
                raise
            return self._render(fold_system_into_user(messages), add_generation_prompt)

    def _render(self, messages: list[dict], add_generation_prompt: bool) -> str:
        return self._compiled.render(
            messages=messages, add_generation_prompt=add_generation_prompt,
            bos_token=self.bos_token, eos_token=self.eos_token, raise_exception=_raise,
        )


def fold_system_into_user(messages: list[dict]) -> list[dict]:
    system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
    rest = [dict(m) for m in messages if m["role"] != "system"]
    if rest and rest[0]["role"] == "user":
        rest[0]["content"] = f"{system}\n\n{rest[0]['content']}"
    else:
        rest.insert(0, {"role": "user", "content": system})
    return rest


def choose_template(metadata: dict, bos_token: str, eos_token: str, has_token) -> ChatTemplate:
    """The file's own template when present and usable, else the family's explicit one."""
    own = metadata.get("tokenizer.chat_template")
    markers_present = tuple(m for m in KNOWN_END_MARKERS if has_token(m))
    if own:
        try:
            tpl = ChatTemplate("gguf", own, markers_present, bos_token, eos_token)
            tpl.render([{"role": "user", "content": "x"}])
            return tpl
        except jinja2.TemplateError:
            pass  # an unusable embedded template falls through to the family guess
    family = guess_family(
        metadata.get("general.architecture", ""),
        f"{metadata.get('general.name', '')} {metadata.get('general.basename', '')}", has_token)
    if family is None:
        family = "chatml"  # the most widespread format; reported as a guess via `source`
        source = "builtin:chatml (guessed, no template and no known family)"
    else:
        source = f"builtin:{family}"
    text, stops = FAMILY_TEMPLATES[family]
    return ChatTemplate(source, text, tuple(dict.fromkeys(stops + markers_present)), bos_token, eos_token)
