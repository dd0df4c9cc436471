"""The curated topics a subscriber can tick, with the terms that describe each.

Slugs are stored on subscribers, so they are stable; labels and descriptions
may be reworded. The description doubles as a query for relevance ranking, so
it names the key terms a paper on the topic would use.
"""

from __future__ import annotations

TOPICS: dict[str, tuple[str, str]] = {
    "llm": (
        "Large language models",
        "Pretraining, scaling, instruction tuning and evaluation of large language models "
        "(LLMs), transformers, tokenizers, long context.",
    ),
    "agents": (
        "Agents & tool use",
        "LLM agents that plan, call tools and APIs, browse the web, write and run code, "
        "and act in multi-step environments.",
    ),
    "reasoning": (
        "Reasoning",
        "Chain-of-thought, mathematical and logical reasoning, test-time compute, "
        "verifiers and process reward models.",
    ),
    "multimodal": (
        "Multimodal models",
        "Vision-language models (VLMs) and models that combine text, images, video and "
        "audio: visual question answering, captioning, grounding.",
    ),
    "vision": (
        "Computer vision",
        "Image recognition, detection, segmentation, 3D reconstruction, depth, "
        "NeRF and Gaussian splatting, visual representation learning.",
    ),
    "generative-media": (
        "Image & video generation",
        "Diffusion models, flow matching, text-to-image, text-to-video, image editing "
        "and controllable generation.",
    ),
    "speech-audio": (
        "Speech & audio",
        "Speech recognition (ASR), text-to-speech (TTS), spoken dialogue, music and "
        "audio generation, audio language models.",
    ),
    "rl": (
        "Reinforcement learning",
        "Reinforcement learning, RLHF, RLVR, policy optimisation (PPO, GRPO, DPO), "
        "reward modelling, preference learning.",
    ),
    "efficiency": (
        "Efficiency & inference",
        "Quantization, pruning, distillation, sparse and mixture-of-experts models, "
        "KV cache, speculative decoding, fast inference and training systems.",
    ),
    "safety": (
        "Safety & alignment",
        "Alignment, red teaming, jailbreaks, interpretability, hallucination, "
        "robustness, privacy and fairness of ML systems.",
    ),
    "robotics": (
        "Robotics & embodied AI",
        "Robot learning, manipulation, navigation, vision-language-action (VLA) models, "
        "world models and embodied agents.",
    ),
    "retrieval": (
        "Retrieval & RAG",
        "Retrieval-augmented generation (RAG), embeddings, dense retrieval, rerankers, "
        "search, knowledge graphs and memory.",
    ),
    "theory": (
        "Theory & foundations",
        "Learning theory, optimisation, generalisation, scaling laws, architectures "
        "beyond transformers (state space models), mechanistic analysis.",
    ),
}
