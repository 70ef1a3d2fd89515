"""The model features LISA's model form offers, with the text it shows under each, and which model types get
them: a text-generation model may have any of them; for an embedding, image- or video-generation model LISA's
form turns them off, and streaming too. Stored as LISA stores them: a list of `{"name": ..., "overview": ...}`."""

from __future__ import annotations

import copy
from typing import Any, Final

from engine.schema.enums import FeatureName, ModelType

LABELS: Final[dict[FeatureName, str]] = {
    FeatureName.TOOL_CALLS: "Tool calls",
    FeatureName.REASONING: "Reasoning",
    FeatureName.IMAGE_INPUT: "Image input",
    FeatureName.SUMMARIZATION: "Summarization",
}
"""In the order LISA's form lists them."""
OVERVIEWS: Final[dict[FeatureName, str]] = {
    FeatureName.TOOL_CALLS: "Enable function calling capabilities for the model to use external tools and APIs.",
    FeatureName.REASONING: "Enable reasoning output capabilities for the model.",
    FeatureName.IMAGE_INPUT: "Enable multimodal capabilities to process and analyze image inputs alongside text.",
    FeatureName.SUMMARIZATION: (
        "Enable document summarization capabilities for condensing long text into brief summaries."
    ),
}
SUMMARIZATION_WARNING: Final = "Ensure model context is large enough to support these requests."
SUMMARIZATION_CAPABILITIES: Final = (
    "Describe the model's summarization strengths, supported document types, and output formats."
)
SUMMARIZATION_PLACEHOLDER: Final = "Overview of Summarization for Model"
OFFERED_TO: Final = frozenset({ModelType.TEXTGEN.value})
NOT_OFFERED: Final = "LISA offers model features to textgen models only"
NOT_STREAMING: Final = frozenset({ModelType.EMBEDDING.value, ModelType.IMAGEGEN.value, ModelType.VIDEOGEN.value})
"""Model types whose streaming LISA's form turns off and disables (`BaseModelConfig.tsx`)."""
NO_STREAMING: Final = "LISA's form turns streaming off for {model_type} models"
STREAMING_DEFAULT_TYPE: Final = ModelType.TEXTGEN.value
"""Choosing this type turns streaming on, as LISA's form does."""


def offered(model_type: object) -> bool:
    """Whether LISA's form offers features for this model type."""
    return str(model_type) in OFFERED_TO


def streams(model_type: object) -> bool:
    """Whether LISA's form lets this model type stream."""
    return str(model_type) not in NOT_STREAMING


def offered_features(features: Any, model_type: object) -> Any:
    """The features a request carries for this model type: as given, or none when LISA's form offers none."""
    return copy.deepcopy(features) if offered(model_type) else []
