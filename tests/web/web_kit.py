"""Shared constants of the web tests: the hostile strings planted in a real cable."""

from __future__ import annotations

#: Planted HTML-escaped in a real mirror page, so the telegram text holds them literally.
XSS_SCRIPT = "<script>window.__xss=1;alert(1)</script>"
XSS_IMG = '<img src=x onerror="window.__xss=2;alert(2)">'
XSS_PLAIN = "<script>alert(1)</script> <img src=x onerror=alert(1)>"
