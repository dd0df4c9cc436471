"""The curated topics a subscriber can tick on the subscribe form.

Each topic is a slug (stored on the subscriber), a label (shown on the form and in
reasons) and a short description. The description is written in the words papers
use, because the ranker appends it to the subscriber's query: ticking a topic is
query expansion with vocabulary we chose carefully once, instead of hoping the
subscriber typed the right synonyms.
"""

from __future__ import annotations

from typing import NamedTuple


class Topic(NamedTuple):
    label: str
    description: str


TOPICS: dict[str, Topic] = {
    "llm-reasoning": Topic(
        "LLM reasoning",
        "Reasoning in large language models: chain-of-thought, mathematical reasoning, "
        "test-time scaling, reinforcement learning with verifiable rewards, GRPO, "
        "reasoning traces and self-reflection.",
    ),
    "agents": Topic(
        "Agents and tool use",
        "LLM agents that plan and act: tool use, function calling, web browsing and "
        "GUI agents, multi-agent systems, deep research agents, agent benchmarks and "
        "environments.",
    ),
    "code": Topic(
        "Code generation",
        "Language models for code: code generation, program synthesis, software "
        "engineering agents, repository-level coding, debugging, SWE-bench.",
    ),
    "efficiency": Topic(
        "Efficient inference and training",
        "Making models faster and cheaper: quantization, pruning, distillation, "
        "speculative decoding, KV cache compression, sparse attention, long context, "
        "efficient training and serving.",
    ),
    "multimodal": Topic(
        "Vision-language models",
        "Multimodal large language models that read images and video: vision-language "
        "models, visual question answering, visual reasoning, document and chart "
        "understanding, multimodal benchmarks.",
    ),
    "image-generation": Topic(
        "Image generation and editing",
        "Generative models for images: diffusion models, flow matching, text-to-image "
        "generation, image editing, autoregressive image generation, visual tokenizers.",
    ),
    "video": Topic(
        "Video generation",
        "Video generation and world models: text-to-video and image-to-video diffusion, "
        "video editing, long video generation, camera control, avatar and talking head "
        "animation.",
    ),
    "3d-vision": Topic(
        "3D and spatial vision",
        "3D reconstruction and generation: Gaussian splatting, neural radiance fields, "
        "multi-view geometry, depth estimation, 3D scenes and spatial understanding.",
    ),
    "robotics": Topic(
        "Robotics and embodied AI",
        "Embodied agents and robot learning: vision-language-action models, manipulation, "
        "navigation, imitation learning, sim-to-real transfer, robot policies.",
    ),
    "speech-audio": Topic(
        "Speech and audio",
        "Speech and audio models: speech recognition, text-to-speech synthesis, spoken "
        "dialogue, audio language models, music and sound generation.",
    ),
    "alignment-safety": Topic(
        "Alignment and safety",
        "Aligning models with human values: RLHF, preference optimization, reward "
        "models, safety, jailbreaks, hallucination, interpretability and evaluation of "
        "trustworthiness.",
    ),
    "rl": Topic(
        "Reinforcement learning",
        "Reinforcement learning algorithms and theory: policy optimization, reward "
        "design, exploration, offline RL, RL for language model post-training.",
    ),
    "data-benchmarks": Topic(
        "Datasets and benchmarks",
        "New datasets, benchmarks and evaluation methods for machine learning models: "
        "data curation, synthetic data, pretraining data, leaderboards.",
    ),
    "retrieval": Topic(
        "Retrieval and RAG",
        "Information retrieval and retrieval-augmented generation: embeddings, rerankers, "
        "search agents, memory, knowledge graphs and question answering over documents.",
    ),
}


def topic_label(slug: str) -> str:
    """The label of a topic, or the slug itself for a topic we no longer offer."""
    topic = TOPICS.get(slug)
    return topic.label if topic else slug
