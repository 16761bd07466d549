"""Signed data packages carried on a USB stick between schools, the township and the county.

A package is one zip file holding a data member (data.xlsx going up, config.json going down),
manifest.json (what the package is and the size and SHA-256 of every other member),
manifest.sig (the raw Ed25519 signature of the exact manifest bytes) and the sender's public key
(school.pem or township.pem, for information only: trust comes from registration). README.md,
section "数据包格式 / Package format", documents the format for people and other programs.
"""
from __future__ import annotations
