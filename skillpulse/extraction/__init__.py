"""Skill extraction, shared by the stream, the weekly batch and the ``skillpulse`` commands.

- ``bio``: character spans <-> BIO token tags (pure).
- ``tagger``: a token-classification model loaded once, texts in, spans out (batched).
- ``resolve``: span text -> canonical taxonomy skill.
- ``extractor``: tagger + taxonomy as one extractor (the hybrid mode); candidates.
- ``registry``: which trained model is promoted, and where its folder is.
- ``metrics``: span precision/recall/F1, strict and loose.

Nothing here imports ``batch``: the batch trains models, everything else only uses them.
"""
