"""The curated topics a subscriber can tick on the subscribe form.

Each topic is a slug (stored on subscribers, so stable), a label (shown on the
form and in reasons) and a short description; labels and descriptions may be
reworded. The description is written in the words papers use, because the ranker
uses it as a query: ticking a topic is query expansion with vocabulary chosen
once, instead of hoping the subscriber typed the right synonyms.

``TOPICS`` maps slug -> ``Topic(label, description)``, a named tuple, so
``label, description = TOPICS[slug]`` works as for a plain pair.
"""

from __future__ import annotations

from typing import NamedTuple


class Topic(NamedTuple):
    label: str
    description: str


TOPICS: dict[str, Topic] = {
    "llm": Topic(
        "Large language models",
        "Pretraining, scaling, instruction tuning and evaluation of large language models "
        "(LLMs), transformers, tokenizers, long context.",
    ),
    "agents": Topic(
        "Agents & tool use",
        "LLM agents that plan, call tools and APIs, browse the web, write and run code, "
        "and act in multi-step environments: GUI and computer-use agents, deep research "
        "agents, multi-agent systems.",
    ),
    "reasoning": Topic(
        "Reasoning",
        "Chain-of-thought, mathematical and logical reasoning, test-time compute, "
        "verifiers and process reward models.",
    ),
    "multimodal": Topic(
        "Multimodal models",
        "Vision-language models (VLMs) and models that combine text, images, video and "
        "audio: visual question answering, captioning, grounding.",
    ),
    "vision": Topic(
        "Computer vision",
        "Image recognition, detection, segmentation, 3D reconstruction, depth, "
        "NeRF and Gaussian splatting, visual representation learning.",
    ),
    "generative-media": Topic(
        "Image & video generation",
        "Diffusion models, flow matching, text-to-image, text-to-video, image editing "
        "and controllable generation, video diffusion, avatar animation.",
    ),
    "speech-audio": Topic(
        "Speech & audio",
        "Speech recognition (ASR), text-to-speech (TTS), spoken dialogue, music and "
        "audio generation, audio language models.",
    ),
    "rl": Topic(
        "Reinforcement learning",
        "Reinforcement learning, RLHF, RLVR, policy optimisation (PPO, GRPO, DPO), "
        "reward modelling, preference learning.",
    ),
    "efficiency": Topic(
        "Efficiency & inference",
        "Quantization, pruning, distillation, sparse and mixture-of-experts models, "
        "KV cache, speculative decoding, fast inference and training systems.",
    ),
    "safety": Topic(
        "Safety & alignment",
        "Alignment, red teaming, jailbreaks, interpretability, hallucination, "
        "robustness, privacy and fairness of ML systems.",
    ),
    "robotics": Topic(
        "Robotics & embodied AI",
        "Robot learning, manipulation, navigation, vision-language-action (VLA) models, "
        "world models and embodied agents.",
    ),
    "retrieval": Topic(
        "Retrieval & RAG",
        "Retrieval-augmented generation (RAG), embeddings, dense retrieval, rerankers, "
        "search, knowledge graphs and memory.",
    ),
    "theory": Topic(
        "Theory & foundations",
        "Learning theory, optimisation, generalisation, scaling laws, architectures "
        "beyond transformers (state space models), mechanistic analysis.",
    ),
}
