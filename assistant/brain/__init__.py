"""The thinking stage: the language model, tools, conversation memory, and streamed text made speakable."""
