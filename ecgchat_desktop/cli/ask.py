"""`ecgchat ask PATH "QUESTION" [--json] [--model GGUF]`: one question about one ECG,
answered by the local model, grounded on our findings and claim-checked."""

from __future__ import annotations

import json
import sys


def register(sub) -> None:
    p = sub.add_parser("ask", help="ask the local language model one question about an ECG (claim-checked)")
    p.add_argument("path", help="ECG file")
    p.add_argument("question", help="the question, in quotes")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--model", default=None, help="GGUF model file (default: the embedded SmolLM2-135M-Instruct)")
    p.add_argument("--max-tokens", type=int, default=200, help="longest answer in tokens (default 200)")
    p.add_argument("--ctx", type=int, default=4096, help="context window in tokens (default 4096)")
    p.add_argument("--threads", type=int, default=None, help="CPU threads (default: llama.cpp's choice)")
    p.add_argument("--gpu-layers", type=int, default=-1, help="layers to offload when the build supports a GPU")
    p.add_argument("--no-stream", action="store_true", help="print the answer only when complete")
    p.add_argument("--no-cache", action="store_true",
                   help="do not keep the evaluated findings prompt on disk (a later question about the "
                        "same ECG then starts cold)")
    p.set_defaults(func=run)


def run(args) -> int:
    from ecgchat_desktop.chat.engine import ChatEngine, EngineSettings
    from ecgchat_desktop.chat.models import ModelNotFoundError
    from ecgchat_desktop.chat.session import MODEL_TEXT_NOTICE, ChatSession
    from ecgchat_desktop.findings import analyze_ecg
    from ecgchat_desktop.io import read_ecg

    ecg = read_ecg(args.path)  # EcgReadError -> exit 2 via the dispatcher
    findings = analyze_ecg(ecg)
    if not args.question.strip():
        print(f"ecgchat: error: {args.path}: empty question", file=sys.stderr)
        return 2
    try:
        engine = ChatEngine(EngineSettings(model_path=args.model, n_ctx=args.ctx, n_threads=args.threads,
                                           n_gpu_layers=args.gpu_layers))
    except ModelNotFoundError as exc:
        print(f"ecgchat: error: {exc}", file=sys.stderr)
        return 2
    try:
        from ecgchat_desktop.chat.prompt_cache import PromptCache

        session = ChatSession(findings, engine, max_tokens=args.max_tokens,
                              prompt_cache=None if args.no_cache else PromptCache())
        stream = not args.json and not args.no_stream
        if not args.json:
            print(f"{args.path}  [model {engine.model_name} on {engine.device}]")
            if findings.critical:
                print("*** CRITICAL FINDING — review immediately ***")
            print("Question: " + args.question)
        on_token = (lambda t: (sys.stdout.write(t), sys.stdout.flush())) if stream else None
        if stream:
            sys.stdout.write("Answer (streaming, not yet checked): ")
        answer = session.ask(args.question, on_token=on_token)
        if args.json:
            print(json.dumps(answer.to_dict(), ensure_ascii=False))
            return 0
        if stream:
            print()
        print("\nFrom the measurements: " + "; ".join(answer.facts))
        print("\nChecked answer: " + answer.answer)
        c = answer.claims
        if c.checked == 0:  # "verified" would overstate an answer with nothing to check
            print("\nClaim check: no checkable claim in this answer (nothing verified against the measurements)")
        else:
            print(f"\nClaim check: {c.verdict} ({c.checked} claims checked)")
        for flag in c.flagged:
            print(f"  - {flag.status}: \"{flag.text}\" ({flag.reason})")
        if answer.citations:
            print("Sources:")
            for cit in answer.citations:
                print(f"  [{cit['n']}] {cit['title']} — {cit['source']}")
        ttft = f"{answer.ttft_s:.2f} s" if answer.ttft_s is not None else "—"
        tps = f"{answer.tokens_per_s:.0f}" if answer.tokens_per_s else "—"
        print(f"({MODEL_TEXT_NOTICE} First token {ttft}, {tps} tokens/s.)")
        return 0
    finally:
        engine.close()
